"""Fitting Avocado: MSE, Adam (lr 1e-3), dense permuted batches, optional new-rows-only mode.

``fit_avocado(tensor)`` trains every embedding and the network on the tensor's tracks minus the
held-out ones. ``fit_avocado(tensor, base=fit)`` is the reference code's way of adding cell types
or assays: the base network is copied with new embedding rows, and only those rows train --
the network, the genome factors and every old row stay bit-identical -- on the tracks that
involve a new cell type or assay.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ncv_core.device import resolve_device
from ncv_core.errors import NcvError
from ncv_core.impute.data import TrackTensor, dense_batches
from ncv_core.impute.model import Avocado, build_avocado, grow_avocado, resolve_size
from ncv_core.impute.predict import forward_batched
from ncv_core.impute.result import AvocadoFit, tensor_layout
from ncv_core.progress import ProgressFn, StopFlag, report, stopped

BATCH_SIZE = 1024
"""Samples per step. The paper used 40,000 on a GPU; on one CPU thread the small size reached
50% below baseline 2-2.5x sooner with 1,024 than with 4,096 (benchmarks/bench_impute.py)."""

ADAM_EPS = 1e-7
"""Keras' Adam epsilon (the reference implementation's optimiser)."""


def _rows(base: AvocadoFit | None, tensor: TrackTensor) -> tuple[tuple[str, ...], ...]:
    """Model row names (cells, assays, species of each cell): the base's, then the new ones."""
    old_c = base.cells if base else ()
    old_a = base.assays if base else ()
    cells = old_c + tuple(c for c in tensor.cells if c not in old_c)
    assays = old_a + tuple(a for a in tensor.assays if a not in old_a)
    here = {c: tensor.species[s] for c, s in zip(tensor.cells, tensor.cell_species, strict=True)}
    if base:
        for c, sp in zip(base.cells, base.cell_species, strict=True):
            if c in here and here[c] != sp:
                raise NcvError(f"cell type {c!r} is {here[c]} here but {sp} in the base model")
            here.setdefault(c, sp)
    return cells, assays, tuple(here[c] for c in cells)


def _setup(
    tensor: TrackTensor, size: str, base: AvocadoFit | None, seed: int
) -> tuple[Avocado, tuple[tuple[str, ...], ...], tuple[int, int]]:
    """The network to train, its row names, and how many (cell, assay) rows are frozen."""
    cells, assays, cell_species = _rows(base, tensor)
    if base is None:
        model = build_avocado(
            size,
            n_cells=len(cells),
            n_assays=len(assays),
            n_positions=tensor.n_positions,
            seed=seed,
        )
        return model, (cells, assays, cell_species), (0, 0)
    if base.layout != tensor_layout(tensor):
        raise NcvError("the tensor's regions differ from the base model's genome axis")
    n_old = (len(base.cells), len(base.assays))
    if (len(cells), len(assays)) == n_old:
        raise NcvError("no new cell type or assay to fit: the base model has rows for all")
    model = grow_avocado(
        base.model,
        n_new_cells=len(cells) - n_old[0],
        n_new_assays=len(assays) - n_old[1],
        seed=seed,
    )
    for param in model.parameters():
        param.requires_grad_(False)
    model.cell_embedding.weight.requires_grad_(len(cells) > n_old[0])
    model.assay_embedding.weight.requires_grad_(len(assays) > n_old[1])
    return model, (cells, assays, cell_species), n_old


def _heldout_mse(model: Avocado, tensor: TrackTensor, rows: np.ndarray, maps, device) -> float:
    """Mean over held-out tracks of their MSE over their species' bins (arcsinh scale)."""
    errors = []
    for r in rows:
        cols = np.flatnonzero(tensor.bin_species == tensor.track_species[r])
        pred = forward_batched(
            model,
            np.full(len(cols), maps[0][r]),
            np.full(len(cols), maps[1][r]),
            tensor.position[cols],
            device=device,
        )
        errors.append(float(np.mean((pred - tensor.signal[r, cols]) ** 2)))
    return float(np.mean(errors))


