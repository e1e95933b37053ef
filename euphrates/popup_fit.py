"""Popups usable on a phone-sized map: no wider than the map, scrolling when long, and opened clear of the title,
zoom and export boxes at the top (the map pans them down). Added by script because st_folium drops the map's
header."""
from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template

# The controls are drawn above every pane, so a popup must open below them: the title and the zoom and export
# boxes take the top 125 px on a phone.
POPUP_TOP_CLEARANCE_PX = 130
POPUP_STYLE = (
    # Leaflet sets the content's width inline from the popup's maxWidth; max-width caps it to the map (the map
    # fills its frame, so 100vw is the map's width) and the popup is positioned from the capped size.
    ".leaflet-popup-content {max-width: calc(100vw - 70px); max-height: 60vh; overflow: auto;}"
    ".euphrates-legend summary {cursor: pointer; font-weight: 600; margin-bottom: 3px;}"
)


class PopupFit(MacroElement):
    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            if (!document.getElementById('euphrates-popup-fit')) {
                var style = document.createElement('style');
                style.id = 'euphrates-popup-fit';
                style.textContent = {{ this.css|tojson }};
                document.head.appendChild(style);
            }
            L.Popup.mergeOptions({autoPanPaddingTopLeft: L.point(10, {{ this.top }})});
        })();
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "PopupFit"
        self.css = POPUP_STYLE
        self.top = POPUP_TOP_CLEARANCE_PX
