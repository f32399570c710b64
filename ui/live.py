"""A training run's live view: a progress bar per job and the validation curves of every stage
(pre-training included), redrawn every second while it runs, then the page once more."""

from __future__ import annotations

import streamlit as st

from ui import figures, render
from ui.jobs import TrainingRun


def show_run(run: TrainingRun, busy: bool, name: str) -> None:
    """Draw ``run`` in a fragment that polls it while ``busy``."""

    def live() -> None:
        jobs = run.snapshot()
        for job in jobs:
            st.progress(job.fraction(), text=job.describe())
        histories = {
            j.name if stage == "train" else f"{j.name} · {stage}": rows
            for j in jobs
            for stage, rows in j.epochs.items()
        }
        render.chart(figures.training_curves(histories), name, figures.history_frame(histories))
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
