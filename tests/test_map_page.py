"""The Map page's logic under Streamlit's AppTest (components are not rendered: we check what the page hands
to st_folium)."""
from __future__ import annotations

import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from euphrates.timeline import KEY_DATES

GOVERNMENT_ORANGE = "#D55E00"


def run_map(query: dict[str, str] | None = None, **session) -> AppTest:
    app = AppTest.from_file("../pages/map.py", default_timeout=60)
    for key, value in (query or {}).items():
        app.query_params[key] = value
    for key, value in session.items():
        app.session_state[key] = value
    app.run()
    assert not app.exception, app.exception
    return app


def map_args(app: AppTest) -> dict:
    (component,) = app.get("component_instance")
    assert component.proto.component_name == "streamlit_folium.st_folium"
    return json.loads(component.proto.json_args)


def checkbox(app: AppTest, label: str):
    return next(box for box in app.checkbox if box.label == label)


def test_default_view_is_the_article_day_with_local_assets_only():
    app = run_map()
    args = map_args(app)
    assert "Eastern Syria, 19 October 2017" in args["feature_group"]
    assert args["returned_objects"] == ["bounds", "selected_layers", "selected_tags"]
    assert all(not link.startswith(("http:", "https:", "//")) for link in args["js_links"] + args["css_links"])
    assert "tile.openstreetmap.org" not in args["script"]
    # The bare address already reads as this view, so it is left alone (no history entry for nothing) ...
    assert "date" not in app.query_params
    # ... and the first change writes the whole view.
    app.slider(key="date").set_value(date(2017, 10, 20)).run()
    assert app.query_params["date"] in (["2017-10-20"], "2017-10-20")
    assert "factions" in app.query_params and "bbox" in app.query_params


def test_the_default_view_sends_the_map_under_600_kb():
    """The issue's budget for the dense layer: what the page hands to st_folium on a first visit."""
    (component,) = run_map().get("component_instance")
    assert len(component.proto.json_args.encode()) <= 600 * 1024


def test_query_params_restore_the_view():
    app = run_map({"date": "2017-06-01", "factions": "sdf,isis", "layers": "towns,control_areas"})
    assert app.slider(key="date").value.isoformat() == "2017-06-01"
    assert checkbox(app, "Government").value is False and checkbox(app, "SDF").value is True
    assert checkbox(app, "Events").value is False
    args = map_args(app)
    overlays = args["feature_group"].replace('\\"', '"')
    assert "1 June 2017" in overlays
    assert f'"fillColor": "{GOVERNMENT_ORANGE}"' not in overlays  # no government area
    assert 'data-controller="government"' not in overlays  # no government-held town
    assert 'data-town="raqqa" data-state="held" data-controller="isis"' in overlays


def test_bad_query_params_fall_back_with_a_notice():
    app = run_map({"date": "not-a-date", "factions": "sdf,martians"})
    assert app.slider(key="date").value.isoformat() == "2017-10-19"
    notices = [toast.value for toast in app.toast]
    assert any("date" in notice for notice in notices) and any("martians" in notice for notice in notices)


def test_unticking_a_faction_drops_its_overlays_and_updates_the_url():
    app = run_map()
    assert f'"fillColor": "{GOVERNMENT_ORANGE}"' in map_args(app)["feature_group"]
    checkbox(app, "Government").uncheck().run()
    overlays = map_args(app)["feature_group"].replace('\\"', '"')
    assert f'"fillColor": "{GOVERNMENT_ORANGE}"' not in overlays
    assert 'data-controller="government"' not in overlays
    assert "government" not in app.query_params["factions"]


def test_layer_control_tick_and_untick_reach_the_sidebar():
    app = run_map()
    listed = [{"name": name, "url": None, "shown": name not in ("ISIS", "Events")}
              for name in ("SDF", "Government", "ISIS", "Iraq", "Turkey", "Rebels", "Rivers", "Events")]
    app.session_state["map"] = {"selected_layers": listed,
                                "bounds": {"_southWest": {"lat": 34.0, "lng": 39.0},
                                           "_northEast": {"lat": 36.0, "lng": 41.0}}}
    app.run()
    assert checkbox(app, "ISIS").value is False and checkbox(app, "SDF").value is True
    assert checkbox(app, "Events").value is False and checkbox(app, "Rivers").value is True
    assert app.query_params["bbox"] == "39.0000,34.0000,41.0000,36.0000"


def test_a_paused_playback_sets_the_date_once_and_the_address_follows():
    app = run_map()
    assert "euphrates-playback" in map_args(app)["script"]  # the play control is in the base map
    app.session_state["map"] = {"selected_tags": ["euphrates-day:2017-08-01"]}
    app.run()
    assert app.slider(key="date").value.isoformat() == "2017-08-01"
    assert app.query_params["date"] in (["2017-08-01"], "2017-08-01")
    assert "1 August 2017" in map_args(app)["feature_group"]
    # The reader then moves the slider: the old pause, still in the component's value, does not pull it back.
    app.slider(key="date").set_value(date(2017, 9, 1)).run()
    app.run()
    assert app.slider(key="date").value.isoformat() == "2017-09-01"
    # A tag that is no day of the data changes nothing.
    app.session_state["map"] = {"selected_tags": ["euphrates-day:2031-01-01"]}
    app.run()
    assert app.slider(key="date").value.isoformat() == "2017-09-01"


