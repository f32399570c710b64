"""``ncv score`` / ``ncv ism`` / ``ncv attribute`` with sequence-only models (no tracks), several
models, sequence tables (the real MPRA library too), and the errors when tracks are needed."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _scoring import seq_model, tab_model

from ncv_core.cli import main
from ncv_core.features.build import build_features
from ncv_core.io.model_folder import load_model
from ncv_core.io.tables import read_table

pytestmark = pytest.mark.filterwarnings("ignore::ncv_core.errors.NcvWarning")


@pytest.fixture
def setup(tiny, tmp_path: Path) -> dict:
    g = tiny.seqs["chr1"]
    loci = tmp_path / "v.tsv"
    loci.write_text(
        "chrom\tpos\tref\talt\n"
        + "".join(f"chr1\t{p}\t{g[p - 1]}\t{'A' if g[p - 1] != 'A' else 'C'}\n" for p in (400, 900))
        + f"chr1\t1200\t{g[1199:1202]}\t{g[1199]}\n"
    )
    feats = build_features(loci, tiny.genome, tiny.tracks, "CL", use_cache=False)
    return {
        "tiny": tiny,
        "loci": loci,
        "db": seq_model(tmp_path / "db"),
        "basset": seq_model(tmp_path / "basset", arch="basset", window=150, seed=2),
        "ssl": tab_model(tmp_path / "ssl", feats.table, feats.meta["feature_columns"]),
        "root": tmp_path,
    }


def test_sequence_only_models_score_without_tracks(setup, capsys) -> None:
    s, out = setup, setup["root"] / "s.tsv"
    args = ["score", "--model", str(s["db"]), "--model", str(s["basset"]), "--loci", str(s["loci"])]
    args += ["--genome", str(s["tiny"].genome), "--out", str(out), "--background", "200"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "scored 3, rejected 0" in printed and "background: 200 random SNVs" in printed
    table, meta = read_table(out)
    assert {"db_p_ref", "basset_p_ref", "db_diff_percentile", "basset_diff_percentile"} <= set(
        table.columns
    )
    assert meta["cell_line"] is None and meta["background"]["n"] == 200
    assert sorted(meta["models"]) == ["basset", "db"] and meta["input"]["kind"] == "loci"
    assert table["db_diff_percentile"].between(0, 100).all()


def test_tracks_are_asked_for_only_when_needed(setup, capsys) -> None:
    s = setup
    base = ["score", "--model", str(s["ssl"]), "--loci", str(s["loci"])]
    base += ["--genome", str(s["tiny"].genome), "--out", str(s["root"] / "x.tsv")]
    assert main(base) == 2
    err = capsys.readouterr().err
    assert "reads" in err and "track features" in err and "give --tracks" in err
    assert main([*base, "--tracks", str(s["tiny"].tracks), "--cell-line", "CL"]) == 0
    assert main([*base, "--tracks", str(s["tiny"].tracks), "--cell-line", "CL", "--model",
                 str(s["db"]), "--background", "0"]) == 0  # fmt: skip
    table, meta = read_table(s["root"] / "x.tsv")
    assert "ssl_p_ref" in table and "db_p_ref" in table and meta["background"] is None
    assert meta["cell_line"] == "CL"


def test_ism_and_attribute_of_a_locus_without_tracks(setup, capsys) -> None:
    s, out = setup, setup["root"] / "ism.tsv"
    locus = ["--locus", "chr1:1000", "--genome", str(s["tiny"].genome)]
    assert main(["ism", "--model", str(s["db"]), *locus, "--out", str(out)]) == 0
    line = capsys.readouterr().out
    p_ref = float(re.search(r"p_ref ([0-9.]+)", line).group(1))
    g = s["tiny"].seqs["chr1"]
    window = g[1000 - 76 : 1000 + 74]
    expected = load_model(s["db"]).predict_proba(pd.DataFrame({"seq": [window]}))[0, 0]
    assert p_ref == pytest.approx(expected, abs=5e-4)
    assert read_table(out)[0]["genome_pos"].min() == 1000 - 75
    att = s["root"] / "att.tsv"
    args = ["attribute", "--model", str(s["db"]), *locus, "--method", "saliency", "--out", str(att)]
    assert main(args) == 0
    assert len(read_table(att)[0]) == 150 * 4
    assert main(["ism", "--model", str(s["ssl"]), *locus, "--out", str(out)]) == 2
    assert "--tracks" in capsys.readouterr().err


def test_ism_of_a_pasted_sequence_prints_p_ref(setup, capsys) -> None:
    s = setup
    seq = s["tiny"].seqs["chr1"][500:650]
    assert main(["ism", "--model", str(s["db"]), "--sequence", seq, "--out",
                 str(s["root"] / "i.tsv")]) == 0  # fmt: skip
    p_ref = float(re.search(r"p_ref ([0-9.]+)", capsys.readouterr().out).group(1))
    expected = load_model(s["db"]).predict_proba(pd.DataFrame({"seq": [seq]}))[0, 0]
    assert p_ref == pytest.approx(expected, abs=5e-4)


def test_score_a_sequence_table(setup, capsys) -> None:
    s, g = setup, setup["tiny"].seqs["chr1"]
    lib = s["root"] / "lib.csv"
    lib.write_text(
        "id,seq,ref,alt\n"
        f"v1,{g[300:601]},{g[450]},{'A' if g[450] != 'A' else 'C'}\n"
        f"v2,{g[300:601]},{g[450]}{'A' if g[451] != 'A' else 'C'},{g[450]}\n"  # REF differs
    )
    out = s["root"] / "lib.parquet"
    args = ["score", "--model", str(s["db"]), "--sequences", str(lib), "--out", str(out)]
    assert main([*args, "--background", "100"]) == 0
    table, meta = read_table(out)
    assert table["id"].tolist() == ["v1"] and table["offset"].tolist() == [150]
    assert meta["input"]["kind"] == "sequences" and meta["background"]["n"] == 100
    rejected = pd.read_csv(s["root"] / "lib.rejected.tsv", sep="\t")
    assert rejected["line"].tolist() == [3] and rejected["category"].tolist() == ["ref mismatch"]
    assert main([*args, "--genome", str(s["tiny"].genome)]) == 2
    assert "needs no genome" in capsys.readouterr().err
    assert main([*args[:-2], "--out", str(s["root"] / "lib.vcf")]) == 2
    assert "a VCF output needs a VCF input" in capsys.readouterr().err


def test_the_real_mpra_library(real_data, tmp_path: Path) -> None:
    """The Jurkat MPRA development set: 1,204 variants in 1,001-bp sequences, 10% indels."""
    path = real_data / "mpra" / "jurkat_mpra_dev.tsv"
    raw = pd.read_csv(path, sep="\t")
    db = seq_model(tmp_path / "db")
    out = tmp_path / "mpra.tsv"
    assert main(["score", "--model", str(db), "--sequences", str(path), "--out", str(out),
                 "--background", "500"]) == 0  # fmt: skip
    table, meta = read_table(out)
    rejected = pd.read_csv(tmp_path / "mpra.rejected.tsv", sep="\t")
    assert len(table) + len(rejected) == len(raw)
    indels = raw["ref"].str.len() != raw["alt"].str.len()
    assert table["id"].isin(raw.loc[indels, "id"]).sum() >= 0.9 * indels.sum()
    carried = {"input_chrom", "input_pos", "log2FC", "nearest_gene"}  # as text, clashes renamed
    assert carried <= set(table.columns)
    row = raw.iloc[0]  # a deletion, TA>T at offset 500
    got = table.loc[table["id"] == row["id"]].iloc[0]
    seq = row["seq"]
    ref_win = seq[500 - 75 : 500 + 75]
    alt_win = (seq[:500] + row["alt"] + seq[500 + len(row["ref"]) :])[500 - 75 : 500 + 75]
    m = load_model(db)
    p = m.predict_proba(pd.DataFrame({"seq": [ref_win, alt_win]}))[:, 0]
    normalised = "normalised" in str(got["notes"])
    assert normalised or np.allclose([got["p_ref"], got["p_alt"]], p, rtol=1e-5)
