"""Feature importance: distributions per label, correlation with the label, group ablation."""

from __future__ import annotations

import streamlit as st

from ncv_core.errors import NcvError
from ncv_core.interpret.ablation import GROUP_LABELS, GROUPS, group_ablation
from ui import cached, figures, frame, notes, render, state

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
c1, c2 = st.columns([3, 2])
with c1:
    render.chart(
        figures.label_histogram(imp.histograms, feature),
        f"distribution-{feature}",
        imp.histograms[imp.histograms["feature"] == feature],
    )
with c2:
    summary = imp.summary[imp.summary["feature"] == feature].drop(columns=["feature", "group"])
    st.dataframe(summary.set_index("label").T, width="stretch")

st.subheader("Feature-group ablation")
st.write(
    "Cross-validated AUROC of a model trained with **only** each group of features, and "
    "**without** it, beside the model on everything (the SSL_dnn paper's Fig. 2d). Every run "
    "uses the same folds, so the change from *everything* has a paired standard error."
)
c1, c2, c3, c4 = st.columns(4)
groups = c1.multiselect(
    "Groups",
    GROUPS,
    default=[g for g in GROUPS if g != "sequence" or "seq" in feats.table.columns],
    format_func=lambda g: GROUP_LABELS.get(g, g),
)
folds = c2.number_input("Folds", 2, 10, 5)
epochs = c3.number_input(
    "Epochs per run",
    1,
    100,
    10,
    help="10 is within 0.006 AUROC of 30 on the demo, at a third of the time",
)
method = c4.selectbox("Method", ["supervised", "ssl"], help="ssl costs about twice as much")
runs = 1 + 2 * len(groups)
key = (data.key(), tuple(groups), int(folds), int(epochs), method)
if st.button(f"Run the ablation ({runs} runs x {folds} folds)", icon=":material/play_arrow:"):
    try:
        with notes.collect() as found:
            result = group_ablation(
                feats.table,
                meta=feats.meta,
                groups=groups,
                folds=int(folds),
                epochs=int(epochs),
                method=method,
                progress=render.progress_bar("Ablation"),
            )
    except NcvError as exc:
        st.error(str(exc), icon=":material/error:")
        st.stop()
    st.session_state["ncv_ablation"] = (key, result, found)
saved = st.session_state.get("ncv_ablation")
if saved and saved[0] == key:
    _, result, found = saved
    render.show_notes(found)
    render.chart(figures.ablation_bars(result.table), f"ablation-{data.name}")
    shown = result.table.drop(columns=["features"], errors="ignore")
    render.table(shown, f"ablation-{data.name}")
    render.csv_button(result.folds, f"ablation-folds-{data.name}")
    st.caption(
        f"{result.settings['method']}, {result.settings['epochs']} epochs, "
        f"{result.settings['folds']} folds, seed {result.settings['seed']}: "
        f"{result.settings['seconds']:.0f} s."
    )
