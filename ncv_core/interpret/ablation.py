"""Feature-group ablation (the SSL_dnn paper's Fig. 2d): cross-validated AUROC of models trained
with only one feature group, and with each group left out.

Groups: the six groups of epigenetic marks (:data:`ncv_core.constants.MARK_GROUPS`: I enhancer,
II promoter, III structural, IV heterochromatin, V gene body, VI DNase), the ten nucleotide
composition features (``nucleotide``) and the one-hot window (``sequence``).

How the runs map onto the registry models, for a full model that reads sequence and features
(``ssl_dnn``, the default when the table has ``seq``):

============================  =================================================================
run                           model
============================  =================================================================
``all``                       ``ssl_dnn`` with every feature and the sequence (the reference)
only a tabular group G        ``mlp`` on G's columns: the ``ssl_dnn`` dense head (FC 40, FC 10,
                              batch norm, dropout) without the convolutional trunk, so that the
                              number measures G alone
without a tabular group G     ``ssl_dnn`` with the sequence and every feature except G's
only ``sequence``             ``ssl_dnn`` with no tabular features (``n_tab = 0``: conv trunk +
                              the same dense head)
without ``sequence``          ``mlp`` on every feature
============================  =================================================================

For a tabular-only full model (``mlp``, a table without ``seq``) every run is an ``mlp`` and the
``sequence`` group is skipped. Every run is one :func:`ncv_core.training.train` call with
``split="cv"``; the folds (and each fold's balanced labelled subset) depend only on the labels,
chromosomes and seed, so all runs are scored on the same folds and ``delta_auroc`` (run minus
``all``) gets a paired standard error over folds. ``train`` also refits a final model on all rows
after the folds; ablation reports only the fold metrics.

Runs are independent: with ``n_jobs > 1`` they go to worker processes (forked where the
platform allows it, as torch's ``DataLoader`` workers are; ``spawn`` elsewhere, which needs an
importable ``__main__``), each running torch on ``threads`` threads. The same seed and
``threads`` give the same numbers for any ``n_jobs``.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from typing import Any

import numpy as np
import pandas as pd

from ncv_core.constants import (
    FEATURE_KINDS,
    MARK_GROUPS,
    NUCLEOTIDE_GROUP,
    SEQUENCE_GROUP,
    group_columns,
)
from ncv_core.device import resolve_device
from ncv_core.errors import NcvError, warn
from ncv_core.metrics import mean_se
from ncv_core.progress import ProgressFn, StopFlag, report, stopped

__all__ = ["GROUPS", "GROUP_LABELS", "AblationResult", "group_ablation"]

GROUPS: tuple[str, ...] = (*MARK_GROUPS, NUCLEOTIDE_GROUP, SEQUENCE_GROUP)
"""Ablation groups, in the paper's order."""

GROUP_LABELS: dict[str, str] = {
    "all": "all features",
    "I_enhancer": "I enhancer (H3K4me1, H3K27ac)",
    "II_promoter": "II promoter (H3K4me2, H3K4me3, H3K9ac)",
    "III_structural": "III structural (H3K36me3, H3K79me2)",
    "IV_heterochromatin": "IV heterochromatin (H3K9me3, H3K27me3)",
    "V_gene_body": "V gene body (H4K20me1)",
    "VI_dnase": "VI DNA accessibility (DNase)",
    NUCLEOTIDE_GROUP: "nucleotide composition",
    SEQUENCE_GROUP: "sequence (one-hot window)",
}
"""Readable names of the groups, for tables and plots."""

TAB_MODEL = "mlp"
METRICS: tuple[str, ...] = ("auroc", "aupr", "accuracy")


@dataclass(frozen=True)
class _Run:
    group: str
    mode: str  # "all", "only" or "without"
    model: str
    features: tuple[str, ...]


