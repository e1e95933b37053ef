"""Make folium maps load their JS/CSS from static/vendor instead of CDNs.

scripts/vendor_assets.py fills static/vendor from the npm registry; Streamlit serves
it at /app/static/vendor when `server.enableStaticServing` is on. st_folium loads
these assets inside its component iframe (/component/<name>/index.html), so the
default base is relative to that page, which keeps it right under a
`server.baseUrlPath` (an absolute /app/static/... is not). A map saved as a
standalone HTML file needs another base, e.g. a file:// URL of static/vendor.
"""

from __future__ import annotations

import re
from pathlib import Path

import branca.colormap
import folium
from branca.element import Element, MacroElement
from folium.plugins import FastMarkerCluster, MarkerCluster
from folium.template import Template

VENDOR_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor"
DEFAULT_BASE_URL = "../../app/static/vendor"

# folium's own asset names -> file under static/vendor.
VENDORED_FILES = {
    "leaflet": "leaflet/dist/leaflet.js",
    "jquery": "jquery/dist/jquery.min.js",
    "bootstrap": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "awesome_markers": "leaflet.awesome-markers/dist/leaflet.awesome-markers.js",
    "leaflet_css": "leaflet/dist/leaflet.css",
    "bootstrap_css": "bootstrap/dist/css/bootstrap.min.css",
    "glyphicons_css": "glyphicons-only-bootstrap/css/bootstrap.min.css",
    "awesome_markers_font_css": "@fortawesome/fontawesome-free/css/all.min.css",
    "awesome_markers_css": "leaflet.awesome-markers/dist/leaflet.awesome-markers.css",
    "awesome_rotate_css": "_generated/leaflet.awesome.rotate.css",
    "markerclusterjs": "leaflet.markercluster/dist/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/dist/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/dist/MarkerCluster.Default.css",
    "dvf_js": "leaflet-dvf/dist/leaflet-dvf.markers.min.js",
}
# Vendored for our own code rather than for folium (the PNG export).
EXTRA_FILES = {"html_to_image": "html-to-image/dist/html-to-image.js"}
LEAFLET_IMAGES_DIR = "leaflet/dist/images/"
LEAFLET_MARKER_IMAGES = ("marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")

# FastMarkerCluster inherits MarkerCluster's lists today; set it too in case that changes.
PATCHED_CLASSES = (folium.Map, MarkerCluster, FastMarkerCluster, folium.RegularPolygonMarker)

_REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)
# streamlit_folium adds d3 v4 and d3 3.5.5 from two CDNs to the iframe for any branca colormap on the map; the
# report names them without their addresses (no CDN address belongs in this code base).
_ST_FOLIUM_COLORMAP_JS = ("//cdn/d3@4 (added by st_folium for a branca colormap)",
                          "//cdn/d3@3.5.5 (added by st_folium for a branca colormap)")


def asset_url(rel_path: str, base_url: str = DEFAULT_BASE_URL) -> str:
    return f"{base_url.rstrip('/')}/{rel_path}"


def vendored_links(links: list[tuple[str, str]], base_url: str = DEFAULT_BASE_URL) -> list[tuple[str, str]]:
    """folium-style (name, url) links pointed at the vendored files under `base_url`.

    Keyed on the asset names, so a repeat call with another base still works and an asset added by a future
    folium fails loudly here instead of reaching a CDN."""
    files = {**VENDORED_FILES, **EXTRA_FILES}
    return [(name, asset_url(files[name], base_url)) for name, _ in links]



def use_vendored_assets(base_url: str = DEFAULT_BASE_URL) -> None:
    """Point folium (Map and the cluster plugins) at the vendored files; process-wide."""
    for cls in PATCHED_CLASSES:
        cls.default_js = vendored_links(cls.default_js, base_url)
        cls.default_css = vendored_links(cls.default_css, base_url)


def vendored_asset_urls(base_url: str = DEFAULT_BASE_URL) -> list[str]:
    """URLs of every vendored JS/CSS entry point, folium's first."""
    files = [*VENDORED_FILES.values(), *EXTRA_FILES.values()]
    return [asset_url(path, base_url) for path in files]


def missing_vendored_files(vendor_dir: Path = VENDOR_DIR) -> list[str]:
    """Paths (relative to vendor_dir) that the URLs above need but are not on disk."""
    images = [LEAFLET_IMAGES_DIR + name for name in LEAFLET_MARKER_IMAGES]
    needed = [*VENDORED_FILES.values(), *EXTRA_FILES.values(), *images]
    return [path for path in needed if not (vendor_dir / path).is_file()]


def _elements(element: Element):
    yield element
    for child in element._children.values():
        yield from _elements(child)


def _element_urls(element: Element) -> list[str]:
    if isinstance(element, branca.colormap.ColorMap):
        return list(_ST_FOLIUM_COLORMAP_JS)
    if isinstance(element, folium.TileLayer):
        return [element.tiles]
    links = [*getattr(element, "default_js", []), *getattr(element, "default_css", [])]
    return [url for _, url in links]


def remote_asset_urls(m: folium.Map) -> list[str]:
    """Internet URLs (JS, CSS, tiles) the map would still fetch under st_folium."""
    urls = (url for element in _elements(m) for url in _element_urls(element))
    return list(dict.fromkeys(url for url in urls if _REMOTE.match(url)))


class LeafletIconPathFix(MacroElement):
    """Tell Leaflet where its default marker images are.

    Leaflet guesses the path from leaflet.css, which st_folium loads too late, so
    default markers 404. Add this to the map before any marker.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.Icon.Default.imagePath = {{ this.image_path|tojson }};
        {% endmacro %}
        """
    )

    def __init__(self, base_url: str = DEFAULT_BASE_URL):
        super().__init__()
        self._name = "LeafletIconPathFix"
        self.image_path = asset_url(LEAFLET_IMAGES_DIR, base_url)
