"""Data: the built-in demo (or your own files) -> the feature table of one cell line."""

from __future__ import annotations

import streamlit as st

from ncv_core.constants import CELL_LINES
from ncv_core.demo import ensure_demo
from ncv_core.features import build_features


@st.cache_resource(show_spinner="Building the demo data set (first start only)...")
def demo_paths():
    return ensure_demo()


@st.cache_data(show_spinner="Computing features...")
def features(loci: str, genome: str, tracks: str, cell_line: str):
    result = build_features(loci, genome, tracks, cell_line)
    return result.table, result.summary


st.title("Data")
demo = demo_paths()
cell_line = st.selectbox("Cell line", CELL_LINES)
table, summary = features(str(demo.loci[cell_line]), str(demo.genome), str(demo.tracks), cell_line)
st.caption(f"Demo loci for {cell_line}: {summary}")
st.dataframe(table.drop(columns=["seq"]), hide_index=True)
