"""Figures of core results: pure functions (no Streamlit), so tests can call them directly.

Plotly figures throughout, sequence logos included (letters drawn as filled outlines, so the
modebar's camera saves any of them as PNG). Each builder takes what a core function returned and
only lays it out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ncv_core.constants import BASES
from ncv_core.interpret.motifs import information_content

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


def _layout(fig: go.Figure, title: str, **kw: Any) -> go.Figure:
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
    fig.update_xaxes(title="epoch", rangemode="tozero")
    fig.update_yaxes(title="validation AUROC")
    return _layout(fig, "Validation AUROC per epoch", hovermode="x unified", height=380)


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
    return _layout(fig, "Pseudo-labelling", height=320)


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
    return _layout(fig, "ROC", height=420)


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
    return _layout(fig, "Precision-recall", height=420)


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
    return _layout(fig, f"{len(folds)}-fold cross-validation", height=380)


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
    return _layout(fig, f"Cross-cell-line {metric.upper()}", height=380)


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
    return _layout(fig, title or "In-silico saturation mutagenesis", height=300)


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
    (each row times its information content, ``ncv_core.interpret.motifs.information_content``).
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
    return _layout(fig, title, height=height, margin={"l": 50, "r": 10, "t": 40, "b": 30})


def influence_heatmap(
    mean_delta_prob: np.ndarray, leaf_order: np.ndarray, labels: Sequence[str], tasks: Sequence[str]
) -> go.Figure:
    """Filters (rows, in dendrogram order) x outputs: mean probability change when a filter is
    nullified."""
    order = np.argsort(leaf_order)
    z = mean_delta_prob[order]
    lim = float(np.abs(z).max()) or 1.0
    names = [labels[i] for i in order]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(tasks),
            y=names,
            colorscale="RdBu",
            zmid=0,
            zmin=-lim,
            zmax=lim,
            colorbar={"title": "mean Δ prob"},
            hovertemplate="%{y}<br>%{x}: mean Δ prob %{z:+.4f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    return _layout(
        fig, "Filter influence (clustered)", height=max(380, 12 * len(names) + 120), width=None
    )


def tracks_figure(
    signals: Mapping[str, np.ndarray], start: int, *, variant: int | None = None, chrom: str = ""
) -> go.Figure:
    """One small panel per track: per-base signal over ``[start, start + L)`` (0-based)."""
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
    if variant is not None:
        fig.add_vline(x=variant, line={"color": "#d62839", "width": 1})
    fig.update_layout(showlegend=False)
    fig.update_xaxes(title=f"{chrom} (1-based)", row=len(names), col=1)
    return _layout(fig, "Tracks around the variant", height=70 * len(names) + 120)
