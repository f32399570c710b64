"""The robust SSL (``--method ssl``, ``pseudo="soft"``): a teacher ensemble, calibrated and
prior-shifted soft targets for the pool, and a noisy student ensemble.

1. Teacher: an :class:`~ncv_core.training.trainers.ensemble.EnsembleTrainer` on the labelled rows
   (each member early-stopped on its own inner fold).
2. Targets: per task, the teacher's out-of-fold logits Platt-calibrate it, the pool's prior is
   estimated by PACC, and the members' mean calibrated probability on every pool row is moved to
   that prior (:func:`ncv_core.training.pool_targets.pool_targets`).
3. Student: a fresh ensemble (other seeds) trained on the labelled rows plus, at every step, a
   pool batch with those soft targets and Gaussian input noise ``noise_std``.

A task whose teacher cannot estimate the pool's prior (it separates the classes out of fold by
less than :data:`~ncv_core.training.pool_targets.MIN_SEPARATION`, or the PACC estimate
exceeds 1) gets no pool targets; when no task has any, no student is trained and the teacher is the
model (``student_`` None): SSL then equals supervised rather than learning from wrong targets.

Validation rows are never in the pool and never steer training (they are only scored).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ncv_core.device import resolve_device
from ncv_core.models.encoding import Inputs
from ncv_core.models.predict import positive_logits, predict_logits
from ncv_core.training.pool_targets import pool_targets
from ncv_core.training.trainers.base import as_targets
from ncv_core.training.trainers.ensemble import EnsembleTrainer, MembersTrainer

STUDENT_SEED = 50_000
"""Offset of the student's seed from the teacher's (fresh initial weights, other streams)."""


class SoftStudentTrainer(MembersTrainer):
    """Teacher ensemble -> soft pool targets -> noisy student ensemble (module docstring).

    Parameters
    ----------
    build : callable
        ``build(seed) -> nn.Module``: a freshly initialised contract network.
    config : TrainConfig, optional
        The ensemble settings (``members``, ``patience``, ...), ``noise_std``,
        ``unlabelled_batch_size``.
    seed, device, progress, stop, stage
        As in :class:`~ncv_core.training.trainers.base.BaseTrainer`; progress stages ``teacher``
        and ``student`` (``"{stage} · teacher"`` when ``stage`` is not ``"train"``: a CV fold).

    Attributes
    ----------
    teacher_, student_ : EnsembleTrainer
        ``student_`` is None when stopped before it or when no task had usable targets.
    model_ : torch.nn.Module
        The student's ensemble (the teacher's when stopped before the student).
    targets_ : numpy.ndarray
        ``(N, T)`` float32 soft targets of the pool rows (NaN on labelled rows).
    target_info_ : list of dict
        Per task: ``platt_a``, ``platt_b``, ``pool_prior``, ``train_prior``.
    history_ : list of dict
        The teacher's then the student's epochs, with ``phase``.
    """

    def _ensemble(self, seed: int, phase: str) -> EnsembleTrainer:
        stage = phase if self.stage == "train" else f"{self.stage} · {phase}"
        return EnsembleTrainer(
            self.build,
            self.config,
            seed=seed,
            device=self.device,
            progress=self.progress,
            stop=self.stop,
            stage=stage,
        )

    def fit(
        self,
        X: Inputs,
        y: np.ndarray,
        *,
        X_val: Inputs | None = None,
        y_val: np.ndarray | None = None,
        y_hidden: np.ndarray | None = None,
    ) -> SoftStudentTrainer:
        """Train teacher and student on ``X`` (labelled + pool rows; ``y`` ``(N, T)``, -1 pool).

        ``y_hidden``: true labels of the pool rows (-1 unknown), only to report the targets'
        accuracy and the pool prior's error.
        """
        y = as_targets(y)
        val = {"X_val": X_val, "y_val": y_val}
        self.teacher_ = self._ensemble(self.seed, "teacher").fit(X, y, **val)
        self.model_, self.student_ = self.teacher_.model_, None
        self.history_ = [{"phase": "teacher", **r} for r in self.teacher_.history_]
        self.termination_condition_ = self.teacher_.termination_condition_
        self.targets_, self.target_info_ = self._targets(
            X, y, as_targets(y_hidden) if y_hidden is not None else None
        )
        pool = ~(y >= 0).any(axis=1)
        if self.termination_condition_ == "stopped" or not np.isfinite(self.targets_[pool]).any():
            return self  # stopped, or no task with usable targets: the teacher is the model
        self.student_ = self._ensemble(self.seed + STUDENT_SEED, "student")
        self.student_.fit(X, y, pool_targets=self.targets_, **val)
        self.model_ = self.student_.model_
        self.history_ += [{"phase": "student", **r} for r in self.student_.history_]
        self.termination_condition_ = self.student_.termination_condition_
        return self

    def _targets(
        self, X: Inputs, y: np.ndarray, hidden: np.ndarray | None
    ) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """``(N, T)`` soft targets of the pool rows (NaN elsewhere) and per-task information."""
        pool = np.flatnonzero(~(y >= 0).any(axis=1))
        targets = np.full(y.shape, np.nan, dtype=np.float32)
        infos: list[dict[str, Any]] = []
        if not len(pool):
            return targets, infos
        device = resolve_device(self.device)
        members = self.teacher_.members_
        z_pool = np.stack(
            [
                positive_logits(m.head, predict_logits(m, X.take(pool), device)).double().numpy()
                for m in members
            ]
        )  # (k, U, T)
        rows, z_oof = self.teacher_.oof_rows_, self.teacher_.oof_logits_
        for j in range(y.shape[1]):
            lab = y[:, j] >= 0
            known = lab[rows] if len(rows) else np.zeros(0, bool)
            if known.any():
                q, info = pool_targets(
                    z_pool[:, :, j], z_oof[known, j], y[rows[known], j], float(y[lab, j].mean())
                )
            else:  # no out-of-fold scores: the members' mean probability as it is
                p = torch.sigmoid(torch.from_numpy(z_pool[:, :, j])).mean(0).numpy()
                q, info = p.astype(np.float32), {"pool_prior": float(p.mean())}
            if info.get("reliable", True):
                targets[pool, j] = q  # else NaN: this task takes no pool loss
            info["pool_pos_frac"] = float(q.mean())
            if hidden is not None:
                truth = hidden[pool, j]
                ok = truth >= 0
                info["target_acc"] = (
                    float(((q[ok] > 0.5) == truth[ok]).mean()) if ok.any() else None
                )
                info["true_pool_prior"] = float(truth[ok].mean()) if ok.any() else None
            infos.append(info)
        return targets, infos
