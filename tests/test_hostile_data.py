"""Broken and hostile input: the corpus of broken geodata files in tests/hostile/ (written by
tests/hostile/make_corpus.py), and bad command-line arguments. The validator names file, feature and problem on one
line each and never raises; the app shows a banner and still draws every good layer; a bad argument exits 2 with a
message, and `site` never writes half a site or replaces what is not its own."""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, read_features, write_layer
from euphrates import cli, geodata as geodata_module
from euphrates.geodata import LAYERS, load_geodata

HOSTILE = Path(__file__).resolve().parent / "hostile"
_spec = importlib.util.spec_from_file_location("make_corpus", HOSTILE / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)

# case → (file, feature index, feature id, what the line must say). Index None: the problem is the whole file.
EXPECTED: dict[str, tuple[str, int | None, str | None, str]] = {
    "bad-json": ("events.geojson", None, None, "not valid JSON: Unterminated string starting at line 2 column"),
    "top-level-list": ("towns.geojson", None, None, "top level is not a GeoJSON FeatureCollection"),
    "top-level-feature": ("towns.geojson", None, None, "top level is not a GeoJSON FeatureCollection"),
    "missing-geometry": ("towns.geojson", 1, "mayadeen", "geometry is missing (the feature has no 'geometry' member)"),
    "null-geometry": ("sites.geojson", 0, "al-omar", "geometry is missing (null)"),
    "geometry-not-object": ("events.geojson", 0, "raqqa-captured",
                            "geometry is not a GeoJSON geometry object (got a string)"),
    "geometry-without-coordinates": ("towns.geojson", 0, "raqqa", "geometry has no 'coordinates' (Point)"),
    "string-coordinates": ("towns.geojson", 1, "mayadeen",
                           'a position must be [lon, lat] as two numbers, got ["40.45", "35.02"]'),
    "unclosed-ring": ("control_areas.geojson", 1, "sdf-2017-10-17",
                      "ring 0 is not closed: its first position [38.5, 35.5] differs from its last [38.5, 36.5]"),
    "ring-too-short": ("control_areas.geojson", 0, "isis-2016-06-01", "ring 0 needs at least 4 positions, has 3"),
    "self-crossing-ring": ("control_areas.geojson", 0, "isis-2016-06-01", "geometry is invalid: Self-intersection"),
    "latlon-swapped": ("events.geojson", 0, "raqqa-captured", "lon/lat swapped?"),
    "out-of-range": ("towns.geojson", 1, "mayadeen", "coordinates out of range"),
    "nan-coordinate": ("sites.geojson", 0, "al-omar", "geometry has a non-finite coordinate"),
    "unknown-faction": ("events.geojson", 0, "raqqa-captured", "unknown faction id(s): martians"),
    "bad-date": ("towns.geojson", 0, "raqqa", "control.0.from: expected an ISO date YYYY-MM-DD, got '13/01/2014'"),
    "long-bad-date": ("events.geojson", 0, "raqqa-captured",
                      "date: expected an ISO date YYYY-MM-DD, got '2017-10-17xxxxxxxx"),
    "unsorted-dates": ("sites.geojson", 0, "al-omar", "control history not sorted: 2014-07-01 follows 2017-10-22"),
    "duplicate-ids": ("towns.geojson", 1, "raqqa", "duplicate id (also feature 0)"),
    "control-characters-in-key": ("routes.geojson", 0, "advance",
                                  "evil\\nkey\\x1b[31m: Extra inputs are not permitted"),
    "empty-file": ("routes.geojson", None, None, "file is empty"),
    "non-utf8": ("rivers.geojson", None, None, "not UTF-8 text (invalid continuation byte at byte"),
    "lone-surrogate": ("towns.geojson", 0, "raqqa", "properties.name: text holds a lone UTF-16 surrogate escape"),
    "deeply-nested": ("deconfliction.geojson", None, None, "not readable: JSON nested too deeply"),
    "huge-integer": ("towns.geojson", None, None,
                     "not valid JSON: Exceeds the limit (4300 digits) for integer string conversion"),
    "factions-bad-json": ("factions.json", None, None, "not valid JSON: Expecting ',' delimiter at line 31"),
}
LAYER_OF_FILE = {spec.filename: spec.name for spec in LAYERS}


