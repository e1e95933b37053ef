"""Exports built on the one map builder: PNG files rendered in headless Chromium, and a self-contained static
site. Both use the same `ViewState` → `build_map` path as the app."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: exports are not limited
    fcntl = None

from euphrates.browser import launch_chromium
from euphrates.geodata import LAYERS, GeoData
from euphrates.mapbuilder import build_map, esc
from euphrates.offline import VENDOR_DIR
from euphrates.place_stories import stories_script
from euphrates.playback import playback_script
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
# What headless Chromium can capture: a side longer than its largest texture (16,384 px) or a picture over
# about 100 million pixels fails or comes back partly blank.
MAX_PNG_SIDE_PX = 16_384
MAX_PNG_PIXELS = 100_000_000
LEAFLET_BACKGROUND = (221, 221, 221)  # the map container's own grey, where nothing was drawn
MAX_BLANK_SHARE = 0.5


def png_size_problem(width: int, height: int, scale: int) -> str | None:
    """Why a PNG of this size cannot be drawn, or None."""
    out_w, out_h = width * scale, height * scale
    if max(out_w, out_h) > MAX_PNG_SIDE_PX:
        return (f"the PNG would be {out_w}×{out_h} px; the browser draws at most {MAX_PNG_SIDE_PX} px a side "
                "(lower --width, --height or --scale)")
    if out_w * out_h > MAX_PNG_PIXELS:
        return (f"the PNG would be {out_w}×{out_h} px ({out_w * out_h / 1e6:.0f} million pixels); the browser "
                f"draws at most {MAX_PNG_PIXELS / 1e6:.0f} million (lower --width, --height or --scale)")
    return None


def blank_share(png: Path) -> float:
    """The share of a PNG's pixels in the map container's own grey: what the map did not draw."""
    import numpy as np
    from PIL import Image

    with Image.open(png) as image:
        pixels = np.asarray(image.convert("RGB"))[::4, ::4]
    return float((pixels == LEAFLET_BACKGROUND).all(axis=2).mean())


class IncompleteCapture(Exception):
    """The browser returned a picture with most of the map not drawn; the file is removed."""


# --- how many exports run at once -------------------------------------------------------------------------
# Each export runs its own Chromium. Started together, they share the cores and all finish late, each holding a
# browser's memory (10 at once on 2 cores: the first PNG after ~36 s instead of ~19 s with 2 slots, the last
# no sooner). So an export waits for one of a few slots shared by every process of this user: a slot is an
# flock on a file in a folder under the system temp dir, which the kernel releases when the process ends,
# however it ends.

SLOTS_ENV, WAIT_ENV, LOCK_DIR_ENV = "EUPHRATES_EXPORT_SLOTS", "EUPHRATES_EXPORT_WAIT", "EUPHRATES_EXPORT_LOCK_DIR"
DEFAULT_WAIT_S = 120.0


class ExportBusy(RuntimeError):
    """No export slot came free in time."""


def default_export_slots() -> int:
    """One export at a time per core this process may use: an export keeps about one core busy."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, cores)


def _env_number(name: str, default, kind):
    try:
        value = kind(os.environ[name])
    except (KeyError, ValueError):
        return default
    return value if value > 0 else default


