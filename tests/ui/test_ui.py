"""The app's plain-Python helpers: figure builders, model zips and uploads, warning collection,
background training runs."""

from __future__ import annotations

import re
import threading
import time
import warnings
import zipfile
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from _pseudo import WINDOW, homologs
from _synthetic import META, one_thread, synthetic_table  # noqa: F401 (one_thread: autouse fixture)

from ncv_core.errors import NcvError, NcvWarning, warn
from ncv_core.evaluate import cross_cell_line
from ncv_core.io.model_folder import CARD, SPLIT, WEIGHTS, load_model, save_model
from ncv_core.models.loaded import LoadedModel
from ncv_core.training import train
from ncv_core.training.pretrain import Pretraining
from ui import figures, notes
from ui.jobs import Job, TrainingRun, one_torch_thread
from ui.modelfiles import collect_upload, install_upload, zip_model

FAST = {"epochs": 2, "n_labelled": 60, "n_val": 40}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return synthetic_table(300, seed=1, unlabelled=20)


@pytest.fixture(scope="module")
def model_dir(table, tmp_path_factory) -> Path:
    with one_torch_thread():
        result = train(table, meta=META, method="ssl", **FAST)
    return save_model(result, tmp_path_factory.mktemp("ui") / "syn-ssl")


# --- figures -------------------------------------------------------------------------------


def test_training_curves_one_line_per_run_and_baselines() -> None:
    hist = {
        "ssl": [{"epoch": 1, "val_auroc": 0.6, "alpha": 0.0}, {"epoch": 2, "val_auroc": 0.7}],
        "supervised": [{"epoch": 1, "val_auroc": None}],
    }
    fig = figures.training_curves(hist, {"CADD": 0.55, "broken": float("nan")})
    assert [t.name for t in fig.data] == ["ssl", "supervised"]
    assert list(fig.data[0].y) == [0.6, 0.7] and np.isnan(fig.data[1].y[0])
    assert [s.y0 for s in fig.layout.shapes] == [0.55]  # NaN baselines are not drawn
    assert fig.layout.yaxis.range == (0.48, 1.0)
    dyn = figures.ssl_dynamics(hist)
    assert {t.name for t in dyn.data} == {"ssl"} and len(dyn.data) == 3  # alpha, promoted, acc
    assert dyn.layout.yaxis2.rangemode == "tozero"  # a count: no -1..1 axis
    off = figures.ssl_dynamics(hist, promotion=False)
    assert len(off.data) == 2 and not any("promoted" in a.text for a in off.layout.annotations)
    frame = figures.history_frame(hist)
    assert frame.columns[0] == "run" and len(frame) == 3


def test_training_curves_tell_runs_of_one_method_apart() -> None:
    row = [{"epoch": 1, "val_auroc": 0.6}]
    hist = {
        "supervised + pretrain · pretrain": row,
        "supervised + pretrain": row,
        "supervised": row,
    }
    fig = figures.training_curves(hist)
    assert len({t.line.color for t in fig.data}) == 1  # one method, one colour
    styles = [(t.line.dash, t.marker.symbol) for t in fig.data]
    assert styles == [("dot", "circle-open"), ("solid", "circle"), ("dash", "square")]
    plain = figures.training_curves({"ssl": row, "supervised": row})
    assert {t.line.dash for t in plain.data} == {"solid"}


