"""Data and sources: every layer as a searchable table with downloads, the validator's report, the
bibliography and the licences."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from euphrates.analysis import state_on
from euphrates.geodata import LAYERS
from euphrates.offline import VENDOR_DIR
from euphrates.streamlit_ui.common import date_picker
from euphrates.streamlit_ui.data import geodata


def layer_table(layer) -> pd.DataFrame:
    """A layer's properties as flat text columns (lists and sources joined), with lon/lat for points."""
    rows = []
    for record, geometry in zip(layer.records, layer.frame.geometry):
        row = {}
        for key, value in record.model_dump(mode="json", by_alias=True).items():
            if key == "control":
                row["control"] = "; ".join(f"{e['from']}: {e['state']} {e['controller'] or ''}".strip()
                                           for e in value)
            elif key == "sources":
                row["sources"] = "; ".join(f"{s['publication']}, {s.get('date') or 'n.d.'}" for s in value)
            elif isinstance(value, (list, dict)):
                row[key] = json.dumps(value, ensure_ascii=False)
            else:
                row[key] = value
        if geometry.geom_type == "Point":
            row["lon"], row["lat"] = round(geometry.x, 5), round(geometry.y, 5)
        rows.append(row)
    return pd.DataFrame(rows)


def bibliography(data) -> pd.DataFrame:
    """Every source cited anywhere in the data, once, with how many features cite it."""
    counts: dict[tuple, int] = {}
    for spec in LAYERS:
        layer = data.layer(spec.name)
        for record in (layer.records if layer else []):
            sources = list(getattr(record, "sources", []) or [])
            sources += [s for entry in getattr(record, "control", []) or [] for s in entry.sources]
            for source in sources:
                key = (source.publication, source.date.isoformat() if source.date else "", source.title or "",
                       source.url or "")
                counts[key] = counts.get(key, 0) + 1
    frame = pd.DataFrame([{"publication": p, "date": d, "title": t, "url": u, "cited": n}
                          for (p, d, t, u), n in counts.items()])
    return frame.sort_values(["publication", "date"]) if not frame.empty else frame


def _search(frame: pd.DataFrame, query: str) -> pd.DataFrame:
    if not query or frame.empty:
        return frame
    text = frame.astype(str).apply(lambda column: column.str.contains(query, case=False, regex=False))
    return frame[text.any(axis=1)]


def render() -> None:
    data = geodata()
    st.title("Data and sources")
    st.subheader("Validation")
    if data.problems:
        st.error(f"{len(data.problems)} problem(s); the layers with problems are not shown:")
        st.dataframe(pd.DataFrame({"problem": [str(problem) for problem in data.problems]}), hide_index=True)
    else:
        st.success("Every layer passed validation: " + ", ".join(
            f"{spec.name} ({len(data.layers[spec.name])})" for spec in LAYERS if spec.name in data.layers))

    st.subheader("Layers")
    names = [spec.name for spec in LAYERS if spec.name in data.layers]
    titles = {spec.name: spec.title for spec in LAYERS}
    chosen = st.selectbox("Layer", names, index=names.index("towns") if "towns" in names else 0,
                          format_func=titles.get, key="data_layer")
    if chosen:
        table = layer_table(data.layers[chosen])
        query = st.text_input("Search this layer", key="data_query", placeholder="Any text: a name, a date…")
        shown = _search(table, query)
        st.caption(f"{len(shown)} of {len(table)} features")
        st.dataframe(shown, hide_index=True, width="stretch")
        spec = next(spec for spec in LAYERS if spec.name == chosen)
        left, right = st.columns(2)
        left.download_button(f"Download {spec.filename}", (data.directory / spec.filename).read_bytes(),
                             file_name=spec.filename, mime="application/geo+json", key="download_geojson")
        right.download_button(f"Download {chosen}.csv", table.to_csv(index=False).encode(),
                              file_name=f"{chosen}.csv", mime="text/csv", key="download_csv")

    st.subheader("The whole state on a date")
    day = date_picker("data_date")
    st.download_button(f"Download the state on {day:%d %b %Y} (JSON)",
                       json.dumps(state_on(data, day), indent=2, ensure_ascii=False).encode(),
                       file_name=f"euphrates_state_{day.isoformat()}.json", mime="application/json",
                       key="download_state")

    st.subheader("Bibliography")
    sources = bibliography(data)
    query = st.text_input("Search the sources", key="bibliography_query")
    st.dataframe(_search(sources, query), hide_index=True, width="stretch",
                 column_config={"url": st.column_config.LinkColumn("url")})

    st.subheader("Licences")
    licences = data.directory / "LICENCES.md"
    if licences.exists():
        with st.expander("Bundled geodata (geodata/LICENCES.md)"):
            st.text(licences.read_text(encoding="utf-8"))
    manifest = VENDOR_DIR / "MANIFEST.json"
    if manifest.exists():
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
        packages = sorted({(f["package"], f["version"], f["licence"]) for f in files})
        st.dataframe(pd.DataFrame(packages, columns=["web asset (npm)", "version", "licence"]), hide_index=True)