def test_compare_two_days_from_the_address_marks_the_changes_and_lists_them():
    app = run_map({"date": "2017-10-19", "compare": "2017-06-01"})
    assert app.checkbox(key="compare_on").value is True
    assert app.slider(key="compare_date").value.isoformat() == "2017-06-01"
    overlays = map_args(app)["feature_group"]
    assert "compared with 1 June 2017" in overlays and "ChangedPlaces" not in overlays  # the script, not a name
    assert '{"id":"raqqa","lat":35.9528' in overlays and '"from":"isis","to":"sdf"' in overlays
    table = app.dataframe[0].value
    raqqa = table[table["place"] == "Raqqa"]
    assert list(raqqa["after"]) == ["ISIS (contested)", "SDF"] and raqqa["sources"].str.len().min() > 10
    assert any("Ground near sourced places gained" in caption.value for caption in app.caption)
    # Unticking it drops the second day from the map and the address.
    app.checkbox(key="compare_on").uncheck().run()
    assert "compared with" not in map_args(app)["feature_group"]
    assert "compare" not in app.query_params and len(app.dataframe) == 0


def test_comparing_starts_three_months_back_and_reaches_the_address():
    app = run_map({"date": "2017-10-19"})
    app.checkbox(key="compare_on").check().run()
    assert app.slider(key="compare_date").value.isoformat() == "2017-07-20"
    assert app.query_params["compare"] in (["2017-07-20"], "2017-07-20")


def test_key_date_jumps_the_slider():
    app = run_map({"date": "2016-06-01"})
    mayadeen = next(item for item in KEY_DATES if "Mayadeen" in item[1])
    app.selectbox(key="key_date").set_value(mayadeen).run()
    assert app.slider(key="date").value.isoformat() == "2017-10-14"


@pytest.mark.parametrize("query", ["البوكمال", "Abu Kamal", "albu kamal"])
def test_search_in_either_script_centres_the_map(query):
    app = run_map()
    app.text_input(key="town_query").input(query).run()
    args = map_args(app)
    assert args["zoom"] == 10
    lat, lon = args["center"]
    assert abs(lat - 34.45) < 0.05 and abs(lon - 40.92) < 0.05


def test_search_without_match_says_so():
    app = run_map()
    app.text_input(key="town_query").input("Atlantis").run()
    assert any("No town matches" in info.value for info in app.info)
    assert map_args(app)["center"] is None


def test_missing_assets_show_an_error_instead_of_an_empty_map(monkeypatch):
    import euphrates.streamlit_ui.map_page as map_page

    monkeypatch.setattr(map_page, "missing_vendored_files", lambda: ["leaflet/dist/leaflet.js"])
    app = run_map()
    assert "leaflet/dist/leaflet.js" in app.error[0].value
    assert app.get("component_instance") == [] or len(app.get("component_instance")) == 0


def test_broken_layer_shows_a_banner_and_the_rest_still_draws(small_geodata, monkeypatch):
    (small_geodata / "events.geojson").write_text("{broken")
    monkeypatch.setenv("EUPHRATES_GEODATA", str(small_geodata))
    app = run_map()
    assert "geodata/events.geojson: not valid JSON" in app.warning[0].value.replace("\\", "")
    args = map_args(app)
    assert 'data-town=' in args["feature_group"] and "Raqqa" in args["feature_group"]


@pytest.mark.parametrize("key, value", [
    ("factions", "[verify your account](https://evil.example/phish)"),
    ("date", "![t](http://evil.example/track.png)"),
    ("layers", ":red[**THIS MAP IS FAKE**]"),
])
def test_link_parameters_in_notices_reach_streamlit_as_text(key, value):
    """The toast renders Markdown, so each Markdown character of a link's text must arrive escaped."""
    app = run_map({key: value})
    notices = [toast.value for toast in app.toast]
    assert notices, "the ignored parameter should be reported"
    for notice in notices:
        for special in "[]()!*:":
            if special in value:
                assert notice.count(special) == notice.count("\\" + special), notice


def test_a_faction_ticked_in_the_layer_control_comes_back_in_the_sidebar():
    app = run_map({"factions": "sdf,isis"})
    assert checkbox(app, "Government").value is False
    listed = [{"name": name, "url": None, "shown": name != "Rebels"}
              for name in ("SDF", "Government", "ISIS", "Iraq", "Turkey", "Rebels")]
    app.session_state["map"] = {"selected_layers": listed}
    app.run()
    assert checkbox(app, "Government").value is True and checkbox(app, "Rebels").value is False
    assert app.query_params["factions"] == "sdf,government,isis,iraq,turkey"


def test_make_the_animation_with_an_empty_range_says_so_and_starts_nothing():
    app = run_map({"date": "2017-10-20"})
    app.date_input(key="animation_from").set_value(date(2017, 11, 1)).run()
    app.button(key="animation_start").click().run()
    assert not app.exception
    assert any("empty range" in error.value for error in app.error)
    assert "animation_job" not in app.session_state
