"""Per-track scores of imputed tracks: MSE against the measured truth and the baseline.

For every scored (cell line, mark): the MSE over all of its species' bins (arcsinh scale, as in
the paper), the average-activity baseline's MSE (``evaluate.average_activity``: the per-bin
mean of the same mark in the trained tracks of the same species), and the same two restricted
to the track's own peaks (when its manifest row has a peaks file) and to promoters (when a
promoter BED is given). A mark the species never trained on (zero-shot) has no such reference;
its baseline then averages the *other scored* tracks of that mark and species, a leave-one-out
baseline that sees truth the model never did (``baseline_reference = "leave-one-out"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from ncv_core.impute.evaluate import evaluate_imputation
from ncv_core.impute.result import AvocadoFit
from ncv_core.impute.sources import TrackInputs, peak_mask


def _masks(inputs: TrackInputs, promoters: np.ndarray | None) -> dict[tuple[str, str], dict]:
    """Per track with a peaks file: its peak mask over the tensor's columns."""
    t = inputs.tensor
    out: dict[tuple[str, str], dict] = {}
    for src in inputs.sources:
        cols = t.species_bins(src.species) if src.species in t.species else np.zeros(0, int)
        for spec in src.specs:
            masks: dict[str, np.ndarray] = {}
            if spec.peaks is not None:
                full = np.zeros(t.n_bins, dtype=bool)
                full[cols] = peak_mask(spec.peaks, src.regions)
                masks["peaks"] = full
            if promoters is not None:
                masks["promoters"] = promoters
            out[(spec.cell_line, spec.mark)] = masks
    return out


def score_tracks(
    fit: AvocadoFit,
    inputs: TrackInputs,
    tracks: Sequence[tuple[str, str]],
    *,
    promoters: np.ndarray | None = None,
    device: str | torch.device | None = None,
) -> list[dict[str, Any]]:
    """Score the imputations of measured ``tracks`` (module docstring).

    Parameters
    ----------
    fit : AvocadoFit
    inputs : TrackInputs
        Holds the truth of ``tracks`` and the trained tracks, on ``fit``'s genome axis.
    tracks : sequence of (cell line, mark)
    promoters : numpy.ndarray, shape (n_bins,), bool, optional
        Promoter bins (tensor columns).

    Returns
    -------
    list of dict
        One row per track: ``cell_line, mark, species, n_bins, mse, baseline_mse,
        improvement`` (1 - mse / baseline), ``baseline_reference``, and ``{peaks,
        promoters}_{mse, baseline_mse, n_bins}`` where defined.
    """
    t = inputs.tensor
    masks = _masks(inputs, promoters)
    scored = [tuple(p) for p in tracks]
    trained = set(map(tuple, fit.trained))
    rows = []
    for cell, mark in scored:
        species = t.species[int(t.track_species[t.track_index([(cell, mark)])[0]])]
        has_ref = any(
            p[1] == mark and fit.cell_species[fit.cells.index(p[0])] == species for p in trained
        )
        reference = None if has_ref else [p for p in scored if p[1] == mark]
        row: dict[str, Any] = {"cell_line": cell, "mark": mark, "species": species}
        row["n_bins"] = int(len(t.species_bins(species)))
        glob = evaluate_imputation(fit, t, [(cell, mark)], reference=reference, device=device)
        row["mse"], row["baseline_mse"] = float(glob.mse[0]), float(glob.baseline_mse[0])
        base = row["baseline_mse"]
        row["improvement"] = 1.0 - row["mse"] / base if base > 0 else float("nan")
        row["baseline_reference"] = "trained" if has_ref else "leave-one-out"
        for name, mask in masks.get((cell, mark), {}).items():
            part = evaluate_imputation(
                fit, t, [(cell, mark)], reference=reference, mask=mask, device=device
            )
            cols = t.species_bins(species)
            row[f"{name}_n_bins"] = int(mask[cols].sum())
            row[f"{name}_mse"] = float(part.masked_mse[0])
            row[f"{name}_baseline_mse"] = float(part.masked_baseline_mse[0])
        rows.append(row)
    return rows


def summarize_scores(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Means over tracks (each track weighs the same) of every MSE column, and the improvement
    of the mean MSE over the mean baseline MSE (tracks with a finite baseline)."""
    out: dict[str, Any] = {"n_tracks": len(rows)}
    for prefix in ("", "peaks_", "promoters_"):
        pairs = [
            (r[f"{prefix}mse"], r[f"{prefix}baseline_mse"])
            for r in rows
            if np.isfinite(r.get(f"{prefix}mse", np.nan))
            and np.isfinite(r.get(f"{prefix}baseline_mse", np.nan))
        ]
        if not pairs:
            continue
        model, base = np.mean([p[0] for p in pairs]), np.mean([p[1] for p in pairs])
        out[f"{prefix}mse"], out[f"{prefix}baseline_mse"] = float(model), float(base)
        out[f"{prefix}improvement"] = float(1.0 - model / base) if base > 0 else None
        out[f"{prefix}n_tracks"] = len(pairs)
    return out
