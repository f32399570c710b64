"""Imputed tracks: the one batched forward pass of an Avocado network, and its public verb."""

from __future__ import annotations

import copy

import numpy as np
import torch

from ncv_core.device import resolve_device
from ncv_core.errors import NcvError
from ncv_core.impute.model import Avocado
from ncv_core.impute.result import AvocadoFit, species_positions
from ncv_core.impute.transform import from_model_scale

PREDICT_BATCH = 65_536


def forward_batched(
    model: Avocado,
    cell: np.ndarray,
    assay: np.ndarray,
    position: np.ndarray,
    *,
    batch_size: int = PREDICT_BATCH,
    device: str | torch.device | None = None,
) -> np.ndarray:
    """Model-scale predictions for many (cell row, assay row, axis bin) triples.

    Parameters
    ----------
    model : Avocado
        Never modified: when it lives on another device, a private copy is moved there.
    cell, assay, position : numpy.ndarray, shape (N,), int
    batch_size : int
        Triples per forward call; it does not change the result.

    Returns
    -------
    numpy.ndarray, shape (N,), float32, on the CPU
    """
    dev = resolve_device(device)
    here = next(model.parameters()).device
    if here.type != dev.type or (dev.index is not None and here.index != dev.index):
        model = copy.deepcopy(model).to(dev)
    # No dropout or batch norm: train/eval mode does not matter, and is left alone.
    out = np.empty(len(position), dtype=np.float32)
    with torch.inference_mode():
        for lo in range(0, len(position), batch_size):
            sl = slice(lo, lo + batch_size)
            args = [
                torch.as_tensor(np.asarray(a[sl], dtype=np.int64), device=dev)
                for a in (cell, assay, position)
            ]
            out[sl] = model(*args).float().cpu().numpy()
    return out


def impute(
    fit: AvocadoFit,
    cell: str,
    assay: str,
    *,
    original_units: bool = True,
    batch_size: int = PREDICT_BATCH,
    device: str | torch.device | None = None,
) -> np.ndarray:
    """The imputed track of ``assay`` in ``cell`` over every bin of the cell's species.

    Parameters
    ----------
    fit : AvocadoFit
    cell, assay : str
        Any cell type and assay the network has rows for, measured or not (an assay measured
        only in the other species gives a zero-shot imputation).
    original_units : bool
        ``sinh`` of the network output (the track's units) when True, else the arcsinh scale.

    Returns
    -------
    numpy.ndarray, shape (n_bins_of_species,)
        In the column order of ``TrackTensor.species_bins`` (regions in order, 25-bp bins).
    """
    if cell not in fit.cells:
        raise NcvError(f"the model has no cell type {cell!r}; it knows {list(fit.cells)}")
    if assay not in fit.assays:
        raise NcvError(f"the model has no assay {assay!r}; it knows {list(fit.assays)}")
    position = species_positions(fit.layout, fit.cell_species[fit.cells.index(cell)])
    n = len(position)
    pred = forward_batched(
        fit.model,
        np.full(n, fit.cells.index(cell)),
        np.full(n, fit.assays.index(assay)),
        position,
        batch_size=batch_size,
        device=device,
    )
    return from_model_scale(pred) if original_units else pred
