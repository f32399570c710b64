"""Long work in background threads, so the page stays responsive (and survives page switches).

A :class:`TrainingRun` starts one thread per method (``ssl`` and ``supervised`` side by side);
jobs marked ``pretrained`` are pre-trained on the run's cross-species pseudo-labels first.
Each thread calls :func:`ncv_core.training.train` with a progress callback that appends the
core's events to a lock-protected record, and saves the model into the session's folder when it
finishes. A :class:`TaskRun` runs any other stoppable core call (the feature-group ablation) the
same way. Pages poll ``snapshot()`` (a copy taken under the lock); the threads never call
Streamlit. ``stop`` is the core's stop flag (checked between epochs).

Every run remembers the browser session that started it. A watchdog thread stops the runs of
sessions that have been gone (the tab closed) for :data:`GONE_AFTER_S` seconds, so the server
does not keep computing for nobody; a page reload within that time reconnects to the same run.
"""

from __future__ import annotations

import copy
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
import torch
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ncv_core.errors import NcvError
from ncv_core.io.model_folder import save_model
from ncv_core.models import MODELS
from ncv_core.training import train
from ncv_core.training.pretrain import Pretraining
from ncv_core.training.types import TrainConfig
from ui import notes, state

log = logging.getLogger(__name__)

_threads_lock = threading.Lock()
_threads_users = 0
_threads_saved = 0


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """One intra-op torch thread per training thread (two trainings on two cores do not fight
    over them); the previous default is restored when the last training thread ends."""
    global _threads_users, _threads_saved
    with _threads_lock:
        if _threads_users == 0:
            _threads_saved = torch.get_num_threads()
        _threads_users += 1
    torch.set_num_threads(1)
    try:
        yield
    finally:
        with _threads_lock:
            _threads_users -= 1
            if _threads_users == 0:
                torch.set_num_threads(_threads_saved)


@dataclass
class Job:
    """One training (one method) of a run, and what it has reported so far."""

    name: str
    options: dict[str, Any]
    out: Path
    status: str = "queued"  # queued, running, done, stopped, failed
    epochs: dict[str, list[dict]] = field(default_factory=dict)  # curve name -> epoch records
    last: dict | None = None  # the latest progress event
    fits: int = 0  # stage runs started (a CV fold, a teacher, a student, the final fit)
    curve: str = ""  # the curve name of the current stage run
    error: str | None = None
    card: dict | None = None
    notes: list[str] = field(default_factory=list)
    started: float | None = None
    finished: float | None = None
    pretrained: bool = False  # pre-trained on the run's pseudo-labels first (training.pretrain)

    def record(self, event: dict[str, Any]) -> None:
        """Take one progress event of ``train``: a new stage run starts when the stage changes
        or its epoch count restarts (noisy-student's ``teacher``/``studentK`` stages repeat in
        every CV fold); its epochs form one curve, named after the stage (``teacher (3)`` when
        the name was seen before)."""
        stage, epoch = event["stage"], event.get("epoch", event.get("done", 0))
        last = self.last or {}
        if stage != last.get("stage") or epoch < last.get("epoch", last.get("done", 0)):
            self.fits += 1
            self.curve = stage if stage not in self.epochs else f"{stage} ({self.fits})"
        self.last = dict(event)
        if event.get("event") == "epoch":
            self.epochs.setdefault(self.curve, []).append(dict(event))

    def expected_fits(self) -> int:
        """Stage runs the options make: CV folds + the final fit, times teacher + students
        (+ a pre-training stage each when pre-trained)."""
        fits = int(self.options.get("folds", 5)) + 1 if self.options.get("split") == "cv" else 1
        per_fit = 1
        if self.options.get("method") == "noisy-student":
            per_fit = int(self.options.get("iterations", 1)) + 1
        elif self.options.get("method") == "ssl" and _soft_ssl(self.options):
            per_fit = 2  # teacher ensemble, then student ensemble
        return fits * (per_fit + int(self.pretrained))

    def fraction(self) -> float:
        """How far the job is, 0..1, from its latest event and the stage runs started (a
        stopped job keeps where it stopped)."""
        if self.status == "done":
            return 1.0
        ev = self.last
        if not ev or not ev.get("total"):
            return 0.0
        if ev.get("event") == "batch":
            within = (ev["epoch"] - 1 + ev["batch"] / max(ev["n_batches"], 1)) / ev["total"]
        else:
            within = ev["done"] / ev["total"]
        return min(1.0, (self.fits - 1 + within) / self.expected_fits())

    def describe(self) -> str:
        """``ssl: fold 2/5 · epoch 3/10 · batch 12/35``."""
        ev = self.last
        if self.status == "stopped" and ev:
            return f"{self.name}: stopped at epoch {ev.get('epoch', ev['done'])}/{ev['total']}"
        if self.status != "running" or not ev:
            return f"{self.name}: {self.status}"
        parts = [ev["stage"], f"epoch {ev.get('epoch', ev['done'])}/{ev['total']}"]
        if ev.get("event") == "batch":
            parts.append(f"batch {ev['batch']}/{ev['n_batches']}")
        return f"{self.name}: " + " · ".join(parts)


