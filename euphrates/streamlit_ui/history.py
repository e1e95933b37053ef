"""The browser's Back button: Streamlit pushes a history entry each time a page writes its query parameters,
so after four date changes it took eight Backs to leave the map, the first seven doing nothing (issue 11,
item 5). This turns those pushes into replacements: the address still follows the view (links stay
shareable), page changes still push, and Back leaves the view for the page before it."""
from __future__ import annotations

import streamlit.components.v1 as components

# Runs in a same-origin component frame and patches the app's window once. A push whose path is the current
# one only changes the query string: replace instead.
_SCRIPT = """<script>
(function() {
    var app = window.parent;
    if (!app || app.__euphratesHistoryPatched) { return; }
    app.__euphratesHistoryPatched = true;
    var history = app.history, push = history.pushState.bind(history);
    history.pushState = function(state, title, url) {
        if (url !== undefined && url !== null &&
                new URL(String(url), app.location.href).pathname === app.location.pathname) {
            return history.replaceState(state, title, url);
        }
        return push(state, title, url);
    };
})();
</script>"""


def replace_query_pushes() -> None:
    """Install the patch (once per browser tab; the call is cheap on every rerun)."""
    components.html(_SCRIPT, height=0)
