"""The one batched forward, and the one rule from a model's head to the positive-class logit and
probability. Training (validation, pseudo-labels), scoring, evaluation and interpretation all
call these.

A ``"softmax"`` head has two logits per row (class 1 = functional); its positive logit is
``z1 - z0``, so ``sigmoid(z1 - z0)`` is the softmax probability of class 1. A ``"sigmoid"`` head
has one logit per task, which is the positive logit.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ncv_core.models.encoding import Inputs


def positive_logits(head: str, logits: torch.Tensor) -> torch.Tensor:
    """Positive-class logit per task from raw logits.

    Parameters
    ----------
    head : {"softmax", "sigmoid"}
    logits : torch.Tensor
        ``(N, 2)`` for a softmax head, ``(N, T)`` for a sigmoid head.

    Returns
    -------
    torch.Tensor
        ``(N, T)`` (``T = 1`` for softmax); differentiable.
    """
    if head == "softmax":
        return (logits[:, 1] - logits[:, 0]).unsqueeze(1)
    return logits.reshape(logits.shape[0], -1)


def probability(logit: np.ndarray | torch.Tensor) -> np.ndarray:
    """``sigmoid(logit)`` as float64 numpy, computed stably (``tanh`` form)."""
    x = logit.detach().double().cpu().numpy() if torch.is_tensor(logit) else np.asarray(logit)
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def positive_logit(
    model: nn.Module, x_seq: torch.Tensor | None, x_tab: torch.Tensor | None
) -> torch.Tensor:
    """The model's positive logit ``(N, T)`` for one batch (differentiable; mode unchanged)."""
    return positive_logits(model.head, model(x_seq, x_tab))


@torch.no_grad()
def predict_logits(
    model: nn.Module,
    inputs: Inputs,
    device: torch.device | str | None = None,
    batch_size: int = 256,
) -> torch.Tensor:
    """Raw logits of every row, in eval mode, in batches; returned on the CPU as float32.

    Parameters
    ----------
    model : torch.nn.Module
        A contract model (``forward(x_seq, x_tab)``, ``head``, ``n_tasks``).
    inputs : Inputs
        ``N`` rows.
    device : torch.device, optional
        Where the batches go (default: the model's device). The model is not moved.
    batch_size : int
        Rows per forward; batch size and order do not change the result.

    Returns
    -------
    torch.Tensor
        ``(N, 2)`` for a softmax head, ``(N, T)`` for a sigmoid head. The model's train/eval
        mode is restored afterwards (training calls this on its own model between epochs).
    """
    if device is None:
        first = next(iter(model.parameters()), None)
        device = first.device if first is not None else torch.device("cpu")
    was = model.training
    if was:
        model.eval()
    out = []
    try:
        for start in range(0, len(inputs), batch_size):
            idx = torch.arange(start, min(start + batch_size, len(inputs)))
            out.append(model(*inputs.take(idx).to(device)).float().cpu())
    finally:
        if was:
            model.train(True)
    n_out = 2 if model.head == "softmax" else model.n_tasks
    return torch.cat(out) if out else torch.zeros(0, n_out)


def predict_positive_logit(
    model: nn.Module,
    inputs: Inputs,
    device: torch.device | str | None = None,
    batch_size: int = 256,
) -> np.ndarray:
    """Positive logit per task of every row, ``(N, T)`` float64 (see :func:`predict_logits`)."""
    return (
        positive_logits(model.head, predict_logits(model, inputs, device, batch_size))
        .double()
        .numpy()
    )
