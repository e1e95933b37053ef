"""Render folium elements for st_folium without compiling their output as a template.

branca's MacroElement.render wraps each rendered macro (a script with a day's data, often 100 KB) in
`Element(text)`, which compiles the text as a Jinja template, to be rendered a second time when the whole
page is. st_folium never renders the page: it takes each element's script macro directly and only needs
render() for its side effects. So the compile is pure cost (half a rerun's CPU, measured with cProfile).
Installed in the app's process only; exports and the static site render whole pages as folium does."""
from __future__ import annotations

from branca.element import Element, Figure, MacroElement


class RenderedText(Element):
    """Text already rendered, kept as it is."""

    def __init__(self, text: str):
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


def _render_without_compiling(self: MacroElement, **kwargs) -> None:
    figure = self.get_root()
    assert isinstance(figure, Figure), "You cannot render this Element if it is not in a Figure."
    module = self._template.module.__dict__
    for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
        macro = module.get(part)
        if macro is not None:
            target.add_child(RenderedText(macro(self, kwargs)), name=self.get_name())
    for element in self._children.values():
        element.render(**kwargs)


def install() -> None:
    MacroElement.render = _render_without_compiling
