"""The sidebar every page shares: the session's active data set and model."""

from __future__ import annotations

import streamlit as st

from ncv_core.errors import NcvError
from ncv_core.io.model_folder import read_card
from ui import cached, state
from ui.render import fmt


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
            st.caption(f"unavailable: {exc}")
        st.caption("Model")
        if path is None:
            st.markdown("none yet: train one or load one")
            return
        try:
            card = read_card(path)
        except NcvError as exc:
            st.caption(f"{path.name}: {exc}")
            return
        arch, metrics = card["architecture"], card["metrics"]
        cell = (card.get("features") or {}).get("cell_line") or "?"
        st.markdown(
            f"**{path.name}** · {arch['name']} · {card.get('method', '?')} · trained on {cell} · "
            f"val AUROC {fmt(metrics.get('val_auroc'))}"
        )
