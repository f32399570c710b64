"""Avocado imputation (Schreiber et al.): fill the epigenomic tracks a cell type lacks.

Pure computation on in-memory arrays: ``transform`` (25-bp bins, arcsinh), ``data`` (the track
tensor, its genome axis, dense sampling), ``model`` (the network and its sizes), ``train``
(``fit_avocado``), ``predict`` (``impute``), ``evaluate`` (MSE against the average-activity
baseline), ``synthetic`` (a low-rank test tensor). Files are read and written elsewhere.

Around that core, through ``ncv_core.io`` (docs/IMPUTATION.md): ``regions`` (the 25-bp grid),
``sources`` (manifests + regions -> a tensor), ``peaks`` (the imputed tracks' peak rule),
``scoring`` (per-track scores), ``workflow`` (``fit_tracks``, ``evaluate_tracks``), ``export``
(imputed bigWigs and manifest), ``folder`` (the model folder), ``view`` (one track for the app).
"""

from ncv_core.impute.data import TrackTensor, dense_batches, make_track_tensor, place_regions
from ncv_core.impute.evaluate import ImputationScores, evaluate_imputation
from ncv_core.impute.model import SIZES, Avocado, AvocadoSize, avocado_from_config, build_avocado
from ncv_core.impute.predict import impute
from ncv_core.impute.result import AvocadoFit
from ncv_core.impute.synthetic import low_rank_tensor
from ncv_core.impute.train import fit_avocado
from ncv_core.impute.transform import bin_means, encode_signal, from_model_scale, to_model_scale

__all__ = [
    "SIZES",
    "Avocado",
    "AvocadoFit",
    "AvocadoSize",
    "ImputationScores",
    "TrackTensor",
    "avocado_from_config",
    "bin_means",
    "build_avocado",
    "dense_batches",
    "encode_signal",
    "evaluate_imputation",
    "fit_avocado",
    "from_model_scale",
    "impute",
    "low_rank_tensor",
    "make_track_tensor",
    "place_regions",
    "to_model_scale",
]
