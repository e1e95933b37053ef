"""Data written into a map's <script> block: inert whatever it holds, and the same data when read back."""
from __future__ import annotations

import json

import pytest

from euphrates.script_json import script_json

PAYLOADS = ["</script><script>window.__xss=1</script>", "<!-- x", "${window.__xss=1}", "`+(window.__xss=1)+`",
            "{{7*7}}", "{% raw %}", "{# c", '"><b>x', "'-(window.__xss=1)-'", "البوكمال", "a & b > c"]


@pytest.mark.parametrize("text", PAYLOADS)
def test_text_is_inert_in_a_script_and_reads_back_the_same(text):
    value = [{"name": text, "nested": {"list": [text]}}]
    written = script_json(value)
    for telltale in ("<", "${", "`", "{{", "{%", "{#"):
        assert telltale not in written, telltale
    assert json.loads(written) == value  # JSON's \\u escapes are JavaScript's too


def test_non_ascii_letters_stay_as_they_are():
    assert script_json({"name": "البوكمال"}) == '{"name":"البوكمال"}'
