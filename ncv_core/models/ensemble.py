"""An ensemble of k networks of one architecture that predicts their mean probability, and the
one rule that rebuilds a card's network (one model or an ensemble).

The members live in ``members`` (an ``nn.ModuleList``), so the state dict of an ensemble names
every member's tensors ``members.{i}.…`` and the whole ensemble is one ``model.safetensors``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from ncv_core.models.predict import positive_logits
from ncv_core.models.registry import build_model

_TINY = 1e-12


class Ensemble(nn.Module):
    """Mean probability of ``k`` contract models (the same architecture and head).

    ``forward(x_seq, x_tab)`` returns logits whose positive logit is ``logit(mean_i p_i)``: for
    a softmax head ``(N, 2)`` = ``[log(1 - p̄), log(p̄)]`` (so its softmax is ``(1 - p̄, p̄)``),
    for a sigmoid head ``(N, T)`` = ``logit(p̄)`` per task. Every consumer of the model contract
    (prediction, scoring, evaluation, gradients) therefore works unchanged.

    Parameters
    ----------
    members : sequence of torch.nn.Module
        At least one network; their contract attributes must agree.
    """

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        first = members[0]
        for m in members[1:]:
            if (m.head, m.n_tasks, m.uses_seq, m.uses_tab) != (
                first.head,
                first.n_tasks,
                first.uses_seq,
                first.uses_tab,
            ):
                raise ValueError("ensemble members differ in head, tasks or inputs")
        self.members = nn.ModuleList(members)
        self.head, self.n_tasks = first.head, first.n_tasks
        self.uses_seq, self.uses_tab = first.uses_seq, first.uses_tab
        self.seq_len, self.n_tab = getattr(first, "seq_len", 0), getattr(first, "n_tab", 0)
        self.config = dict(getattr(first, "config", {}))

    def member_probabilities(
        self, x_seq: torch.Tensor | None, x_tab: torch.Tensor | None
    ) -> torch.Tensor:
        """``(k, N, T)`` probability of the positive class of every member."""
        return torch.stack(
            [torch.sigmoid(positive_logits(m.head, m(x_seq, x_tab))) for m in self.members]
        )

    def forward(self, x_seq: torch.Tensor | None, x_tab: torch.Tensor | None) -> torch.Tensor:
        """Logits of the mean probability: ``(N, 2)`` (softmax head) or ``(N, T)``."""
        p = self.member_probabilities(x_seq, x_tab).mean(dim=0).clamp(_TINY, 1 - _TINY)
        if self.head == "softmax":
            return torch.cat([torch.log1p(-p), torch.log(p)], dim=1)
        return torch.log(p) - torch.log1p(-p)


def build_network(name: str, kwargs: dict[str, Any], members: int = 1) -> nn.Module:
    """The network a card describes: ``build_model(name, **kwargs)``, or an :class:`Ensemble`
    of ``members`` of them when ``members > 1`` (weights still to be loaded)."""
    if members <= 1:
        return build_model(name, **kwargs)
    return Ensemble([build_model(name, **kwargs) for _ in range(int(members))])


def n_members(model: nn.Module) -> int:
    """Number of networks in ``model`` (1 for a plain network)."""
    return len(model.members) if isinstance(model, Ensemble) else 1
