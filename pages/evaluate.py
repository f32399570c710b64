"""Evaluate: ROC and PR with the baseline columns, cross-validation, cross-cell-line transfer."""

from __future__ import annotations

import streamlit as st

from ncv_core.constants import CELL_LINES
from ncv_core.evaluate import cross_cell_line
from ncv_core.io.model_folder import save_model
from ncv_core.models.loaded import LoadedModel
from ncv_core.training import TrainConfig, train
from ui import cached, dataset, figures, frame, notes, render, state

frame.require(__file__)

st.title("Evaluate")
path = render.require_model("Evaluation")
data = state.dataset()
loaded = cached.model(path)
card = loaded.card
report, found = cached.evaluation(path, data)
render.show_notes(found)
rows = (
    "its validation rows (held out in training)"
    if report["rows"] == "validation"
    else ("every labelled row")
)
st.caption(
    f"**{path.name}** on **{data.name}**, {rows}: {report['n']:,} loci "
    f"({report['n_pos']:,} functional, {report['n_neg']:,} not)."
)
render.table(figures.metrics_frame(report), f"metrics-{path.name}")
c1, c2 = st.columns(2)
with c1:
    render.chart(figures.roc_figure(report), f"roc-{path.name}")
with c2:
    render.chart(figures.pr_figure(report), f"pr-{path.name}")
render.csv_button(figures.curves_frame(report), f"roc-pr-{path.name}")

st.subheader("Cross-validation")
config = TrainConfig.from_dict({**card["config"], "model": card["architecture"]["name"]})


if card["metrics"].get("folds"):
    render.chart(
        figures.cv_figure(card["metrics"]), f"cv-{path.name}", figures.cv_frame(card["metrics"])
    )
else:
    st.write(
        f"{path.name} was trained on the paper's split (one validation set). "
        f"Cross-validate its settings ({config.method}, {config.epochs} epochs) on "
        f"{data.name}: K folds, then a final model on every row, saved beside it."
    )
    folds = st.number_input("Folds", 2, 10, 5)
    if st.button("Run cross-validation", icon=":material/play_arrow:"):
        feats = cached.features(data)
        result = train(
            feats.table,
            meta=feats.meta,
            source=data.name,
            config=TrainConfig.from_dict({**config.to_dict(), "split": "cv", "folds": int(folds)}),
            progress=render.progress_bar("Cross-validation"),
        )
        out = save_model(result, state.new_model_dir(f"{path.name}-cv"))
        state.set_model(out)
        st.rerun()

st.subheader("Cross-cell-line transfer")
if not data.demo:
    st.write(
        "Needs a labelled loci table per cell line; the demo data set has one for each of "
        f"{', '.join(CELL_LINES)}."
    )
    st.stop()
own = (card.get("features") or {}).get("cell_line") if card["split"]["kind"] == "paper" else None
reuse = f"; {own} reuses this model" if own in CELL_LINES else ""
st.write(
    f"Train {path.name}'s settings on each cell line's demo table (paper split{reuse}) "
    "and evaluate every model on every table: its own validation rows on "
    "its own table, every labelled row elsewhere (the paper's Fig. 4)."
)
key = f"ncv_cross_{path}"
if st.button("Train per cell line and evaluate", icon=":material/play_arrow:"):
    tables, models = {}, {}
    for cell in CELL_LINES:
        feats = cached.features(dataset.demo_dataset(cell))
        tables[cell] = feats.table
        if cell == own:
            models[cell] = loaded
            continue
        result = train(
            feats.table,
            meta=feats.meta,
            source=f"demo {cell}",
            config=TrainConfig.from_dict({**config.to_dict(), "split": "paper"}),
            progress=render.progress_bar(f"Training on {cell}"),
        )
        models[cell] = LoadedModel(result.model, result.card, result.split)
    with st.spinner("Evaluating every model on every cell line..."), notes.collect() as found:
        st.session_state[key] = cross_cell_line(models, tables)
    render.show_notes(found)
if key in st.session_state:
    frame = st.session_state[key]
    render.chart(figures.cross_cell_heatmap(frame), f"cross-cell-line-{path.name}", frame)
