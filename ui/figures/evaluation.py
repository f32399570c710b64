"""Evaluation: ROC and PR curves beside the baselines, CV folds, the cross-cell-line matrix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.figures.style import NEUTRAL, baseline_colors, layout, model_color, nan_of

__all__ = [
    "CV_METRICS",
    "scorer_colors",
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


def scorer_colors(report: Mapping[str, Any], method: str | None = None) -> dict[str, str]:
    """The colour of every scorer of a report: ``model`` its method's, baselines by name."""
    return {"model": model_color(method), **baseline_colors(report.get("baselines") or {})}


def _scorer_traces(
    fig: go.Figure,
    report: Mapping[str, Any],
    kind: str,
    xy: tuple[str, str],
    model_name: str,
    method: str | None,
) -> None:
    colors = scorer_colors(report, method)
    metric = "AUROC" if kind == "roc" else "AUPR"
    for name, curve, area in _curves(report, kind):
        if not curve.get(xy[0]):
            continue
        label = model_name if name == "model" else name
        fig.add_trace(
            go.Scatter(
                x=curve[xy[0]],
                y=curve[xy[1]],
                mode="lines",
                name=f"{label} ({metric} {area:.3f})",
                line={
                    "width": 3 if name == "model" else 1.5,
                    "color": colors[name],
                    "shape": "hv" if kind == "pr" else "linear",
                },
                legendrank=1 if name == "model" else 2,
            )
        )


def roc_figure(
    report: Mapping[str, Any], *, model_name: str = "model", method: str | None = None
) -> go.Figure:
    """ROC curves of the model and of the table's baseline score columns, on the same rows.

    Colours: the model its ``method``'s, each baseline its own (:func:`scorer_colors`), the
    chance diagonal neutral grey."""
    fig = go.Figure()
    _scorer_traces(fig, report, "roc", ("fpr", "tpr"), model_name, method)
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line={"dash": "dash", "color": NEUTRAL, "width": 1},
            name="chance (AUROC 0.5)",
            legendrank=3,
            hoverinfo="skip",
        )
    )
    fig.update_xaxes(title="false positive rate", range=[0, 1])
    fig.update_yaxes(title="true positive rate", range=[0, 1.02])
    return layout(
        fig,
        "ROC",
        height=420,
        legend={"y": 0.02, "yanchor": "bottom", "x": 0.98, "xanchor": "right"},
    )


def pr_figure(
    report: Mapping[str, Any], *, model_name: str = "model", method: str | None = None
) -> go.Figure:
    """Precision-recall curves of the model and the baselines; chance is the positive rate (a
    grey line named in the legend, not a label over the curves)."""
    fig = go.Figure()
    _scorer_traces(fig, report, "pr", ("recall", "precision"), model_name, method)
    n, n_pos = report.get("n") or 0, report.get("n_pos") or 0
    if n:
        fig.add_trace(
            go.Scatter(
                x=[0, 1],
                y=[n_pos / n] * 2,
                mode="lines",
                line={"dash": "dash", "color": NEUTRAL, "width": 1},
                name=f"chance (positive rate {n_pos / n:.2f})",
                legendrank=3,
                hoverinfo="skip",
            )
        )
    fig.update_xaxes(title="recall", range=[0, 1])
    fig.update_yaxes(title="precision", range=[0, 1.02])
    return layout(
        fig,
        "Precision-recall",
        height=420,
        legend={"y": 0.02, "yanchor": "bottom", "x": 0.02, "xanchor": "left"},
    )


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
CV_NAMES = {"val_auroc": "AUROC", "val_aupr": "AUPR", "val_accuracy": "accuracy"}


def cv_figure(metrics: Mapping[str, Any], method: str | None = None) -> go.Figure:
    """Cross-validation: mean ± standard error per metric (bars), each fold's value as a dot
    (one legend entry for all folds; hover names the fold).

    ``metrics`` is a CV model card's ``metrics`` (``val_auroc``, ``val_auroc_se``, ``folds``).
    """
    names = [CV_NAMES[m] for m in CV_METRICS]
    color = model_color(method)
    fig = go.Figure(
        go.Bar(
            x=names,
            y=[nan_of(metrics.get(m)) for m in CV_METRICS],
            error_y={"type": "data", "array": [nan_of(metrics.get(f"{m}_se")) for m in CV_METRICS]},
            name="mean over folds ± standard error",
            marker={"color": color, "opacity": 0.35},
            hovertemplate="%{x}: mean %{y:.3f}<extra></extra>",
        )
    )
    folds = metrics.get("folds") or []
    xs, ys, which = [], [], []
    for k, fold in enumerate(folds, start=1):
        for m, name in zip(CV_METRICS, names, strict=True):
            xs.append(name)
            ys.append(nan_of(fold.get(m)))
            which.append(k)
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers",
            name=f"each of the {len(folds)} folds",
            marker={"size": 8, "color": color, "line": {"width": 1, "color": "white"}},
            customdata=which,
            hovertemplate="fold %{customdata}: %{x} %{y:.3f}<extra></extra>",
        )
    )
    fig.update_yaxes(range=[0, 1.02], title="on each fold's held-out rows")
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
