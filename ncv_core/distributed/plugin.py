"""What every worker holds open for a run: the models, the genome and the cell line's tracks.

:class:`WorkerInputs` is a dask ``WorkerPlugin`` that carries paths and options only (it is
pickled to each worker, so nothing unpicklable crosses the wire) and opens the inputs once per
worker process, at its first task, in the thread that runs the tasks; a worker that is restarted
opens them again. Tasks reach them through :func:`inputs_of`. The handles are used by one task at
a time (a lock), so a worker started with several threads stays correct, if no faster; run
workers with one thread each and give torch the cores (``torch_threads``).
"""

from __future__ import annotations

import re
import threading
import warnings
from dataclasses import dataclass
from typing import Any

from distributed import WorkerPlugin, get_worker

from ncv_core.errors import NcvWarning
from ncv_core.features.tracks import TrackSet
from ncv_core.io.genome import Genome
from ncv_core.io.manifest import read_manifest


@dataclass
class Inputs:
    """The open inputs of one worker (``models``: name -> LoadedModel, empty for features;
    ``tracks`` None when not needed)."""

    genome: Genome | None
    tracks: TrackSet | None
    models: dict[str, Any]
    lock: threading.Lock


class WorkerInputs(WorkerPlugin):
    """Open a run's inputs on each worker, from paths.

    Parameters
    ----------
    name : str
        The plugin's name, unique to the run (tasks look it up by this name).
    genome : str, optional
        Reference FASTA (None: windows given, as for ISM and attributions).
    tracks, cell_line : str, optional
        Tracks manifest and cell line (features and scores).
    models : dict, optional
        Model name -> model folder (scores; the names are the score columns' prefixes).
    device : str, optional
        Torch device of the model (None: CUDA if the worker has it, else CPU).
    torch_threads : int
        ``torch.set_num_threads`` on the worker (the nanny sets OMP/MKL threads to 1).
    build : str, optional
        Declared genome build.
    """

    idempotent = True

    def __init__(
        self,
        name: str,
        *,
        genome: str | None = None,
        tracks: str | None = None,
        cell_line: str | None = None,
        models: dict[str, str] | None = None,
        device: str | None = None,
        torch_threads: int = 1,
        build: str | None = None,
    ) -> None:
        self.name = name
        self.paths = {"genome": genome, "tracks": tracks, "build": build}
        self.models = dict(models or {})
        self.cell_line, self.device, self.torch_threads = cell_line, device, torch_threads
        self._inputs: Inputs | None = None
        self._open_lock = threading.Lock()

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_inputs"], state["_open_lock"] = None, None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._open_lock = threading.Lock()

    def setup(self, worker) -> None:  # noqa: ANN001 - distributed.Worker
        if self.models:
            import torch

            n_gpus = torch.cuda.device_count() if self.device is None else 0
            self.device = pick_device(self.device, worker.name, n_gpus)

    def teardown(self, worker) -> None:  # noqa: ANN001
        if self._inputs is not None and self._inputs.genome is not None:
            self._inputs.genome.close()
            self._inputs = None

    def inputs(self) -> Inputs:
        """The open inputs, opened on first use (warnings are the client's to show), with
        torch's threads set in the calling task's thread: OpenMP keeps the count per thread,
        so setting it in :meth:`setup` (the worker's event loop) does not reach the tasks."""
        if self.models:
            import torch

            threads = max(1, int(self.torch_threads))
            if torch.get_num_threads() != threads:
                torch.set_num_threads(threads)
        with self._open_lock:
            if self._inputs is None:
                self._inputs = self._open()
            return self._inputs

    def _open(self) -> Inputs:
        p = self.paths
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NcvWarning)
            genome = None if p["genome"] is None else Genome(p["genome"], build=p["build"])
            try:
                tracks = None
                if p["tracks"] is not None:
                    tracks = TrackSet(read_manifest(p["tracks"]), self.cell_line, genome)
                models = {}
                if self.models:
                    from ncv_core.io.model_folder import load_model

                    models = {n: load_model(m, device=self.device) for n, m in self.models.items()}
            except BaseException:
                if genome is not None:
                    genome.close()
                raise
        return Inputs(genome, tracks, models, threading.Lock())


def inputs_of(name: str) -> Inputs:
    """The open inputs of the run whose plugin is ``name``, on the worker running this task."""
    plugin = get_worker().plugins.get(name)
    if plugin is None:
        raise RuntimeError(f"worker plugin {name!r} is not registered on this worker")
    return plugin.inputs()


def pick_device(device: str | None, worker_name: object, n_gpus: int) -> str | None:
    """The torch device of a worker: ``device`` when given; else, when the worker sees several
    GPUs, ``cuda:<k mod n_gpus>`` for the number ``k`` that ends its name (``dask worker
    --nworkers 2`` names them ``...-0`` and ``...-1``; a LocalCluster ``0``, ``1``, ...), so
    the workers of one machine share its GPUs out; else None (CUDA if any, else CPU)."""
    if device is not None or n_gpus < 2:
        return device
    found = re.search(r"(\d+)$", str(worker_name))
    return f"cuda:{int(found.group(1)) % n_gpus if found else 0}"


def take_missing(inputs: Inputs) -> dict[str, dict[str, int]]:
    """The tracks' missing-contig counts (:attr:`TrackSet.missing_contigs`) since the last
    call, then cleared: what one task added, for the client to sum in input order."""
    if inputs.tracks is None:
        return {}
    missing, inputs.tracks.missing_contigs = inputs.tracks.missing_contigs, {}
    return missing


def merge_missing(into: dict, more: dict) -> None:
    """Add one task's missing-contig counts to ``into`` (the same nested dict shape)."""
    for path, contigs in more.items():
        seen = into.setdefault(path, {})
        for contig, n in contigs.items():
            seen[contig] = seen.get(contig, 0) + n
