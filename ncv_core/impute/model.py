"""The Avocado network (Schreiber et al.): multi-scale deep tensor factorisation, in torch.

A training sample is a (cell type, assay, genomic position) triple. Five embeddings are looked
up -- the cell type, the assay, and the genomic position at three resolutions, indexed ``g``,
``g // 10`` and ``g // 200`` over 25-bp bins (25 bp, 250 bp, 5 kb) -- concatenated, and passed
through ``n_layers`` dense ReLU layers to one linear output: the arcsinh signal. The tables are
sized as in the reference source (``avocado/model.py``): ``n``, ``n // 10 + 1`` and
``n // 200 + 1`` rows for ``n`` genomic positions. Embeddings start uniform in (-0.05, 0.05)
(Keras' embedding default), dense layers Glorot-uniform with zero biases (Keras' ``Dense``
default; torch's ``nn.Linear`` default differs, so both are set explicitly).

Sizes are named in :data:`SIZES`; :func:`build_avocado` builds a network from a size name (or
the explicit numbers a card stores) and :func:`grow_avocado` adds rows for new cell types or
assays, keeping every old weight. The module only computes; training is ``train.py``'s.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import torch
from torch import nn

from ncv_core.errors import NcvError

EMBED_INIT = 0.05
"""Embeddings start uniform in ``(-EMBED_INIT, EMBED_INIT)``."""

COARSE = (10, 200)
"""Position divisors of the 250-bp and 5-kb resolutions (in 25-bp bins)."""


@dataclass(frozen=True)
class AvocadoSize:
    """Factor counts and network width of one Avocado size."""

    n_cell_factors: int
    n_assay_factors: int
    n_25bp_factors: int
    n_250bp_factors: int
    n_5kb_factors: int
    n_layers: int
    n_nodes: int

    @property
    def n_inputs(self) -> int:
        """Width of the concatenated embeddings (398 for the paper size)."""
        return (
            self.n_cell_factors
            + self.n_assay_factors
            + self.n_25bp_factors
            + self.n_250bp_factors
            + self.n_5kb_factors
        )


SIZES: dict[str, AvocadoSize] = {
    # The published model (paper and reference source defaults).
    "paper": AvocadoSize(32, 256, 25, 40, 45, 2, 2048),
    # The CPU default (~1/200 of the paper's compute per sample): the fastest to reach 50%
    # below the average-activity baseline among 6 shapes x 2 batch sizes x 2 seeds measured on
    # synthetic low-rank tensors on one CPU thread (8 cell types x 6 assays x 4,000 bins: ~2.3 s,
    # 5 epochs; 2 x 256 nodes took 8-14 s, 2 x 512 22-27 s, the paper's factor counts with
    # 2 x 128 nodes 5.4 s). See benchmarks/bench_impute.py.
    "small": AvocadoSize(16, 32, 10, 10, 10, 2, 128),
}
"""Named sizes; a card stores the name and the numbers, :func:`build_avocado` takes either."""


def table_rows(n_positions: int) -> tuple[int, int, int]:
    """Rows of the 25-bp, 250-bp and 5-kb position tables for ``n_positions`` 25-bp bins."""
    return n_positions, n_positions // COARSE[0] + 1, n_positions // COARSE[1] + 1


class Avocado(nn.Module):
    """Multi-scale deep tensor factorisation network.

    Parameters
    ----------
    n_cells, n_assays : int
        Rows of the cell-type and assay embeddings.
    n_positions : int
        Length of the genome axis in 25-bp bins (both species' bins, when joint).
    size : AvocadoSize
        Factor counts and network width.
    """

    def __init__(self, n_cells: int, n_assays: int, n_positions: int, size: AvocadoSize) -> None:
        super().__init__()
        if min(n_cells, n_assays, n_positions) < 1:
            raise ValueError(
                f"need >= 1 cell type, assay and position, got {n_cells}, {n_assays}, {n_positions}"
            )
        self.size = size
        self.n_cells, self.n_assays, self.n_positions = n_cells, n_assays, n_positions
        rows = table_rows(n_positions)
        self.cell_embedding = nn.Embedding(n_cells, size.n_cell_factors)
        self.assay_embedding = nn.Embedding(n_assays, size.n_assay_factors)
        self.genome_25bp = nn.Embedding(rows[0], size.n_25bp_factors)
        self.genome_250bp = nn.Embedding(rows[1], size.n_250bp_factors)
        self.genome_5kb = nn.Embedding(rows[2], size.n_5kb_factors)
        layers: list[nn.Module] = []
        width = size.n_inputs
        for _ in range(size.n_layers):
            layers += [nn.Linear(width, size.n_nodes), nn.ReLU()]
            width = size.n_nodes
        layers.append(nn.Linear(width, 1))
        self.network = nn.Sequential(*layers)

    @property
    def config(self) -> dict[str, Any]:
        """Everything :func:`build_avocado` needs to rebuild this network (JSON-able)."""
        return {
            "n_cells": self.n_cells,
            "n_assays": self.n_assays,
            "n_positions": self.n_positions,
            **asdict(self.size),
        }

    def embeddings(self) -> tuple[nn.Embedding, ...]:
        """The five embedding tables: cell, assay, 25 bp, 250 bp, 5 kb."""
        return (
            self.cell_embedding,
            self.assay_embedding,
            self.genome_25bp,
            self.genome_250bp,
            self.genome_5kb,
        )

    def forward(
        self, cell: torch.Tensor, assay: torch.Tensor, position: torch.Tensor
    ) -> torch.Tensor:
        """Predicted arcsinh signal of each (cell, assay, position) triple.

        Parameters
        ----------
        cell, assay, position : torch.Tensor, shape (N,), int64
            Cell-type row, assay row, and 25-bp bin on the genome axis.

        Returns
        -------
        torch.Tensor, shape (N,)
        """
        x = torch.cat(
            [
                self.cell_embedding(cell),
                self.assay_embedding(assay),
                self.genome_25bp(position),
                self.genome_250bp(torch.div(position, COARSE[0], rounding_mode="floor")),
                self.genome_5kb(torch.div(position, COARSE[1], rounding_mode="floor")),
            ],
            dim=1,
        )
        return self.network(x).squeeze(1)


def _init_weights(model: Avocado, generator: torch.Generator) -> None:
    with torch.no_grad():
        for table in model.embeddings():
            nn.init.uniform_(table.weight, -EMBED_INIT, EMBED_INIT, generator=generator)
        for layer in model.network:
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.weight, generator=generator)
                nn.init.zeros_(layer.bias)


def resolve_size(size: str | AvocadoSize | dict[str, int]) -> AvocadoSize:
    """An :class:`AvocadoSize` from a name in :data:`SIZES`, an instance, or its numbers."""
    if isinstance(size, AvocadoSize):
        return size
    if isinstance(size, str):
        if size not in SIZES:
            raise NcvError(f"unknown Avocado size {size!r}; expected one of {', '.join(SIZES)}")
        return SIZES[size]
    try:
        return AvocadoSize(**{k: int(v) for k, v in size.items()})
    except TypeError as exc:
        raise NcvError(f"an Avocado size needs the fields of AvocadoSize: {exc}") from exc


def build_avocado(
    size: str | AvocadoSize | dict[str, int],
    *,
    n_cells: int,
    n_assays: int,
    n_positions: int,
    seed: int = 0,
) -> Avocado:
    """A freshly initialised :class:`Avocado` network.

    Parameters
    ----------
    size : str, AvocadoSize or dict
        ``"paper"``, ``"small"``, or explicit numbers (a card's ``model`` entry minus the
        counts works too).
    n_cells, n_assays, n_positions : int
        Table rows (see :class:`Avocado`).
    seed : int
        Seeds the initialisation; the same seed gives bit-identical weights.
    """
    model = Avocado(n_cells, n_assays, n_positions, resolve_size(size))
    _init_weights(model, torch.Generator().manual_seed(seed))
    return model


def avocado_from_config(config: dict[str, Any]) -> Avocado:
    """Rebuild the (uninitialised-weights) network described by ``Avocado.config``."""
    counts = ("n_cells", "n_assays", "n_positions")
    missing = [k for k in counts if k not in config]
    if missing:
        raise NcvError(f"an Avocado card's model entry lacks {missing}")
    rest = {k: v for k, v in config.items() if k not in counts}
    return build_avocado(rest, **{k: int(config[k]) for k in counts})


def grow_avocado(model: Avocado, *, n_new_cells: int = 0, n_new_assays: int = 0, seed: int = 0):
    """A copy of ``model`` with extra cell-type and assay rows appended.

    Old weights are copied bit for bit; the new rows are drawn uniform in (-0.05, 0.05) from
    ``seed``. Returns an :class:`Avocado` with ``n_cells + n_new_cells`` cell types and
    ``n_assays + n_new_assays`` assays.
    """
    if n_new_cells < 0 or n_new_assays < 0:
        raise ValueError("n_new_cells and n_new_assays must be >= 0")
    size = replace(model.size)
    grown = Avocado(
        model.n_cells + n_new_cells, model.n_assays + n_new_assays, model.n_positions, size
    )
    generator = torch.Generator().manual_seed(seed)
    old = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    with torch.no_grad():
        for name, param in grown.state_dict().items():
            rows = old[name].shape[0]
            if param.shape[0] > rows:
                fresh = torch.empty(param.shape[0] - rows, *param.shape[1:])
                nn.init.uniform_(fresh, -EMBED_INIT, EMBED_INIT, generator=generator)
                param.copy_(torch.cat([old[name], fresh]))
            else:
                param.copy_(old[name])
    return grown
