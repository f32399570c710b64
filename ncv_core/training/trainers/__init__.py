"""The trainers, scikit-learn style (settings from a ``TrainConfig``, ``fit`` returns self,
learned state ends in ``_``): supervised, pseudo-label SSL (SSL_dnn), Noisy Student, the
early-stopped ensemble and the soft noisy student of the robust preset."""

from ncv_core.training.trainers.ensemble import EnsembleTrainer
from ncv_core.training.trainers.noisy_student import NoisyStudentTrainer
from ncv_core.training.trainers.pseudo_label import PseudoLabelTrainer
from ncv_core.training.trainers.soft_student import SoftStudentTrainer
from ncv_core.training.trainers.supervised import SupervisedTrainer

__all__ = [
    "EnsembleTrainer",
    "NoisyStudentTrainer",
    "PseudoLabelTrainer",
    "SoftStudentTrainer",
    "SupervisedTrainer",
]