def test_evaluation_figures_show_the_model_and_each_baseline() -> None:
    y = np.array([0, 0, 1, 1, 0, 1])
    report = {
        "n": 6,
        "n_pos": 3,
        "auroc": 0.9,
        "aupr": 0.8,
        "accuracy": 0.7,
        "roc": {"fpr": [0, 0.5, 1], "tpr": [0, 1, 1]},
        "pr": {"recall": [1, 0.5, 0], "precision": [0.5, 1, 1]},
        "baselines": {"CADD": {"auroc": 0.6, "aupr": 0.5, "n": 6, "roc": {}, "pr": {}}},
    }
    roc = figures.roc_figure(report)
    assert [t.name for t in roc.data] == ["model (AUROC 0.900)", "chance (AUROC 0.5)"]
    pr = figures.pr_figure(report, model_name="gm-ssl", method="ssl")
    assert [t.name for t in pr.data] == ["gm-ssl (AUPR 0.800)", "chance (positive rate 0.50)"]
    assert list(pr.data[1].y) == [pytest.approx(3 / 6)] * 2 and not pr.layout.annotations
    assert pr.data[0].line.color == figures.METHOD_COLORS["ssl"]
    assert pr.data[1].line.color == roc.data[1].line.color == figures.NEUTRAL
    assert figures.metrics_frame(report)["scorer"].tolist() == ["model", "CADD"]
    curves = figures.curves_frame(report)
    assert set(curves["curve"]) == {"roc", "pr"} and len(curves) == 6 and len(y) == 6


def test_lift_outcomes_stack_windows_and_each_rejection_category() -> None:
    counts = pd.DataFrame(
        {"species": ["a", "b"], "n_input": [10, 10], "n_lifted": [9, 6], "n_windows": [8, 6],
         "n_rejected": [2, 4], "in gap": [1, 4], "window off contig end": [1, 0]}
    )  # fmt: skip
    long = figures.lift_outcome_frame(counts)
    assert long.groupby("species")["loci"].sum().tolist() == [10, 10]  # every locus, once
    fig = figures.lift_outcomes(counts)
    assert [t.name for t in fig.data] == ["window", "in gap", "window off contig end"]
    assert list(fig.data[1].y) == [1, 4] and fig.layout.barmode == "stack"


def test_cv_and_cross_cell_line_figures() -> None:
    metrics = {
        "val_auroc": 0.8,
        "val_auroc_se": 0.02,
        "val_aupr": 0.7,
        "val_aupr_se": 0.03,
        "val_accuracy": 0.75,
        "val_accuracy_se": None,
        "folds": [{"val_auroc": 0.78, "val_aupr": 0.7, "val_accuracy": 0.7}] * 3,
    }
    fig = figures.cv_figure(metrics, "supervised")
    assert list(fig.data[0].y) == [0.8, 0.7, 0.75]
    assert list(fig.data[0].error_y.array)[:2] == [0.02, 0.03]
    assert len(fig.data) == 2 and fig.layout.title.text == "3-fold cross-validation"
    folds = fig.data[1]
    assert (
        folds.name == "each of the 3 folds"
        and list(folds.customdata) == [1] * 3 + [2] * 3 + [3] * 3
    )
    assert folds.marker.color == figures.METHOD_COLORS["supervised"]
    frame = figures.cv_frame(metrics)
    assert frame["fold"].tolist() == ["1", "2", "3", "mean", "se"]
    assert frame["val_auroc"].tolist() == [0.78, 0.78, 0.78, 0.8, 0.02]
    df = pd.DataFrame(
        [
            {"train": a, "test": b, "auroc": 0.5 + 0.1 * (a == b), "auroc_se": np.nan}
            for a in ("X", "Y")
            for b in ("X", "Y")
        ]
    )
    heat = figures.cross_cell_heatmap(df)
    assert heat.data[0].z.tolist() == [[0.6, 0.5], [0.5, 0.6]]
    assert heat.data[0].text[0][0] == "0.600"  # no "±" without a standard error


