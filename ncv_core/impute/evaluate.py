"""Scoring imputed tracks against measured ones and the average-activity baseline.

The baseline (as in Schreiber et al.) predicts, at each position, the mean over the training
cell types of the same assay -- here, of the same species: a track of cell type ``c`` and assay
``a`` is compared with the mean of the ``a`` tracks of the reference set other than itself.
Errors are on the model (arcsinh) scale, like the paper's. A global score is the mean over
tracks of each track's MSE (every experiment weighs the same); a masked score (peaks,
promoters, ...) restricts each track to the masked bins of its species.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ncv_core.errors import NcvError
from ncv_core.impute.data import TrackTensor
from ncv_core.impute.predict import impute
from ncv_core.impute.result import AvocadoFit


@dataclass(frozen=True)
class ImputationScores:
    """MSE of imputed vs measured tracks, next to the average-activity baseline.

    Attributes
    ----------
    tracks : list of (cell type, assay)
    mse, baseline_mse : numpy.ndarray, shape (n_tracks,)
        Per-track MSE over the species' bins; the baseline is NaN where no reference track of
        that assay exists in that species.
    masked_mse, masked_baseline_mse : numpy.ndarray, shape (n_tracks,) or None
        The same over the masked bins only (None without a mask).
    """

    tracks: list[tuple[str, str]]
    mse: np.ndarray
    baseline_mse: np.ndarray
    masked_mse: np.ndarray | None = None
    masked_baseline_mse: np.ndarray | None = None

    def summary(self) -> dict[str, Any]:
        """Global means and the ratio model / baseline (over tracks with a baseline)."""
        out: dict[str, Any] = {"n_tracks": len(self.tracks)}
        pairs = [("", self.mse, self.baseline_mse)]
        if self.masked_mse is not None:
            pairs.append(("masked_", self.masked_mse, self.masked_baseline_mse))
        for prefix, model, base in pairs:
            ok = np.isfinite(base)
            out[f"{prefix}mse"] = float(np.mean(model))
            out[f"{prefix}baseline_mse"] = float(np.mean(base[ok])) if ok.any() else None
            ratio = np.mean(model[ok]) / np.mean(base[ok]) if ok.any() else np.nan
            out[f"{prefix}ratio"] = float(ratio) if ok.any() else None
        return out

    def as_rows(self) -> list[dict[str, Any]]:
        """One JSON-able dict per track."""
        rows = []
        for i, (cell, assay) in enumerate(self.tracks):
            row = {"cell": cell, "assay": assay, "mse": float(self.mse[i])}
            row["baseline_mse"] = float(self.baseline_mse[i])
            if self.masked_mse is not None:
                row["masked_mse"] = float(self.masked_mse[i])
                row["masked_baseline_mse"] = float(self.masked_baseline_mse[i])
            rows.append(row)
        return rows


def average_activity(tensor: TrackTensor, row: int, reference: np.ndarray) -> np.ndarray | None:
    """Baseline of track ``row``: per-bin mean of the reference tracks of its assay and species.

    Returns
    -------
    numpy.ndarray, shape (n_bins_of_species,), or None when no such reference track exists
    """
    same = reference[
        (tensor.track_assay[reference] == tensor.track_assay[row])
        & (tensor.track_species[reference] == tensor.track_species[row])
        & (reference != row)
    ]
    if not len(same):
        return None
    cols = np.flatnonzero(tensor.bin_species == tensor.track_species[row])
    return tensor.signal[np.ix_(same, cols)].mean(axis=0)


def evaluate_imputation(
    fit: AvocadoFit,
    tensor: TrackTensor,
    tracks: Sequence[tuple[str, str]] | None = None,
    *,
    reference: Sequence[tuple[str, str]] | None = None,
    mask: np.ndarray | None = None,
    device: str | torch.device | None = None,
) -> ImputationScores:
    """Score imputations of measured tracks (by default the fit's held-out tracks).

    Parameters
    ----------
    fit : AvocadoFit
    tensor : TrackTensor
        Holds the measured values; on the fit's genome axis.
    tracks : sequence of (cell type, assay), optional
        Tracks to score; default ``fit.held_out``.
    reference : sequence of (cell type, assay), optional
        Tracks the baseline averages; default ``fit.trained`` (the paper's rule). For a
        zero-shot assay, which has no training track in the species, pass measured tracks of
        the other cell types (a leave-one-out baseline that sees data the model never did).
    mask : numpy.ndarray, shape (n_bins,), bool, optional
        Bins (tensor columns) for the masked scores.
    """
    tracks = list(fit.held_out if tracks is None else tracks)
    if not tracks:
        raise NcvError("no tracks to evaluate: the fit held none out and none were given")
    rows = tensor.track_index(tracks)
    present = set(tensor.track_names())
    ref = tensor.track_index(
        [p for p in (fit.trained if reference is None else reference) if tuple(p) in present]
    )
    if mask is not None and np.asarray(mask).shape != (tensor.n_bins,):
        raise NcvError(f"mask needs one value per bin ({tensor.n_bins}), got {np.shape(mask)}")
    scores = {k: np.full(len(rows), np.nan) for k in ("m", "b", "mm", "mb")}
    for i, row in enumerate(rows):
        cols = np.flatnonzero(tensor.bin_species == tensor.track_species[row])
        truth = tensor.signal[row, cols]
        pred = impute(fit, *tracks[i], original_units=False, device=device)
        base = average_activity(tensor, row, ref)
        keep = np.asarray(mask, dtype=bool)[cols] if mask is not None else None
        scores["m"][i] = np.mean((pred - truth) ** 2)
        if base is not None:
            scores["b"][i] = np.mean((base - truth) ** 2)
        if keep is not None and keep.any():
            scores["mm"][i] = np.mean((pred[keep] - truth[keep]) ** 2)
            if base is not None:
                scores["mb"][i] = np.mean((base[keep] - truth[keep]) ** 2)
    return ImputationScores(
        tracks=[tuple(t) for t in tracks],
        mse=scores["m"],
        baseline_mse=scores["b"],
        masked_mse=scores["mm"] if mask is not None else None,
        masked_baseline_mse=scores["mb"] if mask is not None else None,
    )
