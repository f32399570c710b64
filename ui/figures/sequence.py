"""Figures of sequences and positions: ISM heatmaps, sequence logos, filter influence.

Pure functions of core results (no Streamlit). Logos are plotly figures whose letters are filled
outlines (DejaVu Sans Bold, from matplotlib's TextPath), so the modebar's camera saves them as
PNG like every other figure.
"""

from __future__ import annotations

from collections.abc import Sequence
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
]


def _position_axis(
    fig: go.Figure, ref: Sequence[str], span: tuple[int, int] | None, title: str
) -> None:
    """The x axis of a window: the reference base under every position, shown over ``span``
    (offsets, inclusive; the whole window by default)."""
    length = len(ref)
    lo, hi = span if span is not None else (0, length - 1)
    fig.update_xaxes(
        tickmode="array",
        tickvals=list(range(length)),
        ticktext=list(ref),
        tickangle=0,
        tickfont={"family": "monospace", "size": 11 if hi - lo <= 80 else 7},
        range=[lo - 0.5, hi + 0.5],
        title=title,
        showgrid=False,
    )


def _coordinate_ticks(fig: go.Figure, length: int, first: int, span: tuple[int, int] | None):
    """A top x axis with the genomic coordinates every 10 bases (matching the bottom axis)."""
    lo, hi = span if span is not None else (0, length - 1)
    step = 10 if hi - lo <= 100 else 25
    offsets = [p for p in range(length) if (first + p) % step == 0]
    fig.update_layout(
        xaxis2={
            "overlaying": "x",
            "side": "top",
            "matches": "x",
            "tickmode": "array",
            "tickvals": offsets,
            "ticktext": [f"{first + p:,}" for p in offsets],
            "tickfont": {"size": 9},
            "showgrid": False,
        }
    )
    fig.add_trace(go.Scatter(x=[lo, hi], y=[None, None], xaxis="x2", showlegend=False))