def _soft_ssl(options: dict[str, Any]) -> bool:
    """Whether ``train`` with these options runs the soft noisy student (teacher + student)."""
    known = {k: v for k, v in options.items() if k in TrainConfig.__dataclass_fields__}
    name = options.get("model") or "mlp"
    inputs = MODELS[name].INPUTS if name in MODELS else ("tab",)
    return TrainConfig(**known).resolved(inputs).pseudo == "soft"


GONE_AFTER_S = 20.0
"""Seconds a session may stay disconnected (a reload, a network blip) before its runs stop."""

_RUNS: weakref.WeakSet[BackgroundRun] = weakref.WeakSet()
_watch_lock = threading.Lock()
_watcher: threading.Thread | None = None


def current_session() -> str | None:
    """The id of the browser session running this script (None outside a Streamlit run)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx.session_id if ctx is not None else None


def session_alive(session_id: str) -> bool:
    """Whether the Streamlit runtime still has this session connected (True without one:
    AppTest and plain scripts have no runtime)."""
    if not Runtime.exists():
        return True
    return Runtime.instance().is_active_session(session_id)


def stop_orphans(alive=session_alive, now: float | None = None) -> list[BackgroundRun]:
    """Stop the running runs whose session ``alive`` has said is gone for
    :data:`GONE_AFTER_S` seconds; returns the runs stopped (one watchdog pass)."""
    now = time.monotonic() if now is None else now
    stopped = []
    for run in list(_RUNS):
        if not run.running or run.stop.is_set() or run.session is None:
            continue
        if alive(run.session):
            run.gone_since = None
            continue
        run.gone_since = run.gone_since if run.gone_since is not None else now
        if now - run.gone_since >= GONE_AFTER_S:
            log.info("session %s is gone: stopping %s", run.session, type(run).__name__)
            run.stop_reason = "the browser tab was closed"
            run.stop.set()
            stopped.append(run)
    return stopped


def _watch(period: float = 2.0) -> None:
    while True:
        time.sleep(period)
        try:
            stop_orphans()
        except Exception:  # the watchdog must outlive any one bad pass
            log.exception("stopping the runs of closed sessions failed")


def _ensure_watchdog() -> None:
    global _watcher
    with _watch_lock:
        if _watcher is None or not _watcher.is_alive():
            _watcher = threading.Thread(target=_watch, name="ncv-orphans", daemon=True)
            _watcher.start()


class BackgroundRun:
    """Threads of one piece of work, their stop flag, and the session that started them."""

    def __init__(self, session: str | None = None) -> None:
        self.stop = threading.Event()
        self.session = session if session is not None else current_session()
        self.gone_since: float | None = None
        self.stop_reason: str | None = None
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def _spawn(self, target, name: str, *args: Any) -> None:
        t = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(t)
        _RUNS.add(self)
        _ensure_watchdog()
        t.start()

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every thread has ended (tests, scripts); True when they have."""
        end = None if timeout is None else time.monotonic() + timeout
        for t in self._threads:
            t.join(None if end is None else max(0.0, end - time.monotonic()))
        return not self.running


