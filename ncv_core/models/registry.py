"""The model registry: build any network by name from the keyword arguments in a card.

Every registered class stores the keyword arguments it was built with (after defaults are
resolved) in ``model.config``, so ``build_model(name, **model.config)`` rebuilds the same network
and a ``card.json`` carries everything needed to do so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from ncv_core.errors import NcvError

MODELS: dict[str, type[nn.Module]] = {}
"""Registered model classes by name."""

HEADS: tuple[str, ...] = ("softmax", "sigmoid")


def register(name: str) -> Callable[[type[nn.Module]], type[nn.Module]]:
    """Class decorator adding a model class to :data:`MODELS` under ``name``."""

    def deco(cls: type[nn.Module]) -> type[nn.Module]:
        MODELS[name] = cls
        cls.NAME = name
        return cls

    return deco


def build_model(name: str, **kwargs: Any) -> nn.Module:
    """Build the model registered as ``name`` with ``kwargs``.

    Raises
    ------
    NcvError
        If ``name`` is unknown or the keyword arguments do not fit the architecture.
    """
    if name not in MODELS:
        known = ", ".join(sorted(MODELS))
        raise NcvError(f"unknown model {name!r}; expected one of {known}")
    try:
        return MODELS[name](**kwargs)
    except (TypeError, ValueError) as exc:
        raise NcvError(f"model {name!r} cannot be built from {sorted(kwargs)}: {exc}") from exc


def default_head(n_tasks: int, head: str | None) -> str:
    """``head`` if given, else ``"softmax"`` for one task and ``"sigmoid"`` for several."""
    if head is None:
        return "softmax" if n_tasks == 1 else "sigmoid"
    if head not in HEADS:
        raise ValueError(f"head must be one of {HEADS}, got {head!r}")
    if head == "softmax" and n_tasks != 1:
        raise ValueError(f"a softmax head has one task (two classes), got n_tasks={n_tasks}")
    return head


def n_outputs(head: str, n_tasks: int) -> int:
    """Number of logits: 2 for a softmax head, one per task for a sigmoid head."""
    return 2 if head == "softmax" else n_tasks


def n_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
