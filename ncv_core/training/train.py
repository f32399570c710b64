"""``train``: a feature table in, a trained model with its card and split out.

One call does what ``ncv train`` does: choose features and labels, split the rows (``paper`` or
``cv``), fit the scaling on training rows only, train (``supervised``, ``ssl`` or
``noisy-student``), score the validation rows and assemble the model card. Saving is
:func:`ncv_core.io.model_folder.save_model`.
"""

from __future__ import annotations

import time
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ncv_core.device import resolve_device
from ncv_core.errors import NcvError
from ncv_core.metrics import baseline_metrics, cv_summary
from ncv_core.models import MODELS, build_model
from ncv_core.models.encoding import (
    SEQ_COLUMN,
    Inputs,
    Scaler,
    feature_matrix,
    label_matrix,
    select_features,
    sequence_array,
)
from ncv_core.models.predict import predict_positive_logit, probability
from ncv_core.progress import ProgressFn, StopFlag, stopped
from ncv_core.training.card import build_card, out_of_fold, split_frame
from ncv_core.training.pretrain import Pretraining, bind, pretrain_card, pretrain_stage
from ncv_core.training.splits import UNLABELLED, VALIDATION, cv_split, paper_split
from ncv_core.training.steps import seeded_torch, validation_metrics
from ncv_core.training.trainers import (
    EnsembleTrainer,
    NoisyStudentTrainer,
    PseudoLabelTrainer,
    SoftStudentTrainer,
    SupervisedTrainer,
)
from ncv_core.training.types import Fit, Prepared, TrainConfig, TrainResult

METRIC_KEYS = ("val_auroc", "val_aupr", "val_accuracy", "val_loss")


def train(
    table: pd.DataFrame,
    *,
    meta: dict | None = None,
    config: TrainConfig | None = None,
    source: str | None = None,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
    device: str | torch.device | None = None,
    pretrain: Pretraining | None = None,
    **options: Any,
) -> TrainResult:
    """Train a model on a feature table.

    Parameters
    ----------
    table : pandas.DataFrame
        A feature table (``label``, feature columns, optionally ``seq``; see
        ``docs/ARCHITECTURE.md``).
    meta : dict, optional
        The table's metadata (``feature_columns``, ``baseline_columns``, ``window``, ``genome``,
        ...), as returned by ``tables.read_table``.
    config : TrainConfig, optional
        Settings; ``options`` override single fields (``method="supervised", seed=3``).
    source : str, optional
        Where the table came from (recorded in the card).
    progress, stop, device
        Progress callback, stop flag (checked between epochs) and torch device.
    pretrain : Pretraining, optional
        Pre-train every model on cross-species pseudo-labels first, then fine-tune with the
        method (:mod:`ncv_core.training.pretrain`).

    Returns
    -------
    TrainResult

    Raises
    ------
    NcvError
        On unusable input: missing columns, bad labels, too few rows for the split.
    """
    try:
        cfg = replace(config or TrainConfig(), **options)
    except TypeError as exc:
        raise NcvError(f"unknown training option: {exc}") from exc
    t0 = time.perf_counter()
    prep = prepare(table, meta or {}, cfg)
    cfg = cfg.resolved(MODELS[prep.model_name].INPUTS)  # the preset's values, for this network
    prep.pretrain = bind(pretrain, prep) if pretrain is not None else None
    dev = resolve_device(device)
    run = _paper if cfg.split == "paper" else _cross_validate
    fit, folds, parts, split_info, metrics = run(prep, cfg, progress, stop, dev)
    card = build_card(
        prep,
        cfg,
        fit,
        split_info,
        metrics,
        source=source,
        seconds=time.perf_counter() - t0,
        folds=folds,
    )
    if prep.pretrain is not None:
        card = pretrain_card(card, prep.pretrain, folds)
    split = split_frame(table, parts)
    return TrainResult(
        fit.model,
        card,
        split,
        fit.history,
        metrics,
        fit.scaler,
        [f.model for f in folds],
        out_of_fold(split, prep.labels[:, 0]),
    )