def line_prefix(case: str) -> str:
    filename, index, feature_id, _ = EXPECTED[case]
    prefix = f"geodata/{filename}: "
    if index is not None:
        prefix += f"feature {index} (id {feature_id!r}): "
    return prefix


def check_line(case: str, line: str) -> None:
    assert line.startswith(line_prefix(case)), line
    assert EXPECTED[case][3] in line, line
    assert len(line) < 600, len(line)


@pytest.fixture
def broken(small_geodata):
    """`broken(case)`: the small valid folder with one case's file dropped over it."""
    def make(case: str) -> Path:
        for path in (HOSTILE / case).iterdir():
            shutil.copy(path, small_geodata / path.name)
        return small_geodata
    return make


def test_corpus_has_a_case_for_every_expectation():
    on_disk = {path.name for path in HOSTILE.iterdir() if path.is_dir() and not path.name.startswith("__")}
    assert on_disk == set(make_corpus.CASES) == set(EXPECTED)
    for case in EXPECTED:
        (only,) = (HOSTILE / case).iterdir()
        assert only.name == EXPECTED[case][0]
        assert only.stat().st_size < 64 * 1024, f"{case}: keep the corpus small"


def test_corpus_is_what_make_corpus_writes(tmp_path):
    make_corpus.write_corpus(tmp_path)
    for case in make_corpus.CASES:
        filename = EXPECTED[case][0]
        assert (tmp_path / case / filename).read_bytes() == (HOSTILE / case / filename).read_bytes(), (
            f"{case}: run python tests/hostile/make_corpus.py")


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_validate_names_file_feature_and_problem_on_one_line(broken, capsys, case):
    folder = broken(case)
    assert cli.main(["validate", "--geodata", str(folder)]) == 1
    out, err = capsys.readouterr()
    (line,) = out.splitlines()  # one problem, one line
    check_line(case, line)
    assert err.strip().endswith(f"1 problem(s) in {folder}")

    data = load_geodata(folder)
    broken_layer = LAYER_OF_FILE.get(EXPECTED[case][0])
    assert set(data.layers) == {spec.name for spec in LAYERS} - {broken_layer}
    if broken_layer is None:  # factions.json
        assert data.factions == {}


