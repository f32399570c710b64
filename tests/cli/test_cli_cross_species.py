"""``ncv liftover``, ``ncv pseudo-labels`` and ``ncv train --pretrain`` end to end.

The tiny chain of ``_chains`` (source chr1 of 100 bp): chain 1 ``+`` chr1 [10, 50) -> chrA with
3 bases inserted after t 20 and t [30, 35) deleted; chain 2 ``-`` chr1 [60, 80) -> chrB
(t = 60 + i -> forward 49 - i); chains 3 and 4 both cover chr1 [92, 95). The target FASTA is
written in tmp_path.
"""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest
from _chains import tiny_chains
from _pseudo import WINDOW, homologs
from _synthetic import one_thread, synthetic_table  # noqa: F401 (one_thread: autouse fixture)

from ncv_core.cli import main
from ncv_core.features.cross_species import species_name
from ncv_core.io.chain_files import write_chain_file
from ncv_core.io.genome import write_fasta
from ncv_core.io.tables import read_table, write_table

COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(5)
    seqs = {n: "".join(rng.choice(list("ACGT"), k)) for n, k in (("chrA", 120), ("chrB", 60))}
    fasta = tmp_path / "target.fa"
    write_fasta(fasta, seqs.items())
    chain = tmp_path / "hg0ToTiny.over.chain.gz"
    write_chain_file(chain, tiny_chains())
    minus = tmp_path / "minus_only.over.chain"
    write_chain_file(minus, tiny_chains()[1:2])
    loci = tmp_path / "loci.tsv"
    loci.write_text(
        "chrom\tpos\tlabel\tid\tscore\n"
        "chr1\t21\t1\ta\t0.5\n"  # -> chrA:19 +
        "chr1\t33\t0\tb\t0.1\n"  # in the deletion t[30, 35)
        "chr1\t61\t0\tc\t0.2\n"  # -> chrB:50 -
        "chrZ\t5\t1\td\t0.3\n"  # unknown contig
        "chr1\t5\t1\te\t0.4\n"  # before every chain
        "chr1\t94\t1\tf\t0.6\n"  # chains 3 and 4
        "chr1\tx\t1\tg\t0.7\n"  # unreadable
    )
    return {"fasta": fasta, "chain": chain, "minus": minus, "loci": loci, "seqs": seqs}


def report(path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype={"row": str})


def test_liftover_points(files, tmp_path, capsys) -> None:
    out = tmp_path / "out" / "lifted.tsv"
    code = main(["liftover", "--chain", str(files["chain"]), "--loci", str(files["loci"]),
                 "--out", str(out)])  # fmt: skip
    assert code == 0
    assert "kept 2, rejected 5" in capsys.readouterr().out
    t, _ = read_table(out)
    assert list(t.columns) == ["chrom", "pos", "ref", "alt", "label", "id", "score",
                               "source_chrom", "source_pos", "strand"]  # fmt: skip
    assert t[["chrom", "pos", "id", "source_pos", "strand"]].values.tolist() == [
        ["chrA", 19, "a", 21, "+"],
        ["chrB", 50, "c", 61, "-"],
    ]
    assert t["score"].tolist() == [0.5, 0.2] and t["source_chrom"].tolist() == ["chr1"] * 2
    rej = report(tmp_path / "out" / "lifted.rejected.tsv")
    assert rej["line"].tolist() == [3, 5, 6, 7, 8]
    assert rej["category"].tolist() == [
        "in gap", "unknown contig", "no chain", "duplicated", "malformed number"
    ]  # fmt: skip
    assert rej["reason"][0].startswith("chr1:33 falls in a gap of chain 1")
    assert rej["row"][1] == "chrZ\t5\t1\td\t0.3"


def test_liftover_bed_intervals_and_min_match(files, tmp_path, capsys) -> None:
    bed = tmp_path / "peaks.bed"
    bed.write_text("chr1\t10\t20\tp1\t7\t+\nchr1\t25\t40\tp2\t3\t-\nchr1\t62\t70\tp3\t1\t.\n")
    out = tmp_path / "peaks.tsv"
    args = ["liftover", "--chain", str(files["chain"]), "--loci", str(bed), "--out", str(out)]
    assert main(args) == 0
    t, _ = read_table(out)
    assert list(t.columns) == ["chrom", "start", "end", "id", "score", "bed_strand",
                               "source_chrom", "source_start", "source_end", "strand"]  # fmt: skip
    # p1: t[10, 20) -> q[5, 15); p3 on the minus chain: t 62..69 -> forward 47..40
    assert t[["chrom", "start", "end", "id", "strand"]].values.tolist() == [
        ["chrA", 5, 15, "p1", "+"],
        ["chrB", 40, 48, "p3", "-"],
    ]
    rej = report(tmp_path / "peaks.rejected.tsv")
    assert rej["category"].tolist() == ["below min match"]
    assert "only 66.7% of chr1:25-40 aligns" in rej["reason"][0]
    assert main([*args, "--min-match", "0.6"]) == 0  # 10 of 15 bases: t25 -> q23, t39 -> q32
    t, _ = read_table(out)
    assert t.loc[t["id"] == "p2", ["chrom", "start", "end"]].values.tolist() == [["chrA", 23, 33]]
    capsys.readouterr()


