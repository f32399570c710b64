"""Where the workers come from: a local cluster, a running scheduler, or SLURM jobs.

- ``workers=N``: a :class:`distributed.LocalCluster` of N processes with one thread each (the
  nanny sets OMP/MKL threads to 1; the run sets torch's per worker, ``torch_threads``);
- ``scheduler="tcp://host:8786"``: a cluster someone started (``dask scheduler`` and
  ``dask worker ADDRESS --nthreads 1`` on each machine);
- ``cluster="slurm"`` with a configuration file (:mod:`ncv_core.io.cluster_config`):
  dask-jobqueue submits ``jobs`` SLURM jobs of ``workers_per_job`` single-threaded workers that
  share the job's ``cores`` (``cores // workers_per_job`` torch threads each); ``gpus`` adds
  ``--gres=gpu:N``, one worker per GPU, and a ``GPU`` resource that each task holds.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from distributed import Client, LocalCluster

from ncv_core.errors import NcvError
from ncv_core.io.cluster_config import read_cluster_config


@dataclass
class Cluster:
    """An open client and how tasks should use its workers."""

    client: Client
    torch_threads: int
    resources: dict[str, float] | None
    description: str

    @property
    def dashboard(self) -> str | None:
        """The dashboard's address, when the scheduler serves one (it needs the ``bokeh``
        package where the scheduler runs)."""
        try:
            services = self.client.scheduler_info().get("services", {})
        except (OSError, TimeoutError, AttributeError):
            return None
        if "dashboard" not in services:
            return None
        link = self.client.dashboard_link
        if importlib.util.find_spec("bokeh") is None:
            link += " (its plots need the bokeh package: pip install bokeh)"
        return link


@contextmanager
def open_cluster(
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    cluster: str | None = None,
    cluster_config: str | os.PathLike | None = None,
    torch_threads: int | None = None,
) -> Iterator[Cluster]:
    """Start (or connect to) a cluster; closed (local and SLURM workers stopped) at the end.

    Exactly one of ``workers``, ``scheduler`` and ``cluster`` is given. ``torch_threads``
    overrides the torch threads of each worker (default 1, or the SLURM job's cores shared out).

    Raises
    ------
    NcvError
        Conflicting or bad options, an unreachable scheduler, a bad configuration file.
    """
    given = [x is not None for x in (workers, scheduler, cluster)]
    if sum(given) != 1:
        raise NcvError("give one of --workers, --scheduler and --cluster")
    if torch_threads is not None and torch_threads < 1:
        raise NcvError(f"--torch-threads must be positive, got {torch_threads}")
    with ExitStack() as stack:
        if workers is not None:
            yield _local(stack, workers, torch_threads or 1)
        elif scheduler is not None:
            client = stack.enter_context(_connect(scheduler))
            yield Cluster(client, torch_threads or 1, None, f"the scheduler at {scheduler}")
        else:
            yield _slurm(stack, cluster, cluster_config, torch_threads)


def _local(stack: ExitStack, workers: int, threads: int) -> Cluster:
    if workers < 1:
        raise NcvError(f"--workers must be positive, got {workers}")
    local = stack.enter_context(
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: other users' clusters may hold 8787
        )
    )
    client = stack.enter_context(Client(local))
    return Cluster(client, threads, None, f"a local cluster of {workers} worker processes")


@contextmanager
def _connect(address: str) -> Iterator[Client]:
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise NcvError(f"cannot reach the dask scheduler at {address}: {exc}") from exc
    with client:
        yield client


def slurm_settings(config: dict, source: str | os.PathLike = "the cluster configuration") -> dict:
    """dask-jobqueue ``SLURMCluster`` arguments, torch threads and resources from a checked
    configuration (:func:`ncv_core.io.cluster_config.read_cluster_config`)."""
    cores = config.get("cores", 1)
    gpus = config.get("gpus")
    per_job = config.get("workers_per_job", gpus or cores)
    if per_job > cores:
        raise NcvError(f"workers_per_job ({per_job}) is more than cores ({cores})", path=source)
    if gpus and per_job != gpus:
        raise NcvError(f"with gpus: {gpus}, run one worker per GPU (workers_per_job)", path=source)
    directives = list(config.get("job_extra_directives", []))
    extra_args = []
    if gpus:
        directives.append(f"--gres=gpu:{gpus}")
        extra_args = ["--resources", "GPU=1"]
    kwargs = {
        "cores": per_job,  # one thread per worker process ...
        "processes": per_job,
        "job_cpu": cores,  # ... and all of the job's CPUs booked
        "memory": config.get("memory", "4GB"),
        "job_extra_directives": directives,
        "worker_extra_args": extra_args,
        "job_script_prologue": list(config.get("job_script_prologue", [])),
        "job_name": "ncv-worker",
    }
    for key in ("walltime", "queue", "account", "local_directory", "log_directory", "python",
                "interface"):  # fmt: skip
        if key in config:
            kwargs[key] = config[key]
    return {
        "kwargs": kwargs,
        "jobs": config.get("jobs", 1),
        "torch_threads": max(1, cores // per_job),
        "resources": {"GPU": 1} if gpus else None,
    }


def slurm_job_script(config: dict, scheduler: str = "tcp://SCHEDULER:8786") -> str:
    """The job script SLURM would run for ``config`` (nothing is submitted)."""
    from dask_jobqueue.slurm import SLURMJob

    return SLURMJob(
        scheduler=scheduler, name="ncv-worker", **slurm_settings(config)["kwargs"]
    ).job_script()


def _slurm(stack: ExitStack, kind: str | None, path, torch_threads: int | None) -> Cluster:
    if kind != "slurm":
        raise NcvError(f"unknown --cluster {kind!r}; expected slurm")
    if path is None:
        raise NcvError("--cluster slurm needs --cluster-config FILE.yaml")
    settings = slurm_settings(read_cluster_config(path), path)
    from dask_jobqueue import SLURMCluster

    cluster = stack.enter_context(SLURMCluster(**settings["kwargs"]))
    cluster.scale(jobs=settings["jobs"])
    client = stack.enter_context(Client(cluster))
    threads = torch_threads or settings["torch_threads"]
    n = settings["jobs"] * settings["kwargs"]["processes"]
    return Cluster(client, threads, settings["resources"], f"{n} workers in SLURM jobs")
