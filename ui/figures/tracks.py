"""The tracks around a locus: per-base signal of every mark, its peaks, the model's window."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.figures.style import layout

__all__ = ["tracks_figure", "tracks_frame"]


def tracks_figure(
    signals: Mapping[str, np.ndarray],
    start: int,
    *,
    variant: int | None = None,
    window: tuple[int, int] | None = None,
    chrom: str = "",
    peaks: Mapping[str, Sequence[tuple[int, int]]] | None = None,
    unit: str = "signal",
) -> go.Figure:
    """One small panel per track: per-base signal over ``[start, start + L)`` (0-based), its
    peaks (0-based half-open, :func:`ncv_core.features.tracks.track_peaks`) as a bar under the
    signal, ``unit`` on the y axes.

    ``variant`` (1-based) draws a red line; ``window`` (0-based half-open) shades the model's
    window."""
    names = list(signals)
    peaks = peaks or {}
    fig = make_subplots(
        rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.012, subplot_titles=None
    )
    shapes = []
    for i, name in enumerate(names, start=1):
        y = np.asarray(signals[name], dtype=np.float64)
        x = np.arange(start + 1, start + 1 + len(y))  # 1-based positions on the axis
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines",
                fill="tozeroy",
                name=name,
                line={"width": 1, "color": "#4a6fa5"},
                hovertemplate=f"{name}<br>{chrom}:%{{x:,}}<br>{unit} %{{y:.3f}}<extra></extra>",
            ),
            row=i,
            col=1,
        )
        axis = "" if i == 1 else str(i)
        for s0, e0 in peaks.get(name, ()):
            shapes.append(
                {
                    "type": "rect",
                    "x0": s0 + 0.5,
                    "x1": e0 + 0.5,
                    "y0": 0.0,
                    "y1": 0.14,
                    "xref": f"x{axis}",
                    "yref": f"y{axis} domain",
                    "fillcolor": "#d62839",
                    "opacity": 0.75,
                    "line": {"width": 0},
                }
            )
        label = f"{name}<br>{unit}" if i == 1 else name
        fig.update_yaxes(title={"text": label, "font": {"size": 10}}, rangemode="tozero", row=i)
    if window is not None:
        shapes.append(
            {
                "type": "rect",
                "x0": window[0] + 0.5,
                "x1": window[1] + 0.5,
                "y0": 0,
                "y1": 1,
                "xref": "x",
                "yref": "paper",
                "fillcolor": "#f2c14e",
                "opacity": 0.18,
                "line": {"width": 0},
                "layer": "below",
            }
        )
    if variant is not None:
        shapes.append(
            {
                "type": "line",
                "x0": variant,
                "x1": variant,
                "y0": 0,
                "y1": 1,
                "xref": "x",
                "yref": "paper",
                "line": {"color": "#d62839", "width": 1},
            }
        )
    fig.update_layout(showlegend=False, shapes=shapes)
    fig.update_xaxes(title=f"{chrom} position (1-based)", row=len(names), col=1)
    title = "Tracks around the variant (red bars: peaks; shaded: the model's window)"
    return layout(fig, title, height=70 * len(names) + 140)


def tracks_frame(signals: Mapping[str, np.ndarray], start: int) -> pd.DataFrame:
    """The signals of :func:`tracks_figure` as a table: ``pos`` (1-based), one column per track."""
    n = len(next(iter(signals.values()))) if signals else 0
    return pd.DataFrame({"pos": np.arange(start + 1, start + 1 + n), **signals})
