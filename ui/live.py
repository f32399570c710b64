"""Background work, live: :func:`poll` redraws a page's view of a running job every second with
a Stop button, then the page once more when it ends (every page with background work uses it);
:func:`show_run` is a training run's view for every page that trains (Train, Cross-species): a
progress bar per job, the validation curves of every stage (pre-training included) beside the
baseline scores, the pseudo-labelling panel of ssl jobs."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from ui import figures, render
from ui.jobs import BackgroundRun, Job, TrainingRun

NO_PROMOTION = (
    "No pseudo-labels were promoted (the promotion option was off), so their count is not "
    "drawn. Pseudo-label accuracy: how often the model's guess for an unlabelled locus matches "
    "its hidden label (known on the demo)."
)


def histories(jobs: list[Job]) -> dict[str, list[dict]]:
    """Per-epoch rows of every job's stages, keyed ``job`` (training) or ``job · stage``."""
    return {
        j.name if stage == "train" else f"{j.name} · {stage}": rows
        for j in jobs
        for stage, rows in j.epochs.items()
    }


def _draw(run: TrainingRun, name: str) -> None:
    jobs = run.snapshot()
    for job in jobs:
        st.progress(job.fraction(), text=job.describe())
    hist = histories(jobs)
    done = [j for j in jobs if j.card]
    base = done[0].card["metrics"].get("baselines", {}) if done else {}
    render.chart(
        figures.training_curves(hist, {k: v.get("auroc") for k, v in base.items()}),
        name,
        figures.history_frame(hist),
    )
    if any(j.options.get("method") == "ssl" for j in jobs):
        promoting = any(j.options.get("threshold") is not None for j in jobs)
        render.chart(
            figures.ssl_dynamics(hist, promotion=promoting),
            f"{name}-pseudo-labelling",
            figures.history_frame(hist),
        )
        if not promoting:
            st.caption(NO_PROMOTION)


def poll(
    run: BackgroundRun,
    busy: bool,
    draw: Callable[[], None],
    *,
    key: str,
    stop: str = "Stop",
    stopping: str = "Stopping after this epoch...",
) -> None:
    """``draw()`` in a fragment that reruns every second while ``busy``, then a Stop button while
    ``run`` runs; once it has ended, the whole page reruns once (results, enabled buttons).

    Every page with background work (Train, Cross-species, Feature importance, Imputation)
    polls through this; ``key`` keys the Stop button (``stop-KEY``).
    """

    def live() -> None:
        draw()
        if run.running:
            asked = run.stop.is_set()
            st.button(
                stopping if asked else stop,
                on_click=run.stop.set,
                icon=":material/stop:",
                disabled=asked,
                key=f"stop-{key}",
            )
        elif busy:
            st.rerun()  # the run ended: redraw the whole page once

    st.fragment(live, run_every=1.0 if busy else None)()


def show_run(run: TrainingRun, busy: bool, name: str) -> None:
    """Draw ``run`` (:func:`poll`); ``name`` names the charts' downloads and keys the Stop
    button."""
    poll(run, busy, lambda: _draw(run, name), key=name)
