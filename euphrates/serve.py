"""Starting `streamlit run` on a free localhost port, for the browser tests and the benchmarks."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_streamlit(app: Path, port: int, cwd: Path = ROOT, timeout: float = 60,
                    env: dict[str, str] | None = None, log: Path | None = None) -> subprocess.Popen:
    """Start the app and return the process once /_stcore/health answers. Its stderr goes to `log` if given (a
    server that runs for days must not fill a pipe nobody reads), else to a pipe."""
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true"],
        cwd=cwd, stdout=subprocess.DEVNULL, stderr=log.open("wb") if log else subprocess.PIPE, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = log.read_bytes() if log else process.stderr.read()
            raise RuntimeError(f"streamlit exited: {said.decode(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"streamlit did not answer on port {port} within {timeout:.0f} s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
