"""`python -m euphrates animate`: the frames' days, the bad arguments, and real GIF/MP4/WebM files."""
from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from conftest import ROOT
from euphrates.animate import MAX_FRAMES, AnimationError, Step, control_change_dates, frame_dates
from euphrates.geodata import load_geodata
from pixels import count_colour
from test_cli import run_cli

RAQQA_BBOX = "38.80,35.90,39.06,36.00"  # Raqqa right of the legend


@pytest.fixture(scope="module")
def geodata():
    return load_geodata()


@pytest.fixture(scope="module")
def colours() -> dict[str, str]:
    registry = json.loads((ROOT / "geodata" / "factions.json").read_text())
    return {faction["id"]: faction["color"] for faction in registry["factions"]}


def test_weekly_frames_run_from_start_to_end(geodata):
    days = frame_dates(date(2017, 6, 1), date(2017, 12, 28), Step.parse("1w"), geodata)
    assert len(days) == 31 and days[0] == date(2017, 6, 1) and days[-1] == date(2017, 12, 28)
    # A range that is not a whole number of steps still ends on its last day.
    assert frame_dates(date(2017, 6, 1), date(2017, 6, 20), Step.parse("1w"), geodata)[-1] == date(2017, 6, 20)


def test_months_keep_to_the_calendar(geodata):
    days = frame_dates(date(2017, 1, 31), date(2017, 5, 31), Step.parse("1m"), geodata)
    assert days == [date(2017, 1, 31), date(2017, 2, 28), date(2017, 3, 28), date(2017, 4, 28), date(2017, 5, 28),
                    date(2017, 5, 31)]


def test_changes_step_is_one_frame_per_change_day(geodata):
    start, end = date(2017, 10, 1), date(2017, 11, 30)
    days = frame_dates(start, end, Step.parse("changes"), geodata)
    changes = [day for day in control_change_dates(geodata) if start < day < end]
    assert days == [start, *changes, end]
    assert date(2017, 10, 17) in days  # Raqqa taken


@pytest.mark.parametrize("start, end, step, message", [
    (date(2017, 6, 1), date(2017, 6, 1), "1d", "empty range"),
    (date(2017, 6, 2), date(2017, 6, 1), "1d", "empty range"),
    (date(2017, 6, 1), date(2017, 6, 20), "1m", "longer than the range"),
    (date(2010, 1, 1), date(2020, 1, 1), "1d", f"at most {MAX_FRAMES}"),
])
def test_bad_ranges_are_refused(geodata, start, end, step, message):
    with pytest.raises(AnimationError, match=message):
        frame_dates(start, end, Step.parse(step), geodata)


@pytest.mark.parametrize("text", ["0d", "1y", "w", "1 w", "changes2", ""])
def test_unknown_steps_are_refused(text):
    with pytest.raises(AnimationError, match="unknown step"):
        Step.parse(text)


@pytest.mark.parametrize("args, message", [
    (("--out", "x.avi"), "unknown format"),
    (("--out", "x.gif", "--step", "1y"), "unknown step"),
    (("--out", "x.gif", "--to", "2017-06-01"), "empty range"),
    (("--out", "x.gif", "--to", "2017-06-05", "--step", "1w"), "longer than the range"),
    (("--out", "x.gif", "--date", "2017-06-05"), "not --date"),
    (("--out", "x.gif", "--fps", "0"), "between 0.1 and 60"),
    (("--out", "no/such/dir/x.gif",), "folder does not exist"),
    (("--out", "x.gif", "--layers", "nope"), "unknown layer"),
])
def test_bad_arguments_exit_2_with_a_message(tmp_path, args, message):
    base = {"--from": "2017-06-01", "--to": "2017-07-01"}
    given = dict(zip(args[::2], args[1::2]))
    argv = [item for key, value in {**base, **given}.items() for item in (key, value)]
    result = run_cli("animate", *argv)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (ROOT / "x.gif").exists()


def test_gif_has_a_frame_per_month_and_raqqa_changes_hands(tmp_path, colours):
    out = tmp_path / "raqqa.gif"
    result = run_cli("animate", "--from", "2017-06-01", "--to", "2017-11-01", "--step", "1m", "--out", str(out),
                     "--bbox", RAQQA_BBOX, "--width", "700", "--height", "450", "--fps", "4")
    assert result.returncode == 0, result.stderr
    assert "frame 6/6 (2017-11-01)" in result.stderr  # progress on stderr
    with Image.open(out) as gif:
        assert gif.n_frames == 6 and gif.size == (700, 450)
        durations = []
        frames = []
        for number in range(gif.n_frames):
            gif.seek(number)
            durations.append(gif.info["duration"])
            buffer = io.BytesIO()
            gif.convert("RGB").save(buffer, format="PNG")
            frames.append(buffer.getvalue())
    assert durations[:-1] == [250] * 5 and durations[-1] >= 2000  # the last frame holds
    # Raqqa's symbol (and its districts') are ISIS's colour on 1 June and SDF's on 1 November, as their histories
    # say; the legend's swatches are in both frames.
    isis, sdf = ([count_colour(frame, colours[faction]) for frame in frames] for faction in ("isis", "sdf"))
    assert isis[0] > isis[-1] + 40
    assert sdf[-1] > sdf[0] + 100


@pytest.mark.parametrize("suffix", ["mp4", "webm"])
def test_videos_open_with_pyav(tmp_path, suffix):
    import av

    out = tmp_path / f"race.{suffix}"
    result = run_cli("animate", "--from", "2017-09-01", "--to", "2017-10-01", "--step", "10d", "--out", str(out),
                     "--width", "321", "--height", "240", "--fps", "2")
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == ("h264" if suffix == "mp4" else "vp9")
        decoded = list(container.decode(stream))
    # 4 days (1, 11, 21 Sep, 1 Oct); the last held for 2 s at 2 fps; odd widths are cut to even.
    assert len(decoded) == 3 + 4
    assert (decoded[0].width, decoded[0].height) == (320, 240)
    first, last = (frame.to_ndarray(format="rgb24") for frame in (decoded[0], decoded[-1]))
    assert (first != last).any()


def test_a_background_job_reports_progress_and_its_errors(tmp_path):
    import time

    from euphrates.animation_job import AnimationJob
    from euphrates.view import ViewState

    job = AnimationJob.start(ViewState(bounds=(38.8, 35.8, 39.2, 36.1)), date(2017, 10, 1), date(2017, 10, 15),
                             "1w", "gif", width=400, height=300)
    deadline = time.monotonic() + 120
    while not job.finished and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job.succeeded and (job.done, job.total) == (3, 3)
    with Image.open(job.out) as gif:
        assert gif.n_frames == 3
    job.discard()
    assert not job.workdir.exists()

    failed = AnimationJob.start(ViewState(), date(2017, 10, 1), date(2017, 10, 5), "1m", "gif")
    while not failed.finished:
        time.sleep(0.1)
    assert failed.returncode == 2 and not failed.succeeded
    assert "longer than the range" in failed.message
    failed.discard()
