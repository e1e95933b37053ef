"""N Streamlit replicas behind Debian's nginx (`make serve`, the proxy test, `bench/bench_load.py --replicas`): the
proxy's config rendered from the one template, deploy/nginx.conf.j2, and the processes started and stopped
together."""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from euphrates.overlay import MAX_UPLOAD_BYTES
from euphrates.serve import ROOT, free_port, start_streamlit, stop

TEMPLATE = ROOT / "deploy" / "nginx.conf.j2"
STICKY_COOKIE = "euphrates_replica"
REPLICA_HEADER = "X-Euphrates-Replica"
# Where nginx writes request bodies: its workers run as `nobody` when the master is root.
TEMP_DIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


class ProxyError(RuntimeError):
    """nginx is missing, refused its config or did not answer; the message says which."""


@dataclass(frozen=True)
class Replica:
    name: str  # also its nginx upstream and the cookie's value
    port: int


def nginx_conf(replicas: list[Replica], port: int, run_dir: Path, listen_address: str = "127.0.0.1",
               site_dir: Path | None = None) -> str:
    """The proxy's config for these replicas (and the static site in `site_dir` at /site/), nginx listening on
    `listen_address:port`."""
    template = jinja2.Template(TEMPLATE.read_text(encoding="utf-8"), undefined=jinja2.StrictUndefined,
                               keep_trailing_newline=True)
    return template.render(replicas=replicas, port=port, run_dir=str(run_dir), listen_address=listen_address,
                           cookie=STICKY_COOKIE, max_body_mb=MAX_UPLOAD_BYTES // 2**20,
                           site_dir=str(site_dir.resolve()) if site_dir else None)


def nginx_binary() -> str:
    # /usr/sbin is not on every user's PATH.
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found is None:
        raise ProxyError("nginx is missing: install Debian's nginx package (`make proxy` does)")
    return found


@dataclass
class ReplicaSet:
    """`count` app processes on free loopback ports and nginx on `port` in front of them (serving the static site
    in `site_dir` at /site/ too, if given). Use as a context manager; leaving it stops everything."""
    count: int
    port: int = 0  # 0: a free port
    listen_address: str = "127.0.0.1"
    site_dir: Path | None = None
    app: Path = ROOT / "app.py"
    replicas: list[Replica] = field(default_factory=list)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    nginx: subprocess.Popen | None = None
    run_dir: Path | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.listen_address in ("0.0.0.0", "") else self.listen_address
        return f"http://{host}:{self.port}/"

    def __enter__(self) -> "ReplicaSet":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        if self.count < (0 if self.site_dir else 1):
            raise ValueError(f"REPLICAS must be at least 1, not {self.count}")
        if self.site_dir is not None and not (self.site_dir / "index.html").is_file():
            raise ProxyError(f"{self.site_dir} holds no index.html: make it with `python -m euphrates site`")
        binary = nginx_binary()
        self.port = self.port or free_port()
        self.run_dir = Path(tempfile.mkdtemp(prefix="euphrates-proxy-"))
        self.run_dir.chmod(0o755)
        for name in TEMP_DIRS:
            (self.run_dir / name).mkdir(mode=0o1777)
            (self.run_dir / name).chmod(0o1777)
        # One cookie secret for all: a reader moved to another replica (its own went down) keeps a valid XSRF
        # cookie, so uploads still work there.
        env = {**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)}
        self.replicas = [Replica(f"replica-{number}", free_port()) for number in range(1, self.count + 1)]
        for replica in self.replicas:
            self.processes[replica.name] = start_streamlit(self.app, replica.port, env=env,
                                                           log=self.run_dir / f"{replica.name}.log")
        site_copy = None
        if self.site_dir is not None:
            # nginx's workers run as `nobody` under a root master and may not reach the site where it was
            # written (a home or a private temp folder): they serve a copy taken now.
            site_copy = self.run_dir / "site"
            shutil.copytree(self.site_dir, site_copy)
            for path in [site_copy, *site_copy.rglob("*")]:
                path.chmod(0o755 if path.is_dir() else 0o644)
        conf = self.run_dir / "nginx.conf"
        conf.write_text(nginx_conf(self.replicas, self.port, self.run_dir, self.listen_address, site_copy),
                        encoding="utf-8")
        command = [binary, "-p", str(self.run_dir), "-e", str(self.run_dir / "error.log"), "-c", str(conf)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
        if checked.returncode != 0:
            raise ProxyError(f"nginx refused {conf}: {checked.stderr.strip()}")
        self.nginx = subprocess.Popen([*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                                      stderr=(self.run_dir / "nginx.stderr").open("wb"))
        self._wait_for_proxy()

    def _wait_for_proxy(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.nginx.poll() is not None:
                said = (self.run_dir / "nginx.stderr").read_text(errors="replace")
                raise ProxyError(f"nginx exited: {said[-2000:]}")
            try:
                probe = f"{self.url}_stcore/health" if self.replicas else f"{self.url}site/index.html"
                with urllib.request.urlopen(probe, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise ProxyError(f"nginx did not answer on {self.url} within {timeout:.0f} s")

    def pids(self) -> list[int]:
        """The app processes' ids (for their CPU and memory)."""
        return [process.pid for process in self.processes.values() if process.poll() is None]

    def kill(self, name: str) -> None:
        """Stop one replica, as a crash would (for the failover test)."""
        self.processes[name].kill()
        self.processes[name].wait()

    def stop(self) -> None:
        if self.nginx is not None:
            stop(self.nginx)
            self.nginx = None
        for process in self.processes.values():
            if process.poll() is None:
                stop(process)
        self.processes.clear()
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None
