"""``ncv impute`` end to end on a tiny two-species manifest written in tmp_path."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import numpy as np
import pyBigWig
import pytest
import torch
from _impute_files import CHROM, MARKS, START, write_lowrank
from safetensors.torch import load_file

from ncv_core.cli import main
from ncv_core.impute.folder import load_fit
from ncv_core.impute.predict import impute
from ncv_core.io.genome import write_fasta
from ncv_core.io.manifest import read_manifest
from ncv_core.io.tables import read_table
from ncv_core.progress import TqdmProgress

FAST = ["--epochs", "2", "--batch-size", "256", "--threads", "1"]


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture
def files(tmp_path):
    return write_lowrank(tmp_path / "in")


def ncv(*args) -> int:
    return main([str(a) for a in args])


def _drop(manifest: Path, cell: str, mark: str) -> Path:
    lines = [
        ln for ln in manifest.read_text().splitlines() if not ln.startswith(f"{cell}\t{mark}\t")
    ]
    out = manifest.with_name(f"without-{cell}-{mark}.tsv")
    out.write_text("\n".join(lines) + "\n")
    return out


def test_fit_predict_features_evaluate(files, tmp_path, capsys) -> None:
    manifest = _drop(files.human, "h2", "H3K27ac")
    model = tmp_path / "avo"
    assert ncv("impute", "fit", "--tracks", manifest, "--regions", files.regions, "--out", model,
               "--held-out", "h0:dnase", "--normalize", "median", *FAST) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "on 8 tracks of 3 cell lines x 3 marks over 400 bins of 1 species: held-out MSE" in out
    assert sorted(p.name for p in model.iterdir()) == ["card.json", "model.safetensors"]
    fit, card = load_fit(model)
    assert card["held_out"] == [["h0", "DNase"]] and ["h2", "H3K27ac"] not in card["measured"]

    bw = tmp_path / "one" / "h1.bw"
    assert ncv("impute", "predict", "--model", model, "--cell-line", "h1", "--mark", "DNase",
               "--out", bw) == 0  # fmt: skip
    expected = impute(fit, "h1", "DNase") * card["transform"]["mark_scale"]["DNase"]
    with pyBigWig.open(str(bw)) as reader:  # an independent reader
        intervals = reader.intervals(CHROM)
    assert len(intervals) == 400 and intervals[0][:2] == (START, START + 25)
    np.testing.assert_allclose([v for _, _, v in intervals], expected, rtol=1e-5)
    peaks = [ln.split("\t") for ln in bw.with_suffix(".narrowPeak").read_text().splitlines()]
    covered = sum(int(p[2]) - int(p[1]) for p in peaks) // 25
    assert covered == round(card["peaks"]["marks"]["DNase"]["fraction"] * 400) == 40

    out_dir = tmp_path / "imputed"
    assert ncv("impute", "predict", "--model", model, "--all-missing", "--out-dir", out_dir) == 0
    assert "imputed 1 absent track; manifest with 8 measured + 1 imputed" in capsys.readouterr().out
    specs = read_manifest(out_dir / "tracks.tsv")
    assert [(s.cell_line, s.mark) for s in specs if s.imputed] == [("h2", "H3K27ac")]
    assert len(specs) == 9 and (out_dir / "h2" / "H3K27ac.narrowPeak").exists()

    seq = "".join(np.random.default_rng(0).choice(list("ACGT"), 1_100_000))
    write_fasta(tmp_path / "g.fa", [(CHROM, seq)])
    loci = tmp_path / "loci.tsv"
    alt = "A" if seq[START + 199] != "A" else "C"
    loci.write_text(
        f"chrom\tpos\tref\talt\tlabel\n{CHROM}\t{START + 200}\t{seq[START + 199]}\t{alt}\t1\n"
    )
    table = tmp_path / "h2.parquet"
    assert ncv("features", "--loci", loci, "--genome", tmp_path / "g.fa", "--tracks",
               out_dir / "tracks.tsv", "--cell-line", "h2", "--out", table) == 0  # fmt: skip
    capsys.readouterr()
    feats, meta = read_table(table)
    assert meta["imputed_marks"] == ["H3K27ac"] and feats["H3K27ac_max"].iloc[0] > 0

    scores = tmp_path / "scores.tsv"
    assert ncv("impute", "evaluate", "--model", model, "--out", scores) == 0
    assert capsys.readouterr().out.startswith("evaluated 1 tracks: mean MSE")
    rows, _ = read_table(scores)
    assert rows[["cell_line", "mark"]].values.tolist() == [["h0", "DNase"]]
    assert rows["mse"].iloc[0] == pytest.approx(card["metrics"]["tracks"][0]["mse"], rel=1e-5)


def test_add_cell_line_trains_only_its_rows(files, tmp_path, capsys) -> None:
    base, grown = tmp_path / "base", tmp_path / "grown"
    assert ncv("impute", "fit", "--tracks", files.human, "--regions", files.regions, "--out", base,
               *FAST) == 0  # fmt: skip
    assert ncv("impute", "fit", "--tracks", files.new_cell, "--add-cell-line", "h3", "--base", base,
               "--out", grown, *FAST) == 0  # fmt: skip
    assert "3 tracks of 1 cell line x 3 marks" in capsys.readouterr().out
    old, new = load_file(base / "model.safetensors"), load_file(grown / "model.safetensors")
    assert old.keys() == new.keys()
    for name in old:
        if name == "cell_embedding.weight":
            assert torch.equal(new[name][:3], old[name]) and new[name].shape[0] == 4
        else:
            assert torch.equal(new[name], old[name]), name  # bit-identical
    before, _ = load_fit(base)
    after, card = load_fit(grown)
    np.testing.assert_array_equal(impute(after, "h1", "DNase"), impute(before, "h1", "DNase"))
    assert card["cells"] == ["h0", "h1", "h2", "h3"] and card["hyper"]["mode"] == "new-rows"
    assert len(card["measured"]) == 12 and len(card["transform"]["track_scale"]) == 12
    # a cell line the base already has is refused
    assert ncv("impute", "fit", "--tracks", files.human, "--add-cell-line", "h1", "--base", base,
               "--out", tmp_path / "x", *FAST) == 2  # fmt: skip
    assert "already in the base model" in capsys.readouterr().err


def test_cross_species_zero_shot(files, tmp_path, capsys) -> None:
    model = tmp_path / "joint"
    assert ncv("impute", "fit", "--tracks", files.human, "--regions", files.regions,
               "--cross-tracks", files.mouse, "--cross-regions", files.mouse_regions,
               "--cross-species", "mouse", "--out", model, *FAST) == 0  # fmt: skip
    assert "over 800 bins of 2 species" in capsys.readouterr().out
    fit, card = load_fit(model)
    offsets = {r["species"]: r["axis_offset"] for r in card["layout"]["regions"]}
    assert (
        card["species"] == ["human", "mouse"]
        and offsets["mouse"] // 200 > (offsets["human"] + 399) // 200
    )  # the species never share a 5-kb row
    out_dir = tmp_path / "imputed"
    assert ncv("impute", "predict", "--model", model, "--all-missing", "--out-dir", out_dir) == 0
    imputed = [(s.cell_line, s.mark) for s in read_manifest(out_dir / "tracks.tsv") if s.imputed]
    assert imputed == [(c, MARKS[2]) for c in ("m0", "m1", "m2")]  # never measured in mouse
    scores = tmp_path / "zero.tsv"
    assert ncv("impute", "evaluate", "--model", model, "--truth", files.mouse_truth,
               "--out", scores) == 0  # fmt: skip
    rows, _ = read_table(scores)
    assert rows["cell_line"].tolist() == ["m0", "m1", "m2"]
    assert set(rows["baseline_reference"]) == {"leave-one-out"}  # no mouse H3K4me3 was trained
    assert np.isfinite(rows["baseline_mse"]).all() and (rows["mse"] > 0).all()


def _interrupt_on_epoch(monkeypatch, times: int) -> None:
    original = TqdmProgress.__call__

    def call(self, event):
        original(self, event)
        if event.get("stage") == "impute-fit" and event.get("done") == 1:
            for _ in range(times):
                signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(TqdmProgress, "__call__", call)


def test_ctrl_c_stops_and_saves_then_aborts(files, tmp_path, capsys, monkeypatch) -> None:
    _interrupt_on_epoch(monkeypatch, 1)
    model = tmp_path / "stopped"
    args = ["impute", "fit", "--tracks", files.human, "--regions", files.regions, "--threads", "1",
            "--epochs", "6", "--batch-size", "256"]  # fmt: skip
    assert ncv(*args, "--out", model) == 0
    card = json.loads((model / "card.json").read_text())
    assert card["stopped"] is True and len(card["history"]) == 1
    assert "stopped early" in capsys.readouterr().out
    _interrupt_on_epoch(monkeypatch, 2)
    assert ncv(*args, "--out", tmp_path / "aborted") == 130
    assert not (tmp_path / "aborted").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no half folder


def test_bad_input_is_one_line_and_status_2(files, tmp_path, capsys) -> None:
    fit = ["impute", "fit", "--tracks", files.human, "--regions", files.regions, "--out",
           tmp_path / "m", *FAST]  # fmt: skip
    assert ncv(*fit, "--held-out", "h0") == 2
    assert "expected CELL:MARK, got 'h0'" in capsys.readouterr().err
    assert ncv(*fit, "--held-out", "h9:DNase") == 2
    assert "not in the manifest" in capsys.readouterr().err
    assert ncv("impute", "fit", "--tracks", files.human, "--out", tmp_path / "m") == 2
    assert "give the regions" in capsys.readouterr().err
    assert ncv(*fit) == 0
    capsys.readouterr()
    assert ncv("impute", "predict", "--model", tmp_path / "m", "--out", tmp_path / "x.bw") == 2
    assert "give --cell-line C --mark M --out FILE.bw" in capsys.readouterr().err
    assert ncv("impute", "predict", "--model", tmp_path / "m", "--cell-line", "zz", "--mark",
               "DNase", "--out", tmp_path / "x.bw") == 2  # fmt: skip
    assert "no cell type 'zz'" in capsys.readouterr().err
    assert ncv("impute", "evaluate", "--model", tmp_path / "m", "--out", tmp_path / "s.tsv") == 2
    assert "nothing to score" in capsys.readouterr().err
    # the folder of the measured tracks is never replaced by imputed ones
    assert ncv("impute", "predict", "--model", tmp_path / "m", "--all-missing", "--out-dir",
               files.root) == 2  # fmt: skip
    assert "would replace the folder of the input" in capsys.readouterr().err
    assert (files.root / "h0_DNase.bw").exists()
