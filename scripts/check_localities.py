"""List every problem in geodata/src/localities_*.yaml files (all of them, or the ones named).

    python scripts/check_localities.py [geodata/src/localities_raqqa.yaml ...]

Exit 0 when clean, 1 when any problem is found. Ids are checked for uniqueness across the files given (and
against the towns and sites), so check all files together before a build.
"""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.localities import read_all  # noqa: E402


def main(argv: list[str]) -> int:
    paths = [Path(arg).resolve() for arg in argv] or None
    localities, problems = read_all(paths)
    for problem in problems:
        print(problem)
    per_file = Counter(item["source_file"] for item in localities)
    for name, count in sorted(per_file.items()):
        print(f"{name}: {count} localities pass")
    print(f"{len(localities)} localities pass, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
