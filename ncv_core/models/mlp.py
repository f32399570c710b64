"""A tabular-only MLP for tables without a ``seq`` column (bring-your-own annotations)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ncv_core.models.registry import default_head, n_outputs, register


@register("mlp")
class MLP(nn.Module):
    """``(N, F)`` standardised features -> [Linear, BatchNorm, ReLU, Dropout] x k -> logits.

    Parameters
    ----------
    n_tab : int
        Number of tabular features ``F``.
    hidden : sequence of int
        Widths of the hidden layers (the SSL_dnn dense head's 40, 10 by default).
    dropout : float
        Dropout after each hidden layer.
    n_tasks : int
        Number of tasks; with one task the head is a two-class softmax.
    head : {"softmax", "sigmoid"}, optional
        Output head; by default softmax for one task, sigmoid for several.
    """

    uses_seq = False
    uses_tab = True
    seq_len = 0
    INPUTS: tuple[str, ...] = ("tab",)

    def __init__(
        self,
        n_tab: int,
        hidden: Sequence[int] = (40, 10),
        dropout: float = 0.2,
        n_tasks: int = 1,
        head: str | None = None,
    ) -> None:
        super().__init__()
        if n_tab < 1:
            raise ValueError("mlp needs at least one tabular feature (n_tab >= 1)")
        self.head = default_head(n_tasks, head)
        self.n_tab, self.n_tasks = n_tab, n_tasks
        hidden = [int(h) for h in hidden]
        self.config = {
            "n_tab": n_tab,
            "hidden": hidden,
            "dropout": dropout,
            "n_tasks": n_tasks,
            "head": self.head,
        }
        layers: list[nn.Module] = []
        n_in = n_tab
        for h in hidden:
            layers += [nn.Linear(n_in, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout)]
            n_in = h
        layers.append(nn.Linear(n_in, n_outputs(self.head, n_tasks)))
        self.net = nn.Sequential(*layers)

    def forward(self, x_seq: torch.Tensor | None, x_tab: torch.Tensor) -> torch.Tensor:
        """Logits from the tabular features.

        Parameters
        ----------
        x_seq : torch.Tensor or None
            Ignored (tabular-only model).
        x_tab : torch.Tensor
            ``(N, F)`` standardised features.

        Returns
        -------
        torch.Tensor
            ``(N, 2)`` for a softmax head, ``(N, T)`` for a sigmoid head.
        """
        return self.net(x_tab)
