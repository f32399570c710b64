"""Cached wrappers around ``ncv_core`` calls.

``st.cache_data`` holds tables and results, keyed only by strings and numbers: input paths, a
stamp of each file (size and modification time, so an overwritten upload is recomputed), and the
parameters. ``st.cache_resource`` holds one kind of object: loaded models (eval mode once, by
``load_model``), keyed by their folder and its stamp. Nothing caches a file handle. Each wrapper
returns the core's warnings beside its result, so a cache hit shows them again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from ncv_core.demo.species import ensure_species
from ncv_core.evaluate import evaluate_model
from ncv_core.features.build import build_features
from ncv_core.features.cross_species import Target, pseudo_label_species
from ncv_core.features.lift_input import read_lift_input
from ncv_core.features.loci import rejections_frame
from ncv_core.features.tracks import track_peaks, track_signals
from ncv_core.interpret.attribution import AttributionResult, attribute
from ncv_core.interpret.filters import (
    FilterClusters,
    FilterInfluence,
    FilterMotifs,
    cluster_filters,
    filter_influence,
    filter_motifs,
)
from ncv_core.interpret.importance import FeatureImportance, feature_importance
from ncv_core.interpret.ism import IsmResult, saturation_mutagenesis
from ncv_core.interpret.tomtom import tomtom
from ncv_core.io.manifest import cell_lines, read_manifest
from ncv_core.io.model_folder import load_model
from ncv_core.io.motif_files import jaspar_motifs
from ncv_core.models.loaded import LoadedModel
from ncv_core.score import Background, background_scores, lookup_variant, score_features
from ncv_core.training.plan import TrainingPlan, plan_training
from ui import notes
from ui.dataset import DataSet, demo_paths, file_stamp


@dataclass
class Features:
    """A feature table as the pages use it."""

    table: pd.DataFrame
    meta: dict
    rejected: pd.DataFrame
    summary: str
    notes: list[str] = field(default_factory=list)


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


@st.cache_data(show_spinner=False, max_entries=64)
def _n_rows(*data_key: str) -> int:
    return len(_features(*data_key).table)


def n_rows(data: DataSet) -> int:
    """Rows of the data set's feature table (cached apart: no table copy on every page)."""
    return _n_rows(*data.key())


@st.cache_data(show_spinner=False, max_entries=32)
def manifest_cell_lines(tracks: str, stamp: str) -> tuple[list[str], list[str]]:
    """Cell lines of a tracks manifest, and its warnings."""
    with notes.collect() as found:
        names = cell_lines(read_manifest(tracks))
    return names, found


@st.cache_data(show_spinner=False, max_entries=64)
def _plan(data_key: tuple, options: tuple) -> TrainingPlan:
    feats = _features(*data_key)
    return plan_training(feats.table, meta=feats.meta, **dict(options))


def training_plan(data: DataSet, **options) -> TrainingPlan:
    """:func:`ncv_core.training.plan.plan_training` of the data set's table under ``options``
    (whether it can be trained on, batches per epoch, how far alpha(t) ramps)."""
    return _plan(data.key(), tuple(sorted(options.items())))


@st.cache_resource(show_spinner="Loading the model...", max_entries=32, ttl=3600)
def _model(path: str, stamp: str) -> LoadedModel:
    return load_model(path)


def model(path: str) -> LoadedModel:
    """The model in ``path``, loaded once (eval mode) and shared by the reruns of this session.

    Callers never call ``.train()`` or ``.to()`` on it; predictions run under inference mode in
    the core."""
    return _model(str(path), file_stamp(path))


def _inputs(path: str, data_key: tuple, frame: pd.DataFrame | None):
    """The model and its inputs for ``frame`` (default: the whole feature table of the data set;
    the table's metadata checks the genome build)."""
    loaded = model(path)
    feats = _features(*data_key)
    return loaded, loaded.encode(feats.table if frame is None else frame, feats.meta)


@st.cache_data(show_spinner="Summarising features...", max_entries=16)
def _importance(data_key: tuple, standardize: bool) -> FeatureImportance:
    feats = _features(*data_key)
    return feature_importance(feats.table, meta=feats.meta, standardize=standardize)


def importance(data: DataSet, standardize: bool = False) -> FeatureImportance:
    """Per-label distributions and label correlations of the data set's features."""
    return _importance(data.key(), standardize)


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
def _ism(path: str, stamp: str, data_key: tuple, frame: pd.DataFrame) -> IsmResult:
    loaded, (x_seq, x_tab) = _inputs(path, data_key, frame)
    return saturation_mutagenesis(loaded.model, x_seq, x_tab)


