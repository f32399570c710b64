"""The trainers, scikit-learn style (settings from a ``TrainConfig``, ``fit`` returns self,
learned state ends in ``_``): supervised, pseudo-label SSL (SSL_dnn) and Noisy Student."""

from ncv_core.training.trainers.noisy_student import NoisyStudentTrainer
from ncv_core.training.trainers.pseudo_label import PseudoLabelTrainer
from ncv_core.training.trainers.supervised import SupervisedTrainer

__all__ = ["NoisyStudentTrainer", "PseudoLabelTrainer", "SupervisedTrainer"]
