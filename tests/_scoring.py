"""Helpers of the scoring tests (not a test module): model folders written without training (a
seeded random network and a card), so the tests run in seconds and every number is the
network's own, and a naive per-variant reference scorer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ncv_core.constants import COMPOSITION_COLUMNS
from ncv_core.io.model_folder import CARD_FORMAT, CARD_VERSION, write_model
from ncv_core.models import build_model
from ncv_core.models.encoding import Scaler, feature_matrix
from ncv_core.sequence import composition


def seq_model(folder: Path, *, arch: str = "deepbind", window: int = 150, seed: int = 0) -> Path:
    """A sequence-only model folder (no tabular features, no tracks), random weights."""
    torch.manual_seed(seed)
    kwargs = {"deepbind": {"filters": 6, "kernel": 8, "hidden": 5}}.get(arch, {})
    model = build_model(arch, seq_len=window, **kwargs).eval()
    card = {
        "format": CARD_FORMAT,
        "format_version": CARD_VERSION,
        "architecture": {"name": arch, "kwargs": model.config},
        "inputs": {"window": window, "base_order": "ACGT"},
        "features": {"genome": {"build": None}},
        "metrics": {},
    }
    return write_model(folder, model, card)


def tab_model(folder: Path, table: pd.DataFrame, columns: list[str], *, seed: int = 0) -> Path:
    """An ssl_dnn folder reading ``columns`` of ``table`` (scaler fitted on it), random weights."""
    torch.manual_seed(seed)
    window = len(table["seq"].iloc[0])
    model = build_model("ssl_dnn", n_tab=len(columns), seq_len=window).eval()
    scaler = Scaler.fit(feature_matrix(table, columns), columns)
    card = {
        "format": CARD_FORMAT,
        "format_version": CARD_VERSION,
        "architecture": {"name": "ssl_dnn", "kwargs": model.config},
        "inputs": {"window": window, "base_order": "ACGT", "scaler": scaler.to_dict()},
        "features": {"cell_line": "CL", "genome": {"build": None}},
        "metrics": {},
    }
    return write_model(folder, model, card)


def naive_scores(loaded, ref_seqs: list[str], alt_seqs: list[str], row: pd.DataFrame | None = None):
    """``(p_ref, p_alt)`` from one forward per window built by the caller; the tabular features
    (when the model has any) are ``row``'s, the composition recomputed for each window."""
    out = []
    for seqs in (ref_seqs, alt_seqs):
        frame = pd.DataFrame({"seq": seqs})
        if loaded.feature_columns:
            base = pd.concat([row] * len(seqs), ignore_index=True)
            comp = composition(seqs)
            for c in loaded.feature_columns:
                frame[c] = comp[c].to_numpy() if c in COMPOSITION_COLUMNS else base[c].to_numpy()
        out.append(
            np.array([loaded.predict_proba(frame.iloc[[i]])[0, 0] for i in range(len(seqs))])
        )
    return out[0], out[1]
