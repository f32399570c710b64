"""Pieces shared by the trainers: batching, head-aware losses, pseudo-labels, validation metrics.

Targets are ``(N, T)`` int64 arrays/tensors: 1, 0, and -1 for "no label" (masked out of the
loss). A softmax head has ``T = 1`` and two logits; a sigmoid head one logit per task.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ncv_core.metrics import binary_metrics
from ncv_core.models.encoding import Inputs
from ncv_core.models.predict import positive_logits, predict_logits, probability


def alpha_schedule(t: int, t1: int = 100, t2: int = 600) -> float:
    """The paper's weight of the unlabelled loss at batch ``t`` (0-based, counting all batches).

    0 for ``t < t1``, ``(t - t1) / (t2 - t1)`` for ``t1 <= t < t2``, 1 from ``t2`` on.
    """
    if t < t1:
        return 0.0
    if t >= t2:
        return 1.0
    return (t - t1) / (t2 - t1)


def shuffled_batches(n: int, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
    """A random permutation of ``range(n)`` cut into batches (the last may be shorter).

    A last batch of a single row is merged into the previous one (batch norm needs two rows).
    """
    order = torch.randperm(n, generator=generator)
    batches = list(torch.split(order, batch_size))
    if len(batches) > 1 and len(batches[-1]) == 1:
        last = batches.pop()
        batches[-1] = torch.cat([batches[-1], last])
    return batches


def cycle_batches(
    rows: torch.Tensor, batch_size: int, generator: torch.Generator
) -> Iterator[torch.Tensor]:
    """Endless batches of ``rows`` ``(n,)``, reshuffled each pass."""
    while True:
        for b in shuffled_batches(len(rows), batch_size, generator):
            yield rows[b]


def seeded_torch(seed: int, device: torch.device) -> contextlib.AbstractContextManager:
    """A context in which torch's global RNG is seeded, restored afterwards (dropout, init)."""
    devices = [device] if device.type == "cuda" else []
    stack = contextlib.ExitStack()
    stack.enter_context(torch.random.fork_rng(devices=devices, device_type=device.type))
    torch.manual_seed(seed)
    return stack


def head_loss(
    head: str, logits: torch.Tensor, targets: torch.Tensor, weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean loss over the labelled entries of a batch.

    Parameters
    ----------
    head : {"softmax", "sigmoid"}
        The model's head.
    logits : torch.Tensor
        ``(B, 2)`` (softmax) or ``(B, T)`` (sigmoid).
    targets : torch.Tensor
        ``(B, T)`` int64, -1 = no label (ignored).
    weight : torch.Tensor, optional
        ``(B,)`` per-row weights; the loss is ``sum(w * loss) / B``.

    Returns
    -------
    torch.Tensor
        Scalar; cross-entropy for softmax, binary cross-entropy for sigmoid.
    """
    if head == "softmax":
        y = targets[:, 0]
        if weight is None:
            return F.cross_entropy(logits, y, ignore_index=-1)
        per = F.cross_entropy(logits, y, ignore_index=-1, reduction="none")
        return (per * weight).sum() / max(int((y >= 0).sum()), 1)
    mask = targets >= 0
    per = (
        F.binary_cross_entropy_with_logits(
            logits, targets.clamp(min=0).to(logits.dtype), reduction="none"
        )
        * mask
    )
    if weight is not None:
        per = per * weight[:, None]
    return per.sum() / mask.sum().clamp(min=1)


def pseudo_labels(head: str, logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Hard pseudo-labels and their confidence from logits.

    Parameters
    ----------
    head : {"softmax", "sigmoid"}
    logits : torch.Tensor
        ``(B, 2)`` or ``(B, T)``.

    Returns
    -------
    (torch.Tensor, torch.Tensor)
        Labels ``(B, T)`` int64 (the argmax class, or ``p >= 0.5`` per task) and confidence
        ``(B,)`` (the winning class's probability; for several tasks, the least confident one).
    """
    z = positive_logits(head, logits)
    p = torch.sigmoid(z)
    return (z > 0).long(), torch.maximum(p, 1 - p).min(dim=1).values


def validation_metrics(
    model: nn.Module, inputs: Inputs, y: np.ndarray, device: torch.device, batch_size: int = 20
) -> dict[str, Any]:
    """``val_loss``, ``val_auroc``, ``val_aupr``, ``val_accuracy`` on ``y`` ``(N, T)``.

    For several tasks the metrics are means over tasks (NaN tasks skipped).
    """
    logits = predict_logits(model, inputs, device, batch_size)
    targets = torch.as_tensor(y, dtype=torch.long)
    loss = float(head_loss(model.head, logits, targets)) if len(y) else float("nan")
    scores = probability(positive_logits(model.head, logits))
    per_task = [binary_metrics(y[:, j], scores[:, j]) for j in range(y.shape[1])]
    out: dict[str, Any] = {"val_loss": loss}
    for key in ("auroc", "aupr", "accuracy"):
        vals = [m[key] for m in per_task if not np.isnan(m[key])]
        out[f"val_{key}"] = float(np.mean(vals)) if vals else float("nan")
    return out
