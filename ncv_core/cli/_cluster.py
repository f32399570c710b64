"""The cluster options shared by ``ncv score``, ``ncv features``, ``ncv ism`` and
``ncv attribute`` (the logic is in
:mod:`ncv_core.distributed`, imported only when one of them is given)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager


def add_cluster_arguments(p: argparse.ArgumentParser) -> None:
    """``--workers N | --scheduler ADDRESS | --cluster slurm --cluster-config FILE.yaml``, plus
    ``--torch-threads`` and ``--work-dir``."""
    g = p.add_argument_group("cluster (dask; without these options the work runs in this process)")
    one = g.add_mutually_exclusive_group()
    one.add_argument(
        "--workers", type=int, default=None, metavar="N",
        help="start a local cluster of N worker processes (one thread each)",
    )  # fmt: skip
    one.add_argument(
        "--scheduler", default=None, metavar="ADDRESS",
        help="use a running dask cluster, e.g. tcp://head-node:8786",
    )  # fmt: skip
    one.add_argument(
        "--cluster", choices=["slurm"], default=None,
        help="start workers as SLURM jobs through dask-jobqueue (needs --cluster-config)",
    )  # fmt: skip
    g.add_argument(
        "--cluster-config", default=None, metavar="FILE.yaml",
        help="jobs, cores, memory, walltime, queue, account, gpus, ... (docs/CLUSTER.md)",
    )  # fmt: skip
    g.add_argument(
        "--torch-threads", type=int, default=None, metavar="N",
        help="torch threads per worker (default 1; SLURM: the job's cores shared out)",
    )  # fmt: skip
    g.add_argument(
        "--work-dir", default=None, metavar="DIR",
        help="where the work folder goes (default: beside the output); every worker must see it",
    )  # fmt: skip


def uses_cluster(args: argparse.Namespace) -> bool:
    """Whether a cluster option was given (else the single-process path runs, unchanged).

    Raises
    ------
    NcvError
        ``--cluster-config``, ``--torch-threads`` or ``--work-dir`` without a cluster option.
    """
    given = any(getattr(args, k) is not None for k in ("workers", "scheduler", "cluster"))
    if not given:
        extra = [k for k in ("cluster_config", "torch_threads", "work_dir") if getattr(args, k)]
        if extra:
            from ncv_core.errors import NcvError

            flag = "--" + extra[0].replace("_", "-")
            raise NcvError(f"{flag} needs --workers N, --scheduler ADDRESS or --cluster slurm")
    return given


@contextmanager
def cluster_from_args(args: argparse.Namespace) -> Iterator:
    """The open :class:`ncv_core.distributed.Cluster`; its dashboard link is printed."""
    from ncv_core.distributed import open_cluster

    with open_cluster(
        workers=args.workers,
        scheduler=args.scheduler,
        cluster=args.cluster,
        cluster_config=args.cluster_config,
        torch_threads=args.torch_threads,
    ) as cluster:
        link = cluster.dashboard or "not served by this scheduler"
        print(f"dask: {cluster.description}; dashboard: {link}", file=sys.stderr)
        yield cluster


@contextmanager
def cluster_scoring(args: argparse.Namespace) -> Iterator:
    """None without a cluster option (the single-process path, unchanged), else the
    :class:`ncv_core.distributed.ClusterScoring` engine of an open cluster, its work folder
    beside ``args.out`` (or in ``--work-dir``) until the end."""
    if not uses_cluster(args):
        yield None
        return
    from ncv_core.distributed import ClusterScoring
    from ncv_core.io.parts import work_folder

    with cluster_from_args(args) as cluster, work_folder(args.out, args.work_dir) as folder:
        yield ClusterScoring(
            cluster.client, folder, device=args.device, torch_threads=cluster.torch_threads,
            resources=cluster.resources,
        )  # fmt: skip


def interpret_with_cluster(args: argparse.Namespace, verb: str, inputs, progress, **options):
    """``ncv ism`` / ``ncv attribute`` on a cluster: the result of
    :func:`ncv_core.distributed.interpret.interpret_on_cluster` for the command's windows."""
    from ncv_core.distributed.interpret import interpret_on_cluster
    from ncv_core.io.parts import work_folder

    with cluster_from_args(args) as cluster, work_folder(args.out, args.work_dir) as folder:
        return interpret_on_cluster(
            cluster.client, verb, args.model, inputs.x_seq, inputs.x_tab, folder=folder,
            device=args.device, torch_threads=cluster.torch_threads,
            resources=cluster.resources, progress=progress, **options,
        )  # fmt: skip
