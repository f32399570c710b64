"""Score one chunk of placed loci under one or several models: a pure function of its inputs.

:func:`score_placed` takes the models, a chunk of loci already placed on a reference
(:func:`ncv_core.features.loci.place`) and the open genome (or sequence set) and tracks, and
returns the chunk's scores. It keeps no state between calls, so a distributed driver can call it
on chunks in any order; :func:`ncv_core.score.iter_scores` calls it chunk after chunk and keeps
the only cross-chunk state (duplicates seen in earlier chunks) in ``known``.

Features are computed once per distinct window among the models and shared by them; identical
variants (the same normalised chrom, pos, ref, alt) are scored once and reported on every row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ncv_core.constants import COMPOSITION_COLUMNS
from ncv_core.errors import NcvError
from ncv_core.features.build import compute_features
from ncv_core.features.loci import LociBatch
from ncv_core.io.scores import column_spec
from ncv_core.rejections import Rejection
from ncv_core.scoring.effects import allele_logits, effect_columns
from ncv_core.scoring.haplotypes import ALT_SEQ, alt_sequences, alt_table

__all__ = ["ScoreChunk", "score_placed", "name_models", "needs_tracks", "OUTPUT_LOCUS_COLUMNS"]

OUTPUT_LOCUS_COLUMNS: tuple[str, ...] = ("chrom", "pos", "ref", "alt", "id", "label")
NOTES = "notes"
"""Output column: how a row was rewritten (normalisation) and whether it repeats another."""


@dataclass
class ScoreChunk:
    """One chunk of scores, and the rows of that chunk that could not be scored.

    ``alts`` is each scored row's ALT as the input wrote it (before normalisation), which the
    annotated VCF matches to its records; ``background`` the
    :class:`~ncv_core.scoring.background.Background` of the percentile columns, when any.
    """

    scores: pd.DataFrame
    lines: np.ndarray
    rejected: list[Rejection] = field(default_factory=list)
    alts: list[str] | None = None
    background: object = None  # the Background the percentiles come from, when any


def name_models(models) -> dict[str, object]:
    """``name -> LoadedModel`` from one model, a sequence of models or a mapping.

    A model is named by its folder (``models/gm`` -> ``gm``), else its architecture.

    Raises
    ------
    NcvError
        No model, or two with the same name (the columns would be ambiguous).
    """
    if isinstance(models, Mapping):
        named = dict(models)
    else:
        seq = [models] if hasattr(models, "positive_logit") else list(models)
        named = {}
        for m in seq:
            name = m.path.name if getattr(m, "path", None) is not None else m.name
            if name in named:
                raise NcvError(
                    f"two models are called {name!r}: their score columns would be ambiguous; "
                    "put them in folders with different names"
                )
            named[name] = m
    if not named:
        raise NcvError("no model given")
    return named


def needs_tracks(model) -> bool:
    """Whether the model reads track features (anything tabular beyond the composition)."""
    return any(c not in COMPOSITION_COLUMNS for c in model.feature_columns)


def _score_unique(
    models: dict, loci: pd.DataFrame, genome, tracks, *, rc_average: bool, batch_size: int
) -> pd.DataFrame:
    """Score columns of every model for distinct variants; features once per window."""
    by_window: dict[int, list[str]] = {}
    for name, m in models.items():
        by_window.setdefault(m.trained_window, []).append(name)
    parts: dict[str, pd.DataFrame] = {}
    for window, names in by_window.items():
        reads = tracks if any(needs_tracks(models[n]) for n in names) else None
        ref = compute_features(loci, genome, reads, window)
        alt = alt_table(ref.assign(**{ALT_SEQ: alt_sequences(ref, genome, window)}), window)
        for n in names:
            lr, la = allele_logits(
                models[n], ref, alt, rc_average=rc_average, batch_size=batch_size
            )
            prefix = f"{n}_" if len(models) > 1 else ""
            parts[n] = effect_columns(lr, la, models[n].label_columns, prefix=prefix)
    return pd.concat([parts[n] for n in models], axis=1)


def score_placed(
    models,
    placed: LociBatch,
    genome,
    tracks,
    *,
    rc_average: bool = False,
    batch_size: int = 2048,
    background=None,
    locus_columns: Sequence[str] = OUTPUT_LOCUS_COLUMNS,
    known: Mapping[tuple, np.ndarray] | None = None,
) -> ScoreChunk:
    """Score a chunk of placed loci.

    Parameters
    ----------
    models : LoadedModel, sequence or mapping of them
        See :func:`name_models`. Several models give ``<model>_<column>`` columns.
    placed : LociBatch
        Loci placed by :func:`ncv_core.features.loci.place` (normalised; ``_note``, ``_dup_of``
        and ``_input_alt`` when present are used).
    genome : Genome or SequenceSet
        The reference they were placed on (windows, deletions' alt windows).
    tracks : TrackSet or None
        The cell line's tracks; None when no model reads any (:func:`needs_tracks`).
    background : ncv_core.scoring.background.Background, optional
        Adds the percentile columns.
    locus_columns : sequence of str
        Columns of ``placed.table`` copied in front of the scores (those present).
    known : mapping, optional
        Score rows (all score columns, in order) of variants scored in earlier chunks, by
        ``(chrom, pos, ref, alt)``: those rows are filled in, not scored again.

    Returns
    -------
    ScoreChunk
        One row per placed row with an ALT (in order): locus columns, scores, ``notes``; rows
        without an ALT join ``rejected``.
    """
    models = name_models(models)
    table, rejected = placed.table, list(placed.rejected)
    no_alt = (table["alt"] == "").to_numpy()
    rejected += [
        Rejection(int(line), raw, "no ALT allele: nothing to score", "no alt")
        for line, raw in zip(table.loc[no_alt, "_line"], table.loc[no_alt, "_raw"], strict=True)
    ]
    table = table.loc[~no_alt].reset_index(drop=True)
    spec = column_spec(
        {n: m.label_columns for n, m in models.items()}, percentiles=background is not None
    )
    keys = list(zip(table["chrom"], table["pos"].tolist(), table["ref"], table["alt"], strict=True))
    values = _values(models, table, keys, genome, tracks, rc_average, batch_size, known)
    if background is not None:
        values = pd.concat([values, background.percentiles(values, models)], axis=1)
    front = table[[c for c in locus_columns if c in table.columns]]
    notes = table["_note"] if "_note" in table.columns else pd.Series([""] * len(table))
    scores = pd.concat(
        [front, values[[s[0] for s in spec]], pd.DataFrame({NOTES: notes.tolist()})], axis=1
    )
    alts = table["_input_alt"].tolist() if "_input_alt" in table.columns else None
    return ScoreChunk(
        scores, table["_line"].to_numpy(), sorted(rejected, key=lambda r: r.line), alts
    )


def _values(models, table, keys, genome, tracks, rc_average, batch_size, known) -> pd.DataFrame:
    """Score columns for every row: distinct new variants scored, the rest copied."""
    known = known or {}
    first: dict[tuple, int] = {}
    for i, k in enumerate(keys):
        if k not in first and k not in known:
            first[k] = i
    names = _names(models)
    matrix = np.zeros((0, len(names)))
    if first:
        unique = table.iloc[list(first.values())].reset_index(drop=True)
        scored = _score_unique(
            models, unique, genome, tracks, rc_average=rc_average, batch_size=batch_size
        )
        matrix = scored[names].to_numpy(dtype=np.float64)
    slot = {k: j for j, k in enumerate(first)}
    rows = [matrix[slot[k]] if k in slot else np.asarray(known[k]) for k in keys]
    data = np.vstack(rows) if rows else np.zeros((0, len(names)))
    return pd.DataFrame(data, columns=names)


def _names(models: dict) -> list[str]:
    return [s[0] for s in column_spec({n: m.label_columns for n, m in models.items()})]
