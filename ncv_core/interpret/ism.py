"""In-silico saturation mutagenesis (ISM): every position x every other base -> change of output.

The core works on any callable ``f(x_seq (B, 4, L)[, x_tab (B, F)]) -> (B, T)`` of positive-class
logits; a contract model is turned into one by :func:`model_logit_fn`
(``z1 - z0`` for a softmax head, the task logits for a sigmoid head). The mutants of all
sequences are enumerated once and go through the model in batches of ``batch_size`` rows that
span sequences (never one forward per mutant). A model's tabular features (``uses_tab``) are held
fixed: every mutant of sequence ``n`` is predicted with ``x_tab[n]``; the result says so.

Matrices are position x base, ``(L, 4)`` per sequence and task, in A, C, G, T order; the
reference base of every position is exactly 0. A position whose input column is not one-hot (N)
has all four bases as alternatives.

For sequence-only CNNs whose ``forward`` starts with convolutions, pools and element-wise
layers on ``x_seq`` (``deepbind``, ``deepsea``, ``basset``, most Basset-like models), mutants are
computed by fastISM-style partial recomputation (:mod:`ncv_core.interpret._partial`): the
reference activations are computed once per sequence and each mutant's only on the positions the
substitution reaches, layer by layer (the layer graph is read with ``torch.fx``). For a
Basset-like CNN on 150 bp this cuts the FLOPs per mutant ~2.5x (a mutation reaches 17 of the 50
positions of the second convolution, which holds 75% of the FLOPs); results equal full forwards
(tests compare with a naive loop). Other models (``ssl_dnn``, callables) get one full forward per
mutant, in batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from ncv_core.constants import BASES
from ncv_core.errors import NcvError
from ncv_core.interpret._model import (
    LogitFn,
    as_seq_tensor,
    as_tab_tensor,
    batched,
    device_and_fn,
    is_contract_model,
    model_logit_fn,
    private_copy,
    ref_indices,
)
from ncv_core.interpret._partial import PartialISM
from ncv_core.progress import ProgressFn, progress_or_bar, report

__all__ = ["IsmResult", "ism_table", "model_logit_fn", "saturation_mutagenesis"]

DEFAULT_BATCH_SIZE: int = 256
"""Mutant rows per forward. Measured on the shared 2-core CPU this was written on
(``benchmarks/bench_ism.py``, Basset-like CNN, 150 bp): in best-of-5 trials rows/s was flat from
96 to 384 rows, 15% lower at 512 and 40% lower at 1,024; in single-thread CPU time 64-451 rows
were within 15% of each other. Batches span sequences, so the size does not depend on ``L``."""

IMPORTANCE: str = "negative mean delta logit over the alternative bases"
"""What :attr:`IsmResult.importance` holds, stated once for tables and plots."""


@dataclass(frozen=True)
class IsmResult:
    """Saturation mutagenesis of ``N`` sequences of length ``L`` for ``T`` outputs.

    Attributes
    ----------
    delta_logit : numpy.ndarray
        ``(N, T, L, 4)`` float64: logit(mutant) - logit(reference); 0 at the reference base.
    delta_prob : numpy.ndarray
        ``(N, T, L, 4)`` float64: sigmoid(mutant logit) - sigmoid(reference logit).
    ref_logit, ref_prob : numpy.ndarray
        ``(N, T)`` float64: the reference sequences' positive logit and probability.
    ref_index : numpy.ndarray
        ``(N, L)`` int64: index of the reference base in A,C,G,T; -1 where the input is N.
    importance : numpy.ndarray
        ``(N, T, L)`` float64: minus the mean ``delta_logit`` over the alternative bases of each
        position (3, or 4 at an N). Positive where the reference base supports the prediction;
        the height of the reference base in an importance logo.
    tabular : str
        How tabular features were treated (held fixed per sequence, unused, or the caller's).
    """

    delta_logit: np.ndarray
    delta_prob: np.ndarray
    ref_logit: np.ndarray
    ref_prob: np.ndarray
    ref_index: np.ndarray
    importance: np.ndarray
    tabular: str


def _mutant_rows(ref_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (sequence, position, base) with base != reference, in that sort order.

    Returns three ``(M,)`` int64 arrays; ``M = sum over sequences of 3 L`` (4 at an N).
    """
    mask = np.arange(4)[None, None, :] != ref_idx[:, :, None]
    seq, pos, base = np.nonzero(mask)
    return seq.astype(np.int64), pos.astype(np.int64), base.astype(np.int64)


def _call(f: LogitFn, x: torch.Tensor, tab: torch.Tensor | None) -> torch.Tensor:
    """``f(x)`` or ``f(x, tab)``, as a float64 CPU tensor of shape ``(B, T)``."""
    out = f(x) if tab is None else f(x, tab)
    out = out.detach().to("cpu", torch.float64)
    return out.reshape(out.shape[0], -1)


def _predict_refs(
    f: LogitFn, x: torch.Tensor, tab: torch.Tensor | None, dev: torch.device, batch_size: int
) -> torch.Tensor:
    """Positive logits of the reference sequences, ``(N, T)`` float64."""
    outs = []
    for sl in batched(x.shape[0], batch_size):
        outs.append(_call(f, x[sl].to(dev), None if tab is None else tab[sl].to(dev)))
    return torch.cat(outs)


def _predict_mutants(
    f: LogitFn,
    x: torch.Tensor,
    tab: torch.Tensor | None,
    rows: tuple[np.ndarray, np.ndarray, np.ndarray],
    dev: torch.device,
    batch_size: int,
    progress: ProgressFn | None,
) -> torch.Tensor:
    """Positive logits of every mutant row, ``(M, T)`` float64, in ``rows`` order."""
    seq, pos, base = (torch.from_numpy(a) for a in rows)
    total = len(seq)
    outs = []
    for sl in batched(total, batch_size):
        s, p, b = seq[sl], pos[sl], base[sl]
        batch = x[s].to(dev)
        ar = torch.arange(len(s), device=dev)
        p_dev = p.to(dev)
        batch[ar, :, p_dev] = 0.0
        batch[ar, b.to(dev), p_dev] = 1.0
        outs.append(_call(f, batch, None if tab is None else tab[s].to(dev)))
        report(progress, "ism", sl.stop, total)
    n_out = outs[0].shape[1] if outs else 1
    return torch.cat(outs) if outs else torch.zeros((0, n_out), dtype=torch.float64)


def _predict_partial(
    model: nn.Module,
    x: torch.Tensor,
    rows: tuple[np.ndarray, np.ndarray, np.ndarray],
    dev: torch.device,
    batch_size: int,
    progress: ProgressFn | None,
) -> torch.Tensor | None:
    """Mutant logits ``(M, T)`` by partial recomputation, or None when the model does not allow
    it. Sequences go in chunks whose reference activations are computed once."""
    net = private_copy(model, dev)
    with torch.inference_mode():
        plan = PartialISM.build(net)
        if plan is None:
            return None
        n, total = x.shape[0], len(rows[0])
        per_seq = np.bincount(rows[0], minlength=n)
        bounds = np.concatenate([[0], np.cumsum(per_seq)])
        chunk = max(1, -(-4 * batch_size // max(1, int(per_seq.max(initial=1)))))
        seq, pos, base = (torch.from_numpy(a).to(dev) for a in rows)
        outs = []
        for c0 in range(0, n, chunk):
            c1 = min(n, c0 + chunk)
            acts = plan.reference(x[c0:c1].to(dev))
            windows = plan.plans(acts)
            for sl in batched(int(bounds[c1] - bounds[c0]), batch_size):
                r = slice(int(bounds[c0]) + sl.start, int(bounds[c0]) + sl.stop)
                out = plan.mutant_logits(acts, windows, seq[r] - c0, pos[r], base[r])
                outs.append(out.to("cpu", torch.float64))
                report(progress, "ism", r.stop, total)
    n_out = outs[0].shape[1] if outs else 1
    return torch.cat(outs) if outs else torch.zeros((0, n_out), dtype=torch.float64)


def saturation_mutagenesis(
    model: nn.Module | LogitFn,
    x_seq: np.ndarray | torch.Tensor,
    x_tab: np.ndarray | torch.Tensor | None = None,
    *,
    partial: bool | None = None,
    progress: ProgressFn | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    device: str | torch.device | None = None,
    verbose: bool = False,
) -> IsmResult:
    """Change of the positive logit and probability for every single-base substitution.

    Parameters
    ----------
    model : nn.Module or callable
        A contract model (``head``, ``n_tasks``, ``uses_seq``, ``uses_tab``), or a callable
        ``f(x_seq (B, 4, L)[, x_tab (B, F)]) -> (B, T)`` returning positive-class logits.
    x_seq : array or tensor
        ``(N, 4, L)`` (or ``(4, L)``) one-hot sequences in A,C,G,T order; all-zero columns are N.
    x_tab : array or tensor, optional
        ``(N, F)`` tabular features (one row ``(F,)`` is used for every sequence). Held fixed:
        every mutant of sequence ``n`` is predicted with ``x_tab[n]``.
    partial : bool, optional
        fastISM-style partial recomputation for sequence CNNs that allow it (see the module
        docstring). None: whenever the model allows it; False: always full forwards; True:
        required (an error when the model does not allow it).
    progress : callable, optional
        Receives ``{"stage": "ism", "done": rows, "total": rows}`` after each batch.
    batch_size : int
        Rows (mutants, possibly of several sequences) per forward.
    device : str or torch.device, optional
        None: CUDA if available, else CPU. Results come back on the CPU.
    verbose : bool
        Draw a progress bar on stderr when no ``progress`` callback is given.

    Returns
    -------
    IsmResult
        ``(N, T, L, 4)`` deltas, reference predictions and per-position importance.
    """
    dev, f, note = device_and_fn(model, device)
    x = as_seq_tensor(x_seq)
    tab = as_tab_tensor(x_tab, x.shape[0])
    ref_idx = ref_indices(x)
    rows = _mutant_rows(ref_idx)
    ref = _predict_refs(f, x, tab, dev, batch_size)
    sink = progress_or_bar(progress, verbose)
    mut = None
    if partial is not False and is_contract_model(model) and tab is None:
        mut = _predict_partial(model, x, rows, dev, batch_size, sink)
    if mut is None and partial:
        raise NcvError(
            "partial recomputation needs a sequence-only CNN whose forward starts with Conv1d "
            "(stride 1), MaxPool1d (stride = kernel), batch norm and element-wise layers"
        )
    if mut is None:
        mut = _predict_mutants(f, x, tab, rows, dev, batch_size, sink)
    n, length = ref_idx.shape
    n_out = ref.shape[1]
    seq, pos, base = rows
    delta_logit = np.zeros((n, n_out, length, 4))
    delta_prob = np.zeros((n, n_out, length, 4))
    ref_np, mut_np = ref.numpy(), mut.numpy()
    ref_p, mut_p = torch.sigmoid(ref).numpy(), torch.sigmoid(mut).numpy()
    for t in range(n_out):
        delta_logit[seq, t, pos, base] = mut_np[:, t] - ref_np[seq, t]
        delta_prob[seq, t, pos, base] = mut_p[:, t] - ref_p[seq, t]
    n_alt = np.where(ref_idx >= 0, 3, 4)[:, None, :]
    importance = -delta_logit.sum(axis=-1) / n_alt
    return IsmResult(delta_logit, delta_prob, ref_np, ref_p, ref_idx, importance, note)


def ism_table(
    result: IsmResult, *, sequences: list[int] | None = None, tasks: list[int] | None = None
) -> pd.DataFrame:
    """Long table: one row per (sequence, task, position, base).

    Parameters
    ----------
    result : IsmResult
        From :func:`saturation_mutagenesis`.
    sequences, tasks : list of int, optional
        Which sequences and outputs to include (default: all).

    Returns
    -------
    pandas.DataFrame
        Columns ``seq_index task pos ref_base alt_base is_ref delta_prob delta_logit``; ``pos``
        is the 0-based offset in the window, ``ref_base`` is ``N`` where the input was N, and
        ``is_ref`` marks the reference base (whose deltas are 0).
    """
    n, n_out, length, _ = result.delta_logit.shape
    seqs = np.arange(n) if sequences is None else np.asarray(sequences, dtype=np.int64)
    tsk = np.arange(n_out) if tasks is None else np.asarray(tasks, dtype=np.int64)
    s, t, p, b = (
        g.ravel() for g in np.meshgrid(seqs, tsk, np.arange(length), np.arange(4), indexing="ij")
    )
    ref = result.ref_index[s, p]
    letters = np.array(list(BASES + "N"))  # ref index -1 (an N) picks the last letter
    return pd.DataFrame(
        {
            "seq_index": s,
            "task": t,
            "pos": p,
            "ref_base": letters[ref],
            "alt_base": letters[b],
            "is_ref": ref == b,
            "delta_prob": result.delta_prob[s, t, p, b],
            "delta_logit": result.delta_logit[s, t, p, b],
        }
    )