def ism(path: str, data: DataSet, frame: pd.DataFrame) -> IsmResult:
    """ISM of the rows of a feature table ``frame`` (one locus, usually) under the model."""
    return _ism(str(path), file_stamp(path), data.key(), frame)


@st.cache_data(show_spinner="Attributions...", max_entries=64)
def _attribution(path, stamp, data_key, frame, method) -> AttributionResult:
    loaded, (x_seq, x_tab) = _inputs(path, data_key, frame)
    return attribute(loaded.model, x_seq, x_tab, method=method, random_state=0)


def attribution(path: str, data: DataSet, frame: pd.DataFrame, method: str) -> AttributionResult:
    """captum attributions of the rows of ``frame``, as ``ncv_core.interpret.attribute``."""
    return _attribution(str(path), file_stamp(path), data.key(), frame, method)


@st.cache_data(show_spinner="Reading the filters' sites...", max_entries=16)
def _filter_motifs(path: str, stamp: str, data_key: tuple) -> FilterMotifs:
    loaded, (x_seq, x_tab) = _inputs(path, data_key, None)
    return filter_motifs(loaded.model, x_seq, x_tab)


def motifs_of_filters(path: str, data: DataSet) -> FilterMotifs:
    """PWMs of the model's first-layer filters from every sequence of the data set."""
    return _filter_motifs(str(path), file_stamp(path), data.key())


@st.cache_data(show_spinner="Loading the JASPAR CORE vertebrates matrices...")
def jaspar() -> list:
    return jaspar_motifs()


@st.cache_data(show_spinner=False, max_entries=4096)
def _match(path: str, stamp: str, data_key: tuple, distance: str, index: int) -> pd.DataFrame:
    pwm = _filter_motifs(path, stamp, data_key).pwms[index]
    return tomtom({f"filter_{index}": pwm}, jaspar(), distance=distance, n_matches=1, n_jobs=1)


def filter_matches(
    path: str,
    data: DataSet,
    distance: str,
    filters: Sequence[int],
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Best JASPAR match of some filters' PWMs (TomTom p, E and q-values), cached per filter.

    A query's TomTom statistics depend only on it and the targets (its null distribution is its
    own columns against the database; q-values are over the targets), so matching filters one by
    one gives the numbers of matching them all at once."""
    frames = []
    for k, i in enumerate(filters):
        frames.append(_match(str(path), file_stamp(path), data.key(), distance, int(i)))
        if progress is not None:
            progress(k + 1, len(filters))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["query"])


@st.cache_data(show_spinner="Nullifying each filter...", max_entries=16)
def _influence(path, stamp, data_key, n_seqs) -> tuple[FilterInfluence, FilterClusters]:
    table = _features(*data_key).table
    rows = np.unique(np.linspace(0, len(table) - 1, n_seqs).round().astype(int))
    loaded, (x_seq, x_tab) = _inputs(path, data_key, table.iloc[rows])
    influence = filter_influence(loaded.model, x_seq, x_tab)
    return influence, cluster_filters(influence)


def influence(path: str, data: DataSet, n_seqs: int) -> tuple[FilterInfluence, FilterClusters]:
    """Filter influence on ``n_seqs`` evenly spaced rows, and its hierarchical clustering."""
    return _influence(str(path), file_stamp(path), data.key(), n_seqs)


BACKGROUND_SIZE = 10_000
"""Random SNVs of the lookup's and the batch's background (seed 0, within 10 kb of the loci)."""


@st.cache_data(show_spinner="Scoring 10,000 random SNVs for context...", max_entries=16)
def _background(path: str, stamp: str, data_key: tuple) -> Background:
    _, genome_path, tracks_path, cell_line, _ = data_key
    anchors = _features(*data_key).table[["chrom", "pos"]]
    return background_scores(
        model(path), anchors, genome_path, tracks_path, cell_line, n=BACKGROUND_SIZE, seed=0,
        where="near the data set's loci",
    )  # fmt: skip


def background(path: str, data: DataSet) -> Background:
    """Scores of random SNVs near the data set's loci under the model, for percentiles."""
    return _background(str(path), file_stamp(path), data.key())


@dataclass
class Lookup:
    """One variant typed by the user, under a model (:class:`ncv_core.score.VariantLookup`)."""

    row: pd.DataFrame
    scores: pd.DataFrame
    rejected: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    sentence: str = ""


