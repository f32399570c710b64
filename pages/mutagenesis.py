"""Mutagenesis: ISM heatmap (position x base) with an importance logo, and captum beside it."""

from __future__ import annotations

import math
import re

import streamlit as st

from ncv_core.coords import variant_offset, window_start
from ncv_core.interpret.attribution import METHODS, attribution_table
from ncv_core.interpret.ism import IMPORTANCE, ism_table
from ui import cached, figures, frame, nav, render, state

frame.require(__file__)

st.title("Mutagenesis")
path = render.require_model("Mutagenesis")
data = state.dataset()
loaded = cached.model(path)
if not loaded.model.uses_seq:
    st.warning(f"{path.name} reads no sequence (a tabular model): there is nothing to mutate.")
    st.stop()
table = cached.features(data).table
ids = table["id"].astype(str).tolist()
functional = table["label"].eq(1).fillna(False).to_numpy(dtype=bool)
first = int(functional.argmax())  # the first functional locus (0 when there is none)
c1, c2 = st.columns([2, 1])
row = ids.index(c1.selectbox("Locus", ids, index=first, help="Type to search the ids."))
mode = c2.radio("Sequence", ["the locus's window", "a pasted sequence"], horizontal=True)
window = loaded.window
seq = None
if mode == "a pasted sequence":
    text = st.text_area(f"Sequence ({window} bases, A/C/G/T/N)", table["seq"].iloc[row])
    seq = re.sub(r"\s+", "", text).upper()
    if not re.fullmatch(r"[ACGTN]*", seq) or len(seq) != window:
        st.error(
            f"The sequence must be {window} letters of A, C, G, T or N; it has {len(seq)}"
            + ("" if re.fullmatch(r"[ACGTN]*", seq) else " and other characters")
            + "."
        )
        st.stop()

frame = table.iloc[[row]] if seq is None else table.iloc[[row]].assign(seq=seq)
ism = cached.ism(path, data, frame)
locus = table.iloc[row]
name = f"{locus['id']}{'-pasted' if seq else ''}"
st.caption(
    f"**{name}** ({locus['chrom']}:{locus['pos']:,} {locus['ref']}>{locus['alt']}, label "
    f"{locus['label']}): predicted probability {ism.ref_prob[0, 0]:.3f}. "
    + ism.tabular[:1].upper()
    + ism.tabular[1:]
    + (f" (those of {locus['id']})." if loaded.model.uses_tab else ".")
)
center = variant_offset(window)
bases = list(frame["seq"].iloc[0])
first = None if seq else int(window_start(int(locus["pos"]), window))
chrom = "" if seq else str(locus["chrom"])


def coordinate(p: int) -> str:
    return f"{first + p:,}" if first is not None else f"offset {p}"


lo, hi = st.select_slider(
    "Positions shown (drag either end; pan and zoom in the figures reach the rest)",
    options=list(range(window)),
    value=(max(0, center - 25), min(window - 1, center + 25)),
    format_func=coordinate,
    help=f"The {window}-bp window of the locus, {chrom + ':' if chrom else ''}"
    f"{coordinate(0)} to {coordinate(window - 1)}; the variant is at {coordinate(center)}.",
)
span = (lo, hi)
fig = figures.ism_heatmap(
    ism.delta_logit[0, 0],
    ism.ref_index[0],
    center=center,
    first=first,
    chrom=chrom,
    span=span,
    title="Change of the log-odds for every single-base change (dots: the reference base; "
    "dotted line: the variant)",
)
render.chart(fig, f"ism-{name}", ism_table(ism))

c1, c2 = st.columns(2)
common = {"center": center, "first": first, "chrom": chrom, "span": span, "reference": bases}
common["height"] = 280
with c1:
    importance = figures.reference_matrix(ism.importance[0, 0], ism.ref_index[0])
    logo = figures.logo_figure(
        importance,
        title="ISM importance of each reference base",
        ylabel="importance (Δ log-odds)",
        xlabel="reference sequence",
        **common,
    )
    render.chart(logo, f"ism-logo-{name}", importance.rename_axis("pos").reset_index())
    st.caption(
        f"Importance: {IMPORTANCE} (log-odds units), drawn as the reference base: tall "
        "letters are bases whose change lowers the prediction."
    )
with c2:
    method = st.selectbox(
        "Attribution (captum)",
        METHODS,
        help="ig: integrated gradients from an all-zero baseline; deeplift_shap: DeepLIFT over "
        "dinucleotide shuffles; saliency: the signed gradient",
    )
    attr = cached.attribution(path, data, frame, method)
    logo = figures.logo_figure(
        attr.attributions[0],
        title=f"Attributions ({method})",
        ylabel="attribution (log-odds units)",
        xlabel="reference sequence",
        **common,
    )
    render.chart(logo, f"attribution-{method}-{name}", attribution_table(attr))
    if math.isfinite(float(attr.delta[0])):
        st.caption(
            f"Convergence delta {float(attr.delta[0]):+.2e} (sum of attributions minus the "
            "change of the logit from the baseline)."
        )

nav.next_step("mutagenesis", "Score a variant you typed, or a whole VCF, with the active model.")
