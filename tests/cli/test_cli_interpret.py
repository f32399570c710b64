"""``ncv ablate``, ``ncv motifs``, ``ncv ism`` and ``ncv attribute``: files written, results
against independent references, exit status 2 with one line on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from _synthetic import META, one_thread, synthetic_table  # noqa: F401 (autouse: one thread)

from ncv_core.cli import main
from ncv_core.features.build import build_features
from ncv_core.io.model_folder import CARD_FORMAT, CARD_VERSION, write_model
from ncv_core.io.motif_files import Motif, write_meme
from ncv_core.io.tables import read_table, write_table
from ncv_core.models import build_model
from ncv_core.models.encoding import Scaler, feature_matrix

pytestmark = pytest.mark.filterwarnings("ignore::ncv_core.errors.NcvWarning")
WINDOW = 50


@pytest.fixture
def setup(tiny, tmp_path: Path) -> dict:
    """A feature table on the tiny genome, and two model folders: ssl_dnn and deepbind."""
    loci = tmp_path / "loci.tsv"
    positions = range(100, 1900, 60)
    loci.write_text("chrom\tpos\n" + "".join(f"chr1\t{p}\n" for p in positions))
    feats = build_features(loci, tiny.genome, tiny.tracks, "CL", window=WINDOW, use_cache=False)
    table_path = tmp_path / "feats.parquet"
    write_table(feats.table, table_path, feats.meta)
    cols = feats.meta["feature_columns"]
    torch.manual_seed(0)
    models = {
        "ssl_dnn": build_model("ssl_dnn", n_tab=len(cols), seq_len=WINDOW),
        "deepbind": build_model("deepbind", seq_len=WINDOW, filters=6, kernel=8, hidden=5),
    }
    out = {"tiny": tiny, "table": table_path, "feats": feats, "root": tmp_path}
    for name, model in models.items():
        inputs: dict = {"window": WINDOW, "base_order": "ACGT"}
        if name == "ssl_dnn":
            inputs["scaler"] = Scaler.fit(feature_matrix(feats.table, cols), cols).to_dict()
        card = {
            "format": CARD_FORMAT,
            "format_version": CARD_VERSION,
            "architecture": {"name": name, "kwargs": model.config},
            "inputs": inputs,
            "features": {"cell_line": "CL", "genome": {"build": None}},
            "metrics": {},
        }
        out[name] = tmp_path / name
        write_model(out[name], model.eval(), card)
    return out


def _locus_args(s: dict, pos: int = 1000) -> list[str]:
    t = s["tiny"]
    return ["--locus", f"chr1:{pos}", "--genome", str(t.genome), "--tracks", str(t.tracks)] + [
        "--cell-line",
        "CL",
    ]


def _naive_logits(model_dir: Path, s: dict, pos: int) -> tuple[float, np.ndarray]:
    """Independent reference: one forward per mutant of the locus's feature-table row."""
    from ncv_core.io.model_folder import load_model

    loaded = load_model(model_dir, device="cpu")
    row = s["feats"].table[s["feats"].table["pos"] == pos].reset_index(drop=True)
    x_seq, x_tab = loaded.encode(row, s["feats"].meta)
    out = np.zeros((WINDOW, 4))
    with torch.no_grad():

        def logit(x: torch.Tensor) -> float:
            z = loaded.model(x, x_tab)
            return float(z[0, 1] - z[0, 0])

        ref = logit(x_seq)
        for p in range(WINDOW):
            for b in range(4):
                x = x_seq.clone()
                x[0, :, p] = 0.0
                x[0, b, p] = 1.0
                out[p, b] = logit(x) - ref
    return ref, out


