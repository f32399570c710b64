"""The model card (``card.json``) and the split table (``split.tsv``) of a training run.

The card carries everything needed to rebuild the features and the network and to re-derive
the result: architecture and its arguments, settings, feature names in order, scaling
statistics, window, marks/tracks, cell line, genome build, a summary and hash of the training
table, the split, the seed, the per-epoch history and the final metrics.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ncv_core import __version__
from ncv_core.constants import BASES
from ncv_core.io.model_folder import CARD_FORMAT, CARD_VERSION
from ncv_core.io.tables import json_ready
from ncv_core.models import n_members, n_parameters
from ncv_core.models.encoding import SEQ_COLUMN, table_sha256
from ncv_core.training.types import Fit, Prepared, TrainConfig

FEATURE_META_KEYS = (
    "format",
    "version",
    "cell_line",
    "window",
    "genome",
    "marks",
    "tracks",
    "baseline_columns",
    "loci",
)


def build_card(
    prep: Prepared,
    cfg: TrainConfig,
    fit: Fit,
    split_info: dict[str, Any],
    metrics: dict[str, Any],
    *,
    source: str | None,
    seconds: float,
    folds: list[Fit],
) -> dict[str, Any]:
    """Assemble the card of a run (JSON-ready: NaN becomes None)."""
    model = fit.model
    y0 = prep.labels[:, 0]
    labelled = (prep.labels >= 0).any(axis=1)
    card = {
        "format": CARD_FORMAT,
        "format_version": CARD_VERSION,
        "package_version": __version__,
        "architecture": {
            "name": prep.model_name,
            "kwargs": dict(model.config),
            "n_parameters": n_parameters(model),
            "members": n_members(model),
            "head": model.head,
            "n_tasks": model.n_tasks,
            "uses_seq": bool(model.uses_seq),
            "uses_tab": bool(model.uses_tab),
        },
        "method": cfg.method,
        "preset": cfg.preset,
        "config": cfg.to_dict(),
        "seed": cfg.seed,
        "inputs": {
            "label_columns": list(cfg.label_cols),
            "feature_columns": list(fit.scaler.columns) if fit.scaler else [],
            "scaler": fit.scaler.to_dict() if fit.scaler else None,
            "seq_column": SEQ_COLUMN if model.uses_seq else None,
            "window": prep.window if model.uses_seq else prep.meta.get("window"),
            "base_order": BASES,
        },
        "features": {k: prep.meta[k] for k in FEATURE_META_KEYS if k in prep.meta},
        "data": {
            "source": source,
            "sha256": table_sha256(prep.table),
            "n_rows": len(y0),
            "n_labelled_rows": int(labelled.sum()),
            "n_pos": int((y0 == 1).sum()),
            "n_neg": int((y0 == 0).sum()),
            "n_unlabelled_rows": int((~labelled).sum()),
        },
        "split": {"file": "split.tsv", "key": split_key(prep.table)[0], **split_info},
        "training": {**fit.info, "seconds": round(seconds, 3)},
        "history": fit.history,
        "metrics": metrics,
    }
    if folds:
        card["cv"] = [
            {"fold": k + 1, "metrics": f.metrics, "history": f.history} for k, f in enumerate(folds)
        ]
    return json_ready(card)


def split_key(table: pd.DataFrame) -> tuple[str, list]:
    """How ``split.tsv`` names rows: ``("id", ids)`` when ids are present and unique, else
    ``("row", 0-based indices)``."""
    if "id" in table.columns:
        ids = table["id"]
        if ids.notna().all() and ids.astype(str).is_unique:
            return "id", ids.astype(str).tolist()
    return "row", list(range(len(table)))


def split_frame(table: pd.DataFrame, parts: dict[str, np.ndarray]) -> pd.DataFrame:
    """``split.tsv`` as a frame: the row key, ``part``, and any per-fold role columns."""
    key, values = split_key(table)
    frame = pd.DataFrame({key: values})
    for name, arr in parts.items():
        frame[name] = np.asarray(arr).astype(str)
    return frame


def out_of_fold(split: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame | None:
    """A CV run's out-of-fold predictions from its ``split.tsv`` (None for other splits).

    Returns
    -------
    pandas.DataFrame or None
        One row per labelled row: ``row`` (0-based index in the table), ``fold`` (1-based),
        ``label`` and ``p`` (the probability from the fold model that did not train on it).
    """
    if "oof" not in split.columns:
        return None
    text = split["oof"].astype(str).to_numpy()
    rows = np.flatnonzero(text != "")
    return pd.DataFrame(
        {
            "row": rows,
            "fold": split["part"].to_numpy()[rows].astype(int),
            "label": np.asarray(labels)[rows],
            "p": text[rows].astype(np.float64),
        }
    )
