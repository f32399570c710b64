"""ncv-explorer: which of my non-coding variants matter, and why?

Start with ``streamlit run app.py``: it opens on the built-in demo data set (built on first start,
a few seconds). Every page is a thin layer over ``ncv_core``.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="ncv-explorer", page_icon=":dna:", layout="wide")

PAGES = [
    st.Page("pages/data.py", title="Data", icon=":material/table_view:", default=True),
]

st.navigation(PAGES).run()
