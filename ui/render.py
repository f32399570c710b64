"""Small Streamlit helpers: figures and tables with their downloads, notes, the model guard."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui import state
from ui.figures import CONFIG


def csv_button(df: pd.DataFrame, name: str, label: str | None = None, *, tsv: bool = False) -> None:
    """A download button for ``df`` as ``name.csv`` (``name.tsv``), built only when clicked."""
    ext = "tsv" if tsv else "csv"
    st.download_button(
        label or f"Download {name}.{ext}",
        data=lambda: df.to_csv(index=False, sep="\t" if tsv else ","),
        file_name=f"{name}.{ext}",
        mime="text/tab-separated-values" if tsv else "text/csv",
        on_click="ignore",
        key=f"{ext}-{name}",
        icon=":material/download:",
    )


def chart(fig: go.Figure, name: str, data: pd.DataFrame | None = None) -> None:
    """A plotly figure (its modebar's camera button saves a PNG) and its data as CSV."""
    fig.update_layout(
        modebar={"orientation": "h"}, meta={"name": name}, title_x=0.0, title_font_size=15
    )
    config = {
        **CONFIG,
        "toImageButtonOptions": {**CONFIG["toImageButtonOptions"], "filename": name},
    }
    st.plotly_chart(fig, config=config, key=f"fig-{name}")
    if data is not None:
        csv_button(data, name)


def table(
    df: pd.DataFrame,
    name: str,
    *,
    tsv: bool = False,
    words: Mapping[str, tuple[str, str]] | None = None,
    **kwargs,
) -> None:
    """A dataframe and its CSV (or TSV) download. ``words`` (column -> (label, help)) shows
    plain column names with the technical name in the column's help; the download keeps the
    technical names."""
    config = dict(kwargs.pop("column_config", None) or {})
    for col, (label, helptext) in (words or {}).items():
        if col in df.columns and col not in config:
            config[col] = st.column_config.Column(label, help=helptext)
    st.dataframe(df, hide_index=True, column_config=config or None, **kwargs)
    csv_button(df, name, tsv=tsv)


def image(png: bytes, name: str, caption: str | None = None) -> None:
    """A PNG figure (a logo) and its download."""
    st.image(png, caption=caption)
    st.download_button(
        f"Download {name}.png",
        data=png,
        file_name=f"{name}.png",
        mime="image/png",
        on_click="ignore",
        key=f"png-{name}",
        icon=":material/download:",
    )


def show_notes(notes: Iterable[str]) -> None:
    """The core's warnings, one message each (server paths shown as file names)."""
    for note in notes:
        st.warning(state.public_text(note), icon=":material/warning:")


def error(problem: BaseException | str, hint: str | None = None) -> None:
    """An error message (``NcvError`` text), with the session's server paths shown as the
    files' own names; ``hint`` (what to do) under it. A build mismatch gets its hint by
    itself (:data:`BUILD_HINT`)."""
    text = state.public_text(str(problem))
    st.error(text, icon=":material/error:")
    if hint is None and ("genome build" in text or "##reference" in text):
        hint = BUILD_HINT
    if hint:
        st.info(hint, icon=":material/lightbulb:")


BUILD_HINT = (
    "The file's coordinates are of another genome build than the data set's genome. Load the "
    "genome (FASTA) and tracks of that build on **Data → My files** (genomes are read in place "
    "from this server), then score the file again; or lift the file over to this build first."
)


def require_model(what: str) -> Path:
    """The active model's folder, or a message pointing to Train / Models and a stop."""
    path = state.model_path()
    if path is None:
        st.info(f"{what} needs a model: train one on the Train page, or load one on Models.")
        st.page_link("pages/train.py", label="Train a model", icon=":material/model_training:")
        st.page_link("pages/models.py", label="Load a model", icon=":material/inventory_2:")
        st.stop()
    return path


def active_model_line(path: Path, card: dict) -> None:
    """``Model: **name** (architecture, method, trained on X)`` under a page's title."""
    cell = (card.get("features") or {}).get("cell_line") or "?"
    arch = card["architecture"]["name"]
    st.caption(
        f"Active model: **{path.name}** ({arch}, {card.get('method', '?')}, trained on {cell}); "
        "change it on Models."
    )


def progress_bar(label: str) -> Callable[[dict], None]:
    """A progress bar and the ``progress(dict)`` callback that moves it (epochs of a stage)."""
    bar = st.progress(0.0, text=label)

    def update(ev: dict) -> None:
        frac = min(1.0, ev["done"] / (ev["total"] or 1))
        bar.progress(frac, text=f"{label}: {ev['stage']} · {ev['done']}/{ev['total']}")

    return update


def fmt(x: float | None, digits: int = 3) -> str:
    """A metric for display: ``0.871``, or ``n/a`` when undefined."""
    if x is None or x != x:
        return "n/a"
    return f"{x:.{digits}f}"