class TrainingRun(BackgroundRun):
    """Several trainings of one feature table, each in its own thread."""

    def __init__(
        self,
        table: pd.DataFrame,
        meta: dict,
        source: str,
        jobs: list[Job],
        pretrain: Pretraining | None = None,
        session: str | None = None,
    ) -> None:
        super().__init__(session)
        self.table, self.meta, self.source, self.jobs = table, meta, source, jobs
        self.pretrain = pretrain  # for the jobs marked ``pretrained``
        self.adopted = False  # whether its model became the active one (adopt_finished)
        self.adoption: str | None = None  # which model became active, and why

    def start(self) -> TrainingRun:
        for job in self.jobs:
            self._spawn(self._work, f"ncv-train-{job.name}", job)
        return self

    def snapshot(self) -> list[Job]:
        """A consistent copy of every job's state, for drawing."""
        with self._lock:
            return copy.deepcopy(self.jobs)

    def _event(self, job: Job, event: dict[str, Any]) -> None:
        with self._lock:
            job.record(event)

    def _finish(self, job: Job, **fields: Any) -> None:
        with self._lock:
            for k, v in fields.items():
                setattr(job, k, v)
            job.finished = time.time()

    def _work(self, job: Job) -> None:
        with self._lock:
            job.status, job.started = "running", time.time()
        found: list[str] = []
        try:
            with one_torch_thread(), notes.collect() as found:
                result = train(
                    self.table,
                    meta=self.meta,
                    source=self.source,
                    progress=lambda ev: self._event(job, ev),
                    stop=self.stop,
                    pretrain=self.pretrain if job.pretrained else None,
                    **job.options,
                )
                save_model(result, job.out)
            stopped = result.card["training"]["termination"] == "stopped"
            self._finish(
                job, status="stopped" if stopped else "done", card=result.card, notes=found
            )
        except NcvError as exc:
            self._finish(job, status="failed", error=str(exc), notes=found)
        except Exception as exc:  # a bug: logged with its traceback, shown as one line
            log.exception("training %s failed", job.name)
            self._finish(job, status="failed", error=f"{type(exc).__name__}: {exc}", notes=found)


class TaskRun(BackgroundRun):
    """One stoppable core call in a thread: ``work(progress, stop)`` returns the result.

    ``key`` says what was asked (the page compares it with its widgets); :meth:`snapshot`
    gives ``status`` (running, done, stopped, failed), the latest progress event, the result or
    the error, and the core's warnings.
    """

    def __init__(
        self,
        name: str,
        work: Callable[[Callable[[dict], None], threading.Event], Any],
        key: Any = None,
        session: str | None = None,
    ) -> None:
        super().__init__(session)
        self.name, self.key, self._fn = name, key, work
        self._state: dict[str, Any] = {"status": "queued", "last": None, "result": None}
        self._state |= {"error": None, "notes": [], "started": None, "finished": None}

    def start(self) -> TaskRun:
        self._spawn(self._work, f"ncv-task-{self.name}")
        return self

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._state)

    def _set(self, **fields: Any) -> None:
        with self._lock:
            self._state.update(fields)

    def _work(self) -> None:
        self._set(status="running", started=time.time())
        found: list[str] = []
        try:
            with one_torch_thread(), notes.collect() as found:
                result = self._fn(lambda ev: self._set(last=dict(ev)), self.stop)
            self._set(status="done", result=result, notes=found)
        except NcvError as exc:
            status = "stopped" if self.stop.is_set() else "failed"
            self._set(status=status, error=str(exc), notes=found)
        except Exception as exc:  # a bug: logged with its traceback, shown as one line
            log.exception("%s failed", self.name)
            self._set(status="failed", error=f"{type(exc).__name__}: {exc}", notes=found)
        finally:
            self._set(finished=time.time())


def best_job(jobs: list[Job]) -> tuple[Job | None, str]:
    """The job whose model becomes active, and why: the highest AUROC on the held-out rows
    (every job of a run shares its split, so they are scored on the same rows); the first
    finished one when none has that number."""
    finished = [j for j in jobs if j.card]
    if not finished:
        return None, ""
    scored = [
        (float(j.card["metrics"]["val_auroc"]), j)
        for j in finished
        if j.card["metrics"].get("val_auroc") is not None
        and math.isfinite(float(j.card["metrics"]["val_auroc"]))
    ]
    if not scored:
        return finished[0], f"{finished[0].out.name} is the active model (the first to finish)."
    best_auroc, best = max(scored, key=lambda item: item[0])
    if len(scored) == 1:
        return best, f"{best.out.name} is the active model."
    others = ", ".join(f"{j.name} {a:.3f}" for a, j in scored if j is not best)
    return best, (
        f"{best.out.name} is the active model: the higher AUROC on the same held-out rows "
        f"({best.name} {best_auroc:.3f}; {others})."
    )


def adopt_finished() -> None:
    """Make the best model of a finished run (:func:`best_job`) the session's active model,
    once per run.

    Called by ``app.py`` before the sidebar is drawn, whichever page the user is on."""
    run = st.session_state.get("ncv_run")
    if run is None or run.running or run.adopted:
        return
    run.adopted = True
    best, why = best_job(run.snapshot())
    if best is not None:
        state.set_model(best.out)
        run.adoption = why
