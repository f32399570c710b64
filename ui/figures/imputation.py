"""Imputation: an imputed track beside its truth, the baseline and the cell line's other marks;
the held-out MSE per epoch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.figures.style import layout

__all__ = ["imputation_curves", "imputed_track_figure", "track_view_frame"]

_COLORS = {"imputed": "#2a7ab0", "measured (truth)": "#222222", "average activity": "#999999"}


def _rows(view: Any, mark: str) -> list[tuple[str, Any]]:
    rows = [(f"{mark} imputed", view.imputed)]
    if view.truth is not None:
        rows.append((f"{mark} measured (truth)", view.truth))
    if view.baseline is not None:
        rows.append((f"{mark} average activity", view.baseline))
    return rows + [(f"{m} measured", v) for m, v in view.neighbours.items()]


def imputed_track_figure(view: Any, cell: str, mark: str) -> go.Figure:
    """One panel per track of a :class:`~ncv_core.impute.view.TrackView`, 25-bp bins as steps."""
    rows = _rows(view, mark)
    fig = make_subplots(rows=len(rows), cols=1, shared_xaxes=True, vertical_spacing=0.02)
    x = view.starts
    for i, (name, values) in enumerate(rows, start=1):
        kind = next((k for k in _COLORS if k in name), "measured")
        fig.add_trace(
            go.Scatter(
                x=x,
                y=values,
                mode="lines",
                line={"shape": "hv", "width": 1.2, "color": _COLORS.get(kind, "#5a9e4b")},
                fill="tozeroy",
                name=name,
                hovertemplate="%{x:,}<br>%{y:.2f}<extra>" + name + "</extra>",
            ),
            row=i,
            col=1,
        )
        fig.update_yaxes(title_text=name.replace(" ", "<br>", 1), row=i, col=1, title_font_size=10)
    chrom, start, end = view.region
    fig.update_xaxes(title_text=f"{chrom} (0-based)", row=len(rows), col=1)
    return layout(
        fig,
        f"{cell} {mark}: imputed, {chrom}:{start:,}-{end:,}",
        height=110 * len(rows) + 90,
        showlegend=False,
    )


def track_view_frame(view: Any, mark: str) -> pd.DataFrame:
    """The figure's data: one column per track, one row per bin."""
    out = pd.DataFrame({"chrom": view.region[0], "start": view.starts, "end": view.starts + 25})
    for name, values in _rows(view, mark):
        out[name] = values
    return out


def imputation_curves(history: Sequence[dict]) -> go.Figure:
    """Training MSE and held-out MSE (when tracks are held out) per epoch."""
    fig = go.Figure()
    for key, name in (("train_mse", "training MSE"), ("heldout_mse", "held-out MSE")):
        points = [(r["epoch"], r[key]) for r in history if r.get(key) is not None]
        if points:
            fig.add_trace(
                go.Scatter(
                    x=[p[0] for p in points],
                    y=[p[1] for p in points],
                    name=name,
                    mode="lines+markers",
                )  # fmt: skip
            )
    fig.update_xaxes(title="epoch")
    fig.update_yaxes(title="MSE (arcsinh scale)", rangemode="tozero")
    return layout(fig, "Avocado training", hovermode="x unified", height=320)
