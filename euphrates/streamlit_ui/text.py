"""Showing data text as text in Streamlit, whose labels, alerts and captions render Markdown."""
from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$:])")


def plain(text: str) -> str:
    """`text` escaped for Streamlit's Markdown, so data (names, file names, problems) shows as typed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
