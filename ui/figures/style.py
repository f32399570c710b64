"""Shared look of every figure: colours (bases, methods, scorers, groups), the modebar config,
titles.

One colour per scorer across the app: a trained model takes its method's colour
(:data:`METHOD_COLORS`, the same on Train, Evaluate and everywhere else), each baseline score
column a colour of :data:`BASELINE_PALETTE` by its sorted name, and every reference line
(chance, no change) the neutral :data:`NEUTRAL` grey. Figures set colours explicitly: the
Streamlit theme's colorway would otherwise colour traces by their position in each figure.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go

CONFIG: dict[str, Any] = {
    "displayModeBar": True,
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
"""Plotly config for ``st.plotly_chart``: the modebar always shows its camera (PNG) button."""

BASE_COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839", "N": "#999999"}
METHOD_COLORS = {"ssl": "#1f5fa8", "supervised": "#e07a1f", "noisy-student": "#3d8b37"}
MODEL_COLOR = "#1f4e79"
"""A model whose method is unknown (an uploaded card without one)."""
BASELINE_PALETTE = ("#8e44ad", "#c2185b", "#607d8b", "#00897b", "#7b6d00", "#5d4037")
"""Baseline score columns (CADD, DeepSEA, ...), assigned by sorted column name."""
NEUTRAL = "#9e9e9e"
"""Chance lines, identity lines and other references."""
POSITIVE, NEGATIVE = "#d62839", "#2a7ab0"
"""Functional (label 1) and not functional (label 0) loci."""


def nan_of(x: Any) -> float:
    return float("nan") if x is None else float(x)


def layout(fig: go.Figure, title: str, **kw: Any) -> go.Figure:
    """Title and margins: the title sits below the modebar (whose icons would cover it in a
    narrow column), in the top margin."""
    kw.setdefault("margin", {"l": 50, "r": 20, "t": 72, "b": 45})
    title_spec = {"text": title, "y": 1.0, "yref": "container", "yanchor": "top"}
    fig.update_layout(title=title_spec | {"pad": {"t": 30}}, **kw)
    return fig


def series_color(name: str) -> str | None:
    """The method colour of a run named ``ssl``, ``supervised · fold 2/5``, ..."""
    return METHOD_COLORS.get(name.split(" ")[0])


def model_color(method: str | None) -> str:
    """A trained model's colour: its method's."""
    return METHOD_COLORS.get(method or "", MODEL_COLOR)


def baseline_colors(names: Iterable[str]) -> dict[str, str]:
    """A colour per baseline column, by sorted name: the same columns get the same colours in
    every figure, whatever order a figure lists them in."""
    ordered = sorted(set(names))
    return {n: BASELINE_PALETTE[i % len(BASELINE_PALETTE)] for i, n in enumerate(ordered)}
