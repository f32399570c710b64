"""Toy models that follow the model contract, for the interpretation tests.

Weights are hand-set where a test derives the expected answer on paper, seeded otherwise. Every
layer has its own activation and pooling module (captum's DeepLIFT needs it), except in
:class:`SharedReluCNN`, which reuses one ReLU on purpose.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
"""The shared real public data (motif files, a 600-bp region); tests skip when it is absent."""


class LinearSeq(nn.Module):
    """Softmax head; z0 = 0 and z1 = sum(W * x) + bias, so the positive logit is linear.

    Parameters
    ----------
    weight : (4, L) array
        Hand-set contribution of each base at each position.
    """

    head, n_tasks, uses_seq, uses_tab, n_tab = "softmax", 1, True, False, 0

    def __init__(self, weight: np.ndarray, bias: float = 0.0) -> None:
        super().__init__()
        self.seq_len = weight.shape[1]
        self.weight = nn.Parameter(torch.as_tensor(weight, dtype=torch.float32))
        self.bias = nn.Parameter(torch.tensor(float(bias)))

    def forward(self, x_seq: torch.Tensor, x_tab: torch.Tensor | None = None) -> torch.Tensor:
        z1 = (x_seq * self.weight).sum(dim=(1, 2)) + self.bias
        return torch.stack([torch.zeros_like(z1), z1], dim=1)


class TabLinear(nn.Module):
    """Sigmoid head with two tasks; logit_t = sum(W_t * x) + v_t . x_tab (uses_tab)."""

    head, n_tasks, uses_seq, uses_tab = "sigmoid", 2, True, True

    def __init__(self, weight: np.ndarray, tab_weight: np.ndarray) -> None:
        super().__init__()
        self.seq_len, self.n_tab = weight.shape[2], tab_weight.shape[1]
        self.weight = nn.Parameter(torch.as_tensor(weight, dtype=torch.float32))  # (2, 4, L)
        self.tab_weight = nn.Parameter(torch.as_tensor(tab_weight, dtype=torch.float32))  # (2, F)

    def forward(self, x_seq: torch.Tensor, x_tab: torch.Tensor | None = None) -> torch.Tensor:
        seq = torch.einsum("nbl,tbl->nt", x_seq, self.weight)
        return seq + x_tab @ self.tab_weight.T


class ToyCNN(nn.Module):
    """Basset-like: conv -> BN -> ReLU -> pool, conv -> ReLU -> pool, dropout, linear.

    Seeded random weights; ``head`` and ``n_tasks`` are chosen by the test. Dropout makes a
    forward in training mode random, so a test notices when eval mode was not used.
    """

    uses_seq, uses_tab, n_tab = True, False, 0

    def __init__(
        self,
        seq_len: int = 40,
        n_filters: int = 6,
        head: str = "softmax",
        n_tasks: int = 1,
        seed: int = 0,
    ) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.head, self.n_tasks, self.seq_len = head, n_tasks, seq_len
        self.filter_conv = nn.Conv1d(4, n_filters, 5, padding=2)
        self.bn = nn.BatchNorm1d(n_filters)
        self.filter_act = nn.ReLU()
        self.pool1 = nn.MaxPool1d(2)
        self.conv2 = nn.Conv1d(n_filters, 4, 3, padding=1)
        self.act2 = nn.ReLU()
        self.pool2 = nn.MaxPool1d(2)
        self.drop = nn.Dropout(0.5)
        n_out = 2 if head == "softmax" else n_tasks
        self.fc = nn.Linear(4 * (seq_len // 4), n_out)
        with torch.no_grad():
            self.bn.running_mean.uniform_(-0.2, 0.2)
            self.bn.running_var.uniform_(0.5, 1.5)

    def forward(self, x_seq: torch.Tensor, x_tab: torch.Tensor | None = None) -> torch.Tensor:
        h = self.pool1(self.filter_act(self.bn(self.filter_conv(x_seq))))
        h = self.pool2(self.act2(self.conv2(h)))
        return self.fc(self.drop(h.flatten(1)))


class SharedReluCNN(ToyCNN):
    """:class:`ToyCNN` that reuses its first ReLU module in the second layer (bad for DeepLIFT)."""

    def forward(self, x_seq: torch.Tensor, x_tab: torch.Tensor | None = None) -> torch.Tensor:
        h = self.pool1(self.filter_act(self.bn(self.filter_conv(x_seq))))
        h = self.pool2(self.filter_act(self.conv2(h)))
        return self.fc(self.drop(h.flatten(1)))


def random_one_hot(n: int, length: int, seed: int = 0) -> np.ndarray:
    """``(n, 4, length)`` float32 one-hot of uniformly random bases."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, 4, size=(n, length))
    return np.eye(4, dtype=np.float32)[idx].transpose(0, 2, 1).copy()