@dataclass(frozen=True)
class AblationResult:
    """Cross-validated metrics of the ablation runs.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per run: ``group label mode model n_features uses_seq auroc auroc_se aupr
        aupr_se accuracy accuracy_se delta_auroc delta_auroc_se n_folds seconds features note``.
        ``mode`` is ``all``, ``only`` or ``without``; ``*_se`` are standard errors over folds;
        ``delta_auroc`` is the run's AUROC minus the ``all`` run's, with the paired standard
        error over folds. A group with no column in the table has NaN metrics and a ``note``.
    folds : pandas.DataFrame
        One row per (run, fold): ``group mode fold auroc aupr accuracy``.
    settings : dict
        ``method``, ``epochs``, ``folds``, ``seed``, ``model``, ``kinds``, ``n_jobs``,
        ``threads``, ``seconds`` (wall time of the whole ablation).
    """

    table: pd.DataFrame
    folds: pd.DataFrame
    settings: dict[str, Any]


def _base_columns(table: pd.DataFrame, meta: dict, kinds: Sequence[str] | None) -> list[str]:
    from ncv_core.models.encoding import select_features

    cols = select_features(table, meta)
    if kinds is None:
        return cols
    bad = [k for k in kinds if k not in FEATURE_KINDS]
    if bad:
        raise NcvError(
            f"unknown feature kind(s) {bad}; expected some of {', '.join(FEATURE_KINDS)}"
        )
    marks = tuple(f"_{k}" for k in FEATURE_KINDS)
    return [c for c in cols if not c.endswith(marks) or c.endswith(tuple(f"_{k}" for k in kinds))]


def _plan(
    columns: list[str], model: str, has_seq: bool, groups: Sequence[str], include_all: bool
) -> tuple[list[_Run], dict[tuple[str, str], str]]:
    """The runs to train, and a note per skipped (group, mode)."""
    runs, skipped = [], {}
    if include_all:
        runs.append(_Run("all", "all", model, tuple(columns)))
    for g in groups:
        if g == SEQUENCE_GROUP:
            if not has_seq:
                note = "the model reads no sequence (table without 'seq' or a tabular model)"
                skipped[g, "only"] = skipped[g, "without"] = note
                continue
            runs.append(_Run(g, "only", model, ()))
            runs.append(_Run(g, "without", TAB_MODEL, tuple(columns)))
            continue
        cols = group_columns(g, columns)
        if not cols:
            skipped[g, "only"] = skipped[g, "without"] = "no column of this group in the table"
            continue
        rest = tuple(c for c in columns if c not in set(cols))
        runs.append(_Run(g, "only", TAB_MODEL, tuple(cols)))
        if rest or has_seq:
            runs.append(_Run(g, "without", model, rest))
        else:
            skipped[g, "without"] = "no feature would be left"
    return runs, skipped


@contextmanager
def _torch_threads(n: int | None) -> Iterator[None]:
    import torch

    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


_WORKER: dict[str, Any] = {}


def _init_worker(table: pd.DataFrame, meta: dict) -> None:
    _WORKER["table"], _WORKER["meta"] = table, meta


