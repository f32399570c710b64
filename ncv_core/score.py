"""Variant effect scoring: the model's prediction for the reference and the alternative allele.

For each variant the reference window is the genome's window around it, the variant's first base
at offset ``W // 2``; the alternative window is cut from the alt haplotype (REF replaced by ALT)
at the same start, so both have the model's length (:mod:`ncv_core.scoring.haplotypes`). SNVs,
MNVs and indels up to half the window are scored; multi-base variants are first left-aligned
and trimmed against the reference (``bcftools norm``, :mod:`ncv_core.features.alleles`). The
tabular epigenetic features (Peak/Max/Sum of each mark) are the locus's and the same for both
alleles; the composition features are recomputed for the alternative window. Reported per
variant, per task and per model (:mod:`ncv_core.scoring.effects`):

- ``p_ref``, ``p_alt``: probability that the locus is functional with each allele;
- ``diff = p_alt - p_ref``; ``logit_diff = logit(p_alt) - logit(p_ref)``;
- ``log2fc = log2(p_alt / p_ref)``;
- with a background (:mod:`ncv_core.scoring.background`), ``p_ref_percentile`` and
  ``diff_percentile`` against random SNVs near the loci;
- ``notes``: the normalisation's rewrite, duplicates and their conflicting labels.

:func:`iter_scores` streams a loci file, or a table of sequences (an MPRA library), in chunks
(bounded memory); :func:`score_file` writes one or more outputs in one pass (``ncv score``);
:func:`lookup_variant` scores one typed variant (the app's lookup); :func:`background_scores`
draws and scores a background. Each chunk is scored by
:func:`ncv_core.scoring.chunk.score_placed`, a pure function of its inputs.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ncv_core.constants import DEFAULT_WINDOW
from ncv_core.coords import substitute, variant_offset
from ncv_core.errors import NcvError, warn
from ncv_core.features.build import compute_features
from ncv_core.features.loci import (
    BOOKKEEPING_COLUMNS,
    Deduplicator,
    LociBatch,
    parse_variant,
    place,
)
from ncv_core.features.tracks import warn_missing_contigs
from ncv_core.io.loci_files import LociFile
from ncv_core.io.scores import VcfScoreWriter, column_spec
from ncv_core.io.tables import rejected_report_path, write_rejections
from ncv_core.models.loaded import LoadedModel
from ncv_core.progress import ProgressFn, StopFlag, report, stopped
from ncv_core.rejections import Rejection, raise_if_unusable, rejections_frame
from ncv_core.scoring.background import DEFAULT_FLANK, Background, draw_snvs
from ncv_core.scoring.chunk import (
    NOTES,
    OUTPUT_LOCUS_COLUMNS,
    ScoreChunk,
    name_models,
    needs_tracks,
    score_placed,
)
from ncv_core.scoring.effects import allele_logits, effect_columns
from ncv_core.scoring.haplotypes import alt_table
from ncv_core.scoring.report import (
    ScoreReport,
    Tally,
    build_hint,
    check_outputs,
    make_writers,
    score_meta,
)
from ncv_core.scoring.sources import (
    SEQUENCE_LOCUS_COLUMNS,
    loci_batches,
    open_inputs,
    sequence_batches,
)
from ncv_core.scoring.top import top_effects

__all__ = [
    "iter_scores", "score_file", "lookup_variant", "background_scores", "score_features",
    "score_loci", "alt_table", "alt_windows", "effect_columns", "top_effects", "ScoreChunk",
    "Background", "VariantLookup", "ScoreReport", "OUTPUT_LOCUS_COLUMNS",
]  # fmt: skip

_MEMO_MAX = 1_000_000
"""Variants whose scores are remembered for later duplicates; older ones are scored again."""


def alt_windows(seqs: list[str], alts: list[str], window: int) -> list[str]:
    """Reference windows with the variant base (:func:`ncv_core.coords.variant_offset`) replaced
    by single-base ``alts``."""
    mid = variant_offset(window)
    return [substitute(s, mid, a) for s, a in zip(seqs, alts, strict=True)]


def score_features(
    model, table: pd.DataFrame, *, batch_size: int = 2048, rc_average: bool = False
) -> pd.DataFrame:
    """Score rows of a feature table (with ``seq``, ``ref`` and ``alt``) under a loaded model.

    Alt windows come from ``alt_seq`` when the table has it, else from ``seq`` (SNVs, MNVs and
    insertions; a deletion needs the genome: use :func:`iter_scores`).

    Returns
    -------
    pandas.DataFrame
        N rows: :data:`OUTPUT_LOCUS_COLUMNS` present in ``table``, then the score columns.
    """
    window = len(table["seq"].iloc[0]) if len(table) else DEFAULT_WINDOW
    lr, la = allele_logits(
        model, table, alt_table(table, window), rc_average=rc_average, batch_size=batch_size
    )
    keep = [c for c in OUTPUT_LOCUS_COLUMNS if c in table.columns]
    scores = effect_columns(lr, la, model.label_columns)
    return pd.concat([table[keep].reset_index(drop=True), scores], axis=1)


def _max_len(models: dict, max_len: int | None) -> tuple[int, int]:
    """``(placement window, longest allele)``: the largest window, half the smallest."""
    windows = [m.trained_window for m in models.values()]
    return max(windows), int(max_len) if max_len else min(windows) // 2


def _background(models, anchors, reference, tracks, *, size, seed, flank, rc_average, where):
    window, _ = _max_len(models, None)
    batch = draw_snvs(anchors, reference, n=size, seed=seed, flank=flank, window=window)
    chunk = score_placed(
        models, batch, reference, tracks, rc_average=rc_average,
        locus_columns=("chrom", "pos", "ref", "alt"),
    )  # fmt: skip
    scores = chunk.scores.drop(columns=[NOTES])
    return Background(scores, seed, flank, len(anchors.drop_duplicates()), rc_average, where)


def iter_scores(
    model,
    loci_path,
    genome_path: str | os.PathLike | None,
    tracks_path: str | os.PathLike | None = None,
    cell_line: str | None = None,
    *,
    chunk_size: int = 20_000,
    batch_size: int = 2048,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
    rc_average: bool = False,
    background: int | Background | None = None,
    background_seed: int = 0,
    background_flank: int = DEFAULT_FLANK,
    max_len: int | None = None,
    sequences: bool = False,
) -> Iterator[ScoreChunk]:
    """Score every variant of a loci file (or a sequence table), chunk by chunk, in file order.

    Parameters
    ----------
    model : LoadedModel, sequence or mapping of them
        Several models are scored in one pass over shared features, columns ``<model>_<name>``
        (:func:`ncv_core.scoring.chunk.name_models`).
    loci_path : path or LociFile
        VCF/BED/CSV/TSV (an open :class:`~ncv_core.io.loci_files.LociFile` is read once), or,
        with ``sequences``, a table with ``seq ref alt`` (+ ``id offset label``).
    genome_path, tracks_path, cell_line : optional
        Reference FASTA (None for a sequence table); tracks only for models that read them.
    rc_average : bool
        Average each prediction over the window and its reverse complement.
    background : int or Background, optional
        Draw this many random SNVs near the first chunk's loci (``background_seed``,
        ``background_flank``) or use a given background; adds the percentile columns.
    max_len : int, optional
        Longest allele scored after normalisation (default half the smallest model window).

    Yields
    ------
    ScoreChunk
        ``scores`` (locus columns, score columns, ``notes``), ``lines``, ``rejected`` (rows
        that could not be scored, in line order), ``alts`` (input ALTs); ``background``.

    Raises
    ------
    NcvError
        Bad inputs, a model that does not fit them, or ``stop`` set (between chunks).
    """
    models = name_models(model)
    window, longest = _max_len(models, max_len)
    src_path = loci_path if sequences else None
    with open_inputs(models, genome_path, tracks_path, cell_line, sequences_path=src_path) as (
        reference,
        tracks,
    ):
        if sequences:
            reserved = [*SEQUENCE_LOCUS_COLUMNS, NOTES, *(s[0] for s in _spec(models, True))]
            batches = sequence_batches(
                loci_path, reference, chunk_size=chunk_size, reserved=reserved
            )
        else:
            batches = loci_batches(loci_path, reference, chunk_size=chunk_size)
        yield from _chunks(
            models, batches, reference, tracks, window=window, max_len=longest,
            sequences=sequences, batch_size=batch_size, rc_average=rc_average,
            background=background, seed=background_seed, flank=background_flank,
            progress=progress, stop=stop,
        )  # fmt: skip
        if tracks is not None:
            warn_missing_contigs(tracks.missing_contigs)


def _spec(models: dict, percentiles: bool) -> list[tuple[str, str, str, str]]:
    return column_spec({n: m.label_columns for n, m in models.items()}, percentiles=percentiles)


def _chunks(
    models, batches, reference, tracks, *, window, max_len, sequences, batch_size, rc_average,
    background, seed, flank, progress, stop,
) -> Iterator[ScoreChunk]:  # fmt: skip
    dedup, memo = Deduplicator(), OrderedDict()
    names = [s[0] for s in _spec(models, False)]
    bg = background if isinstance(background, Background) else None
    if bg is not None and bg.rc_average != rc_average:
        raise NcvError("the background was scored with another --rc-average setting")
    done = 0
    for batch in batches:
        if stopped(stop):
            raise NcvError("scoring was stopped")
        placed = place(
            batch, reference, window=window, dedup=dedup, max_len=max_len, keep_duplicates=True
        )
        if bg is None and isinstance(background, int) and background > 0 and len(placed.table):
            where = "near the sequences' variants" if sequences else "near the file's loci"
            bg = _background(
                models, placed.table, reference, tracks, size=background, seed=seed,
                flank=flank, rc_average=rc_average, where=where,
            )  # fmt: skip
        if sequences:
            placed.table["offset"] = placed.table["pos"].to_numpy() - 1
        cols = [*SEQUENCE_LOCUS_COLUMNS, *batch.header.get("extra", [])] if sequences else None
        chunk = score_placed(
            models, placed, reference, tracks, rc_average=rc_average, batch_size=batch_size,
            background=bg, locus_columns=cols or OUTPUT_LOCUS_COLUMNS, known=memo,
        )  # fmt: skip
        _remember(memo, placed.table, chunk.scores[names].to_numpy(dtype=np.float64))
        chunk.background = bg
        done += len(batch.table) + len(batch.rejected)
        report(progress, "score", done, None, scored=len(chunk.scores))
        yield chunk


def _remember(memo: OrderedDict, table: pd.DataFrame, values: np.ndarray) -> None:
    """Keep the newest variants' scores (at most :data:`_MEMO_MAX`) for later duplicates."""
    table = table.loc[table["alt"] != ""]
    keys = zip(table["chrom"], table["pos"].tolist(), table["ref"], table["alt"], strict=True)
    for key, row in zip(keys, values, strict=True):
        if key not in memo:
            memo[key] = row
    while len(memo) > _MEMO_MAX:
        memo.popitem(last=False)


