"""Train: SSL and supervised side by side in background threads, live curves, stop, save."""

from __future__ import annotations

import streamlit as st

from ncv_core.models import MODELS
from ncv_core.training.types import METHODS, PRESETS, TrainConfig
from ui import cached, frame, live, nav, render, state, words
from ui.jobs import Job, TrainingRun
from ui.modelfiles import zip_model

frame.require(__file__)

SEQUENCE_ONLY = {name for name, cls in MODELS.items() if cls.INPUTS == ("seq",)}
DEFAULT = TrainConfig()

st.title("Train")
data = state.dataset()
feats = cached.features(data)
run: TrainingRun | None = st.session_state.get("ncv_run")
busy = run is not None and run.running

names = sorted(MODELS) if "seq" in feats.table.columns else ["mlp"]
c1, c2, c3 = st.columns([1, 2, 1])
model = c1.selectbox("Model", names, index=names.index("ssl_dnn") if "ssl_dnn" in names else 0)
methods = c2.multiselect(
    "Methods, trained side by side",
    METHODS,
    default=["ssl", "supervised"],
    help="ssl: pseudo-labels of the unlabelled loci join the loss (SSL_dnn); supervised: the "
    "labelled loci only; noisy-student: a teacher labels, noisy students learn",
)
split = c3.radio(
    "Split",
    ["paper", "cv"],
    horizontal=True,
    help="paper: balanced labelled and validation sets (validation on held-out chromosomes); "
    "cv: K folds (each scored on the fold it did not train on) + a final model on every row",
)
ramp = cached.training_plan(data, model=model, method="ssl", split=split, epochs=1)
full = ramp.epochs_for_full_alpha or 10
c1, c2, c3, c4, c5 = st.columns(5)
epochs = c1.number_input(
    "Epochs",
    1,
    300,
    min(max(10, full), 300),
    key=f"epochs-{data.name}-{model}-{split}",
    help=f"Passes over the labelled loci. The default, {full}, is the fewest with which the "
    "ssl loss weight α(t) reaches 1 on this data set (the paper trains 30).",
)
seq_only = model in SEQUENCE_ONLY  # these learn on the demo with Adam (docs/TRAINING.md)
optimizer = c2.selectbox(
    "Optimizer", ["preset", "sgd", "adam", "adamw"], index=2 * seq_only, key=f"opt-{model}"
)
lr = c3.number_input(
    "Learning rate (0: the preset's)",
    0.0,
    1.0,
    0.001 if seq_only else 0.0,
    format="%.4f",
    key=f"lr-{model}",
)
seed = c4.number_input("Seed", 0, 10_000, 0)
folds = c5.number_input("Folds", 2, 10, 5, disabled=split != "cv")
preset = st.radio(
    "Preset",
    PRESETS,
    horizontal=True,
    help="robust: transformed features, AdamW, a 5-network ensemble early-stopped on inner "
    "folds of the labelled rows, soft noisy-student SSL (tabular models); paper: the SSL_dnn "
    "paper's settings (docs/TRAINING.md)",
)
promote = st.checkbox(
    "ssl: move unlabelled loci the model is at least 95 % sure of into the labelled set after "
    "each epoch",
    help="The paper's promotion of pseudo-labels (threshold 0.95). Off by default: it lowered "
    "the AUROC on held-out rows on the demo (docs/TRAINING.md).",
)
options = {
    "model": model,
    "epochs": int(epochs),
    "seed": int(seed),
    "split": split,
    "folds": int(folds),
    "preset": preset,
    "optimizer": None if optimizer == "preset" else optimizer,
    "lr": float(lr) or None,
    "threshold": 0.95 if promote else None,
}
plans = {m: cached.training_plan(data, **options, method=m) for m in methods}
problem = next((p.problem for p in plans.values() if p.problem), None)
if problem:
    st.warning(
        f"{data.name} cannot be trained on with these settings: {state.public_text(problem)}",
        icon=":material/block:",
    )
ssl = plans.get("ssl")
if ssl is not None and ssl.final_alpha is not None:
    reach = (
        "reaches full weight (1)"
        if ssl.final_alpha >= 1
        else f"reaches only {ssl.final_alpha:.2f} (full weight from epoch {ssl.epochs_for_full_alpha})"
    )
    st.caption(
        f"ssl: the weight of the unlabelled loss, α(t), ramps from 0 at batch {DEFAULT.t1} to "
        f"1 at batch {DEFAULT.t2}. With {ssl.n_labelled:,} labelled loci ({ssl.batches_per_epoch} "
        f"batches an epoch), {int(epochs)} epochs {reach}."
    )
st.caption(f"Training on **{data.name}** ({len(feats.table):,} rows).")

reason = (
    "a training is running" if busy else (problem or ("choose a method" if not methods else None))
)
if st.button(
    "Train",
    type="primary",
    icon=":material/play_arrow:",
    disabled=reason is not None,
    help=f"Disabled: {reason}" if reason else None,
):
    jobs = [
        Job(m, {**options, "method": m}, state.new_model_dir(f"{data.cell_line}-{model}-{m}"))
        for m in methods
    ]
    run = TrainingRun(feats.table, feats.meta, data.name, jobs).start()
    st.session_state["ncv_run"] = run
    busy = True


if run is not None:
    live.show_run(run, busy, "training-curves")

if run is not None and not busy:
    st.subheader("Results")
    active = state.model_path()
    if run.adoption:
        st.success(run.adoption, icon=":material/check_circle:")
    for job in run.snapshot():
        render.show_notes(job.notes)
        if job.error:
            render.error(f"{job.name}: {job.error}")
            continue
        m = job.card["metrics"]
        cols = st.columns([3, 1, 1])
        cols[0].markdown(
            f"**{job.name}** ({job.status}: {words.termination(job.card)}, "
            f"{len(job.card.get('history') or [])} epochs): AUROC on held-out rows "
            f"{words.with_se(m.get('val_auroc'), m.get('val_auroc_se'))}, AUPR "
            f"{render.fmt(m.get('val_aupr'))}, accuracy {render.fmt(m.get('val_accuracy'))} · "
            f"saved as `{job.out.name}`" + (" · **active model**" if active == job.out else ""),
            help=words.explain("val_auroc"),
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
    nav.next_step(
        "train",
        "ROC and precision-recall curves on held-out rows, beside the baseline scores, and "
        "cross-validation.",
    )
