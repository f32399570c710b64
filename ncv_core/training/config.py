"""The settings of one training run, saved in the model card."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ncv_core.errors import NcvError

METHODS: tuple[str, ...] = ("supervised", "ssl", "noisy-student")
SPLITS: tuple[str, ...] = ("paper", "cv")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run (apart from the data), JSON-ready via
    :meth:`to_dict`.

    Attributes
    ----------
    method : {"supervised", "ssl", "noisy-student"}
    model : str, optional
        Registry name; None: ``ssl_dnn`` when the table has ``seq``, else ``mlp``.
    model_kwargs : dict
        Extra architecture arguments (``dropout``, ``hidden``, ...).
    seed : int
        Seeds the split, the initial weights, shuffling, dropout and noise.
    epochs : int
        Epochs per model (passes over the current labelled set).
    split : {"paper", "cv"}
    n_labelled, n_val : int, optional
        Sizes of the balanced labelled and validation sets (``paper_split`` defaults).
    folds : int
        Folds of ``split="cv"``.
    by_chromosome : bool
        Hold out whole chromosomes for validation where the data allow it.
    label_cols, feature_cols, exclude_cols
        Label columns (several = multi-task), feature columns (None: the table's metadata or
        every numeric non-reserved column) and columns to leave out.
    lr, optimizer, batch_size, unlabelled_batch_size, val_batch_size
        Learning rate, ``"sgd"`` or ``"adam"``, and mini-batch sizes (the paper: SGD at 0.03,
        16, 32, 20).
    max_grad_norm
        Clip every step's gradient to this L2 norm (None: no clipping, as in the paper). The
        default 5.0 is rarely reached; it stops the occasional run of SGD at 0.03 from diverging
        and never recovering (seen on the demo: CV folds falling from 0.89 to 0.56 AUROC in one
        epoch; ``docs/TRAINING.md``).
    threshold, t1, t2
        ``ssl``: promotion confidence and the alpha ramp (100, 600). The paper promotes at
        0.95; the default None does not promote: on the demo data promotion lowered the
        validation AUROC (pseudo-positives of a rare class are often wrong), see
        ``docs/TRAINING.md``.
    promote_from
        ``ssl``: batch from which promotion starts (0: after every epoch, as in the paper;
        None: from ``t1``).
    noise_std, iterations, student_batch_size, student_threshold
        Noisy Student settings.
    """

    method: str = "ssl"
    model: str | None = None
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    epochs: int = 30
    split: str = "paper"
    n_labelled: int | None = None
    n_val: int | None = None
    folds: int = 5
    by_chromosome: bool = True
    label_cols: tuple[str, ...] = ("label",)
    feature_cols: tuple[str, ...] | None = None
    exclude_cols: tuple[str, ...] = ()
    lr: float = 0.03
    optimizer: str = "sgd"
    batch_size: int = 16
    unlabelled_batch_size: int = 32
    val_batch_size: int = 20
    max_grad_norm: float | None = 5.0
    threshold: float | None = None
    t1: int = 100
    t2: int = 600
    promote_from: int | None = 0
    noise_std: float = 0.1
    iterations: int = 1
    student_batch_size: int = 32
    student_threshold: float = 0.0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise NcvError(f"unknown method {self.method!r}; expected one of {', '.join(METHODS)}")
        if self.split not in SPLITS:
            raise NcvError(f"unknown split {self.split!r}; expected one of {', '.join(SPLITS)}")
        if self.epochs < 1:
            raise NcvError(f"epochs must be at least 1, got {self.epochs}")
        if not self.label_cols:
            raise NcvError("at least one label column is needed")
        if self.optimizer not in ("sgd", "adam"):
            raise NcvError(f"unknown optimizer {self.optimizer!r}; expected sgd or adam")
        if self.t2 <= self.t1:
            raise NcvError(f"the alpha ramp needs t1 < t2, got t1={self.t1}, t2={self.t2}")
        for name in ("lr", "batch_size", "unlabelled_batch_size", "val_batch_size"):
            if getattr(self, name) <= 0:
                raise NcvError(f"{name} must be positive, got {getattr(self, name)}")
        if self.max_grad_norm is not None and not self.max_grad_norm > 0:
            raise NcvError(f"max_grad_norm must be positive (or None), got {self.max_grad_norm}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict` (unknown keys are an error)."""
        kw = dict(d)
        for k in ("label_cols", "feature_cols", "exclude_cols"):
            if kw.get(k) is not None:
                kw[k] = tuple(kw[k])
        return cls(**kw)
