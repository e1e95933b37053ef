"""The analysis pages' logic under AppTest: each renders its charts and tables from the data, and the Timeline
hands a chosen event to the Map page."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest


def run_app(page: str | None = None) -> AppTest:
    app = AppTest.from_file("../app.py", default_timeout=90)
    app.run()
    if page:
        app.switch_page(page).run()
    assert not app.exception, app.exception
    return app


def charts(app: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("vega_lite_chart")]


def test_timeline_charts_events_and_town_control():
    app = run_app("pages/timeline.py")
    assert len(charts(app)) == 2
    assert "capture" in app.multiselect(key="timeline_kinds").value


def test_timeline_event_opens_the_map_on_its_day_and_place():
    app = run_app("pages/timeline.py")
    events = app.selectbox(key="timeline_event")
    index = next(i for i, label in enumerate(events.options) if "Mayadeen" in label and "2017" in label)
    events.select_index(index).run()
    app.button(key="timeline_show").click().run()
    assert not app.exception, app.exception
    (component,) = app.get("component_instance")
    args = json.loads(component.proto.json_args)
    assert "14 October 2017" in args["feature_group"]
    assert app.query_params["date"] in ("2017-10-14", ["2017-10-14"])
    west, south, east, north = (float(x) for x in "".join(app.query_params["bbox"]).split(","))
    assert west < 40.45 < east and south < 35.02 < north and east - west < 2


def test_map_view_survives_a_visit_to_another_page():
    app = run_app()
    next(box for box in app.checkbox if box.label == "Government").uncheck().run()
    app.switch_page("pages/about.py").run()
    app.switch_page("pages/map.py").run()
    assert next(box for box in app.checkbox if box.label == "Government").value is False
    assert next(box for box in app.checkbox if box.label == "SDF").value is True
    assert app.slider(key="date").value.isoformat() == "2017-10-19"


def test_factions_page_shows_areas_and_held_towns():
    app = run_app("pages/factions.py")
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics and all("km²" in value for value in metrics.values())
    captions = " ".join(caption.value for caption in app.caption)
    assert "Raqqa" in captions and "Mayadeen" in captions
    assert len(charts(app)) == 1


def test_race_page_charts_each_target_and_states_its_method():
    app = run_app("pages/race.py")
    assert len(charts(app)) == 3
    assert any("geodesic" in caption.value.lower() for caption in app.caption)


def test_data_page_tables_search_and_report():
    app = run_app("pages/data.py")
    assert any("passed validation" in success.value for success in app.success)
    app.text_input(key="data_query").input("Mayadeen").run()
    table = app.dataframe[0].value
    assert 0 < len(table) < 10 and table["id"].str.contains("mayadeen").any()
    bibliography = app.dataframe[1].value
    assert len(bibliography) > 50 and bibliography["url"].str.startswith("http").all()


def test_overlay_page_shows_the_map_before_any_upload():
    app = run_app("pages/overlay.py")
    (component,) = app.get("component_instance")
    assert "Your overlay on 19 Oct 2017" in json.loads(component.proto.json_args)["feature_group"]
    assert not app.error


def test_navigation_and_pages_use_no_icon_fonts():
    """Emoji draw as empty boxes where no emoji font is installed, and Streamlit fetches its Material icons' font
    from Google Fonts (seen in tests/test_map_browser.py::test_no_request_leaves_localhost): no icons at all."""
    import ast
    from pathlib import Path

    for path in [Path(__file__).resolve().parent.parent / "app.py",
                 *Path(__file__).resolve().parent.parent.glob("euphrates/streamlit_ui/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        icons = [keyword.arg for node in ast.walk(tree) if isinstance(node, ast.Call)
                 for keyword in node.keywords if keyword.arg in ("icon", "page_icon")]
        assert icons == [], f"{path.name}: {icons}"
    run_app()
