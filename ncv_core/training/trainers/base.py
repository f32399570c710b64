"""What every trainer shares: settings, seeded generators, one optimisation step, the epoch
record (validation metrics, history, progress events) and the stop check.

Trainers follow scikit-learn's habits: settings in ``__init__``, ``fit(X, y)`` returns ``self``,
learned state ends in ``_`` (``history_``, ``n_iter_``, ``n_batches_``, ``n_examples_``,
``termination_condition_``), unlabelled targets are ``-1`` and the caller's labels are never
changed. The model is trained in place and stays on ``device``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from torch import nn

from ncv_core.device import resolve_device
from ncv_core.models.encoding import Inputs
from ncv_core.progress import ProgressFn, StopFlag, report, stopped
from ncv_core.training.steps import head_loss, validation_metrics
from ncv_core.training.types import TrainConfig

OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
}


def model_inputs(model: nn.Module) -> tuple[str, ...]:
    """``("seq",)``, ``("tab",)`` or ``("seq", "tab")``: what a contract model reads."""
    return tuple(k for k, on in (("seq", model.uses_seq), ("tab", model.uses_tab)) if on)


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """The config's optimizer over ``model``'s parameters (``lr``, ``weight_decay``)."""
    decay = config.weight_decay or 0.0
    return OPTIMIZERS[config.optimizer](model.parameters(), lr=config.lr, weight_decay=decay)


def stream_generator(seed: int, stream: int) -> torch.Generator:
    """An independent CPU generator for one random stream (shuffling, noise) of a run."""
    state = np.random.SeedSequence([int(seed), int(stream)]).generate_state(2, dtype=np.uint64)
    return torch.Generator().manual_seed(int(state[0] % (2**63)))


def as_targets(y: np.ndarray) -> np.ndarray:
    """Labels as ``(N, T)`` int64 (a ``(N,)`` vector becomes one task)."""
    y = np.asarray(y, dtype=np.int64)
    return y[:, None] if y.ndim == 1 else y


class BaseTrainer:
    """Settings and plumbing shared by the trainers (see the module docstring).

    Parameters
    ----------
    model : torch.nn.Module
        The network to train (in place).
    config : TrainConfig, optional
        The run's settings (default ``TrainConfig()``): ``epochs``, ``lr``, ``optimizer``,
        ``batch_size`` (labelled), ``val_batch_size``, ``max_grad_norm`` and the method's own
        fields; see :class:`ncv_core.training.types.TrainConfig`.
    seed : int, optional
        Seeds shuffling, dropout and noise (default ``config.seed``); the same seed gives the same
        weights.
    device : str or torch.device, optional
        None: CUDA when available, else CPU.
    progress : callable, optional
        Receives a dict per batch (``event="batch"``) and per epoch (``event="epoch"``, with the
        epoch's history row).
    stop : object with ``is_set()``, optional
        Checked between epochs; when set, training ends with ``termination_condition_ ==
        "stopped"``.
    stage : str
        The ``stage`` of the progress events.
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig | None = None,
        *,
        seed: int | None = None,
        device: str | torch.device | None = None,
        progress: ProgressFn | None = None,
        stop: StopFlag | None = None,
        stage: str = "train",
    ) -> None:
        self.model = model
        self.config = (config if config is not None else TrainConfig()).resolved(
            model_inputs(model)
        )
        self.seed = self.config.seed if seed is None else int(seed)
        self.device, self.progress, self.stop, self.stage = device, progress, stop, stage

    @property
    def epochs(self) -> int:
        return self.config.epochs

    def _begin(self) -> tuple[torch.device, torch.optim.Optimizer]:
        device = resolve_device(self.device)
        self.model.to(device)
        self.model.train()
        self.history_: list[dict[str, Any]] = []
        self.n_iter_, self.n_batches_, self.n_examples_ = 0, 0, 0
        self.termination_condition_ = "max_iter"
        self._t0 = time.perf_counter()
        return device, make_optimizer(self.model, self.config)

    def _step(self, opt: torch.optim.Optimizer, loss: torch.Tensor, n_examples: int) -> float:
        """One SGD step on ``loss`` computed from ``n_examples`` rows; returns the loss."""
        self.n_examples_ += n_examples
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.max_grad_norm)
        opt.step()
        self.n_batches_ += 1
        return float(loss.detach())

    def _labelled_loss(
        self,
        x: tuple[torch.Tensor | None, torch.Tensor | None],
        y: torch.Tensor,
        weight: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return head_loss(self.model.head, self.model(*x), y, weight)

    def _batch_event(self, epoch: int, batch: int, n_batches: int, loss: float) -> None:
        report(
            self.progress,
            self.stage,
            epoch,
            self.epochs,
            event="batch",
            epoch=epoch + 1,
            batch=batch + 1,
            n_batches=n_batches,
            loss=loss,
            t=self.n_batches_,
        )

    def _end_epoch(
        self,
        epoch: int,
        losses: list[float],
        validation: tuple[Inputs, np.ndarray] | None,
        device: torch.device,
        **extra: Any,
    ) -> bool:
        """Record the epoch, report it; return True when training should stop."""
        row: dict[str, Any] = {
            "epoch": epoch + 1,
            "t": self.n_batches_,
            "train_loss": float(np.mean(losses)) if losses else float("nan"),
        }
        row.update(extra)
        if validation is not None and len(validation[0]):
            row.update(
                validation_metrics(
                    self.model, validation[0], validation[1], device, self.config.val_batch_size
                )
            )
        row["seconds"] = round(time.perf_counter() - self._t0, 3)
        self.history_.append(row)
        self.n_iter_ = epoch + 1
        report(self.progress, self.stage, epoch + 1, self.epochs, event="epoch", **row)
        if stopped(self.stop) and epoch + 1 < self.epochs:
            self.termination_condition_ = "stopped"
            return True
        return False
