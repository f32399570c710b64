"""Evaluate: ROC and PR with the baseline columns, cross-validation, cross-cell-line transfer."""

from __future__ import annotations

import streamlit as st

from ncv_core.constants import CELL_LINES
from ncv_core.evaluate import cross_cell_line
from ncv_core.io.model_folder import save_model
from ncv_core.models.loaded import LoadedModel
from ncv_core.training import TrainConfig, train
from ui import cached, dataset, figures, frame, nav, notes, render, state, words

frame.require(__file__)

st.title("Evaluate")
path = render.require_model("Evaluation")
data = state.dataset()
loaded = cached.model(path)
card = loaded.card
report, found = cached.evaluation(path, data)
render.show_notes(found)
ROWS_SHORT = {"validation": "held-out rows", "out-of-fold": "out-of-fold", "all": "every row"}
rows = ROWS_SHORT[report["rows"]]
st.markdown(
    f"**{path.name}** on **{data.name}**, scored on **{report['rows_description']}**: "
    f"{report['n']:,} loci ({report['n_pos']:,} functional, {report['n_neg']:,} not)."
)
if report["rows"] == "all" and (card.get("data") or {}).get("sha256"):
    st.caption(
        "This is not the table the model was trained on, so every labelled row counts (none "
        "of them was seen in training, unless the two tables share loci)."
    )
elif report["rows"] == "out-of-fold":
    st.caption(
        f"{path.name} itself was refit on every row, so its own predictions on these rows "
        "would be optimistic; the curves use the fold models' predictions instead."
    )
METRICS = {k: words.METRIC_WORDS[k] for k in ("auroc", "aupr", "accuracy", "n")}
render.table(figures.metrics_frame(report), f"metrics-{path.name}", words=METRICS)
method = card.get("method")
c1, c2 = st.columns(2)
with c1:
    fig = figures.roc_figure(report, model_name=path.name, method=method)
    render.chart(fig.update_layout(title_text=f"ROC ({rows})"), f"roc-{path.name}")
with c2:
    fig = figures.pr_figure(report, model_name=path.name, method=method)
    render.chart(fig.update_layout(title_text=f"Precision-recall ({rows})"), f"pr-{path.name}")
render.csv_button(figures.curves_frame(report), f"roc-pr-{path.name}")

st.subheader("Cross-validation")
if note := st.session_state.pop("ncv_cv_note", None):
    st.info(note, icon=":material/info:")
config = TrainConfig.from_dict({**card["config"], "model": card["architecture"]["name"]})


if card["metrics"].get("folds"):
    render.chart(
        figures.cv_figure(card["metrics"], card.get("method")),
        f"cv-{path.name}",
        figures.cv_frame(card["metrics"]),
    )
    st.caption(
        "Each fold model is scored on the fold it did not train on; bars are the mean over "
        "folds with its standard error, dots the folds."
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
        st.session_state["ncv_cv_note"] = (
            f"{out.name} is now the active model: the final model refit on every row of "
            f"{data.name}. Its curves above are out-of-fold (each row scored by the fold model "
            "that did not train on it)."
        )
        st.rerun()

st.subheader("Cross-cell-line transfer")
if not data.demo:
    st.write(
        "Needs a labelled loci table per cell line; the demo data set has one for each of "
        f"{', '.join(CELL_LINES)}."
    )
    nav.next_step("evaluate", "Which features and feature groups carry the prediction.")
    st.stop()
own = (card.get("features") or {}).get("cell_line")
reuse = f"; {own} reuses this model" if own in CELL_LINES else ""
st.write(
    f"Train {path.name}'s settings on each cell line's demo table (paper split{reuse}) "
    "and evaluate every model on every table: its own held-out rows (or out-of-fold "
    "predictions) on its own table, every labelled row elsewhere (the paper's Fig. 4)."
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

nav.next_step("evaluate", "Which features and feature groups carry the prediction.")
