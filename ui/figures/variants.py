"""Variant scores: one variant's alleles, a batch's effects."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.figures.style import layout

__all__ = ["allele_bars", "score_scatter", "background_histogram"]


def allele_bars(scores: pd.DataFrame) -> go.Figure:
    """Probability that the locus is functional with the reference and the alternative allele
    (one pair of bars per task), from ``ncv_core.score`` columns."""
    tasks = [
        c.removeprefix("p_ref").lstrip("_") or "label" for c in scores if c.startswith("p_ref")
    ]
    fig = go.Figure()
    for allele, color in (("ref", "#8c8c8c"), ("alt", "#d62839")):
        cols = [c for c in scores if c.startswith(f"p_{allele}")]
        fig.add_trace(
            go.Bar(
                x=tasks,
                y=[float(scores[c].iloc[0]) for c in cols],
                name=f"{allele} allele",
                marker_color=color,
                text=[f"{float(scores[c].iloc[0]):.3f}" for c in cols],
                textposition="outside",
            )
        )
    fig.update_yaxes(title="P(functional)", range=[0, 1.1])
    return layout(fig, "Reference vs alternative allele", barmode="group", height=320)


def score_scatter(scores: pd.DataFrame) -> go.Figure:
    """Every scored variant: P(functional) with the reference (x) and the alternative (y)."""
    fig = go.Figure(
        go.Scattergl(
            x=scores["p_ref"],
            y=scores["p_alt"],
            mode="markers",
            marker={
                "size": 5,
                "color": scores["diff"],
                "colorscale": "RdBu_r",
                "cmid": 0,
                "colorbar": {"title": "p_alt - p_ref"},
            },
            text=scores["id"] if "id" in scores else None,
            hovertemplate="%{text}<br>p_ref %{x:.3f}<br>p_alt %{y:.3f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line={"dash": "dash", "color": "#bbb"},
            name="no change",
        )
    )
    fig.update_xaxes(title="p_ref", range=[0, 1])
    fig.update_yaxes(title="p_alt", range=[0, 1])
    return layout(fig, f"{len(scores):,} scored variants", height=420, showlegend=False)


def background_histogram(
    background: pd.Series, value: float, *, what: str = "|p_alt - p_ref|"
) -> go.Figure:
    """The background's random SNVs as a histogram of ``what``, the variant's value marked."""
    fig = go.Figure(
        go.Histogram(x=background, nbinsx=60, marker_color="#8c8c8c", name="random SNVs")
    )
    fig.add_vline(x=value, line_color="#d62839", line_width=3)
    fig.add_annotation(
        x=value, y=1, yref="paper", text="this variant", showarrow=False, font_color="#d62839",
        xanchor="left", yanchor="top",
    )  # fmt: skip
    fig.update_xaxes(title=what)
    fig.update_yaxes(title="random SNVs")
    return layout(fig, f"{len(background):,} random SNVs, this variant marked", height=300)
