"""Splits and trainers: supervised, pseudo-label SSL (SSL_dnn) and Noisy Student.

The one-call entry point is :func:`train`; the trainer classes follow scikit-learn's
``fit``/learned-attribute habits for finer control.
"""

from ncv_core.training.api import TrainResult, train
from ncv_core.training.config import METHODS, SPLITS, TrainConfig
from ncv_core.training.noisy_student import NoisyStudentTrainer
from ncv_core.training.pseudo_label import PseudoLabelTrainer
from ncv_core.training.splits import Split, cv_split, default_sizes, paper_split
from ncv_core.training.supervised import SupervisedTrainer

__all__ = [
    "METHODS",
    "SPLITS",
    "NoisyStudentTrainer",
    "PseudoLabelTrainer",
    "Split",
    "SupervisedTrainer",
    "TrainConfig",
    "TrainResult",
    "cv_split",
    "default_sizes",
    "paper_split",
    "train",
]
