"""The Streamlit app, driven headless with streamlit.testing's AppTest on the demo data."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _clear_caches(tmp_path_factory, monkeypatch):
    """Fresh Streamlit caches per test (streamlit issue 9139) and one demo for the whole run."""
    monkeypatch.setenv("NCV_DEMO_DIR", str(tmp_path_factory.getbasetemp() / "app-demo"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def test_data_page_opens_on_the_demo() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Data"
    assert "kept 4,428, rejected 0" in at.caption[0].value
    at.selectbox[0].select("K562").run()
    assert not at.exception
    assert "kept 2,696" in at.caption[0].value