def _epoch(model, opt, tensor, train_rows, maps, n_old, batch_size, rng, dev, stop) -> tuple:
    """One pass over the permuted bins; returns (train MSE, samples, stopped)."""
    model.train()
    total, count = 0.0, 0
    for batch in dense_batches(tensor, train_rows, batch_size=batch_size, rng=rng):
        if stopped(stop):
            return total / max(count, 1), count, True
        args = [
            torch.as_tensor(a, device=dev)
            for a in (maps[0][batch.track], maps[1][batch.track], tensor.position[batch.column])
        ]
        y = torch.as_tensor(tensor.signal[batch.track, batch.column], device=dev)
        opt.zero_grad(set_to_none=True)
        loss = torch.mean((model(*args) - y) ** 2)
        loss.backward()
        for table, n in ((model.cell_embedding, n_old[0]), (model.assay_embedding, n_old[1])):
            if n and table.weight.grad is not None:
                table.weight.grad[:n] = 0.0
        opt.step()
        total += float(loss.detach()) * len(y)
        count += len(y)
    return total / max(count, 1), count, False


def _loop(run: tuple, held: np.ndarray, epochs: int, dev, progress, stop) -> tuple[list, bool]:
    """All epochs: history entries (reported through ``progress``) and whether stopped."""
    model, tensor, maps = run[0], run[2], run[4]
    history: list[dict[str, Any]] = []
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        mse, n, halted = _epoch(*run, dev, stop)
        if halted:
            return history, True
        entry = {"epoch": epoch, "train_mse": mse, "samples": n}
        if len(held):
            entry["heldout_mse"] = _heldout_mse(model, tensor, held, maps, dev)
        entry["seconds"] = time.perf_counter() - t0
        history.append(entry)
        report(progress, "impute-fit", epoch, epochs, **entry)
    return history, False


def fit_avocado(
    tensor: TrackTensor,
    *,
    size: str = "small",
    held_out: Sequence[tuple[str, str]] = (),
    epochs: int = 20,
    batch_size: int = BATCH_SIZE,
    lr: float = 1e-3,
    seed: int = 0,
    base: AvocadoFit | None = None,
    device: str | torch.device | None = None,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
) -> AvocadoFit:
    """Train Avocado on every track of ``tensor`` except ``held_out``.

    Parameters
    ----------
    tensor : TrackTensor
    size : str
        A name in ``model.SIZES`` (ignored with ``base``: the base's size is kept).
    held_out : sequence of (cell type, assay)
        Measured tracks never trained on; their MSE is reported each epoch.
    epochs, batch_size, lr, seed : int, int, float, int
        An epoch visits every bin once, with all its species' training tracks; ``seed`` fixes
        the initialisation and the bin order.
    base : AvocadoFit, optional
        Fit only new cell-type / assay rows on top of this model, everything else frozen.
        ``tensor`` must lie on the same genome axis.
    device, progress, stop
        ``progress`` gets ``stage="impute-fit"``, ``done`` epochs, ``total`` and the epoch's
        history entry; ``stop.is_set()`` ends training between batches.

    Returns
    -------
    AvocadoFit
        The network on the CPU in eval mode, row names, history.
    """
    if base is None:
        resolve_size(size)  # an NcvError naming the known sizes
    if epochs < 0 or batch_size < 1:
        raise NcvError(f"need epochs >= 0 and batch_size >= 1, got {epochs}, {batch_size}")
    dev = resolve_device(device)
    model, (cells, assays, cell_species), n_old = _setup(tensor, size, base, seed)
    model.to(dev)
    maps = (
        np.array([cells.index(c) for c in tensor.cells])[tensor.track_cell],
        np.array([assays.index(a) for a in tensor.assays])[tensor.track_assay],
    )
    held = tensor.track_index(held_out) if len(held_out) else np.zeros(0, dtype=np.int64)
    train_rows = np.setdiff1d(np.arange(tensor.n_tracks), held)
    if base is not None:
        new = (maps[0][train_rows] >= n_old[0]) | (maps[1][train_rows] >= n_old[1])
        train_rows = train_rows[new]
    if not len(train_rows):
        raise NcvError("no track left to train on (all held out, or none involves a new row)")
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr, eps=ADAM_EPS)
    history, halted = _loop(
        (model, opt, tensor, train_rows, maps, n_old, batch_size, np.random.default_rng(seed)),
        held,
        epochs,
        dev,
        progress,
        stop,
    )
    hyper = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed}
    hyper["mode"] = "new-rows" if base else "full"
    names = tensor.track_names()
    return AvocadoFit(
        model=model.cpu().eval(),
        cells=cells,
        assays=assays,
        cell_species=cell_species,
        size=base.size if base else size,
        layout=tensor_layout(tensor),
        trained=(base.trained if base else []) + [names[r] for r in train_rows],
        held_out=[names[r] for r in held],
        hyper=hyper,
        history=history,
        stopped=halted,
    )
