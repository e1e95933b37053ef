"""Data made safe for the HTML and scripts folium writes."""
from __future__ import annotations

import html

_ESCAPES = str.maketrans({"$": "&#36;", "`": "&#96;", "\\": "&#92;", "{": "&#123;", "}": "&#125;"})


def esc(value: object) -> str:
    """Escape data for HTML that folium passes through unescaped, so that it shows as text wherever it lands:
    - `& < > " '` for HTML (element content and quoted attributes);
    - `$`, backtick and backslash, since folium puts some strings into JavaScript template literals;
    - `{` and `}`, since branca renders each element's output as a Jinja template a second time: `{{ … }}` from
      the data would run on the server (it can reach Python's os module), `{# …` would fail the render."""
    return html.escape("" if value is None else str(value), quote=True).translate(_ESCAPES)
