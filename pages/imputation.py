"""Imputation: fill a cell line's missing tracks with Avocado, look at them, use them."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ncv_core.features.loci import read_loci
from ncv_core.impute.regions import bed_regions, loci_regions
from ui import cached_impute, dataset, figures, frame, impute_jobs, live, nav, render, state

frame.require(__file__)
NEXT = "Score variants with the imputed tracks: Use imputed tracks makes them the data set's."

st.title("Imputation")
st.caption(
    "Avocado (Schreiber et al.) learns cell-line, mark and genome-position embeddings from the "
    "tracks that exist and imputes the (cell line, mark) pairs nobody measured (docs/IMPUTATION.md)."
)
panel = cached_impute.impute_panel()
folder = state.workspace() / "impute"
run: impute_jobs.ImputationRun | None = st.session_state.get("ncv_impute_run")
busy = run is not None and run.running
if run is not None and not busy and not run.adopted:  # a finished fit: its model is the one
    run.adopted = True
    if run.snapshot().card is not None:
        st.session_state["ncv_impute_model"] = str(run.out)

with st.expander("Tracks and model", expanded=st.session_state.get("ncv_impute_model") is None):
    c1, c2 = st.columns(2)
    tracks = c1.text_input("Tracks manifest", str(panel.tracks))
    truth = c2.text_input("Truth of absent tracks (manifest, optional)", str(panel.hidden))
    where = st.radio("Regions", ["a BED file", "around the data set's loci"], horizontal=True)
    if where == "a BED file":
        bed = st.text_input("Regions (BED)", str(panel.regions))
    else:
        context = st.number_input("Context around each 150-bp window, bp", 0, 5000, 100, 50)
    c1, c2, c3, c4 = st.columns(4)
    epochs = c1.number_input("Epochs", 1, 200, 5)
    seed = c2.number_input("Seed", 0, 10_000, 0)
    normalize = c3.selectbox(
        "Normalise tracks",
        ["none", "median"],
        help="none: the paper's input; median: divide each track by its median first (tracks "
        "whose gain varies by lab or depth)",
    )
    c4.write("")
    if c4.button("Train", type="primary", icon=":material/play_arrow:", disabled=busy):
        if where == "a BED file":
            regions = bed_regions(bed)
        else:
            loci = read_loci(state.dataset().loci).table
            regions = loci_regions(loci["chrom"].tolist(), loci["pos"].to_numpy(), context=context)
        out = folder / f"avocado-seed{seed}-{len(list(folder.glob('avocado-*'))) + 1}"
        options = {"epochs": int(epochs), "seed": int(seed), "normalize": normalize}
        run = impute_jobs.ImputationRun(tracks, regions, out, options).start()
        st.session_state["ncv_impute_run"] = run
        busy = True
    loaded = st.text_input("...or load an imputation model folder (ncv impute fit)")
    if loaded and st.button("Load", icon=":material/upload:"):
        cached_impute.imputation_model(loaded)  # an NcvError here is shown by the frame
        st.session_state["ncv_impute_model"] = loaded


def progress() -> None:
    status = run.snapshot()
    st.progress(status.fraction(), text=status.describe())
    if status.history:
        render.chart(figures.imputation_curves(status.history), "imputation-training")


if run is not None:  # once the fit has ended, the page reruns (it adopts the model)
    live.poll(run, busy, progress, key="imputation", stopping="Stopping after this batch...")
    done = run.snapshot()
    render.show_notes(done.notes)
    if done.error:
        render.error(done.error)  # the file's own name, not the server's path

model = st.session_state.get("ncv_impute_model")
if model is None:
    st.info("Train a model on the tracks (a few epochs take a minute), or load one.")
    nav.next_step("imputation", NEXT)
    st.stop()

fit, card = cached_impute.imputation_model(model)
truth_path = truth if truth and Path(truth).is_file() else None
st.caption(
    f"Model `{Path(model).name}`: {len(fit.cells)} cell lines x {len(fit.assays)} marks, "
    f"{len(card['measured'])} measured tracks, {len(card['history'])} epoch(s)"
    + (" (stopped early)" if card["stopped"] else "")
)
measured = {tuple(p) for p in card["measured"]}
c1, c2, c3 = st.columns(3)
cell = c1.selectbox("Cell line", fit.cells)
marks = sorted(fit.assays, key=lambda m: (cell, m) in measured)
mark = c2.selectbox(
    "Mark", marks, format_func=lambda m: m + (" (measured)" if (cell, m) in measured else "")
)
regions = [
    r for r in card["layout"]["regions"] if r["species"] == fit.cell_species[fit.cells.index(cell)]
]
region = c3.selectbox(
    "Region",
    range(len(regions)),
    format_func=lambda i: f"{regions[i]['chrom']}:{regions[i]['start']:,}-{regions[i]['end']:,}",
)
view = cached_impute.imputed_view(model, cell, mark, int(region), truth_path)
render.chart(
    figures.imputed_track_figure(view, cell, mark),
    f"imputed-{cell}-{mark}",
    figures.track_view_frame(view, mark),
)

scores = {
    (r["cell_line"], r["mark"]): r for r in cached_impute.imputation_scores(model, truth_path)
}
if (cell, mark) in scores:
    s = scores[(cell, mark)]
    cols = st.columns(3)
    cols[0].metric(
        "MSE (arcsinh scale)",
        render.fmt(s["mse"], 4),
        help="mse: mean squared difference from the measured track over 25-bp bins, after "
        "arcsinh (the scale Avocado trains on); 0 is a perfect copy.",
    )
    cols[1].metric(
        "Average-activity baseline",
        render.fmt(s["baseline_mse"], 4),
        help="baseline_mse: the same error for the mark's average over the other cell lines "
        "(Schreiber et al.'s baseline).",
    )
    cols[2].metric(
        "Improvement",
        f"{100 * s['improvement']:.1f}%",
        help="improvement: 1 - mse / baseline_mse, how much lower the imputed track's error is "
        "than the baseline's.",
    )
elif (cell, mark) not in measured:
    st.caption("No truth for this track: nobody measured it.")

c1, c2 = st.columns(2)
c1.download_button(
    f"Download {cell} {mark} (bigWig)",
    data=lambda: cached_impute.imputed_bigwig(
        model, cell, mark, folder / "downloads" / f"{cell}-{mark}.bw"
    ),
    file_name=f"{cell}-{mark}-imputed.bw",
    mime="application/octet-stream",
    on_click="ignore",
    icon=":material/download:",
)
if c2.button("Use imputed tracks", icon=":material/table_view:"):
    manifest = cached_impute.imputed_manifest(model, folder / f"{Path(model).name}-tracks")
    data = state.dataset()
    demo = dataset.demo_paths()
    target = cell if cell in demo.loci else data.cell_line
    loci = str(demo.loci[target]) if data.demo else data.loci
    name = f"{target} + imputed tracks"
    state.set_dataset(dataset.DataSet(loci, data.genome, manifest, target, name))
    st.switch_page("pages/data.py")
nav.next_step("imputation", NEXT)
