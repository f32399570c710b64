"""ncv-explorer: which of my non-coding variants matter, and why?

Start with ``streamlit run app.py``: it opens on the built-in demo data set (built on first start,
a few seconds). Every page is a thin layer over ``ncv_core``; bad input (an ``NcvError``) is
shown as a message, never a traceback.
"""

from __future__ import annotations

import os

import streamlit as st
import torch

from ncv_core.errors import NcvError
from ui import frame, jobs, notes, render, sidebar, state, warm

st.set_page_config(page_title="ncv-explorer", page_icon=":dna:", layout="wide")
notes.install()
# One intra-op torch thread per script run and per training thread: sessions and trainings run
# side by side on the cores instead of fighting over them (a 3-epoch ssl_dnn run on the demo took
# 1.5 s of CPU with one thread, 14.8 s with torch's default two on a busy 2-core machine).
torch.set_num_threads(int(os.environ.get("NCV_TORCH_THREADS", "1")))

# Every page is listed here (a page starts with frame.require: see ui/frame.py).
PAGES = {
    "Data": [
        st.Page("pages/data.py", title="Data", icon=":material/table_view:", default=True),
        st.Page("pages/imputation.py", title="Imputation", icon=":material/auto_fix_high:"),
    ],
    "Models": [
        st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("pages/models.py", title="Models", icon=":material/inventory_2:"),
        st.Page("pages/evaluate.py", title="Evaluate", icon=":material/query_stats:"),
        st.Page("pages/cross_species.py", title="Cross-species", icon=":material/pets:"),
    ],
    "Interpret": [
        st.Page("pages/importance.py", title="Feature importance", icon=":material/bar_chart:"),
        st.Page("pages/motifs.py", title="Filter motifs", icon=":material/texture:"),
        st.Page("pages/mutagenesis.py", title="Mutagenesis", icon=":material/grid_on:"),
        st.Page("pages/lookup.py", title="Variant lookup", icon=":material/search:"),
    ],
}

page = st.navigation(PAGES)
frame.follow_deep_link()
jobs.adopt_finished()
sidebar.show()
warm.warm(state.model_path(), state.dataset())  # slow views precomputed in the background
try:
    with frame.active():
        page.run()
except NcvError as exc:
    render.error(exc)  # the file's own name, not the server's path; a hint for build mismatches
