"""An ensemble of ``k`` networks trained in lock step, each early-stopped on its own inner fold of
the labelled rows (the robust recipe, docs/TRAINING.md).

Member ``i`` holds out stratified fold ``i`` of the labelled rows it is given (never validation
rows: the caller passes training rows only), trains on the rest, and keeps the epoch with the
lowest loss on its held-out fold; training of a member ends after ``patience`` epochs without a
lower loss. Together the members have scored every labelled row out of fold
(:attr:`EnsembleTrainer.oof_rows_`, :attr:`oof_logits_`), which calibrates a teacher. With
``pool_targets``, every labelled step also takes a batch of the unlabelled pool with soft targets
and Gaussian input noise (the noisy student).

All members advance one epoch at a time, so an epoch record (history, progress) is the ensemble's:
its validation metrics are those of the mean probability of the members at that epoch.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ncv_core.device import resolve_device
from ncv_core.models.encoding import Inputs
from ncv_core.models.ensemble import Ensemble
from ncv_core.models.predict import positive_logits, predict_logits
from ncv_core.progress import ProgressFn, StopFlag, report, stopped
from ncv_core.training.steps import (
    cycle_batches,
    head_loss,
    seeded_torch,
    shuffled_batches,
    validation_metrics,
)
from ncv_core.training.trainers.base import (
    as_targets,
    make_optimizer,
    model_inputs,
    stream_generator,
)
from ncv_core.training.types import TrainConfig

MIN_DELTA = 1e-4
"""A member's inner-fold loss must fall by more than this to count as better."""


def inner_folds(y0: np.ndarray, k: int, seed: int) -> list[np.ndarray] | None:
    """Stratified inner folds of labelled rows: ``k`` index arrays into ``y0`` ``(n,)``.

    Every class value of ``y0`` is shuffled (seeded) and dealt round-robin into
    ``k_eff = max(2, min(k, smallest class))`` folds; member ``i`` gets fold ``i % k_eff``.
    None when a class has fewer than 2 rows (no early stopping possible).
    """
    values, counts = np.unique(y0, return_counts=True)
    if len(values) < 2 or counts.min() < 2:
        return None
    k_eff = max(2, min(k, int(counts.min())))
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 7919]))
    fold = np.empty(len(y0), dtype=np.int64)
    for v in values:
        rows = rng.permutation(np.flatnonzero(y0 == v))
        fold[rows] = np.arange(len(rows)) % k_eff
    folds = [np.flatnonzero(fold == f) for f in range(k_eff)]
    return [folds[i % k_eff] for i in range(k)]


@dataclass
class _Member:
    model: nn.Module
    opt: torch.optim.Optimizer
    train: torch.Tensor  # rows of X it trains on
    inner: np.ndarray | None  # rows of X it early-stops on
    shuffle: torch.Generator
    noise: torch.Generator
    pool: Any  # iterator of pool row batches, or None
    best: float = float("inf")
    best_state: dict | None = None
    since: int = 0
    done: bool = False
    epochs: int = 0


class MembersTrainer:
    """What the trainers that build their own networks share: ``build(seed) -> nn.Module`` (a
    fresh member), ``config`` (as resolved by ``train``), ``seed`` (default ``config.seed``),
    ``device``, ``progress``, ``stop`` and the ``stage`` name their progress events carry."""

    def __init__(
        self,
        build: Callable[[int], nn.Module],
        config: TrainConfig | None = None,
        *,
        seed: int | None = None,
        device: str | torch.device | None = None,
        progress: ProgressFn | None = None,
        stop: StopFlag | None = None,
        stage: str = "train",
    ) -> None:
        self.build, self.config = build, config if config is not None else TrainConfig()
        self.seed = self.config.seed if seed is None else int(seed)
        self.device, self.progress, self.stop, self.stage = device, progress, stop, stage


