"""Metrics for binary predictions: AUROC, AUPR, accuracy, ROC/PR curves, CV summaries, the
cross-cell-line matrix and baseline score columns evaluated on the same rows.

Pure computation (scikit-learn for the metrics). A metric that is undefined on a set (AUROC on a
single-class set) is reported as NaN with its reason under ``"undefined"``, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from ncv_core.errors import NcvError, warn

if TYPE_CHECKING:  # pragma: no cover
    from ncv_core.modelio import LoadedModel


def _as_float(x: Any) -> np.ndarray:
    """Any 1-D array-like (nullable pandas columns included) as float64, NaN where missing."""
    if isinstance(x, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        x = pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(np.float64, na_value=np.nan)
    return np.asarray(x, dtype=np.float64).ravel()


def _clean(y_true: Sequence[float], score: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Keep rows with a 0/1 label and a finite score."""
    y, s = _as_float(y_true), _as_float(score)
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


def cross_cell_line(
    models: Mapping[str, LoadedModel | Sequence[LoadedModel]],
    tables: Mapping[str, pd.DataFrame],
    *,
    label_col: str = "label",
) -> pd.DataFrame:
    """The cross-cell-line matrix (Fig. 4 of the SSL_dnn paper).

    Parameters
    ----------
    models : mapping of str to LoadedModel or sequence of LoadedModel
        Models trained on each cell line (several, e.g. the CV fold models, give mean and SE).
    tables : mapping of str to pandas.DataFrame
        Feature tables of the cell lines to evaluate on: every labelled row, except that on a
        model's own training table only its validation rows count (:func:`evaluation_rows`).

    Returns
    -------
    pandas.DataFrame
        One row per (``train``, ``test``) pair: ``auroc``, ``auroc_se``, ``accuracy``,
        ``accuracy_se``, ``n``.
    """
    rows = []
    for train_name, group in models.items():
        group = [group] if not isinstance(group, Sequence) else list(group)
        for test_name, table in tables.items():
            found = []
            for m in group:
                idx, _ = evaluation_rows(m, table, "auto")
                sub = table.iloc[idx]
                found.append(binary_metrics(sub[label_col], m.predict_proba(sub)[:, 0]))
            auroc, auroc_se = mean_se([f["auroc"] for f in found])
            acc, acc_se = mean_se([f["accuracy"] for f in found])
            rows.append(
                {
                    "train": train_name,
                    "test": test_name,
                    "auroc": auroc,
                    "auroc_se": auroc_se,
                    "accuracy": acc,
                    "accuracy_se": acc_se,
                    "n": found[0]["n"],
                }
            )
    return pd.DataFrame(rows)


def evaluation_rows(
    loaded: LoadedModel, table: pd.DataFrame, rows: str = "auto"
) -> tuple[np.ndarray, str]:
    """Which rows of ``table`` to evaluate ``loaded`` on.

    Parameters
    ----------
    rows : {"auto", "validation", "all"}
        ``"validation"``: the model's validation rows (the table must be its training table,
        recognised by content hash, and the model folder must have ``split.tsv``). ``"all"``:
        every labelled row. ``"auto"``: validation rows for the training table, all rows
        otherwise.

    Returns
    -------
    (numpy.ndarray, str)
        Row indices ``(n,)`` and ``"validation"`` or ``"all"``.
    """
    from ncv_core.training.data import table_sha256  # here: training imports this module

    if rows not in ("auto", "validation", "all"):
        raise NcvError(f"rows must be auto, validation or all, got {rows!r}")
    same = table_sha256(table) == (loaded.card.get("data") or {}).get("sha256")
    if rows == "all" or (rows == "auto" and not same):
        return np.arange(len(table)), "all"
    split = loaded.split
    if not same or split is None or "part" not in split.columns:
        raise NcvError(
            "validation rows are known only for the model's own training table with its split.tsv"
        )
    chosen = split["part"].to_numpy() == "validation"
    if not chosen.any():
        if rows == "validation":
            raise NcvError("the model has no validation rows (trained with --split cv)")
        warn("the model has no validation rows; evaluating on rows it was trained on")
        return np.arange(len(table)), "all"
    key = split.columns[0]
    if key == "row":
        return np.sort(split.loc[chosen, "row"].astype(int).to_numpy()), "validation"
    wanted = set(split.loc[chosen, key])
    return np.flatnonzero(table["id"].astype(str).isin(wanted).to_numpy()), "validation"


def evaluate_model(
    loaded: LoadedModel,
    table: pd.DataFrame,
    *,
    meta: dict | None = None,
    label_col: str | None = None,
    rows: str = "auto",
    curves: bool = True,
) -> dict[str, Any]:
    """Metrics of a model on a feature table, with the table's baseline columns beside them.

    Parameters
    ----------
    loaded : LoadedModel
        From :func:`ncv_core.modelio.load_model`.
    table : pandas.DataFrame
        A feature table with the model's features (and ``seq``) and a label column.
    meta : dict, optional
        The table's metadata (``baseline_columns``, ``genome``).
    label_col : str, optional
        Default: the model's first label column.
    rows : {"auto", "validation", "all"}
        See :func:`evaluation_rows`.
    curves : bool
        Include ROC and PR curve points.

    Returns
    -------
    dict
        ``rows``, ``label_column``, :func:`binary_metrics` keys, ``roc``/``pr`` curves and
        ``baselines`` (column -> metrics on the same rows).
    """
    meta = meta or {}
    label_col = label_col or loaded.label_columns[0]
    if label_col not in table.columns:
        raise NcvError(f"label column {label_col!r} not in the table")
    idx, which = evaluation_rows(loaded, table, rows)
    sub = table.iloc[idx]
    y = _as_float(sub[label_col])
    score = loaded.predict_proba(sub, meta=meta)[:, 0]
    out: dict[str, Any] = {"rows": which, "label_column": label_col, **binary_metrics(y, score)}
    if curves:
        out["roc"], out["pr"] = roc_curve(y, score), pr_curve(y, score)
    cols = meta.get("baseline_columns") or loaded.card.get("features", {}).get("baseline_columns")
    cols = [c for c in cols or () if c in table.columns]
    out["baselines"] = baseline_metrics(sub, cols, y, curves=curves)
    return out
