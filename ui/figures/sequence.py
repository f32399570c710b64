"""Figures of sequences and positions: ISM heatmaps, sequence logos, filter influence, tracks.

Pure functions of core results (no Streamlit). Logos are plotly figures whose letters are filled
outlines (DejaVu Sans Bold, from matplotlib's TextPath), so the modebar's camera saves them as
PNG like every other figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ncv_core.constants import BASES
from ncv_core.io.motif_files import information_content
from ui.figures.style import BASE_COLORS, layout

__all__ = [
    "influence_heatmap",
    "ism_heatmap",
    "logo_figure",
    "reference_matrix",
    "tracks_figure",
    "tracks_frame",
]


def ism_heatmap(
    delta: np.ndarray, ref_index: np.ndarray, *, center: int | None = None, title: str = ""
) -> go.Figure:
    """Position x base heatmap of an ISM matrix ``(L, 4)``; hover names the base change.

    ``ref_index`` ``(L,)`` holds each position's reference base (A,C,G,T index; -1 for N);
    ``center`` marks the variant's offset.
    """
    length = delta.shape[0]
    letters = np.array(list(BASES + "N"))
    ref = letters[ref_index]
    hover = [
        [
            f"offset {p}: {ref[p]} → {b}<br>Δ logit {delta[p, j]:+.4f}"
            + (" (reference)" if ref_index[p] == j else "")
            for p in range(length)
        ]
        for j, b in enumerate(BASES)
    ]
    lim = float(np.abs(delta).max()) or 1.0
    fig = go.Figure(
        go.Heatmap(
            z=delta.T,
            x=np.arange(length),
            y=list(BASES),
            text=hover,
            hoverinfo="text",
            colorscale="RdBu",
            zmid=0,
            zmin=-lim,
            zmax=lim,
            colorbar={"title": "Δ logit"},
        )
    )
    if center is not None:
        fig.add_vline(x=center, line={"color": "black", "width": 1, "dash": "dot"})
    fig.update_xaxes(title="offset in the window")
    fig.update_yaxes(title="mutated to", autorange="reversed")
    return layout(fig, title or "In-silico saturation mutagenesis", height=300)


def reference_matrix(values: np.ndarray, ref_index: np.ndarray) -> pd.DataFrame:
    """``(L, 4)`` frame with ``values[p]`` at each position's reference base, 0 elsewhere.

    The layout of an importance logo: the reference letter, as tall as its importance."""
    mat = np.zeros((len(values), 4))
    ok = ref_index >= 0
    mat[np.flatnonzero(ok), ref_index[ok]] = values[ok]
    return pd.DataFrame(mat, columns=list(BASES))


@lru_cache(maxsize=1)
def _glyphs() -> dict[str, list[np.ndarray]]:
    """Outline polygons of the letters A, C, G, T (DejaVu Sans Bold), each in a unit box."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextPath

    font = FontProperties(family="DejaVu Sans", weight="bold")
    out = {}
    for base in BASES:
        path = TextPath((0, 0), base, size=1, prop=font)
        box = path.get_extents()
        scale = np.array([box.width, box.height])
        out[base] = [(poly - [box.x0, box.y0]) / scale for poly in path.to_polygons()]
    return out


def _glyph(base: str, x0: float, width: float, y0: float, height: float) -> str:
    """SVG path of a letter stretched over ``[x0, x0 + width] x [y0, y0 + height]``."""
    parts = []
    for poly in _glyphs()[base]:
        pts = poly * [width, height] + [x0, y0]
        parts.append("M" + "L".join(f"{x:.4g},{y:.4g}" for x, y in pts) + "Z")
    return "".join(parts)


def _letter_shapes(heights: np.ndarray) -> list[dict]:
    """Stacked letters per position: positive heights upwards (tallest on top), negative ones
    downwards (most negative at the bottom); zero heights draw nothing."""
    shapes = []
    for p, row in enumerate(heights):
        up, down = 0.0, 0.0
        for j in np.argsort(np.abs(row)):
            h = float(row[j])
            if h == 0 or not np.isfinite(h):
                continue
            y0 = up if h > 0 else down + h
            shapes.append(
                {
                    "type": "path",
                    "path": _glyph(BASES[j], p - 0.45, 0.9, y0, abs(h)),
                    "fillcolor": BASE_COLORS[BASES[j]],
                    "line": {"width": 0},
                    "layer": "above",
                }
            )
            up, down = (up + h, down) if h > 0 else (up, down + h)
    return shapes


