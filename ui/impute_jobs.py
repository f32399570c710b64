"""Fitting an imputation model in a background thread, as the Train page trains (ui/jobs.py).

An :class:`ImputationRun` reads the tracks, fits Avocado (``ncv_core.impute.workflow.fit_tracks``)
and saves the model folder into the session's workspace, reporting the core's progress events
into a lock-protected record that the page polls (:meth:`ImputationRun.snapshot`). The thread
never calls Streamlit; :attr:`ImputationRun.stop` is the core's stop flag (checked between
batches: the model trained so far is saved, its card says ``stopped``).
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ncv_core.errors import NcvError
from ncv_core.impute.folder import save_fit
from ncv_core.impute.sources import species_tracks
from ncv_core.impute.workflow import fit_tracks
from ncv_core.io.manifest import read_manifest
from ui import notes
from ui.jobs import BackgroundRun, one_torch_thread

log = logging.getLogger(__name__)


@dataclass
class ImputationStatus:
    """What a run has reported so far."""

    status: str = "queued"  # queued, reading, training, done, stopped, failed
    last: dict | None = None
    history: list[dict] = field(default_factory=list)
    error: str | None = None
    card: dict | None = None
    notes: list[str] = field(default_factory=list)
    started: float | None = None
    finished: float | None = None

    def fraction(self) -> float:
        """0..1: reading counts for the first tenth, the epochs for the rest."""
        if self.status in ("done", "stopped"):
            return 1.0
        ev = self.last or {}
        total = ev.get("total") or 0
        share = ev.get("done", 0) / total if total else 0.0
        return 0.1 * share if ev.get("stage") == "impute-read" else 0.1 + 0.9 * share

    def describe(self) -> str:
        ev = self.last or {}
        if self.status == "reading":
            return f"reading tracks {ev.get('done', 0)}/{ev.get('total', '?')}"
        if self.status == "training" and ev.get("stage") == "impute-fit":
            return f"epoch {ev['done']}/{ev['total']} · held-out MSE {ev.get('heldout_mse', 0):.3f}"
        return self.status


class ImputationRun(BackgroundRun):
    """One imputation fit of a manifest over regions, in its own thread (stopped, like every
    :class:`~ui.jobs.BackgroundRun`, when the tab that started it is gone).

    Parameters
    ----------
    tracks : path
        The tracks manifest.
    regions : list of (chrom, start, end)
    out : Path
        The model folder to write.
    options : dict
        Keyword arguments of ``fit_tracks`` (``epochs``, ``seed``, ``normalize``, ``held_out``).
    """

    def __init__(
        self,
        tracks: str,
        regions: list,
        out: Path,
        options: dict[str, Any],
        session: str | None = None,
    ) -> None:
        super().__init__(session)
        self.tracks, self.regions, self.out, self.options = tracks, regions, Path(out), options
        self._state = ImputationStatus()
        self.adopted = False  # whether the page made its model the session's one

    def start(self) -> ImputationRun:
        self._spawn(self._work, "ncv-impute")
        return self

    def snapshot(self) -> ImputationStatus:
        with self._lock:
            return copy.deepcopy(self._state)

    def _event(self, event: dict[str, Any]) -> None:
        with self._lock:
            self._state.last = dict(event)
            self._state.status = "reading" if event["stage"] == "impute-read" else "training"
            if event["stage"] == "impute-fit":
                self._state.history.append(dict(event))

    def _finish(self, **fields: Any) -> None:
        with self._lock:
            for k, v in fields.items():
                setattr(self._state, k, v)
            self._state.finished = time.time()

    def _work(self) -> None:
        with self._lock:
            self._state.status, self._state.started = "reading", time.time()
        found: list[str] = []
        try:
            with one_torch_thread(), notes.collect() as found:
                source = species_tracks("human", read_manifest(self.tracks), self.regions)
                run = fit_tracks(
                    [source],
                    provenance={"tracks": str(self.tracks), "app": True},
                    progress=self._event,
                    stop=self.stop,
                    **self.options,
                )
                save_fit(run.fit, run.card, self.out)
            status = "stopped" if run.card["stopped"] else "done"
            self._finish(status=status, card=run.card, notes=found)
        except NcvError as exc:
            if self.stop.is_set():  # stopped while reading: nothing was trained, nothing saved
                self._finish(status="stopped", notes=found)
            else:
                self._finish(status="failed", error=str(exc), notes=found)
        except Exception as exc:  # a bug: logged with its traceback, shown as one line
            log.exception("imputation fit failed")
            self._finish(status="failed", error=f"{type(exc).__name__}: {exc}", notes=found)
