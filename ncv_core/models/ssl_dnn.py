"""SSL_dnn: the network of Jia et al. (2021), exactly as published.

The one-hot window is a one-channel image of height 4 (bases, in the paper's A, T, C, G row
order) and width L (positions). For L = 150::

    (N, 1, 4, 150) -conv1 (1,4) x2, ReLU-> (N, 2, 4, 147)
                   -conv2 (2,4) stride (2,1) x4, ReLU-> (N, 4, 2, 144)
                   -dropout, max-pool (2,2)-> (N, 4, 1, 72) -> 288
    concat the F tabular features -> FC 40 (batch norm, ReLU, dropout)
                                  -> FC 10 (batch norm, ReLU, dropout) -> FC 2 (logits)

With the A, T, C, G order, conv2's (2,4) kernel at stride 2 along the base axis sees the A/T
rows together and the C/G rows together. The package's one-hot is A, C, G, T; the model permutes
its input rows itself. The paper applies ReLU "for each neural unit"; here it follows conv1,
conv2, FC 40 and FC 10, and the two FC 2 outputs are the logits (softmax gives probabilities).
"""

from __future__ import annotations

import torch
from torch import nn

from ncv_core.models.registry import default_head, n_outputs, register

PAPER_ORDER: tuple[int, ...] = (0, 3, 1, 2)
"""Rows of an A,C,G,T one-hot taken in the paper's A, T, C, G order."""


@register("ssl_dnn")
class SSLDNN(nn.Module):
    """The SSL_dnn network (sequence image + tabular features -> 2 logits).

    Parameters
    ----------
    n_tab : int
        Number of tabular features ``F`` (43 in the paper: 33 epigenetic + 10 composition).
    seq_len : int
        Window length ``L`` (150 in the paper).
    dropout : float
        Dropout rate after conv2 and after FC 40 and FC 10 (not given in the paper).
    n_tasks : int
        Number of tasks; with one task the head is a two-class softmax.
    head : {"softmax", "sigmoid"}, optional
        Output head; by default softmax for one task, sigmoid for several.

    Notes
    -----
    ``filter_conv`` is conv1, an ``nn.Conv2d`` with kernel ``(1, 4)`` that slides along each base
    row separately (the paper's design), so its activations ``filter_act`` have shape
    ``(N, 2, 4, L - 3)``, not the ``(N, C, L')`` of the 1-D sequence CNNs.
    """

    uses_seq = True
    INPUTS: tuple[str, ...] = ("seq", "tab")
    """Inputs the architecture can read: ``"seq"`` and/or ``"tab"``."""

    def __init__(
        self,
        n_tab: int = 43,
        seq_len: int = 150,
        dropout: float = 0.2,
        n_tasks: int = 1,
        head: str | None = None,
    ) -> None:
        super().__init__()
        if seq_len < 8:
            raise ValueError(f"ssl_dnn needs windows of at least 8 bp, got seq_len={seq_len}")
        self.head = default_head(n_tasks, head)
        self.n_tasks, self.n_tab, self.seq_len = n_tasks, n_tab, seq_len
        self.uses_tab = n_tab > 0
        self.config = {
            "n_tab": n_tab,
            "seq_len": seq_len,
            "dropout": dropout,
            "n_tasks": n_tasks,
            "head": self.head,
        }
        self.conv1 = nn.Conv2d(1, 2, kernel_size=(1, 4))
        self.act1 = nn.ReLU()
        self.conv2 = nn.Conv2d(2, 4, kernel_size=(2, 4), stride=(2, 1))
        self.act2 = nn.ReLU()
        self.drop_conv = nn.Dropout(dropout)
        self.pool = nn.MaxPool2d(kernel_size=(2, 2))
        self.flatten = nn.Flatten()
        self.n_conv_out = 4 * 1 * ((seq_len - 6) // 2)
        self.fc1 = nn.Linear(self.n_conv_out + n_tab, 40)
        self.bn1 = nn.BatchNorm1d(40)
        self.act3 = nn.ReLU()
        self.drop1 = nn.Dropout(dropout)
        self.fc2 = nn.Linear(40, 10)
        self.bn2 = nn.BatchNorm1d(10)
        self.act4 = nn.ReLU()
        self.drop2 = nn.Dropout(dropout)
        self.fc3 = nn.Linear(10, n_outputs(self.head, n_tasks))
        self.register_buffer("order", torch.tensor(PAPER_ORDER), persistent=False)

    @property
    def filter_conv(self) -> nn.Conv2d:
        """conv1: the first convolution (``(1, 4)`` kernels along each base row)."""
        return self.conv1

    @property
    def filter_act(self) -> nn.ReLU:
        """conv1's own ReLU; its output ``(N, 2, 4, L - 3)`` is the filter activation map."""
        return self.act1

    def sequence_features(self, x_seq: torch.Tensor) -> torch.Tensor:
        """The convolutional trunk: ``(N, 4, L)`` A,C,G,T one-hot -> ``(N, 4 * ((L - 6) // 2))``."""
        x = torch.index_select(x_seq, 1, self.order).unsqueeze(1)
        x = self.act1(self.conv1(x))
        x = self.act2(self.conv2(x))
        x = self.pool(self.drop_conv(x))
        return self.flatten(x)

    def forward(self, x_seq: torch.Tensor, x_tab: torch.Tensor | None = None) -> torch.Tensor:
        """Logits.

        Parameters
        ----------
        x_seq : torch.Tensor
            ``(N, 4, L)`` one-hot in A,C,G,T order.
        x_tab : torch.Tensor or None
            ``(N, F)`` standardised tabular features (None only when ``n_tab == 0``).

        Returns
        -------
        torch.Tensor
            ``(N, 2)`` for the softmax head, ``(N, T)`` for the sigmoid head.
        """
        h = self.sequence_features(x_seq)
        if self.uses_tab:
            if x_tab is None:
                raise ValueError(f"ssl_dnn was built with n_tab={self.n_tab}; x_tab is missing")
            h = torch.cat([h, x_tab], dim=1)
        h = self.drop1(self.act3(self.bn1(self.fc1(h))))
        h = self.drop2(self.act4(self.bn2(self.fc2(h))))
        return self.fc3(h)
