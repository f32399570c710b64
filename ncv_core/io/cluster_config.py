"""The cluster configuration file of ``ncv ... --cluster slurm --cluster-config FILE.yaml``.

A flat YAML mapping (read with ``yaml.safe_load``: no tags, no objects)::

    jobs: 4                 # SLURM jobs to start
    cores: 8                # CPUs per job (--cpus-per-task)
    workers_per_job: 8      # dask worker processes per job (default: cores, or gpus)
    memory: 32GB            # per job
    walltime: "04:00:00"
    queue: normal           # partition
    account: mylab
    gpus: 1                 # per job: --gres=gpu:N, one worker per GPU
    job_extra_directives: ["--constraint=avx2"]
    job_script_prologue: ["module load python/3.11", "source ~/ncv/bin/activate"]
    local_directory: /tmp   # the workers' scratch on the node
    log_directory: logs
    python: python3
    interface: ib0

Unknown keys and wrong types are errors naming the file and the key.
"""

from __future__ import annotations

import os

import yaml

from ncv_core.errors import NcvError

SLURM_KEYS: dict[str, type] = {
    "jobs": int,
    "cores": int,
    "workers_per_job": int,
    "memory": str,
    "walltime": str,
    "queue": str,
    "account": str,
    "gpus": int,
    "job_extra_directives": list,
    "job_script_prologue": list,
    "local_directory": str,
    "log_directory": str,
    "python": str,
    "interface": str,
}
"""Every key of a SLURM configuration and its type."""


def read_cluster_config(path: str | os.PathLike) -> dict:
    """The checked mapping of a cluster configuration file (see the module docstring).

    Raises
    ------
    NcvError
        Missing or unreadable file, not YAML, not a mapping, an unknown key or a wrong type.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except OSError as exc:
        raise NcvError(f"cannot read the cluster configuration: {exc.strerror}", path=path) from exc
    except yaml.YAMLError as exc:
        raise NcvError(f"not valid YAML: {exc}", path=path) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise NcvError("a cluster configuration is a mapping of key: value lines", path=path)
    unknown = sorted(set(data) - set(SLURM_KEYS))
    if unknown:
        raise NcvError(
            f"unknown key(s) {', '.join(map(str, unknown))}; expected {', '.join(SLURM_KEYS)}",
            path=path,
        )
    return {key: _checked(key, value, path) for key, value in data.items()}


def _checked(key: str, value, path):  # noqa: ANN001, ANN202
    want = SLURM_KEYS[key]
    if key == "walltime" and isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 02:00:00 as sexagesimal seconds (7200): give it back
        return f"{value // 3600:02d}:{value // 60 % 60:02d}:{value % 60:02d}"
    if key == "memory" and isinstance(value, int) and not isinstance(value, bool):
        raise NcvError(f"memory: write a unit, e.g. {value}GB", path=path)
    if want is int and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise NcvError(f"{key}: expected a positive whole number, got {value!r}", path=path)
    if want is str and not isinstance(value, str):
        raise NcvError(f"{key}: expected text, got {value!r}", path=path)
    if want is list:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise NcvError(f"{key}: expected a list of text lines, got {value!r}", path=path)
    return value
