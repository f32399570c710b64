"""Filter motifs: first-layer filters as logos, their best JASPAR matches, clustered influence."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ncv_core.constants import BASES
from ncv_core.errors import NcvError
from ncv_core.io.model_folder import save_model
from ncv_core.io.motif_files import Motif, format_meme
from ncv_core.training import train
from ui import cached, figures, frame, nav, render, state

frame.require(__file__)

st.title("Filter motifs")
path = render.require_model("Filter motifs")
data = state.dataset()
loaded = cached.model(path)
arch = loaded.card["architecture"]["name"]
try:
    fm = cached.motifs_of_filters(path, data)
except NcvError as exc:
    if arch == "ssl_dnn":
        st.warning(
            f"The active model ({path.name}) is an SSL_dnn: its first layer looks at one base "
            "at a time, never at the four bases A, C, G, T of a position together, so it has "
            "no first-layer filters over A, C, G, T to read as motifs. Motifs need a sequence "
            "CNN, such as DeepBind.",
            icon=":material/info:",
        )
        st.caption(
            "The technical reason (hover the icon).",
            help="SSL_dnn's conv1 is a Conv2d whose (1, 4) kernels slide along one base row "
            "of the one-hot image; a motif filter is a Conv1d over the 4 base channels (a "
            "model's filter_conv).",
        )
    else:
        st.warning(f"The active model ({path.name}, {arch}) has no filters to read as motifs.")
        st.caption(state.public_text(str(exc)))
    label = f"Train a DeepBind on {data.name} (supervised, Adam, 10 epochs) and use it"
    if st.button(label, type="primary", icon=":material/play_arrow:"):
        feats = cached.features(data)
        result = train(
            feats.table,
            meta=feats.meta,
            source=data.name,
            method="supervised",
            model="deepbind",
            optimizer="adam",  # sequence-only CNNs learn on the demo with Adam (docs/TRAINING.md)
            lr=1e-3,
            epochs=10,
            progress=render.progress_bar("Training DeepBind"),
        )
        state.set_model(save_model(result, state.new_model_dir(f"{data.cell_line}-deepbind")))
        st.rerun()
    st.stop()

st.caption(
    f"{len(fm.pwms)} filters of width {fm.pwms.shape[1]} of **{path.name}**, each PWM "
    f"from the windows of {data.name} that activate it above half its maximum (Basset)."
)
c1, c2, c3, c4 = st.columns(4)
n_seqs = c1.slider("Sequences for the influence (each filter nullified on each)", 50, 1000, 100, 50)
n_logos = c2.slider("Logos (most influential filters)", 1, min(48, len(fm.pwms)), 8)
distance = c3.radio(
    "TomTom column similarity",
    ["pearson", "euclidean"],
    horizontal=True,
    help="pearson: MEME TomTom's -dist pearson, as in Basset; euclidean: memelite's TomTom",
)
max_q = c4.select_slider(
    "Name a JASPAR match when q ≤",
    [0.001, 0.01, 0.05, 0.1, 0.2],
    value=0.05,
    help="TomTom's q-value (false discovery rate over the JASPAR matrices): a logo is titled "
    "with its best match only when the match is this significant",
)
influence, clusters = cached.influence(path, data, n_seqs)
summary = fm.summary.copy()
summary.insert(1, "cluster", clusters.table["cluster"].to_numpy())
summary.insert(2, "mean_delta_prob", influence.mean_delta_prob[:, 0])
summary = summary.loc[summary["mean_delta_prob"].abs().sort_values(ascending=False).index]

everything = st.session_state.get("ncv_match_all") == (str(path), distance)
wanted = summary["filter"] if everything else summary["filter"].head(n_logos)
bar = st.progress(0.0, text="TomTom")
matches = cached.filter_matches(
    path, data, distance, wanted.tolist(), lambda k, n: bar.progress(k / n, f"TomTom {k}/{n}")
)
bar.empty()
best = matches.set_index("query").reindex([f"filter_{i}" for i in summary["filter"]])
for col in ("target", "target_name", "p_value", "q_value", "e_value", "orientation"):
    summary[f"jaspar_{col}"] = best[col].to_numpy()

st.subheader("Filters, most influential first")
cols = st.columns(2)
for k, row in enumerate(summary.head(n_logos).itertuples()):
    q = row.jaspar_q_value
    if q == q and q <= max_q:
        title = f"filter {row.filter}: like {row.jaspar_target_name} (JASPAR, q = {q:.2g})"
    else:
        title = f"filter {row.filter}: no significant JASPAR match (best q = {q:.2g})"
    with cols[k % 2]:
        logo = figures.logo_figure(
            fm.pwms[row.filter],
            title=title,
            ylabel="information (bits)",
            xlabel="position in the filter (bp)",
            information=True,
        )
        pwm = pd.DataFrame(fm.pwms[row.filter], columns=list(BASES)).rename_axis("pos")
        render.chart(logo, f"filter-{row.filter}-{path.name}", pwm.reset_index())
render.table(summary, f"filters-{path.name}", tsv=True, height=300)
if not everything and st.button(f"Match all {len(fm.pwms)} filters to JASPAR"):
    st.session_state["ncv_match_all"] = (str(path), distance)
    st.rerun()
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

st.subheader("Influence, clustered")
tasks = loaded.label_columns if loaded.model.head == "sigmoid" else [loaded.label_columns[0]]
shown_tasks = [f"P({t})" if t != "label" else "P(functional)" for t in tasks]
fig = figures.influence_heatmap(
    influence.mean_delta_prob,
    clusters.table["leaf_order"].to_numpy(),
    [f"filter {i}" for i in range(len(fm.pwms))],
    shown_tasks,
    linkage=clusters.linkage,
    clusters=clusters.table["cluster"].to_numpy(),
)
render.chart(fig, f"influence-{path.name}", influence.table.merge(clusters.table, on="filter"))
st.caption(
    f"Mean change of the predicted probability over {n_seqs} sequences of {data.name} "
    "when a filter's output is replaced by its mean activation (red: nullifying it lowers the "
    "prediction, so the filter supports it; blue: the filter holds it down); the tree above joins filters with similar influence "
    "(hierarchical clustering, average linkage)."
)

nav.next_step("motifs", "Which bases of one locus the model relies on, base by base.")
