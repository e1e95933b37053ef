"""Finding and launching a headless Chromium for tests, benchmarks and the PNG export."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

# Without the background-networking flags Chromium phones home at start and, offline, waits on it.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]
HOW_TO_GET_ONE = ("no Chromium found: install Debian's package ('apt-get install chromium'), or Playwright's "
                  "browser ('python -m playwright install chromium'), or set EUPHRATES_CHROMIUM to its path")


class NoBrowser(RuntimeError):
    pass


def find_chromium() -> str | None:
    """The system's chromium, or None to let Playwright use its own download (if it has one)."""
    configured = os.environ.get("EUPHRATES_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def launch_chromium(playwright):
    """Launch headless Chromium: the system's, else Playwright's own; NoBrowser says how to get one."""
    executable = find_chromium()
    if executable and not Path(executable).exists():
        raise NoBrowser(f"EUPHRATES_CHROMIUM points to {executable}, which does not exist")
    try:
        return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    except Exception as error:
        if executable is None:
            raise NoBrowser(HOW_TO_GET_ONE) from error
        raise
