"""The map must draw without internet: folium's assets come from static/vendor."""

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lets plain `pytest` find the package without an install
    sys.path.insert(0, str(ROOT))

import folium  # noqa: E402
from folium.plugins import FastMarkerCluster, MarkerCluster  # noqa: E402

from euphrates import offline  # noqa: E402

VENDOR_DIR = ROOT / "static" / "vendor"
MANIFEST = VENDOR_DIR / "MANIFEST.json"
REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


@pytest.fixture
def vendored():
    """Apply use_vendored_assets and undo it afterwards: it changes folium globally."""
    saved = {cls: cls.__dict__.copy() for cls in offline.PATCHED_CLASSES}
    offline.use_vendored_assets()
    yield
    for cls, attrs in saved.items():
        for name in ("default_js", "default_css"):
            if name in attrs:
                setattr(cls, name, attrs[name])
            elif name in cls.__dict__:
                delattr(cls, name)


def set_urls(cls):
    return [url for _, url in [*cls.default_js, *cls.default_css]]


def local_path(url: str, base_url: str = offline.DEFAULT_BASE_URL) -> Path:
    assert url.startswith(base_url + "/"), url
    return VENDOR_DIR / url[len(base_url) + 1:]


@pytest.mark.usefixtures("vendored")
@pytest.mark.parametrize("cls", offline.PATCHED_CLASSES, ids=lambda cls: cls.__name__)
def test_every_url_set_points_to_a_vendored_file(cls):
    urls = set_urls(cls)
    assert urls
    for url in urls:
        assert local_path(url).is_file(), url


@pytest.mark.usefixtures("vendored")
def test_no_internet_url_left_in_folium():
    for cls in (folium.Map, MarkerCluster, FastMarkerCluster, folium.RegularPolygonMarker):
        assert not [url for url in set_urls(cls) if REMOTE.match(url)], cls.__name__


@pytest.mark.usefixtures("vendored")
def test_a_typical_map_fetches_nothing_remote():
    m = folium.Map(tiles=None)
    offline.LeafletIconPathFix().add_to(m)
    folium.Marker([35, 40]).add_to(m)
    folium.CircleMarker([35, 40]).add_to(m)
    folium.RegularPolygonMarker([35, 40], number_of_sides=3).add_to(m)
    MarkerCluster().add_to(m)
    FastMarkerCluster([[35, 40]]).add_to(m)
    assert offline.remote_asset_urls(m) == []


def test_remote_asset_urls_reports_tiles_and_plugins():
    m = folium.Map()  # OpenStreetMap tiles by default
    folium.plugins.MiniMap().add_to(m)
    urls = offline.remote_asset_urls(m)
    assert any("{z}" in url for url in urls)
    assert any("MiniMap" in url for url in urls)


def test_a_second_call_can_change_the_base(vendored):
    offline.use_vendored_assets("/app/static/vendor")
    assert all(url.startswith("/app/static/vendor/") for url in set_urls(folium.Map))


def test_no_listed_file_is_missing():
    assert offline.missing_vendored_files() == []
    for url in offline.vendored_asset_urls():
        assert local_path(url).is_file(), url


def test_missing_files_are_reported(tmp_path):
    assert "leaflet/dist/leaflet.js" in offline.missing_vendored_files(tmp_path)


def test_icon_path_fix_points_at_leaflet_images():
    m = folium.Map(tiles=None)
    offline.LeafletIconPathFix().add_to(m)
    match = re.search(r'L\.Icon\.Default\.imagePath = "([^"]+)";', m.get_root().render())
    assert match, "imagePath is not set in the map script"
    image_dir = local_path(match.group(1).rstrip("/"))
    for name in offline.LEAFLET_MARKER_IMAGES:
        assert (image_dir / name).is_file(), name


def manifest_files() -> dict[str, dict]:
    return {entry["path"]: entry for entry in json.loads(MANIFEST.read_text())["files"]}


def test_manifest_lists_every_vendored_file():
    on_disk = {p.relative_to(VENDOR_DIR).as_posix() for p in VENDOR_DIR.rglob("*") if p.is_file()}
    assert on_disk - {MANIFEST.name} == set(manifest_files())


def test_manifest_entries_have_licence_version_and_matching_hash():
    for path, entry in manifest_files().items():
        assert entry["licence"].strip(), path
        assert entry["package"] and entry["version"], path
        assert hashlib.sha256((VENDOR_DIR / path).read_bytes()).hexdigest() == entry["sha256"], path


def test_css_references_resolve_to_vendored_files():
    for css in VENDOR_DIR.rglob("*.css"):
        for ref in CSS_URL.findall(css.read_text(encoding="utf-8")):
            if ref.startswith(("data:", "#")):
                continue
            assert not REMOTE.match(ref), f"{css.name}: {ref}"
            target = (css.parent / re.split(r"[?#]", ref)[0]).resolve()
            assert target.is_file(), f"{css.relative_to(VENDOR_DIR)}: {ref}"


def test_offline_module_does_not_import_streamlit():
    code = "import sys, euphrates.offline; sys.exit('streamlit' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