def logo_figure(
    matrix: pd.DataFrame | np.ndarray,
    *,
    title: str = "",
    ylabel: str = "",
    information: bool = False,
    center: int | None = None,
    height: int = 220,
) -> go.Figure:
    """A sequence logo as a plotly figure (letters are filled outlines; PNG from the modebar).

    ``matrix`` is ``(L, 4)`` with columns A,C,G,T: letter heights (importance, attributions;
    negative values point down), or base probabilities with ``information=True``, drawn in bits
    (each row times its information content, ``ncv_core.io.motif_files.information_content``).
    """
    values = np.asarray(matrix, dtype=np.float64)
    if information:
        bits = np.array([information_content(values[i : i + 1]) for i in range(len(values))])
        values = values / values.sum(axis=1, keepdims=True) * bits[:, None]
    shapes = _letter_shapes(values)
    if center is not None:  # one list: adding shapes one by one re-validates all of them
        shapes.append(
            {
                "type": "line",
                "x0": center,
                "x1": center,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"color": "black", "width": 1, "dash": "dot"},
            }
        )
    fig = go.Figure(layout={"shapes": shapes})
    hover = [
        "<br>".join(f"{b} {values[p, j]:+.3g}" for j, b in enumerate(BASES))
        for p in range(len(values))
    ]
    top = np.where(values > 0, values, 0).sum(axis=1)
    fig.add_trace(
        go.Scatter(
            x=np.arange(len(values)),
            y=top,
            mode="markers",
            marker={"opacity": 0},
            text=hover,
            hovertemplate="position %{x}<br>%{text}<extra></extra>",
            showlegend=False,
        )
    )
    low = float(np.minimum(np.where(values < 0, values, 0).sum(axis=1).min(), 0))
    high = float(max(top.max(), 0)) if len(top) else 1.0
    pad = 0.05 * ((high - low) or 1.0)
    fig.update_yaxes(title=ylabel, range=[0, 2.1] if information else [low - pad, high + pad])
    fig.update_xaxes(range=[-0.6, len(values) - 0.4], showgrid=False)
    return layout(fig, title, height=height, margin={"l": 50, "r": 10, "t": 40, "b": 30})


def influence_heatmap(
    mean_delta_prob: np.ndarray, leaf_order: np.ndarray, labels: Sequence[str], tasks: Sequence[str]
) -> go.Figure:
    """Outputs (rows) x filters (columns, in dendrogram order): mean probability change when a
    filter is nullified."""
    order = np.argsort(leaf_order)
    z = mean_delta_prob[order].T
    lim = float(np.abs(z).max()) or 1.0
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[labels[i] for i in order],
            y=list(tasks),
            colorscale="RdBu",
            zmid=0,
            zmin=-lim,
            zmax=lim,
            colorbar={"title": "mean Δ prob"},
            hovertemplate="%{x}<br>%{y}: mean Δ prob %{z:+.4f}<extra></extra>",
        )
    )
    fig.update_xaxes(type="category", tickangle=-90, tickfont={"size": 8})
    fig.update_yaxes(type="category")
    return layout(fig, "Filter influence, filters clustered", height=220 + 40 * len(tasks))


def tracks_figure(
    signals: Mapping[str, np.ndarray],
    start: int,
    *,
    variant: int | None = None,
    window: tuple[int, int] | None = None,
    chrom: str = "",
) -> go.Figure:
    """One small panel per track: per-base signal over ``[start, start + L)`` (0-based).

    ``variant`` (1-based) draws a red line; ``window`` (0-based half-open) shades the model's
    window."""
    names = list(signals)
    fig = make_subplots(
        rows=len(names), cols=1, shared_xaxes=True, vertical_spacing=0.012, subplot_titles=None
    )
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
                line={"width": 1},
                hovertemplate=f"{name}<br>{chrom}:%{{x}}<br>%{{y:.3f}}<extra></extra>",
            ),
            row=i,
            col=1,
        )
        fig.update_yaxes(title={"text": name, "font": {"size": 10}}, row=i, col=1)
    shapes = []
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
    fig.update_xaxes(title=f"{chrom} (1-based)", row=len(names), col=1)
    return layout(fig, "Tracks around the variant", height=70 * len(names) + 120)


def tracks_frame(signals: Mapping[str, np.ndarray], start: int) -> pd.DataFrame:
    """The signals of :func:`tracks_figure` as a table: ``pos`` (1-based), one column per track."""
    n = len(next(iter(signals.values()))) if signals else 0
    return pd.DataFrame({"pos": np.arange(start + 1, start + 1 + n), **signals})
