"""Animated exports: one frame per step between two days, each the PNG `export` draws for that day (same map
builder, same browser), encoded as GIF (Pillow) or MP4/WebM (PyAV, which ships FFmpeg)."""
from __future__ import annotations

import calendar
import multiprocessing
import re
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

from euphrates.geodata import GeoData
from euphrates.view import ViewState

FORMATS = ("gif", "mp4", "webm")
NO_STORIES = "about:blank"
MAX_FRAMES = 2000
# The last frame stays up this long (at least), so the end of the story can be read before a loop restarts.
HOLD_LAST_S = 2.0
# A GIF frame has 256 colours; this many of the palette are the frames' most frequent colours, kept exact.
PALETTE_SIZE, EXACT_COLOURS = 256, 96
_STEP = re.compile(r"(?P<count>[1-9]\d{0,3})(?P<unit>[dwm])", flags=re.ASCII)


class AnimationError(ValueError):
    """The asked animation cannot be made; the message says why, for the user."""


@dataclass(frozen=True)
class Step:
    """`count` days, weeks or months, or (unit "changes") the days on which control changed."""

    count: int
    unit: str

    @classmethod
    def parse(cls, text: str) -> Step:
        if text == "changes":
            return cls(0, "changes")
        match = _STEP.fullmatch(text)
        if not match:
            raise AnimationError(f"unknown step {text!r}: use Nd, Nw or Nm (e.g. 1d, 3d, 1w, 1m) or 'changes'")
        return cls(int(match["count"]), match["unit"])

    def after(self, day: date) -> date:
        if self.unit == "d":
            return day + timedelta(days=self.count)
        if self.unit == "w":
            return day + timedelta(weeks=self.count)
        months = day.month - 1 + self.count
        year, month = day.year + months // 12, months % 12 + 1
        return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def frame_dates(start: date, end: date, step: Step, geodata: GeoData) -> list[date]:
    """The days the frames show, from `start` to `end` (both included). AnimationError for an empty range, a
    step longer than the range, or more than MAX_FRAMES frames."""
    if end <= start:
        raise AnimationError(f"empty range: --to {end} must be after --from {start}")
    if step.unit == "changes":
        days = [start, *(day for day in control_change_dates(geodata) if start < day < end), end]
    else:
        if step.after(start) > end:
            raise AnimationError(f"the step {step.count}{step.unit} is longer than the range {start} to {end}")
        days = [start]
        while len(days) <= MAX_FRAMES and step.after(days[-1]) <= end:
            days.append(step.after(days[-1]))
        if days[-1] != end:
            days.append(end)
    if len(days) > MAX_FRAMES:
        raise AnimationError(f"{len(days) if step.unit == 'changes' else 'more than ' + str(MAX_FRAMES)} frames: "
                             f"at most {MAX_FRAMES} (use a longer --step or a shorter range)")
    return days


def control_change_dates(geodata: GeoData) -> list[date]:
    """Every day on which a place's holder or a control area changed."""
    days: set[date] = set()
    for name in ("towns", "localities", "sites"):
        layer = geodata.layer(name)
        for record in layer.records if layer else []:
            days.update(entry.from_ for entry in record.control)
    areas = geodata.layer("control_areas")
    for area in areas.records if areas else []:
        days.add(area.valid_from)
        if area.valid_to is not None:
            days.add(area.valid_to + timedelta(days=1))
    return sorted(days)


def output_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise AnimationError(f"unknown format {path.suffix or '(none)'!r} of {path}: use .gif, .mp4 or .webm")
    return suffix


def render_frames(views: list[ViewState], geodata: GeoData, workdir: Path, width: int, height: int, scale: int,
                  progress: Callable[[int, int], None] = lambda done, total: None) -> list[Path]:
    """Draw each view to a PNG in `workdir` with one browser, building the next page while one is drawn."""
    from playwright.sync_api import sync_playwright

    from euphrates.browser import launch_chromium
    from euphrates.export import PngJob, export_slot, new_page, render_png
    from euphrates.offline import VENDOR_DIR

    asset_base = VENDOR_DIR.as_uri()
    pages = [workdir / f"frame-{number:04d}.html" for number in range(len(views))]
    jobs = [PngJob(view, workdir / f"frame-{number:04d}.png", width, height, scale)
            for number, view in enumerate(views)]
    # The next page is built in a forked process while the browser draws: in a thread, building held the
    # interpreter lock that the browser's commands wait for. The fork happens before Playwright starts its
    # threads, and inherits the loaded geodata.
    global _BUILDER_GEODATA
    _BUILDER_GEODATA = geodata
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as builder:
        next_page = builder.submit(_build_page, views[0], pages[0], asset_base)
        next_page.result()
        with export_slot(), sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                page = new_page(browser, jobs[0])
                for number, job in enumerate(jobs):
                    page_file = next_page.result()
                    if number + 1 < len(jobs):
                        next_page = builder.submit(_build_page, views[number + 1], pages[number + 1], asset_base)
                    render_png(page, page_file, job)
                    page_file.unlink()
                    progress(number + 1, len(jobs))
            finally:
                browser.close()
    return [job.out for job in jobs]


