"""`python -m euphrates`: exit codes and output, run as a user would run it."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "euphrates", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_validate_bundled_geodata_exits_0_with_a_line_per_layer():
    result = run_cli("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("factions: ")
    assert any(line.startswith("towns: ") and "features (Point)" in line for line in lines)
    assert len(lines) == 10


def test_validate_broken_geodata_exits_1_with_a_line_per_problem(small_geodata):
    (small_geodata / "events.geojson").write_text("{oops")
    (small_geodata / "sites.geojson").write_text("[]")
    result = run_cli("validate", "--geodata", str(small_geodata))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "geodata/sites.geojson: top level is not a GeoJSON FeatureCollection",
        "geodata/events.geojson: not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2",
    ]
    assert "Traceback" not in result.stderr


def test_control_prints_json_of_town_to_faction(small_geodata):
    result = run_cli("control", "--date", "2017-10-15", "--geodata", str(small_geodata))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"raqqa": "isis", "mayadeen": "government"}


def test_control_before_the_data_is_a_bad_argument(small_geodata):
    result = run_cli("control", "--date", "2010-01-01", "--geodata", str(small_geodata))
    assert result.returncode == 2 and result.stdout == ""
    assert "2010-01-01 is outside the data" in result.stderr


def test_control_detail_gives_state_and_factions(small_geodata):
    result = run_cli("control", "--date", "2017-07-01", "--detail", "--geodata", str(small_geodata))
    detail = json.loads(result.stdout)["raqqa"]
    assert detail == {"controller": "isis", "state": "contested", "factions": ["isis", "sdf"], "since": "2017-06-06"}


def test_control_bundled_geodata_on_the_article_day():
    control = json.loads(run_cli("control", "--date", "2017-10-19").stdout)
    assert (control["raqqa"], control["mayadeen"], control["bukamal"]) == ("sdf", "government", "isis")


@pytest.mark.parametrize("args, message", [
    (("control", "--date", "19/10/2017"), "not a date in the form YYYY-MM-DD"),
    (("control",), "the following arguments are required: --date"),
    (("validate", "--geodata", "/no/such/dir"), "not a directory"),
    (("frobnicate",), "invalid choice"),
])
def test_bad_arguments_exit_2_with_a_message(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [("--help",), ("validate", "--help"), ("control", "--help")])
def test_help(args):
    result = run_cli(*args)
    assert result.returncode == 0 and "usage: python -m euphrates" in result.stdout