def test_ism_on_a_locus_matches_a_naive_loop(setup, capsys) -> None:
    s, out = setup, setup["root"] / "ism.tsv"
    assert (
        main(["ism", "--model", str(s["ssl_dnn"]), *_locus_args(s, 1000), "--out", str(out)]) == 0
    )
    assert "held fixed" in capsys.readouterr().out
    table, meta = read_table(out)
    assert len(table) == WINDOW * 4 and (table.groupby("pos")["is_ref"].sum() == 1).all()
    assert (table.loc[table["is_ref"], ["delta_prob", "delta_logit"]] == 0).all().all()
    ref, naive = _naive_logits(s["ssl_dnn"], s, 1000)
    got = table.sort_values(["pos", "alt_base"])["delta_logit"].to_numpy().reshape(WINDOW, 4)
    np.testing.assert_allclose(got, naive, atol=2e-5)
    assert meta["ref_logit"][0][0] == pytest.approx(ref, abs=1e-5)
    imp = table.groupby("pos")["importance"].first().to_numpy()
    np.testing.assert_allclose(imp, -naive.sum(axis=1) / 3, atol=2e-5)
    assert table["genome_pos"].tolist()[::4] == list(range(1000 - WINDOW // 2, 1000 + WINDOW // 2))
    assert table.loc[table["pos"] == WINDOW // 2, "ref_base"].iloc[0] == s["tiny"].ref("chr1", 1000)
    assert "held fixed" in meta["tabular"] and meta["input"] == "locus"


def test_ism_of_a_pasted_sequence_and_npy(setup) -> None:
    s = setup
    seq = s["tiny"].seqs["chr1"][500:550]
    out, npy = s["root"] / "ism.csv", s["root"] / "ism.npy"
    args = ["ism", "--model", str(s["deepbind"]), "--sequence", seq, "--out", str(out)]
    assert main([*args, "--npy", str(npy)]) == 0
    table, meta = read_table(out)
    arr = np.load(npy)
    assert arr.shape == (1, 1, WINDOW, 4) and meta["input"] == "sequence"
    got = table.sort_values(["pos", "alt_base"])["delta_logit"].to_numpy()
    np.testing.assert_allclose(got, arr.ravel(), atol=1e-12)
    assert table["genome_pos"].isna().all()


@pytest.mark.parametrize("method", ["ig", "deeplift", "saliency"])
def test_attribute_reports_convergence(setup, method: str, capsys) -> None:
    s, out = setup, setup["root"] / f"{method}.tsv"
    args = ["attribute", "--model", str(s["ssl_dnn"]), *_locus_args(s, 700), "--out", str(out)]
    assert main([*args, "--method", method, "--steps", "64"]) == 0
    line = capsys.readouterr().out
    table, meta = read_table(out)
    assert len(table) == WINDOW * 4 and meta["method"] == method
    total = table["attribution"].sum()
    if method == "saliency":
        assert meta["convergence_delta"] == [None] and "convergence" not in line
        return
    gap = meta["logit"][0] - meta["baseline_logit"][0]
    assert total - gap == pytest.approx(meta["convergence_delta"][0], abs=1e-9)
    assert abs(meta["convergence_delta"][0]) < 0.02 * max(abs(gap), 1e-3) + 1e-4
    assert "convergence delta" in line


def test_motifs_writes_pwms_matches_influence(setup, capsys) -> None:
    s = setup
    meme = s["root"] / "mine.meme"
    rng = np.random.default_rng(0)
    write_meme([Motif(f"M{i}", rng.dirichlet(np.ones(4), 8), f"m{i}") for i in range(30)], meme)
    out = s["root"] / "motifs"
    args = ["motifs", "--model", str(s["deepbind"]), "--features", str(s["table"])]
    args += ["--out", str(out), "--no-jaspar", "--motifs", str(meme), "--influence-rows", "20"]
    assert main(args) == 0
    assert "6 filters" in capsys.readouterr().out
    names = {p.name for p in out.iterdir()}
    assert {"filters.meme", "filters.tsv", "tomtom.tsv", "influence.tsv", "clusters.tsv"} <= names
    assert {"logos.tsv", "report.json"} <= names
    summary, _ = read_table(out / "filters.tsv")
    matches, _ = read_table(out / "tomtom.tsv")
    assert len(summary) == 6 and set(matches["database"]) <= {"mine.meme"}
    assert json.loads((out / "report.json").read_text())["influence_rows"] == 20


def test_ablate_writes_the_tables(tmp_path, capsys) -> None:
    path = tmp_path / "syn.parquet"
    write_table(synthetic_table(120, seed=4, n_chrom=3), path, META)
    out = tmp_path / "abl.tsv"
    args = ["ablate", "--features", str(path), "--out", str(out), "--groups", "VI_dnase"]
    assert main([*args, "--folds", "3", "--epochs", "1", "--jobs", "1"]) == 0
    line = capsys.readouterr().out
    assert line.startswith("ablation (3-fold CV, supervised, 1 epochs") and "VI_dnase" in line
    table, meta = read_table(out)
    assert list(table["mode"]) == ["all", "only", "without"] and meta["folds"] == 3
    for name in ("folds", "correlation", "distributions", "histograms"):
        assert (tmp_path / f"abl.{name}.tsv").exists()
    corr, _ = read_table(tmp_path / "abl.correlation.tsv")
    assert corr.iloc[0]["feature"] in ("DNase_max", "DNase_sum")


def _fails(args: list[str], capsys, *expected: str) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    for text in expected:
        assert text in err[0]


def test_bad_input_exits_2_with_one_line(setup, capsys) -> None:
    s = setup
    empty = s["root"] / "not_a_model"
    empty.mkdir()
    out = str(s["root"] / "x.tsv")
    seq = "A" * WINDOW
    _fails(["ism", "--model", str(empty), "--sequence", seq, "--out", out], capsys, "card.json")
    (s["deepbind"] / "model.safetensors").write_bytes(b"garbage")
    _fails(
        ["attribute", "--model", str(s["deepbind"]), "--sequence", seq, "--out", out]
        + ["--method", "ig"],
        capsys,
        "model.safetensors",
    )
    ssl = ["--model", str(s["ssl_dnn"]), "--out", out]
    _fails(["ism", *ssl, *_locus_args(s, 1000)[:-2]], capsys, "--cell-line")
    bad = _locus_args(s)
    bad[1] = "chr1-1000"
    _fails(["ism", *ssl, *bad], capsys, "bad locus 'chr1-1000'")
    bad[1] = "chr7:1000"
    _fails(["ism", *ssl, *bad], capsys, "'chr7' is not in the genome")
    _fails(["ism", *ssl, "--sequence", seq], capsys, "tabular features", "--locus")
    _fails(["ism", *ssl, "--sequence", seq, *_locus_args(s)], capsys, "exactly one input")
    motifs = ["motifs", "--model", str(s["ssl_dnn"]), "--features", str(s["table"])]
    _fails([*motifs, "--out", str(s["root"] / "m")], capsys, "no 1-D first-layer filters")
