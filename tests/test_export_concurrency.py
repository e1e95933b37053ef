"""The cross-process limit on PNG exports: a few slots (flocks in a lock folder), a bounded wait, then a clear
error and exit 1 from the CLI. The limiter tests are cheap (no browser); one test runs real exports at once."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from PIL import Image

from conftest import ROOT
from euphrates.export import LOCK_DIR_ENV, SLOTS_ENV, WAIT_ENV, ExportBusy, export_slot

BUSY = "too many exports running; try again"


def test_a_second_export_times_out_with_a_clear_error_when_the_only_slot_is_taken(tmp_path):
    with export_slot(slots=1, timeout=5, lock_dir=tmp_path):
        started = time.monotonic()
        with pytest.raises(ExportBusy, match=BUSY):
            with export_slot(slots=1, timeout=0.3, lock_dir=tmp_path):
                pytest.fail("got a slot that was taken")
        assert 0.25 <= time.monotonic() - started < 3


def test_k_slots_let_k_exports_in_and_hold_the_next(tmp_path):
    with export_slot(slots=2, timeout=1, lock_dir=tmp_path) as first, \
            export_slot(slots=2, timeout=1, lock_dir=tmp_path) as second:
        assert {first, second} == {0, 1}
        with pytest.raises(ExportBusy, match=BUSY):
            with export_slot(slots=2, timeout=0.2, lock_dir=tmp_path):
                pass


def test_a_slot_is_free_again_after_the_export_even_if_it_failed(tmp_path):
    with pytest.raises(ZeroDivisionError):
        with export_slot(slots=1, timeout=1, lock_dir=tmp_path):
            1 / 0
    with export_slot(slots=1, timeout=0.2, lock_dir=tmp_path) as slot:
        assert slot == 0


def test_a_waiting_export_gets_the_slot_when_it_frees_and_says_it_waited(tmp_path):
    held, release = threading.Event(), threading.Event()

    def holder():
        with export_slot(slots=1, timeout=1, lock_dir=tmp_path):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    threading.Timer(0.4, release.set).start()
    said = []
    started = time.monotonic()
    with export_slot(slots=1, timeout=10, lock_dir=tmp_path, log=said.append):
        waited = time.monotonic() - started
    thread.join()
    assert 0.3 <= waited < 5
    assert len(said) == 1 and "waiting" in said[0]


def test_a_slot_held_by_another_process_counts_and_is_freed_when_that_process_dies(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom euphrates.export import export_slot\n"
         f"with export_slot(slots=1, timeout=5, lock_dir={str(tmp_path)!r}):\n"
         "    print('held', flush=True)\n    time.sleep(60)\n"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ExportBusy, match=BUSY):
            with export_slot(slots=1, timeout=0.3, lock_dir=tmp_path):
                pass
    finally:
        holder.kill()  # no clean-up code runs: the kernel drops the lock
        holder.wait()
    with export_slot(slots=1, timeout=1, lock_dir=tmp_path) as slot:
        assert slot == 0


def test_the_cli_exits_1_with_the_message_when_no_slot_frees(tmp_path):
    env = dict(os.environ, **{SLOTS_ENV: "1", WAIT_ENV: "0.5", LOCK_DIR_ENV: str(tmp_path / "locks")})
    out = tmp_path / "map.png"
    with export_slot(slots=1, timeout=1, lock_dir=tmp_path / "locks"):
        result = subprocess.run([sys.executable, "-m", "euphrates", "export", "--out", str(out)], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert BUSY in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.browser
def test_three_exports_started_at_once_all_succeed(tmp_path):
    env = dict(os.environ, **{LOCK_DIR_ENV: str(tmp_path / "locks")})
    env.pop(SLOTS_ENV, None)
    outs = [tmp_path / f"map-{number}.png" for number in range(3)]
    processes = [subprocess.Popen([sys.executable, "-m", "euphrates", "export", "--out", str(out), "--width", "600",
                                   "--height", "400"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for out in outs]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
    for out in outs:
        assert Image.open(out).size == (600, 400)
