"""Cross-species: lift the labelled loci to related genomes, see what lifted and why not, and train
with pre-training on the homologous windows (Phan et al.; docs/CROSS_SPECIES.md)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ncv_core.features.cross_species import Target, species_name
from ncv_core.models import MODELS
from ncv_core.training.pretrain import Pretraining
from ui import cached, figures, frame, live, nav, render, state, words
from ui.jobs import Job, TrainingRun

frame.require(__file__)

SEQUENCE_ONLY = sorted(name for name, cls in MODELS.items() if cls.INPUTS == ("seq",))

st.title("Cross-species")
st.caption(
    "The labelled loci are lifted through chain files (UCSC liftOver rules) to related genomes; "
    "each homologous window gets the human label. A sequence model is pre-trained on those "
    "pseudo-labels, then fine-tuned on the human labels. Homologs of validation loci and of "
    "held-out chromosomes never reach pre-training."
)
data = state.dataset()
feats = cached.features(data)
window = int(feats.meta.get("window") or len(feats.table["seq"].iloc[0]))

source = st.radio("Chain files and genomes", ["The demo's species", "My files"], horizontal=True)
if source == "The demo's species":
    available = cached.demo_species()
    everyone = [t.name for t in available]
    names = st.multiselect("Species", everyone, default=everyone)
    targets = [t for t in available if t.name in names]
    if not data.demo:
        st.warning("The demo's chains lift the demo genome: your loci must be on it.")
else:
    text = st.text_area(
        "One species per line: CHAIN GENOME [NAME], paths on this server (a chain file from your "
        "loci's genome to the species, FILE.over.chain[.gz], and its FASTA; the name defaults "
        "to the chain file's: hg38ToMm10.over.chain.gz -> mm10)",
        key="cs-targets",
    )
    lines = [line.split() for line in text.splitlines() if line.strip()]
    targets = [
        Target(w[2] if len(w) > 2 else species_name(w[0]), Path(w[0]), Path(w[1]))
        for w in lines
        if len(w) >= 2
    ]
    if len(targets) < len(lines):
        st.warning("Each line needs a chain file and a genome, separated by spaces.")
    names = [t.name for t in targets]
if not targets:
    st.info("Pick at least one species (a chain file and its genome).")
    st.stop()

lifted = cached.cross_species(data, targets, window)
render.show_notes(lifted.notes)
pseudo = lifted.table
cols = st.columns(4)
cols[0].metric("Labelled loci", f"{lifted.n_loci:,}")
cols[1].metric("Pseudo-labelled windows", f"{len(pseudo):,}")
cols[2].metric("Positive windows", f"{int((pseudo['label'] == 1).sum()):,}")
cols[3].metric("Rejected (all species)", f"{len(lifted.rejected):,}")
render.chart(
    figures.lift_outcomes(lifted.counts), "lift-outcomes", figures.lift_outcome_frame(lifted.counts)
)
render.table(lifted.counts, "lift-counts")
render.csv_button(pseudo, "pseudo-labels", "Download the pseudo-label table", tsv=True)

st.subheader("Rejected loci")
c1, c2 = st.columns(2)
which = c1.selectbox("Species", ["all", *names])
reasons = sorted(lifted.rejected["category"].unique())
reason = c2.selectbox("Reason", ["all", *reasons])
shown = lifted.rejected
if which != "all":
    shown = shown[shown["species"] == which]
if reason != "all":
    shown = shown[shown["category"] == reason]
render.table(shown, "rejected-loci", tsv=True, height=260)

st.subheader("Train with pre-training")
run: TrainingRun | None = st.session_state.get("ncv_run")  # one run a session (the Train page's)
busy = run is not None and run.running
if run is not None and run.pretrain is None:  # a Train page run: shown there, not here
    run = None
    if busy:
        st.info("The Train page's run is still training; start this one when it ends.")
c1, c2, c3 = st.columns([1, 2, 1])
model = c1.selectbox("Model", SEQUENCE_ONLY, index=SEQUENCE_ONLY.index("deepbind"))
methods = c2.multiselect(
    "Fine-tuning methods", ["supervised", "noisy-student"], default=["supervised"]
)
baseline = c3.checkbox("Also without pre-training", value=True, help="the same runs, random init")
c1, c2, c3, c4 = st.columns(4)
epochs = c1.number_input("Fine-tuning epochs", 1, 300, 10)
pre_epochs = c2.number_input("Pre-training epochs", 1, 300, 10)
lr = c3.number_input("Learning rate (Adam)", 1e-5, 1.0, 0.001, format="%.4f")
seed = c4.number_input("Seed", 0, 10_000, 0)
st.caption(
    f"Pre-training uses the pseudo-labels of the labelled training rows only; the split holds "
    f"whole chromosomes out for validation. {len(pseudo):,} windows before that rule."
)

if st.button("Pre-train and fine-tune", type="primary", icon=":material/play_arrow:",
             disabled=busy or not methods):  # fmt: skip
    options = {"model": model, "epochs": int(epochs), "seed": int(seed), "optimizer": "adam",
               "lr": float(lr)}  # fmt: skip
    stem = f"{data.cell_line}-{model}"
    jobs = [
        Job(f"{m} + pretrain", {**options, "method": m},
            state.new_model_dir(f"{stem}-{m}-pretrain"), pretrained=True)
        for m in methods
    ]  # fmt: skip
    if baseline:
        jobs += [
            Job(m, {**options, "method": m}, state.new_model_dir(f"{stem}-{m}")) for m in methods
        ]
    what = f"{data.name} lifted to {', '.join(names)}"
    pre = Pretraining.of([pseudo], [what], epochs=int(pre_epochs))
    run = TrainingRun(feats.table, feats.meta, data.name, jobs, pretrain=pre).start()
    st.session_state["ncv_run"] = run
    busy = True

if run is not None:
    live.show_run(run, busy, "cross-species-curves")

if run is not None and not busy:
    if run.adoption:
        st.success(run.adoption, icon=":material/check_circle:")
    for job in run.snapshot():
        render.show_notes(job.notes)
        if job.error:
            render.error(f"{job.name}: {job.error}")
            continue
        m, pre_card = job.card["metrics"], job.card.get("pretrain")
        used = f", pre-trained on {pre_card['n_used']:,} pseudo-labels" if pre_card else ""
        st.markdown(
            f"**{job.name}** ({job.status}{used}): AUROC on held-out rows "
            f"{render.fmt(m.get('val_auroc'))}, AUPR {render.fmt(m.get('val_aupr'))} · saved as "
            f"`{job.out.name}`",
            help=words.explain("val_auroc"),
        )
    nav.next_step(
        "cross_species",
        "ROC and precision-recall curves of the active model on held-out rows; Models lists "
        "every run of this session.",
    )