@st.cache_data(show_spinner="Scoring the variant...", max_entries=64)
def _lookup(path: str, stamp: str, data_key: tuple, text: str) -> Lookup:
    _, genome_path, tracks_path, cell_line, _ = data_key
    bg = _background(path, stamp, data_key)
    with notes.collect() as found:
        found_ = lookup_variant(
            model(path), text, genome_path, tracks_path, cell_line, background=bg
        )
    return Lookup(found_.row, found_.scores, found_.rejected, found, found_.sentence)


def lookup(path: str, data: DataSet, text: str) -> Lookup:
    """Score ``chr:pos ref>alt`` with the data set's genome and tracks (``lookup_variant``), its
    percentiles against :func:`background`."""
    return _lookup(str(path), file_stamp(path), data.key(), text.strip())


@st.cache_data(show_spinner="Scoring...", max_entries=64)
def _score_rows(path: str, stamp: str, data_key: tuple, frame: pd.DataFrame) -> pd.DataFrame:
    loaded = model(path)
    scores = score_features(loaded, frame)
    bg = _background(path, stamp, data_key)
    return pd.concat([scores, bg.percentiles(scores, {"model": loaded})], axis=1)


def score_rows(path: str, frame: pd.DataFrame, data: DataSet) -> pd.DataFrame:
    """Ref/alt scores of feature-table rows (``ncv_core.score.score_features``), with their
    percentiles against :func:`background`."""
    return _score_rows(str(path), file_stamp(path), data.key(), frame)


@st.cache_data(show_spinner="Reading the tracks...", max_entries=64)
def _signals(data_key: tuple, chrom: str, start: int, end: int) -> tuple[int, dict]:
    _, genome_path, tracks_path, cell_line, _ = data_key
    return track_signals(genome_path, tracks_path, cell_line, chrom, start, end)


def signals(data: DataSet, chrom: str, start: int, end: int) -> tuple[int, dict[str, np.ndarray]]:
    """Per-base signal of every track of the data set's cell line over ``[start, end)``
    (:func:`ncv_core.features.tracks.track_signals`)."""
    return _signals(data.key(), chrom, start, end)


@dataclass
class CrossSpecies:
    """The data set's labelled loci lifted to other species (:func:`pseudo_label_species`)."""

    table: pd.DataFrame  # the pseudo-label table (PSEUDO_LABEL_COLUMNS)
    counts: pd.DataFrame  # per species: loci, lifted, windows, rejected, per category
    rejected: pd.DataFrame  # species, line, reason, category, row
    n_loci: int  # labelled loci lifted
    notes: list[str] = field(default_factory=list)


@st.cache_data(show_spinner="Lifting the labelled loci to the other genomes...", max_entries=16)
def _cross_species(loci: str, stamp: str, targets: tuple, window: int) -> CrossSpecies:
    with notes.collect() as found:
        lift = read_lift_input(loci)
        labelled = lift.table[lift.table["label"].notna()].reset_index(drop=True)
        chosen = [Target(name, Path(chain), Path(genome)) for name, chain, genome, _ in targets]
        res = pseudo_label_species(labelled, chosen, window=window)
    frames = [
        rejections_frame(r.rejected).assign(species=name) for name, r in res.by_species.items()
    ]
    rejected = pd.concat(frames, ignore_index=True)
    rejected = rejected[["species", *[c for c in rejected.columns if c != "species"]]]
    return CrossSpecies(res.table, res.counts, rejected, len(labelled), found)


def cross_species(data: DataSet, targets: Sequence[Target], window: int) -> CrossSpecies:
    """Pseudo-labels of the data set's labelled loci in every target (chains and genomes keyed
    by their stamps, so a replaced file is lifted again)."""
    key = tuple(
        (t.name, str(t.chain), str(t.genome), file_stamp(t.chain) + file_stamp(t.genome))
        for t in targets
    )
    return _cross_species(data.loci, file_stamp(data.loci), key, int(window))


@st.cache_data(show_spinner="Building the demo's species (first use only)...")
def demo_species() -> list[Target]:
    """The demo's related species (``<demo>/species/``), built on first use."""
    paths = ensure_species(demo_paths().root)
    return [Target(name, sp.chain, sp.genome) for name, sp in paths.species.items()]


@st.cache_data(show_spinner=False, max_entries=64)
def _peaks(data_key: tuple, chrom: str, start: int, end: int) -> dict:
    _, _, tracks_path, cell_line, _ = data_key
    return track_peaks(tracks_path, cell_line, chrom, start, end)


def peaks(data: DataSet, chrom: str, start: int, end: int) -> dict[str, list[tuple[int, int]]]:
    """Peaks of every track of the data set's cell line in ``[start, end)``
    (:func:`ncv_core.features.tracks.track_peaks`)."""
    return _peaks(data.key(), chrom, start, end)