_BUILDER_GEODATA: GeoData | None = None  # what the forked page builder inherits


def _build_page(view: ViewState, page_file: Path, asset_base: str) -> Path:
    """One frame's page. A frame opens no popup: with a stories URL (never loaded) the villages' popup text
    stays out of the page, a third of its bytes."""
    from euphrates.export import map_html

    page_file.write_text(map_html(view, _BUILDER_GEODATA, asset_base, stories_url=NO_STORIES), encoding="utf-8")
    return page_file


def encode(frames: list[Path], out: Path, fps: float, keep_colours: tuple[str, ...] = ()) -> None:
    """Write the frames to `out` (format from its suffix), each shown 1/fps s, the last at least HOLD_LAST_S.
    A GIF keeps `keep_colours` (#rrggbb) exact."""
    kind = output_format(out)
    hold = max(1, round(HOLD_LAST_S * fps))
    if kind == "gif":
        _encode_gif(frames, out, fps, hold, keep_colours)
    else:
        _encode_video(frames, out, fps, hold, codec="libx264" if kind == "mp4" else "libvpx-vp9")


def _encode_gif(frames: list[Path], out: Path, fps: float, hold: int, keep_colours: tuple[str, ...]) -> None:
    from PIL import Image

    images = [Image.open(frame).convert("RGB") for frame in frames]
    palette = _shared_palette(images, keep_colours)
    quantized = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    frame_ms = round(1000 / fps)
    durations = [frame_ms] * (len(quantized) - 1) + [frame_ms * hold]
    quantized[0].save(out, save_all=True, append_images=quantized[1:], duration=durations, loop=0,
                      optimize=False, disposal=1)


def _shared_palette(images, keep: tuple[str, ...] = ()):
    """One palette for every frame, so a colour does not flicker between frames. It is made from a mosaic of (up
    to 16) frames spread over the animation, so the end counts as much as the start. The `keep` colours
    (#rrggbb: the factions', filling symbols and swatches) and the mosaic's most frequent colours (text, land, area
    tints) are exact; the rest come from a median cut."""
    from PIL import Image

    sample = images[:: max(1, len(images) // 16)][:16]
    width, height = images[0].size
    tile = (max(1, width // 2), max(1, height // 2))
    mosaic = Image.new("RGB", (tile[0] * len(sample), tile[1]))
    for number, image in enumerate(sample):
        mosaic.paste(image.resize(tile, Image.Resampling.NEAREST), (number * tile[0], 0))
    frequent = sorted(mosaic.getcolors(maxcolors=mosaic.width * mosaic.height), reverse=True)[:EXACT_COLOURS]
    exact = list(dict.fromkeys([tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5)) for colour in keep]
                               + [colour for _, colour in frequent]))
    rest = mosaic.quantize(colors=PALETTE_SIZE - len(exact), method=Image.Quantize.MEDIANCUT).getpalette()
    entries = exact + [tuple(rest[index:index + 3]) for index in range(0, 3 * (PALETTE_SIZE - len(exact)), 3)]
    palette = Image.new("P", (1, 1))
    palette.putpalette([value for entry in entries for value in entry])
    return palette


def _encode_video(frames: list[Path], out: Path, fps: float, hold: int, codec: str) -> None:
    from fractions import Fraction

    import av
    from PIL import Image

    with Image.open(frames[0]) as first:
        width, height = first.size
    even_width, even_height = width - width % 2, height - height % 2  # yuv420p needs even sides
    with av.open(str(out), mode="w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1000))
        stream.width, stream.height, stream.pix_fmt = even_width, even_height, "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": "20", "preset": "medium"}
        else:
            stream.options = {"crf": "32", "b": "0", "row-mt": "1", "deadline": "good", "cpu-used": "4"}
        for number, frame in enumerate(frames):
            with Image.open(frame) as image:
                picture = image.convert("RGB").crop((0, 0, even_width, even_height))
            video_frame = av.VideoFrame.from_image(picture)
            for _ in range(hold if number == len(frames) - 1 else 1):
                container.mux(stream.encode(video_frame))
        container.mux(stream.encode(None))


def animate(views: list[ViewState], geodata: GeoData, out: Path, width: int, height: int, scale: int, fps: float,
            progress: Callable[[int, int], None] = lambda done, total: None) -> Path:
    """Render the views and encode them to `out`, written whole or not at all."""
    output_format(out)
    with tempfile.TemporaryDirectory(prefix="euphrates-animate-") as workdir:
        frames = render_frames(views, geodata, Path(workdir), width, height, scale, progress)
        partial = Path(workdir) / f"animation{out.suffix.lower()}"
        encode(frames, partial, fps, tuple(faction.color for faction in geodata.factions.values()))
        shutil.move(partial, out)
    return out
