"""The Streamlit app, driven headless with streamlit.testing's AppTest on the demo data.

Every page is opened and its main widgets driven: a real (short) training in background threads
with its live curves and stop, model upload (zip, files, corrupt ones), evaluation with CV and the
cross-cell-line matrix, filter motifs, mutagenesis. Models for the interpretation pages are
trained once per module (a few epochs) by the core, as a user's Train page run would.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
import torch
from streamlit.testing.v1 import AppTest

from ncv_core.demo import ensure_demo
from ncv_core.features.build import build_features
from ncv_core.io.model_folder import CARD, WEIGHTS, save_model
from ncv_core.training import train
from ui.jobs import one_torch_thread
from ui.modelfiles import zip_model

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


class _NoPagesFolder(type(Path())):
    """``Path`` for streamlit's PagesManager, blind to the ``pages/`` folder (see _app_env)."""

    def exists(self, *args, **kwargs) -> bool:
        return self.name != "pages" and super().exists(*args, **kwargs)


@pytest.fixture(autouse=True)
def _app_env(tmp_path_factory, tmp_path, monkeypatch):
    """Fresh Streamlit caches per test (streamlit issue 9139), one demo for the whole run, and
    the sessions' private folders under this test's tmp_path.

    AppTest forgets before every run that ``app.py`` calls ``st.navigation``, and so treats the
    ``pages/`` folder as Streamlit's old auto-discovered layout on every run; a server does that
    only until its first run of ``app.py`` (the first-request deep link is covered by
    ``ui.frame`` and the browser test). Here PagesManager does not see the folder, as a running
    server's navigation does not.
    """
    monkeypatch.setattr("streamlit.runtime.pages_manager.Path", _NoPagesFolder)
    monkeypatch.setenv("NCV_DEMO_DIR", str(tmp_path_factory.getbasetemp() / "app-demo"))
    monkeypatch.setenv("NCV_SESSION_DIR", str(tmp_path / "sessions"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    """An ssl_dnn (ssl) and a deepbind (supervised, Adam) on the demo's GM12878, 3 epochs."""
    base = tmp_path_factory.getbasetemp()
    demo = ensure_demo(base / "app-demo")
    cache = tmp_path_factory.mktemp("models-cache")
    feats = build_features(
        demo.loci["GM12878"], demo.genome, demo.tracks, "GM12878", cache_dir=cache
    )
    out = tmp_path_factory.mktemp("models")
    runs = {
        "ssl": {"method": "ssl"},
        "deepbind": {"method": "supervised", "model": "deepbind", "optimizer": "adam", "lr": 1e-3},
    }
    with one_torch_thread():
        return {
            name: save_model(train(feats.table, meta=feats.meta, epochs=3, **opts), out / name)
            for name, opts in runs.items()
        }


def app(model: Path | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if model is not None:
        at.session_state["ncv_model"] = str(model)
    return at.run()


def page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"pages/{name}.py").run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):
    found = [b for b in at.button if b.label.startswith(label)]
    assert found, f"no button {label!r} among {[b.label for b in at.button]}"
    return found[0]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    return "\n".join(parts)


def n_charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


def charts(at: AppTest) -> list[dict]:
    """The plotly figures of the page, as dicts."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def links(at: AppTest) -> list[str]:
    return [link.proto.label for link in at.get("page_link")]


def messages(at: AppTest) -> str:
    """Every error, warning, info and success text of the page."""
    return "\n".join(
        e.value for kind in ("error", "warning", "info", "success") for e in at.get(kind)
    )


def test_data_page_opens_on_the_demo() -> None:
    at = app()
    assert not at.exception
    assert at.title[0].value == "Data"
    assert metrics(at) == {
        "Kept loci": "4,428",
        "Rejected": "0",
        "Functional (1)": "683",
        "Not functional (0)": "2,745",
        "Unlabelled": "1,000",
    }
    assert "demo GM12878: kept 4,428, rejected 0" in texts(at)
    assert "4,428 rows" in at.sidebar.markdown[0].value
    assert "Next: Train a model on these loci" in links(at)
    assert len(at.dataframe[-1].value) == 4428
    assert {"features-GM12878.csv"} <= {b.proto.label.split()[-1] for b in at.download_button}
    at.selectbox[0].select("K562").run()
    assert not at.exception
    assert metrics(at)["Kept loci"] == "2,696"
    assert "demo K562" in at.sidebar.markdown[0].value


def test_data_page_uploaded_loci_with_rejections_and_bad_paths() -> None:
    at = app()
    at.radio[0].set_value("My files").run()
    assert "Upload a loci file" in at.info[0].value
    loci = b"chrom\tpos\tlabel\tcadd\nchr1\t5000\t1\t0.5\nchr1\t6000\t0\t0.1\nchrZ\t10\t1\t0.3\n"
    at.file_uploader[0].upload("mine.tsv", loci, "text/tab-separated-values").run()
    assert at.selectbox[0].options == ["GM12878", "HepG2", "K562"]
    button(at, "Build features").click().run()
    assert not at.exception
    assert metrics(at)["Kept loci"] == "2" and metrics(at)["Rejected"] == "1"
    reasons = at.dataframe[0].value
    assert reasons.to_dict("records") == [{"category": "unknown contig", "loci": 1}]
    assert at.session_state["ncv_data"].name == "mine.tsv GM12878"
    at.text_input[1].set_value("/nonexistent/tracks.tsv").run()
    assert not at.exception
    assert "tracks manifest not found" in at.error[0].value


def _wait(at: AppTest, limit: float = 90.0) -> None:
    run = at.session_state["ncv_run"]
    end = time.monotonic() + limit
    while run.running and time.monotonic() < end:
        time.sleep(0.3)
        at.run()
    assert not run.running, "training did not finish"
    at.run()
    assert not at.exception


def test_train_page_trains_ssl_and_supervised_side_by_side() -> None:
    at = page(app(), "train")
    assert at.multiselect[0].value == ["ssl", "supervised"]
    # the default epochs complete the alpha(t) ramp: 600 batches / 35 a epoch on GM12878
    assert at.number_input[0].value == 18
    assert "18 epochs reaches full weight (1)" in texts(at)
    at.number_input[0].set_value(3).run()
    assert "3 epochs reaches only 0.01 (full weight from epoch 18)" in texts(at)
    button(at, "Train").click().run()
    assert not at.exception
    progress = [p.proto.text for p in at.get("progress")]
    assert len(progress) == 2 and progress[0].startswith("ssl")
    _wait(at)
    body = texts(at)
    assert "**ssl** (done: ran every epoch, 3 epochs): AUROC on held-out rows 0." in body
    assert "**supervised** (done: ran every epoch, 3 epochs): AUROC on held-out rows 0." in body
    assert n_charts(at) == 2  # AUROC per epoch, pseudo-labelling (alpha, accuracy)
    dynamics = charts(at)[1]
    titles = [a["text"] for a in dynamics["layout"]["annotations"]]
    assert len(titles) == 2 and not any("promoted" in t for t in titles)  # promotion was off
    assert "No pseudo-labels were promoted" in body
    # the higher AUROC on the shared held-out rows becomes the active model, and it says so
    run = at.session_state["ncv_run"]
    cards = {j.out.name: j.card["metrics"]["val_auroc"] for j in run.snapshot()}
    active = Path(at.session_state["ncv_model"])
    assert cards[active.name] == max(cards.values()) and (active / WEIGHTS).exists()
    assert f"{active.name} is the active model: the higher AUROC" in at.success[0].value
    method = active.name.rsplit("-", 1)[1]
    assert f"**{active.name}** · ssl_dnn · {method} ·" in at.sidebar.markdown[-1].value
    other = next(n for n in cards if n != active.name)
    button(at, "Use this model").click().run()
    assert Path(at.session_state["ncv_model"]).name == other
    assert "Next: Evaluate the active model" in links(at)
    page(at, "models")
    assert set(at.dataframe[0].value["model"]) == set(cards)


def test_train_page_with_promotion_draws_the_promoted_count() -> None:
    at = page(app(), "train")
    at.multiselect[0].set_value(["ssl"])
    at.number_input[0].set_value(2)
    at.checkbox[0].check().run()
    button(at, "Train").click().run()
    _wait(at)
    titles = [a["text"] for a in charts(at)[1]["layout"]["annotations"]]
    assert any("promoted (count)" in t for t in titles)
    assert at.success[0].value == "GM12878-ssl_dnn-ssl is the active model."


def test_train_is_disabled_with_the_reason_for_unlabelled_loci() -> None:
    at = app()
    at.radio[0].set_value("My files").run()
    loci = b"chrom\tpos\nchr1\t5000\nchr1\t6000\nchr2\t7000\n"
    at.file_uploader[0].upload("unlabelled.tsv", loci, "text/tab-separated-values").run()
    button(at, "Build features").click().run()
    assert not at.exception and metrics(at)["Unlabelled"] == "3"
    assert "No locus has a label" in texts(at) and "Next: Score these variants" in links(at)
    page(at, "train")
    train_button = button(at, "Train")
    assert train_button.disabled
    assert "cannot be trained on with these settings" in at.warning[0].value
    assert "no labelled rows" in at.warning[0].value
    assert n_charts(at) == 0


def test_train_page_stop() -> None:
    at = page(app(), "train")
    at.multiselect[0].set_value(["supervised"])
    at.number_input[0].set_value(300)
    button(at, "Train").click().run()
    button(at, "Stop").click().run()
    assert not at.exception
    _wait(at)
    run = at.session_state["ncv_run"]
    job = run.snapshot()[0]
    assert job.status == "stopped" and job.card["training"]["termination"] == "stopped"
    assert len(job.card["history"]) < 300
    assert "**supervised** (stopped: stopped early by you," in texts(at)
    bar = at.get("progress")[0].proto
    assert bar.text.startswith("supervised: stopped at epoch ") and bar.text.endswith("/300")
    assert bar.value < 100  # not a full bar


def test_models_page_upload_zip_files_and_corrupt(models) -> None:
    at = page(app(), "models")
    assert "No models in this session yet" in at.info[0].value
    at.file_uploader[0].upload("gm-ssl.zip", zip_model(models["ssl"]), "application/zip").run()
    button(at, "Add the uploaded model").click().run()
    assert not at.exception and not at.error
    assert Path(at.session_state["ncv_model"]).name == "gm-ssl"
    assert at.dataframe[0].value["model"].tolist() == ["gm-ssl"]
    assert at.metric[0].label == "AUROC on held-out rows" and at.metric[0].value.startswith("0.")
    assert "val_auroc" in at.metric[0].help
    assert "None" not in " ".join(m.value for m in at.metric)
    assert "Added gm-ssl" in at.success[0].value
    button(at, "Add the uploaded model").click().run()  # the same upload, clicked again
    assert at.dataframe[0].value["model"].tolist() == ["gm-ssl"]  # no duplicate
    assert "already here as gm-ssl" in at.success[0].value

    uploader = at.file_uploader[0].clear()
    uploader.upload(CARD, (models["deepbind"] / CARD).read_bytes(), "application/json")
    uploader.upload(WEIGHTS, (models["ssl"] / WEIGHTS).read_bytes(), "application/octet-stream")
    at.run()
    button(at, "Add the uploaded model").click().run()
    assert not at.exception
    assert "weights do not match the 'deepbind' network" in at.error[0].value
    uploader = at.file_uploader[0].clear()
    uploader.upload(CARD, (models["ssl"] / CARD).read_bytes(), "application/json")
    uploader.upload(WEIGHTS, b"not safetensors", "application/octet-stream")
    at.run()
    button(at, "Add the uploaded model").click().run()
    assert "corrupt or truncated safetensors file" in at.error[0].value
    uploader = at.file_uploader[0].clear().upload("x.zip", b"PK nonsense", "application/zip")
    at.run()
    button(at, "Add the uploaded model").click().run()
    assert "not a readable zip file" in at.error[0].value
    buf = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, buf)  # a PyTorch checkpoint renamed model.safetensors
    uploader = at.file_uploader[0].clear()
    uploader.upload(CARD, (models["ssl"] / CARD).read_bytes(), "application/json")
    uploader.upload(WEIGHTS, buf.getvalue(), "application/octet-stream")
    at.run()
    button(at, "Add the uploaded model").click().run()
    assert "looks like a PyTorch checkpoint" in at.error[0].value
    assert "never loads pickles" in at.error[0].value and "ncv-session-" not in messages(at)
    assert at.dataframe[0].value["model"].tolist() == ["gm-ssl"]  # nothing half-installed


def test_pages_without_a_model_say_so() -> None:
    at = app()
    for name in ("evaluate", "motifs", "mutagenesis"):
        page(at, name)
        assert "needs a model" in at.info[0].value


def test_importance_page_correlations_distributions_and_ablation() -> None:
    at = page(app(), "importance")
    assert "683 functional and 2,745 non-functional" in texts(at)
    corr = at.dataframe[0].value
    assert corr["abs_r"].is_monotonic_decreasing
    assert n_charts(at) == 2  # correlation bars, the distribution of the strongest feature
    assert at.selectbox[0].value == corr["feature"].iloc[0]
    at.selectbox[0].select("GC_count").run()
    assert not at.exception
    assert '"GC_count"' in at.get("plotly_chart")[1].proto.spec
    at.multiselect[0].set_value(["VI_dnase", "nucleotide"])
    at.number_input[0].set_value(2)
    at.number_input[1].set_value(1).run()
    button(at, "Run the ablation (5 runs x 2 folds)").click().run()
    assert not at.exception
    job = at.session_state["ncv_ablation_run"]
    assert job.running or job.snapshot()["status"] == "done"  # in a background thread
    page(at, "data")  # switching pages does not stop it
    page(at, "importance")
    assert job.wait(120)
    at.run()
    assert not at.exception and job.snapshot()["status"] == "done", job.snapshot()["error"]
    table = at.dataframe[-1].value
    assert list(zip(table["group"], table["mode"], strict=True)) == [
        ("all", "all"),
        ("VI_dnase", "only"),
        ("nucleotide", "only"),
        ("VI_dnase", "without"),
        ("nucleotide", "without"),
    ]
    assert table["auroc"].between(0.0, 1.0).all()
    assert n_charts(at) == 3
    assert "Next: Read the model's filters as motifs" in links(at)


def test_importance_page_binary_feature_and_plain_summary() -> None:
    at = page(app(), "importance")
    at.selectbox[0].select("DNase_peak").run()
    assert not at.exception
    fig = charts(at)[1]
    assert fig["layout"]["yaxis"]["title"]["text"] == "fraction of loci with 1"
    assert [t["type"] for t in fig["data"]] == ["bar", "bar"]
    summary = at.dataframe[1].value
    assert list(summary.columns) == ["not functional (0)", "functional (1)"]
    assert {"median", "5th percentile", "loci"} <= set(summary.index)


def test_importance_ablation_stops() -> None:
    at = page(app(), "importance")
    at.multiselect[0].set_value(["VI_dnase", "nucleotide"])
    at.number_input[1].set_value(60).run()
    button(at, "Run the ablation").click().run()
    button(at, "Stop the ablation").click().run()
    job = at.session_state["ncv_ablation_run"]
    assert job.wait(60)
    at.run()
    assert job.snapshot()["status"] == "stopped" and job.snapshot()["result"] is None
    assert "Ablation stopped after 0/5 runs" in at.get("progress")[0].proto.text
    assert not at.error


def _colors(fig: dict) -> dict[str, str]:
    """Trace name (without its area) -> line colour."""
    return {t["name"].split(" (")[0]: t["line"]["color"] for t in fig["data"]}


def test_evaluate_page_curves_cv_and_cross_cell_line(models) -> None:
    at = page(app(models["ssl"]), "evaluate")
    table = at.dataframe[0].value
    assert table["scorer"].tolist() == ["model", "cadd_like", "deepsea_like"]
    assert 0.5 < table["auroc"].iloc[0] <= 1.0
    assert "its validation rows (held out in training)" in texts(at)
    assert n_charts(at) == 2
    roc, pr = charts(at)
    assert roc["layout"]["title"]["text"] == "ROC (held-out rows)"
    # one colour per scorer in both figures; chance in grey; no label on the curves
    assert _colors(roc) == _colors(pr) | {"chance": _colors(roc)["chance"]}
    assert _colors(roc)["ssl"] == "#1f5fa8" and _colors(roc)["chance"] == "#9e9e9e"
    assert not pr["layout"].get("annotations")
    at.number_input[0].set_value(2)
    button(at, "Run cross-validation").click().run()
    assert not at.exception
    assert Path(at.session_state["ncv_model"]).name.endswith("-cv")
    assert n_charts(at) == 3  # ROC, PR, CV with error bars
    body = texts(at)
    assert "scored on **out-of-fold predictions" in body
    roc, pr, cv = charts(at)
    assert roc["layout"]["title"]["text"] == "ROC (out-of-fold)"
    folds = [t for t in cv["data"] if t["type"] == "scatter"]
    assert len(folds) == 1 and folds[0]["name"] == "each of the 2 folds"  # not "fold 1"
    assert "is now the active model: the final model refit on every row" in at.info[0].value
    assert any("csv-cv-" in b.key for b in at.download_button if b.key)
    button(at, "Train per cell line").click().run()
    assert not at.exception
    assert n_charts(at) == 4
    assert any("csv-cross-cell-line" in b.key for b in at.download_button if b.key)


def test_motifs_page_explains_ssl_dnn_then_trains_and_reads_a_deepbind(models) -> None:
    at = page(app(models["ssl"]), "motifs")
    assert "no first-layer filters over A, C, G, T" in at.warning[0].value
    assert "Conv2d" not in at.warning[0].value  # plain words on the page
    assert any("Conv2d" in (c.help or "") for c in at.caption)  # the technical name in the help
    button(at, "Train a DeepBind on demo GM12878").click().run()
    assert not at.exception and not at.warning
    assert Path(at.session_state["ncv_model"]).name == "GM12878-deepbind"
    assert n_charts(at) == 9  # the eight most influential filters' logos, the influence heatmap
    filters = at.dataframe[0].value
    assert len(filters) == 128
    assert {"jaspar_target_name", "jaspar_q_value", "cluster", "consensus"} <= set(filters.columns)
    assert filters["jaspar_q_value"].notna().sum() == 8  # matched: the filters shown as logos
    assert filters["jaspar_q_value"].head(8).between(0, 1).all()
    influence = filters["mean_delta_prob"].abs().to_numpy()
    assert (np.diff(influence) <= 0).all()  # most influential first
    q_of = dict(zip(filters["filter"], filters["jaspar_q_value"], strict=True))
    for fig in charts(at)[:8]:
        title = fig["layout"]["title"]["text"]
        q = q_of[int(title.split(":")[0].removeprefix("filter "))]
        assert ("no significant JASPAR match" in title) == (q > 0.05), title
        assert fig["layout"]["yaxis"]["title"]["text"] == "information (bits)"
    heat = charts(at)[8]
    assert any(t["type"] == "heatmap" for t in heat["data"])
    assert any(t["type"] == "scatter" and t["mode"] == "lines" for t in heat["data"])  # the tree
    assert heat["layout"]["yaxis2"]["title"]["text"] == "model output"
    at.slider[1].set_value(4).run()
    assert n_charts(at) == 5
    labels = [b.proto.label for b in at.download_button]
    assert "Download the filters' PWMs (MEME)" in labels
    assert "Download filters-GM12878-deepbind.tsv" in labels


def test_mutagenesis_page_ism_logos_attributions_and_pasted_sequence(models) -> None:
    at = page(app(models["ssl"]), "mutagenesis")
    assert not at.error
    assert "GM12878_00001" in at.selectbox[0].value
    assert "held fixed" in texts(at)
    assert n_charts(at) == 3  # ISM heatmap, importance logo, attribution logo
    heat, logo, _ = charts(at)
    ticks = heat["layout"]["xaxis"]["ticktext"]
    assert len(ticks) == 150 and set(ticks) <= set("ACGTN")
    assert heat["layout"]["xaxis"]["range"] == [49.5, 100.5]  # 25 bases on each side
    assert "chr1:19,899 (offset 75)" in heat["data"][0]["text"][0][75]
    assert heat["layout"]["xaxis2"]["ticktext"][0].replace(",", "").isdigit()
    assert any(t.get("name") == "reference base" for t in heat["data"])
    assert logo["layout"]["yaxis"]["title"]["text"] == "importance (Δ log-odds)"
    assert logo["layout"]["xaxis"]["ticktext"] == ticks
    at.select_slider[0].set_value((0, 149)).run()
    assert charts(at)[0]["layout"]["xaxis"]["range"] == [-0.5, 149.5]
    at.selectbox[1].select("saliency").run()
    assert not at.exception and n_charts(at) == 3
    at.radio[0].set_value("a pasted sequence").run()
    assert not at.exception and not at.error
    at.text_area[0].set_value("ACGT" * 10).run()
    assert "must be 150 letters" in at.error[0].value
    at.text_area[0].set_value("ACGTX" * 30).run()
    assert "other characters" in at.error[0].value
    at.text_area[0].set_value("acgt " * 37 + "AC").run()
    assert not at.error and n_charts(at) == 3


def test_sessions_do_not_share_models(models) -> None:
    first, second = app(), app()
    page(first, "models").file_uploader[0].upload(
        "mine.zip", zip_model(models["ssl"]), "application/zip"
    )
    first.run()
    button(first, "Add the uploaded model").click().run()
    assert first.dataframe[0].value["model"].tolist() == ["mine"]
    page(second, "models")
    assert "No models in this session yet" in second.info[0].value
    assert "ncv_model" not in second.session_state or second.session_state["ncv_model"] is None
    a = Path(first.session_state["ncv_workspace"].name)
    b = Path(second.session_state["ncv_workspace"].name)
    assert a != b and (a / "models" / "mine").is_dir() and not (b / "models" / "mine").exists()


VCF = (
    b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    b"chr1\t19899\tv1\tA\tC\t.\t.\t.\nchr1\t19958\tv2\tC\tG,T\t.\t.\t.\n"
    b"chr9\t5\tv3\tA\tG\t.\t.\t.\n"
)


def test_lookup_page_typed_picked_and_a_vcf_in_batch(models) -> None:
    at = page(app(models["ssl"]), "lookup")
    assert at.text_input[0].value == "chr1:19899 A>C"  # the first functional locus
    typed = metrics(at)
    assert list(typed) == [
        "P(functional), reference",
        "P(functional), alternative",
        "change in probability",
        "change in log-odds",
        "log2 fold change",
    ]
    assert [m.help.split(":")[0].split(" =")[0] for m in at.metric] == [
        "p_ref", "p_alt", "diff", "logit_diff", "log2fc"
    ]  # fmt: skip
    ref_p, alt_p = (float(v) for v in list(typed.values())[:2])
    assert "With C instead of A, the model's probability that the locus is functional" in texts(at)
    assert 0 <= ref_p <= 1 and 0 <= alt_p <= 1
    assert "With C instead of A, the model's probability that the locus is functional" in texts(at)
    assert n_charts(at) == 4  # the background histogram, ref vs alt bars, the tracks, ISM
    _, bars, tracks, _ = charts(at)
    assert [t["name"] for t in bars["data"]] == ["reference allele A", "alternative allele C"]
    assert bars["data"][0]["x"] == ["reference allele A"]  # not a "task" axis (percentiles)
    assert bars["layout"]["title"]["pad"]["t"] >= 30  # below the modebar
    assert tracks["layout"]["yaxis"]["title"]["text"].endswith("signal")
    assert any(sh["fillcolor"] == "#d62839" for sh in tracks["layout"]["shapes"])  # peaks
    assert "A&gt;C" in at.get("html")[0].proto.body  # the variant highlighted in its window
    said = texts(at)
    assert "random SNVs near the data set's loci, in this cell line (GM12878)." in said
    assert "a larger change than" in said and "10,000" in said

    at.radio[0].set_value("pick it from the table").run()
    assert at.selectbox[0].value == "GM12878_00001"
    assert metrics(at) == typed  # the table's row and the typed variant score the same

    at.radio[0].set_value("type it").run()
    at.text_input[0].set_value("chr1:19899 G>C").run()
    assert "REF is G but the genome has A" in at.error[0].value
    at.text_input[0].set_value("chr1:19899").run()
    assert not at.error and "No ALT allele" in at.info[0].value and n_charts(at) == 2
    at.text_input[0].set_value("not a variant").run()
    assert not at.exception and "cannot read 'not a variant' as a variant" in at.error[0].value

    at.file_uploader[0].upload("mine.vcf", VCF, "text/plain").run()
    button(at, "Score the file").click().run()
    assert not at.exception
    assert "mine.vcf under ssl: scored 3, rejected 1: 1 unknown contig" in texts(at)
    assert at.status[0].label == "Done: scored 3, rejected 1: 1 unknown contig"
    assert not any("mine.vcf" in e.value for e in at.error)  # (the typed tab keeps its own)
    reasons, top, scores = (at.dataframe[k].value for k in range(3))
    assert reasons.to_dict("records") == [{"reason": "unknown contig", "rows": 1}]
    assert scores["id"].tolist() == ["v1", "v2:G", "v2:T"]
    assert {"p_ref", "p_alt", "diff", "logit_diff", "log2fc"} <= set(scores.columns)
    assert scores["p_alt"].iloc[0] == pytest.approx(alt_p, abs=1e-4)
    assert scores["diff_percentile"].between(0, 100).all()
    assert "The largest effects, ranked by the size of the change in probability" in texts(at)
    assert top["rank"].tolist() == [1, 2, 3] and sorted(top["id"]) == sorted(scores["id"])
    assert top["diff"].abs().is_monotonic_decreasing
    scatter, effects = charts(at)[-2:]
    assert scatter["data"][0]["marker"]["line"]["width"] > 0  # near-zero effects stay visible
    assert effects["data"][0]["y"][::-1] == top["id"].tolist()  # the largest at the top
    labels = [b.proto.label for b in at.download_button]
    assert "Download the annotated VCF (NCV_* INFO fields, bgzip)" in labels


def test_lookup_page_with_a_sequence_only_model(models) -> None:
    at = page(app(models["deepbind"]), "lookup")
    assert list(metrics(at))[:2] == ["P(functional), reference", "P(functional), alternative"]
    said = texts(at)
    assert (
        "random SNVs near the data set's loci." in said
        and "cell line" not in said.split("random SNVs")[1].split("\n")[0]
    )
    at.text_input[0].set_value("chr1:19899 AC>A").run()  # a deletion
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert float(metrics(at)["P(functional), reference"]) > 0


def test_cross_species_page_lifts_rejects_and_pretrains() -> None:
    at = page(app(), "cross_species")
    assert at.multiselect[0].value == ["chimp_like", "dog_like", "mouse_like"]
    m = metrics(at)
    assert m["Labelled loci"] == "3,428"
    counts = at.dataframe[0].value
    assert counts["species"].tolist() == ["chimp_like", "dog_like", "mouse_like"]
    assert (counts["n_input"] == 3428).all()
    assert m["Pseudo-labelled windows"] == f"{counts['n_windows'].sum():,}"
    assert (counts["n_windows"] + counts["n_rejected"] == counts["n_input"]).all()
    assert counts["n_windows"].is_monotonic_decreasing  # the farther, the fewer
    rejected = at.dataframe[1].value
    assert (
        len(rejected)
        == counts["n_rejected"].sum()
        == int(m["Rejected (all species)"].replace(",", ""))
    )
    assert n_charts(at) == 1
    at.selectbox[0].select("mouse_like").run()
    at.selectbox[1].select("in gap").run()
    shown = at.dataframe[1].value
    assert len(shown) == int(counts.loc[counts["species"] == "mouse_like", "in gap"].iloc[0]) > 0
    assert set(shown["species"]) == {"mouse_like"} and set(shown["category"]) == {"in gap"}
    assert shown["reason"].str.contains("falls in a gap of chain").all()

    at.multiselect[0].set_value(["chimp_like"]).run()
    assert at.number_input[0].label == "Fine-tuning epochs"
    at.number_input[0].set_value(2)
    at.number_input[1].set_value(2)
    button(at, "Pre-train and fine-tune").click().run()
    assert not at.exception
    _wait(at)
    body = texts(at)
    assert "**supervised + pretrain** (done, pre-trained on " in body
    assert "**supervised** (done): AUROC on held-out rows 0." in body
    jobs = at.session_state["ncv_run"].snapshot()
    assert list(jobs[0].epochs) == ["pretrain", "train"] and list(jobs[1].epochs) == ["train"]
    assert [len(v) for v in jobs[0].epochs.values()] == [2, 2]
    card = jobs[0].card
    assert card["pretrain"]["species"].keys() == {"chimp_like"}
    assert card["pretrain"]["dropped"]["validation locus"] > 0


def test_cross_species_page_with_my_files(tmp_path) -> None:
    at = page(app(), "cross_species")
    at.radio[0].set_value("My files").run()
    assert "Pick at least one species" in at.info[0].value
    sp = ensure_demo().species / "dog_like"  # NCV_DEMO_DIR: the app's demo
    chain, genome = sp / "demo_to_dog_like.over.chain.gz", sp / "genome.fa"
    at.text_area[0].input(f"{chain} {genome} dog\n{tmp_path / 'no.chain'} {genome}").run()
    assert "no.chain" in at.error[0].value and "file not found" in at.error[0].value
    at.text_area[0].input(f"{chain} {genome} dog").run()
    assert not at.exception and not at.error
    assert at.dataframe[0].value["species"].tolist() == ["dog"]


HUMAN_VCF = (
    b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    b"chr1\t56972353\trs1\tG\tA\t.\t.\t.\nchr7\t12284008\trs2\tA\tG\t.\t.\t.\n"
    b"chr9\t22124477\trs3\tA\tG\t.\t.\t.\nchr22\t21921686\trs4\tG\tT\t.\t.\t.\n"
)


def test_lookup_batch_on_another_build_and_empty_files(models) -> None:
    at = page(app(models["ssl"]), "lookup")
    at.file_uploader[0].upload("human.vcf", HUMAN_VCF, "text/plain").run()
    button(at, "Score the file").click().run()
    assert not at.exception
    status = at.status[0]
    assert status.label == "Nothing could be scored" and "Scored" not in status.label
    error = at.error[0].value
    assert error.startswith("human.vcf: no usable loci (kept 0, rejected 4: 3 unknown contig")
    assert "another genome build" in error
    assert "Data → My files" in at.info[0].value
    reasons = at.dataframe[0].value.set_index("reason")["rows"].to_dict()
    assert reasons == {"unknown contig": 3, "out of range": 1}
    assert n_charts(at) == 4  # the single variant's four; no batch figures
    at.file_uploader[0].clear().upload("empty.vcf", b"", "text/plain").run()
    button(at, "Score the file").click().run()
    assert not at.exception
    assert at.error[0].value.startswith("empty.vcf: ")
    assert "ncv-session-" not in messages(at) and "/uploads/" not in messages(at)
