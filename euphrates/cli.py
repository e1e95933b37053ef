"""`python -m euphrates …`: validate the geodata and query it from the command line.

Exit codes: 0 success, 1 the geodata has problems, 2 a bad argument.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import sys
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from euphrates.geodata import DEFAULT_GEODATA_DIR, LAYERS, load_geodata
from euphrates.timeline import DATA_END, DATA_START, DEFAULT_DATE, KEY_DATES, town_control_on, town_states_on
from euphrates.view import BASEMAPS, OVERLAY_LAYERS, ViewState, parse_bounds


def _iso_date(text: str) -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, flags=re.ASCII):  # fromisoformat also takes 20171019
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {text!r}") from None


def _data_date(text: str) -> date:
    """A day the data covers: every command refuses days outside it alike."""
    day = _iso_date(text)
    if not DATA_START <= day <= DATA_END:
        raise argparse.ArgumentTypeError(f"{text} is outside the data: the map covers {DATA_START} to {DATA_END}")
    return day


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
    control.add_argument("--date", type=_data_date, required=True, metavar="YYYY-MM-DD")
    control.add_argument("--detail", action="store_true",
                         help="print each town's state (held, contested, besieged, mixed), factions and since-when")
    _add_geodata_option(control)
    control.set_defaults(run=run_control)

    stats = commands.add_parser("stats", help="each faction's area on a day, in km²",
                                description="Print a JSON object: faction id → km² of its approximate control "
                                            "area on DATE (measured in an equal-area projection, 1 decimal).")
    stats.add_argument("--date", type=_data_date, required=True, metavar="YYYY-MM-DD")
    _add_geodata_option(stats)
    stats.set_defaults(run=run_stats)

    race = commands.add_parser("race", help="the race down the Euphrates: km to Mayadeen, Bukamal, Al-Qaim (CSV)",
                               description="Print CSV (date,faction,target,km): the geodesic km from each "
                                           "faction's control area to each target town, at every date the "
                                           "areas or the targets' control change. km is blank when unknown.")
    _add_geodata_option(race)
    race.set_defaults(run=run_race)

    export = commands.add_parser("export", help="render the map to PNG in headless Chromium",
                                 description="Render the map of a view to a PNG file with headless Chromium, "
                                             "waiting until it is drawn. Give --date several times for several "
                                             "files from one browser; then --out must contain {date}.")
    export.add_argument("--out", required=True, metavar="FILE.png", help="the PNG to write ({date} is replaced)")
    _add_view_options(export, several_dates=True)
    export.add_argument("--width", type=_int_between(200, 6000), default=1200, metavar="PX")
    export.add_argument("--height", type=_int_between(200, 6000), default=800, metavar="PX")
    export.add_argument("--scale", type=_int_between(1, 4), default=1, metavar="N",
                        help="pixel ratio: 2 for print (default 1)")
    _add_geodata_option(export)
    export.set_defaults(run=run_export)

    animate = commands.add_parser("animate", help="render the map over a range of days to GIF, MP4 or WebM",
                                  description="Render one frame per step from --from to --to (the map `export` "
                                              "draws for each day) and encode them to --out: .gif, .mp4 or .webm. "
                                              "The last frame holds for 2 s. Progress goes to stderr.")
    animate.add_argument("--from", dest="start", type=_data_date, required=True, metavar="YYYY-MM-DD")
    animate.add_argument("--to", dest="end", type=_data_date, required=True, metavar="YYYY-MM-DD")
    animate.add_argument("--step", default="1w", metavar="STEP",
                         help="1d, Nd, 1w, Nw, 1m, Nm, or 'changes' (a frame per day control changed); default 1w")
    animate.add_argument("--out", required=True, type=Path, metavar="FILE", help="race.gif, race.mp4 or race.webm")
    animate.add_argument("--fps", type=_fps, default=2.0, metavar="N", help="frames per second (default 2)")
    _add_view_options(animate, several_dates=False)
    animate.add_argument("--width", type=_int_between(200, 6000), default=1200, metavar="PX")
    animate.add_argument("--height", type=_int_between(200, 6000), default=800, metavar="PX")
    animate.add_argument("--scale", type=_int_between(1, 4), default=1, metavar="N")
    _add_geodata_option(animate)
    animate.set_defaults(run=run_animate)

    diff = commands.add_parser("diff", help="what changed hands between two days (JSON)",
                               description="Print a JSON object: every town, locality and site whose controller "
                                           "or state changed after --from up to and including --to, with the date "
                                           "and sources of each change, and the km² of near ground each faction "
                                           "gained and lost.")
    diff.add_argument("--from", dest="start", type=_data_date, required=True, metavar="YYYY-MM-DD")
    diff.add_argument("--to", dest="end", type=_data_date, required=True, metavar="YYYY-MM-DD")
    _add_geodata_option(diff)
    diff.set_defaults(run=run_diff)

    site = commands.add_parser("site", help="write a self-contained static map",
                               description="Write a static map (HTML, vendored assets, data) to OUTDIR that "
                                           "opens from file:// or any static web host with no network. One page "
                                           "per --date (default: the key dates); index.html is the first.")
    site.add_argument("outdir", type=Path, metavar="OUTDIR")
    site.add_argument("--force", action="store_true", help="replace the pages of an earlier site in OUTDIR")
    _add_view_options(site, several_dates=True)
    _add_geodata_option(site)
    site.set_defaults(run=run_site)
    return parser


def _int_between(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {value}")
        return value
    return parse


def _fps(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.1 <= value <= 60:
        raise argparse.ArgumentTypeError(f"must be between 0.1 and 60 frames per second, got {text}")
    return value


def _id_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _bbox(text: str):
    try:
        return parse_bounds(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add_view_options(parser: argparse.ArgumentParser, several_dates: bool) -> None:
    parser.add_argument("--date", type=_iso_date, action="append" if several_dates else "store",
                        metavar="YYYY-MM-DD", help="the day to show" + (" (repeatable)" if several_dates else ""))
    parser.add_argument("--factions", type=_id_list, metavar="ID,ID", help="factions to show (default: all)")
    parser.add_argument("--layers", type=_id_list, metavar="NAME,NAME",
                        help=f"layers to show (default: all): {', '.join(OVERLAY_LAYERS)}")
    parser.add_argument("--basemap", choices=BASEMAPS, default="vector")
    parser.add_argument("--bbox", type=_bbox, metavar="MINLON,MINLAT,MAXLON,MAXLAT", help="the area to frame")
    parser.add_argument("--compare", type=_data_date, metavar="YYYY-MM-DD",
                        help="also draw what changed hands between this day and the day shown")


def _views(args: argparse.Namespace, geodata, default_dates) -> list[ViewState]:
    """The views the options describe; a bad option raises ValueError with a message for the user."""
    values = {"basemap": args.basemap}
    if args.factions is not None:
        values["factions"] = args.factions
    else:  # the default factions the registry has: a broken factions.json is a warning, not a bad argument
        values["factions"] = tuple(f for f in ViewState.model_fields["factions"].default if f in geodata.factions)
    if args.layers is not None:
        values["layers"] = args.layers
    if args.bbox is not None:
        values["bounds"] = args.bbox
    if args.compare is not None:
        values["compare"] = args.compare
    views = []
    for day in args.date or default_dates:
        try:
            view = ViewState(date=day, **values)
        except ValidationError as error:
            raise ValueError("; ".join(item["msg"].removeprefix("Value error, ") for item in error.errors())) from None
        view.check_factions(geodata.factions)
        views.append(view)
    return views


def _usage_error(args: argparse.Namespace, message: str) -> int:
    print(f"python -m euphrates {args.command}: error: {message}", file=sys.stderr)
    return 2


def _check_writable_dir(directory: Path) -> str | None:
    if not directory.exists():
        return f"folder does not exist: {directory}"
    if not directory.is_dir():
        return f"not a folder: {directory}"
    if not os.access(directory, os.W_OK):
        return f"cannot write to folder: {directory}"
    return None


def run_export(args: argparse.Namespace) -> int:
    from euphrates.browser import NoBrowser
    from euphrates.export import ExportBusy, IncompleteCapture, PngJob, export_pngs, png_size_problem

    geodata = load_geodata(args.geodata)
    try:
        views = _views(args, geodata, [DEFAULT_DATE])
    except ValueError as error:
        return _usage_error(args, str(error))
    if len(views) > 1 and "{date}" not in args.out:
        return _usage_error(args, "several --date values need {date} in --out, e.g. out/euphrates_{date}.png")
    if not args.out.lower().endswith(".png"):
        return _usage_error(args, f"--out must name a .png file: {args.out}")
    too_big = png_size_problem(args.width, args.height, args.scale)
    if too_big:
        return _usage_error(args, too_big)
    jobs = [PngJob(view, Path(args.out.replace("{date}", view.date.isoformat())), args.width, args.height,
                   args.scale) for view in views]
    for job in jobs:
        problem = _check_writable_dir(job.out.parent.resolve())
        if problem:
            return _usage_error(args, f"cannot write {job.out}: {problem}")
        if job.out.is_dir():
            return _usage_error(args, f"cannot write {job.out}: it is a folder")
    _report_problems(geodata)
    try:
        export_pngs(jobs, geodata)
    except (NoBrowser, ExportBusy, IncompleteCapture) as error:
        print(f"python -m euphrates export: {error}", file=sys.stderr)
        return 1
    return 0


def run_animate(args: argparse.Namespace) -> int:
    from euphrates.animate import AnimationError, Step, animate, frame_dates, output_format
    from euphrates.browser import NoBrowser
    from euphrates.export import ExportBusy, IncompleteCapture, png_size_problem

    if args.date is not None:
        return _usage_error(args, "animate takes --from and --to, not --date")
    geodata = load_geodata(args.geodata)
    try:
        output_format(args.out)
        days = frame_dates(args.start, args.end, Step.parse(args.step), geodata)
        args.date = days
        views = _views(args, geodata, days)
    except ValueError as error:
        return _usage_error(args, str(error))
    too_big = png_size_problem(args.width, args.height, args.scale)
    if too_big:
        return _usage_error(args, too_big)
    problem = _check_writable_dir(args.out.resolve().parent)
    if problem or args.out.is_dir():
        return _usage_error(args, f"cannot write {args.out}: {problem or 'it is a folder'}")
    _report_problems(geodata)

    def progress(done: int, total: int) -> None:
        print(f"frame {done}/{total} ({views[done - 1].date})", file=sys.stderr, flush=True)

    try:
        animate(views, geodata, args.out, args.width, args.height, args.scale, args.fps, progress)
    except (NoBrowser, ExportBusy, IncompleteCapture) as error:
        print(f"python -m euphrates animate: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}: {len(views)} frames, {args.start} to {args.end}, {args.fps:g} fps")
    return 0


def run_site(args: argparse.Namespace) -> int:
    from euphrates.export import SiteError, write_site

    geodata = load_geodata(args.geodata)
    try:
        views = _views(args, geodata, [day for day, _ in KEY_DATES])
    except ValueError as error:
        return _usage_error(args, str(error))
    parent = args.outdir.resolve().parent
    problem = _check_writable_dir(args.outdir.resolve() if args.outdir.exists() else parent)
    if problem:
        return _usage_error(args, f"cannot write {args.outdir}: {problem}")
    _report_problems(geodata)
    try:
        pages = write_site(args.outdir, views, geodata, replace=args.force)
    except SiteError as error:
        return _usage_error(args, str(error))
    print(f"wrote {len(pages)} pages to {args.outdir} (open {args.outdir / 'index.html'})")
    return 0


def _report_problems(geodata) -> None:
    """Problems are warnings for exports: the good layers are still drawn."""
    for problem in geodata.problems:
        print(f"warning: skipped: {problem}", file=sys.stderr)


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


def _missing_layers(geodata, names: tuple[str, ...]) -> bool:
    """True, with the problems printed, if a layer the command needs did not load."""
    if all(name in geodata.layers for name in names):
        return False
    for problem in geodata.problems:
        print(problem, file=sys.stderr)
    return True


def run_stats(args: argparse.Namespace) -> int:
    from euphrates.analysis import area_km2_by_faction

    geodata = load_geodata(args.geodata)
    if _missing_layers(geodata, ("control_areas",)):
        return 1
    areas = {faction: round(km2, 1) for faction, km2 in area_km2_by_faction(geodata, args.date).items()}
    print(json.dumps(areas, indent=2))
    return 0


def run_diff(args: argparse.Namespace) -> int:
    from euphrates.compare import diff_report

    if args.end < args.start:
        return _usage_error(args, f"--to {args.end} is before --from {args.start}")
    geodata = load_geodata(args.geodata)
    if _missing_layers(geodata, ("control_areas", "towns")):
        return 1
    print(json.dumps(diff_report(geodata, args.start, args.end), indent=2, ensure_ascii=False))
    return 0


def run_race(args: argparse.Namespace) -> int:
    from euphrates.analysis import race_table

    geodata = load_geodata(args.geodata)
    if _missing_layers(geodata, ("control_areas", "towns")):
        return 1
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["date", "faction", "target", "km"])
    for row in race_table(geodata).itertuples(index=False):
        writer.writerow([row.date.isoformat(), row.faction, row.target, "" if math.isnan(row.km) else f"{row.km:.1f}"])
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:
        return 0