def score_file(
    model,
    loci_path: str | os.PathLike,
    genome_path: str | os.PathLike | None,
    tracks_path: str | os.PathLike | None,
    cell_line: str | None,
    out: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    chunk_size: int = 20_000,
    batch_size: int = 2048,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
    rc_average: bool = False,
    background: int | Background | None = None,
    background_seed: int = 0,
    background_flank: int = DEFAULT_FLANK,
    max_len: int | None = None,
    sequences: bool = False,
    top: int = 20,
    engine=None,
) -> ScoreReport:
    """Score a loci file (or a sequence table) into one or more outputs in a single pass over it
    (``ncv score``). The options after ``stop`` are :func:`iter_scores`'s.

    Parameters
    ----------
    out : path or sequence of paths
        ``.tsv``, ``.csv``, ``.parquet`` (optionally ``.gz`` for text), or ``.vcf`` /
        ``.vcf.gz`` (the input VCF annotated with ``NCV_*`` INFO fields; needs a VCF input).
        Metadata (models, rc-average, background) goes in the Parquet schema, a
        ``<out>.meta.json`` beside text, ``##ncv_scoring=`` in a VCF. The rejection report goes
        beside the first output (``<out>.rejected.tsv``).
    top : int
        How many of the largest effects the report keeps (:func:`top_effects`).
    engine : callable, optional
        Computes the chunks in place of :func:`iter_scores` (same arguments, same chunks), e.g.
        :class:`ncv_core.distributed.ClusterScoring`, which reads the open loci file only to
        feed an annotated VCF.

    Returns
    -------
    ScoreReport
        Scored count, rejections, duplicates, the largest effects, the files written.

    Raises
    ------
    NcvError
        Bad inputs or outputs (checked before any work), or nothing could be scored (then no
        output file is left behind).
    """
    models = name_models(model)
    outs = check_outputs(out, loci_path, chunk_size, inputs=(genome_path, tracks_path))
    want_bg = isinstance(background, Background) or bool(background)
    writers = make_writers(outs, models, want_bg)
    vcfs = [w for w in writers if isinstance(w, VcfScoreWriter)]
    tap = (lambda n, raw: [w.feed(n, raw) for w in vcfs]) if vcfs else None
    rejected: list[Rejection] = []
    tally, meta, n, bg = Tally(top), {}, 0, None
    report_path = rejected_report_path(outs[0])
    opened = nullcontext(loci_path) if sequences else LociFile(loci_path, tap=tap)
    with opened as src, ExitStack() as stack:
        if vcfs and (sequences or src.fmt != "vcf"):
            kind = "a sequence table" if sequences else src.fmt
            raise NcvError(
                f"a VCF output needs a VCF input; {loci_path} is {kind}", path=vcfs[0].path
            )
        for w in writers:
            stack.enter_context(w)
        for chunk in (engine or iter_scores)(
            models, src, genome_path, tracks_path, cell_line, chunk_size=chunk_size,
            batch_size=batch_size, progress=progress, stop=stop, rc_average=rc_average,
            background=background, background_seed=background_seed,
            background_flank=background_flank, max_len=max_len, sequences=sequences,
        ):  # fmt: skip
            if not meta:
                meta = score_meta(
                    models, loci_path=loci_path, genome_path=genome_path, cell_line=cell_line,
                    sequences=sequences, rc_average=rc_average, background=chunk.background,
                    max_len=_max_len(models, max_len)[1],
                )  # fmt: skip
                for w in writers:
                    w.meta = meta  # one dict: a background drawn at a later chunk joins it
            if chunk.background is not None and meta["background"] is None:
                meta["background"] = chunk.background.describe()
            rejected.extend(chunk.rejected)
            n, bg = n + len(chunk.scores), chunk.background
            tally.add(chunk.scores)
            for w in writers:
                w.write(chunk)
        if n == 0:  # the report says why; no output file is left behind
            write_rejections(rejected, report_path)
            hint = build_hint(rejected, 0, genome_path)
            raise_if_unusable(0, rejected, os.fspath(loci_path), hint=hint)
    write_rejections(rejected, report_path)
    hint = build_hint(rejected, n, genome_path)
    if hint:
        warn(hint)
    return ScoreReport(
        n, rejected, outs, report_path, tally.duplicates, tally.conflicts, tally.normalised,
        bg, tally.top, meta,
    )  # fmt: skip


