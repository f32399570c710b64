"""Models: this session's saved models with their cards and metrics; use, upload, download."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ncv_core.errors import NcvError
from ui import frame, modelfiles, nav, render, state, words

frame.require(__file__)

st.title("Models")
models = state.saved_models()
active = state.model_path()

if not models:
    st.info("No models in this session yet: train one on the Train page, or upload one below.")
else:
    rows = []
    for folder, card in models:
        m = card["metrics"]
        rows.append(
            {
                "model": folder.name,
                "active": folder == active,
                "architecture": card["architecture"]["name"],
                "method": card.get("method"),
                "cell line": (card.get("features") or {}).get("cell_line"),
                "split": (card.get("split") or {}).get("kind"),
                "epochs": len(card.get("history") or []),
                "val_auroc": m.get("val_auroc"),
                "val_auroc_se": m.get("val_auroc_se"),
                "val_aupr": m.get("val_aupr"),
                "val_accuracy": m.get("val_accuracy"),
                "termination": words.termination(card),
                "parameters": card["architecture"].get("n_parameters"),
            }
        )
    shown = {k: words.METRIC_WORDS[k] for k in ("val_auroc", "val_aupr", "val_accuracy")}
    shown["val_auroc_se"] = (
        "± SE (cross-validation)",
        "val_auroc_se: standard error over the folds; empty for a single validation set.",
    )
    shown["termination"] = ("how training ended", "termination (card.json's training section)")
    shown["split"] = ("split", "paper: one held-out validation set; cv: K folds + a final model")
    render.table(pd.DataFrame(rows), "models", words=shown)

    names = [f.name for f, _ in models]
    index = names.index(active.name) if active is not None and active.name in names else 0
    name = st.selectbox("Model", names, index=index)
    folder, card = models[names.index(name)]
    c1, c2, _ = st.columns([1, 1, 3])
    c1.button(
        "Use this model",
        type="primary",
        disabled=folder == active,
        on_click=state.set_model,
        args=(folder,),
        icon=":material/check:",
    )
    c2.download_button(
        "Download .zip",
        data=lambda: modelfiles.zip_model(folder),
        file_name=f"{folder.name}.zip",
        mime="application/zip",
        on_click="ignore",
        icon=":material/download:",
    )
    m = card["metrics"]
    cols = st.columns(4)
    for col, key in zip(cols, ("val_auroc", "val_aupr", "val_accuracy", "n_val"), strict=True):
        value = m.get(key)
        shown_value = value if key == "n_val" else words.with_se(value, m.get(f"{key}_se"))
        col.metric(words.word(key), shown_value, help=words.explain(key))
    base = m.get("baselines") or {}
    if base:
        st.caption("Baseline score columns on the same validation rows:")
        frame = pd.DataFrame(
            [
                {"column": k, **{x: v.get(x) for x in ("auroc", "aupr", "n")}}
                for k, v in base.items()
            ]
        )
        render.table(frame, f"baselines-{folder.name}")
    with st.expander("Model card (card.json)"):
        st.json(card, expanded=1)

st.subheader("Upload a model")
files = st.file_uploader(
    "A model folder's files (model.safetensors and card.json, optionally split.tsv), or the "
    "folder as a .zip",
    type=["safetensors", "json", "tsv", "zip"],
    accept_multiple_files=True,
)
if files and st.button("Add the uploaded model", icon=":material/upload:"):
    zips = [f.name[:-4] for f in files if f.name.lower().endswith(".zip")]
    try:
        found = modelfiles.collect_upload((f.name, f.getvalue()) for f in files)
        same = modelfiles.same_model(found, [folder for folder, _ in models])
        folder = same or modelfiles.install_upload(
            found, state.new_model_dir(zips[0] if zips else "uploaded")
        )
    except NcvError as exc:
        render.error(f"This upload is not a usable model: {exc}")
    else:
        state.set_model(folder)
        st.session_state["ncv_upload_note"] = (
            f"This model is already here as {folder.name}; it is now the active model."
            if same
            else f"Added {folder.name}; it is now the active model."
        )
        st.rerun()
if note := st.session_state.pop("ncv_upload_note", None):
    st.success(note, icon=":material/check_circle:")

nav.next_step("models", "ROC and precision-recall curves of the active model on held-out rows.")
