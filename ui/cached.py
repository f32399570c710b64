"""Cached wrappers around ``ncv_core`` calls.

``st.cache_data`` holds tables and results, keyed only by strings and numbers: input paths, a
stamp of each file (size and modification time, so an overwritten upload is recomputed), and the
parameters. ``st.cache_resource`` holds one kind of object: loaded models (eval mode once, by
``load_model``), keyed by their folder and its stamp. Nothing caches a file handle. Each wrapper
returns the core's warnings beside its result, so a cache hit shows them again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

from ncv_core.demo import DemoPaths, ensure_demo
from ncv_core.evaluate import evaluate_model
from ncv_core.features import build_features
from ncv_core.interpret.attribution import AttributionResult, attribute
from ncv_core.interpret.filters import (
    FilterClusters,
    FilterInfluence,
    FilterMotifs,
    cluster_filters,
    filter_influence,
    filter_motifs,
)
from ncv_core.interpret.ism import IsmResult, saturation_mutagenesis
from ncv_core.interpret.motifs import jaspar_motifs
from ncv_core.interpret.tomtom import tomtom
from ncv_core.loci import rejections_frame
from ncv_core.modelio import LoadedModel, load_model
from ncv_core.tracks import cell_lines, read_manifest
from ui import notes
from ui.state import DataSet, file_stamp


@dataclass
class Features:
    """A feature table as the pages use it."""

    table: pd.DataFrame
    meta: dict
    rejected: pd.DataFrame
    summary: str
    notes: list[str] = field(default_factory=list)


@st.cache_data(show_spinner="Building the demo data set (first start only, a few seconds)...")
def demo_paths() -> DemoPaths:
    return ensure_demo()


@st.cache_data(show_spinner="Computing features...", max_entries=16)
def _features(loci: str, genome: str, tracks: str, cell_line: str, stamp: str) -> Features:
    with notes.collect() as found:
        result = build_features(loci, genome, tracks, cell_line)
    return Features(
        result.table, result.meta, rejections_frame(result.rejected), result.summary, found
    )


def features(data: DataSet) -> Features:
    """The feature table of a data set (the core's on-disk cache keeps it between restarts)."""
    return _features(*data.key())


@st.cache_data(show_spinner=False, max_entries=32)
def manifest_cell_lines(tracks: str, stamp: str) -> tuple[list[str], list[str]]:
    """Cell lines of a tracks manifest, and its warnings."""
    with notes.collect() as found:
        names = cell_lines(read_manifest(tracks))
    return names, found


@st.cache_resource(show_spinner="Loading the model...", max_entries=32, ttl=3600)
def _model(path: str, stamp: str) -> LoadedModel:
    return load_model(path)


def model(path: str) -> LoadedModel:
    """The model in ``path``, loaded once (eval mode) and shared by the reruns of this session.

    Callers never call ``.train()`` or ``.to()`` on it; predictions run under inference mode in
    the core."""
    return _model(str(path), file_stamp(path))


def _inputs(path: str, data_key: tuple, rows: list[int] | None, seq: str | None):
    """Model inputs for some rows of the data set (``seq`` replaces the window of the one row)."""
    loaded = model(path)
    feats = _features(*data_key)
    sub = feats.table if rows is None else feats.table.iloc[rows]
    if seq is not None:
        sub = sub.assign(seq=[seq] * len(sub))
    return loaded, loaded.encode(sub, feats.meta)


@st.cache_data(show_spinner="Evaluating...", max_entries=32)
def _evaluation(path: str, stamp: str, data_key: tuple) -> tuple[dict, list[str]]:
    feats = _features(*data_key)
    with notes.collect() as found:
        report = evaluate_model(model(path), feats.table, meta=feats.meta)
    return report, found


def evaluation(path: str, data: DataSet) -> tuple[dict, list[str]]:
    """``evaluate_model`` of a model on a data set, with ROC/PR curves and baselines."""
    return _evaluation(str(path), file_stamp(path), data.key())


@st.cache_data(show_spinner="Saturation mutagenesis...", max_entries=64)
def _ism(path: str, stamp: str, data_key: tuple, row: int, seq: str | None):
    loaded, (x_seq, x_tab) = _inputs(path, data_key, [row], seq)
    return saturation_mutagenesis(loaded.model, x_seq, x_tab)


def ism(path: str, data: DataSet, row: int, seq: str | None = None) -> IsmResult:
    """ISM of one locus of the data set (or of ``seq`` with that locus's tabular features)."""
    return _ism(str(path), file_stamp(path), data.key(), row, seq)


@st.cache_data(show_spinner="Attributions...", max_entries=64)
def _attribution(path, stamp, data_key, row, seq, method) -> AttributionResult:
    loaded, (x_seq, x_tab) = _inputs(path, data_key, [row], seq)
    return attribute(loaded.model, x_seq, x_tab, method=method, random_state=0)


def attribution(
    path: str, data: DataSet, row: int, seq: str | None = None, method: str = "ig"
) -> AttributionResult:
    """captum attributions of one locus (or ``seq``), as ``ncv_core.interpret.attribute``."""
    return _attribution(str(path), file_stamp(path), data.key(), row, seq, method)


@st.cache_data(show_spinner="Reading the filters' sites...", max_entries=16)
def _filter_motifs(path: str, stamp: str, data_key: tuple) -> FilterMotifs:
    loaded, (x_seq, x_tab) = _inputs(path, data_key, None, None)
    return filter_motifs(loaded.model, x_seq, x_tab)


def motifs_of_filters(path: str, data: DataSet) -> FilterMotifs:
    """PWMs of the model's first-layer filters from every sequence of the data set."""
    return _filter_motifs(str(path), file_stamp(path), data.key())


@st.cache_data(show_spinner="Loading the JASPAR CORE vertebrates matrices...")
def jaspar() -> list:
    return jaspar_motifs()


@st.cache_data(show_spinner="Comparing filters with JASPAR (TomTom)...", max_entries=16)
def _matches(path: str, stamp: str, data_key: tuple) -> pd.DataFrame:
    pwms = _filter_motifs(path, stamp, data_key).pwms
    queries = {f"filter_{i}": p for i, p in enumerate(pwms)}
    return tomtom(queries, jaspar(), n_matches=1, n_jobs=1)


def filter_matches(path: str, data: DataSet) -> pd.DataFrame:
    """Best JASPAR match of each filter's PWM (TomTom p, E and q-values)."""
    return _matches(str(path), file_stamp(path), data.key())


@st.cache_data(show_spinner="Nullifying each filter...", max_entries=16)
def _influence(path, stamp, data_key, n_seqs) -> tuple[FilterInfluence, FilterClusters]:
    rows = np.linspace(0, len(_features(*data_key).table) - 1, n_seqs).round().astype(int)
    loaded, (x_seq, x_tab) = _inputs(path, data_key, sorted(set(rows.tolist())), None)
    influence = filter_influence(loaded.model, x_seq, x_tab)
    return influence, cluster_filters(influence)


def influence(path: str, data: DataSet, n_seqs: int) -> tuple[FilterInfluence, FilterClusters]:
    """Filter influence on ``n_seqs`` evenly spaced rows, and its hierarchical clustering."""
    return _influence(str(path), file_stamp(path), data.key(), n_seqs)