def test_ism_heatmap_hover_names_the_change_and_marks_the_reference() -> None:
    delta = np.zeros((3, 4))
    delta[1, 2] = -0.5
    ref = np.array([0, 3, -1])
    fig = figures.ism_heatmap(delta, ref, center=1)
    hover = fig.data[0].text
    assert hover[2][1] == "offset 1<br>T → G: Δ logit -0.5000"
    assert hover[3][1].endswith("(the reference base)") and hover[0][2].startswith("offset 2<br>N")
    assert list(fig.layout.xaxis.ticktext) == ["A", "T", "N"]  # the reference along the axis
    dots = fig.data[1]
    assert list(dots.x) == [0, 1] and list(dots.y) == ["A", "T"]  # N has no reference cell
    placed = figures.ism_heatmap(delta, ref, first=19_879, chrom="chr1", span=(1, 2))
    assert placed.data[0].text[2][1].startswith("chr1:19,880 (offset 1)")
    assert placed.layout.xaxis.range == (0.5, 2.5)
    assert list(placed.layout.xaxis2.tickvals) == [1]  # coordinates every 10 bases, on top
    assert list(placed.layout.xaxis2.ticktext) == ["19,880"]
    mat = figures.reference_matrix(np.array([1.0, -2.0, 5.0]), ref)
    assert mat.to_numpy().tolist() == [[1, 0, 0, 0], [0, 0, 0, -2], [0, 0, 0, 0]]


def _ys(shape) -> list[float]:
    """The y coordinates of an SVG path shape's points."""
    return [float(y) for _, y in re.findall(r"([-+0-9.e]+),([-+0-9.e]+)", shape.path)]


def test_logo_letters_stack_with_their_heights() -> None:
    heights = np.array([[0.5, 0.0, 0.0, 0.0], [0.0, -1.0, 0.25, 0.0]])
    fig = figures.logo_figure(heights, center=1)
    paths = [s for s in fig.layout.shapes if s.type == "path"]
    assert [s.fillcolor for s in paths] == [figures.BASE_COLORS[b] for b in "AGC"]  # zeros skipped
    spans = [(round(min(y), 6), round(max(y), 6)) for y in map(_ys, paths)]
    assert spans == [(0.0, 0.5), (0.0, 0.25), (-1.0, 0.0)]  # C points down
    assert sum(s.type == "line" for s in fig.layout.shapes) == 1
    info = figures.logo_figure(np.array([[0.25] * 4, [0, 0, 0, 1.0]]), information=True)
    (t,) = [s for s in info.layout.shapes if s.type == "path"]  # the uniform row has 0 bits
    top = max(_ys(t))
    assert t.fillcolor == figures.BASE_COLORS["T"] and top == pytest.approx(2.0, abs=1e-3)


def test_tracks_allele_and_score_figures() -> None:
    sig = {"DNase": np.arange(5.0), "H3K27ac": np.ones(5)}
    fig = figures.tracks_figure(sig, 100, variant=103, window=(101, 104), chrom="chr1")
    assert len(fig.data) == 2 and list(fig.data[0].x) == [101, 102, 103, 104, 105]
    assert [s.type for s in fig.layout.shapes] == ["rect", "line"]
    assert figures.tracks_frame(sig, 100)["pos"].tolist() == [101, 102, 103, 104, 105]
    peaked = figures.tracks_figure(sig, 100, peaks={"H3K27ac": [(101, 103)]}, unit="signal")
    (peak,) = peaked.layout.shapes
    assert (peak.x0, peak.x1, peak.xref, peak.yref) == (101.5, 103.5, "x2", "y2 domain")
    assert peaked.layout.yaxis.title.text == "DNase<br>signal"
    scores = pd.DataFrame(
        {"id": ["a"], "p_ref": [0.2], "p_alt": [0.6], "diff": [0.4], "logit_diff": [1.79]}
    )
    bars = figures.allele_bars(scores.assign(p_ref_percentile=50.0), "A", "C")  # one task
    assert [list(t.y) for t in bars.data] == [[0.2], [0.6]]
    assert [list(t.x) for t in bars.data] == [["reference allele A"], ["alternative allele C"]]
    scatter = figures.score_scatter(scores.assign(logit_diff=0.0))
    assert list(scatter.data[0].x) == [0.2] and scatter.data[0].marker.line.width > 0
    ranked = pd.DataFrame(
        {"id": ["a", "b"], "diff": [-0.4, 0.1], "p_ref": [0.5] * 2, "p_alt": [0.1, 0.6]}
    )  # as top_effects ranks them: the largest |diff| first
    effects = figures.effect_bars(ranked)
    assert list(effects.data[0].y) == ["b", "a"]  # the largest at the top
    assert list(effects.data[0].marker.color) == ["#d62839", "#2a7ab0"]


