"""The sidebar every page shares: the session's active data set and model, always visible,
and any background work still running."""

from __future__ import annotations

import streamlit as st

from ncv_core.errors import NcvError
from ncv_core.io.model_folder import read_card
from ui import cached, state, words


def show() -> None:
    data = state.dataset()
    path = state.model_path()
    with st.sidebar:
        st.caption("Data set")
        try:
            n = cached.n_rows(data)
            st.markdown(f"**{data.name}** · {data.cell_line} · {n:,} rows")
        except NcvError as exc:
            st.markdown(f"**{data.name}** · {data.cell_line}")
            st.caption(f"unavailable: {state.public_text(str(exc))}")
        st.caption("Active model (used by Evaluate and the Interpret pages)")
        if path is None:
            st.markdown("none yet: train one (Train) or load one (Models)")
        else:
            _model(path)
        _running()


def _model(path) -> None:
    try:
        card = read_card(path)
    except NcvError as exc:
        st.caption(f"{path.name}: {state.public_text(str(exc))}")
        return
    arch, metrics = card["architecture"], card["metrics"]
    cell = (card.get("features") or {}).get("cell_line") or "?"
    auroc = words.with_se(metrics.get("val_auroc"), metrics.get("val_auroc_se"))
    st.markdown(
        f"**{path.name}** · {arch['name']} · {card.get('method', '?')} · trained on {cell} · "
        f"AUROC on held-out rows {auroc}",
        help=words.explain("val_auroc"),
    )
    st.page_link("pages/models.py", label="Change the model", icon=":material/swap_horiz:")


def _running() -> None:
    runs = [
        ("training", st.session_state.get("ncv_run")),
        ("ablation", st.session_state.get("ncv_ablation_run")),
        ("imputation", st.session_state.get("ncv_impute_run")),
    ]
    busy = [name for name, run in runs if run is not None and run.running]
    if busy:
        st.caption(f"Running in the background: {', '.join(busy)}")