@contextmanager
def export_slot(slots: int | None = None, timeout: float | None = None, lock_dir: Path | None = None,
                log=None):
    """Hold one of `slots` export slots (default: $EUPHRATES_EXPORT_SLOTS, else `default_export_slots()`) for
    the `with` block, waiting up to `timeout` seconds ($EUPHRATES_EXPORT_WAIT, else 120) for one to come free;
    then ExportBusy. `log` is told once if the export has to wait."""
    if fcntl is None:
        yield None
        return
    slots = slots or _env_number(SLOTS_ENV, default_export_slots(), int)
    timeout = timeout if timeout is not None else _env_number(WAIT_ENV, DEFAULT_WAIT_S, float)
    lock_dir = Path(lock_dir or os.environ.get(LOCK_DIR_ENV)
                    or Path(tempfile.gettempdir()) / f"euphrates-export-slots-{os.getuid()}")
    lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    told = False
    while True:
        for slot in range(slots):
            fd = os.open(lock_dir / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield slot
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            return
        if time.monotonic() >= deadline:
            raise ExportBusy(f"too many exports running; try again later (all {slots} export slots of this "
                             f"machine stayed busy for {timeout:g} s; {SLOTS_ENV} sets the number)")
        if log is not None and not told:
            log(f"waiting for one of {slots} export slots (other exports are running)")
            told = True
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


@dataclass(frozen=True)
class PngJob:
    view: ViewState
    out: Path
    width: int = 1200
    height: int = 800
    scale: int = 1


def map_html(view: ViewState, geodata: GeoData, asset_base: str, playback_url: str | None = None,
             stories_url: str | None = None) -> str:
    """The complete HTML page of one view's map (with the play control if `playback_url` is given; see
    `build_map`)."""
    return build_map(view, geodata, asset_base=asset_base, playback_url=playback_url,
                     stories_url=stories_url).assemble().get_root().render()


def export_pngs(jobs: list[PngJob], geodata: GeoData, log=print) -> None:
    """Render each job's view to its PNG, reusing one browser (and one page per size) for all of them."""
    from playwright.sync_api import sync_playwright

    asset_base = VENDOR_DIR.as_uri()
    with tempfile.TemporaryDirectory(prefix="euphrates-export-") as workdir:
        # The pages are built before taking an export slot: the slots limit the Chromiums, and building is
        # Python work that can overlap with other exports' browsers.
        page_files = []
        for number, job in enumerate(jobs):
            page_files.append(Path(workdir) / f"map-{number}.html")
            page_files[-1].write_text(map_html(job.view, geodata, asset_base), encoding="utf-8")
        with export_slot(log=log), sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            pages: dict[tuple[int, int, int], object] = {}
            try:
                for job, page_file in zip(jobs, page_files):
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
    """Load the map page, wait until it is drawn, hide the interactive controls, open the legend (a narrow export
    would start with it collapsed) and save the viewport (the map fills it)."""
    page.goto(page_file.as_uri())
    page.wait_for_function(_DRAWN, timeout=DRAW_TIMEOUT_MS, polling=10)
    page.evaluate("""() => {
        document.querySelectorAll('.leaflet-control-zoom, .leaflet-control-layers, .euphrates-export')
            .forEach(n => n.style.display = 'none');
        document.querySelectorAll('.leaflet-container details').forEach(n => n.open = true);
    }""")
    page.screenshot(path=str(job.out), animations="disabled")
    share = blank_share(job.out)
    if share > MAX_BLANK_SHARE:
        job.out.unlink(missing_ok=True)
        raise IncompleteCapture(f"{job.out}: the browser drew only {100 * (1 - share):.0f}% of the map "
                                f"({job.width * job.scale}×{job.height * job.scale} px); try a smaller size")


# --- static site -------------------------------------------------------------------------------------------

PLAYBACK_SCRIPT = "playback.js"  # in the site's data/, loaded by the play control
STORIES_SCRIPT = "stories.js"  # in the site's data/, loaded by the first village popup opened

class SiteError(Exception):
    """The site cannot be written where it was asked to go; the message says why, for the user."""


def write_site(out_dir: Path, views: list[ViewState], geodata: GeoData, replace: bool = False) -> list[Path]:
    """A static map that opens from file:// or any web host with no network: one page per view (the first is
    index.html), the vendored assets, the data layers and their licences. Raises SiteError, before writing
    anything where it can tell, if `out_dir` is no place for it."""
    names = [f"{view.date.isoformat()}.html" for view in views]
    _check_site_target(out_dir, geodata, names, replace)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        vendor = out_dir / "vendor"
        if vendor.exists():
            shutil.rmtree(vendor)
        shutil.copytree(VENDOR_DIR, vendor)
        _copy_data(out_dir / "data", geodata)
        pages = []
        for view, name in zip(views, names):
            html = map_html(view, geodata, asset_base="vendor", playback_url=f"data/{PLAYBACK_SCRIPT}",
                            stories_url=f"data/{STORIES_SCRIPT}")
            html = html.replace("<body>", "<body>" + _site_nav(names, name), 1)
            for target in ([name, "index.html"] if view is views[0] else [name]):
                path = out_dir / target
                path.write_text(html, encoding="utf-8")
                pages.append(path)
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        raise SiteError(f"cannot write the site to {out_dir}: {error.strerror or error}{where}") from None
    return pages


def _overlaps(a: Path, b: Path) -> bool:
    a, b = a.resolve(), b.resolve()
    return a == b or a in b.parents or b in a.parents


def _check_site_target(out_dir: Path, geodata: GeoData, names: list[str], replace: bool = False) -> None:
    """What would make writing the site fail half way, or destroy something: the site replaces OUTDIR/vendor
    wholesale, so that must be a previous site's, and never the app's own assets or the geodata read."""
    existing = next((path for path in (out_dir, *out_dir.parents) if path.exists()), None)
    if existing is not None and not existing.is_dir():
        raise SiteError(f"cannot write the site to {out_dir}: {existing} is a file, not a folder")
    vendor, data = out_dir / "vendor", out_dir / "data"
    if _overlaps(vendor, VENDOR_DIR):
        raise SiteError(f"cannot write the site to {out_dir}: it would replace the app's own web assets "
                        f"({VENDOR_DIR})")
    if _overlaps(data, geodata.directory) or _overlaps(vendor, geodata.directory):
        raise SiteError(f"cannot write the site to {out_dir}: it would overwrite the geodata it reads "
                        f"({geodata.directory})")
    if vendor.is_symlink() or (vendor.exists() and not (vendor.is_dir() and (vendor / "MANIFEST.json").is_file())):
        raise SiteError(f"cannot write the site to {out_dir}: {vendor} exists and is not the vendor folder of an "
                        "earlier site; not replacing it")
    if data.exists() and not data.is_dir():
        raise SiteError(f"cannot write the site to {out_dir}: {data} is a file, not a folder")
    for name in dict.fromkeys([*names, "index.html"]):
        if (out_dir / name).is_dir():
            raise SiteError(f"cannot write the site to {out_dir}: {out_dir / name} is a folder")
        if (out_dir / name).exists() and not replace:
            raise SiteError(f"cannot write the site to {out_dir}: {out_dir / name} already exists; pass --force "
                            "to replace an earlier site's pages")


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
    (data_dir / PLAYBACK_SCRIPT).write_text(playback_script(geodata), encoding="utf-8")
    (data_dir / STORIES_SCRIPT).write_text(stories_script(geodata), encoding="utf-8")
    manifest = {"layers": sorted(spec.filename for spec in LAYERS if spec.name in geodata.layers),
                "problems": [str(problem) for problem in geodata.problems]}
    (data_dir / "index.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
