"""The named result of fitting Avocado: the network plus what its rows and axis mean."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ncv_core.errors import NcvError
from ncv_core.impute.data import TrackTensor
from ncv_core.impute.model import Avocado, avocado_from_config
from ncv_core.io.model_folder import AVOCADO_FORMAT as CARD_FORMAT
from ncv_core.io.model_folder import AVOCADO_VERSION as CARD_VERSION


def tensor_layout(tensor: TrackTensor) -> dict[str, Any]:
    """The genome axis of ``tensor`` as JSON: regions, their axis offsets, bin size, length."""
    first = np.searchsorted(tensor.bin_region, np.arange(len(tensor.region_start)))
    return {
        "bin_size": int(tensor.bin_size),
        "n_positions": tensor.n_positions,
        "species": list(tensor.species),
        "regions": [
            {
                "species": tensor.species[int(s)],
                "chrom": chrom,
                "start": int(start),
                "end": int(end),
                "axis_offset": int(tensor.position[f]),
            }
            for s, chrom, start, end, f in zip(
                tensor.region_species,
                tensor.region_chrom,
                tensor.region_start,
                tensor.region_end,
                first,
                strict=True,
            )
        ],
    }


@dataclass(eq=False)
class AvocadoFit:
    """A trained Avocado network and the names of its rows.

    Attributes
    ----------
    model : Avocado
        On the CPU, in eval mode. Cell-type row ``i`` is ``cells[i]``, assay row ``j`` is
        ``assays[j]``.
    cells, assays : tuple of str
    cell_species : tuple of str
        Species of each cell type, aligned with ``cells``.
    size : str
        Size name in ``model.SIZES`` (or ``"custom"``).
    layout : dict
        :func:`tensor_layout` of the tensor it was trained on (its genome axis).
    trained, held_out : list of (cell type, assay)
        Tracks trained on, and tracks held out (never trained on).
    hyper : dict
        ``epochs``, ``batch_size``, ``lr``, ``seed``, ``mode`` (``"full"`` or ``"new-rows"``).
    history : list of dict
        Per epoch: ``epoch``, ``train_mse``, ``heldout_mse`` (when tracks are held out),
        ``samples``, ``seconds``.
    stopped : bool
        True when a ``stop`` flag ended training early.
    """

    model: Avocado
    cells: tuple[str, ...]
    assays: tuple[str, ...]
    cell_species: tuple[str, ...]
    size: str
    layout: dict[str, Any]
    trained: list[tuple[str, str]]
    held_out: list[tuple[str, str]]
    hyper: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    stopped: bool = False

    def card(self) -> dict[str, Any]:
        """Everything to rebuild the network and interpret its output (JSON-able)."""
        return {
            "format": CARD_FORMAT,
            "version": CARD_VERSION,
            "model": {"size": self.size, **self.model.config},
            "cells": list(self.cells),
            "assays": list(self.assays),
            "cell_species": list(self.cell_species),
            "transform": {"bin": "mean, no data = 0", "forward": "arcsinh", "inverse": "sinh"},
            "layout": self.layout,
            "trained": [list(p) for p in self.trained],
            "held_out": [list(p) for p in self.held_out],
            "hyper": dict(self.hyper),
            "history": list(self.history),
            "stopped": self.stopped,
        }


def fit_from_card(card: dict[str, Any], state: dict[str, Any]) -> AvocadoFit:
    """The :class:`AvocadoFit` a card (:meth:`AvocadoFit.card`) and its weights describe.

    Parameters
    ----------
    card : dict
        A checked ``ncv-avocado`` card.
    state : dict of str to torch.Tensor
        The network's ``state_dict``.

    Raises
    ------
    NcvError
        When the card's network cannot be rebuilt or the weights do not fit it.
    """
    config = {k: v for k, v in card["model"].items() if k != "size"}
    try:
        model = avocado_from_config(config)
        model.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError, ValueError) as exc:
        first = " ".join(str(exc).strip().splitlines()[:2])
        raise NcvError(f"the weights do not match the card's Avocado network: {first}") from exc
    cells, assays = tuple(card["cells"]), tuple(card["assays"])
    if (len(cells), len(assays)) != (model.n_cells, model.n_assays):
        raise NcvError("the card's cells and assays do not match its network's rows")
    return AvocadoFit(
        model=model.eval(),
        cells=cells,
        assays=assays,
        cell_species=tuple(card["cell_species"]),
        size=card["model"].get("size", "custom"),
        layout=card["layout"],
        trained=[tuple(p) for p in card.get("trained", [])],
        held_out=[tuple(p) for p in card.get("held_out", [])],
        hyper=dict(card.get("hyper", {})),
        history=list(card.get("history", [])),
        stopped=bool(card.get("stopped", False)),
    )


def species_positions(layout: dict[str, Any], species: str) -> np.ndarray:
    """Genome-axis bins of ``species``' regions in a :func:`tensor_layout`, in region order.

    Returns
    -------
    numpy.ndarray, shape (n_bins_of_species,), int64
        The same order as ``TrackTensor.species_bins`` columns.
    """
    size = int(layout["bin_size"])
    parts = [
        r["axis_offset"] + np.arange(-(-(r["end"] - r["start"]) // size))
        for r in layout["regions"]
        if r["species"] == species
    ]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
