"""Cross-species: what became of the labelled loci in each species (windows, or why not)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.figures.style import layout

__all__ = ["lift_outcome_frame", "lift_outcomes"]

_KEPT = "#2a7ab0"
_REJECTED = ("#e07a1f", "#d62728", "#9467bd", "#8c564b", "#7f7f7f", "#bcbd22", "#17becf")


def lift_outcome_frame(counts: pd.DataFrame) -> pd.DataFrame:
    """Long form of ``SpeciesLabels.counts``: ``species``, ``outcome`` (``window`` or a rejection
    category), ``loci``."""
    categories = [c for c in counts.columns if not c.startswith("n_") and c != "species"]
    wide = counts.rename(columns={"n_windows": "window"})[["species", "window", *categories]]
    return wide.melt(id_vars="species", var_name="outcome", value_name="loci")


def lift_outcomes(counts: pd.DataFrame) -> go.Figure:
    """Stacked bars, one per species: loci that gave a window, and each rejection category."""
    long = lift_outcome_frame(counts)
    fig = go.Figure()
    outcomes = list(dict.fromkeys(long["outcome"]))
    for i, outcome in enumerate(outcomes):
        rows = long[long["outcome"] == outcome]
        colour = _KEPT if outcome == "window" else _REJECTED[(i - 1) % len(_REJECTED)]
        fig.add_trace(
            go.Bar(
                x=rows["species"],
                y=rows["loci"],
                name=outcome,
                marker_color=colour,
                hovertemplate="%{x}: %{y:,} loci<extra>" + outcome + "</extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title="labelled loci")
    return layout(fig, "Labelled loci per species: a window, or why not", height=340)
