"""Noisy Student (Xie et al. 2020), as used for regulatory sequences by Phan et al. (2024).

A teacher is trained supervised on the labelled rows. It labels the unlabelled rows (argmax,
in eval mode, without noise); a fresh student of the same architecture then learns from the
labelled rows (weight 1) and the teacher-labelled rows (weighted by the teacher's confidence),
with Gaussian noise on its inputs and its own dropout. Optionally the student becomes the next
teacher (``iterations > 1``). Validation rows are never pseudo-labelled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from torch import nn

from ncv_core.device import resolve_device
from ncv_core.models.encoding import Inputs
from ncv_core.models.predict import predict_logits
from ncv_core.progress import ProgressFn, StopFlag, stopped
from ncv_core.training.steps import pseudo_labels
from ncv_core.training.trainers.base import as_targets
from ncv_core.training.trainers.supervised import SupervisedTrainer
from ncv_core.training.types import TrainConfig


class NoisyStudentTrainer:
    """Teacher -> noisy student, optionally iterated.

    Parameters
    ----------
    build : callable
        ``build(seed) -> nn.Module``: a freshly initialised network (teacher and students).
    config : TrainConfig, optional
        Settings: ``iterations`` (students trained, each teaching the next), ``noise_std``
        (Gaussian input noise of the students), ``student_threshold`` (teacher-labelled rows less
        confident than this are left out; 0 keeps them all), ``student_batch_size``, and the
        common ``epochs``, ``lr``, ``optimizer``, ``batch_size`` (the teacher's), ... Each model
        trains ``epochs`` epochs.
    seed, device, progress, stop
        As in :class:`~ncv_core.training.trainers.base.BaseTrainer`.

    Attributes
    ----------
    model_ : torch.nn.Module
        The last student (the teacher when ``iterations == 0``).
    teacher_ : torch.nn.Module
        The supervised teacher.
    history_ : list of dict
        Per epoch of every model, with ``phase`` (``"teacher"``, ``"student1"``, ...).
    transduction_ : numpy.ndarray
        ``(N, T)`` labels the last student trained on (given and teacher-assigned, -1 none).
    sample_weight_ : numpy.ndarray
        ``(N,)`` weights the last student trained with (1 labelled, confidence otherwise).
    n_iter_ : int
        Students trained.
    n_examples_ : int
        Rows processed in training batches by the teacher and all students.
    termination_condition_ : {"max_iter", "stopped"}
    """

    def __init__(
        self,
        build: Callable[[int], nn.Module],
        config: TrainConfig | None = None,
        *,
        seed: int | None = None,
        device: str | torch.device | None = None,
        progress: ProgressFn | None = None,
        stop: StopFlag | None = None,
    ) -> None:
        self.build = build
        self.config = config if config is not None else TrainConfig()
        self.seed = self.config.seed if seed is None else int(seed)
        self.device, self.progress, self.stop = device, progress, stop

    def _trainer(self, model: nn.Module, phase: str, k: int, student: bool) -> SupervisedTrainer:
        cfg = self.config
        if student:
            cfg = replace(cfg, batch_size=cfg.student_batch_size)
        return SupervisedTrainer(
            model,
            cfg,
            noisy=student,
            seed=self.seed + k,
            device=self.device,
            progress=self.progress,
            stop=self.stop,
            stage=phase,
        )

    def fit(
        self,
        X: Inputs,
        y: np.ndarray,
        *,
        X_val: Inputs | None = None,
        y_val: np.ndarray | None = None,
        y_hidden: np.ndarray | None = None,
    ) -> NoisyStudentTrainer:
        """Train the teacher and the students.

        Parameters
        ----------
        X : Inputs
            ``N`` training rows (labelled and unlabelled; never validation rows).
        y : numpy.ndarray
            ``(N,)`` or ``(N, T)`` int: 1, 0, -1 = unlabelled.
        X_val, y_val : optional
            Validation rows, scored after every epoch.
        y_hidden : numpy.ndarray, optional
            True labels of unlabelled rows (-1 unknown), to report pseudo-label accuracy.
        """
        y = as_targets(y)
        hidden = None if y_hidden is None else as_targets(y_hidden)
        device = resolve_device(self.device)
        unl = np.flatnonzero(~(y >= 0).any(axis=1))
        self.history_, self.n_iter_, self.n_examples_ = [], 0, 0
        self.termination_condition_ = "max_iter"
        self.teacher_ = self.build(self.seed)
        trainer = self._trainer(self.teacher_, "teacher", 0, False)
        trainer.fit(X, y, X_val=X_val, y_val=y_val)
        self._collect(trainer, "teacher")
        self.model_, self.transduction_ = self.teacher_, y.copy()
        self.sample_weight_ = np.where((y >= 0).any(axis=1), 1.0, 0.0)
        for k in range(1, self.config.iterations + 1):
            if trainer.termination_condition_ == "stopped" or stopped(self.stop):
                self.termination_condition_ = "stopped"
                break
            targets, weight, info = self._teach(X, y, unl, device, hidden)
            student = self.build(self.seed + k)
            trainer = self._trainer(student, f"student{k}", k, True)
            trainer.fit(X, targets, sample_weight=weight, X_val=X_val, y_val=y_val)
            self._collect(trainer, f"student{k}", **info)
            self.model_, self.transduction_, self.sample_weight_ = student, targets, weight
            self.n_iter_ = k
        return self

    def _teach(
        self,
        X: Inputs,
        y: np.ndarray,
        unl: np.ndarray,
        device: torch.device,
        hidden: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """The current model labels the unlabelled rows: targets ``(N, T)``, weights ``(N,)``."""
        targets, weight = y.copy(), np.where((y >= 0).any(axis=1), 1.0, 0.0)
        info: dict[str, Any] = {"pseudo_labelled": 0, "pseudo_acc": float("nan")}
        if len(unl):
            logits = predict_logits(self.model_, X.take(unl), device)
            labels, conf = (a.numpy() for a in pseudo_labels(self.model_.head, logits))
            keep = conf >= self.config.student_threshold
            targets[unl[keep]] = labels[keep]
            weight[unl[keep]] = conf[keep]
            info["pseudo_labelled"] = int(keep.sum())
            if hidden is not None:
                truth, pred = hidden[unl[keep]], labels[keep]
                known = truth >= 0
                if known.any():
                    info["pseudo_acc"] = float((pred[known] == truth[known]).mean())
        return targets, weight, info

    def _collect(self, trainer: SupervisedTrainer, phase: str, **info: Any) -> None:
        self.n_examples_ += trainer.n_examples_
        for row in trainer.history_:
            self.history_.append({"phase": phase, **row, **info})
        if trainer.termination_condition_ == "stopped":
            self.termination_condition_ = "stopped"
