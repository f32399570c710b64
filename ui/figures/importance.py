"""Feature importance: correlations with the label, distributions per label, group ablation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.figures.style import NEGATIVE, POSITIVE, layout

__all__ = [
    "GROUP_COLORS",
    "LABEL_NAMES",
    "ablation_bars",
    "binary_bars",
    "correlation_bars",
    "label_histogram",
]

LABEL_NAMES = {1: "functional (1)", 0: "not functional (0)"}
LABEL_COLORS = {1: POSITIVE, 0: NEGATIVE}


GROUP_COLORS = {
    "I_enhancer": "#d62839",
    "II_promoter": "#e07a1f",
    "III_structural": "#5a9e4b",
    "IV_heterochromatin": "#6c5b7b",
    "V_gene_body": "#2a7ab0",
    "VI_dnase": "#c5a600",
    "nucleotide": "#7f7f7f",
    "sequence": "#222222",
    "other": "#b0b0b0",
}


def correlation_bars(corr: pd.DataFrame, top: int = 40) -> go.Figure:
    """Pearson r of each feature with the label (the ``top`` largest ``|r|``), coloured by group:
    the SSL_dnn paper's Fig. 2b."""
    df = corr.dropna(subset=["r"]).head(top).iloc[::-1]
    fig = go.Figure()
    for group, part in df.groupby("group", sort=False):
        fig.add_bar(
            x=part["r"],
            y=part["feature"],
            orientation="h",
            name=str(group),
            marker_color=GROUP_COLORS.get(str(group)),
            customdata=np.stack([part["p_value"], part["n"]], axis=1),
            hovertemplate="%{y}: r = %{x:.3f}<br>p = %{customdata[0]:.2g}, n = %{customdata[1]}",
        )
    fig.update_yaxes(categoryorder="array", categoryarray=list(df["feature"]))
    return layout(
        fig,
        "Correlation with the label (Pearson r)",
        xaxis_title="r",
        height=max(320, 18 * len(df) + 120),
        legend_title="group",
    )


def label_histogram(hist: pd.DataFrame, feature: str) -> go.Figure:
    """One feature's distribution in functional (1) and non-functional (0) loci, overlaid on
    shared bins (density): the SSL_dnn paper's Fig. 2a."""
    fig = go.Figure()
    names, colors = LABEL_NAMES, LABEL_COLORS
    for label in (0, 1):
        part = hist[(hist["feature"] == feature) & (hist["label"] == label)]
        if part.empty:
            continue
        fig.add_bar(
            x=(part["left"] + part["right"]) / 2,
            y=part["density"],
            width=part["right"] - part["left"],
            name=names[label],
            marker_color=colors[label],
            opacity=0.55,
            customdata=part["count"],
            hovertemplate="%{x:.3g}: density %{y:.3g} (%{customdata} loci)",
        )
    return layout(
        fig,
        f"{feature}: distribution per label",
        barmode="overlay",
        xaxis_title=feature,
        yaxis_title="density (area 1 per label)",
    )


def binary_bars(summary: pd.DataFrame, feature: str) -> go.Figure:
    """A 0/1 feature (a Peak feature: is the variant in a peak?) per label: the fraction of loci
    with 1, from ``FeatureImportance.summary`` (its ``mean``), not a density."""
    part = summary[summary["feature"] == feature].set_index("label")
    fig = go.Figure()
    for label in (0, 1):
        if label not in part.index:
            continue
        row = part.loc[label]
        ones = int(round(float(row["mean"]) * int(row["n"])))
        fig.add_bar(
            x=[LABEL_NAMES[label]],
            y=[float(row["mean"])],
            marker_color=LABEL_COLORS[label],
            text=[f"{float(row['mean']):.1%} ({ones:,} of {int(row['n']):,})"],
            textposition="outside",
            name=LABEL_NAMES[label],
            hovertemplate="%{x}: %{y:.1%} of loci have 1<extra></extra>",
        )
    return layout(
        fig,
        f"{feature}: share of loci with 1 (a yes/no feature)",
        yaxis_title="fraction of loci with 1",
        yaxis_range=[0, 1.1],
        showlegend=False,
    )


def ablation_bars(table: pd.DataFrame) -> go.Figure:
    """Cross-validated AUROC (mean and standard error over folds) with only each group and with
    each group left out, beside the run on everything: the SSL_dnn paper's Fig. 2d."""
    df = table.dropna(subset=["auroc"])
    fig = go.Figure()
    everything = df[df["mode"] == "all"]
    for mode, color in (("only", "#2a7ab0"), ("without", "#e07a1f")):
        part = df[df["mode"] == mode]
        fig.add_bar(
            x=part["label"],
            y=part["auroc"],
            error_y={"type": "data", "array": part["auroc_se"], "visible": True},
            name=f"{mode} the group",
            marker_color=color,
            hovertemplate="%{x}: AUROC %{y:.3f}",
        )
    if not everything.empty:
        fig.add_hline(
            y=float(everything["auroc"].iloc[0]),
            line_dash="dash",
            annotation_text=f"everything: {everything['auroc'].iloc[0]:.3f}",
        )
    return layout(
        fig,
        "Feature-group ablation (cross-validated AUROC)",
        barmode="group",
        yaxis_title="AUROC",
        yaxis_range=[0.4, 1.0],
    )