def score_loci(
    model,
    batch: LociBatch,
    genome,
    tracks,
    *,
    batch_size: int = 2048,
    rc_average: bool = False,
    background: Background | None = None,
) -> tuple[pd.DataFrame, ScoreChunk]:
    """Place parsed loci (``parse_variant``, ``read_loci``) on open inputs, build their reference
    feature rows once and score them in memory: ``(feature rows, ScoreChunk)``."""
    models = name_models(model)
    window, longest = _max_len(models, None)
    placed = place(batch, genome, window=window, max_len=longest, keep_duplicates=True)
    first = next(iter(models.values()))
    reads = tracks if any(needs_tracks(m) for m in models.values()) else None
    table = compute_features(placed.table, genome, reads, first.trained_window)
    chunk = score_placed(
        models, placed, genome, tracks, rc_average=rc_average, batch_size=batch_size,
        background=background,
    )  # fmt: skip
    return table, chunk


@dataclass
class VariantLookup:
    """One variant typed by a person, under a model."""

    row: pd.DataFrame  # 0 or 1 feature-table rows (``seq``, features), for ISM and the window
    scores: pd.DataFrame  # score columns (+ percentiles); empty when it cannot be scored
    rejected: pd.DataFrame  # why not, when it could not be placed or has no ALT
    background: Background | None = None
    sentence: str = ""  # the change against the background, in words