def ism_heatmap(
    delta: np.ndarray,
    ref_index: np.ndarray,
    *,
    center: int | None = None,
    title: str = "",
    first: int | None = None,
    chrom: str = "",
    span: tuple[int, int] | None = None,
) -> go.Figure:
    """Position x base heatmap of an ISM matrix ``(L, 4)``: Δ logit of every single-base change.

    ``ref_index`` ``(L,)`` holds each position's reference base (A,C,G,T index; -1 for N): its
    letters label the x axis and its cells carry a dot (Δ = 0 there by definition). ``first``
    (1-based genomic position of offset 0) and ``chrom`` put coordinates in the hover and on a
    top axis; ``center`` marks the variant's offset; ``span`` (offsets, inclusive) is the range
    shown (pan and zoom reach the rest).
    """
    length = delta.shape[0]
    letters = np.array(list(BASES + "N"))
    ref = letters[ref_index]

    def where(p: int) -> str:
        return f"{chrom}:{first + p:,} (offset {p})" if first is not None else f"offset {p}"

    hover = [
        [
            f"{where(p)}<br>{ref[p]} → {b}: Δ logit {delta[p, j]:+.4f}"
            + (" (the reference base)" if ref_index[p] == j else "")
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
            colorbar={"title": "Δ logit<br>(mutant −<br>reference)"},
        )
    )
    ok = np.flatnonzero(ref_index >= 0)
    fig.add_trace(
        go.Scatter(
            x=ok,
            y=[BASES[i] for i in ref_index[ok]],
            mode="markers",
            marker={"symbol": "circle", "size": 4, "color": "#222"},
            name="reference base",
            hoverinfo="skip",
            showlegend=False,
        )
    )
    if center is not None:
        fig.add_vline(x=center, line={"color": "black", "width": 1, "dash": "dot"})
    where_title = f"; {chrom} coordinates (1-based) on top" if first is not None else ""
    _position_axis(fig, list(ref), span, "reference sequence of the window" + where_title)
    if first is not None:
        _coordinate_ticks(fig, length, first, span)
    fig.update_yaxes(title="mutated to", autorange="reversed")
    return layout(fig, title or "In-silico saturation mutagenesis", height=320)


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
    xlabel: str = "position",
    information: bool = False,
    center: int | None = None,
    first: int | None = None,
    chrom: str = "",
    span: tuple[int, int] | None = None,
    reference: Sequence[str] | None = None,
    height: int = 220,
) -> go.Figure:
    """A sequence logo as a plotly figure (letters are filled outlines; PNG from the modebar).

    ``matrix`` is ``(L, 4)`` with columns A,C,G,T: letter heights (importance, attributions;
    negative values point down), or base probabilities with ``information=True``, drawn in bits
    (each row times its information content, ``ncv_core.io.motif_files.information_content``).
    ``ylabel`` names the height and its unit, ``xlabel`` the positions. For a window of the
    genome, ``reference`` (its bases) labels the x axis, ``first`` (the 1-based coordinate of
    position 0) and ``chrom`` go into the hover and ``span`` (inclusive) is the range shown.
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
    # our own shapes (hundreds of letters): skip plotly's per-property validation (8x faster)
    fig = go.Figure(layout={"shapes": shapes}, _validate=False)
    fig._validate = True  # everything set from here on is checked (and coerced) as usual
    where = [
        f"{chrom}:{first + p:,} (offset {p})" if first is not None else f"position {p}"
        for p in range(len(values))
    ]
    hover = [
        where[p] + "<br>" + "<br>".join(f"{b} {values[p, j]:+.3g}" for j, b in enumerate(BASES))
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
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )
    )
    low = float(np.minimum(np.where(values < 0, values, 0).sum(axis=1).min(), 0))
    high = float(max(top.max(), 0)) if len(top) else 1.0
    pad = 0.05 * ((high - low) or 1.0)
    fig.update_yaxes(title=ylabel, range=[0, 2.1] if information else [low - pad, high + pad])
    if reference is not None:
        _position_axis(fig, list(reference), span, xlabel)
    else:
        lo, hi = span if span is not None else (0, len(values) - 1)
        fig.update_xaxes(range=[lo - 0.6, hi + 0.4], showgrid=False, title=xlabel)
    return layout(fig, title, height=height, margin={"l": 60, "r": 10, "t": 72, "b": 50})


def influence_heatmap(
    mean_delta_prob: np.ndarray,
    leaf_order: np.ndarray,
    labels: Sequence[str],
    tasks: Sequence[str],
    linkage: np.ndarray | None = None,
    clusters: Sequence[int] | None = None,
) -> go.Figure:
    """The filters' clustering as a dendrogram (when ``linkage``, scipy's ``(F - 1, 4)``, is
    given) over a heatmap of outputs (rows) x filters (columns, in the dendrogram's order): the
    mean probability change when a filter is nullified.

    With many filters the column labels are left out (hover names the filter and its
    ``clusters`` label); the axes say what the rows, columns and colours are.
    """
    order = np.argsort(leaf_order)
    z = mean_delta_prob[order].T
    lim = float(np.abs(z).max()) or 1.0
    n = len(order)
    tree = linkage is not None and n >= 2
    fig = make_subplots(
        rows=2 if tree else 1,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.45, 0.55] if tree else None,
        vertical_spacing=0.02,
    )
    custom = np.array(
        [[labels[i], "" if clusters is None else str(clusters[i])] for i in order], dtype=object
    )
    fig.add_trace(
        go.Heatmap(
            z=z,
            x=np.arange(n),
            y=list(tasks),
            customdata=np.broadcast_to(custom, (len(tasks), n, 2)),
            colorscale="RdBu",
            zmid=0,
            zmin=-lim,
            zmax=lim,
            colorbar={"title": "mean Δ<br>probability", "len": 0.55, "y": 0.0, "yanchor": "bottom"},
            hovertemplate="%{customdata[0]} (cluster %{customdata[1]})<br>%{y}: mean Δ "
            "probability %{z:+.4f}<extra></extra>",
        ),
        row=2 if tree else 1,
        col=1,
    )
    if tree:
        _dendrogram(fig, linkage)
    few = n <= 48
    fig.update_xaxes(
        tickmode="array" if few else "auto",
        tickvals=list(range(n)) if few else None,
        ticktext=[labels[i].removeprefix("filter ") for i in order] if few else None,
        showticklabels=few,
        tickfont={"size": 9},
        range=[-0.5, n - 0.5],
        row=2 if tree else 1,
        col=1,
    )
    fig.update_xaxes(
        title=f"{n} first-layer filters, in the order of their clustering"
        + ("" if few else " (hover for each)"),
        row=2 if tree else 1,
        col=1,
    )
    fig.update_yaxes(type="category", title="model output", row=2 if tree else 1, col=1)
    return layout(
        fig, "Filter influence, filters clustered", height=(420 if tree else 220) + 40 * len(tasks)
    )


def _dendrogram(fig: go.Figure, linkage: np.ndarray) -> None:
    """scipy's dendrogram of ``linkage`` in the top row, its leaves at 0..F-1."""
    from scipy.cluster import hierarchy

    tree = hierarchy.dendrogram(linkage, no_plot=True)
    xs, ys = [], []
    for icoord, dcoord in zip(tree["icoord"], tree["dcoord"], strict=True):
        xs += [(x - 5.0) / 10.0 for x in icoord] + [None]
        ys += list(dcoord) + [None]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": "#555", "width": 1},
            hoverinfo="skip",
            showlegend=False,
        ),
        row=1,
        col=1,
    )
    fig.update_yaxes(title="merge distance", row=1, col=1, rangemode="tozero")
    fig.update_xaxes(showticklabels=False, showgrid=False, row=1, col=1)
