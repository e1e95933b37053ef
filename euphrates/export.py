"""Exports built on the one map builder: PNG files rendered in headless Chromium, and a self-contained static
site. Both use the same `ViewState` → `build_map` path as the app."""
from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from euphrates.browser import launch_chromium
from euphrates.geodata import LAYERS, GeoData
from euphrates.mapbuilder import build_map, esc
from euphrates.offline import VENDOR_DIR
from euphrates.timeline import KEY_DATES
from euphrates.view import ViewState

# The map's script adds every vector layer and marker synchronously, so it is drawn once the page has loaded,
# the web fonts are in, the title box is attached and every tile image (online basemaps only) has settled.
_DRAWN = """() => {
    if (document.readyState !== 'complete' || document.fonts.status !== 'loaded') return false;
    if (!document.querySelector('.euphrates-title')) return false;
    return [...document.querySelectorAll('img.leaflet-tile')].every(t => t.complete);
}"""
DRAW_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class PngJob:
    view: ViewState
    out: Path
    width: int = 1200
    height: int = 800
    scale: int = 1


def map_html(view: ViewState, geodata: GeoData, asset_base: str) -> str:
    """The complete HTML page of one view's map."""
    return build_map(view, geodata, asset_base=asset_base).assemble().get_root().render()


def export_pngs(jobs: list[PngJob], geodata: GeoData, log=print) -> None:
    """Render each job's view to its PNG, reusing one browser (and one page per size) for all of them."""
    from playwright.sync_api import sync_playwright

    asset_base = VENDOR_DIR.as_uri()
    with tempfile.TemporaryDirectory(prefix="euphrates-export-") as workdir, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        pages: dict[tuple[int, int, int], object] = {}
        try:
            for number, job in enumerate(jobs):
                page_file = Path(workdir) / f"map-{number}.html"
                page_file.write_text(map_html(job.view, geodata, asset_base), encoding="utf-8")
                key = (job.width, job.height, job.scale)
                if key not in pages:
                    pages[key] = new_page(browser, job)
                render_png(pages[key], page_file, job)
                log(f"wrote {job.out} ({job.width * job.scale}×{job.height * job.scale}, {job.view.date})")
        finally:
            browser.close()


def new_page(browser, job: PngJob):
    context = browser.new_context(viewport={"width": job.width, "height": job.height},
                                  device_scale_factor=job.scale)
    return context.new_page()


def render_png(page, page_file: Path, job: PngJob) -> None:
    """Load the map page, wait until it is drawn, hide the interactive controls and save the viewport (the map
    fills it)."""
    page.goto(page_file.as_uri())
    page.wait_for_function(_DRAWN, timeout=DRAW_TIMEOUT_MS, polling=50)
    page.locator(".leaflet-control-zoom, .leaflet-control-layers, .euphrates-export").evaluate_all(
        "nodes => nodes.forEach(n => n.style.display = 'none')")
    page.screenshot(path=str(job.out), animations="disabled")


# --- static site -------------------------------------------------------------------------------------------

def write_site(out_dir: Path, views: list[ViewState], geodata: GeoData) -> list[Path]:
    """A static map that opens from file:// or any web host with no network: one page per view (the first is
    index.html), the vendored assets, the data layers and their licences."""
    out_dir.mkdir(parents=True, exist_ok=True)
    vendor = out_dir / "vendor"
    if vendor.exists():
        shutil.rmtree(vendor)
    shutil.copytree(VENDOR_DIR, vendor)
    _copy_data(out_dir / "data", geodata)
    pages = []
    names = [f"{view.date.isoformat()}.html" for view in views]
    for view, name in zip(views, names):
        html = map_html(view, geodata, asset_base="vendor")
        html = html.replace("<body>", "<body>" + _site_nav(names, name), 1)
        for target in ([name, "index.html"] if view is views[0] else [name]):
            path = out_dir / target
            path.write_text(html, encoding="utf-8")
            pages.append(path)
    return pages


def _site_nav(names: list[str], current: str) -> str:
    """A bar of the other days' pages, outside the map so the map keeps its size below it."""
    labels = {day.isoformat(): label for day, label in KEY_DATES}
    links = []
    for name in names:
        day = name.removesuffix(".html")
        text = esc(f"{day}: {labels.get(day, '')}".rstrip(": "))
        links.append(f"<b>{text}</b>" if name == current else f'<a href="{esc(name)}">{text}</a>')
    style = ("position:absolute;z-index:1001;bottom:0;left:50%;transform:translateX(-50%);max-width:70%;"
             "background:rgba(255,255,255,.9);font:12px system-ui,sans-serif;padding:3px 8px;"
             "border-radius:4px 4px 0 0;overflow-x:auto;white-space:nowrap")
    return f'<nav class="euphrates-site-nav" style="{style}">Days: {" · ".join(links)}</nav>'


def _copy_data(data_dir: Path, geodata: GeoData) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    for spec in LAYERS:
        source = geodata.directory / spec.filename
        if spec.name in geodata.layers and source.exists():
            shutil.copy(source, data_dir / spec.filename)
    for name in ("factions.json", "LICENCES.md"):
        if (geodata.directory / name).exists():
            shutil.copy(geodata.directory / name, data_dir / name)
    manifest = {"layers": sorted(spec.filename for spec in LAYERS if spec.name in geodata.layers),
                "problems": [str(problem) for problem in geodata.problems]}
    (data_dir / "index.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
