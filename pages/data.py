"""Data: the built-in demo, or your loci with a genome and tracks on disk -> the feature table."""

from __future__ import annotations

import streamlit as st

from ncv_core.constants import CELL_LINES
from ncv_core.coords import variant_offset
from ncv_core.features.build import build_features
from ui import cached, dataset, frame, nav, render, state

frame.require(__file__)

st.title("Data")
current = state.dataset()
source = st.radio(
    "Loci", ["Demo data set", "My files"], index=0 if current.demo else 1, horizontal=True
)

if source == "Demo data set":
    st.caption(
        "A simulated 6-Mb genome with 11 tracks in 3 cell lines and the SSL_dnn paper's loci "
        "counts (docs/DEMO.md)."
    )
    index = CELL_LINES.index(current.cell_line) if current.demo else 0
    cell = st.selectbox("Cell line", CELL_LINES, index=index)
    if not current.demo or cell != current.cell_line:
        state.set_dataset(dataset.demo_dataset(cell))
        st.rerun()  # redraw the sidebar with the new data set
else:
    demo = dataset.demo_paths()
    upload = st.file_uploader(
        "Loci file: VCF, BED, CSV or TSV (gzip is fine)",
        type=["vcf", "bed", "csv", "tsv", "txt", "gz"],
    )
    mine = None if current.demo else current
    genome = st.text_input(
        "Genome FASTA: a path on this server (genomes are read in place, not uploaded)",
        value=mine.genome if mine else str(demo.genome),
    )
    tracks = st.text_input(
        "Tracks manifest (tracks.tsv): a path on this server",
        value=mine.tracks if mine else str(demo.tracks),
    )
    st.caption("The paths start as the demo's genome and tracks; replace them with yours.")
    if upload is not None and genome and tracks:
        loci = state.save_upload(upload.name, upload.getvalue())
        names, found = cached.manifest_cell_lines(tracks, dataset.file_stamp(tracks))
        render.show_notes(found)
        cell = st.selectbox("Cell line", names)
        if st.button("Build features", type="primary", icon=":material/play_arrow:"):
            with st.status("Computing features...", expanded=False) as status:
                build_features(
                    loci,
                    genome,
                    tracks,
                    cell,
                    progress=lambda ev: status.update(
                        label=f"Computing features: {ev['stage']} {ev['done']:,}"
                        + (f"/{ev['total']:,}" if ev.get("total") else "")
                    ),
                )
                status.update(label="Features computed", state="complete")
            state.set_dataset(
                dataset.DataSet(str(loci), genome, tracks, cell, f"{upload.name} {cell}")
            )
            st.rerun()
    if state.dataset().demo:
        st.info("Upload a loci file, check the two paths, choose the cell line and build.")
        st.stop()

data = state.dataset()
feats = cached.features(data)
render.show_notes(feats.notes)
table = feats.table
labels = table["label"]
cols = st.columns(5)
cols[0].metric("Kept loci", f"{len(table):,}")
cols[1].metric("Rejected", f"{len(feats.rejected):,}")
cols[2].metric("Functional (1)", f"{int((labels == 1).sum()):,}")
cols[3].metric("Not functional (0)", f"{int((labels == 0).sum()):,}")
cols[4].metric("Unlabelled", f"{int(labels.isna().sum()):,}")
st.caption(f"{data.name}: {feats.summary}")

st.subheader("Rejected loci")
if len(feats.rejected):
    reasons = feats.rejected.groupby("category").size().rename("loci").reset_index()
    render.table(reasons.sort_values("loci", ascending=False), f"reasons-{data.cell_line}")
    render.table(feats.rejected, f"rejected-{data.cell_line}")
else:
    st.write("None: every locus could be placed on the genome.")

st.subheader("Feature table")
st.caption(
    f"{len(feats.meta.get('feature_columns', [])):,} feature columns for the marks "
    f"{', '.join(feats.meta.get('marks', []))}; baseline score columns: "
    f"{', '.join(feats.meta.get('baseline_columns', [])) or 'none'}; `seq` is the "
    f"{feats.meta.get('window')}-bp window, the variant at offset {variant_offset(feats.meta.get('window', 0))}."
)
render.table(table, f"features-{data.cell_line}", height=360)

n_labelled = int(labels.notna().sum())
if n_labelled:
    nav.next_step(
        "data",
        f"{n_labelled:,} labelled loci: the Train page learns which are functional from them "
        "(the unlabelled ones help the semi-supervised method).",
    )
else:
    nav.next_step(
        "data",
        "No locus has a label: a model cannot be trained on this file. Score its variants with "
        "a trained model on Variant lookup instead.",
        target="pages/lookup.py",
        label="Score these variants",
        icon=":material/search:",
    )
