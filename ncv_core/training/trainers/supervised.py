"""Supervised training: the labelled rows only (the paper's Supervised_dnn baseline)."""

from __future__ import annotations

import numpy as np
import torch

from ncv_core.models.encoding import Inputs
from ncv_core.training.steps import seeded_torch, shuffled_batches
from ncv_core.training.trainers.base import BaseTrainer, as_targets, stream_generator


class SupervisedTrainer(BaseTrainer):
    """Mini-batch SGD on the labelled rows, optionally with sample weights and input noise.

    Parameters
    ----------
    noisy : bool
        Add Gaussian noise of standard deviation ``config.noise_std`` to both inputs of every
        training batch (Noisy Student's students); False (default) adds none.
    **kwargs
        See :class:`ncv_core.training.trainers.base.BaseTrainer` (``config``, ``seed``, ...).

    Attributes
    ----------
    history_ : list of dict
        One row per epoch: ``epoch``, ``t``, ``train_loss``, ``val_loss``, ``val_auroc``,
        ``val_aupr``, ``val_accuracy``, ``seconds``.
    n_iter_ : int
        Epochs run.
    n_batches_ : int
        Optimisation steps taken.
    n_examples_ : int
        Rows processed in training batches (summed over steps).
    termination_condition_ : {"max_iter", "stopped"}
    """

    def __init__(self, model: torch.nn.Module, *args, noisy: bool = False, **kwargs) -> None:
        super().__init__(model, *args, **kwargs)
        self.noise_std = self.config.noise_std if noisy else 0.0

    def fit(
        self,
        X: Inputs,
        y: np.ndarray,
        *,
        sample_weight: np.ndarray | None = None,
        X_val: Inputs | None = None,
        y_val: np.ndarray | None = None,
    ) -> SupervisedTrainer:
        """Train on the rows of ``X`` that have a label.

        Parameters
        ----------
        X : Inputs
            ``N`` training rows.
        y : numpy.ndarray
            ``(N,)`` or ``(N, T)`` int: 1, 0, -1 = no label (such rows are not used).
        sample_weight : numpy.ndarray, optional
            ``(N,)`` per-row loss weights.
        X_val, y_val : Inputs and numpy.ndarray, optional
            Validation rows, scored after every epoch.
        """
        y = as_targets(y)
        rows = torch.from_numpy(np.flatnonzero((y >= 0).any(axis=1)))
        targets = torch.from_numpy(y)
        weights = None if sample_weight is None else torch.as_tensor(sample_weight).float()
        validation = None if X_val is None else (X_val, as_targets(y_val))
        device, opt = self._begin()
        shuffle, noise = stream_generator(self.seed, 0), stream_generator(self.seed, 2)
        with seeded_torch(self.seed, device):
            for epoch in range(self.epochs):
                batches = shuffled_batches(len(rows), self.config.batch_size, shuffle)
                losses = []
                for b, idx in enumerate(batches):
                    r = rows[idx]
                    x = self._noisy(X.take(r), noise, device)
                    w = None if weights is None else weights[r].to(device)
                    loss = self._labelled_loss(x, targets[r].to(device), w)
                    losses.append(self._step(opt, loss, len(r)))
                    self._batch_event(epoch, b, len(batches), losses[-1])
                if self._end_epoch(epoch, losses, validation, device, n_labelled=len(rows)):
                    break
        return self

    def _noisy(
        self, x: Inputs, generator: torch.Generator, device: torch.device
    ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        if self.noise_std <= 0:
            return x.to(device)
        noisy = [
            None if a is None else a + self.noise_std * torch.randn(a.shape, generator=generator)
            for a in (x.seq, x.tab)
        ]
        return Inputs(*noisy).to(device)
