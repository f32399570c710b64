"""The settings of a training run (:class:`TrainConfig`, saved in the model card) and the
records a run passes around (:class:`Prepared`, :class:`Fit`) and returns (:class:`TrainResult`).

:class:`TrainConfig` is the one place a training option is defined: its field, default, check
and help text. The trainers read their settings from it and ``ncv train`` derives its command-line
options from its fields (:func:`option_fields`), so adding an option is adding a field here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ncv_core.errors import NcvError
from ncv_core.models.encoding import TRANSFORM_RULES, Scaler

OPTIMIZERS: tuple[str, ...] = ("sgd", "adam", "adamw")

METHODS: tuple[str, ...] = ("supervised", "ssl", "noisy-student")
SPLITS: tuple[str, ...] = ("paper", "cv")
PRESETS: tuple[str, ...] = ("robust", "paper", "robust-all")
PSEUDO: tuple[str, ...] = ("soft", "argmax")

PAPER_RECIPE: dict[str, Any] = {
    "optimizer": "sgd",
    "lr": 0.03,
    "epochs": 30,
    "weight_decay": 0.0,
    "members": 1,
    "patience": 0,
    "transform": "none",
    "pseudo": "argmax",
    "unlabelled_batch_size": 32,
}
"""``--preset paper``: the SSL_dnn paper's settings (the package's recipe before the robust
defaults): SGD 0.03, 30 epochs, one network, no early stopping, raw features, argmax
pseudo-labels with the alpha(t) ramp."""

ROBUST_RECIPE: dict[str, Any] = {
    "optimizer": "adamw",
    "lr": 3e-3,
    "epochs": 200,
    "weight_decay": 1e-2,
    "members": 5,
    "patience": 20,
    "transform": "auto",
    "pseudo": "soft",
    "unlabelled_batch_size": 64,
}
"""``--preset robust`` (the default) for networks that read only tabular features (``mlp``):
the ``auto`` per-column transform, AdamW with weight decay, an ensemble of 5 each early-stopped
on its own inner fold of the labelled rows (at most 200 epochs), and for ``--method ssl`` the
calibrated, prior-shifted soft targets of the teacher ensemble for a noisy student ensemble
(docs/TRAINING.md). Networks that read sequence keep the paper's recipe (unmeasured there),
except that their tabular inputs (``ssl_dnn``) get the ``auto`` transform."""


def _opt(default: Any, help: str, **cli: Any) -> Any:
    """A config field with its command-line help (and ``flag``/``nargs``/``choices``/...)."""
    factory = isinstance(default, dict)
    meta = {"help": help, **cli}
    if factory:
        return field(default_factory=dict, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run (apart from the data), JSON-ready via
    :meth:`to_dict`. Each field's help text is in its metadata (``ncv train --help``)."""

    method: str = _opt("ssl", "training method", choices=METHODS)
    preset: str = _opt(
        "robust",
        "robust: transform, AdamW + weight decay, a 5-member ensemble early-stopped on inner "
        "folds of the labelled rows, soft noisy-student SSL (tabular models; sequence networks "
        "get the paper's settings with transformed tabular inputs); robust-all: that recipe for "
        "every network (slower); paper: the SSL_dnn paper's settings. Options given explicitly "
        "override the preset",
        choices=PRESETS,
    )
    model: str | None = _opt(
        None,
        "architecture: ssl_dnn, deepbind, deepsea, basset, mlp (default: ssl_dnn when the table "
        "has a seq column, else mlp)",
    )
    model_kwargs: dict[str, Any] = _opt({}, "extra architecture arguments", cli=False)
    seed: int = _opt(0, "seeds the split, the initial weights, shuffling, dropout and noise")
    epochs: int | None = _opt(
        None,
        "epochs per model, the most with early stopping (passes over the current labelled set; "
        "default: 200 robust tabular, else 30)",
    )
    split: str = _opt(
        "paper",
        "paper: Table 2's design (balanced labelled and validation sets, the rest unlabelled); "
        "cv: k-fold, mean and standard error, the saved model refit on all rows",
        choices=SPLITS,
    )
    n_labelled: int | None = _opt(
        None, "size of the balanced labelled set (default: 40%% of the minority class per class)"
    )
    n_val: int | None = _opt(
        None, "size of the balanced validation set (default: 20%% of the minority class per class)"
    )
    folds: int = _opt(5, "folds of --split cv")
    by_chromosome: bool = _opt(
        True,
        "draw validation rows at random instead of holding out whole chromosomes",
        flag="--whole-rows",
        invert=True,
    )
    label_cols: tuple[str, ...] = _opt(
        ("label",),
        "label column(s); several make a multi-task model",
        flag="--label-col",
        nargs="+",
        metavar="COL",
    )
    feature_cols: tuple[str, ...] | None = _opt(
        None,
        "feature columns to use (default: the table's feature_columns metadata, else every "
        "numeric non-reserved column)",
        nargs="+",
        metavar="COL",
    )
    exclude_cols: tuple[str, ...] = _opt(
        (), "columns to leave out of the features", nargs="+", metavar="COL"
    )
    lr: float | None = _opt(
        None, "learning rate (default: 0.003 robust tabular; the paper: 0.03 with SGD)"
    )
    optimizer: str | None = _opt(
        None,
        "sgd (the paper), adam (faster for sequence-only CNNs; try --lr 0.001) or adamw "
        "(default for robust tabular models)",
        choices=OPTIMIZERS,
    )
    weight_decay: float | None = _opt(
        None, "weight decay (AdamW's decoupled decay; default: 0.01 robust tabular, else 0)"
    )
    members: int | None = _opt(
        None,
        "networks in the ensemble, averaged (default: 5 robust tabular, else 1); member i "
        "early-stops on inner fold i of the labelled rows",
    )
    patience: int | None = _opt(
        None,
        "early stopping: epochs without a lower inner-fold loss before a member stops, its best "
        "epoch kept; 0: no early stopping (default: 20 robust tabular, else 0)",
    )
    transform: str | None = _opt(
        None,
        "per-column transform of tabular features before standardising: auto (log1p / arcsinh "
        "for heavy-tailed columns, docs/TRAINING.md), none, log1p, arcsinh (default: auto "
        "robust, none paper)",
        choices=TRANSFORM_RULES,
    )
    pseudo: str | None = _opt(
        None,
        "ssl targets: soft (the teacher ensemble's calibrated, prior-shifted probabilities for a "
        "noisy student ensemble) or argmax (the paper: argmax pseudo-labels of the model itself "
        "with the alpha(t) ramp; --threshold 0.95 adds its promotion) (default: soft robust "
        "tabular, else argmax)",
        choices=PSEUDO,
    )
    batch_size: int = _opt(16, "labelled mini-batch size (the paper: 16)")
    unlabelled_batch_size: int | None = _opt(
        None, "ssl: unlabelled mini-batch size (default: 64 robust tabular; the paper: 32)"
    )
    val_batch_size: int = _opt(20, "validation mini-batch size (the paper: 20)")
    max_grad_norm: float | None = _opt(
        5.0,
        "clip each step's gradient to this norm (rarely reached; it keeps an occasional SGD run "
        "from diverging); 0 turns clipping off, as in the paper",
        zero_is_none=True,
    )
    threshold: float | None = _opt(
        None,
        "ssl: promote unlabelled rows whose confidence reaches this into the labelled set after "
        "every epoch (the paper: 0.95); default: no promotion (it lowered the validation AUROC "
        "on the demo data)",
    )
    t1: int = _opt(
        100, "ssl: batch at which the unlabelled loss starts to ramp up (the paper: 100)"
    )
    t2: int = _opt(
        600, "ssl: batch at which the unlabelled loss reaches full weight (the paper: 600)"
    )
    promote_from: int | None = _opt(
        0, "ssl: batch from which promotion starts (0: after every epoch, as in the paper)"
    )
    noise_std: float = _opt(0.1, "noisy-student and soft ssl: Gaussian input noise of the students")
    iterations: int = _opt(1, "noisy-student: number of students")
    student_batch_size: int = _opt(32, "noisy-student: mini-batch size of the students")
    student_threshold: float = _opt(
        0.0, "noisy-student: leave out teacher labels less confident than this"
    )

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise NcvError(f"unknown method {self.method!r}; expected one of {', '.join(METHODS)}")
        if self.preset not in PRESETS:
            raise NcvError(f"unknown preset {self.preset!r}; expected one of {', '.join(PRESETS)}")
        if self.transform is not None and self.transform not in TRANSFORM_RULES:
            raise NcvError(
                f"unknown transform {self.transform!r}; expected one of "
                f"{', '.join(TRANSFORM_RULES)}"
            )
        if self.pseudo is not None and self.pseudo not in PSEUDO:
            raise NcvError(f"unknown pseudo {self.pseudo!r}; expected one of {', '.join(PSEUDO)}")
        for name in ("members", "patience"):
            value = getattr(self, name)
            if value is not None and value < (1 if name == "members" else 0):
                raise NcvError(f"{name} must be at least {int(name == 'members')}, got {value}")
        if self.weight_decay is not None and self.weight_decay < 0:
            raise NcvError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if self.split not in SPLITS:
            raise NcvError(f"unknown split {self.split!r}; expected one of {', '.join(SPLITS)}")
        if self.epochs is not None and self.epochs < 1:
            raise NcvError(f"epochs must be at least 1, got {self.epochs}")
        if not self.label_cols:
            raise NcvError("at least one label column is needed")
        if self.optimizer is not None and self.optimizer not in OPTIMIZERS:
            raise NcvError(
                f"unknown optimizer {self.optimizer!r}; expected one of {', '.join(OPTIMIZERS)}"
            )
        if self.t2 <= self.t1:
            raise NcvError(f"the alpha ramp needs t1 < t2, got t1={self.t1}, t2={self.t2}")
        for name in ("lr", "batch_size", "unlabelled_batch_size", "val_batch_size"):
            if getattr(self, name) is not None and getattr(self, name) <= 0:
                raise NcvError(f"{name} must be positive, got {getattr(self, name)}")
        if self.max_grad_norm is not None and not self.max_grad_norm > 0:
            raise NcvError(f"max_grad_norm must be positive (or None), got {self.max_grad_norm}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    def resolved(self, inputs: tuple[str, ...]) -> TrainConfig:
        """This config with every preset-dependent field (None) filled in, for a network that
        reads ``inputs`` (``("tab",)``, ``("seq",)`` or ``("seq", "tab")``).

        ``robust`` gives :data:`ROBUST_RECIPE` to tabular-only networks; networks that read
        sequence, the one-network trainers (``--method noisy-student``, ``--pseudo argmax``) and
        ``paper`` get :data:`PAPER_RECIPE` (under ``robust`` with the ``auto`` transform for any
        tabular inputs). ``robust-all`` gives :data:`ROBUST_RECIPE` to every network (no
        transform without tabular inputs), except to the one-network trainers.
        Fields given explicitly are kept.
        """
        recipe = dict(PAPER_RECIPE)
        in_loop = self.method == "noisy-student" or (
            self.method == "ssl" and self.pseudo == "argmax"
        )
        if self.preset == "robust-all" and not in_loop:
            recipe = dict(ROBUST_RECIPE)
            if "tab" not in inputs:
                recipe["transform"] = "none"
        elif self.preset in ("robust", "robust-all"):
            if inputs == ("tab",) and not in_loop:
                recipe = dict(ROBUST_RECIPE)
            elif "tab" in inputs:
                recipe["transform"] = "auto"
        fill = {k: v for k, v in recipe.items() if getattr(self, k) is None}
        return replace(self, **fill) if fill else self

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict` (unknown keys are an error). A config saved before presets
        existed (no ``preset`` key) is the paper's recipe."""
        kw = dict(d)
        kw.setdefault("preset", "paper")
        for k in ("label_cols", "feature_cols", "exclude_cols"):
            if kw.get(k) is not None:
                kw[k] = tuple(kw[k])
        return cls(**kw)


def option_fields() -> list[Any]:
    """The :class:`TrainConfig` fields that are command-line options (``ncv train``)."""
    return [f for f in fields(TrainConfig) if f.metadata.get("cli", True)]


@dataclass
class Prepared:
    """A table turned into arrays once, shared by every fit of a run."""

    table: pd.DataFrame
    meta: dict
    labels: np.ndarray  # (N, T) int64, -1 missing
    features: list[str]
    raw_tab: np.ndarray | None  # (N, F) float64
    seq: torch.Tensor | None  # (N, 4, L) float32
    window: int | None
    chroms: np.ndarray | None
    model_name: str
    pretrain: Any = None  # training.pretrain.PretrainData when pre-training on pseudo-labels


@dataclass
class Fit:
    """One trained model and what it learned from one assignment of rows."""

    model: nn.Module
    scaler: Scaler | None
    history: list[dict[str, Any]]
    info: dict[str, Any]
    metrics: dict[str, Any]
    val_scores: np.ndarray | None = None  # (n_val,) probability of task 0, validation-row order
    inner: np.ndarray | None = None  # (N,) member that early-stopped on the row, -1 none


@dataclass
class TrainResult:
    """What :func:`ncv_core.training.train` returns.

    Attributes
    ----------
    model : torch.nn.Module
        The trained network, on the CPU in eval mode.
    card : dict
        The model card (see ``docs/ARCHITECTURE.md`` and :func:`ncv_core.training.card.build_card`).
    split : pandas.DataFrame
        ``split.tsv``: ``id`` (or ``row``) and ``part`` (plus per-fold roles for CV).
    history : list of dict
        Per-epoch records of the saved model's training.
    metrics : dict
        ``val_auroc``, ``val_aupr``, ``val_accuracy``, ... (CV: means, with ``*_se``).
    scaler : Scaler or None
        Feature scaling fitted on the training rows.
    fold_models : list of torch.nn.Module
        The CV fold models (empty for ``split="paper"``).
    oof : pandas.DataFrame or None
        CV only: every labelled row's out-of-fold prediction (``row``, ``fold``, ``label``,
        ``p``), the honest basis for curves of a CV run.
    """

    model: nn.Module
    card: dict[str, Any]
    split: pd.DataFrame
    history: list[dict[str, Any]]
    metrics: dict[str, Any]
    scaler: Scaler | None
    fold_models: list[nn.Module] = field(default_factory=list)
    oof: pd.DataFrame | None = None
