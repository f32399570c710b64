"""Shared look of every figure: colours (bases, methods, groups), the modebar config, titles."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

CONFIG: dict[str, Any] = {
    "displayModeBar": True,
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
"""Plotly config for ``st.plotly_chart``: the modebar always shows its camera (PNG) button."""

BASE_COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839", "N": "#999999"}
METHOD_COLORS = {"ssl": "#2a7ab0", "supervised": "#e07a1f", "noisy-student": "#5a9e4b"}


def nan_of(x: Any) -> float:
    return float("nan") if x is None else float(x)


def layout(fig: go.Figure, title: str, **kw: Any) -> go.Figure:
    kw.setdefault("margin", {"l": 50, "r": 20, "t": 50, "b": 45})
    fig.update_layout(title=title, **kw)
    return fig


def series_color(name: str) -> str | None:
    return METHOD_COLORS.get(name.split(" ")[0])