def test_liftover_errors_exit_2(files, tmp_path, capsys) -> None:
    nowhere = tmp_path / "nowhere.tsv"
    nowhere.write_text("chrom\tpos\nchrZ\t5\n")
    out = tmp_path / "o.tsv"
    code = main(["liftover", "--chain", str(files["chain"]), "--loci", str(nowhere),
                 "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "no locus lifted (kept 0, rejected 1: 1 unknown contig)" in err
    assert (tmp_path / "o.rejected.tsv").is_file() and not out.exists()
    bad = tmp_path / "bad.chain"
    bad.write_text("chain 1 chr1 100 + 0 10 chrA\n10\n")
    code = main(["liftover", "--chain", str(bad), "--loci", str(nowhere), "--out", str(out)])
    assert (
        code == 2 and "bad.chain, line 1: a chain header needs 13 fields" in capsys.readouterr().err
    )


def test_pseudo_labels_two_species(files, tmp_path, capsys) -> None:
    out = tmp_path / "pseudo.tsv"
    code = main(
        ["pseudo-labels", "--loci", str(files["loci"]), "--window", "7", "--out", str(out),
         "--chain", str(files["chain"]), "--target-genome", str(files["fasta"]),
         "--chain", str(files["minus"]), "--target-genome", str(files["fasta"])]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "tiny: kept 2, rejected 4" in printed and "minus_only: kept 1, rejected 5" in printed
    t, _ = read_table(out)
    assert list(t.columns) == ["id", "chrom", "pos", "label", "seq", "source_chrom",
                               "source_pos", "strand", "species"]  # fmt: skip
    assert t["id"].tolist() == ["tiny:a", "tiny:c", "minus_only:c"]
    seqs = files["seqs"]
    assert t["seq"][0] == seqs["chrA"][18 - 3 : 18 + 4]  # chrA:19, offset 3 of the window
    rc = seqs["chrB"][49 - 3 : 49 + 4].translate(COMPLEMENT)[::-1]
    assert t["seq"][1] == t["seq"][2] == rc  # the minus chain reads the source's way
    assert t["label"].tolist() == [1, 0, 0] and t["strand"].tolist() == ["+", "-", "-"]
    rej = report(tmp_path / "pseudo.rejected.tsv")
    assert rej["line"].tolist()[0] == 8 and rej["category"][0] == "malformed number"
    assert rej["reason"][1:].str.match(r"^(tiny|minus_only): ").all()
    assert (rej["reason"].str.startswith("minus_only: ")).sum() == 5


def test_pseudo_labels_bed_needs_a_label(files, tmp_path, capsys) -> None:
    bed = tmp_path / "peaks.bed.gz"
    bed.write_bytes(gzip.compress(b"chr1\t10\t20\nchr1\t62\t70\tp3\n"))
    out = tmp_path / "p.parquet"
    base = ["pseudo-labels", "--loci", str(bed), "--window", "5", "--out", str(out),
            "--chain", str(files["chain"]), "--target-genome", str(files["fasta"])]  # fmt: skip
    assert main(base) == 2
    assert "no locus has a label; give --label 0 or 1" in capsys.readouterr().err
    assert main([*base, "--label", "1", "--species", "mouse"]) == 0
    t, _ = read_table(out)
    assert t["id"].tolist() == ["mouse:chr1:16", "mouse:p3"]  # a nameless peak: its middle base
    assert t["label"].tolist() == [1, 1] and t["species"].tolist() == ["mouse", "mouse"]
    assert main([*base, "--chain", str(files["minus"])]) == 2
    assert "one --target-genome per --chain: got 2 chain(s) and 1" in capsys.readouterr().err


def test_species_names_from_chain_files() -> None:
    assert species_name("hg19ToMm10.over.chain.gz") == "mm10"
    assert species_name("/x/hg38ToCanFam3.over.chain") == "canFam3"
    assert species_name("demo_to_dog_like.over.chain.gz") == "dog_like"
    assert species_name("mychain.chain") == "mychain"


def test_train_with_pretrain(tmp_path, capsys) -> None:
    human = synthetic_table(200, window=WINDOW, pos_frac=0.4, n_chrom=4)
    features, pseudo = tmp_path / "h.tsv", tmp_path / "pseudo.tsv"
    write_table(human, features)
    write_table(homologs(human), pseudo)
    out = tmp_path / "model"
    code = main(
        ["train", "--features", str(features), "--out", str(out), "--model", "deepbind",
         "--method", "supervised", "--optimizer", "adam", "--lr", "0.001", "--epochs", "1",
         "--pretrain", str(pseudo), "--pretrain", str(pseudo), "--pretrain-epochs", "2"]
    )  # fmt: skip
    assert code == 0
    assert "pre-trained on" in capsys.readouterr().out
    card = json.loads((out / "card.json").read_text())
    assert [t["source"] for t in card["pretrain"]["tables"]] == [str(pseudo)] * 2
    assert len(card["pretrain"]["history"]) == 2 and len(card["history"]) == 1
    assert card["pretrain"]["settings"]["use"] == "labelled"
    code = main(["train", "--features", str(features), "--out", str(tmp_path / "m2"),
                 "--pretrain", str(pseudo)])  # fmt: skip
    assert code == 2 and "sequence-only model" in capsys.readouterr().err