def lookup_variant(
    model: LoadedModel,
    text: str,
    genome_path: str | os.PathLike,
    tracks_path: str | os.PathLike | None = None,
    cell_line: str | None = None,
    *,
    background: Background | None = None,
    rc_average: bool = False,
) -> VariantLookup:
    """Score ``chr:pos ref>alt`` (:func:`ncv_core.features.loci.parse_variant`; indels too) with a
    genome and, for a model that reads them, a cell line's tracks; its feature row is computed
    once and serves the score and the views. With a ``background``, the percentiles and a
    sentence that reads them."""
    models = name_models(model)
    with open_inputs(models, genome_path, tracks_path, cell_line) as (genome, tracks):
        table, chunk = score_loci(
            model, parse_variant(text), genome, tracks, rc_average=rc_average,
            background=background,
        )  # fmt: skip
    row = table.drop(columns=list(BOOKKEEPING_COLUMNS), errors="ignore")
    sentence = ""
    if background is not None and len(chunk.scores) and "diff_percentile" in chunk.scores:
        s = chunk.scores.iloc[0]
        shown_cell = cell_line if tracks is not None else None
        sentence = background.sentence(s["diff"], s["diff_percentile"], shown_cell)
    return VariantLookup(row, chunk.scores, rejections_frame(chunk.rejected), background, sentence)


def background_scores(
    model,
    anchors: pd.DataFrame,
    genome_path: str | os.PathLike,
    tracks_path: str | os.PathLike | None = None,
    cell_line: str | None = None,
    *,
    n: int = 10_000,
    seed: int = 0,
    flank: int = DEFAULT_FLANK,
    rc_average: bool = False,
    where: str = "near the loci",
) -> Background:
    """Scores of ``n`` random SNVs within ``flank`` bases of ``anchors`` (``chrom``, ``pos``, e.g.
    a data set's loci; contig names matched to the genome's), for percentiles."""
    models = name_models(model)
    with open_inputs(models, genome_path, tracks_path, cell_line) as (genome, tracks):
        names = [genome.resolve(c) for c in anchors["chrom"]]
        keep = [c is not None for c in names]
        placed = pd.DataFrame(
            {"chrom": [c for c in names if c is not None], "pos": anchors["pos"][keep].to_numpy()}
        )
        return _background(
            models, placed, genome, tracks, size=n, seed=seed, flank=flank,
            rc_average=rc_average, where=where,
        )  # fmt: skip
