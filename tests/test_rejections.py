"""The one-line summary, the unusable-file error and the build-mismatch sentence, by hand."""

from __future__ import annotations

import pytest

from ncv_core.coords import KNOWN_BUILDS
from ncv_core.errors import NcvError
from ncv_core.rejections import (
    NoUsableLoci,
    Rejection,
    build_mismatch_hint,
    raise_if_unusable,
    summarize,
)

DEMO = {"chr1": 1_600_000, "chr2": 1_400_000}


def _rows(**counts: int) -> list[Rejection]:
    out = []
    for category, n in counts.items():
        out += [Rejection(len(out) + 1, "raw", "why", category.replace("_", " "))] * n
    return out


def test_summary_counts_categories() -> None:
    assert summarize(3, []) == "kept 3, rejected 0"
    assert summarize(1, _rows(indel=1, unknown_contig=2)) == (
        "kept 1, rejected 3: 2 unknown contig, 1 indel"
    )


def test_hint_when_most_rows_do_not_fit() -> None:
    rejected = _rows(unknown_contig=11, out_of_range=4, indel=1)
    hint = build_mismatch_hint(rejected, 0, DEMO, "genome.fa")
    assert hint.startswith("15 of 16 rows do not fit the genome genome.fa")
    assert "11 name a contig it lacks, 4 lie past the end of a contig" in hint
    assert "2 contigs (chr1, chr2; 3.0 Mb; not a known human or mouse build)" in hint
    assert "another genome build" in hint


def test_hint_names_a_known_build() -> None:
    hint = build_mismatch_hint(_rows(out_of_range=2), 0, dict(KNOWN_BUILDS["hg19"]), "hg19.fa")
    assert "; hg19)" in hint


@pytest.mark.parametrize(
    ("rejected", "kept", "expected"),
    [
        (_rows(unknown_contig=1), 10, False),  # one stray row among many good ones
        (_rows(unknown_contig=2), 2, True),  # half of the rows
        (_rows(unknown_contig=2), 3, False),  # less than half
        (_rows(unknown_contig=1), 0, False),  # a single row says little
        (_rows(unknown_contig=1, ref_mismatch=1), 0, True),
        (_rows(indel=3, duplicate=2), 0, False),  # nothing usable, for other reasons
        ([], 5, False),
    ],
)
def test_hint_threshold(rejected, kept, expected) -> None:
    assert (build_mismatch_hint(rejected, kept, DEMO, "g.fa") is not None) is expected


def test_unusable_file_error_carries_the_hint() -> None:
    rows = _rows(unknown_contig=1)
    with pytest.raises(NcvError, match=r"^x\.vcf: no usable loci .* line 1: why\. H$") as err:
        raise_if_unusable(0, rows, "x.vcf", hint="H")
    assert isinstance(err.value, NoUsableLoci)
    assert err.value.rejected == rows and err.value.hint == "H" and err.value.path == "x.vcf"
    with pytest.raises(NcvError, match="holds no loci"):
        raise_if_unusable(0, [], "x.vcf")
    raise_if_unusable(1, _rows(unknown_contig=1), "x.vcf")  # something was kept: no error
