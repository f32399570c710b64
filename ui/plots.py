"""Figures of core results: pure functions (no Streamlit), so tests can call them directly.

Plotly figures throughout, sequence logos included (letters drawn as filled outlines, so the
modebar's camera saves any of them as PNG). Each builder takes what a core function returned and
only lays it out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

CONFIG: dict[str, Any] = {
    "displayModeBar": True,
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
}
"""Plotly config for ``st.plotly_chart``: the modebar always shows its camera (PNG) button."""

BASE_COLORS = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839", "N": "#999999"}
METHOD_COLORS = {"ssl": "#2a7ab0", "supervised": "#e07a1f", "noisy-student": "#5a9e4b"}


def _nan(x: Any) -> float:
    return float("nan") if x is None else float(x)


def layout(fig: go.Figure, title: str, **kw: Any) -> go.Figure:
    kw.setdefault("margin", {"l": 50, "r": 20, "t": 50, "b": 45})
    fig.update_layout(title=title, **kw)
    return fig


def _series_color(name: str) -> str | None:
    return METHOD_COLORS.get(name.split(" ")[0])


def training_curves(
    histories: Mapping[str, Sequence[Mapping[str, Any]]],
    baselines: Mapping[str, float] | None = None,
) -> go.Figure:
    """Validation AUROC per epoch, one line per run; baselines as dotted horizontal lines.

    ``histories`` maps a run's name (``ssl``, ``supervised``, ``ssl · fold 1/5``) to its epoch
    records (``epoch``, ``val_auroc``, ...), as ``train``'s progress events or ``card.history``.
    """
    fig = go.Figure()
    for name, rows in histories.items():
        fig.add_trace(
            go.Scatter(
                x=[r["epoch"] for r in rows],
                y=[_nan(r.get("val_auroc")) for r in rows],
                mode="lines+markers",
                name=name,
                line={"color": _series_color(name)},
                hovertemplate="epoch %{x}<br>val AUROC %{y:.3f}<extra>" + name + "</extra>",
            )
        )
    for i, (col, value) in enumerate((baselines or {}).items()):
        if value is not None and math.isfinite(value):
            fig.add_hline(
                y=value,
                line={"dash": "dot", "color": ["#777", "#aaa", "#555"][i % 3]},
                annotation_text=f"{col} {value:.3f}",
                annotation_position="bottom right",
            )
    seen = [
        float(r["val_auroc"])
        for rows in histories.values()
        for r in rows
        if r.get("val_auroc") is not None and math.isfinite(float(r["val_auroc"]))
    ]
    seen += [v for v in (baselines or {}).values() if v is not None and math.isfinite(v)]
    fig.update_xaxes(title="epoch", rangemode="tozero")
    fig.update_yaxes(title="validation AUROC", range=[min([0.5, *seen]) - 0.02, 1.0])
    return layout(fig, "Validation AUROC per epoch", hovermode="x unified", height=380)


SSL_PANELS = (
    ("alpha", "α(t)"),
    ("n_promoted_total", "promoted pseudo-labels"),
    ("pseudo_acc", "pseudo-label accuracy"),
)


def ssl_dynamics(histories: Mapping[str, Sequence[Mapping[str, Any]]]) -> go.Figure:
    """α(t), promoted pseudo-labels (cumulative) and pseudo-label accuracy per epoch.

    Only runs whose records carry these keys (pseudo-label SSL) are drawn.
    """
    fig = make_subplots(rows=1, cols=3, subplot_titles=[t for _, t in SSL_PANELS])
    for name, rows in histories.items():
        if not rows or "alpha" not in rows[0]:
            continue
        for col, (key, label) in enumerate(SSL_PANELS, start=1):
            fig.add_trace(
                go.Scatter(
                    x=[r["epoch"] for r in rows],
                    y=[_nan(r.get(key)) for r in rows],
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    showlegend=col == 1,
                    line={"color": _series_color(name)},
                    hovertemplate="epoch %{x}<br>" + label + " %{y:.3f}<extra>" + name + "</extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title="epoch")
    fig.update_yaxes(range=[0, 1.05], row=1, col=1)
    fig.update_yaxes(range=[0, 1.05], row=1, col=3)
    return layout(fig, "Pseudo-labelling", height=320)


def history_frame(histories: Mapping[str, Sequence[Mapping[str, Any]]]) -> pd.DataFrame:
    """All epoch records of all runs in one table (``run`` first), for download."""
    frames = [pd.DataFrame(list(rows)).assign(run=name) for name, rows in histories.items() if rows]
    if not frames:
        return pd.DataFrame(columns=["run", "epoch"])
    df = pd.concat(frames, ignore_index=True)
    return df[["run", *[c for c in df.columns if c != "run"]]]


def _curves(report: Mapping[str, Any], kind: str) -> list[tuple[str, dict, float]]:
    """(name, curve, area) for the model and each baseline column of an evaluation report."""
    metric = "auroc" if kind == "roc" else "aupr"
    out = [("model", report.get(kind) or {}, _nan(report.get(metric)))]
    for col, m in (report.get("baselines") or {}).items():
        out.append((col, m.get(kind) or {}, _nan(m.get(metric))))
    return out


def roc_figure(report: Mapping[str, Any]) -> go.Figure:
    """ROC curves of the model and of the table's baseline score columns, on the same rows."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dash", "color": "#bbb"}, name="chance"
        )
    )
    for i, (name, curve, area) in enumerate(_curves(report, "roc")):
        if not curve.get("fpr"):
            continue
        fig.add_trace(
            go.Scatter(
                x=curve["fpr"],
                y=curve["tpr"],
                mode="lines",
                name=f"{name} (AUROC {area:.3f})",
                line={"width": 3 if i == 0 else 1.5},
            )
        )
    fig.update_xaxes(title="false positive rate", range=[0, 1])
    fig.update_yaxes(title="true positive rate", range=[0, 1.02])
    return layout(fig, "ROC", height=420)


