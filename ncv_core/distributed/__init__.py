"""Scoring and feature building on a dask.distributed cluster, with one process's results.

The only package of ``ncv_core`` that imports dask. ``docs/CLUSTER.md`` explains the design:
the single pass's chunks found by an index pass (:mod:`.plan`), one task per chunk calling the
core's own chunk functions on inputs each worker opens once (:mod:`.plugin`), results written
by the tasks as Parquet parts and assembled in input order by the core's writers
(:mod:`.score`, :mod:`.features`), and where the workers come from (:mod:`.cluster`).
"""

from ncv_core.distributed.cluster import Cluster, open_cluster, slurm_job_script, slurm_settings
from ncv_core.distributed.features import ClusterFeatures, features_on_cluster
from ncv_core.distributed.score import ClusterScoring, score_on_cluster

__all__ = [
    "Cluster",
    "ClusterFeatures",
    "ClusterScoring",
    "features_on_cluster",
    "open_cluster",
    "score_on_cluster",
    "slurm_job_script",
    "slurm_settings",
]
