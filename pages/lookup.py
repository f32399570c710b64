"""Variant lookup: one variant's ref/alt score, its window, tracks and ISM; a VCF in batch."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ncv_core.coords import variant_offset, window_bounds, window_start
from ncv_core.errors import NcvError
from ncv_core.interpret.ism import ism_table
from ncv_core.scoring.chunk import needs_tracks
from ui import cached, figures, frame, nav, render, state, words
from ui.batch import score_file

frame.require(__file__)

st.title("Variant lookup")
path = render.require_model("Variant lookup")
data = state.dataset()
loaded = cached.model(path)
table = cached.features(data).table
st.caption(
    f"Scored by **{path.name}** with the genome and the {data.cell_line} tracks of "
    f"**{data.name}**: the tabular features are the locus's (the same for both alleles), "
    "the composition features are recomputed for the alternative window."
)

single, batch = st.tabs(["One variant", "A file of variants (batch)"])
with batch:
    upload = st.file_uploader(
        "Variants: VCF (or BED/CSV/TSV with ref and alt)",
        type=["vcf", "gz", "bed", "csv", "tsv", "txt"],
        key="batch",
    )
    if upload is not None and st.button(
        "Score the file", type="primary", icon=":material/play_arrow:"
    ):
        src = state.save_upload(upload.name, upload.getvalue())
        with st.status("Scoring...") as status:
            result = score_file(
                loaded,
                path.name,
                src,
                data,
                lambda ev: status.update(label=f"Scoring: {ev['done']:,} rows read"),
                cached.background(path, data),
            )
            st.session_state["ncv_batch"] = result
            if result.error:
                status.update(label="Nothing could be scored", state="error")
            else:
                status.update(label=f"Done: {result.summary}", state="complete")
    result = st.session_state.get("ncv_batch")
    if result:
        render.show_notes(result.notes)
        if result.error:
            render.error(f"{result.name}: {result.error}")
        st.caption(f"{result.name} under {result.model}: {result.summary}")
        if len(result.rejected):
            st.caption("Why rows could not be scored:")
            render.table(result.reasons, f"reasons-{result.name}")
        if len(result.scores):
            score_words = {c: w for c, w in words.SCORE_WORDS.items() if c in result.scores}
            render.chart(figures.score_scatter(result.scores), "batch-scores")
            render.chart(figures.effect_bars(result.top), "batch-effects")
            st.caption(
                "The largest effects, ranked by the size of the change in probability: "
                + words.SCORE_WORDS["diff"][1]
            )
            render.table(result.top, f"top-{result.name}", words=score_words)
            st.caption("Every scored variant:")
            render.table(result.scores, f"scores-{result.name}", height=300, words=score_words)
        if result.vcf:
            st.download_button(
                "Download the annotated VCF (NCV_* INFO fields, bgzip)",
                result.vcf,
                f"scored-{result.name.removesuffix('.gz')}.gz",
                "application/gzip",
                on_click="ignore",
                icon=":material/download:",
            )
        if len(result.rejected):
            with st.expander(f"The {len(result.rejected):,} rows that could not be scored"):
                render.table(result.rejected, f"not-scored-{result.name}")

with single:
    how = st.radio("Variant", ["type it", "pick it from the table"], horizontal=True)
    if how == "type it":
        first = table.loc[table["label"].eq(1).fillna(False)].head(1)
        first = first if len(first) else table.head(1)
        chrom, pos, ref, alt = first[["chrom", "pos", "ref", "alt"]].iloc[0]
        example = f"{chrom}:{pos} {ref}>{alt}" if alt else f"{chrom}:{pos}"
        text = st.text_input("chr:pos ref>alt (also 1-12345-A-G, chr1:12,345:A:G)", example)
        try:
            found = cached.lookup(path, data, text)
        except NcvError as exc:  # here, not app-wide: the batch tab still shows
            render.error(exc)
            found = None
        row = found.row if found else pd.DataFrame()
        scores = found.scores if found else pd.DataFrame()
        if found:
            render.show_notes(found.notes)
            for r in found.rejected.query("category != 'no alt'").itertuples():
                render.error(f"{text}: {r.reason}")
    else:
        ids = table["id"].astype(str).tolist()
        row = table.iloc[[ids.index(st.selectbox("Locus", ids))]]
        scores = cached.score_rows(path, row, data) if row["alt"].iloc[0] else pd.DataFrame()
with single:  # last: it stops the script when there is nothing to show
    if row.empty:
        st.stop()
    locus = row.iloc[0]
    if len(scores):
        s = scores.iloc[0]
        keys = [k for k in ("p_ref", "p_alt", "diff", "logit_diff", "log2fc") if k in scores]
        cols = st.columns(len(keys))
        for col, key in zip(cols, keys, strict=True):
            shown = f"{s[key]:.4f}" if key in ("p_ref", "p_alt") else f"{s[key]:+.4f}"
            col.metric(words.word(key), shown, help=words.explain(key))
        if {"p_ref", "p_alt", "logit_diff"} <= set(scores.columns):
            st.markdown(
                words.effect_sentence(
                    float(s["p_ref"]),
                    float(s["p_alt"]),
                    float(s["logit_diff"]),
                    str(locus["ref"]),
                    str(locus["alt"]),
                )  # fmt: skip
            )
        if "diff_percentile" in scores:
            bg = cached.background(path, data)
            where = data.cell_line if needs_tracks(loaded) else None
            st.markdown(bg.sentence(s["diff"], s["diff_percentile"], where))
            fig = figures.background_histogram(
                bg.scores["diff"].abs(), abs(s["diff"]), what="size of the change in probability"
            )
            render.chart(fig, f"background-{locus['id']}", bg.scores)
        c1, c2 = st.columns([1, 2])
        with c1:
            fig = figures.allele_bars(scores, str(locus["ref"]), str(locus["alt"]))
            render.chart(fig, f"alleles-{locus['id']}", scores)
    else:
        c1, c2 = st.columns([1, 2])
        c1.info("No ALT allele: nothing to score; the window, tracks and ISM are below.")
    window = len(locus["seq"])
    mid = variant_offset(window)
    with c2:
        st.markdown(
            f"**{locus['id']}** · {locus['chrom']}:{locus['pos']:,} · label "
            f"{'none' if pd.isna(locus['label']) else locus['label']} · the {window}-bp "
            "window, the variant highlighted:"
        )
        seq, n_ref = locus["seq"], max(len(locus["ref"]), 1)  # an indel's REF: several bases
        change = f"{seq[mid : mid + n_ref]}&gt;{locus['alt']}" if locus["alt"] else seq[mid]
        st.html(
            f"<div style='font-family:monospace;word-break:break-all;font-size:0.9rem'>"
            f"{seq[:mid]}<mark style='background:#d62839;color:white'>{change}</mark>"
            f"{seq[mid + n_ref :]}</div>"
        )
    flank = st.slider("Tracks: bases on each side of the variant", 100, 5000, 1000, step=100)
    start, end = window_bounds(int(locus["pos"]), 2 * flank + 1)
    lo, sig = cached.signals(data, locus["chrom"], start, end)
    fig = figures.tracks_figure(
        sig,
        lo,
        variant=int(locus["pos"]),
        chrom=locus["chrom"],
        window=window_bounds(int(locus["pos"]), window),
        peaks=cached.peaks(data, locus["chrom"], lo, lo + len(next(iter(sig.values()), []))),
        unit="signal",
    )
    render.chart(fig, f"tracks-{locus['id']}", figures.tracks_frame(sig, lo))
    st.caption(
        "Signal: each bigWig's own values per base (the demo's are fold enrichment over "
        "background); red bars: the peaks of the mark's peaks file."
    )
    if loaded.model.uses_seq:
        ism = cached.ism(path, data, row)
        fig = figures.ism_heatmap(
            ism.delta_logit[0, 0],
            ism.ref_index[0],
            center=mid,
            first=int(window_start(int(locus["pos"]), window)),
            chrom=str(locus["chrom"]),
            span=(max(0, mid - 25), min(window - 1, mid + 25)),
            title="In-silico mutagenesis around the variant (dotted); pan for the whole window",
        )
        render.chart(fig, f"lookup-ism-{locus['id']}", ism_table(ism))
    nav.next_step("lookup")
