"""Sequence-only CNNs: ``deepbind`` (shallow), ``deepsea`` (deep) and ``basset`` (multi-task).

All take ``(N, 4, L)`` one-hot in A,C,G,T order and ignore tabular features
(``uses_tab = False``). ``filter_conv`` is the first ``nn.Conv1d`` (weights
``(C, 4, k)``) and ``filter_act`` its own ReLU, whose output ``(N, C, L - k + 1)`` (or ``L``
with ``same`` padding) is the filter activation map. Every activation, pooling and dropout is
its own module instance.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ncv_core.models.registry import default_head, n_outputs, register


class _SequenceCNN(nn.Module):
    """Shared plumbing: attributes of the model contract and a forward over ``x_seq``."""

    uses_seq = True
    uses_tab = False
    n_tab = 0
    INPUTS: tuple[str, ...] = ("seq",)

    def _setup(self, seq_len: int, n_tasks: int, head: str | None) -> None:
        self.head = default_head(n_tasks, head)
        self.n_tasks, self.seq_len = n_tasks, seq_len
        self.n_out = n_outputs(self.head, n_tasks)

    _filter_index: tuple[int, int] = (0, 1)
    """Positions of the first ``Conv1d`` and its ReLU in ``body``."""

    @property
    def filter_conv(self) -> nn.Conv1d:
        """The first convolution, weights ``(C, 4, k)`` over A,C,G,T."""
        return self.body[self._filter_index[0]]

    @property
    def filter_act(self) -> nn.ReLU:
        """The first convolution's own ReLU; its output ``(N, C, L')`` is the activation map."""
        return self.body[self._filter_index[1]]

    def forward(self, x_seq: torch.Tensor, x_tab: torch.Tensor | None = None) -> torch.Tensor:
        """Logits from the sequence.

        Parameters
        ----------
        x_seq : torch.Tensor
            ``(N, 4, L)`` one-hot in A,C,G,T order.
        x_tab : torch.Tensor or None
            Ignored (sequence-only model).

        Returns
        -------
        torch.Tensor
            ``(N, 2)`` for a softmax head, ``(N, T)`` for a sigmoid head.
        """
        return self.dense(self.body(x_seq))


def _conv_stack(
    channels: Sequence[int],
    kernels: Sequence[int],
    pools: Sequence[int],
    *,
    batch_norm: bool,
    dropouts: Sequence[float],
    padding: str,
) -> list[nn.Module]:
    """Conv1d -> [BatchNorm] -> ReLU -> MaxPool -> [Dropout] per layer, new modules each time."""
    layers: list[nn.Module] = []
    c_in = 4
    for c_out, k, pool, p in zip(channels, kernels, pools, dropouts, strict=True):
        layers.append(nn.Conv1d(c_in, c_out, k, padding=padding))
        if batch_norm:
            layers.append(nn.BatchNorm1d(c_out))
        layers.append(nn.ReLU())
        if pool > 1:
            layers.append(nn.MaxPool1d(pool, ceil_mode=True))
        if p > 0:
            layers.append(nn.Dropout(p))
        c_in = c_out
    return layers


def _flat_size(body: nn.Module, seq_len: int, name: str) -> int:
    """Number of features the convolutional body outputs for a window of ``seq_len``."""
    was = body.training
    body.eval()
    try:
        with torch.no_grad():
            n = body(torch.zeros(1, 4, seq_len)).numel()
    except RuntimeError as exc:
        raise ValueError(f"{name}: a {seq_len}-bp window is too short for its layers") from exc
    finally:
        body.train(was)
    if n == 0:
        raise ValueError(f"{name}: a {seq_len}-bp window is too short for its layers")
    return n


@register("deepbind")
class DeepBind(_SequenceCNN):
    """A DeepBind-like shallow CNN (~27K parameters with the defaults, as in Phan et al. 2024).

    ``(N, 4, L)`` -> Conv1d(4, filters, kernel) -> ReLU -> global max pool -> FC ``hidden``
    -> ReLU -> dropout -> logits. Defaults (128 filters of 24 bp, 112 hidden units) give
    27,090 parameters for one task.
    """

    def __init__(
        self,
        seq_len: int = 150,
        filters: int = 128,
        kernel: int = 24,
        hidden: int = 112,
        dropout: float = 0.5,
        n_tasks: int = 1,
        head: str | None = None,
    ) -> None:
        super().__init__()
        if seq_len < kernel:
            raise ValueError(f"deepbind: seq_len={seq_len} is shorter than the kernel ({kernel})")
        self._setup(seq_len, n_tasks, head)
        self.config = {
            "seq_len": seq_len,
            "filters": filters,
            "kernel": kernel,
            "hidden": hidden,
            "dropout": dropout,
            "n_tasks": n_tasks,
            "head": self.head,
        }
        self.body = nn.Sequential(
            nn.Conv1d(4, filters, kernel), nn.ReLU(), nn.AdaptiveMaxPool1d(1), nn.Flatten()
        )
        self.dense = nn.Sequential(
            nn.Linear(filters, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, self.n_out),
        )


@register("deepsea")
class DeepSEA(_SequenceCNN):
    """A DeepSEA-like deep CNN: three Conv1d/ReLU/max-pool layers, dropout, one dense layer.

    Defaults follow DeepSEA (320/480/960 filters of 8 bp, pools of 4, dropout 0.2/0.2/0.5,
    925 hidden units) with unpadded convolutions; pools round up (``ceil_mode``), so a 150-bp
    window still leaves one position after the third convolution.
    """

    def __init__(
        self,
        seq_len: int = 150,
        channels: Sequence[int] = (320, 480, 960),
        kernel: int = 8,
        pool: int = 4,
        dropouts: Sequence[float] = (0.2, 0.2, 0.5),
        hidden: int = 925,
        n_tasks: int = 1,
        head: str | None = None,
    ) -> None:
        super().__init__()
        self._setup(seq_len, n_tasks, head)
        channels, dropouts = [int(c) for c in channels], [float(p) for p in dropouts]
        self.config = {
            "seq_len": seq_len,
            "channels": channels,
            "kernel": kernel,
            "pool": pool,
            "dropouts": dropouts,
            "hidden": hidden,
            "n_tasks": n_tasks,
            "head": self.head,
        }
        pools = [pool] * (len(channels) - 1) + [1]
        layers = _conv_stack(
            channels,
            [kernel] * len(channels),
            pools,
            batch_norm=False,
            dropouts=dropouts,
            padding="valid",
        )
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.dense = nn.Sequential(
            nn.Linear(_flat_size(self.body, seq_len, "deepsea"), hidden),
            nn.ReLU(),
            nn.Linear(hidden, self.n_out),
        )


@register("basset")
class Basset(_SequenceCNN):
    """Basset (Kelley et al. 2016): 3 x (Conv1d, batch norm, ReLU, max-pool), 2 x (FC, ReLU,
    dropout), one sigmoid output per task (multi-task when the table has several label columns).

    Defaults are Basset's (300/200/200 filters of 19/11/7 bp, pools 3/4/4, 1000-unit FC layers,
    dropout 0.3), with ``same`` padding so 150-bp windows keep a non-empty feature map.
    """

    def __init__(
        self,
        seq_len: int = 150,
        channels: Sequence[int] = (300, 200, 200),
        kernels: Sequence[int] = (19, 11, 7),
        pools: Sequence[int] = (3, 4, 4),
        hidden: Sequence[int] = (1000, 1000),
        dropout: float = 0.3,
        n_tasks: int = 1,
        head: str | None = "sigmoid",
    ) -> None:
        super().__init__()
        self._setup(seq_len, n_tasks, head)
        channels, kernels = [int(c) for c in channels], [int(k) for k in kernels]
        pools, hidden = [int(p) for p in pools], [int(h) for h in hidden]
        self.config = {
            "seq_len": seq_len,
            "channels": channels,
            "kernels": kernels,
            "pools": pools,
            "hidden": hidden,
            "dropout": dropout,
            "n_tasks": n_tasks,
            "head": self.head,
        }
        layers = _conv_stack(
            channels,
            kernels,
            pools,
            batch_norm=True,
            dropouts=[0.0] * len(channels),
            padding="same",
        )
        self._filter_index = (0, 2)
        self.body = nn.Sequential(*layers, nn.Flatten())
        dense: list[nn.Module] = []
        n_in = _flat_size(self.body, seq_len, "basset")
        for h in hidden:
            dense += [nn.Linear(n_in, h), nn.ReLU(), nn.Dropout(dropout)]
            n_in = h
        self.dense = nn.Sequential(*dense, nn.Linear(n_in, self.n_out))
