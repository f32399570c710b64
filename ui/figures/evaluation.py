"""Evaluation: ROC and PR curves beside the baselines, CV folds, the cross-cell-line matrix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.figures.style import layout, nan_of

__all__ = [
    "CV_METRICS",
    "cross_cell_heatmap",
    "curves_frame",
    "cv_figure",
    "cv_frame",
    "metrics_frame",
    "pr_figure",
    "roc_figure",
]


def _curves(report: Mapping[str, Any], kind: str) -> list[tuple[str, dict, float]]:
    """(name, curve, area) for the model and each baseline column of an evaluation report."""
    metric = "auroc" if kind == "roc" else "aupr"
    out = [("model", report.get(kind) or {}, nan_of(report.get(metric)))]
    for col, m in (report.get("baselines") or {}).items():
        out.append((col, m.get(kind) or {}, nan_of(m.get(metric))))
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
            y=[nan_of(metrics.get(m)) for m in CV_METRICS],
            error_y={"type": "data", "array": [nan_of(metrics.get(f"{m}_se")) for m in CV_METRICS]},
            name="mean ± SE",
            marker_color="#9cc3e0",
        )
    )
    folds = metrics.get("folds") or []
    for k, fold in enumerate(folds, start=1):
        fig.add_trace(
            go.Scatter(
                x=names,
                y=[nan_of(fold.get(m)) for m in CV_METRICS],
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
