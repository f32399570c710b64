"""Train: SSL and supervised side by side in background threads, live curves, stop, save."""

from __future__ import annotations

import streamlit as st

from ncv_core.models import MODELS
from ncv_core.training.types import METHODS
from ui import cached, figures, frame, render, state
from ui.jobs import Job, TrainingRun
from ui.modelfiles import zip_model

frame.require(__file__)

SEQUENCE_ONLY = {name for name, cls in MODELS.items() if cls.INPUTS == ("seq",)}

st.title("Train")
data = state.dataset()
feats = cached.features(data)
run: TrainingRun | None = st.session_state.get("ncv_run")
busy = run is not None and run.running

names = sorted(MODELS) if "seq" in feats.table.columns else ["mlp"]
c1, c2, c3 = st.columns([1, 2, 1])
model = c1.selectbox("Model", names, index=names.index("ssl_dnn") if "ssl_dnn" in names else 0)
methods = c2.multiselect("Methods, trained side by side", METHODS, default=["ssl", "supervised"])
split = c3.radio(
    "Split",
    ["paper", "cv"],
    horizontal=True,
    help="paper: balanced labelled and "
    "validation sets (validation on held-out chromosomes); cv: K folds + a final model",
)
c1, c2, c3, c4, c5 = st.columns(5)
epochs = c1.number_input("Epochs", 1, 300, 10, help="The paper trains 30; 10 takes seconds.")
seq_only = model in SEQUENCE_ONLY  # these learn on the demo with Adam (docs/TRAINING.md)
optimizer = c2.selectbox("Optimizer", ["sgd", "adam"], index=int(seq_only), key=f"opt-{model}")
lr = c3.number_input(
    "Learning rate", 1e-5, 1.0, 0.001 if seq_only else 0.03, format="%.4f", key=f"lr-{model}"
)
seed = c4.number_input("Seed", 0, 10_000, 0)
folds = c5.number_input("Folds", 2, 10, 5, disabled=split != "cv")
promote = st.checkbox(
    "ssl: promote pseudo-labels with confidence ≥ 0.95 (the paper; off by "
    "default: it lowered validation AUROC on the demo, docs/TRAINING.md)"
)
st.caption(
    f"Training on **{data.name}** ({len(feats.table):,} rows). α(t) ramps from 0 at batch "
    "100 to 1 at batch 600."
)

if st.button("Train", type="primary", icon=":material/play_arrow:", disabled=busy or not methods):
    options = {
        "model": model,
        "epochs": int(epochs),
        "seed": int(seed),
        "split": split,
        "folds": int(folds),
        "optimizer": optimizer,
        "lr": float(lr),
        "threshold": 0.95 if promote else None,
    }
    jobs = [
        Job(m, {**options, "method": m}, state.new_model_dir(f"{data.cell_line}-{model}-{m}"))
        for m in methods
    ]
    run = TrainingRun(feats.table, feats.meta, data.name, jobs).start()
    st.session_state["ncv_run"] = run
    busy = True


def live() -> None:
    jobs = run.snapshot()
    for job in jobs:
        st.progress(job.fraction(), text=job.describe())
    histories = {
        j.name if stage == "train" else f"{j.name} · {stage}": rows
        for j in jobs
        for stage, rows in j.epochs.items()
    }
    done = [j for j in jobs if j.card]
    base = done[0].card["metrics"].get("baselines", {}) if done else {}
    render.chart(
        figures.training_curves(histories, {k: v.get("auroc") for k, v in base.items()}),
        "training-curves",
        figures.history_frame(histories),
    )
    if any(j.options["method"] == "ssl" for j in jobs):
        render.chart(
            figures.ssl_dynamics(histories), "pseudo-labelling", figures.history_frame(histories)
        )
    if run.running:
        stopping = run.stop.is_set()
        st.button(
            "Stopping after this epoch..." if stopping else "Stop",
            on_click=run.stop.set,
            icon=":material/stop:",
            disabled=stopping,
        )
    elif busy:
        st.rerun()  # the run ended: redraw the whole page once (results, Train button)


if run is not None:
    st.fragment(live, run_every=1.0 if busy else None)()

if run is not None and not busy:
    st.subheader("Results")
    active = state.model_path()
    for job in run.snapshot():
        render.show_notes(job.notes)
        if job.error:
            st.error(f"{job.name}: {job.error}", icon=":material/error:")
            continue
        m = job.card["metrics"]
        se = f" ± {render.fmt(m['val_auroc_se'])}" if "val_auroc_se" in m else ""
        cols = st.columns([3, 1, 1])
        cols[0].markdown(
            f"**{job.name}** ({job.status}, {len(job.card.get('history') or [])} "
            f"epochs): val AUROC {render.fmt(m.get('val_auroc'))}{se}, AUPR "
            f"{render.fmt(m.get('val_aupr'))}, accuracy {render.fmt(m.get('val_accuracy'))} · "
            f"saved as `{job.out.name}`" + (" · **active model**" if active == job.out else "")
        )
        if active != job.out:
            cols[1].button(
                "Use this model",
                key=f"use-{job.out.name}",
                on_click=state.set_model,
                args=(job.out,),
            )
        cols[2].download_button(
            "Download .zip",
            data=lambda p=job.out: zip_model(p),
            file_name=f"{job.out.name}.zip",
            mime="application/zip",
            on_click="ignore",
            key=f"zip-{job.out.name}",
            icon=":material/download:",
        )
