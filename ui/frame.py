"""The frame around every page: ``app.py`` (page config, sidebar, navigation, error display).

Streamlit treats a top-level ``pages/`` folder as its older multipage layout until ``app.py``
first calls ``st.navigation``: on a fresh server, a deep link such as ``/train`` (a bookmark, a
reloaded tab) runs ``pages/train.py`` alone, without the frame. Every page therefore starts with
:func:`require`, which sends such a run through ``app.py`` and on to the same page.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

_LOCAL = threading.local()  # one Streamlit script thread per session run
_DEEP_LINK = "_ncv_deep_link"
_ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def active() -> Iterator[None]:
    """Mark the page run inside ``app.py``'s frame (a ``with`` around ``page.run()``)."""
    _LOCAL.active = True
    try:
        yield
    finally:
        _LOCAL.active = False


def require(page_file: str) -> None:
    """First call of every page (``frame.require(__file__)``): outside the frame, go through
    ``app.py`` to this page (the run stops here)."""
    if getattr(_LOCAL, "active", False):
        return
    st.session_state[_DEEP_LINK] = Path(page_file).resolve().relative_to(_ROOT).as_posix()
    st.switch_page("app.py")


def follow_deep_link() -> None:
    """In ``app.py`` after ``st.navigation``: continue to the page a deep link asked for."""
    target = st.session_state.pop(_DEEP_LINK, None)
    if target:
        st.switch_page(target)
