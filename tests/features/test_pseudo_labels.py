"""Pseudo-label windows equal the target genome's bases (reverse-complemented on ``-`` chains).

Uses the tiny chain of ``test_liftover`` (chr1 -> chrA ``+`` with an insertion and a deletion,
chr1 [60, 80) -> chrB ``-``) and a target FASTA written in tmp_path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _chains import tiny_chains

from ncv_core.errors import NcvError
from ncv_core.features.pseudo_labels import PSEUDO_LABEL_COLUMNS, pseudo_labels
from ncv_core.io.chain_files import write_chain_file
from ncv_core.io.genome import Genome, write_fasta

COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A", "N": "N"}


@pytest.fixture
def target(tmp_path):
    """chrA (120 bp, N at 0-based [28, 43)) and chrB (60 bp), and the chain to them."""
    rng = np.random.default_rng(3)
    seqs = {name: "".join(rng.choice(list("ACGT"), n)) for name, n in (("chrA", 120), ("chrB", 60))}
    seqs["chrA"] = seqs["chrA"][:28] + "N" * 15 + seqs["chrA"][43:]
    fasta = tmp_path / "target.fa"
    write_fasta(fasta, seqs.items())
    chain = tmp_path / "tiny.over.chain.gz"
    write_chain_file(chain, tiny_chains())
    return fasta, chain, seqs


def rc(seq: str) -> str:
    return "".join(COMPLEMENT[b] for b in reversed(seq))


@pytest.mark.parametrize("window", [7, 6])
def test_windows_are_the_target_bases(target, window) -> None:
    fasta, chain, seqs = target
    loci = pd.DataFrame(
        {
            "chrom": ["chr1", "chr1", "chr1", "chr1"],
            "pos": [21, 61, 70, 25],
            "label": [1, 0, 1, None],
            "id": ["a", "b", "c", "d"],
            "ref": ["A", "C", "G", "T"],
        }
    )
    out = pseudo_labels(loci, chain, fasta, window=window, species="sp")
    t = out.table
    assert list(t.columns) == list(PSEUDO_LABEL_COLUMNS)
    assert t["id"].tolist() == ["sp:a", "sp:b", "sp:c", "sp:d"]
    half = window // 2
    # chr1:21 -> chrA:19 (+); chr1:61 -> chrB:50 (-); chr1:70 -> chrB:41 (-); chr1:25 -> chrA:23
    assert list(zip(t["chrom"], t["pos"], t["strand"], strict=True)) == [
        ("chrA", 19, "+"),
        ("chrB", 50, "-"),
        ("chrB", 41, "-"),
        ("chrA", 23, "+"),
    ]
    for row in t.itertuples():
        p = row.pos - 1
        seq = seqs[row.chrom]
        if row.strand == "+":
            assert row.seq == seq[p - half : p - half + window]
            assert row.seq[half] == seq[p]
        else:
            # the window reads the source's way: the lifted base's complement at offset W // 2
            lo = p - (window - 1 - half)
            assert row.seq == rc(seq[lo : lo + window])
            assert row.seq[half] == COMPLEMENT[seq[p]]
    assert t["label"].dtype == "Int8"
    assert t["label"].isna().tolist() == [False, False, False, True]
    assert t["label"].iloc[:3].tolist() == [1, 0, 1]
    assert t["source_pos"].tolist() == [21, 61, 70, 25] and set(t["species"]) == {"sp"}
    assert out.n_input == 4 and out.n_lifted == 4 and out.rejected == []


def test_minus_window_reads_as_the_source_window(tmp_path) -> None:
    """On an inverted copy, the pseudo-label window equals the source genome's own window."""
    rng = np.random.default_rng(5)
    src = "".join(rng.choice(list("ACGT"), 200))
    tgt = src[:50] + rc(src[50:150]) + src[150:]
    fasta = tmp_path / "t.fa"
    write_fasta(fasta, [("chrT", tgt)])
    from ncv_core.io.chain_files import chain_from_blocks

    chains = [
        chain_from_blocks("chr1", 200, "chrT", 200, "+", [0, 150], [0, 150], [50, 50], chain_id=1),
        chain_from_blocks("chr1", 200, "chrT", 200, "-", [50], [50], [100], chain_id=2),
    ]
    chain = tmp_path / "inv.chain"
    write_chain_file(chain, chains)
    loci = pd.DataFrame({"chrom": "chr1", "pos": np.arange(60, 141), "label": 1})
    for window in (9, 10):
        t = pseudo_labels(loci, chain, fasta, window=window, species="inv").table
        assert (t["strand"] == "-").all() and len(t) == len(loci)
        starts = t["source_pos"].to_numpy() - 1 - window // 2
        assert t["seq"].tolist() == [src[s : s + window] for s in starts]


