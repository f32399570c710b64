"""Filter motifs: first-layer filters as logos, their best JASPAR matches, clustered influence."""

from __future__ import annotations

import streamlit as st

from ncv_core.errors import NcvError
from ncv_core.interpret.motifs import Motif, format_meme
from ui import cached, plots, render, state

st.title("Filter motifs")
path = render.require_model("Filter motifs")
data = state.dataset()
loaded = cached.model(path)
arch = loaded.card["architecture"]["name"]
try:
    fm = cached.motifs_of_filters(path, data)
except NcvError as exc:
    st.warning(
        f"The active model ({path.name}, {arch}) has no first-layer 1-D filters to read "
        f"as motifs. {exc}.",
        icon=":material/info:",
    )
    if arch == "ssl_dnn":
        st.write(
            "SSL_dnn's conv1 is a Conv2d whose (1, 4) kernels slide along one base row at a "
            "time, so its filters are not position weight matrices over A, C, G, T. Train a "
            "sequence CNN (model **deepbind**, Adam) on the Train page and come back."
        )
    st.page_link(
        "app_pages/train.py", label="Train a sequence CNN", icon=":material/model_training:"
    )
    st.stop()

st.caption(
    f"{len(fm.pwms)} filters of width {fm.pwms.shape[1]} of **{path.name}**, each PWM "
    f"from the windows of {data.name} that activate it above half its maximum (Basset)."
)
n_seqs = st.slider(
    "Sequences for the influence (each filter nullified on each)", 50, 1000, 200, step=50
)
matches = cached.filter_matches(path, data).set_index("query")
influence, clusters = cached.influence(path, data, n_seqs)

summary = fm.summary.copy()
summary.insert(1, "cluster", clusters.table["cluster"].to_numpy())
summary.insert(2, "mean_delta_prob", influence.mean_delta_prob[:, 0])
best = matches.reindex([f"filter_{i}" for i in summary["filter"]])
for col in ("target", "target_name", "p_value", "q_value", "e_value", "orientation"):
    summary[f"jaspar_{col}"] = best[col].to_numpy()
order = summary["mean_delta_prob"].abs().sort_values(ascending=False).index
summary = summary.loc[order]

st.subheader("Filters, most influential first")
render.table(summary, f"filters-{path.name}", height=300)
meme = format_meme(
    Motif(f"filter_{i}", p, nsites=float(n))
    for i, (p, n) in enumerate(zip(fm.pwms, fm.summary["n_sites"], strict=True))
)
st.download_button(
    "Download the filters' PWMs (MEME)",
    meme,
    f"filters-{path.name}.meme",
    "text/plain",
    on_click="ignore",
    icon=":material/download:",
)

n_logos = st.slider("Logos to show", 1, min(48, len(summary)), min(8, len(summary)))
cols = st.columns(2)
for k, row in enumerate(summary.head(n_logos).itertuples()):
    title = (
        f"filter {row.filter}: {row.jaspar_target_name} ({row.jaspar_target}, "
        f"{row.jaspar_orientation}) q={row.jaspar_q_value:.2g}, Δprob {row.mean_delta_prob:+.3f}"
    )
    with cols[k % 2]:
        logo = plots.logo_figure(fm.pwms[row.filter], title=title, ylabel="bits", information=True)
        render.chart(logo, f"filter-{row.filter}-{path.name}")

st.subheader("Influence, clustered")
tasks = loaded.label_columns if loaded.model.head == "sigmoid" else [loaded.label_columns[0]]
fig = plots.influence_heatmap(
    influence.mean_delta_prob,
    clusters.table["leaf_order"].to_numpy(),
    [f"filter {i}" for i in range(len(fm.pwms))],
    tasks,
)
render.chart(fig, f"influence-{path.name}", influence.table.merge(clusters.table, on="filter"))
st.caption(
    f"Mean change of the predicted probability over {n_seqs} sequences of {data.name} "
    "when a filter's output is replaced by its mean activation; rows in the order of "
    "their hierarchical clustering."
)