def prepare(table: pd.DataFrame, meta: dict, cfg: TrainConfig) -> Prepared:
    """Check the table against the settings and turn it into arrays."""
    if len(table) == 0:
        raise NcvError("the feature table has no rows")
    has_seq = SEQ_COLUMN in table.columns
    name = cfg.model or ("ssl_dnn" if has_seq else "mlp")
    if name not in MODELS:
        raise NcvError(f"unknown model {name!r}; expected one of {', '.join(sorted(MODELS))}")
    inputs = MODELS[name].INPUTS
    if "seq" in inputs and "tab" not in inputs and not has_seq:
        raise NcvError(f"model {name!r} reads sequence, but the table has no 'seq' column")
    if inputs == ("seq", "tab") and not has_seq:
        raise NcvError(
            f"model {name!r} reads sequence, but the table has no 'seq' column; "
            "use --model mlp for tabular-only tables"
        )
    labels = label_matrix(table, cfg.label_cols)
    features: list[str] = []
    raw = None
    if "tab" in inputs:
        features = select_features(
            table,
            meta,
            label_cols=cfg.label_cols,
            feature_cols=cfg.feature_cols,
            exclude_cols=cfg.exclude_cols,
        )
        if not features and "seq" not in inputs:
            raise NcvError(f"model {name!r} needs numeric feature columns; the table has none")
        raw = feature_matrix(table, features) if features else None
    seq, window = None, None
    if "seq" in inputs:
        window = meta.get("window")
        arr = sequence_array(table, int(window) if window else None)
        seq, window = torch.from_numpy(arr), arr.shape[2]
    chroms = table["chrom"].astype(str).to_numpy() if "chrom" in table.columns else None
    return Prepared(table, meta, labels, features, raw, seq, window, chroms, name)


def _build(
    prep: Prepared, cfg: TrainConfig, seed: int, device: torch.device, init: dict | None = None
) -> nn.Module:
    kwargs: dict[str, Any] = {"n_tasks": prep.labels.shape[1]}
    if "seq" in MODELS[prep.model_name].INPUTS:
        kwargs["seq_len"] = prep.window
    if "tab" in MODELS[prep.model_name].INPUTS:
        kwargs["n_tab"] = len(prep.features)
    kwargs.update(cfg.model_kwargs)
    with seeded_torch(seed, device):
        model = build_model(prep.model_name, **kwargs)
    if init is not None:  # pre-trained weights (training.pretrain)
        model.load_state_dict(init)
    return model


def _fit(
    prep: Prepared,
    part: np.ndarray,
    cfg: TrainConfig,
    seed: int,
    stage: str,
    progress: ProgressFn | None,
    stop: StopFlag | None,
    device: torch.device,
) -> Fit:
    """Train one model on the rows of ``part`` (labelled / unlabelled / validation)."""
    train_rows, val_rows = np.flatnonzero(part != VALIDATION), np.flatnonzero(part == VALIDATION)
    scaler = None
    tab = None
    if prep.raw_tab is not None:
        scaler = Scaler.fit(prep.raw_tab[train_rows], prep.features, rule=cfg.transform)
        tab = torch.from_numpy(scaler.transform(prep.raw_tab))
    X = Inputs(prep.seq, tab)
    X_tr, X_val = X.take(train_rows), X.take(val_rows)
    y_tr = prep.labels[train_rows].copy()
    hidden = np.full_like(y_tr, -1)
    unl = part[train_rows] == UNLABELLED
    hidden[unl], y_tr[unl] = y_tr[unl], -1
    y_val = prep.labels[val_rows]
    common = {"seed": seed, "device": device, "progress": progress, "stop": stop}
    val = {"X_val": X_val if len(val_rows) else None, "y_val": y_val if len(val_rows) else None}
    init = pre = None
    if prep.pretrain is not None:
        build = partial(_build, prep, cfg, device=device)
        init, pre = pretrain_stage(prep, part, cfg, seed, stage, build, val, common)
    model, info = _run_method(prep, cfg, seed, stage, common, X_tr, y_tr, hidden, val, device, init)
    inner = np.full(len(part), -1, dtype=np.int64)  # table row -> member that early-stopped on it
    for i, rows in enumerate(info.pop("inner", None) or []):
        if rows is not None:
            inner[train_rows[rows]] = i
    if pre is not None:
        info["pretrain"] = pre
    model.eval()
    metrics = {
        "n_val": len(val_rows),
        "val_pos": int((y_val[:, 0] == 1).sum()),
        "val_neg": int((y_val[:, 0] == 0).sum()),
    }
    val_scores = None
    if len(val_rows):
        metrics.update(validation_metrics(model, X_val, y_val, device, cfg.val_batch_size))
        cols = [c for c in prep.meta.get("baseline_columns") or () if c in prep.table.columns]
        base = prep.table.iloc[val_rows]
        metrics["baselines"] = baseline_metrics(base, cols, y_val[:, 0]) if cols else {}
        logit = predict_positive_logit(model, X_val, device, cfg.val_batch_size)
        val_scores = probability(logit[:, 0])
    model.cpu()
    return Fit(model, scaler, info.pop("history"), info, metrics, val_scores, inner)