def test_rejections(target, tmp_path) -> None:
    fasta, chain, seqs = target
    loci = pd.DataFrame(
        {
            "chrom": ["chr1", "chr1", "chr1", "chr9", "chr1"],
            "pos": [11, 40, 31, 5, 21],
            "label": [1, 1, 0, 1, 0],
        }
    )
    out = pseudo_labels(loci, chain, fasta, window=13, species="sp")
    cats = [(r.line, r.category) for r in out.rejected]
    # chr1:11 -> chrA:6, window [-1, 12) runs off; chr1:40 -> chrA:33, window mostly N;
    # chr1:31 is deleted in chrA; chr9 is not in the chain file
    assert cats == [
        (1, "window off contig end"),
        (2, "mostly N"),
        (3, "in gap"),
        (4, "unknown contig"),
    ]
    assert "85% N" in out.rejected[1].reason  # 11 of the 13 bases [26, 39)
    assert out.table["pos"].tolist() == [19] and out.n_lifted == 3
    assert out.rejected[0].row == "chr1\t11\t1"
    loose = pseudo_labels(loci, chain, fasta, window=13, species="sp", max_n_fraction=1.0)
    assert "mostly N" not in {r.category for r in loose.rejected}


def test_target_genome_checks(target, tmp_path) -> None:
    fasta, chain, seqs = target
    loci = pd.DataFrame({"chrom": ["chr1", "chr1"], "pos": [21, 61], "label": [1, 0]})
    only_a = tmp_path / "only_a.fa"
    write_fasta(only_a, [("chrA", seqs["chrA"])])
    out = pseudo_labels(loci, chain, only_a, window=5, species="sp")
    assert [r.category for r in out.rejected] == ["unknown contig"]
    assert "chrB" in out.rejected[0].reason
    wrong = tmp_path / "wrong.fa"
    write_fasta(wrong, [("chrA", seqs["chrA"][:-1]), ("chrB", seqs["chrB"])])
    with pytest.raises(NcvError, match="different genome build"):
        pseudo_labels(loci, chain, wrong, window=5, species="sp")
    with pytest.raises(NcvError, match="label column"):
        pseudo_labels(loci.drop(columns="label"), chain, fasta, window=5, species="sp")
    with pytest.raises(NcvError, match="window"):
        pseudo_labels(loci, chain, fasta, window=0, species="sp")
    with Genome(fasta) as g:  # an open Genome is used and left open
        assert len(pseudo_labels(loci, chain, g, window=5, species="sp").table) == 2
        assert g.fetch("chrB", 0, 3) == seqs["chrB"][:3]


def test_intervals_use_the_middle_base(target) -> None:
    fasta, chain, seqs = target
    peaks = pd.DataFrame(
        {"chrom": ["chr1", "chr1"], "start": [60, 10], "end": [70, 30], "label": [1, 0]}
    )
    t = pseudo_labels(peaks, chain, fasta, window=5, species="sp").table
    # [60, 70) -> chrB [40, 50) '-': middle (offset 5 in the source's direction) is 0-based 44,
    # the lift of source base 65 (1-based 66); [10, 30) -> chrA [5, 28): middle 5 + 11 = 16
    assert t[["chrom", "pos", "source_pos", "strand"]].values.tolist() == [
        ["chrB", 45, 66, "-"],
        ["chrA", 17, 21, "+"],
    ]
    assert t["seq"].iloc[0] == rc(seqs["chrB"][42:47])
    assert t["seq"].iloc[1] == seqs["chrA"][14:19]
    assert t["id"].tolist() == ["sp:chr1:66", "sp:chr1:21"]
