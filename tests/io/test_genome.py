from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from ncv_core.coords import contig_key, fingerprint, guess_build, window_bounds
from ncv_core.errors import NcvError, NcvWarning
from ncv_core.io import genome as genome_mod
from ncv_core.io.bigwig import bigwig_contigs
from ncv_core.io.genome import Genome, write_fasta


def test_window_bounds_paper_convention() -> None:
    # 1-based pos -> 0-based [pos-76, pos+74): the variant base is at offset 75.
    assert window_bounds(1000, 150) == (924, 1074)
    start, end = window_bounds(1000, 150)
    assert 1000 - 1 - start == 75 and end - start == 150
    assert window_bounds(10, 5) == (7, 12)  # odd window: variant at offset 2 of 5
    starts, ends = window_bounds(np.array([100, 200]), 150)
    assert starts.tolist() == [24, 124] and ends.tolist() == [174, 274]


def test_contig_key_matching_conventions() -> None:
    assert contig_key("chr1") == contig_key("1") == contig_key("CHR1")
    assert contig_key("MT") == contig_key("chrM") == contig_key("chrMT")
    assert contig_key("chrX") == contig_key("X") != contig_key("Y")


def test_windows_strict_and_n_stays_n(tiny) -> None:
    with Genome(tiny.genome) as g:
        assert g.contigs == {"chr1": 2000, "chr2": 800, "chrM": 300}
        assert g.resolve("1") == "chr1" and g.resolve("MT") == "chrM" and g.resolve("chr9") is None
        w = g.windows(["chr1"], [76], 150)[0]
        assert w == tiny.seqs["chr1"][:150] and w[75] == tiny.ref("chr1", 76)
        assert g.windows(["chr1"], [1926], 150)[0] == tiny.seqs["chr1"][-150:]
        with pytest.raises(NcvError, match="outside chr1"):
            g.windows(["chr1"], [1927], 150)
        with pytest.raises(NcvError, match="outside chr1"):
            g.windows(["chr1"], [75], 150)
        n_window = g.windows(["chr2"], [403], 150)[0]
        assert "NNNNN" in n_window and len(n_window) == 150
        assert g.bases_at(["chr1", None, "chr1"], [1, 5, 2001]) == [tiny.ref("chr1", 1), "", ""]


def test_soft_masked_bases_are_upper_cased(tmp_path: Path) -> None:
    fa = tmp_path / "g.fa"
    write_fasta(fa, [("chr1", "acgtACGT" * 40)])
    with Genome(fa) as g:
        assert g.fetch("chr1", 0, 8) == "ACGTACGT"


def test_index_is_built_when_missing_and_read_only_folder_falls_back(
    tmp_path: Path, monkeypatch
) -> None:
    fa = tmp_path / "g.fa"
    write_fasta(fa, [("chr1", "ACGT" * 100)])
    with Genome(fa):
        pass
    assert (tmp_path / "g.fa.fai").exists()

    ro = tmp_path / "ro"
    ro.mkdir()
    fa2 = ro / "g.fa"
    write_fasta(fa2, [("chr1", "ACGT" * 100)])
    monkeypatch.setattr(genome_mod, "_writable", lambda folder: False)
    monkeypatch.setattr(genome_mod.os, "access", lambda *a: False)
    with pytest.warns(NcvWarning, match="read-only"):
        with Genome(fa2, index_dir=tmp_path / "idx") as g:
            assert g.fetch("chr1", 0, 4) == "ACGT"
    assert not (ro / "g.fa.fai").exists()
    assert list((tmp_path / "idx").glob("g.fa.*.fai"))


def test_bad_fasta_files_are_clear(tmp_path: Path) -> None:
    with pytest.raises(NcvError, match="genome FASTA not found"):
        Genome(tmp_path / "nope.fa")
    gz = tmp_path / "g.fa.gz"
    gz.write_bytes(gzip.compress(b">chr1\nACGT\n"))
    with pytest.raises(NcvError, match="gzip-compressed"):
        Genome(gz)
    junk = tmp_path / "junk.fa"
    junk.write_text("this is not a fasta file\n")
    with pytest.raises(NcvError, match="junk.fa"):
        Genome(junk)