@pytest.mark.parametrize("case", ["deeply-nested", "control-characters-in-key", "lone-surrogate", "non-utf8"])
def test_validate_command_as_a_user_runs_it(broken, case):
    """The real process (its own recursion depth and stdout), for the cases that broke the loader or the
    one-line output."""
    result = subprocess.run([sys.executable, "-m", "euphrates", "validate", "--geodata", str(broken(case))],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "Error" not in result.stderr, result.stderr
    (line,) = result.stdout.splitlines()
    check_line(case, line)


def test_huge_file_is_refused_before_it_is_read(small_geodata):
    """A sparse file just over the limit: instant to make, and the loader must not read it."""
    make_corpus.write_huge_layer(small_geodata / "events.geojson", geodata_module.MAX_LAYER_BYTES + 1)
    result = subprocess.run([sys.executable, "-m", "euphrates", "validate", "--geodata", str(small_geodata)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "geodata/events.geojson: file is too large: 52,428,801 bytes, over the limit of 52,428,800 (50 MB)"]
    assert "Traceback" not in result.stderr


def test_problem_lines_stay_one_line_whatever_the_data_holds():
    problem = geodata_module.Problem("geo\ndata/towns.geojson", "name: bad \u202eevil\r\n" + "x" * 5000, 3,
                                     "id\n\x1b[2J" + "y" * 500)
    text = str(problem)
    assert "\n" not in text and "\r" not in text and "\x1b" not in text and "\u202e" not in text
    assert text.startswith("geo\\ndata/towns.geojson: feature 3 (id 'id\\n\\x1b[2J")
    assert "name: bad \\u202eevil\\r\\n" in text and "more characters)" in text
    assert len(text) < 500


# --- the app: a banner naming the problem, and every good layer still drawn -----------------------------

# What each layer leaves in the arguments the page hands to st_folium (feature groups, or the base script).
LAYER_MARKS = {
    "countries": ("script", '"id":"SY"'),
    "rivers": ("feature_group", "Euphrates (test; course approximate)"),
    "control_areas": ("feature_group", "Approximate area held"),
    "deconfliction": ("feature_group", "Drawn from: rivers"),
    "routes": ("feature_group", "Advance (cut off; schematic)"),
    "sites": ("feature_group", "Al-Omar"),
    "events": ("feature_group", "Raqqa taken"),
    "towns": ("feature_group", 'data-town="raqqa"'),
}
# Towns and areas are drawn per faction: with no faction registry there is nothing to draw them in.
NEED_FACTIONS = {"towns", "control_areas"}


def drawn_layers(app: AppTest) -> set[str]:
    (component,) = app.get("component_instance")
    assert component.proto.component_name == "streamlit_folium.st_folium"
    args = json.loads(component.proto.json_args)
    return {layer for layer, (key, mark) in LAYER_MARKS.items() if mark in args[key].replace('\\"', '"')}


def run_map_page(folder: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("EUPHRATES_GEODATA", str(folder))
    app = AppTest.from_file("../pages/map.py", default_timeout=60)
    app.run()
    assert not app.exception, app.exception
    return app


def test_the_small_folder_draws_every_layer(small_geodata, monkeypatch):
    app = run_map_page(small_geodata, monkeypatch)
    assert len(app.warning) == 0
    assert drawn_layers(app) == set(LAYER_MARKS)


def shown_text(markdown: str) -> str:
    """The banner as a reader sees it: data text goes into Markdown with its special characters escaped."""
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_app_shows_a_banner_and_draws_every_good_layer(broken, monkeypatch, case):
    app = run_map_page(broken(case), monkeypatch)
    (banner,) = app.warning
    text = shown_text(banner.value)
    assert text.startswith("Some geodata could not be loaded and is not shown:")
    (item,) = [line.removeprefix("- ") for line in text.splitlines()[1:]]
    check_line(case, item)
    broken_layer = LAYER_OF_FILE.get(EXPECTED[case][0])
    good = set(LAYER_MARKS) - {broken_layer} - (NEED_FACTIONS if broken_layer is None else set())
    assert drawn_layers(app) == good


def test_app_with_a_huge_layer(small_geodata, monkeypatch):
    monkeypatch.setattr(geodata_module, "MAX_LAYER_BYTES", 10_000)
    make_corpus.write_huge_layer(small_geodata / "towns.geojson", 10_001)
    app = run_map_page(small_geodata, monkeypatch)
    assert "geodata/towns.geojson: file is too large: 10,001 bytes, over the limit of 10,000" in shown_text(app.warning[0].value)
    assert drawn_layers(app) == set(LAYER_MARKS) - {"towns"}


def test_app_with_every_layer_broken_still_runs(small_geodata, monkeypatch):
    for path in (HOSTILE / "bad-json", HOSTILE / "non-utf8", HOSTILE / "deeply-nested", HOSTILE / "empty-file",
                 HOSTILE / "top-level-list", HOSTILE / "unclosed-ring", HOSTILE / "null-geometry",
                 HOSTILE / "factions-bad-json"):
        for file in path.iterdir():
            shutil.copy(file, small_geodata / file.name)
    write_layer(small_geodata, "countries", [{"type": "Feature", "geometry": None, "properties": {}}])
    write_layer(small_geodata, "localities", [{"type": "Feature", "geometry": None, "properties": {}}])
    app = run_map_page(small_geodata, monkeypatch)
    banner = shown_text(app.warning[0].value)
    for spec in LAYERS:
        assert f"- geodata/{spec.filename}: " in banner, spec.filename
    assert "- geodata/factions.json: not valid JSON" in banner
    assert drawn_layers(app) == set()


# --- hostile command-line arguments: exit 2 and a message, never a traceback or a half-written site ----------

def run_main(capsys, *args: str) -> tuple[int, str]:
    """`python -m euphrates ARGS` in this process: the exit code and stderr (argparse exits by SystemExit)."""
    try:
        code = cli.main(list(args))
    except SystemExit as exit_:
        code = exit_.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize("command", [("control",), ("export", "--out", "x.png"), ("site", "out")])
@pytest.mark.parametrize("date", ["20171019", "2017-W42-4", "2017-02-30", "2017-10-19T00:00", "", " 2017-10-19"])
def test_bad_dates_exit_2(capsys, command, date):
    code, err = run_main(capsys, *command, "--date", date)
    assert code == 2 and "not a date in the form YYYY-MM-DD" in err, err


@pytest.mark.parametrize("command", [("validate",), ("control", "--date", "2017-10-19"), ("export", "--out", "x.png"),
                                     ("site", "out")])
def test_geodata_that_is_a_file_exits_2(capsys, tmp_path, command):
    (tmp_path / "geodata.zip").write_bytes(b"PK")
    code, err = run_main(capsys, *command, "--geodata", str(tmp_path / "geodata.zip"))
    assert code == 2 and "argument --geodata: not a directory" in err, err


def test_export_to_a_folder_exits_2(capsys, tmp_path):
    (tmp_path / "map.png").mkdir()
    code, err = run_main(capsys, "export", "--out", str(tmp_path / "map.png"))
    assert code == 2 and "it is a folder" in err, err


def site_error(capsys, outdir: Path, *extra: str) -> str:
    code, err = run_main(capsys, "site", str(outdir), "--date", "2017-10-19", *extra)
    assert code == 2, err
    assert err.splitlines()[-1].startswith("python -m euphrates site: error: "), err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("args, message", [
    (("--factions", "sdf,martians"), "unknown faction(s) martians"),
    (("--layers", "towns,unicorns"), "unknown layer(s) unicorns"),
    (("--date", "2015-01-01"), "date must be between 2016-06-01 and 2017-12-31"),
    (("--bbox", "41,34,38,36"), "bbox is inverted"),
])
def test_site_bad_ids_and_values_exit_2(capsys, tmp_path, args, message):
    assert message in site_error(capsys, tmp_path / "site", *args)
    assert not (tmp_path / "site").exists()


def test_site_into_a_file_or_under_one_exits_2(capsys, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    assert "not a folder" in site_error(capsys, tmp_path / "a-file")
    assert "not a folder" in site_error(capsys, tmp_path / "a-file" / "site")
    assert "folder does not exist" in site_error(capsys, tmp_path / "a-file" / "site" / "deeper")
    assert (tmp_path / "a-file").read_text() == "not a folder"


@pytest.mark.parametrize("occupy, message", [
    (lambda out: (out / "index.html").mkdir(parents=True), "index.html is a folder"),
    (lambda out: (out / "2017-10-19.html").mkdir(parents=True), "2017-10-19.html is a folder"),
    (lambda out: (out / "data").write_text("x"), "data is a file, not a folder"),
    (lambda out: (out / "vendor").write_text("x"), "is not the vendor folder of an earlier site"),
    (lambda out: (out / "vendor" / "keep.txt").parent.mkdir(parents=True) or (out / "vendor" / "keep.txt")
     .write_text("mine"), "is not the vendor folder of an earlier site; not replacing it"),
])
def test_site_refuses_paths_it_cannot_write_or_must_not_replace(capsys, tmp_path, occupy, message):
    out = tmp_path / "site"
    out.mkdir()
    occupy(out)
    before = sorted(str(path.relative_to(out)) for path in out.rglob("*"))
    assert message in site_error(capsys, out)
    assert sorted(str(path.relative_to(out)) for path in out.rglob("*")) == before  # nothing written or removed


def test_site_never_replaces_the_apps_own_assets_or_the_geodata(capsys, tmp_path, monkeypatch, small_geodata):
    from euphrates import export

    static = tmp_path / "static"
    (static / "vendor").mkdir(parents=True)
    (static / "vendor" / "MANIFEST.json").write_text("{}")
    monkeypatch.setattr(export, "VENDOR_DIR", static / "vendor")
    assert "would replace the app's own web assets" in site_error(capsys, static)
    assert "would replace the app's own web assets" in site_error(capsys, static / "vendor")
    assert (static / "vendor" / "MANIFEST.json").read_text() == "{}"
    assert "would overwrite the geodata it reads" in site_error(capsys, small_geodata, "--geodata",
                                                                str(small_geodata))
    project = tmp_path / "project"
    shutil.copytree(small_geodata, project / "data")
    assert "would overwrite the geodata it reads" in site_error(capsys, project, "--geodata", str(project / "data"))
    assert not (small_geodata / "index.html").exists() and not (project / "index.html").exists()


def test_site_over_an_earlier_site_and_with_broken_factions_still_writes(capsys, tmp_path, broken):
    """A broken factions.json is a warning for the site, as any broken layer is: not a bad argument."""
    folder = broken("factions-bad-json")
    out = tmp_path / "site"
    for extra in ([], ["--force"]):  # the second run replaces the first's pages and vendor folder
        code, err = run_main(capsys, "site", str(out), "--date", "2017-10-19", "--geodata", str(folder), *extra)
        assert code == 0, err
        assert "warning: skipped: geodata/factions.json: not valid JSON" in err
    assert (out / "index.html").is_file() and (out / "vendor" / "MANIFEST.json").is_file()


def test_a_layer_that_breaks_the_loader_is_reported_not_raised(small_geodata, monkeypatch):
    """The safety net: whatever a file makes the loader raise, the caller gets a problem, and the rest loads."""
    real = geodata_module._load_layer

    def load_layer(directory, spec, faction_ids):
        if spec.name == "sites":
            raise MemoryError("pretend the file was a bomb")
        return real(directory, spec, faction_ids)

    monkeypatch.setattr(geodata_module, "_load_layer", load_layer)
    monkeypatch.setattr(geodata_module, "_load_factions", lambda *_: {}[0])  # KeyError
    data = load_geodata(small_geodata)
    assert [str(problem) for problem in data.problems] == [
        "geodata/factions.json: could not be loaded (unexpected KeyError: 0)",
        "geodata/sites.geojson: could not be loaded (unexpected MemoryError: pretend the file was a bomb)"]
    assert set(data.layers) == {spec.name for spec in LAYERS} - {"sites"}


def test_a_folder_where_a_layer_file_should_be(small_geodata):
    (small_geodata / "events.geojson").unlink()
    (small_geodata / "events.geojson").mkdir()
    data = load_geodata(small_geodata)
    assert [str(problem) for problem in data.problems] == ["geodata/events.geojson: not a regular file"]
    assert set(data.layers) == {spec.name for spec in LAYERS} - {"events"}


def test_site_does_not_overwrite_an_earlier_site_without_force(capsys, tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("my own page")
    assert "index.html already exists; pass --force" in site_error(capsys, out)
    assert (out / "index.html").read_text() == "my own page"


@pytest.mark.parametrize("command", ["control", "stats"])
@pytest.mark.parametrize("day", ["2099-01-01", "2016-05-31", "2018-01-01"])
def test_control_and_stats_refuse_days_outside_the_data_like_every_command(capsys, command, day):
    code, err = run_main(capsys, command, "--date", day)
    assert code == 2
    assert f"{day} is outside the data: the map covers 2016-06-01 to 2017-12-31" in err


def test_race_page_shows_a_town_name_from_the_data_as_text(small_geodata, monkeypatch):
    towns = read_features(small_geodata, "towns")
    hostile = "[verify](https://evil.example/phish)"
    for town in towns:
        if town["properties"]["id"] == "mayadeen":
            town["properties"]["name"] = hostile
    write_layer(small_geodata, "towns", towns)
    monkeypatch.setenv("EUPHRATES_GEODATA", str(small_geodata))
    app = AppTest.from_file("../pages/race.py", default_timeout=60)
    app.run()
    assert not app.exception, app.exception
    headings = [block.value for block in app.markdown if "Distance to" in block.value]
    assert any(shown_text(value) == f"**Distance to {hostile}**" for value in headings), headings
    assert all("](" not in value for value in headings), headings
