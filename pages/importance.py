"""Feature importance: distributions per label, correlation with the label, group ablation."""

from __future__ import annotations

import streamlit as st

from ncv_core.interpret.ablation import GROUP_LABELS, GROUPS, group_ablation
from ui import cached, figures, frame, live, nav, render, state, words
from ui.jobs import TaskRun

frame.require(__file__)

st.title("Feature importance")
data = state.dataset()
feats = cached.features(data)
n_pos = int((feats.table["label"] == 1).sum()) if "label" in feats.table else 0
n_neg = int((feats.table["label"] == 0).sum()) if "label" in feats.table else 0
if min(n_pos, n_neg) < 2:
    st.info(
        f"{data.name} has {n_pos} functional and {n_neg} non-functional labelled loci: feature "
        "importance compares the two, so it needs a `label` column with both (1 and 0)."
    )
    st.stop()
st.caption(
    f"**{data.name}**: {n_pos:,} functional and {n_neg:,} non-functional labelled loci "
    "(unlabelled rows are not used here)."
)

st.subheader("Correlation with the label")
standardize = st.toggle(
    "Standardise features first",
    help="z-scores over the labelled rows (the distributions become comparable across marks; "
    "correlations do not change)",
)
imp = cached.importance(data, standardize)
top = st.slider("Features shown", 5, max(5, len(imp.correlation)), min(30, len(imp.correlation)))
render.chart(figures.correlation_bars(imp.correlation, top), f"correlation-{data.name}")
render.table(
    imp.correlation,
    f"correlation-{data.name}",
    height=240,
    column_config={"p_value": st.column_config.NumberColumn(format="scientific")},
)

st.subheader("Distribution per label")
ranked = list(imp.correlation["feature"])
feature = st.selectbox("Feature", ranked, help="ordered by |r|, the strongest first")
c1, c2 = st.columns([1, 1])  # the summary table: both labels readable
with c1:
    if feature in imp.binary:
        render.chart(
            figures.binary_bars(imp.summary, feature),
            f"distribution-{feature}",
            imp.summary[imp.summary["feature"] == feature],
        )
        st.caption(f"{feature} is 0 or 1 for every locus: the share of loci with 1 per label.")
    else:
        render.chart(
            figures.label_histogram(imp.histograms, feature),
            f"distribution-{feature}",
            imp.histograms[imp.histograms["feature"] == feature],
        )
with c2:
    summary = imp.summary[imp.summary["feature"] == feature].drop(columns=["feature", "group"])
    summary = summary.set_index("label").rename(index=words.LABEL_WORDS).T
    st.dataframe(summary.rename(index=words.SUMMARY_WORDS), width="stretch")

st.subheader("Feature-group ablation")
st.write(
    "Cross-validated AUROC of a model trained with **only** each group of features, and "
    "**without** it, beside the model on everything (the SSL_dnn paper's Fig. 2d). Every run "
    "uses the same folds, so the change from *everything* has a paired standard error."
)
job: TaskRun | None = st.session_state.get("ncv_ablation_run")
if job is not None and job.key[0] != data.key():
    job = None  # another data set's ablation
busy = job is not None and job.running
# the widgets start as the last ablation's settings: coming back to the page shows its results
last = job.key[1:] if job is not None else None
METHODS = ["supervised", "ssl"]
groups = st.multiselect(
    "Feature groups",
    GROUPS,
    default=list(last[0])
    if last
    else [g for g in GROUPS if g != "sequence" or "seq" in feats.table.columns],
    format_func=lambda g: GROUP_LABELS.get(g, g),
)
c2, c3, c4 = st.columns(3)
folds = c2.number_input("Folds", 2, 10, last[1] if last else 5)
epochs = c3.number_input(
    "Epochs per run",
    1,
    100,
    last[2] if last else 10,
    help="10 is within 0.006 AUROC of 30 on the demo, at a third of the time",
)
method = c4.selectbox(
    "Method",
    METHODS,
    index=METHODS.index(last[3]) if last else 0,
    help="ssl costs about twice as much",
)
runs = 1 + 2 * len(groups)
key = (data.key(), tuple(groups), int(folds), int(epochs), method)
if st.button(
    f"Run the ablation ({runs} runs x {folds} folds)",
    icon=":material/play_arrow:",
    disabled=busy or not groups,
    help="Runs in the background: you can use other pages meanwhile." if not busy else None,
):
    table, meta = feats.table, feats.meta
    job = TaskRun(
        "ablation",
        lambda progress, stop: group_ablation(
            table,
            meta=meta,
            groups=groups,
            folds=int(folds),
            epochs=int(epochs),
            method=method,
            threads=None,  # the job's one torch thread (ui.jobs)
            progress=progress,
            stop=stop,
        ),
        key=key,
    ).start()
    st.session_state["ncv_ablation_run"] = job
    busy = True


def progress() -> None:
    snap = job.snapshot()
    ev = snap["last"]
    done, total = (ev["done"], ev["total"]) if ev else (0, runs)
    text = f"Ablation: run {done}/{total} finished"
    if ev:
        text += f" · last: {GROUP_LABELS.get(ev['group'], ev['group'])}, {ev['mode']}: AUROC "
        text += words.with_se(ev.get("auroc"), ev.get("auroc_se"))
    if snap["status"] == "stopped":
        text = f"Ablation stopped after {done}/{total} runs"
    st.progress(done / (total or 1), text=text)


if job is not None and job.key == key:
    live.poll(job, busy, progress, key="ablation", stop="Stop the ablation")
    snap = job.snapshot()
    render.show_notes(snap["notes"])
    if snap["status"] == "failed":
        render.error(snap["error"])
    result = snap["result"]
    if result is not None:
        render.chart(figures.ablation_bars(result.table), f"ablation-{data.name}")
        shown = result.table.drop(columns=["features"], errors="ignore")
        render.table(shown, f"ablation-{data.name}")
        render.csv_button(result.folds, f"ablation-folds-{data.name}")
        st.caption(
            f"{result.settings['method']}, {result.settings['epochs']} epochs, "
            f"{result.settings['folds']} folds, seed {result.settings['seed']}: "
            f"{result.settings['seconds']:.0f} s."
        )
elif job is not None:
    st.caption(
        "The last ablation ran with other settings: set them back to see its results, or run "
        "this one."
    )

nav.next_step("importance", "The motifs the model's first-layer filters learned.")
