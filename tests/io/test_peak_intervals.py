"""``read_bed_intervals``: one row per BED / narrowPeak record, bad rows rejected with a reason."""

from __future__ import annotations

import gzip

from ncv_core.io.peaks import read_bed_intervals, write_narrowpeak


def test_narrowpeak_rows_keep_their_fields(tmp_path) -> None:
    path = tmp_path / "p.narrowPeak.gz"
    write_narrowpeak(path, [("chr1", 10, 30, 2.0), ("chr2", 5, 9, 1.0)], name_prefix="x")
    table, rejected = read_bed_intervals(path)
    assert rejected == []
    assert list(table.columns) == [
        "chrom", "start", "end", "id", "score", "bed_strand",
        "signal_value", "p_value", "q_value", "summit", "_line", "_raw",
    ]  # fmt: skip
    assert table[["chrom", "start", "end", "id", "summit"]].values.tolist() == [
        ["chr1", 10, 30, "x_1", "10"],
        ["chr2", 5, 9, "x_2", "2"],
    ]
    assert table["start"].dtype == "int64" and table["_line"].tolist() == [1, 2]


def test_bad_rows_are_rejected_and_good_rows_kept(tmp_path) -> None:
    path = tmp_path / "p.bed.gz"
    text = "track name=x\n#c\nchr1\t1\t5\nchr1\t7\nchr1\t9\t9\nchr1\t-1\t3\nchr2 4 8 n\n"
    path.write_bytes(gzip.compress(text.encode()))
    table, rejected = read_bed_intervals(path)
    assert table[["chrom", "start", "end", "id"]].values.tolist() == [
        ["chr1", 1, 5, ""],
        ["chr2", 4, 8, "n"],
    ]
    assert table["_line"].tolist() == [3, 7] and table["_raw"][1] == "chr2 4 8 n"
    assert [(r.line, r.category) for r in rejected] == [
        (4, "short row"),
        (5, "out of range"),
        (6, "malformed number"),
    ]
    assert rejected[1].reason == "BED interval [9, 9) is empty (end must exceed start)"
