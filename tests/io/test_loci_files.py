"""ncv_core.io.loci_files: rows at any line end, empty trailing fields, damaged lines."""

from __future__ import annotations

from pathlib import Path

from ncv_core.io.loci_files import LociFile, RowRecord
from ncv_core.rejections import Rejection


def _rows(path: Path) -> tuple[dict, list[RowRecord], list[Rejection]]:
    with LociFile(path) as src:
        items = list(src.rows())
    rows = [r for r in items[1:] if isinstance(r, RowRecord)]
    return items[0], rows, [r for r in items[1:] if isinstance(r, Rejection)]


def test_cr_only_rows_keep_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b"chrom,pos,ref,alt\r\rchr1,10,A,C\rchr1,x\r#c\rchr2,5,G,T\r")
    _, rows, rejected = _rows(path)
    assert [(r.line, r.chrom, r.pos) for r in rows] == [(3, "chr1", "10"), (6, "chr2", "5")]
    assert [(r.line, r.category) for r in rejected] == [(4, "short row")]


def test_empty_trailing_fields_are_not_columns(tmp_path: Path) -> None:
    path = tmp_path / "awk.tsv"
    path.write_text(
        "chrom\tpos\tCADD\t\n"  # header with a trailing tab
        "chr1\t10\t1.5\t\n"
        "chr1\t11\t2.5\n"  # without it
        "chr1\t12\t3.5\t\t \n"  # two empty trailing fields
        "chr1\t13\t4.5\tx\n"  # a non-empty extra field
    )
    header, rows, rejected = _rows(path)
    assert header["baseline_columns"] == ["CADD"]
    assert [(r.line, r.baselines["CADD"]) for r in rows] == [(2, "1.5"), (3, "2.5"), (4, "3.5")]
    assert [(r.line, r.reason) for r in rejected] == [
        (5, "long row: 4 fields but the header has 3")
    ]


def test_damaged_lines_are_rejected_one_by_one(tmp_path: Path) -> None:
    path = tmp_path / "x.bed"
    path.write_bytes(b"chr1\t9\t10\nchr1\t1\x00\t2\nchr1\t19\t20\n" + b"\x00" * 300)
    _, rows, rejected = _rows(path)
    assert [r.line for r in rows] == [1, 3]
    assert [(r.line, r.category) for r in rejected] == [(2, "damaged line"), (4, "damaged line")]


def test_the_tap_sees_every_line_of_a_cr_only_vcf(tmp_path: Path) -> None:
    path = tmp_path / "x.vcf"
    path.write_bytes(b"##fileformat=VCFv4.2\r#CHROM\tPOS\tID\tREF\tALT\rchr1\t5\t.\tA\tC\r")
    seen: list[tuple[int, bytes]] = []
    with LociFile(path, tap=lambda n, raw: seen.append((n, raw))) as src:
        rows = [r for r in src.rows() if isinstance(r, RowRecord)]
    assert [r.line for r in rows] == [3]
    assert [n for n, _ in seen] == [1, 2, 3] and b"".join(
        raw for _, raw in seen
    ) == path.read_bytes()
