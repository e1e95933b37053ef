"""`make serve REPLICAS=N PORT=P`: N app processes behind nginx on port P, until Ctrl-C stops all of them."""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from euphrates.replicas import REPLICA_HEADER, ProxyError, ReplicaSet  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--address", default="0.0.0.0", help="where nginx listens (the replicas: loopback only)")
    parser.add_argument("--site", type=Path,
                        help="also serve this static site (`python -m euphrates site`) at /site/, a copy taken now")
    args = parser.parse_args()
    if args.replicas < 1:
        parser.error(f"REPLICAS must be at least 1, not {args.replicas}")
    # Ctrl-C and a plain `kill` both leave through the context manager, which stops nginx and every replica
    # (SIGINT set here too: a shell starts background jobs with it ignored).
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: sys.exit(0))
    try:
        with ReplicaSet(args.replicas, args.port, listen_address=args.address, site_dir=args.site) as replica_set:
            ports = ", ".join(f"{replica.name} on 127.0.0.1:{replica.port}" for replica in replica_set.replicas)
            site = f" The static site: {replica_set.url}site/." if args.site else ""
            print(f"Serving {replica_set.url} through nginx: {ports}. Each response names its replica in "
                  f"{REPLICA_HEADER}.{site} Logs: {replica_set.run_dir}. Ctrl-C stops all of it.", flush=True)
            signal.pause()
    except ProxyError as error:
        print(f"make serve: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