def _fit(run: _Run, options: dict[str, Any], threads: int | None, device: Any) -> dict[str, Any]:
    """Train one run in a worker process (its table from :func:`_init_worker`); the warnings
    come back with the result, for the parent to issue once."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = _train_run(run, _WORKER["table"], _WORKER["meta"], options, threads, device)
    res["warnings"] = sorted({str(w.message) for w in caught})
    return res


def _train_run(
    run: _Run,
    table: pd.DataFrame,
    meta: dict,
    options: dict[str, Any],
    threads: int | None,
    device: Any,
    stop: StopFlag | None = None,
) -> dict[str, Any]:
    """Train one run (CV) and return its fold metrics and time.

    In this process (``n_jobs=1``) the table is passed in, never through a module global, and
    warnings are issued as they happen (``warnings.catch_warnings`` swaps process-wide state):
    ablations in two threads at once (two app sessions) neither see each other's table nor lose
    each other's warnings. ``stop`` reaches ``train``, which checks it between epochs.
    """
    from ncv_core.training import train

    t0 = time.perf_counter()
    with _torch_threads(threads):
        result = train(
            table,
            meta=meta,
            model=run.model,
            feature_cols=run.features,
            device=device,
            stop=stop,
            **options,
        )
    if stopped(stop):
        raise NcvError("the ablation was stopped")
    folds = [{k: f.get(f"val_{k}", np.nan) for k in METRICS} for f in result.metrics["folds"]]
    return {"folds": folds, "seconds": time.perf_counter() - t0, "warnings": []}


def _execute(
    runs: list[_Run],
    table: pd.DataFrame,
    meta: dict,
    options: dict[str, Any],
    n_jobs: int,
    threads: int | None,
    device: Any,
    progress: ProgressFn | None,
    stop: StopFlag | None,
) -> list[dict[str, Any]]:
    """Fit every run, in this process or in ``n_jobs`` workers; results in ``runs`` order."""
    out: list[dict[str, Any] | None] = [None] * len(runs)

    def done(i: int, res: dict[str, Any]) -> None:
        out[i] = res
        auroc, se = mean_se([f["auroc"] for f in res["folds"]])
        finished = sum(r is not None for r in out)
        r = runs[i]
        extra = {"group": r.group, "mode": r.mode, "auroc": auroc, "auroc_se": se}
        report(progress, "ablation", finished, len(runs), **extra)

    if n_jobs <= 1:
        for i, run in enumerate(runs):
            if stopped(stop):
                raise NcvError("the ablation was stopped")
            done(i, _train_run(run, table, meta, options, threads, device, stop))
        return out  # type: ignore[return-value]
    ctx = get_context("fork" if "fork" in get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(
        min(n_jobs, len(runs)), mp_context=ctx, initializer=_init_worker, initargs=(table, meta)
    ) as pool:
        pending: dict[Future, int] = {
            pool.submit(_fit, run, options, threads, device): i for i, run in enumerate(runs)
        }
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                done(pending.pop(fut), fut.result())
            if stopped(stop):
                for fut in pending:
                    fut.cancel()
                raise NcvError("the ablation was stopped")
    return out  # type: ignore[return-value]


def _row(run: _Run, res: dict[str, Any], ref: dict[str, Any] | None) -> dict:
    row: dict[str, Any] = {"group": run.group, "label": GROUP_LABELS.get(run.group, run.group)}
    row |= {"mode": run.mode, "model": run.model, "n_features": len(run.features)}
    row["uses_seq"] = run.model != TAB_MODEL
    for k in METRICS:
        row[k], row[f"{k}_se"] = mean_se([f[k] for f in res["folds"]])
    if ref is not None:
        diff = [a["auroc"] - b["auroc"] for a, b in zip(res["folds"], ref["folds"], strict=True)]
        row["delta_auroc"], row["delta_auroc_se"] = mean_se(diff)
    else:
        row["delta_auroc"] = row["delta_auroc_se"] = np.nan
    row |= {"n_folds": len(res["folds"]), "seconds": res["seconds"]}
    row |= {"features": ",".join(run.features), "note": ""}
    return row


def group_ablation(
    table: pd.DataFrame,
    *,
    meta: dict | None = None,
    groups: Sequence[str] | None = None,
    folds: int = 5,
    method: str = "supervised",
    epochs: int = 10,
    model: str | None = None,
    kinds: Sequence[str] | None = None,
    include_all: bool = True,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
    n_jobs: int = 1,
    threads: int | None = 1,
    device: str | None = None,
    seed: int = 0,
    **train_options: Any,
) -> AblationResult:
    """Cross-validated AUROC with only one feature group, and with each group left out.

    Parameters
    ----------
    table : pandas.DataFrame
        A labelled feature table (``label``, feature columns, optionally ``seq``).
    meta : dict, optional
        Its metadata (``feature_columns``, ``window``, ...).
    groups : sequence of str, optional
        Groups to ablate (default :data:`GROUPS`).
    folds : int
        CV folds ``K``; standard errors are over folds.
    method : {"supervised", "ssl", "noisy-student"}
        Training method of every run (default ``supervised``: cheapest; the paper's ``ssl``
        costs about twice as much).
    epochs : int
        Epochs per fit (default 10: on the demo, within 0.006 AUROC of 30 epochs at a third of the time, see
        ``docs/INTERPRET.md``).
    model : str, optional
        The full model (``ssl_dnn`` when the table has ``seq``, else ``mlp``); see the module
        docstring for the models of the other runs.
    kinds : sequence of {"peak", "max", "sum"}, optional
        Keep only these kinds of mark features in every run (the paper's Fig. 2d used ``max``);
        composition features are always kept.
    include_all : bool
        Also train the reference run on everything (needed for ``delta_auroc``).
    progress : callable, optional
        ``{"stage": "ablation", "done": runs, "total": runs, "group", "mode", "auroc",
        "auroc_se"}`` after each run.
    stop : object with ``is_set()``, optional
        Checked between runs and, with ``n_jobs=1``, between the epochs of a run; a stopped
        ablation raises :class:`~ncv_core.errors.NcvError`.
    n_jobs : int
        Runs trained at once, in worker processes when above 1 (CPU only: on a GPU, runs go one
        after another).
    threads : int or None
        torch CPU threads per run (None: leave torch's setting; 1 is fastest for these small
        networks on a CPU and makes results independent of ``n_jobs``).
    device : str, optional
        torch device (None: CUDA if available, else CPU).
    seed : int
        Seeds folds, subsets and initial weights (the same for every run).
    **train_options
        Other :class:`ncv_core.training.TrainConfig` fields (``lr``, ``optimizer``, ...).

    Returns
    -------
    AblationResult
        The per-run table, the per-fold metrics and the settings.
    """
    t0 = time.perf_counter()
    meta = meta or {}
    groups = list(GROUPS if groups is None else groups)
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise NcvError(f"unknown group(s) {unknown}; expected some of {', '.join(GROUPS)}")
    reserved = {"feature_cols", "split", "model_kwargs", "exclude_cols"} & set(train_options)
    if reserved:
        raise NcvError(f"group_ablation sets {sorted(reserved)} itself")
    has_seq = "seq" in table.columns
    full = model or ("ssl_dnn" if has_seq else TAB_MODEL)
    if full not in ("ssl_dnn", TAB_MODEL):
        raise NcvError(
            f"ablation needs a model that reads tabular features (ssl_dnn or mlp), got {full!r}"
        )
    columns = _base_columns(table, meta, kinds)
    runs, skipped = _plan(columns, full, has_seq and full == "ssl_dnn", groups, include_all)
    options = {"method": method, "epochs": epochs, "seed": seed, "split": "cv", "folds": folds}
    options |= train_options
    if resolve_device(device).type != "cpu":
        n_jobs = 1  # one GPU, and CUDA does not survive fork: runs go one after another
    results = _execute(runs, table, meta, options, n_jobs, threads, device, progress, stop)
    for message in sorted({m for r in results for m in r["warnings"]}):
        warn(message)
    ref = next((res for run, res in zip(runs, results, strict=True) if run.mode == "all"), None)
    rows = [_row(run, res, ref) for run, res in zip(runs, results, strict=True)]
    rows += _skipped_rows(skipped)
    table_out = _order(pd.DataFrame(rows), groups)
    fold_rows = [
        {"group": run.group, "mode": run.mode, "fold": k + 1, **f}
        for run, res in zip(runs, results, strict=True)
        for k, f in enumerate(res["folds"])
    ]
    settings = {"method": method, "epochs": epochs, "folds": folds, "seed": seed, "model": full}
    settings |= {"kinds": None if kinds is None else list(kinds), "n_jobs": n_jobs}
    settings |= {"threads": threads, "seconds": time.perf_counter() - t0, **train_options}
    return AblationResult(table_out, pd.DataFrame(fold_rows), settings)


def _skipped_rows(skipped: dict[tuple[str, str], str]) -> list[dict]:
    rows = []
    for (g, mode), note in skipped.items():
        row = {"group": g, "label": GROUP_LABELS[g], "mode": mode, "n_features": 0, "note": note}
        rows.append(row)
    return rows


def _order(df: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    """``all`` first, then ``only`` rows and ``without`` rows, each in the groups' order."""
    rank = {g: i for i, g in enumerate(["all", *groups])}
    mode_rank = {"all": 0, "only": 1, "without": 2}
    key = df["mode"].map(mode_rank) * 100 + df["group"].map(rank)
    df = df.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(drop=True)
    for col in ("uses_seq",):
        if col in df:
            df[col] = df[col].astype("boolean")
    return df


def default_jobs() -> int:
    """CPUs this process may use (``os.sched_getaffinity`` where available)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover (macOS, Windows)
        return max(1, os.cpu_count() or 1)
