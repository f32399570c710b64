"""Feature importance without training (the SSL_dnn paper's Fig. 2a-b): distributions per label
and the Pearson correlation of every feature with the label.

:func:`feature_importance` returns data, never figures: per feature and label, summary statistics
and quantiles, a histogram on bin edges shared by both labels (so the two can be overlaid), and
per feature the Pearson correlation with the 0/1 label (the point-biserial correlation) with its
two-sided p-value. Only labelled rows are used; a feature's missing values are left out of that
feature's numbers only. Each feature is also assigned to its ablation group
(:data:`ncv_core.constants.MARK_GROUPS`, ``nucleotide`` or ``other``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ncv_core.constants import COMPOSITION_COLUMNS, MARK_GROUPS, NUCLEOTIDE_GROUP
from ncv_core.errors import NcvError
from ncv_core.models.encoding import feature_matrix, label_matrix, select_features

__all__ = ["FeatureImportance", "feature_group", "feature_importance"]

QUANTILES: tuple[float, ...] = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
"""Quantiles reported per feature and label (0 and 1 are the minimum and maximum)."""


@dataclass(frozen=True)
class FeatureImportance:
    """Per-label distributions and label correlations of ``F`` features.

    Attributes
    ----------
    correlation : pandas.DataFrame
        One row per feature, sorted by ``|r|`` (largest first): ``feature group r abs_r p_value
        n``; ``r`` is NaN for a feature constant over the labelled rows.
    summary : pandas.DataFrame
        One row per (feature, label): ``feature group label n n_missing mean std q0 q05 q25 q50
        q75 q95 q100`` (``q0``/``q100`` the minimum and maximum).
    histograms : pandas.DataFrame
        One row per (feature, label, bin): ``feature label bin left right count density``; the
        ``bins`` edges of a feature span both labels' values, ``density`` integrates to 1.
    standardized : bool
        Whether values were standardised (over the labelled rows) before summarising.
    binary : tuple of str
        Features whose labelled values are all 0 or 1 (before standardising), such as the Peak
        features: their ``summary`` ``mean`` is the fraction of loci with 1, better drawn as a
        proportion than as a density.
    """

    correlation: pd.DataFrame
    summary: pd.DataFrame
    histograms: pd.DataFrame
    standardized: bool
    binary: tuple[str, ...] = ()


def feature_group(column: str) -> str:
    """The ablation group of a feature column: a :data:`MARK_GROUPS` key, ``nucleotide`` or
    ``other`` (a mark outside the paper's eleven, a user's own column)."""
    if column in COMPOSITION_COLUMNS:
        return NUCLEOTIDE_GROUP
    for group, marks in MARK_GROUPS.items():
        if any(column.startswith(f"{m}_") for m in marks):
            return group
    return "other"


def _pearson(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise Pearson r of ``x`` ``(n, F)`` (NaN = missing) with ``y`` ``(n,)``.

    Returns ``r``, the two-sided p-value (t test with ``n - 2`` degrees of freedom, as
    ``scipy.stats.pearsonr``) and the number of rows used, each ``(F,)``.
    """
    present = ~np.isnan(x)
    n = present.sum(axis=0).astype(np.float64)
    xs = np.where(present, x, 0.0)
    ys = np.where(present, y[:, None], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = xs.sum(0) / n, ys.sum(0) / n
        dx, dy = np.where(present, x - mx, 0.0), np.where(present, y[:, None] - my, 0.0)
        sxx, syy, sxy = (dx**2).sum(0), (dy**2).sum(0), (dx * dy).sum(0)
        r = sxy / np.sqrt(sxx * syy)
    tiny = (sxx <= 1e-20 * np.maximum(1.0, (xs**2).sum(0))) | (syy == 0) | (n < 3)
    r = np.where(tiny, np.nan, np.clip(r, -1.0, 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        t = r * np.sqrt((n - 2) / np.maximum(1.0 - r**2, 0.0))
    p = np.where(np.isnan(r), np.nan, 2.0 * stats.t.sf(np.abs(t), np.maximum(n - 2, 1)))
    return r, p, n.astype(np.int64)


def _summary_rows(name: str, label: int, v: np.ndarray, n_missing: int) -> dict:
    row = {"feature": name, "group": feature_group(name), "label": label, "n": len(v)}
    row["n_missing"] = n_missing
    row["mean"] = float(v.mean()) if len(v) else np.nan
    row["std"] = float(v.std(ddof=1)) if len(v) > 1 else np.nan
    qs = np.quantile(v, QUANTILES) if len(v) else np.full(len(QUANTILES), np.nan)
    for q, value in zip(QUANTILES, qs, strict=True):
        row[f"q{round(q * 100):02d}" if 0 < q < 1 else f"q{round(q * 100)}"] = float(value)
    return row


def _histogram(name: str, values: dict[int, np.ndarray], bins: int) -> list[dict]:
    both = np.concatenate(list(values.values()))
    if len(both) == 0:
        return []
    lo, hi = float(both.min()), float(both.max())
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
    rows = []
    for label, v in values.items():
        counts, _ = np.histogram(v, bins=edges)
        width = np.diff(edges)
        density = counts / (counts.sum() * width) if counts.sum() else np.zeros(bins)
        for b in range(bins):
            rows.append(
                {
                    "feature": name,
                    "label": label,
                    "bin": b,
                    "left": edges[b],
                    "right": edges[b + 1],
                    "count": int(counts[b]),
                    "density": float(density[b]),
                }
            )
    return rows


def feature_importance(
    table: pd.DataFrame,
    *,
    meta: dict | None = None,
    features: Sequence[str] | None = None,
    label_col: str = "label",
    bins: int = 30,
    standardize: bool = False,
) -> FeatureImportance:
    """Distributions per label and Pearson correlation with the label of every feature.

    Parameters
    ----------
    table : pandas.DataFrame
        A feature table with ``label_col`` (1, 0 or missing) and numeric feature columns.
    meta : dict, optional
        The table's metadata; its ``feature_columns`` are the default features.
    features : sequence of str, optional
        Columns to describe (default: as training chooses them, see
        :func:`ncv_core.models.encoding.select_features`).
    label_col : str
        The 0/1 label column; rows without a label are ignored.
    bins : int
        Histogram bins per feature (edges shared by the two labels).
    standardize : bool
        Describe ``(x - mean) / sd`` over the labelled rows (the paper's "after preprocessing");
        correlations do not change.

    Returns
    -------
    FeatureImportance
        ``correlation`` (F rows), ``summary`` (2F rows) and ``histograms`` (2F x bins rows).

    Raises
    ------
    NcvError
        If the label column is missing or bad, no row is labelled, or a feature is not numeric.
    """
    if bins < 1:
        raise NcvError(f"bins must be at least 1, got {bins}")
    cols = select_features(table, meta, label_cols=(label_col,), feature_cols=features)
    if not cols:
        raise NcvError("the table has no numeric feature columns to describe")
    y = label_matrix(table, (label_col,))[:, 0]
    keep = y >= 0
    if not keep.any():
        raise NcvError(f"no row of the table has a label in {label_col!r}")
    x, y = feature_matrix(table, cols)[keep], y[keep].astype(np.float64)
    with np.errstate(invalid="ignore"):
        zero_one = np.where(np.isnan(x), 0.0, x)
        binary = tuple(
            c for c, ok in zip(cols, np.isin(zero_one, (0.0, 1.0)).all(0), strict=True) if ok
        )
    if standardize:
        with np.errstate(invalid="ignore"):
            sd = np.nanstd(x, axis=0)
            x = (x - np.nanmean(x, axis=0)) / np.where(sd > 0, sd, 1.0)
    r, p, n = _pearson(x, y)
    correlation = pd.DataFrame(
        {"feature": cols, "group": [feature_group(c) for c in cols], "r": r}
        | {"abs_r": np.abs(r), "p_value": p, "n": n}
    )
    correlation = correlation.sort_values("abs_r", ascending=False, na_position="last")
    summary, hist = [], []
    for j, name in enumerate(cols):
        values = {}
        for label in (0, 1):
            col = x[y == label, j]
            values[label] = col[~np.isnan(col)]
            summary.append(_summary_rows(name, label, values[label], int(np.isnan(col).sum())))
        hist += _histogram(name, values, bins)
    return FeatureImportance(
        correlation.reset_index(drop=True),
        pd.DataFrame(summary),
        pd.DataFrame(hist),
        standardize,
        binary,
    )
