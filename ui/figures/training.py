"""Training: validation curves per epoch and the SSL dynamics (alpha, promotion, pseudo-label accuracy)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.figures.style import baseline_colors, layout, nan_of, series_color

__all__ = ["SSL_PANELS", "history_frame", "series_dash", "ssl_dynamics", "training_curves"]


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
        dash, symbol = series_dash(name, histories)
        fig.add_trace(
            go.Scatter(
                x=[r["epoch"] for r in rows],
                y=[nan_of(r.get("val_auroc")) for r in rows],
                mode="lines+markers",
                name=name,
                line={"color": series_color(name), "dash": dash},
                marker={"symbol": symbol},
                hovertemplate="epoch %{x}<br>AUROC on held-out rows %{y:.3f}"
                f"<extra>{name}</extra>",
            )
        )
    colors = baseline_colors(baselines or {})
    for col, value in (baselines or {}).items():
        if value is not None and math.isfinite(value):
            fig.add_hline(
                y=value,
                line={"dash": "dot", "color": colors[col]},
                annotation_text=f"{col} {value:.3f}",
                annotation_position="bottom right",
                annotation_font_color=colors[col],
            )
    seen = [
        float(r["val_auroc"])
        for rows in histories.values()
        for r in rows
        if r.get("val_auroc") is not None and math.isfinite(float(r["val_auroc"]))
    ]
    seen += [v for v in (baselines or {}).values() if v is not None and math.isfinite(v)]
    fig.update_xaxes(title="epoch", rangemode="tozero")
    fig.update_yaxes(title="AUROC on the held-out rows", range=[min([0.5, *seen]) - 0.02, 1.0])
    return layout(
        fig, "AUROC on the held-out (validation) rows, per epoch", hovermode="x unified", height=380
    )


def series_dash(name: str, names: Iterable[str]) -> tuple[str, str]:
    """Line dash and marker of a run, so runs of one method (one colour) stay apart: the
    pre-training stage ``job · pretrain`` dotted with open circles, a pre-trained job solid, the
    same method without pre-training dashed with squares (solid when no run is pre-trained)."""
    if name.endswith(" · pretrain"):
        return "dot", "circle-open"
    if "pretrain" in name.split(" · ")[0]:
        return "solid", "circle"
    if any("pretrain" in n for n in names):
        return "dash", "square"
    return "solid", "circle"


SSL_PANELS = (
    ("alpha", "weight of the unlabelled loss α(t)"),
    ("n_promoted_total", "pseudo-labels promoted (count)"),
    ("pseudo_acc", "pseudo-label accuracy"),
)


def ssl_dynamics(
    histories: Mapping[str, Sequence[Mapping[str, Any]]], *, promotion: bool = True
) -> go.Figure:
    """α(t), promoted pseudo-labels (cumulative count) and pseudo-label accuracy per epoch.

    Only runs whose records carry these keys (pseudo-label SSL) are drawn; ``promotion=False``
    (no confidence threshold: the count is always 0) leaves the promotion panel out.
    """
    panels = [p for p in SSL_PANELS if promotion or p[0] != "n_promoted_total"]
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[t for _, t in panels])
    for name, rows in histories.items():
        if not rows or "alpha" not in rows[0]:
            continue
        for col, (key, label) in enumerate(panels, start=1):
            fig.add_trace(
                go.Scatter(
                    x=[r["epoch"] for r in rows],
                    y=[nan_of(r.get(key)) for r in rows],
                    mode="lines+markers",
                    name=name,
                    legendgroup=name,
                    showlegend=col == 1,
                    line={"color": series_color(name)},
                    hovertemplate="epoch %{x}<br>" + label + " %{y:.3f}<extra>" + name + "</extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title="epoch")
    for col, (key, _) in enumerate(panels, start=1):
        if key == "n_promoted_total":
            fig.update_yaxes(rangemode="tozero", row=1, col=col)
        else:
            fig.update_yaxes(range=[0, 1.05], row=1, col=col)
    fig.update_annotations(font_size=12)
    return layout(fig, "Pseudo-labelling", height=320)


def history_frame(histories: Mapping[str, Sequence[Mapping[str, Any]]]) -> pd.DataFrame:
    """All epoch records of all runs in one table (``run`` first), for download."""
    frames = [pd.DataFrame(list(rows)).assign(run=name) for name, rows in histories.items() if rows]
    if not frames:
        return pd.DataFrame(columns=["run", "epoch"])
    df = pd.concat(frames, ignore_index=True)
    return df[["run", *[c for c in df.columns if c != "run"]]]
