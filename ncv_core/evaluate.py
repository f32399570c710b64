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
        From :func:`ncv_core.io.model_folder.load_model`.
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
    y = as_float(sub[label_col])
    score = loaded.predict_proba(sub, meta=meta)[:, 0]
    out: dict[str, Any] = {"rows": which, "label_column": label_col, **binary_metrics(y, score)}
    if curves:
        out["roc"], out["pr"] = roc_curve(y, score), pr_curve(y, score)
    cols = meta.get("baseline_columns") or loaded.card.get("features", {}).get("baseline_columns")
    cols = [c for c in cols or () if c in table.columns]
    out["baselines"] = baseline_metrics(sub, cols, y, curves=curves)
    return out