def test_build_guess_and_declared_build(tmp_path: Path) -> None:
    assert guess_build({"chr9": 141213431}) == "hg19"
    assert guess_build({"9": 138394717, "MT": 16569}) == "hg38"
    assert guess_build({"chr1": 5000}) is None
    assert fingerprint({"chr1": 10, "chr2": 5}) == fingerprint({"2": 5, "1": 10})
    assert fingerprint({"chr1": 10}) != fingerprint({"chr1": 11})


def test_declared_build_contradicting_lengths(tmp_path: Path, monkeypatch) -> None:
    fa = tmp_path / "g.fa"
    write_fasta(fa, [("chrM", "A" * 16571)])  # hg19's chrM length
    assert Genome(fa).build is None  # chrM alone does not name a build (shared by hg19 patches)
    write_fasta(fa, [("chr21", "N" * 10)])
    with Genome(fa, build="GRCh38") as g:
        assert g.build == "hg38"  # declared, lengths unknown: kept


def test_real_bigwigs_mixed_builds_detected(real_data: Path, tmp_path: Path) -> None:
    tracks = real_data / "tracks"
    k27ac = bigwig_contigs(tracks / "bigwig_chr9_4000000_6000000_K562_H3K27ac.bigwig")
    k4me3 = bigwig_contigs(tracks / "bigwig_chr9_4000000_6000000_K562_H3K4me3.bigwig")
    assert guess_build(k27ac) == "hg19" and guess_build(k4me3) == "hg38"
    # A genome whose chr9 has hg19's length (its bases are never read).
    fa = tmp_path / "chr9.fa"
    _write_single_line_fasta(fa, "chr9", 141_213_431)
    with Genome(fa) as g:
        assert g.build == "hg19"
        g.check_compatible(k27ac, "K562 H3K27ac", "k27ac.bigwig")
        with pytest.raises(
            NcvError, match=r"different genome build: it says chr9 is 138,394,717 bp \(hg38\)"
        ):
            g.check_compatible(k4me3, "K562 H3K4me3", "k4me3.bigwig")


def _write_single_line_fasta(path: Path, name: str, length: int) -> None:
    """A one-line FASTA and its .fai, with the sequence left sparse (no disk blocks, never read)."""
    header = f">{name}\n".encode()
    with open(path, "wb") as fh:
        fh.write(header)
        fh.seek(len(header) + length)
        fh.write(b"\n")  # the line end the index promises (checked when the genome opens)
    Path(str(path) + ".fai").write_text(
        f"{name}\t{length}\t{len(header)}\t{length}\t{length + 1}\n"
    )


def test_real_hg19_slice(real_data: Path) -> None:
    fa = real_data / "genome" / "z.fa"
    with Genome(fa) as g:
        assert g.contigs == {"z": 1_000_000}
        window = g.windows(["z"], [500_000], 150)[0]
    # Independent read: the FASTA has 80-column lines after a 3-byte header ">z\n".
    raw = fa.read_text().split("\n", 1)[1].replace("\n", "")
    assert window == raw[500_000 - 76 : 500_000 + 74].upper()
    assert len(window) == 150 and set(window) <= set("ACGTN")


@pytest.mark.parametrize("width,newline", [(7, "\n"), (60, "\r\n"), (1000, "\n")])
def test_vectorised_fetch_matches_pyfaidx(tmp_path: Path, width: int, newline: str) -> None:
    import pyfaidx

    rng = np.random.default_rng(width)
    seqs = {
        "a": "".join(rng.choice(list("ACGTNacgt"), 523)),
        "b": "".join(rng.choice(list("ACGT"), 77)),
    }
    fa = tmp_path / "g.fa"
    with open(fa, "w", newline="") as fh:
        for name, seq in seqs.items():
            fh.write(f">{name} description{newline}")
            fh.writelines(seq[i : i + width] + newline for i in range(0, len(seq), width))
    reference = pyfaidx.Fasta(str(fa), as_raw=True, sequence_always_upper=True)
    starts = rng.integers(0, 523 - 30, 200)
    with Genome(fa) as g:
        got = g.fetch_many(["a"] * 200 + ["b"], np.r_[starts, 40], 30)
        assert g.fetch("b", 0, 77) == seqs["b"]
    assert got == [reference["a"][s : s + 30] for s in starts.tolist()] + [reference["b"][40:70]]
