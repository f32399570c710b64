"""Training: one call (:func:`train`), the settings (:class:`TrainConfig`), splits, the trainers
(supervised, pseudo-label SSL after SSL_dnn, Noisy Student) and the model card.

The trainer classes follow scikit-learn's ``fit``/learned-attribute habits for finer control.
"""

from ncv_core.training.splits import Split, cv_split, default_sizes, paper_split
from ncv_core.training.train import train
from ncv_core.training.trainers import NoisyStudentTrainer, PseudoLabelTrainer, SupervisedTrainer
from ncv_core.training.types import METHODS, SPLITS, TrainConfig, TrainResult

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
