"""What a score means next to others: random SNVs near the user's loci, scored the same way.

A background is ``n`` single-base substitutions drawn with a seeded generator: each picks one of
the anchor loci (the user's, or a data set's) at random, a position uniformly among those within
``flank`` bases of it whose window fits on the contig (a position whose base is N is drawn
again), and one of the three other bases, uniformly.
They are scored by the same models, genome, tracks and options as the user's variants. A
variant's ``p_ref_percentile`` is the percentage of background SNVs with a lower ``p_ref``, its
``diff_percentile`` the percentage with a smaller change ``|p_alt - p_ref|`` (ties count half:
the mid-rank), so ``diff_percentile = 97`` reads "a larger change than 97% of random SNVs".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ncv_core.constants import BASES, SCORE_COLUMNS
from ncv_core.coords import variant_offset
from ncv_core.errors import NcvError
from ncv_core.features.loci import LociBatch
from ncv_core.io.scores import score_names

__all__ = ["Background", "draw_snvs", "percentile", "DEFAULT_SIZE", "DEFAULT_FLANK"]

DEFAULT_SIZE = 10_000
DEFAULT_FLANK = 10_000
_ROUNDS = 50
_LETTERS = np.array(list(BASES), dtype=object)


def percentile(background: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mid-rank percentage of ``background`` below each of ``values``: ``100 * (#below + #equal
    / 2) / n``; NaN stays NaN. Shapes: ``background`` ``(n,)``, ``values`` ``(m,)`` -> ``(m,)``."""
    bg = np.sort(np.asarray(background, dtype=np.float64))
    bg = bg[~np.isnan(bg)]
    x = np.asarray(values, dtype=np.float64)
    if not len(bg):
        return np.full(x.shape, np.nan)
    lo = np.searchsorted(bg, x, side="left")
    hi = np.searchsorted(bg, x, side="right")
    out = 100.0 * (lo + (hi - lo) / 2.0) / len(bg)
    return np.where(np.isnan(x), np.nan, out)


@dataclass
class Background:
    """Scores of random SNVs, and how they were drawn.

    Attributes
    ----------
    scores : pandas.DataFrame
        ``n`` rows: ``chrom pos ref alt`` and the score columns (those of the variants scored
        against it).
    seed, flank, anchors : int
        The generator's seed, the distance from an anchor, the number of distinct anchors.
    rc_average : bool
        Whether the scores average both strands (must match the variants').
    where : str
        In words, where the SNVs come from (for the app's sentence).
    """

    scores: pd.DataFrame
    seed: int
    flank: int
    anchors: int
    rc_average: bool = False
    where: str = "near the loci"

    @property
    def n(self) -> int:
        return len(self.scores)

    def describe(self) -> dict:
        """JSON-able summary for output metadata."""
        return {
            "n": self.n,
            "seed": self.seed,
            "flank": self.flank,
            "anchors": self.anchors,
            "rc_average": self.rc_average,
            "where": self.where,
            "percentiles": "mid-rank percentage of the background below: p_ref, |diff|",
        }

    def percentiles(self, values: pd.DataFrame, models: dict) -> pd.DataFrame:
        """The percentile columns of score columns ``values`` (models: ``name -> model``)."""
        out = {}
        for name, model in models.items():
            prefix = f"{name}_" if len(models) > 1 else ""
            tasks = model.label_columns
            cols = score_names(tasks, prefix=prefix)
            pct = score_names(tasks, prefix=prefix, percentiles=True)
            k, i_ref, i_diff = (
                len(SCORE_COLUMNS),
                SCORE_COLUMNS.index("p_ref"),
                SCORE_COLUMNS.index("diff"),
            )
            for t in range(len(tasks)):
                p_ref, diff = cols[k * t + i_ref], cols[k * t + i_diff]
                missing = [c for c in (p_ref, diff) if c not in self.scores.columns]
                if missing:
                    raise NcvError(
                        f"the background was scored under other models (it lacks {missing[0]})"
                    )
                out[pct[2 * t]] = percentile(self.scores[p_ref], values[p_ref])
                out[pct[2 * t + 1]] = percentile(
                    self.scores[diff].abs(), values[diff].abs().to_numpy()
                )
        return pd.DataFrame(out, index=values.index)

    def sentence(self, diff: float, diff_pct: float, cell_line: str | None = None) -> str:
        """``A larger change than 97% of 10,000 random SNVs near the loci, in this cell line.``"""
        where = f"{self.where}, in this cell line ({cell_line})" if cell_line else self.where
        return (
            f"p_alt - p_ref = {diff:+.4f}: a larger change than {diff_pct:.0f}% of "
            f"{self.n:,} random SNVs {where}."
        )


def draw_snvs(
    anchors: pd.DataFrame, genome, *, n: int, seed: int, flank: int, window: int
) -> LociBatch:
    """``n`` random SNVs within ``flank`` bases of the ``anchors`` (``chrom``, ``pos``, placed
    on ``genome``), as a placed batch ready for :func:`ncv_core.scoring.chunk.score_placed`.

    Raises
    ------
    NcvError
        No anchor, or no position near them can hold an SNV (windows off the contigs, all N).
    """
    anchors = anchors[["chrom", "pos"]].drop_duplicates().reset_index(drop=True)
    if not len(anchors) or n < 1:
        raise NcvError("a background needs at least one locus to draw near and n >= 1")
    rng = np.random.default_rng(seed)
    chroms, pos = anchors["chrom"].to_numpy(dtype=object), anchors["pos"].to_numpy(np.int64)
    sizes = np.array([genome.contigs[c] for c in chroms], dtype=np.int64)
    low = np.maximum(pos - flank, variant_offset(window) + 1)  # where a window fits, near each
    high = np.minimum(pos + flank, sizes - (window - variant_offset(window)) + 1)
    usable = np.nonzero(low <= high)[0]
    got_c, got_p, got_r, got_a = [], [], [], []
    for _ in range(_ROUNDS if len(usable) else 0):
        need = n - sum(len(p) for p in got_p)
        if need <= 0:
            break
        m = max(2 * need, 64)
        k = usable[rng.integers(len(usable), size=m)]
        p = low[k] + (rng.random(m) * (high[k] - low[k] + 1)).astype(np.int64)
        shift = rng.integers(1, 4, size=m)
        bases = np.array(genome.bases_at(chroms[k].tolist(), p), dtype=object)
        idx = np.array([BASES.find(b) for b in bases], dtype=np.int64)
        take = np.nonzero(idx >= 0)[0][:need]  # N bases are skipped
        got_c.append(chroms[k][take])
        got_p.append(p[take])
        got_r.append(bases[take])
        got_a.append(_LETTERS[(idx[take] + shift[take]) % 4])
    total = sum(len(p) for p in got_p)
    if total < n:
        raise NcvError(
            f"found only {total:,} of {n:,} background positions within {flank:,} bases of the "
            "loci (windows off the contig ends, or N bases): use a smaller background"
        )
    return _batch(np.concatenate(got_c), np.concatenate(got_p), got_r, got_a)


def _batch(chroms, pos, refs, alts) -> LociBatch:
    n = len(pos)
    table = pd.DataFrame(
        {
            "chrom": chroms.tolist(),
            "pos": pos.astype(np.int64),
            "ref": np.concatenate(refs).tolist(),
            "alt": np.concatenate(alts).tolist(),
            "label": pd.array([None] * n, dtype="Int8"),
            "id": [f"background{i + 1}" for i in range(n)],
            "_line": np.zeros(n, dtype=np.int64),
            "_raw": "",
        }
    )
    return LociBatch(table, [], [], "background", "background", {})
