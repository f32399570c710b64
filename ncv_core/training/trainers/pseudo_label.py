"""Pseudo-label semi-supervised training (SSL_dnn, Jia et al. 2021; Lee 2013).

Loss per step ``t`` (counting every batch): ``L = CE(labelled batch) + alpha(t) *
CE(unlabelled batch, argmax pseudo-labels of the current model)``, with the paper's ramp
``alpha(t)``. After every epoch, unlabelled rows whose confidence reaches ``threshold`` are
promoted into the labelled set with their pseudo-label (scikit-learn's
``SelfTrainingClassifier`` contract: ``transduction_``, ``labeled_iter_``; the caller's labels
never change). With ``alpha`` always 0 and no promotion, training equals
:class:`~ncv_core.training.supervised.SupervisedTrainer` bit for bit under the same seed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ncv_core.models.encoding import Inputs
from ncv_core.models.predict import predict_logits
from ncv_core.training.steps import (
    alpha_schedule,
    cycle_batches,
    head_loss,
    pseudo_labels,
    seeded_torch,
    shuffled_batches,
)
from ncv_core.training.trainers.base import BaseTrainer, as_targets, stream_generator


class PseudoLabelTrainer(BaseTrainer):
    """The SSL_dnn trainer.

    Settings come from ``config`` (:class:`ncv_core.training.types.TrainConfig`):
    ``threshold`` (promotion confidence, the paper's 0.95; None or > 1 never promotes), ``t1``,
    ``t2`` (the alpha ramp: 0 before batch ``t1``, linear to 1 at ``t2``; the paper's 100, 600),
    ``batch_size`` / ``unlabelled_batch_size`` (16, 32) and ``promote_from`` (batch from which
    promotion starts: 0, the paper, after every epoch; None for ``t1``).

    Parameters
    ----------
    alpha : callable, optional
        ``alpha(t) -> float`` replacing the ramp (``lambda t: 0.0`` gives supervised training).
    *args, **kwargs
        See :class:`ncv_core.training.trainers.base.BaseTrainer` (``config``, ``seed``, ...).

    Attributes
    ----------
    transduction_ : numpy.ndarray
        ``(N, T)`` labels used at the end: the given ones, pseudo-labels of promoted rows, -1
        for rows never promoted.
    labeled_iter_ : numpy.ndarray
        ``(N,)`` epoch in which each row entered the labelled set: 0 for given labels, ``k`` for
        a row promoted after epoch ``k``, -1 for never.
    history_ : list of dict
        Per epoch: ``epoch``, ``t``, ``alpha``, ``train_loss``, ``labelled_loss``,
        ``unlabelled_loss``, ``n_labelled``, ``n_unlabelled``, ``promoted``, ``pseudo_acc``
        (accuracy of the current pseudo-labels on remaining unlabelled rows with hidden labels),
        ``promoted_acc`` (of all promoted rows so far), ``val_*`` metrics, ``seconds``.
    n_iter_, n_batches_, n_examples_, termination_condition_
        As in :class:`~ncv_core.training.supervised.SupervisedTrainer`.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        *args: Any,
        alpha: Callable[[int], float] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(model, *args, **kwargs)
        self.alpha = alpha
        cfg = self.config
        self.threshold, self.t1, self.t2 = cfg.threshold, cfg.t1, cfg.t2
        self.promote_from = cfg.promote_from

    def alpha_at(self, t: int) -> float:
        """Weight of the unlabelled loss at batch ``t``."""
        return (
            float(self.alpha(t)) if self.alpha is not None else alpha_schedule(t, self.t1, self.t2)
        )

    def fit(
        self,
        X: Inputs,
        y: np.ndarray,
        *,
        X_val: Inputs | None = None,
        y_val: np.ndarray | None = None,
        y_hidden: np.ndarray | None = None,
    ) -> PseudoLabelTrainer:
        """Train on labelled and unlabelled rows.

        Parameters
        ----------
        X : Inputs
            ``N`` training rows (labelled and unlabelled; never validation rows).
        y : numpy.ndarray
            ``(N,)`` or ``(N, T)`` int: 1, 0, or -1 for unlabelled (a row is unlabelled when all
            its entries are -1).
        X_val, y_val : Inputs and numpy.ndarray, optional
            Validation rows, scored after every epoch; never pseudo-labelled.
        y_hidden : numpy.ndarray, optional
            True labels of the unlabelled rows (-1 where unknown), used only to report
            pseudo-label accuracy.
        """
        y = as_targets(y)
        hidden = None if y_hidden is None else as_targets(y_hidden)
        self.transduction_ = y.copy()
        self.labeled_iter_ = np.where((y >= 0).any(axis=1), 0, -1)
        validation = None if X_val is None else (X_val, as_targets(y_val))
        device, opt = self._begin()
        shuffle, shuffle_u = stream_generator(self.seed, 0), stream_generator(self.seed, 1)
        with seeded_torch(self.seed, device):
            for epoch in range(self.epochs):
                losses, parts = self._epoch(X, epoch, opt, device, shuffle, shuffle_u)
                record = self._promote(X, epoch, device, hidden)
                if self._end_epoch(epoch, losses, validation, device, **parts, **record):
                    break
        return self

    def _epoch(
        self,
        X: Inputs,
        epoch: int,
        opt: torch.optim.Optimizer,
        device: torch.device,
        shuffle: torch.Generator,
        shuffle_u: torch.Generator,
    ) -> tuple[list[float], dict[str, Any]]:
        """One pass over the current labelled set, with one unlabelled batch per step."""
        lab = torch.from_numpy(np.flatnonzero(self.labeled_iter_ >= 0))
        unl = torch.from_numpy(np.flatnonzero(self.labeled_iter_ < 0))
        targets = torch.from_numpy(self.transduction_)
        size_u = self.config.unlabelled_batch_size
        stream = cycle_batches(unl, size_u, shuffle_u) if len(unl) > 1 else None
        batches = shuffled_batches(len(lab), self.config.batch_size, shuffle)
        losses, l_losses, u_losses = [], [], []
        for b, idx in enumerate(batches):
            alpha = self.alpha_at(self.n_batches_)
            r = lab[idx]
            loss = self._labelled_loss(X.take(r).to(device), targets[r].to(device))
            l_losses.append(float(loss.detach()))
            n_rows = len(r)
            if alpha > 0 and stream is not None:
                u = next(stream)
                n_rows += len(u)
                logits = self.model(*X.take(u).to(device))
                pseudo, _ = pseudo_labels(self.model.head, logits.detach())
                u_loss = head_loss(self.model.head, logits, pseudo)
                u_losses.append(float(u_loss.detach()))
                loss = loss + alpha * u_loss
            losses.append(self._step(opt, loss, n_rows))
            self._batch_event(epoch, b, len(batches), losses[-1])
        parts = {
            "alpha": self.alpha_at(max(self.n_batches_ - 1, 0)),
            "labelled_loss": float(np.mean(l_losses)) if l_losses else float("nan"),
            "unlabelled_loss": float(np.mean(u_losses)) if u_losses else float("nan"),
            "n_labelled": len(lab),
            "n_unlabelled": len(unl),
        }
        return losses, parts

    def _promote(
        self, X: Inputs, epoch: int, device: torch.device, hidden: np.ndarray | None
    ) -> dict[str, Any]:
        """Promote confident unlabelled rows; measure pseudo-label accuracy."""
        unl = np.flatnonzero(self.labeled_iter_ < 0)
        out: dict[str, Any] = {"promoted": 0, "pseudo_acc": float("nan")}
        started = self.n_batches_ >= (self.t1 if self.promote_from is None else self.promote_from)
        promoting = started and self.threshold is not None and self.threshold <= 1
        if len(unl) and (promoting or hidden is not None):
            logits = predict_logits(self.model, X.take(unl), device)
            labels, conf = (a.numpy() for a in pseudo_labels(self.model.head, logits))
            out["pseudo_pos_frac"] = float(labels[:, 0].mean())
            if hidden is not None:
                out["pseudo_acc"] = _accuracy(labels, hidden[unl])
            if promoting:
                chosen = conf >= self.threshold
                self.transduction_[unl[chosen]] = labels[chosen]
                self.labeled_iter_[unl[chosen]] = epoch + 1
                out["promoted"] = int(chosen.sum())
        out["n_promoted_total"] = int((self.labeled_iter_ > 0).sum())
        if hidden is not None:
            done = np.flatnonzero(self.labeled_iter_ > 0)
            out["promoted_acc"] = _accuracy(self.transduction_[done], hidden[done])
        return out


def _accuracy(pred: np.ndarray, truth: np.ndarray) -> float:
    """Agreement of ``(n, T)`` predictions with known (>= 0) entries of ``truth``; NaN if none."""
    known = truth >= 0
    return float((pred[known] == truth[known]).mean()) if known.any() else float("nan")
