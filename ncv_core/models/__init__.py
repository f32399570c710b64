"""Networks that only compute, the registry that builds them by name, their inputs (``encoding``),
the one batched forward (``predict``) and a loaded model (``loaded``).

See ``docs/ARCHITECTURE.md`` for the model contract: ``forward(x_seq, x_tab) -> logits`` and
the attributes ``head``, ``n_tasks``, ``uses_seq``, ``uses_tab``, ``seq_len``, ``n_tab``.
"""

from ncv_core.models import cnn, mlp, ssl_dnn  # noqa: F401  (registers the architectures)
from ncv_core.models.ensemble import Ensemble, build_network, n_members
from ncv_core.models.predict import positive_logit, positive_logits, predict_logits, probability
from ncv_core.models.registry import MODELS, build_model, n_parameters, register

__all__ = [
    "Ensemble",
    "build_network",
    "n_members",
    "MODELS",
    "build_model",
    "n_parameters",
    "positive_logit",
    "positive_logits",
    "predict_logits",
    "probability",
    "register",
]
