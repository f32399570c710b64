"""Variant effect scoring: the model's prediction for the reference and the alternative allele.

For each variant, the reference window is the genome's window around it; the alternative window
is the same window with the one base at the variant replaced. The tabular epigenetic features
(Peak/Max/Sum of each mark) are those of the locus and are the same for both alleles; the
nucleotide-composition features are recomputed for the alternative window. Reported per variant
(and per task for multi-task models):

- ``p_ref``, ``p_alt``: probability that the locus is functional with each allele;
- ``diff = p_alt - p_ref``; ``logit_diff = logit(p_alt) - logit(p_ref)``;
- ``log2fc = log2(p_alt / p_ref)``.

:func:`iter_scores` streams any loci file the pipeline accepts in chunks (bounded memory);
writing the chunks is :mod:`ncv_core.score_io`'s job.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ncv_core.constants import COMPOSITION_COLUMNS, DEFAULT_WINDOW
from ncv_core.errors import NcvError, warn
from ncv_core.features import compute_features, iter_feature_chunks
from ncv_core.genome import Genome
from ncv_core.loci import LociBatch, Rejection, place
from ncv_core.progress import ProgressFn, report
from ncv_core.sequence import composition
from ncv_core.tracks import TrackSet, read_manifest

SCORE_COLUMNS: tuple[str, ...] = ("p_ref", "p_alt", "diff", "logit_diff", "log2fc")
OUTPUT_LOCUS_COLUMNS: tuple[str, ...] = ("chrom", "pos", "ref", "alt", "id", "label")


def alt_windows(seqs: list[str], alts: list[str], window: int) -> list[str]:
    """Reference windows with the centre base (offset ``window // 2``) replaced by ``alts``."""
    mid = window // 2
    return [s[:mid] + a + s[mid + 1 :] for s, a in zip(seqs, alts, strict=True)]


def alt_table(table: pd.DataFrame, window: int) -> pd.DataFrame:
    """``table`` with ``seq`` and the composition columns of the alternative windows."""
    out = table.copy()
    seqs = alt_windows(table["seq"].tolist(), table["alt"].tolist(), window)
    out["seq"] = seqs
    comp = composition(seqs)
    for col in COMPOSITION_COLUMNS:
        if col in out.columns:
            out[col] = comp[col].to_numpy()
    return out


def effect_columns(logit_ref: np.ndarray, logit_alt: np.ndarray, tasks: list[str]) -> pd.DataFrame:
    """The score columns from positive-class logits ``(N, T)`` of both alleles.

    Column names are :data:`SCORE_COLUMNS` for one task, ``<name>_<task>`` for several.
    """
    p_ref, p_alt = _sigmoid(logit_ref), _sigmoid(logit_alt)
    with np.errstate(divide="ignore"):
        log2fc = np.log2(p_alt) - np.log2(p_ref)
    values = {
        "p_ref": p_ref,
        "p_alt": p_alt,
        "diff": p_alt - p_ref,
        "logit_diff": logit_alt - logit_ref,
        "log2fc": log2fc,
    }
    cols = {}
    for t, task in enumerate(tasks):
        for name in SCORE_COLUMNS:
            cols[name if len(tasks) == 1 else f"{name}_{task}"] = values[name][:, t]
    return pd.DataFrame(cols)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def score_features(model, table: pd.DataFrame, *, batch_size: int = 2048) -> pd.DataFrame:
    """Score rows of a feature table (with ``seq`` and ``alt``) under a loaded model.

    Parameters
    ----------
    model : ncv_core.modelio.LoadedModel
    table : pandas.DataFrame
        N rows of a feature table; every row needs a single-base ``alt``.

    Returns
    -------
    pandas.DataFrame
        N rows: :data:`OUTPUT_LOCUS_COLUMNS` present in ``table``, then the score columns.
    """
    window = len(table["seq"].iloc[0]) if len(table) else DEFAULT_WINDOW
    logit_ref = model.positive_logit(table, batch_size=batch_size)
    logit_alt = model.positive_logit(alt_table(table, window), batch_size=batch_size)
    keep = [c for c in OUTPUT_LOCUS_COLUMNS if c in table.columns]
    scores = effect_columns(logit_ref, logit_alt, model.label_columns)
    return pd.concat([table[keep].reset_index(drop=True), scores], axis=1)


@dataclass
class ScoreChunk:
    """One chunk of scores, and the rows of that chunk that could not be scored."""

    scores: pd.DataFrame
    lines: np.ndarray
    rejected: list[Rejection] = field(default_factory=list)


def model_window(model) -> int:
    """Window the model's features were built with (card ``inputs.window`` or the table's)."""
    card = model.card
    window = card["inputs"].get("window") or (card.get("features") or {}).get("window")
    return int(window or DEFAULT_WINDOW)


def check_inputs(model, genome: Genome, tracks: TrackSet, cell_line: str) -> None:
    """The genome must be the model's build and the tracks must give every model feature."""
    trained = (model.card.get("features") or {}).get("genome") or {}
    build, fp = trained.get("build"), trained.get("fingerprint")
    if build and genome.build and build != genome.build:
        raise NcvError(
            f"the model was trained on genome build {build}, but {genome.path.name} is "
            f"{genome.build}; mixing builds is an error",
            path=genome.path,
        )
    if not build and fp and fp != genome.fingerprint:
        raise NcvError(
            f"the model was trained on another genome ({trained.get('path')}: different "
            "contigs or lengths)",
            path=genome.path,
        )
    available = set(tracks.feature_names()) | set(COMPOSITION_COLUMNS)
    missing = [c for c in model.feature_columns if c not in available]
    if missing:
        raise NcvError(
            f"the tracks of {cell_line} do not give the model's features "
            f"{', '.join(missing[:6])}{', ...' if len(missing) > 6 else ''}"
        )
    trained_on = (model.card.get("features") or {}).get("cell_line")
    if trained_on and trained_on != cell_line:
        warn(f"the model was trained on {trained_on}'s tracks; scoring with {cell_line}'s")


def iter_scores(
    model,
    loci_path: str | os.PathLike,
    genome_path: str | os.PathLike,
    tracks_path: str | os.PathLike,
    cell_line: str,
    *,
    chunk_size: int = 20_000,
    batch_size: int = 2048,
    progress: ProgressFn | None = None,
) -> Iterator[ScoreChunk]:
    """Score every variant of a loci file, chunk by chunk, in file order.

    Memory is bounded by ``chunk_size`` rows. Rows rejected by the pipeline (unknown contig, REF
    mismatch, indel, ...) and loci without an ALT allele come back in each chunk's ``rejected``.

    Yields
    ------
    ScoreChunk
        ``scores`` (see :func:`score_features`), ``lines`` (the file line of each row).
    """
    window = model_window(model)
    with Genome(genome_path) as genome:
        tracks = TrackSet(read_manifest(tracks_path), cell_line, genome)
        check_inputs(model, genome, tracks, cell_line)
        done = 0
        for table, placed in iter_feature_chunks(
            loci_path, genome, tracks, window=window, chunk_size=chunk_size
        ):
            chunk = _score_chunk(model, table, placed.rejected, batch_size)
            done += len(chunk.scores) + len(chunk.rejected)
            report(progress, "score", done, None, scored=len(chunk.scores))
            yield chunk


def score_loci(
    model, batch: LociBatch, genome: Genome, tracks: TrackSet, *, batch_size: int = 2048
) -> ScoreChunk:
    """Score parsed loci (``ncv_core.loci.parse_variant``, ``read_loci``) in memory.

    ``genome`` and ``tracks`` are open objects (check them once with :func:`check_inputs`).
    """
    window = model_window(model)
    placed = place(batch, genome, window=window)
    table = compute_features(placed.table, genome, tracks, window)
    return _score_chunk(model, table, placed.rejected, batch_size)


def _score_chunk(
    model, table: pd.DataFrame, rejected: list[Rejection], batch_size: int
) -> ScoreChunk:
    """Scores of the rows with an ALT allele; the rest join ``rejected`` (in line order)."""
    no_alt = (table["alt"] == "").to_numpy()
    rejected = list(rejected) + [
        Rejection(int(line), raw, "no ALT allele: nothing to score", "no alt")
        for line, raw in zip(table.loc[no_alt, "_line"], table.loc[no_alt, "_raw"], strict=True)
    ]
    table = table.loc[~no_alt].reset_index(drop=True)
    scores = score_features(model, table, batch_size=batch_size) if len(table) else pd.DataFrame()
    return ScoreChunk(scores, table["_line"].to_numpy(), sorted(rejected, key=lambda r: r.line))
