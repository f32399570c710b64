"""A training run's live view, for every page that trains (Train, Cross-species): a progress
bar per job, the validation curves of every stage (pre-training included) beside the baseline
scores, the pseudo-labelling panel of ssl jobs, a Stop button; redrawn every second while it
runs, then the page once more."""

from __future__ import annotations

import streamlit as st

from ui import figures, render
from ui.jobs import Job, TrainingRun

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


def show_run(run: TrainingRun, busy: bool, name: str) -> None:
    """Draw ``run`` in a fragment that polls it while ``busy``; ``name`` names the charts'
    downloads and keys the Stop button."""

    def live() -> None:
        _draw(run, name)
        if run.running:
            stopping = run.stop.is_set()
            st.button(
                "Stopping after this epoch..." if stopping else "Stop",
                on_click=run.stop.set,
                icon=":material/stop:",
                disabled=stopping,
                key=f"stop-{name}",
            )
        elif busy:
            st.rerun()  # the run ended: redraw the whole page once (results, Train button)

    st.fragment(live, run_every=1.0 if busy else None)()