def _run_method(
    prep: Prepared,
    cfg: TrainConfig,
    seed: int,
    stage: str,
    common: dict[str, Any],
    X: Inputs,
    y: np.ndarray,
    hidden: np.ndarray,
    val: dict[str, Any],
    device: torch.device,
    init: dict | None = None,
) -> tuple[nn.Module, dict[str, Any]]:
    """Dispatch on ``cfg.method``; return the model and the trainer's learned state."""
    if cfg.method == "noisy-student":
        ns = NoisyStudentTrainer(lambda s: _build(prep, cfg, s, device, init), cfg, **common)
        ns.fit(X, y, y_hidden=hidden, **val)
        info = {
            "termination": ns.termination_condition_,
            "iterations_run": ns.n_iter_,
            "n_examples": ns.n_examples_,
            "pseudo_labelled": int((ns.sample_weight_[~(y >= 0).any(axis=1)] > 0).sum()),
        }
        return ns.model_, {"history": ns.history_, **info}
    build = partial(_build, prep, cfg, device=device, init=init)
    if cfg.method == "ssl" and cfg.pseudo == "soft":
        ss = SoftStudentTrainer(build, cfg, stage=stage, **common)
        ss.fit(X, y, y_hidden=hidden, **val)
        last = ss.student_ or ss.teacher_
        info = {**_ensemble_info(last), "termination": ss.termination_condition_}
        info["teacher_epochs"] = ss.teacher_.member_epochs_
        info["pool_targets"] = ss.target_info_
        info["student"] = ss.student_ is not None
        return ss.model_, {"history": ss.history_, "inner": last.inner_, **info}
    if cfg.method == "supervised" and (cfg.members > 1 or cfg.patience > 0):
        ens = EnsembleTrainer(build, cfg, stage=stage, **common).fit(X, y, **val)
        return ens.model_, {"history": ens.history_, "inner": ens.inner_, **_ensemble_info(ens)}
    model = build(seed)
    if cfg.method == "ssl":
        tr = PseudoLabelTrainer(model, cfg, stage=stage, **common).fit(X, y, y_hidden=hidden, **val)
        extra = {"promoted_total": int((tr.labeled_iter_ > 0).sum())}
    else:
        tr = SupervisedTrainer(model, cfg, stage=stage, **common).fit(X, y, **val)
        extra = {}
    info = {
        "termination": tr.termination_condition_,
        "epochs_run": tr.n_iter_,
        "n_batches": tr.n_batches_,
        "n_examples": tr.n_examples_,
        **extra,
    }
    return model, {"history": tr.history_, **info}


def _ensemble_info(ens: EnsembleTrainer) -> dict[str, Any]:
    """What the card records of an ensemble's training."""
    return {
        "termination": ens.termination_condition_,
        "epochs_run": ens.n_iter_,
        "member_epochs": ens.member_epochs_,
        "n_batches": ens.n_batches_,
        "n_examples": ens.n_examples_,
        "members": len(ens.members_),
    }


