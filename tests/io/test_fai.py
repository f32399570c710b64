"""ncv_core.io.fai: a .fai index checked against its FASTA; the genome rebuilds stale ones."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pyfaidx
import pytest

from ncv_core.io.fai import index_problem
from ncv_core.io.genome import Genome, write_fasta

RNG = np.random.default_rng(3)
SEQS = {
    "chr1": "".join(RNG.choice(list("ACGT"), 1234)),
    "chr2": "".join(RNG.choice(list("ACGT"), 600)),
    "chrM": "".join(RNG.choice(list("ACGT"), 61)),
}


def _pyfaidx_index(fa: Path) -> Path:
    """The index pyfaidx itself builds (an independent reference)."""
    index = Path(str(fa) + ".ref.fai")
    pyfaidx.Faidx(str(fa), indexname=str(index)).close()
    return index


@pytest.mark.parametrize("width", [1, 7, 60, 61, 5000])
def test_indexes_written_or_built_describe_their_fasta(tmp_path: Path, width: int) -> None:
    fa = tmp_path / "g.fa"
    write_fasta(fa, SEQS.items(), line_width=width, index=True)
    reference = _pyfaidx_index(fa)
    assert index_problem(fa, Path(str(fa) + ".fai")) is None
    assert index_problem(fa, reference) is None
    if width <= len(SEQS["chrM"]):  # (one-line contigs: pyfaidx gives the line's own length)
        assert Path(str(fa) + ".fai").read_text() == reference.read_text()


def test_crlf_descriptions_and_no_final_newline_are_fine(tmp_path: Path) -> None:
    fa = tmp_path / "g.fa"
    fa.write_bytes(b">chr1 a description\r\nACGTA\r\nCG\r\n>chr2\tx\r\nAC")
    assert index_problem(fa, _pyfaidx_index(fa)) is None


def _stale(tmp_path: Path, records, width: int = 50) -> tuple[Path, Path]:
    fa = tmp_path / "g.fa"
    write_fasta(fa, SEQS.items(), line_width=60, index=True)
    old = Path(str(fa) + ".fai").read_text()
    write_fasta(fa, records, line_width=width)
    Path(str(fa) + ".fai").write_text(old)
    return fa, Path(str(fa) + ".fai")


def test_stale_indexes_are_found(tmp_path: Path) -> None:
    fa, fai = _stale(tmp_path, SEQS.items())
    assert index_problem(fa, fai) == "chr1: its lines are not 60 bases long"
    fa, fai = _stale(tmp_path, [("chr1", SEQS["chr1"][:-5]), *list(SEQS.items())[1:]], width=60)
    assert index_problem(fa, fai).startswith("chr1: ")
    fa, fai = _stale(tmp_path, [*SEQS.items(), ("chrX", "ACGT")], width=60)
    assert (
        index_problem(fa, fai) == "the FASTA holds more than the index lists (a contig was added?)"
    )
    fa, fai = _stale(tmp_path, [("chrA", SEQS["chr1"]), *list(SEQS.items())[1:]], width=60)
    assert index_problem(fa, fai) == "chr1: its header line is not where the index puts it"
    fai.write_text("not an index\n")
    assert index_problem(fa, fai) == "it is not a samtools .fai index"


def test_the_genome_rebuilds_a_stale_index_and_reads_the_right_bases(tmp_path: Path) -> None:
    fa, fai = _stale(tmp_path, SEQS.items())
    with pytest.warns(UserWarning, match=r"g.fa.fai does not match .* rebuilt it"):
        genome = Genome(fa)
    with genome:
        assert genome.fetch("chrM", 0, 61) == SEQS["chrM"]
        assert genome.fetch("chr1", 1100, 1234) == SEQS["chr1"][1100:]
    assert index_problem(fa, fai) is None


def test_a_valid_index_older_than_its_fasta_is_used_without_a_word(tmp_path: Path) -> None:
    fa = tmp_path / "g.fa"
    write_fasta(fa, SEQS.items(), index=True)
    later = os.path.getmtime(fa) + 60
    os.utime(fa, (later, later))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with Genome(fa) as genome:
            assert genome.fetch("chr2", 0, 600) == SEQS["chr2"]
