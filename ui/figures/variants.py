"""Variant scores: one variant's alleles, a batch's effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.figures.style import NEUTRAL, layout

__all__ = ["allele_bars", "background_histogram", "effect_bars", "score_scatter"]

REF_COLOR, ALT_COLOR = "#7f7f7f", "#d62839"


def allele_bars(scores: pd.DataFrame, ref: str = "", alt: str = "") -> go.Figure:
    """P(functional) with the reference and with the alternative allele, from ``ncv_core.score``
    columns: two bars (``ref A``, ``alt C``) for a one-task model, a pair per task otherwise."""
    probs = [c for c in scores if c.startswith("p_ref") and not c.endswith("percentile")]
    tasks = [c.removeprefix("p_ref").lstrip("_") for c in probs]
    fig = go.Figure()
    for allele, base, color in (("ref", ref, REF_COLOR), ("alt", alt, ALT_COLOR)):
        cols = [c for c in scores if c.startswith(f"p_{allele}") and not c.endswith("percentile")]
        name = f"{'reference' if allele == 'ref' else 'alternative'} allele {base}".strip()
        values = [float(scores[c].iloc[0]) for c in cols]
        fig.add_trace(
            go.Bar(
                x=tasks if len(tasks) > 1 else [name],
                y=values,
                name=name,
                marker_color=color,
                text=[f"{v:.3f}" for v in values],
                textposition="outside",
                hovertemplate=f"{name}: P(functional) %{{y:.4f}}<extra></extra>",
            )
        )
    fig.update_yaxes(title="P(functional), model's probability", range=[0, 1.12])
    fig.update_xaxes(title="task" if len(tasks) > 1 else None)
    return layout(
        fig, "Reference vs alternative allele", barmode="group", height=340, showlegend=False
    )


def score_scatter(scores: pd.DataFrame) -> go.Figure:
    """Every scored variant: P(functional) with the reference (x) and the alternative (y),
    coloured by ``logit_diff``; every point has a dark outline, so near-zero effects (white in
    the diverging scale) stay visible."""
    effect = scores["logit_diff"].to_numpy(dtype=float)
    lim = float(np.nanmax(np.abs(effect))) if len(effect) and np.isfinite(effect).any() else 1.0
    fig = go.Figure(
        go.Scattergl(
            x=scores["p_ref"],
            y=scores["p_alt"],
            mode="markers",
            marker={
                "size": 7,
                "color": effect,
                "colorscale": "RdBu_r",
                "cmid": 0,
                "cmin": -(lim or 1.0),
                "cmax": lim or 1.0,
                "line": {"width": 0.6, "color": "#333"},
                "colorbar": {"title": "change in<br>log-odds"},
            },
            text=scores["id"] if "id" in scores else None,
            customdata=scores[["diff", "logit_diff"]].to_numpy(),
            hovertemplate="%{text}<br>reference %{x:.3f} → alternative %{y:.3f}"
            "<br>change %{customdata[0]:+.3f} (log-odds %{customdata[1]:+.3f})<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line={"dash": "dash", "color": NEUTRAL},
            name="no change",
        )
    )
    fig.update_xaxes(title="P(functional) with the reference allele", range=[0, 1])
    fig.update_yaxes(title="P(functional) with the alternative allele", range=[0, 1])
    return layout(fig, f"{len(scores):,} scored variants", height=440, showlegend=False)


def effect_bars(ranked: pd.DataFrame, top: int = 20) -> go.Figure:
    """The ``top`` largest effects of :func:`ncv_core.score.top_effects` (change in
    probability), the largest at the top; red raises the prediction, blue lowers it."""
    df = ranked.head(top).iloc[::-1]
    colors = np.where(df["diff"].to_numpy(dtype=float) >= 0, ALT_COLOR, "#2a7ab0")
    fig = go.Figure(
        go.Bar(
            x=df["diff"],
            y=df["id"].astype(str),
            orientation="h",
            marker_color=colors,
            customdata=df[["p_ref", "p_alt"]].to_numpy(),
            hovertemplate="%{y}: %{x:+.3f}<br>P(functional) %{customdata[0]:.3f} → "
            "%{customdata[1]:.3f}<extra></extra>",
        )
    )
    fig.add_vline(x=0, line={"color": NEUTRAL, "width": 1})
    fig.update_xaxes(title="change in P(functional) (alternative minus reference)")
    fig.update_yaxes(type="category")
    return layout(
        fig, f"The {len(df)} largest effects", height=max(260, 22 * len(df) + 120), showlegend=False
    )


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
