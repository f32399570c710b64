"""The Imputation page, driven headless with AppTest on the demo's imputation panel.

The slow part, the fit, is replaced by the same fit on the panel's first region only (2,000
bins) with few epochs; everything else (the background job, its stop, the model folder, the
view, the scores, the imputed manifest on the Data page) runs as in the app.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ncv_core.impute import workflow
from ncv_core.io.manifest import read_manifest
from ui import impute_jobs

ROOT = Path(__file__).resolve().parents[2]


class _NoPagesFolder(type(Path())):
    """``Path`` for streamlit's PagesManager, blind to ``pages/`` (as in test_app.py)."""

    def exists(self, *args, **kwargs) -> bool:
        return self.name != "pages" and super().exists(*args, **kwargs)


@pytest.fixture(autouse=True)
def _app_env(tmp_path_factory, tmp_path, monkeypatch):
    monkeypatch.setattr("streamlit.runtime.pages_manager.Path", _NoPagesFolder)
    monkeypatch.setenv("NCV_DEMO_DIR", str(tmp_path_factory.getbasetemp() / "app-demo"))
    monkeypatch.setenv("NCV_SESSION_DIR", str(tmp_path / "sessions"))
    st.cache_data.clear()
    st.cache_resource.clear()

    def small_fit(sources, **options):  # the panel's first region, a large batch
        sources = [replace(s, regions=s.regions[:1]) for s in sources]
        return workflow.fit_tracks(sources, batch_size=4096, **options)

    monkeypatch.setattr(impute_jobs, "fit_tracks", small_fit)
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/imputation.py").run()
    assert not at.exception, at.exception
    return at


def _button(at: AppTest, label: str):
    found = [b for b in at.button if b.label.startswith(label)]
    assert found, f"no button {label!r} among {[b.label for b in at.button]}"
    return found[0]


def _wait(at: AppTest, limit: float = 120.0) -> None:
    run = at.session_state["ncv_impute_run"]
    end = time.monotonic() + limit
    while run.running and time.monotonic() < end:
        time.sleep(0.3)
        at.run()
    assert not run.running, "the imputation fit did not finish"
    at.run()
    assert not at.exception, at.exception


def test_train_view_score_download_and_use_the_imputed_tracks() -> None:
    at = _page()
    assert "Train a model" in at.info[0].value
    at.number_input[1].set_value(2)  # epochs (the context input is hidden: a BED file)
    _button(at, "Train").click().run()
    _wait(at)
    model = Path(at.session_state["ncv_impute_model"])
    assert (model / "card.json").exists() and (model / "model.safetensors").exists()
    assert at.selectbox[1].value == "GM12878" and at.selectbox[2].value == "DNase"  # missing first
    assert len(at.get("plotly_chart")) == 2  # training curve, the imputed track and its company
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) == {"MSE (arcsinh scale)", "Average-activity baseline", "Improvement"}
    assert float(metrics["MSE (arcsinh scale)"]) > 0  # GM12878 DNase is in the hidden truth
    spec = at.get("plotly_chart")[1].proto.spec
    assert "DNase imputed" in spec and "DNase measured (truth)" in spec
    assert "Download GM12878 DNase (bigWig)" in [b.proto.label for b in at.download_button]

    _button(at, "Use imputed tracks").click().run()
    assert not at.exception, at.exception
    data = at.session_state["ncv_data"]
    assert data.cell_line == "GM12878" and data.name == "GM12878 + imputed tracks"
    imputed = [(s.cell_line, s.mark) for s in read_manifest(data.tracks) if s.imputed]
    assert ("GM12878", "DNase") in imputed and len(imputed) == 13
    assert at.title[0].value == "Data"
    assert {m.label: m.value for m in at.metric}["Kept loci"] == "4,428"
    assert "DNase" in " ".join(c.value for c in at.caption)


def test_stop_saves_the_model_trained_so_far() -> None:
    at = _page()
    at.number_input[1].set_value(200)
    _button(at, "Train").click().run()
    run = at.session_state["ncv_impute_run"]
    end = time.monotonic() + 60
    while not run.snapshot().history and time.monotonic() < end:  # an epoch done: training
        time.sleep(0.2)
    at.run()
    _button(at, "Stop").click().run()
    _wait(at)
    model = at.session_state["ncv_impute_model"]
    assert "(stopped early)" in " ".join(c.value for c in at.caption)
    assert Path(model, "card.json").exists()


def test_loading_a_folder_that_is_not_a_model_says_so(tmp_path) -> None:
    at = _page()
    at.text_input[-1].set_value(str(tmp_path)).run()
    _button(at, "Load").click().run()
    assert not at.exception
    assert "model card not found" in at.error[0].value