class EnsembleTrainer(MembersTrainer):
    """``config.members`` networks, lock step, early stopping on inner labelled folds.

    Parameters
    ----------
    build : callable
        ``build(seed) -> nn.Module``: a freshly initialised contract network.
    config : TrainConfig, optional
        ``members``, ``patience`` (0: no early stopping, ``epochs`` each), ``epochs`` (the most),
        ``optimizer``, ``lr``, ``weight_decay``, ``batch_size``, ``unlabelled_batch_size`` and
        ``noise_std`` (pool batches of a student), ``max_grad_norm``.
    seed, device, progress, stop, stage
        As in :class:`~ncv_core.training.trainers.base.BaseTrainer`.

    Attributes
    ----------
    model_ : torch.nn.Module
        The :class:`~ncv_core.models.ensemble.Ensemble` (the network itself when ``members == 1``),
        each member at its best inner-fold epoch.
    members_ : list of torch.nn.Module
    inner_ : list of numpy.ndarray or None
        Rows of ``X`` each member held out for early stopping (None: none).
    oof_rows_, oof_logits_ : numpy.ndarray
        ``(m,)`` rows of ``X`` scored out of fold and their ``(m, T)`` positive logits.
    history_ : list of dict
        One row per epoch: ``epoch``, ``t``, ``train_loss``, ``inner_loss``, ``members_training``,
        validation metrics of the ensemble, ``seconds`` (students: ``unlabelled_loss`` too).
    n_iter_, n_batches_, n_examples_, termination_condition_
        Epochs run (the longest member), steps, rows processed, ``"max_iter"``,
        ``"early_stopped"`` or ``"stopped"``.
    """

    def fit(
        self,
        X: Inputs,
        y: np.ndarray,
        *,
        X_val: Inputs | None = None,
        y_val: np.ndarray | None = None,
        pool_targets: np.ndarray | None = None,
    ) -> EnsembleTrainer:
        """Train the members.

        Parameters
        ----------
        X : Inputs
            ``N`` training rows (never validation rows).
        y : numpy.ndarray
            ``(N,)`` or ``(N, T)`` int: 1, 0, -1 = unlabelled (all entries -1: a pool row).
        X_val, y_val : optional
            Validation rows: scored after every epoch for the record only; never used to stop.
        pool_targets : numpy.ndarray, optional
            ``(N, T)`` float soft targets of the pool rows (NaN elsewhere): train a student.
        """
        y = as_targets(y)
        device = resolve_device(self.device)
        labelled = np.flatnonzero((y >= 0).any(axis=1))
        pool = np.flatnonzero(~(y >= 0).any(axis=1)) if pool_targets is not None else None
        self._q = None if pool_targets is None else torch.as_tensor(pool_targets).float()
        self._y = torch.from_numpy(y)
        validation = None if X_val is None or not len(X_val) else (X_val, as_targets(y_val))
        self.history_, self.n_iter_, self.n_batches_, self.n_examples_ = [], 0, 0, 0
        self.termination_condition_ = "max_iter"
        self._t0 = time.perf_counter()
        with seeded_torch(self.seed, device):
            members = self._members(labelled, y, pool, device)
            for epoch in range(self.config.epochs):
                record = self._epoch(X, members, device)
                self._record(epoch, record, members, validation, device)
                if all(m.done for m in members):
                    self.termination_condition_ = "early_stopped"
                    break
                if stopped(self.stop) and epoch + 1 < self.config.epochs:
                    self.termination_condition_ = "stopped"
                    break
        self._finish(X, members, device)
        return self

    def _members(
        self, labelled: np.ndarray, y: np.ndarray, pool: np.ndarray | None, device: torch.device
    ) -> list[_Member]:
        """Build the members (seeded each), resolve the config for their inputs, deal folds."""
        models = [self.build(_member_seed(self.seed, 0))]
        self.config = cfg = self.config.resolved(model_inputs(models[0]))
        k = int(cfg.members)
        models += [self.build(_member_seed(self.seed, i)) for i in range(1, k)]
        folds = inner_folds(y[labelled, 0], k, self.seed) if cfg.patience else None
        out = []
        for i, model in enumerate(models):
            inner = None if folds is None else labelled[folds[i]]
            rows = labelled if inner is None else np.setdiff1d(labelled, inner)
            seed_i = _member_seed(self.seed, i)
            model.to(device).train()
            stream = None
            if pool is not None and len(pool) > 1:
                gen = stream_generator(seed_i, 1)
                stream = cycle_batches(torch.from_numpy(pool), cfg.unlabelled_batch_size, gen)
            out.append(
                _Member(
                    model,
                    make_optimizer(model, cfg),
                    torch.from_numpy(rows),
                    inner,
                    stream_generator(seed_i, 0),
                    stream_generator(seed_i, 2),
                    stream,
                )
            )
        return out

    def _epoch(self, X: Inputs, members: list[_Member], device: torch.device) -> dict[str, Any]:
        """One epoch of every member still training; their mean losses."""
        losses, u_losses, inner = [], [], []
        for i, m in enumerate(members):
            if m.done:
                continue
            for idx in shuffled_batches(len(m.train), self.config.batch_size, m.shuffle):
                r = m.train[idx]
                loss = head_loss(
                    m.model.head, m.model(*X.take(r).to(device)), self._y[r].to(device)
                )
                n_rows = len(r)
                if m.pool is not None:
                    u = next(m.pool)
                    u_loss = self._pool_loss(m, X.take(u), u, device)
                    u_losses.append(float(u_loss.detach()))
                    loss, n_rows = loss + u_loss, n_rows + len(u)
                losses.append(self._step(m, loss, n_rows))
            m.epochs += 1
            inner.append(self._early_stop(X, m, device))
            report(
                self.progress,
                self.stage,
                self.n_iter_,
                self.config.epochs,
                event="batch",
                epoch=self.n_iter_ + 1,
                batch=i + 1,
                n_batches=len(members),
                loss=float(np.mean(losses)) if losses else float("nan"),
                t=self.n_batches_,
            )
        out = {"train_loss": float(np.mean(losses)) if losses else float("nan")}
        out["inner_loss"] = float(np.nanmean(inner)) if np.isfinite(inner).any() else float("nan")
        if self._q is not None:
            out["unlabelled_loss"] = float(np.mean(u_losses)) if u_losses else float("nan")
        return out

    def _pool_loss(
        self, m: _Member, x: Inputs, rows: torch.Tensor, device: torch.device
    ) -> torch.Tensor:
        """Soft-target binary cross-entropy of a noisy pool batch (per task, NaN targets out)."""
        std = self.config.noise_std
        parts = [
            None if a is None else (a + std * torch.randn(a.shape, generator=m.noise) if std else a)
            for a in (x.seq, x.tab)
        ]
        z = positive_logits(m.model.head, m.model(*Inputs(*parts).to(device)))
        q = self._q[rows].to(device)
        known = torch.isfinite(q)
        per = F.binary_cross_entropy_with_logits(z, torch.where(known, q, 0.0), reduction="none")
        return (per * known).sum() / known.sum().clamp(min=1)

    def _step(self, m: _Member, loss: torch.Tensor, n_rows: int) -> float:
        m.opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.max_grad_norm is not None:
            nn.utils.clip_grad_norm_(m.model.parameters(), self.config.max_grad_norm)
        m.opt.step()
        self.n_batches_ += 1
        self.n_examples_ += n_rows
        return float(loss.detach())

    def _early_stop(self, X: Inputs, m: _Member, device: torch.device) -> float:
        """The member's inner-fold loss; keeps its best state, ends it after ``patience``."""
        if m.inner is None:
            return float("nan")
        logits = predict_logits(m.model, X.take(m.inner), device)
        loss = float(head_loss(m.model.head, logits, self._y[m.inner]))
        if loss < m.best - MIN_DELTA:
            m.best, m.since = loss, 0
            m.best_state = copy.deepcopy(m.model.state_dict())
        else:
            m.since += 1
            if m.since >= int(self.config.patience):
                m.done = True
                m.model.load_state_dict(m.best_state)
        return loss

    def _record(
        self,
        epoch: int,
        record: dict[str, Any],
        members: list[_Member],
        validation: tuple[Inputs, np.ndarray] | None,
        device: torch.device,
    ) -> None:
        row: dict[str, Any] = {"epoch": epoch + 1, "t": self.n_batches_, **record}
        row["members_training"] = sum(not m.done for m in members)
        if validation is not None:
            model = _combine([m.model for m in members])
            row.update(
                validation_metrics(
                    model, validation[0], validation[1], device, self.config.val_batch_size
                )
            )
        row["seconds"] = round(time.perf_counter() - self._t0, 3)
        self.history_.append(row)
        self.n_iter_ = epoch + 1
        report(self.progress, self.stage, epoch + 1, self.config.epochs, event="epoch", **row)

    def _finish(self, X: Inputs, members: list[_Member], device: torch.device) -> None:
        rows, logits = [], []
        for m in members:
            if m.best_state is not None and not m.done:
                m.model.load_state_dict(m.best_state)
            m.model.eval()
            if m.inner is not None:
                rows.append(m.inner)
                logits.append(
                    positive_logits(m.model.head, predict_logits(m.model, X.take(m.inner), device))
                )
        self.members_ = [m.model for m in members]
        self.inner_ = [m.inner for m in members]
        self.member_epochs_ = [m.epochs for m in members]
        self.oof_rows_ = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        n_t = int(self._y.shape[1])
        self.oof_logits_ = torch.cat(logits).double().numpy() if logits else np.zeros((0, n_t))
        self.model_ = _combine(self.members_).eval()


def _member_seed(seed: int, i: int) -> int:
    """The seed of member ``i`` (initial weights, shuffling, noise) of a run seeded ``seed``."""
    return int(np.random.SeedSequence([int(seed), 31, i]).generate_state(1)[0] % (2**31))


def _combine(models: list[nn.Module]) -> nn.Module:
    return models[0] if len(models) == 1 else Ensemble(models)
