"""Models: this session's saved models with their cards and metrics; use, upload, download."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ncv_core.errors import NcvError
from ui import frame, modelfiles, render, state

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
                "val AUROC": m.get("val_auroc"),
                "± SE": m.get("val_auroc_se"),
                "val AUPR": m.get("val_aupr"),
                "val accuracy": m.get("val_accuracy"),
                "termination": (card.get("training") or {}).get("termination"),
                "parameters": card["architecture"].get("n_parameters"),
            }
        )
    render.table(pd.DataFrame(rows), "models")

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
        col.metric(key.replace("_", " "), value if key == "n_val" else render.fmt(value))
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
        folder = modelfiles.install_upload(
            found, state.new_model_dir(zips[0] if zips else "uploaded")
        )
    except NcvError as exc:
        st.error(f"This upload is not a usable model: {exc}", icon=":material/error:")
    else:
        state.set_model(folder)
        st.success(f"Added {folder.name}; it is now the active model.")
        st.rerun()
