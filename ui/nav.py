"""Where to go next: one short link at the end of every page (Data -> Train -> Evaluate -> ...).

Pages call :func:`next_step` with the page to go to and why; :data:`FLOW` is the path a new user
follows on the demo, so a page added later (Imputation, Cross-species) can slot itself in.
"""

from __future__ import annotations

import streamlit as st

FLOW: dict[str, tuple[str, str, str]] = {
    "data": ("pages/train.py", "Train a model on these loci", ":material/model_training:"),
    "train": ("pages/evaluate.py", "Evaluate the active model", ":material/query_stats:"),
    "models": ("pages/evaluate.py", "Evaluate the active model", ":material/query_stats:"),
    "cross_species": (
        "pages/evaluate.py",
        "Evaluate the active model",
        ":material/query_stats:",
    ),
    "evaluate": (
        "pages/importance.py",
        "See which features matter (feature importance)",
        ":material/bar_chart:",
    ),
    "importance": ("pages/motifs.py", "Read the model's filters as motifs", ":material/texture:"),
    "motifs": ("pages/mutagenesis.py", "Mutate a locus base by base", ":material/grid_on:"),
    "mutagenesis": ("pages/lookup.py", "Score your own variants", ":material/search:"),
    "imputation": ("pages/data.py", "The data set and its tracks", ":material/table_view:"),
    "lookup": ("pages/data.py", "Load your own loci, genome and tracks", ":material/table_view:"),
}
"""Page key -> (the next page's file, the link text, its icon)."""


def next_step(
    page: str,
    why: str | None = None,
    *,
    target: str | None = None,
    label: str | None = None,
    icon: str | None = None,
) -> None:
    """A divider and a link to the next page of :data:`FLOW` after ``page`` (or to ``target``
    with ``label``), and why to go there."""
    file, label_, icon_ = FLOW.get(page, ("pages/data.py", "Data", None))
    if target is not None:
        file, label_, icon_ = target, label or "the next page", icon
    label, icon = label or label_, icon or icon_
    st.divider()
    st.page_link(file, label=f"Next: {label}", icon=icon)
    if why:
        st.caption(why)
