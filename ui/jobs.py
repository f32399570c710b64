"""Training in background threads, so the page stays responsive while models learn.

A :class:`TrainingRun` starts one thread per method (``ssl`` and ``supervised`` side by side);
jobs marked ``pretrained`` are pre-trained on the run's cross-species pseudo-labels first.
Each thread calls :func:`ncv_core.training.train` with a progress callback that appends the
core's events to a lock-protected record, and saves the model into the session's folder when it
finishes. The page polls :meth:`TrainingRun.snapshot` (a copy taken under the lock); the threads
never call Streamlit. :attr:`TrainingRun.stop` is the core's stop flag (checked between epochs).
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
import torch

from ncv_core.errors import NcvError
from ncv_core.io.model_folder import save_model
from ncv_core.training import train
from ncv_core.training.pretrain import Pretraining
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
        return fits * (per_fit + int(self.pretrained))

    def fraction(self) -> float:
        """How far the job is, 0..1, from its latest event and the stage runs started."""
        if self.status in ("done", "stopped"):
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
        if self.status != "running" or not ev:
            return f"{self.name}: {self.status}"
        parts = [ev["stage"], f"epoch {ev.get('epoch', ev['done'])}/{ev['total']}"]
        if ev.get("event") == "batch":
            parts.append(f"batch {ev['batch']}/{ev['n_batches']}")
        return f"{self.name}: " + " · ".join(parts)


class TrainingRun:
    """Several trainings of one feature table, each in its own thread."""

    def __init__(
        self,
        table: pd.DataFrame,
        meta: dict,
        source: str,
        jobs: list[Job],
        pretrain: Pretraining | None = None,
    ) -> None:
        self.table, self.meta, self.source, self.jobs = table, meta, source, jobs
        self.pretrain = pretrain  # for the jobs marked ``pretrained``
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.adopted = False  # whether its model became the active one (adopt_finished)

    def start(self) -> TrainingRun:
        for job in self.jobs:
            t = threading.Thread(
                target=self._work, args=(job,), name=f"ncv-train-{job.name}", daemon=True
            )
            self._threads.append(t)
            t.start()
        return self

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every thread has ended (tests, scripts); True when they have."""
        end = None if timeout is None else time.monotonic() + timeout
        for t in self._threads:
            t.join(None if end is None else max(0.0, end - time.monotonic()))
        return not self.running

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


def adopt_finished() -> None:
    """Make the first model of a finished run the session's active model (once per run).

    Called by ``app.py`` before the sidebar is drawn, whichever page the user is on."""
    run = st.session_state.get("ncv_run")
    if run is None or run.running or run.adopted:
        return
    run.adopted = True
    finished = [j for j in run.snapshot() if j.card]
    if finished:
        state.set_model(finished[0].out)
