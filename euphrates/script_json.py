"""JSON for a <script> block of a folium map: compact, and inert whatever text the data holds."""
from __future__ import annotations

import json
import re

# Never structural in JSON, so escaping them anywhere only touches strings: "<" (no text closes the script or
# opens a comment), "$" and "`" (no template literal reads them), and a brace that opens a Jinja tag ("{{",
# "{%", "{#"), because folium renders its output as a template again. Quotes need nothing more: JSON's strings
# are double-quoted and escape their own. "\u…" escapes read back as the same characters in JavaScript.
_INERT = {"<": "\\u003c", "$": "\\u0024", "`": "\\u0060"}
_JINJA_OPENER = re.compile(r"\{(?=[{%#])")


def script_json(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.translate(str.maketrans(_INERT))
    return _JINJA_OPENER.sub(r"\\u007b", text)
