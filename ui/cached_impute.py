"""Cached wrappers of the imputation core (the Imputation page): the demo panel, model folders
keyed by their stamps, per-track scores, views and exports. The rest of the app's cached calls
are in :mod:`ui.cached`."""

from __future__ import annotations

import streamlit as st

from ncv_core.demo.impute_panel import PanelPaths, ensure_impute_panel
from ncv_core.impute.export import export_missing, write_imputed_track
from ncv_core.impute.folder import load_fit
from ncv_core.impute.result import AvocadoFit
from ncv_core.impute.view import TrackView, track_view
from ncv_core.impute.workflow import evaluate_tracks
from ncv_core.io.manifest import read_manifest
from ui.dataset import demo_paths, file_stamp


@st.cache_data(show_spinner="Building the demo's imputation panel (first use only)...")
def impute_panel() -> PanelPaths:
    """The demo's imputation panel (``DEMO/impute``), built beside the demo on first use."""
    return ensure_impute_panel(demo_paths())


@st.cache_resource(show_spinner="Loading the imputation model...", max_entries=16, ttl=3600)
def _imputation_model(path: str, stamp: str) -> tuple[AvocadoFit, dict]:
    return load_fit(path)


def imputation_model(path: str) -> tuple[AvocadoFit, dict]:
    """An imputation model folder's fit (eval mode, shared, never modified) and card."""
    return _imputation_model(str(path), file_stamp(path))


@st.cache_data(show_spinner="Scoring the imputed tracks...", max_entries=32)
def _imputation_scores(path: str, stamp: str, truth: str | None) -> list[dict]:
    fit, card = _imputation_model(path, stamp)
    if not fit.held_out and truth is None:
        return []
    return evaluate_tracks(fit, card, truth=truth)


def imputation_scores(path: str, truth: str | None) -> list[dict]:
    """Per-track scores of the held-out tracks and of ``truth``'s tracks (``evaluate_tracks``)."""
    return _imputation_scores(str(path), file_stamp(path), truth)


@st.cache_data(show_spinner="Imputing...", max_entries=64)
def _track_view(path: str, stamp: str, cell: str, mark: str, region: int, truth: str | None):
    fit, card = _imputation_model(path, stamp)
    specs = read_manifest(truth) if truth else []
    return track_view(fit, card, cell, mark, region, truth=specs)


def imputed_view(path: str, cell: str, mark: str, region: int, truth: str | None) -> TrackView:
    """One imputed track over one region beside its truth and neighbours (``track_view``)."""
    return _track_view(str(path), file_stamp(path), cell, mark, region, truth)


@st.cache_data(show_spinner="Writing the bigWig...", max_entries=32)
def _imputed_bigwig(path: str, stamp: str, cell: str, mark: str, out: str) -> bytes:
    fit, card = _imputation_model(path, stamp)
    bw, _ = write_imputed_track(fit, card, cell, mark, out, peaks=False)
    return bw.read_bytes()


def imputed_bigwig(path: str, cell: str, mark: str, out: str) -> bytes:
    """The bytes of the imputed track's bigWig (written to ``out`` once per model)."""
    return _imputed_bigwig(str(path), file_stamp(path), cell, mark, str(out))


@st.cache_data(show_spinner="Imputing every missing track...", max_entries=8)
def _imputed_manifest(path: str, stamp: str, out: str) -> str:
    fit, card = _imputation_model(path, stamp)
    return str(export_missing(fit, card, out))


def imputed_manifest(path: str, out: str) -> str:
    """``export_missing`` of a model into ``out``: the manifest with the imputed tracks."""
    return _imputed_manifest(str(path), file_stamp(path), str(out))