# --- model files ---------------------------------------------------------------------------


def test_zip_round_trip_installs_a_loadable_model(model_dir, tmp_path) -> None:
    files = collect_upload([("m.zip", zip_model(model_dir))])
    assert set(files) == {WEIGHTS, CARD, SPLIT}
    out = install_upload(files, tmp_path / "m")
    assert load_model(out).card == load_model(model_dir).card


def test_upload_of_the_files_themselves_and_names_with_folders(model_dir, tmp_path) -> None:
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:  # paths inside the zip never leave the target
        zf.writestr("../../evil/card.json", (model_dir / CARD).read_bytes())
        zf.writestr("deep/er/model.safetensors", (model_dir / WEIGHTS).read_bytes())
        zf.writestr("notes.txt", b"ignored")
    files = collect_upload([("x.zip", buf.getvalue())])
    assert set(files) == {CARD, WEIGHTS}
    out = install_upload(files, tmp_path / "inside")
    assert sorted(p.name for p in out.iterdir()) == [CARD, WEIGHTS]
    assert not (tmp_path.parent / "evil").exists()
    plain = [(n, (model_dir / n).read_bytes()) for n in (CARD, WEIGHTS)]
    assert set(collect_upload(plain)) == {CARD, WEIGHTS}


def test_bad_uploads_are_clear_errors_and_leave_nothing(model_dir, tmp_path) -> None:
    with pytest.raises(NcvError, match="lacks model.safetensors"):
        collect_upload([(CARD, (model_dir / CARD).read_bytes())])
    with pytest.raises(NcvError, match="unexpected file 'model.pt'"):
        collect_upload([("model.pt", b"\x80\x04pickle")])
    with pytest.raises(NcvError, match="not a readable zip"):
        collect_upload([("m.zip", b"PK\x03\x04 broken")])
    bad = {CARD: (model_dir / CARD).read_bytes(), WEIGHTS: b"\x00" * 10}
    with pytest.raises(NcvError, match="corrupt or truncated"):
        install_upload(bad, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


# --- warnings ------------------------------------------------------------------------------


def test_notes_collect_this_threads_ncv_warnings_only() -> None:
    seen: list[str] = []

    def other() -> None:
        with notes.collect() as mine:
            warn("from the other thread")
        seen.extend(mine)

    with notes.collect() as found, warnings.catch_warnings(record=True) as passed:
        notes.install()
        warn("careful")
        warn("careful")
        t = threading.Thread(target=other)
        t.start()
        t.join()
        warnings.warn("not ours", UserWarning, stacklevel=1)
    assert found == ["careful"] and seen == ["from the other thread"]
    assert [str(w.message) for w in passed] == ["not ours"]
    assert issubclass(NcvWarning, UserWarning)


# --- background training -------------------------------------------------------------------


def test_training_run_trains_side_by_side_and_saves(table, tmp_path) -> None:
    jobs = [Job(m, {"method": m, **FAST}, tmp_path / m) for m in ("ssl", "supervised")]
    run = TrainingRun(table, META, "synthetic", jobs).start()
    assert run.wait(120)
    for job in run.snapshot():
        assert job.status == "done" and job.error is None and job.fraction() == 1.0
        assert [r["epoch"] for r in job.epochs["train"]] == [1, 2]
        assert load_model(job.out).card["method"] == job.name
    assert "alpha" in run.snapshot()[0].epochs["train"][0]


def test_training_run_stops_and_reports_errors(table, tmp_path) -> None:
    run = TrainingRun(
        table, META, "syn", [Job("supervised", {"method": "supervised", "epochs": 500}, tmp_path)]
    )
    run.start()
    while not run.snapshot()[0].epochs:
        run.wait(0.05)
    run.stop.set()
    assert run.wait(60)
    job = run.snapshot()[0]
    assert job.status == "stopped" and len(job.card["history"]) < 500
    bad = TrainingRun(table, META, "syn", [Job("x", {"model": "nope"}, tmp_path / "x")]).start()
    assert bad.wait(30)
    failed = bad.snapshot()[0]
    assert failed.status == "failed" and "unknown model 'nope'" in failed.error
    assert not (tmp_path / "x").exists()


def _batch(stage: str, epoch: int, batch: int, total: int = 2, n: int = 10) -> dict:
    return {"stage": stage, "event": "batch", "epoch": epoch, "batch": batch,
            "n_batches": n, "total": total, "done": epoch - 1}  # fmt: skip


def _epoch(stage: str, epoch: int, total: int = 2) -> dict:
    return {"stage": stage, "event": "epoch", "epoch": epoch, "total": total, "done": epoch}


def test_job_progress_counts_folds_and_students() -> None:
    job = Job("ssl", {"split": "cv", "folds": 4}, Path("x"), status="running")
    for ev in (_batch("fold 1/4", 1, 10), _epoch("fold 1/4", 1), _epoch("fold 1/4", 2)):
        job.record(ev)
    job.record(_batch("fold 2/4", 1, 5))
    assert job.fraction() == pytest.approx((1 + 0.5 / 2) / 5)
    assert job.describe() == "ssl: fold 2/4 · epoch 1/2 · batch 5/10"
    assert list(job.epochs) == ["fold 1/4"]
    ns = Job("ns", {"method": "noisy-student", "split": "cv", "folds": 2}, Path("x"))
    ns.status = "running"
    for stage in ("teacher", "student1", "teacher", "student1"):  # two folds, same stage names
        ns.record(_epoch(stage, 1))
        ns.record(_epoch(stage, 2))
    assert list(ns.epochs) == ["teacher", "student1", "teacher (3)", "student1 (4)"]
    assert [r["epoch"] for r in ns.epochs["teacher (3)"]] == [1, 2]
    assert ns.fraction() == pytest.approx(4 / 6)  # (2 folds + final) x (teacher + student)


def test_training_run_pretrains_the_marked_jobs(tmp_path) -> None:
    table = synthetic_table(200, window=WINDOW, pos_frac=0.4)
    pre = Pretraining.of([homologs(table)], epochs=2)
    opts = {"method": "supervised", "model": "deepbind", "epochs": 1, "optimizer": "adam"}
    jobs = [
        Job("pre", opts, tmp_path / "pre", pretrained=True),
        Job("plain", opts, tmp_path / "plain"),
    ]
    assert [j.expected_fits() for j in jobs] == [2, 1]
    run = TrainingRun(table, {}, "syn", jobs, pretrain=pre).start()
    assert run.wait(120)
    done = run.snapshot()
    assert [list(j.epochs) for j in done] == [["pretrain", "train"], ["train"]]
    assert [len(v) for v in done[0].epochs.values()] == [2, 1]
    assert "pretrain" in done[0].card and "pretrain" not in done[1].card
    assert all(j.status == "done" and j.fraction() == 1.0 for j in done)
    ns = Job(
        "ns", {"method": "noisy-student", "split": "cv", "folds": 2}, Path("x"), pretrained=True
    )
    assert ns.expected_fits() == 9  # (2 folds + final) x (pretrain + teacher + student)


def test_one_torch_thread_restores_the_count() -> None:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with one_torch_thread():
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_loaded_models_from_results_feed_cross_cell_line(table) -> None:
    """The Evaluate page wraps fresh results as LoadedModel for cross_cell_line."""
    result = train(table, meta=META, method="supervised", **FAST)
    loaded = LoadedModel(result.model, result.card, result.split)
    df = cross_cell_line({"SYN": loaded}, {"SYN": table, "OTHER": table.iloc[::-1]})
    assert df["test"].tolist() == ["SYN", "OTHER"] and df["n"].iloc[0] == 40


# --- colours, words, paths -----------------------------------------------------------------


def test_one_colour_per_scorer_whatever_the_order() -> None:
    a = figures.baseline_colors(["deepsea_like", "cadd_like"])
    b = figures.baseline_colors(["cadd_like", "deepsea_like", "cadd_like"])
    assert a == b and len(set(a.values())) == 2
    assert not set(a.values()) & set(figures.METHOD_COLORS.values())
    assert figures.NEUTRAL not in a.values()
    report = {"baselines": {"deepsea_like": {}, "cadd_like": {}}}
    assert figures.scorer_colors(report, "ssl") == {"model": figures.METHOD_COLORS["ssl"], **a}
    curves = figures.training_curves({"ssl": [{"epoch": 1, "val_auroc": 0.7}]}, {"cadd_like": 0.6})
    assert curves.layout.shapes[0].line.color == a["cadd_like"]  # the same on the Train page


def test_words_name_the_technical_key() -> None:
    from ui import words

    for key in ("p_ref", "p_alt", "diff", "logit_diff", "log2fc", "val_auroc"):
        assert words.word(key) != key and words.explain(key).startswith(key)
    assert words.word("q05") == "5th percentile" and words.word("unknown") == "unknown"
    assert words.termination({"training": {"termination": "max_iter"}}) == "ran every epoch"
    assert words.with_se(0.8123, None) == "0.812" and words.with_se(0.8, 0.0123) == "0.800 ± 0.012"
    assert words.with_se(None, 0.1) == "n/a" and words.with_se(float("nan"), None) == "n/a"
    text = words.effect_sentence(0.2, 0.6, float(np.log(6.0)), "A", "C")  # odds 0.25 -> 1.5
    assert text == (
        "With C instead of A, the model's probability that the locus is functional goes from "
        "0.200 to 0.600: the alternative allele raises it (the odds × 6)."
    )
    assert "does not change it (the odds × 1)" in words.effect_sentence(0.5, 0.5, 0.0, "A", "G")


def test_public_text_shows_file_names_not_server_paths() -> None:
    from ui.state import public_text

    up = "/tmp/ncv-session-k2_9x/uploads/e3b0c44298fc1c14/empty.vcf: no usable loci"
    assert public_text(up) == "empty.vcf: no usable loci"
    model = "weights do not match: /srv/x/ncv-session-a/models/gm-ssl/model.safetensors"
    assert public_text(model) == "weights do not match: gm-ssl/model.safetensors"
    assert public_text("/data/hg38.fa: not found") == "/data/hg38.fa: not found"  # theirs


def test_the_same_model_files_are_found_again(model_dir, tmp_path) -> None:
    from ui.modelfiles import same_model

    files = collect_upload([("m.zip", zip_model(model_dir))])
    other = tmp_path / "other"
    other.mkdir()
    assert same_model(files, [other, model_dir]) == model_dir
    changed = dict(files, **{CARD: files[CARD] + b" "})
    assert same_model(changed, [model_dir]) is None


def test_influence_heatmap_draws_the_clustering() -> None:
    from ncv_core.interpret.filters import cluster_filters

    rng = np.random.default_rng(0)
    prof = np.concatenate([rng.normal(0, 0.01, (5, 1)), rng.normal(0.5, 0.01, (5, 1))])
    clusters = cluster_filters(prof)
    fig = figures.influence_heatmap(
        prof,
        clusters.table["leaf_order"].to_numpy(),
        [f"filter {i}" for i in range(10)],
        ["P(functional)"],
        linkage=clusters.linkage,
        clusters=clusters.table["cluster"].to_numpy(),
    )
    heat, tree = fig.data
    order = np.argsort(clusters.table["leaf_order"].to_numpy())
    assert np.allclose(heat.z[0], prof[order, 0])
    xs = [x for x in tree.x if x is not None]
    leaves = sorted({x for x in xs if float(x).is_integer()})
    assert leaves[0] == 0 and leaves[-1] == 9  # the tree's leaves sit over the heatmap columns
    assert max(y for y in tree.y if y is not None) == pytest.approx(clusters.linkage[:, 2].max())
    assert fig.layout.yaxis2.title.text == "model output"
    assert list(fig.layout.xaxis2.ticktext) == [str(i) for i in order]


def test_binary_feature_bars_show_the_share_with_one() -> None:
    summary = pd.DataFrame(
        {"feature": ["DNase_peak"] * 2, "label": [0, 1], "mean": [0.25, 0.75], "n": [40, 20]}
    )
    fig = figures.binary_bars(summary, "DNase_peak")
    assert [list(t.y) for t in fig.data] == [[0.25], [0.75]]
    assert fig.data[1].text[0] == "75.0% (15 of 20)"


# --- background runs -----------------------------------------------------------------------


def test_best_job_is_the_higher_auroc_on_the_shared_rows(tmp_path) -> None:
    from ui.jobs import best_job

    def job(name: str, auroc: float | None) -> Job:
        return Job(name, {}, tmp_path / name, card={"metrics": {"val_auroc": auroc}})

    best, why = best_job([job("ssl", 0.70), job("supervised", 0.74)])
    assert best.name == "supervised"
    assert why == (
        "supervised is the active model: the higher AUROC on the same held-out rows "
        "(supervised 0.740; ssl 0.700)."
    )
    assert best_job([job("ssl", None), job("x", None)])[0].name == "ssl"
    assert best_job([Job("failed", {}, tmp_path / "f")]) == (None, "")


def test_task_run_reports_progress_stops_and_fails() -> None:
    from ui.jobs import TaskRun

    def work(progress, stop):
        for k in range(200):
            if stop.is_set():
                raise NcvError("stopped")
            progress({"stage": "x", "done": k, "total": 200})
            time.sleep(0.01)
        return "done"

    run = TaskRun("t", work, key="k").start()
    time.sleep(0.1)
    run.stop.set()
    assert run.wait(10)
    snap = run.snapshot()
    assert snap["status"] == "stopped" and snap["result"] is None and snap["last"]["done"] < 199
    ok = TaskRun("ok", lambda progress, stop: 42).start()
    assert ok.wait(10) and ok.snapshot()["status"] == "done" and ok.snapshot()["result"] == 42
    bad = TaskRun("bad", lambda progress, stop: 1 / 0).start()
    assert bad.wait(10) and bad.snapshot()["error"].startswith("ZeroDivisionError")


def test_runs_of_sessions_that_are_gone_are_stopped() -> None:
    from ui import jobs

    def work(progress, stop):
        while not stop.is_set():
            time.sleep(0.01)
        raise NcvError("stopped")

    mine = jobs.TaskRun("mine", work, session="alive").start()
    theirs = jobs.TaskRun("theirs", work, session="gone").start()
    alive = {"alive": True, "gone": False}.__getitem__
    try:
        assert jobs.stop_orphans(alive, now=100.0) == []  # just gone: a reload may come back
        assert jobs.stop_orphans(alive, now=100.0 + jobs.GONE_AFTER_S - 1) == []
        assert jobs.stop_orphans(alive, now=100.0 + jobs.GONE_AFTER_S) == [theirs]
        assert theirs.wait(10) and theirs.snapshot()["status"] == "stopped"
        assert theirs.stop_reason == "the browser tab was closed"
        assert mine.running and not mine.stop.is_set()
    finally:
        mine.stop.set()
        mine.wait(10)


def test_an_imputation_fit_of_a_closed_tab_is_stopped(tmp_path, monkeypatch) -> None:
    from ui import impute_jobs, jobs

    def fit(sources, *, stop, **kw):  # until stopped, as fit_tracks checks between batches
        while not stop.is_set():
            time.sleep(0.01)
        raise NcvError("stopped while reading")

    monkeypatch.setattr(impute_jobs, "read_manifest", lambda path: [])
    monkeypatch.setattr(impute_jobs, "species_tracks", lambda *a: None)
    monkeypatch.setattr(impute_jobs, "fit_tracks", fit)
    run = impute_jobs.ImputationRun("t.tsv", [], tmp_path / "m", {}, session="gone").start()
    try:
        assert jobs.stop_orphans({"gone": False}.__getitem__, now=0.0) == []
        assert jobs.stop_orphans({"gone": False}.__getitem__, now=jobs.GONE_AFTER_S) == [run]
        assert run.wait(10) and run.snapshot().status == "stopped"
        assert run.stop_reason == "the browser tab was closed"
    finally:
        run.stop.set()
        run.wait(10)


def test_a_session_that_comes_back_keeps_its_run() -> None:
    from ui import jobs

    def work(progress, stop):
        while not stop.is_set():
            time.sleep(0.01)
        raise NcvError("stopped")

    run = jobs.TaskRun("r", work, session="s").start()
    state = {"s": False}
    try:
        jobs.stop_orphans(state.__getitem__, now=0.0)
        state["s"] = True  # reconnected
        jobs.stop_orphans(state.__getitem__, now=1.0)
        state["s"] = False
        assert jobs.stop_orphans(state.__getitem__, now=jobs.GONE_AFTER_S + 0.5) == []
        assert run.running
    finally:
        run.stop.set()
        run.wait(10)


def test_warm_fills_the_filter_views_once_per_model_and_data(model_dir, monkeypatch) -> None:
    from types import SimpleNamespace

    from ui import warm

    calls: list[tuple] = []
    influence = SimpleNamespace(mean_delta_prob=np.array([[0.1], [-0.5], [0.2]]))
    fake = SimpleNamespace(
        jaspar=lambda: calls.append(("jaspar",)),
        background=lambda path, data: calls.append(("background",)),
        model=lambda path: SimpleNamespace(model=SimpleNamespace(filter_conv=object())),
        motifs_of_filters=lambda path, data: (
            calls.append(("motifs",)) or SimpleNamespace(pwms=[0] * 3)
        ),
        influence=lambda path, data, n: calls.append(("influence", n)) or (influence, None),
        filter_matches=lambda path, data, distance, filters: calls.append(("match", filters)),
    )
    monkeypatch.setattr(warm, "cached", fake)
    monkeypatch.setattr(warm.Runtime, "exists", staticmethod(lambda: True))
    monkeypatch.setattr(warm, "_started", set())
    data = SimpleNamespace(key=lambda: ("loci", "genome", "tracks", "CL", "stamp"))
    thread = warm.warm(model_dir, data)
    thread.join(10)
    assert calls[-4:] == [  # the filter views first for a sequence CNN, then the percentiles
        ("jaspar",),
        ("match", [1, 2, 0]),  # the most influential first
        ("background",),
        ("jaspar",),  # cached: free the second time
    ]
    assert ("motifs",) in calls and ("influence", 100) in calls and ("background",) in calls
    assert warm.warm(model_dir, data) is None  # once per model and data set
    monkeypatch.setenv("NCV_WARM", "0")
    monkeypatch.setattr(warm, "_started", set())
    assert warm.warm(model_dir, data) is None


def test_job_expects_teacher_and_student_for_soft_ssl(tmp_path: Path) -> None:
    def fits(**options: object) -> int:
        return Job("ssl", {"method": "ssl", **options}, tmp_path).expected_fits()

    assert fits(model="mlp") == 2  # robust: teacher ensemble, then student ensemble
    assert fits(model="mlp", preset="paper") == 1
    assert fits(model="ssl_dnn") == 1  # sequence networks keep the paper's one-network ssl
    assert fits(model="mlp", split="cv", folds=3) == 8
