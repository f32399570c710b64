"""Evaluating a trained model on a feature table: which rows, the metrics, the baselines beside
it, and the cross-cell-line matrix (the SSL_dnn paper's Fig. 4).

The numbers themselves are :mod:`ncv_core.metrics`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ncv_core.errors import NcvError, warn
from ncv_core.metrics import (
    as_float,
    baseline_metrics,
    binary_metrics,
    mean_se,
    pr_curve,
    roc_curve,
)
from ncv_core.models.encoding import table_sha256
from ncv_core.models.loaded import LoadedModel
from ncv_core.training.train import out_of_fold


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
        model's own training table only its validation rows count, or its out-of-fold
        predictions for a cross-validated model (:func:`evaluation_rows`).

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
                idx, _, score = evaluation_scores(m, table, "auto")
                found.append(binary_metrics(table[label_col].iloc[idx], score))
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


ROWS: tuple[str, ...] = ("auto", "validation", "out-of-fold", "all")
"""Which rows an evaluation uses (:func:`evaluation_rows`)."""

ROW_DESCRIPTIONS: dict[str, str] = {
    "validation": "its validation rows (held out in training)",
    "out-of-fold": "out-of-fold predictions: each labelled row scored by the fold model that "
    "did not train on it",
    "all": "every labelled row",
}
"""What each kind of evaluated rows means, in a sentence (for reports and the app)."""


def evaluation_rows(
    loaded: LoadedModel, table: pd.DataFrame, rows: str = "auto"
) -> tuple[np.ndarray, str]:
    """Which rows of ``table`` to evaluate ``loaded`` on.

    Parameters
    ----------
    rows : {"auto", "validation", "out-of-fold", "all"}
        ``"validation"``: the model's validation rows (the table must be its training table,
        recognised by content hash, and the model folder must have ``split.tsv``).
        ``"out-of-fold"``: for a cross-validated model on its own training table, every
        labelled row, each to be scored by the fold model that did not train on it (the
        ``oof`` column of ``split.tsv``; :func:`evaluation_scores` reads the scores).
        ``"all"``: every labelled row. ``"auto"``: validation rows (paper split) or
        out-of-fold rows (cv) for the training table, all rows otherwise.

    Returns
    -------
    (numpy.ndarray, str)
        Row indices ``(n,)`` and ``"validation"``, ``"out-of-fold"`` or ``"all"``.
    """
    if rows not in ROWS:
        raise NcvError(f"rows must be one of {', '.join(ROWS)}, got {rows!r}")
    same = table_sha256(table) == (loaded.card.get("data") or {}).get("sha256")
    if rows == "all" or (rows == "auto" and not same):
        return np.arange(len(table)), "all"
    split = loaded.split
    if not same or split is None or "part" not in split.columns or len(split) != len(table):
        raise NcvError(
            f"{rows} rows are known only for the model's own training table with its split.tsv"
        )
    oof = _oof_rows(split)
    if rows == "out-of-fold" or (rows == "auto" and oof is not None):
        if oof is None:
            raise NcvError("the model has no out-of-fold predictions (not trained with --split cv)")
        return oof, "out-of-fold"
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


def _oof_rows(split: pd.DataFrame) -> np.ndarray | None:
    """Rows with an out-of-fold probability in ``split.tsv`` (None without an ``oof`` column)."""
    if "oof" not in split.columns:
        return None
    return np.flatnonzero(split["oof"].astype(str).to_numpy() != "")


def evaluation_scores(
    loaded: LoadedModel,
    table: pd.DataFrame,
    rows: str = "auto",
    *,
    meta: dict | None = None,
    task: int = 0,
) -> tuple[np.ndarray, str, np.ndarray]:
    """The rows to evaluate on (:func:`evaluation_rows`) and the model's probability for each.

    For ``"out-of-fold"`` rows the probabilities are the CV run's out-of-fold predictions
    (:func:`ncv_core.training.train.out_of_fold`, first task only), not the final model's, which
    trained on those rows.

    Returns
    -------
    (numpy.ndarray, str, numpy.ndarray)
        Row indices ``(n,)``, which rows, probabilities ``(n,)`` of task ``task``.
    """
    idx, which = evaluation_rows(loaded, table, rows)
    if which == "out-of-fold" and task != 0:
        if rows == "out-of-fold":
            raise NcvError("out-of-fold predictions are stored for the first label column only")
        warn("out-of-fold predictions exist for the first label only; using every labelled row")
        idx, which = np.arange(len(table)), "all"
    if which == "out-of-fold":
        # the same rows as _oof_rows; labels are not needed here (the caller has the table's)
        oof = out_of_fold(loaded.split, np.full(len(table), np.nan))
        return oof["row"].to_numpy(), which, oof["p"].to_numpy()
    score = loaded.predict_proba(table.iloc[idx], meta=meta)[:, task]
    return idx, which, score


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
        From :func:`ncv_core.io.model_folder.load_model`.
    table : pandas.DataFrame
        A feature table with the model's features (and ``seq``) and a label column.
    meta : dict, optional
        The table's metadata (``baseline_columns``, ``genome``).
    label_col : str, optional
        Default: the model's first label column.
    rows : {"auto", "validation", "out-of-fold", "all"}
        See :func:`evaluation_rows`.
    curves : bool
        Include ROC and PR curve points.

    Returns
    -------
    dict
        ``rows`` (which rows), ``rows_description`` (a sentence), ``label_column``,
        :func:`binary_metrics` keys, ``roc``/``pr`` curves and
        ``baselines`` (column -> metrics on the same rows).
    """
    meta = meta or {}
    label_col = label_col or loaded.label_columns[0]
    if label_col not in table.columns:
        raise NcvError(f"label column {label_col!r} not in the table")
    task = loaded.label_columns.index(label_col) if label_col in loaded.label_columns else 0
    idx, which, score = evaluation_scores(loaded, table, rows, meta=meta, task=task)
    sub = table.iloc[idx]
    y = as_float(sub[label_col])
    out: dict[str, Any] = {"rows": which, "label_column": label_col, **binary_metrics(y, score)}
    out["rows_description"] = ROW_DESCRIPTIONS[which]
    if curves:
        out["roc"], out["pr"] = roc_curve(y, score), pr_curve(y, score)
    cols = meta.get("baseline_columns") or loaded.card.get("features", {}).get("baseline_columns")
    cols = [c for c in cols or () if c in table.columns]
    out["baselines"] = baseline_metrics(sub, cols, y, curves=curves)
    return out
