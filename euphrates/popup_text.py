"""DOM helpers for the popups built in the browser (towns, villages): text goes in as text nodes, never as HTML,
and a source's link only when it is http(s), checked in Python."""
from __future__ import annotations

POPUP_DOM_JS = """
            function add(parent, tag, text, style) {
                var node = document.createElement(tag);
                if (text) { node.textContent = text; }
                if (style) { node.style.cssText = style; }
                parent.appendChild(node);
                return node;
            }
            // A list of [label, url or null]: a link that opens apart, or the label alone.
            function addSources(parent, sources, style) {
                var list = add(parent, 'ul', null, style);
                sources.forEach(function(source) {
                    var item = add(list, 'li');
                    if (source[1]) {
                        var link = add(item, 'a', source[0]);
                        link.href = source[1];
                        link.target = '_blank';
                        link.rel = 'noopener noreferrer';
                    } else {
                        item.textContent = source[0];
                    }
                });
                return list;
            }
"""