def pr_figure(report: Mapping[str, Any]) -> go.Figure:
    """Precision-recall curves of the model and the baselines; the positive rate as chance."""
    fig = go.Figure()
    n, n_pos = report.get("n") or 0, report.get("n_pos") or 0
    if n:
        fig.add_hline(
            y=n_pos / n,
            line={"dash": "dash", "color": "#bbb"},
            annotation_text=f"positive rate {n_pos / n:.2f}",
        )
    for i, (name, curve, area) in enumerate(_curves(report, "pr")):
        if not curve.get("recall"):
            continue
        fig.add_trace(
            go.Scatter(
                x=curve["recall"],
                y=curve["precision"],
                mode="lines",
                name=f"{name} (AUPR {area:.3f})",
                line={"width": 3 if i == 0 else 1.5, "shape": "hv"},
            )
        )
    fig.update_xaxes(title="recall", range=[0, 1])
    fig.update_yaxes(title="precision", range=[0, 1.02])
    return layout(fig, "Precision-recall", height=420)


def curves_frame(report: Mapping[str, Any]) -> pd.DataFrame:
    """Every ROC and PR point of the model and the baselines, long form, for download."""
    frames = []
    for kind, xy in (("roc", ("fpr", "tpr")), ("pr", ("recall", "precision"))):
        for name, curve, _ in _curves(report, kind):
            if curve.get(xy[0]):
                frames.append(
                    pd.DataFrame(
                        {"curve": kind, "scorer": name, "x": curve[xy[0]], "y": curve[xy[1]]}
                    )
                )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def metrics_frame(report: Mapping[str, Any]) -> pd.DataFrame:
    """AUROC / AUPR / accuracy / n of the model and each baseline on the evaluated rows."""
    rows = [{"scorer": "model", **{k: report.get(k) for k in ("auroc", "aupr", "accuracy", "n")}}]
    for col, m in (report.get("baselines") or {}).items():
        rows.append({"scorer": col, **{k: m.get(k) for k in ("auroc", "aupr", "n")}})
    return pd.DataFrame(rows)


CV_METRICS = ("val_auroc", "val_aupr", "val_accuracy")


def cv_figure(metrics: Mapping[str, Any]) -> go.Figure:
    """Cross-validation: mean ± standard error per metric, with each fold's value as a dot.

    ``metrics`` is a CV model card's ``metrics`` (``val_auroc``, ``val_auroc_se``, ``folds``).
    """
    names = [m.removeprefix("val_") for m in CV_METRICS]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=[_nan(metrics.get(m)) for m in CV_METRICS],
            error_y={"type": "data", "array": [_nan(metrics.get(f"{m}_se")) for m in CV_METRICS]},
            name="mean ± SE",
            marker_color="#9cc3e0",
        )
    )
    folds = metrics.get("folds") or []
    for k, fold in enumerate(folds, start=1):
        fig.add_trace(
            go.Scatter(
                x=names,
                y=[_nan(fold.get(m)) for m in CV_METRICS],
                mode="markers",
                name=f"fold {k}",
                marker={"size": 8, "color": "#1f4e79", "opacity": 0.6},
                showlegend=k == 1,
                legendgroup="folds",
            )
        )
    fig.update_yaxes(range=[0, 1.02])
    return layout(fig, f"{len(folds)}-fold cross-validation", height=380)


def cv_frame(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """The folds of a CV card's metrics, one row each, then ``mean`` and ``se`` rows."""
    folds = pd.DataFrame(metrics.get("folds") or [])
    folds.insert(0, "fold", [str(k) for k in range(1, len(folds) + 1)])
    extra = [
        {"fold": stat, **{m: metrics.get(m + suffix) for m in folds.columns[1:]}}
        for stat, suffix in (("mean", ""), ("se", "_se"))
    ]
    return pd.concat([folds, pd.DataFrame(extra)], ignore_index=True)


def cross_cell_heatmap(df: pd.DataFrame, metric: str = "auroc") -> go.Figure:
    """The cross-cell-line matrix: rows the training cell line, columns the evaluated one."""
    order = list(dict.fromkeys(df["train"]))
    cols = list(dict.fromkeys(df["test"]))
    z = df.pivot(index="train", columns="test", values=metric).loc[order, cols]
    se = df.pivot(index="train", columns="test", values=f"{metric}_se").loc[order, cols]
    text = [
        [
            f"{v:.3f}" + (f" ± {s:.3f}" if np.isfinite(s) else "")
            for v, s in zip(zr, sr, strict=True)
        ]
        for zr, sr in zip(z.to_numpy(), se.to_numpy(), strict=True)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z.to_numpy(),
            x=cols,
            y=order,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0.5 if metric == "auroc" else 0,
            zmax=1,
            colorbar={"title": metric.upper()},
            hovertemplate="trained on %{y}<br>evaluated on %{x}<br>%{text}<extra></extra>",
        )
    )
    fig.update_yaxes(title="trained on", autorange="reversed")
    fig.update_xaxes(title="evaluated on", side="top")
    return layout(fig, f"Cross-cell-line {metric.upper()}", height=380)


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
    names = {1: "functional (1)", 0: "non-functional (0)"}
    colors = {1: "#d62839", 0: "#2a7ab0"}
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
    return layout(fig, feature, barmode="overlay", xaxis_title=feature, yaxis_title="density")


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
