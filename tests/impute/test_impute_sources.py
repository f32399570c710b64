"""Track tensors read from manifests and bigWigs; the model folder round trip; scores."""

from __future__ import annotations

import json

import numpy as np
import pyBigWig
import pytest
import torch
from _impute_files import CHROM, START

from ncv_core.errors import NcvError
from ncv_core.impute.folder import load_fit, save_fit
from ncv_core.impute.predict import impute
from ncv_core.impute.sources import read_track_tensor, species_tracks
from ncv_core.io.bigwig import region_signals, write_bigwig
from ncv_core.io.manifest import read_manifest
from ncv_core.io.model_folder import CARD, WEIGHTS, read_card

REGION = [(CHROM, START, START + 10_000)]


def test_tensor_rows_are_the_tracks_on_the_model_scale(lowrank_files) -> None:
    f = lowrank_files
    src = species_tracks("human", read_manifest(f.human), REGION)
    for normalize in ("none", "median"):
        inputs = read_track_tensor([src], normalize=normalize)
        t = inputs.tensor
        assert t.n_tracks == 9 and t.n_bins == 400 and t.species == ("human",)
        for (cell, assay), row in zip(t.track_names(), t.signal, strict=True):
            raw = np.sinh(f.values[(cell, assay)].astype(np.float64))  # the bigWig's 25-bp bins
            scale = np.median(raw) if normalize == "median" else 1.0
            np.testing.assert_allclose(row, np.arcsinh(raw / scale), atol=2e-5)
            assert inputs.scale[(cell, assay)] == pytest.approx(scale, rel=1e-5)
            assert inputs.peak_fraction[(cell, assay)] == pytest.approx(0.1)  # top 40 of 400


def test_two_species_absent_pairs_and_axis(lowrank_files) -> None:
    f = lowrank_files
    sources = [
        species_tracks("human", read_manifest(f.human), REGION),
        species_tracks("mouse", read_manifest(f.mouse), REGION),
    ]
    t = read_track_tensor(sources).tensor
    assert ("m0", "H3K4me3") not in t.track_names() and ("h0", "H3K4me3") in t.track_names()
    human, mouse = t.species_bins("human"), t.species_bins("mouse")
    # the same genomic region of the two species never shares a genome-axis row
    assert not set(t.position[human] // 200) & set(t.position[mouse] // 200)
    with pytest.raises(NcvError, match="appears in species"):
        read_track_tensor([sources[0], species_tracks("other", read_manifest(f.human), REGION)])


def test_bigwigs_of_another_build_are_refused(lowrank_files, tmp_path) -> None:
    specs = read_manifest(lowrank_files.human)
    odd = tmp_path / "odd.bw"
    write_bigwig(odd, {CHROM: 2_000_000}, {CHROM: (np.array([0]), np.array([10]), np.array([1.0]))})
    bad = tmp_path / "t.tsv"
    bad.write_text(f"cell_line\tmark\tsignal\nx\tDNase\t{odd}\n")
    with pytest.raises(NcvError, match="another genome build"):
        species_tracks("human", [*specs, *read_manifest(bad)], REGION)
    with pytest.raises(NcvError, match="contig the tracks do not have"):
        species_tracks("human", specs, [("chrZ", 0, 100)])


def test_region_signals_match_pybigwig(lowrank_files) -> None:
    path = lowrank_files.root / "h1_H3K27ac.bw"
    regions = [(CHROM, START + 7, START + 93), ("1", START - 50, START + 30), ("chrQ", 0, 10)]
    regions += [(CHROM, START + 9_990, START + 10_040)]
    got = region_signals(path, regions, merge_gap=1)
    bw = pyBigWig.open(str(path))
    for (chrom, s, e), values in zip(regions, got, strict=True):
        name = "chr1" if chrom in ("chr1", "1") else None
        ref = np.zeros(e - s) if name is None else np.nan_to_num(bw.values(name, s, e, numpy=True))
        np.testing.assert_array_equal(values, ref)
    assert [len(v) for v in region_signals(path, regions)] == [86, 80, 10, 50]  # merged reads
    bw.close()


def test_model_folder_round_trip(lowrank_run, tmp_path) -> None:
    run = lowrank_run
    out = save_fit(run.fit, run.card, tmp_path / "m")
    assert sorted(p.name for p in out.iterdir()) == [CARD, WEIGHTS]
    fit, card = load_fit(out)
    assert card == json.loads(json.dumps(card)) and card["cells"] == list(run.fit.cells)
    for key in ("layout", "measured", "chrom_sizes", "peaks", "transform", "metrics"):
        assert card[key] == json.loads(json.dumps(run.card[key], default=float)), key
    mine, theirs = run.fit.model.state_dict(), fit.model.state_dict()
    assert mine.keys() == theirs.keys() and all(torch.equal(mine[k], theirs[k]) for k in mine)
    np.testing.assert_array_equal(impute(fit, "m1", "H3K4me3"), impute(run.fit, "m1", "H3K4me3"))
    assert fit.held_out == [("h0", "DNase")] and fit.trained == run.fit.trained


def test_model_folder_errors(lowrank_run, tmp_path) -> None:
    out = save_fit(lowrank_run.fit, lowrank_run.card, tmp_path / "m")
    with pytest.raises(NcvError, match="not an ncv model card .its format is 'ncv-avocado'"):
        read_card(out)
    (out / WEIGHTS).write_bytes(b"nonsense")
    with pytest.raises(NcvError, match="corrupt or truncated safetensors"):
        load_fit(out)
    with pytest.raises(NcvError, match="imputation model folder not found"):
        load_fit(tmp_path / "nothing")
    card = json.loads((out / CARD).read_text())
    card["version"] = 99
    (out / CARD).write_text(json.dumps(card))
    with pytest.raises(NcvError, match="newer than this package reads"):
        load_fit(out)


def test_card_records_what_the_issue_asks(lowrank_run) -> None:
    card = lowrank_run.card
    assert card["format"] == "ncv-avocado" and card["species"] == ["human", "mouse"]
    assert card["bin_size"] == 25 and card["transform"]["forward"] == "arcsinh"
    assert card["transform"]["normalize"] == "none"
    assert card["chrom_sizes"] == {"human": {CHROM: 1_100_000}, "mouse": {CHROM: 1_100_000}}
    assert len(card["measured"]) == 15 and len(card["history"]) == 2
    assert card["peaks"]["marks"]["DNase"] == {"fraction": pytest.approx(0.1), "n_tracks": 6}
    held = card["metrics"]["tracks"]
    assert [(r["cell_line"], r["mark"]) for r in held] == [("h0", "DNase")]
    assert held[0]["peaks_n_bins"] == 40 and held[0]["baseline_reference"] == "trained"
