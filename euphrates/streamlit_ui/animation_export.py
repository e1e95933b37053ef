"""The Map page's "Export animation": the current view over a range of days, made in the background by the
`animate` command (euphrates.animation_job); a fragment polls its progress, so the page stays usable, and offers
the file when it is ready."""
from __future__ import annotations

from datetime import timedelta

import streamlit as st

from euphrates.animate import AnimationError, Step, frame_dates
from euphrates.animation_job import AnimationJob
from euphrates.streamlit_ui.text import plain
from euphrates.timeline import DATA_END, DATA_START
from euphrates.view import ViewState

JOB_KEY = "animation_job"
ERROR_KEY = "animation_error"
STEPS = {"1d": "a day", "1w": "a week", "1m": "a month", "changes": "each day control changed"}
FORMATS = {"gif": "GIF", "mp4": "MP4 (H.264)", "webm": "WebM (VP9)"}
MIME = {"gif": "image/gif", "mp4": "video/mp4", "webm": "video/webm"}


def render(view: ViewState, data) -> None:
    # Keyed, so the browser keeps it open across reruns (the progress shows in it); unkeyed, a rerun that
    # remounts it closes it again.
    with st.expander("Export animation", key="animation_panel"):
        start_default = view.compared_span[0] if view.compared_span else max(DATA_START, view.date - timedelta(days=183))
        start = st.date_input("From", value=start_default, min_value=DATA_START, max_value=DATA_END,
                              key="animation_from")
        end = st.date_input("To", value=view.date, min_value=DATA_START, max_value=DATA_END, key="animation_to")
        step = st.selectbox("One frame per", list(STEPS), index=1, format_func=STEPS.get, key="animation_step")
        fmt = st.selectbox("Format", list(FORMATS), format_func=FORMATS.get, key="animation_format")
        st.caption("The view on screen (factions, layers, area), 1200×800, 2 frames a second; the last frame "
                   "holds 2 s.")
        job: AnimationJob | None = st.session_state.get(JOB_KEY)
        busy = job is not None and not job.finished
        # Started in the click's callback, which runs before the script: a run that a rerun from the map replaces
        # midway (its bounds, say) would otherwise lose the click.
        st.button("Make the animation", disabled=busy, key="animation_start", on_click=_start, args=(view, data))
        error = st.session_state.pop(ERROR_KEY, None)
        if error:
            st.error(plain(error))
        job = st.session_state.get(JOB_KEY)
        if job is not None and not job.finished:
            _running()
        elif job is not None:
            _result(job)


def _start(view: ViewState, data) -> None:
    """The button's callback: the job for the range and options chosen (read from their widgets' keys)."""
    start, end = st.session_state["animation_from"], st.session_state["animation_to"]
    step, fmt = st.session_state["animation_step"], st.session_state["animation_format"]
    try:
        count = len(frame_dates(start, end, Step.parse(step), data))
    except AnimationError as error:
        st.session_state[ERROR_KEY] = str(error)
        return
    job: AnimationJob | None = st.session_state.get(JOB_KEY)
    if job is not None:
        job.discard()
    st.session_state[JOB_KEY] = AnimationJob.start(view, start, end, step, fmt)
    st.session_state["animation_frames"] = count


@st.fragment(run_every=1.0)
def _running() -> None:
    """Redrawn every second on its own, not the page, while the job runs; then the page once, for the result."""
    job: AnimationJob | None = st.session_state.get(JOB_KEY)
    if job is None or job.finished:
        st.rerun()
    total = job.total or st.session_state.get("animation_frames") or 1
    st.progress(min(1.0, job.done / total), text=f"Drawing frame {job.done} of {total}…")
    if st.button("Cancel", key="animation_cancel"):
        job.discard()
        st.session_state.pop(JOB_KEY, None)
        st.rerun()


def _result(job: AnimationJob) -> None:
    if job.succeeded:
        st.download_button(f"Download {job.out.name}", data=job.out.read_bytes(), file_name=job.out.name,
                           mime=MIME[job.out.suffix.lstrip(".")], key="animation_download")
    else:
        st.error(plain(f"The animation could not be made: {job.message or 'the command failed'}"))
