"""What a training run would do, before it runs: whether the table can be trained on, the size
of the labelled set, the batches per epoch and how far the SSL loss weight alpha(t) ramps.

The same checks and the same split as :func:`ncv_core.training.train` (it calls
:func:`~ncv_core.training.train.prepare` and the split functions), without fitting anything:
cheap enough for a page to call before offering a Train button.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ncv_core.errors import NcvError
from ncv_core.models import MODELS
from ncv_core.training.splits import LABELLED, UNLABELLED, VALIDATION, cv_split, paper_split
from ncv_core.training.steps import alpha_schedule
from ncv_core.training.train import prepare
from ncv_core.training.types import TrainConfig

__all__ = ["TrainingPlan", "plan_training"]

RAMP_METHODS = ("ssl",)
"""Methods whose loss weights the unlabelled term by alpha(t)."""


@dataclass(frozen=True)
class TrainingPlan:
    """The shape of a training run (:func:`plan_training`).

    Attributes
    ----------
    problem : str or None
        Why the table cannot be trained on with these settings (the error ``train`` would
        raise), or None.
    n_labelled, n_unlabelled, n_validation : int
        Rows of each part in the fit of the saved model (for ``split="cv"``, the final fit on
        every row, which has no validation rows).
    batches_per_epoch : int
        Labelled mini-batches per epoch at the start (promotion grows the labelled set).
    final_alpha : float or None
        alpha(t) at the last batch of the last epoch (ssl only; at least this with promotion).
    epochs_for_full_alpha : int or None
        The fewest epochs whose last batch has alpha(t) = 1 (ssl only).
    """

    problem: str | None
    n_labelled: int = 0
    n_unlabelled: int = 0
    n_validation: int = 0
    batches_per_epoch: int = 0
    final_alpha: float | None = None
    epochs_for_full_alpha: int | None = None


def n_batches(n_rows: int, batch_size: int) -> int:
    """Mini-batches of one pass over ``n_rows`` rows (a last batch of one row joins the one
    before it, as :func:`ncv_core.training.steps.shuffled_batches` does)."""
    n = math.ceil(n_rows / batch_size)
    return n - 1 if n > 1 and n_rows % batch_size == 1 else n


def plan_training(
    table: pd.DataFrame,
    *,
    meta: dict | None = None,
    config: TrainConfig | None = None,
    **options: Any,
) -> TrainingPlan:
    """Check a training run's settings against a table and describe the run, without training.

    Parameters
    ----------
    table : pandas.DataFrame
        A feature table, as for :func:`ncv_core.training.train`.
    meta : dict, optional
        Its metadata.
    config : TrainConfig, optional
        Settings; ``options`` override single fields, as in ``train``.

    Returns
    -------
    TrainingPlan
        ``problem`` set (and the counts 0) when ``train`` would refuse the table.
    """
    try:
        cfg = replace(config or TrainConfig(), **options)
        prep = prepare(table, meta or {}, cfg)
        cfg = cfg.resolved(MODELS[prep.model_name].INPUTS)  # the preset's values, as train
        part = _part(prep.labels[:, 0], prep.chroms, cfg)
    except NcvError as exc:
        return TrainingPlan(problem=str(exc))
    except TypeError as exc:
        return TrainingPlan(problem=f"unknown training option: {exc}")
    n_lab = int((part == LABELLED).sum())
    per_epoch = n_batches(n_lab, cfg.batch_size)
    final = full = None
    if cfg.method in RAMP_METHODS and cfg.pseudo == "argmax" and per_epoch:  # soft: no ramp
        final = alpha_schedule(cfg.epochs * per_epoch - 1, cfg.t1, cfg.t2)
        full = cfg.t2 // per_epoch + 1
    return TrainingPlan(
        None,
        n_lab,
        int((part == UNLABELLED).sum()),
        int((part == VALIDATION).sum()),
        per_epoch,
        final,
        full,
    )


def _part(y0: np.ndarray, chroms: np.ndarray | None, cfg: TrainConfig) -> np.ndarray:
    """The part of every row in the saved model's fit, by the split ``train`` would draw."""
    if cfg.split == "paper":
        return paper_split(
            y0,
            chroms,
            n_labelled=cfg.n_labelled,
            n_val=cfg.n_val,
            seed=cfg.seed,
            by_chromosome=cfg.by_chromosome,
        ).part
    cv_split(y0, chroms, folds=cfg.folds, seed=cfg.seed, by_chromosome=cfg.by_chromosome)
    labelled = y0 >= 0
    if not labelled.any():
        raise NcvError("cross-validation needs labelled rows; the table has none")
    return paper_split(y0, None, n_labelled=cfg.n_labelled, n_val=0, seed=cfg.seed).part
