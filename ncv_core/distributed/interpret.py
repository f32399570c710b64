"""Saturation mutagenesis and attributions of many windows on a dask cluster, with one
process's numbers (``ncv ism --workers``, ``ncv attribute --workers``).

The windows (``x_seq`` ``(N, 4, L)``, ``x_tab``) are cut into runs that each start where a
single call's forward batches start (:func:`window_runs`), so every task runs
:func:`ncv_core.interpret.ism.saturation_mutagenesis` or
:func:`ncv_core.interpret.attribution.attribute` on exactly the batches one process would, on
the model its worker loaded once (:class:`~ncv_core.distributed.plugin.WorkerInputs`), and
writes its arrays as a part; the client joins the parts in order into one result, which the
commands turn into their tables as before.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import fields
from pathlib import Path

import numpy as np
from distributed import Client

from ncv_core.distributed.plugin import WorkerInputs, inputs_of
from ncv_core.distributed.run import run_ordered
from ncv_core.errors import NcvError
from ncv_core.io.parts import read_array_part, write_array_part
from ncv_core.progress import ProgressFn, StopFlag

VERBS = ("ism", "attribute")
_TARGET = 256
"""Windows per task, about (a run ends at the next aligned window)."""


def window_runs(ref_index: np.ndarray, batch_size: int, verb: str, target: int) -> list[tuple]:
    """``(start, stop)`` runs of windows, each about ``target`` long, in order.

    A run starts at a window that is a multiple of ``batch_size`` (the batches of the windows
    themselves) and, for ISM, after a multiple of ``batch_size`` mutant rows (3 per position,
    4 at an N; the mutants' batches span windows).

    Parameters
    ----------
    ref_index : numpy.ndarray
        ``(N, L)`` reference base index of each window position, -1 at an N.
    """
    n = len(ref_index)
    ok = np.arange(n + 1) % batch_size == 0
    if verb == "ism":
        rows = np.concatenate([[0], np.cumsum(np.where(ref_index >= 0, 3, 4).sum(axis=1))])
        ok &= rows % batch_size == 0
    starts = np.flatnonzero(ok)
    runs, start = [], 0
    while start < n:
        later = starts[starts >= start + max(1, target)]
        stop = int(later[0]) if len(later) and later[0] < n else n
        runs.append((start, stop))
        start = stop
    return runs


def interpret_task(plugin: str, verb: str, x_seq, x_tab, options: dict, folder: str, name: str):
    """Run ``verb`` on some windows with this worker's model; write the result's arrays."""
    inputs = inputs_of(plugin)
    loaded = inputs.models["model"]
    with inputs.lock:
        if verb == "ism":
            from ncv_core.interpret.ism import saturation_mutagenesis as run
        else:
            from ncv_core.interpret.attribution import attribute as run
        res = run(loaded.model, x_seq, x_tab, device=loaded.device, **options)
    arrays = {f.name: getattr(res, f.name) for f in fields(res)}
    values = {k: v for k, v in arrays.items() if isinstance(v, np.ndarray)}
    rest = {k: v for k, v in arrays.items() if k not in values}
    return {"arrays": os.fspath(write_array_part(values, folder, name)), "rest": rest}


def interpret_on_cluster(
    client: Client,
    verb: str,
    model_path: str | os.PathLike,
    x_seq: np.ndarray,
    x_tab: np.ndarray | None = None,
    *,
    folder: str | os.PathLike,
    device: str | None = None,
    torch_threads: int = 1,
    resources: dict[str, float] | None = None,
    windows_per_task: int = _TARGET,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
    **options,
):
    """``saturation_mutagenesis`` (``verb="ism"``) or ``attribute`` of ``x_seq`` ``(N, 4, L)``
    on ``client``'s workers, with the same ``options`` (``batch_size``, ``method``, ...) and the
    same result as one call in this process on the same device type.

    Raises
    ------
    NcvError
        An unknown verb, or ``deeplift_shap``, whose shuffled references are drawn from one
        random stream over all windows (run it in one process).
    """
    from ncv_core.interpret._model import as_seq_tensor, as_tab_tensor, ref_indices

    if verb not in VERBS:
        raise NcvError(f"unknown verb {verb!r}; expected one of {', '.join(VERBS)}")
    if options.get("method") == "deeplift_shap":
        raise NcvError(
            "deeplift_shap draws its shuffled references from one random stream over all "
            "windows; run it without --workers, --scheduler or --cluster"
        )
    x = as_seq_tensor(x_seq)
    tab = as_tab_tensor(x_tab, x.shape[0])
    default = 256 if verb == "ism" else 32  # the verbs' own defaults
    runs = window_runs(ref_indices(x), int(options.get("batch_size", default)), verb,
                       windows_per_task)  # fmt: skip
    plugin = WorkerInputs(
        f"ncv-inputs-{uuid.uuid4().hex[:12]}", models={"model": os.fspath(model_path)},
        device=device, torch_threads=torch_threads,
    )  # fmt: skip
    client.register_plugin(plugin)
    try:
        calls = [
            (plugin.name, verb, x[a:b].numpy(), None if tab is None else tab[a:b].numpy(),
             options, os.fspath(folder), f"{verb}-{i:06d}")
            for i, (a, b) in enumerate(runs)
        ]  # fmt: skip
        parts = list(run_ordered(client, interpret_task, calls, stage=verb,
                                 resources=resources, progress=progress, stop=stop))  # fmt: skip
    finally:
        client.unregister_worker_plugin(plugin.name)
    return _joined(verb, parts)


def _joined(verb: str, parts: list[dict]):
    """One result from the parts' arrays (joined along the windows) and the first's rest."""
    if verb == "ism":
        from ncv_core.interpret.ism import IsmResult as Result
    else:
        from ncv_core.interpret.attribution import AttributionResult as Result
    arrays = [read_array_part(Path(p["arrays"])) for p in parts]
    joined = {k: np.concatenate([a[k] for a in arrays]) for k in arrays[0]}
    return Result(**joined, **parts[0]["rest"])
