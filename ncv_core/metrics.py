"""Metrics for binary predictions: AUROC, AUPR, accuracy, ROC/PR curves, mean and standard error,
CV summaries and baseline score columns evaluated on the same rows.

Pure computation (scikit-learn for the metrics); evaluating a model is :mod:`ncv_core.evaluate`. A metric that is undefined on a set (AUROC on a
single-class set) is reported as NaN with its reason under ``"undefined"``, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm


def as_float(x: Any) -> np.ndarray:
    """Any 1-D array-like (nullable pandas columns included) as float64, NaN where missing."""
    if isinstance(x, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        x = pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(np.float64, na_value=np.nan)
    return np.asarray(x, dtype=np.float64).ravel()


def _clean(y_true: Sequence[float], score: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Keep rows with a 0/1 label and a finite score."""
    y, s = as_float(y_true), as_float(score)
    if y.shape != s.shape:
        raise ValueError(f"labels {y.shape} and scores {s.shape} differ in shape")
    keep = np.isin(y, (0.0, 1.0)) & np.isfinite(s)
    return y[keep].astype(np.int64), s[keep]


def binary_metrics(
    y_true: Sequence[float], score: Sequence[float], *, threshold: float = 0.5
) -> dict[str, Any]:
    """AUROC, AUPR (average precision) and accuracy of scores against 0/1 labels.

    Parameters
    ----------
    y_true : array-like
        ``(N,)`` labels; anything other than 0 or 1 (-1, NaN) is left out.
    score : array-like
        ``(N,)`` scores, higher = more likely functional; non-finite scores are left out.
    threshold : float
        Scores ``>= threshold`` count as predicted positive for the accuracy.

    Returns
    -------
    dict
        ``n``, ``n_pos``, ``n_neg``, ``auroc``, ``aupr``, ``accuracy`` (float, NaN when
        undefined) and ``undefined``: metric name -> reason, for each NaN metric.
    """
    y, s = _clean(y_true, score)
    n_pos, n_neg = int((y == 1).sum()), int((y == 0).sum())
    out: dict[str, Any] = {"n": len(y), "n_pos": n_pos, "n_neg": n_neg, "undefined": {}}
    if n_pos == 0 or n_neg == 0:
        reason = f"undefined on a single-class set ({n_pos} positive, {n_neg} negative rows)"
        out["auroc"] = float("nan")
        out["undefined"]["auroc"] = reason
    else:
        out["auroc"] = float(skm.roc_auc_score(y, s))
    if n_pos == 0:
        out["aupr"] = float("nan")
        out["undefined"]["aupr"] = f"undefined without positive rows ({n_neg} negative rows)"
    else:
        out["aupr"] = float(skm.average_precision_score(y, s))
    if len(y) == 0:
        out["accuracy"] = float("nan")
        out["undefined"]["accuracy"] = "undefined on an empty set"
    else:
        out["accuracy"] = float(((s >= threshold).astype(np.int64) == y).mean())
    return out


def roc_curve(y_true: Sequence[float], score: Sequence[float]) -> dict[str, list[float]]:
    """ROC curve points: ``fpr``, ``tpr``, ``thresholds`` (empty lists on a single-class set)."""
    y, s = _clean(y_true, score)
    if len(np.unique(y)) < 2:
        return {"fpr": [], "tpr": [], "thresholds": []}
    fpr, tpr, thr = skm.roc_curve(y, s)
    return {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": _finite(thr)}


def pr_curve(y_true: Sequence[float], score: Sequence[float]) -> dict[str, list[float]]:
    """Precision-recall points: ``precision``, ``recall``, ``thresholds`` (empty without
    positives)."""
    y, s = _clean(y_true, score)
    if (y == 1).sum() == 0:
        return {"precision": [], "recall": [], "thresholds": []}
    prec, rec, thr = skm.precision_recall_curve(y, s)
    return {"precision": prec.tolist(), "recall": rec.tolist(), "thresholds": _finite(thr)}


def _finite(x: np.ndarray) -> list[float | None]:
    """JSON-safe list: +inf (sklearn's first ROC threshold) becomes None."""
    return [float(v) if np.isfinite(v) else None for v in x]


def mean_se(values: Sequence[float]) -> tuple[float, float]:
    """Mean and standard error (``std(ddof=1) / sqrt(k)``) over the finite values."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return float("nan"), float("nan")
    se = float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")
    return float(v.mean()), se


def cv_summary(fold_metrics: Sequence[Mapping[str, float]], keys: Sequence[str]) -> dict:
    """``{key}_mean`` and ``{key}_se`` over folds for each of ``keys``."""
    out = {}
    for key in keys:
        out[f"{key}_mean"], out[f"{key}_se"] = mean_se([m.get(key, np.nan) for m in fold_metrics])
    return out


def baseline_metrics(
    table: pd.DataFrame, columns: Sequence[str], y_true: Sequence[float], *, curves: bool = False
) -> dict[str, dict[str, Any]]:
    """Each baseline score column of ``table`` (CADD, DeepSEA, ...) scored against ``y_true``.

    Parameters
    ----------
    table : pandas.DataFrame
        ``N`` rows holding ``columns`` (higher score = more likely functional).
    y_true : array-like
        ``(N,)`` labels for the same rows.
    curves : bool
        Also return ``roc`` and ``pr`` curve points.

    Returns
    -------
    dict
        Column -> :func:`binary_metrics` (accuracy left out: baselines have no threshold).
    """
    out = {}
    for c in columns:
        s = pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        m = binary_metrics(y_true, s)
        m.pop("accuracy")
        m["undefined"].pop("accuracy", None)
        if curves:
            m["roc"], m["pr"] = roc_curve(y_true, s), pr_curve(y_true, s)
        out[c] = m
    return out
