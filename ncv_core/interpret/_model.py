"""Private helpers shared by the interpretation modules: the model contract, eval mode, devices.

The model contract (``docs/ARCHITECTURE.md``): ``forward(x_seq, x_tab) -> logits`` with
``x_seq`` of shape ``(N, 4, L)`` (one-hot, A,C,G,T) or None and ``x_tab`` of shape ``(N, F)`` or
None; attributes ``head`` (``"softmax"``: two logits, class 1 functional; ``"sigmoid"``: one
logit per task), ``n_tasks``, ``uses_seq``, ``uses_tab``, ``seq_len``, ``n_tab``.

Every interpretation is made on the *positive logit*: ``z1 - z0`` for a softmax head (so that
``sigmoid(z1 - z0)`` is the softmax probability of class 1), the task logits for a sigmoid head.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from ncv_core.device import resolve_device
from ncv_core.errors import NcvError
from ncv_core.models.predict import positive_logits

LogitFn = Callable[..., torch.Tensor]
"""``f(x_seq (B, 4, L)[, x_tab (B, F)]) -> (B, T)`` positive-class logits."""

CONTRACT_ATTRIBUTES: tuple[str, ...] = ("head", "n_tasks", "uses_seq", "uses_tab")


def is_contract_model(obj: Any) -> bool:
    """True when ``obj`` is an ``nn.Module`` carrying the contract's attributes."""
    return isinstance(obj, nn.Module) and all(hasattr(obj, a) for a in CONTRACT_ATTRIBUTES)


def check_model(model: nn.Module, *, need_seq: bool = True) -> None:
    """Raise :class:`NcvError` unless ``model`` follows the contract (and uses the sequence)."""
    missing = [a for a in CONTRACT_ATTRIBUTES if not hasattr(model, a)]
    if not isinstance(model, nn.Module) or missing:
        raise NcvError(
            f"{type(model).__name__} is not an ncv model: missing attributes {missing}; expected "
            "an nn.Module with head, n_tasks, uses_seq, uses_tab (docs/ARCHITECTURE.md)"
        )
    if model.head not in ("softmax", "sigmoid"):
        raise NcvError(f"model head {model.head!r} is not 'softmax' or 'sigmoid'")
    if need_seq and not model.uses_seq:
        raise NcvError(
            f"{type(model).__name__} does not use the sequence (uses_seq is False); sequence "
            "interpretation (ISM, attributions, filters) needs a model with a sequence input"
        )


def n_outputs(model: nn.Module) -> int:
    """Number of positive logits: 1 for a softmax head, ``n_tasks`` for a sigmoid head."""
    return 1 if model.head == "softmax" else int(model.n_tasks)


class PositiveLogit(nn.Module):
    """Wrap a contract model so that ``forward(x_seq, x_tab=None)`` gives positive logits.

    The output has shape ``(B, T)``: ``z1 - z0`` (``T = 1``) for a softmax head, the task logits
    for a sigmoid head. The subtraction is linear, so gradient and DeepLIFT attributions of the
    wrapper are those of the model's positive-class logit.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.softmax = model.head == "softmax"
        self.uses_tab = bool(model.uses_tab)

    def forward(self, x_seq: torch.Tensor, x_tab: torch.Tensor | None = None) -> torch.Tensor:
        if self.uses_tab and x_tab is None:
            raise NcvError("the model uses tabular features (uses_tab); pass x_tab")
        return positive_logits(self.model.head, self.model(x_seq, x_tab if self.uses_tab else None))


def private_copy(model: nn.Module, device: torch.device) -> nn.Module:
    """A copy of ``model`` on ``device`` in eval mode, for one interpretation to own.

    Interpretation never changes a model someone else holds (an app cache shares one model
    between pages and sessions): forward hooks, captum's hooks, mode switches and device moves all
    happen on this copy, which nobody else sees.
    """
    twin = copy.deepcopy(model)
    return twin.to(device).eval()


def as_seq_tensor(x_seq: Any, name: str = "x_seq") -> torch.Tensor:
    """One-hot sequences as a float32 CPU tensor of shape ``(N, 4, L)`` (``(4, L)`` is N = 1)."""
    x = torch.as_tensor(np.asarray(x_seq) if not torch.is_tensor(x_seq) else x_seq)
    x = x.detach().to("cpu", torch.float32)
    if x.ndim == 2:
        x = x.unsqueeze(0)
    if x.ndim != 3 or x.shape[1] != 4:
        raise NcvError(
            f"{name} must have shape (N, 4, L) one-hot in A,C,G,T order, got {tuple(x.shape)}"
        )
    return x.contiguous()


def as_tab_tensor(x_tab: Any, n: int) -> torch.Tensor | None:
    """Tabular features as a float32 CPU tensor ``(n, F)``; one row ``(F,)`` is repeated."""
    if x_tab is None:
        return None
    t = torch.as_tensor(np.asarray(x_tab) if not torch.is_tensor(x_tab) else x_tab)
    t = t.detach().to("cpu", torch.float32)
    if t.ndim == 1:
        t = t.unsqueeze(0)
    if t.shape[0] == 1 and n != 1:
        t = t.expand(n, -1)
    if t.ndim != 2 or t.shape[0] != n:
        raise NcvError(
            f"x_tab must have shape ({n}, F) (one row per sequence), got {tuple(t.shape)}"
        )
    return t.contiguous()


def ref_indices(x: torch.Tensor) -> np.ndarray:
    """Reference base index per position, ``(N, L)`` int64; -1 where the column is not one-hot."""
    arr = x.numpy()
    idx = arr.argmax(axis=1)
    one_hot = (arr.max(axis=1) == 1.0) & (arr.sum(axis=1) == 1.0)
    return np.where(one_hot, idx, -1).astype(np.int64)


def device_and_fn(
    model_or_fn: nn.Module | LogitFn, device: str | torch.device | None
) -> tuple[torch.device, LogitFn, str]:
    """The device, the positive-logit callable and the tabular note for a model or callable."""
    dev = resolve_device(device)
    if is_contract_model(model_or_fn):
        check_model(model_or_fn)
        note = TAB_FIXED if model_or_fn.uses_tab else TAB_UNUSED
        return dev, model_logit_fn(model_or_fn, device=dev), note
    if not callable(model_or_fn):
        raise NcvError(f"expected a contract model or a callable, got {type(model_or_fn).__name__}")
    return dev, model_or_fn, TAB_CALLER


TAB_FIXED = "tabular features held fixed at each sequence's own values"
TAB_UNUSED = "model uses no tabular features"
TAB_CALLER = "callable given: tabular features, if any, are the caller's"


def model_logit_fn(model: nn.Module, *, device: str | torch.device | None = None) -> LogitFn:
    """A positive-logit callable ``f(x_seq, x_tab=None) -> (B, T)`` for a contract model.

    Each call runs under ``torch.inference_mode()`` with the model in eval mode (restored after);
    inputs are moved to ``device`` (None: CUDA if available, else CPU) and the output stays there.
    The passed model is never touched: the callable owns a private copy (:func:`private_copy`).
    """
    check_model(model)
    dev = resolve_device(device)
    net = PositiveLogit(private_copy(model, dev))

    def f(x_seq: torch.Tensor, x_tab: torch.Tensor | None = None) -> torch.Tensor:
        with torch.inference_mode():
            return net(x_seq.to(dev), None if x_tab is None else x_tab.to(dev))

    return f


def batched(n: int, batch_size: int) -> Iterator[slice]:
    """Slices ``[i, i + batch_size)`` covering ``range(n)``."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))
