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
writing the chunks is :mod:`ncv_core.io.scores`'s job; :func:`score_file` does both in one pass
(``ncv score``), :func:`lookup_variant` scores one typed variant (the app's lookup).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ncv_core.constants import COMPOSITION_COLUMNS, DEFAULT_WINDOW, SCORE_COLUMNS
from ncv_core.coords import substitute, variant_offset
from ncv_core.errors import NcvError
from ncv_core.features.build import compute_features, iter_feature_chunks
from ncv_core.features.loci import LociBatch, Rejection, parse_variant, place
from ncv_core.features.tracks import TrackSet
from ncv_core.io.genome import Genome
from ncv_core.io.loci_files import LociFile
from ncv_core.io.manifest import read_manifest
from ncv_core.io.scores import TableScoreWriter, VcfScoreWriter, output_kind, score_names
from ncv_core.io.tables import rejected_report_path, write_rejections
from ncv_core.models.loaded import LoadedModel, check_compatible
from ncv_core.models.predict import probability
from ncv_core.progress import ProgressFn, StopFlag, report, stopped
from ncv_core.rejections import raise_if_unusable, rejections_frame, summarize
from ncv_core.sequence import composition

OUTPUT_LOCUS_COLUMNS: tuple[str, ...] = ("chrom", "pos", "ref", "alt", "id", "label")


def alt_windows(seqs: list[str], alts: list[str], window: int) -> list[str]:
    """Reference windows with the variant base (:func:`ncv_core.coords.variant_offset`) replaced
    by ``alts``."""
    mid = variant_offset(window)
    return [substitute(s, mid, a) for s, a in zip(seqs, alts, strict=True)]


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
    p_ref, p_alt = probability(logit_ref), probability(logit_alt)
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


def score_features(model, table: pd.DataFrame, *, batch_size: int = 2048) -> pd.DataFrame:
    """Score rows of a feature table (with ``seq`` and ``alt``) under a loaded model.

    Parameters
    ----------
    model : ncv_core.io.model_folder.LoadedModel
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


def iter_scores(
    model: LoadedModel,
    loci_path: str | os.PathLike | LociFile,
    genome_path: str | os.PathLike,
    tracks_path: str | os.PathLike,
    cell_line: str,
    *,
    chunk_size: int = 20_000,
    batch_size: int = 2048,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
) -> Iterator[ScoreChunk]:
    """Score every variant of a loci file, chunk by chunk, in file order.

    Memory is bounded by ``chunk_size`` rows. Rows rejected by the pipeline (unknown contig, REF
    mismatch, indel, ...) and loci without an ALT allele come back in each chunk's ``rejected``.
    ``loci_path`` may be an open :class:`~ncv_core.io.loci_files.LociFile` (read once).

    Yields
    ------
    ScoreChunk
        ``scores`` (see :func:`score_features`), ``lines`` (the file line of each row).

    Raises
    ------
    NcvError
        Bad inputs, a model that does not fit them, or ``stop`` set (between chunks).
    """
    window = model.trained_window
    with Genome(genome_path) as genome:
        tracks = TrackSet(read_manifest(tracks_path), cell_line, genome)
        _check(model, genome, tracks, cell_line)
        done = 0
        for table, placed in iter_feature_chunks(
            loci_path, genome, tracks, window=window, chunk_size=chunk_size
        ):
            if stopped(stop):
                raise NcvError("scoring was stopped")
            chunk = _score_chunk(model, table, placed.rejected, batch_size)
            done += len(chunk.scores) + len(chunk.rejected)
            report(progress, "score", done, None, scored=len(chunk.scores))
            yield chunk


def _check(model: LoadedModel, genome: Genome, tracks: TrackSet, cell_line: str) -> None:
    """The model against the genome and the tracks it is about to read."""
    columns = [*tracks.feature_names(), *COMPOSITION_COLUMNS]
    source = f"the tracks of {cell_line}"
    check_compatible(model, genome=genome, columns=columns, cell_line=cell_line, source=source)


@dataclass
class ScoreReport:
    """What :func:`score_file` wrote."""

    n_scored: int
    rejected: list[Rejection]
    outputs: list[Path]
    report: Path

    @property
    def summary(self) -> str:
        """``scored 3, rejected 1: 1 unknown contig``."""
        return summarize(self.n_scored, self.rejected).replace("kept", "scored", 1)


def score_file(
    model: LoadedModel,
    loci_path: str | os.PathLike,
    genome_path: str | os.PathLike,
    tracks_path: str | os.PathLike,
    cell_line: str,
    out: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    chunk_size: int = 20_000,
    batch_size: int = 2048,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
) -> ScoreReport:
    """Score a loci file into one or more outputs in a single pass over it (``ncv score``).

    Parameters
    ----------
    out : path or sequence of paths
        ``.tsv``, ``.csv``, ``.parquet`` (optionally ``.gz`` for text), or ``.vcf`` /
        ``.vcf.gz`` (the input VCF annotated with ``NCV_*`` INFO fields; needs a VCF input).
        The rejection report goes beside the first (``<out>.rejected.tsv``).

    Returns
    -------
    ScoreReport
        Scored count, rejections, the files written.

    Raises
    ------
    NcvError
        Bad inputs or outputs (checked before any work), or nothing could be scored (then no
        output file is left behind).
    """
    outs = [Path(o) for o in ([out] if isinstance(out, (str, os.PathLike)) else out)]
    if not outs:
        raise NcvError("no output file given")
    for o in outs:
        output_kind(o)
        if o.resolve() == Path(loci_path).resolve():
            raise NcvError(
                "the output would replace the input loci file; choose another name", path=o
            )
    if chunk_size < 1:
        raise NcvError(f"chunk size must be positive, got {chunk_size}")
    names, arch = score_names(model.label_columns), model.name
    writers = [
        VcfScoreWriter(o, names=names, model_name=arch)
        if output_kind(o) == "vcf"
        else TableScoreWriter(o)
        for o in outs
    ]
    vcfs = [w for w in writers if isinstance(w, VcfScoreWriter)]
    tap = (lambda n, raw: [w.feed(n, raw) for w in vcfs]) if vcfs else None
    rejected: list[Rejection] = []
    n = 0
    report_path = rejected_report_path(outs[0])
    with LociFile(loci_path, tap=tap) as src, ExitStack() as stack:
        if vcfs and src.fmt != "vcf":
            raise NcvError(
                f"a VCF output needs a VCF input; {src.path} is {src.fmt}", path=vcfs[0].path
            )
        for w in writers:
            stack.enter_context(w)
        for chunk in iter_scores(
            model,
            src,
            genome_path,
            tracks_path,
            cell_line,
            chunk_size=chunk_size,
            batch_size=batch_size,
            progress=progress,
            stop=stop,
        ):
            rejected.extend(chunk.rejected)
            n += len(chunk.scores)
            for w in writers:
                w.write(chunk)
        if n == 0:  # the report says why; no output file is left behind
            write_rejections(rejected, report_path)
            raise_if_unusable(0, rejected, src.path)
    write_rejections(rejected, report_path)
    return ScoreReport(n, rejected, outs, report_path)


def score_loci(
    model: LoadedModel,
    batch: LociBatch,
    genome: Genome,
    tracks: TrackSet,
    *,
    batch_size: int = 2048,
) -> tuple[pd.DataFrame, ScoreChunk]:
    """Place parsed loci (``parse_variant``, ``read_loci``) on open inputs, build their features
    once and score them in memory: ``(feature rows, ScoreChunk)``."""
    window = model.trained_window
    placed = place(batch, genome, window=window)
    table = compute_features(placed.table, genome, tracks, window)
    return table, _score_chunk(model, table, placed.rejected, batch_size)


@dataclass
class VariantLookup:
    """One variant typed by a person, under a model."""

    row: pd.DataFrame  # 0 or 1 feature-table rows (``seq``, features), for ISM and the window
    scores: pd.DataFrame  # :func:`score_features` columns; empty when it cannot be scored
    rejected: pd.DataFrame  # why not, when it could not be placed or has no ALT


def lookup_variant(
    model: LoadedModel,
    text: str,
    genome_path: str | os.PathLike,
    tracks_path: str | os.PathLike,
    cell_line: str,
) -> VariantLookup:
    """Score ``chr:pos ref>alt`` (:func:`ncv_core.features.loci.parse_variant`) with a genome and
    a cell line's tracks; its feature row is computed once and serves the score and the views."""
    with Genome(genome_path) as genome:
        tracks = TrackSet(read_manifest(tracks_path), cell_line, genome)
        _check(model, genome, tracks, cell_line)
        table, chunk = score_loci(model, parse_variant(text), genome, tracks)
    row = table.drop(columns=["_line", "_raw"], errors="ignore")
    return VariantLookup(row, chunk.scores, rejections_frame(chunk.rejected))


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