def _paper(
    prep: Prepared,
    cfg: TrainConfig,
    progress: ProgressFn | None,
    stop: StopFlag | None,
    device: torch.device,
) -> tuple[Fit, list[Fit], dict[str, np.ndarray], dict[str, Any], dict[str, Any]]:
    """The paper's design: one model, validated on the balanced validation set."""
    y0 = prep.labels[:, 0]
    split = paper_split(
        y0,
        prep.chroms,
        n_labelled=cfg.n_labelled,
        n_val=cfg.n_val,
        seed=cfg.seed,
        by_chromosome=cfg.by_chromosome,
    )
    fit = _fit(prep, split.part, cfg, cfg.seed, "train", progress, stop, device)
    info = {
        "kind": "paper",
        "counts": split.counts(y0),
        "by_chromosome": split.by_chromosome,
        "validation_chromosomes": split.validation_chromosomes,
    }
    parts = {"part": split.part}
    if (fit.inner >= 0).any():  # the inner early-stopping folds (labelled rows only)
        parts["inner_fold"] = np.where(fit.inner >= 0, (fit.inner + 1).astype(str), "")
    return fit, [], parts, info, fit.metrics


def _cross_validate(
    prep: Prepared,
    cfg: TrainConfig,
    progress: ProgressFn | None,
    stop: StopFlag | None,
    device: torch.device,
) -> tuple[Fit, list[Fit], dict[str, np.ndarray], dict[str, Any], dict[str, Any]]:
    """K folds for the metrics, then a final model on every row (no validation set).

    In each fold, the other folds' rows are split by the paper's design without a validation
    set (balanced labelled subset, the rest unlabelled) and the fold's labelled rows validate.
    """
    y0 = prep.labels[:, 0]
    fold = cv_split(
        y0, prep.chroms, folds=cfg.folds, seed=cfg.seed, by_chromosome=cfg.by_chromosome
    )
    parts: dict[str, np.ndarray] = {"part": np.where(fold >= 0, (fold + 1).astype(str), UNLABELLED)}
    fits = []
    for k in range(cfg.folds):
        if stopped(stop):
            raise NcvError("training was stopped during cross-validation")
        role = _inner_roles(y0, fold != k, cfg)
        role[fold == k] = VALIDATION
        parts[f"fold{k + 1}"] = role
        fits.append(
            _fit(prep, role, cfg, cfg.seed + k, f"fold {k + 1}/{cfg.folds}", progress, stop, device)
        )
    oof = np.full(len(y0), np.nan)
    for k, f in enumerate(fits):
        if f.val_scores is not None:
            oof[fold == k] = f.val_scores
    parts["oof"] = np.where(np.isnan(oof), "", oof.astype(str))
    final_role = _inner_roles(y0, np.ones(len(y0), bool), cfg)
    parts["final"] = final_role
    final = _fit(prep, final_role, cfg, cfg.seed, "final", progress, stop, device)
    fold_metrics = [{k: f.metrics.get(k, np.nan) for k in METRIC_KEYS} for f in fits]
    summary = cv_summary(fold_metrics, METRIC_KEYS)
    metrics = {k: summary[f"{k}_mean"] for k in METRIC_KEYS}
    metrics.update({f"{k}_se": summary[f"{k}_se"] for k in METRIC_KEYS})
    metrics["folds"] = fold_metrics
    info = {
        "kind": "cv",
        "folds": cfg.folds,
        "fold_counts": [{"validation": int((fold == k).sum())} for k in range(cfg.folds)],
    }
    return final, fits, parts, info, metrics


def _inner_roles(y0: np.ndarray, rows: np.ndarray, cfg: TrainConfig) -> np.ndarray:
    """Paper design (no validation set) over the rows selected by mask ``rows``."""
    role = np.full(len(y0), UNLABELLED, dtype=object)
    sub = paper_split(y0[rows], None, n_labelled=cfg.n_labelled, n_val=0, seed=cfg.seed)
    role[np.flatnonzero(rows)] = sub.part
    return role.astype(str)
