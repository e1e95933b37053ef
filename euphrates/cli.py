"""`python -m euphrates …`: validate the geodata and query it from the command line.

Exit codes: 0 success, 1 the geodata has problems, 2 a bad argument.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from euphrates.geodata import DEFAULT_GEODATA_DIR, LAYERS, load_geodata
from euphrates.timeline import town_control_on, town_states_on


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {text!r}") from None


def _geodata_dir(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"not a directory: {text}")
    return path


def _add_geodata_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--geodata", type=_geodata_dir, default=DEFAULT_GEODATA_DIR, metavar="DIR",
                        help="folder of the geodata layers (default: the bundled geodata/)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m euphrates",
                                     description="Euphrates 2017: the geodata of eastern Syria, 2016-2017.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check every layer against its schema",
                                   description="Check every geodata layer. Exit 0 with a summary line per layer, "
                                               "or exit 1 with one line per problem.")
    _add_geodata_option(validate)
    validate.set_defaults(run=run_validate)

    control = commands.add_parser("control", help="who controlled each town on a day",
                                  description="Print a JSON object: town id → the faction id controlling it on "
                                              "DATE (null where unknown).")
    control.add_argument("--date", type=_iso_date, required=True, metavar="YYYY-MM-DD")
    control.add_argument("--detail", action="store_true",
                         help="print each town's state (held, contested, besieged, mixed), factions and since-when")
    _add_geodata_option(control)
    control.set_defaults(run=run_control)
    return parser


def run_validate(args: argparse.Namespace) -> int:
    geodata = load_geodata(args.geodata)
    if geodata.problems:
        for problem in geodata.problems:
            print(problem)
        print(f"{len(geodata.problems)} problem(s) in {geodata.directory}", file=sys.stderr)
        return 1
    print(f"factions: {len(geodata.factions)} factions")
    for spec in LAYERS:
        layer = geodata.layers[spec.name]
        kinds = ", ".join(sorted(set(layer.frame.geometry.geom_type)))
        print(f"{spec.name}: {len(layer)} features ({kinds}) from {spec.filename}")
    return 0


def run_control(args: argparse.Namespace) -> int:
    geodata = load_geodata(args.geodata)
    if "towns" not in geodata.layers:
        for problem in geodata.problems:
            print(problem, file=sys.stderr)
        return 1
    if args.detail:
        result = {
            town_id: None if state is None else {
                "controller": state.controller,
                "state": state.state,
                "factions": list(state.factions),
                "since": state.since.isoformat(),
            }
            for town_id, state in town_states_on(geodata, args.date).items()
        }
    else:
        result = town_control_on(geodata, args.date)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:
        return 0
