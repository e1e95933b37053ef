"""An animation made in the background for the app: `python -m euphrates animate` in a child process (the same
code as the command line, its own browser, the machine's export slots), with its progress read from stderr. The
page polls the job and offers the file when it is done; the app's script thread never waits on it."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from euphrates.view import ViewState

_PROGRESS = re.compile(r"frame (\d+)/(\d+)")


@dataclass
class AnimationJob:
    """One animation being made. `done`/`total` frames so far; `returncode` once finished; `message` is the
    command's last error line when it failed."""

    command: list[str]
    out: Path
    workdir: Path
    done: int = 0
    total: int = 0
    returncode: int | None = None
    message: str = ""
    _process: subprocess.Popen | None = field(default=None, repr=False)

    @classmethod
    def start(cls, view: ViewState, start: date, end: date, step: str, fmt: str, width: int = 1200,
              height: int = 800, fps: float = 2.0) -> AnimationJob:
        workdir = Path(tempfile.mkdtemp(prefix="euphrates-animation-"))
        out = workdir / f"euphrates_{start.isoformat()}_{end.isoformat()}.{fmt}"
        west, south, east, north = view.bounds
        command = [sys.executable, "-m", "euphrates", "animate", "--from", start.isoformat(), "--to",
                   end.isoformat(), "--step", step, "--out", str(out), "--fps", f"{fps:g}", "--width", str(width),
                   "--height", str(height), "--factions", ",".join(view.factions), "--layers",
                   ",".join(view.layers), "--basemap", view.basemap, "--bbox", f"{west},{south},{east},{north}"]
        if view.compare is not None:
            command += ["--compare", view.compare.isoformat()]
        job = cls(command, out, workdir)
        job._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                        cwd=Path(__file__).resolve().parent.parent)
        threading.Thread(target=job._follow, name="animation-progress", daemon=True).start()
        return job

    def _follow(self) -> None:
        last = ""
        for line in self._process.stderr:
            match = _PROGRESS.search(line)
            if match:
                self.done, self.total = int(match[1]), int(match[2])
            elif line.strip():
                last = line.strip()
        self.message = last
        self.returncode = self._process.wait()

    @property
    def finished(self) -> bool:
        return self.returncode is not None

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0 and self.out.is_file()

    def cancel(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()

    def discard(self) -> None:
        """Stop it if it runs and remove its files."""
        self.cancel()
        shutil.rmtree(self.workdir, ignore_errors=True)
