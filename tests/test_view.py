"""ViewState: defaults, validation and the round trip through URL parameters."""
from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from euphrates.view import DEFAULT_FACTIONS, OVERLAY_LAYERS, ViewState, parse_bounds


def test_defaults_show_the_article_day_with_everything_on():
    view = ViewState()
    assert view.date == date(2017, 10, 19)
    assert view.factions == DEFAULT_FACTIONS and view.layers == OVERLAY_LAYERS and view.basemap == "vector"


def test_round_trip_through_query_params():
    view = ViewState(date=date(2017, 6, 1), factions=("sdf", "isis"), layers=("towns", "rivers"),
                     basemap="osm", bounds=(38.0, 34.5, 41.0, 36.5))
    params = view.to_query_params()
    assert params == {"date": "2017-06-01", "factions": "sdf,isis", "layers": "rivers,towns", "basemap": "osm",
                      "bbox": "38.0000,34.5000,41.0000,36.5000"}
    restored, warnings = ViewState.from_query_params(params, known_factions={"sdf", "isis"})
    assert restored == view and warnings == []


def test_bad_params_fall_back_and_are_reported():
    view, warnings = ViewState.from_query_params(
        {"date": "2030-01-01", "factions": "sdf,martians", "layers": "towns,bogus", "bbox": "41,34,38,36"},
        known_factions={"sdf", "isis"})
    assert view.date == date(2017, 10, 19) and view.factions == ("sdf",) and view.layers == OVERLAY_LAYERS
    assert len(warnings) == 4
    assert any("bbox" in warning and "inverted" in warning for warning in warnings)
    assert any("martians" in warning for warning in warnings)


def test_invalid_values_raise():
    with pytest.raises(ValidationError):
        ViewState(date=date(2015, 1, 1))
    with pytest.raises(ValidationError):
        ViewState(bounds=(41.0, 34.0, 38.0, 36.0))
    with pytest.raises(ValueError, match="unknown faction"):
        ViewState(factions=("sdf", "martians")).check_factions({"sdf"})


@pytest.mark.parametrize("text", ["nan,35,41,36", "39,35,inf,36", "39,-inf,41,36"])
def test_bbox_with_nan_or_inf_is_named_as_such_not_inverted(text):
    with pytest.raises(ValueError, match="finite numbers"):
        parse_bounds(text)


def test_a_link_naming_only_unknown_factions_falls_back_to_the_default_set():
    view, warnings = ViewState.from_query_params({"factions": "<unknown>,martians"}, known_factions=set(DEFAULT_FACTIONS))
    assert view.factions == DEFAULT_FACTIONS
    assert any("default factions" in warning for warning in warnings)


@pytest.mark.parametrize("key", ["layers", "factions"])
def test_separators_with_no_names_are_reported_and_fall_back(key):
    view, warnings = ViewState.from_query_params({key: ",,,,"})
    assert getattr(view, key) == getattr(ViewState(), key)
    assert any(f"{key}=',,,,'" in warning for warning in warnings)
    empty, quiet = ViewState.from_query_params({key: ""})  # what the app writes when all are off
    assert getattr(empty, key) == () and not quiet


def test_a_sliver_bbox_is_widened_to_a_town_and_round_trips_through_the_url():
    view, warnings = ViewState.from_query_params({"bbox": "40,35,40.0000001,35.0000001"})
    assert not warnings
    west, south, east, north = view.bounds
    assert east - west == pytest.approx(0.01) and north - south == pytest.approx(0.01)
    again, warnings = ViewState.from_query_params(view.to_query_params())
    assert not warnings and again.bounds == pytest.approx(view.bounds, abs=1e-4)
