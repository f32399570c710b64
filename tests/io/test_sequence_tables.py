"""Reading sequence tables: header roles, line numbers, blank lines, gzip, Parquet, errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from ncv_core.errors import NcvError
from ncv_core.io.sequence_tables import iter_sequence_rows


def test_roles_lines_and_chunks(tmp_path: Path) -> None:
    path = tmp_path / "lib.tsv"
    path.write_text(
        "ID\tSequence\tRef\tAlt\tscore\n"
        "a\tACGTA\tG\tT\t1.5\n"
        "\n"  # skipped, but still counted as a line
        "b\tCCCCC\tC\tA\n"  # a short row: its missing cells are empty
        "c\tGGGGG\tG\tC\t2\n"
    )
    chunks = list(iter_sequence_rows(path, chunk_size=2))
    assert [c.lines for c in chunks] == [[2, 4], [5]]
    assert chunks[0].roles["seq"] == ["ACGTA", "CCCCC"] and chunks[0].roles["id"] == ["a", "b"]
    assert chunks[0].extra == {"score": ["1.5", ""]}
    assert "offset" not in chunks[0].roles


def test_gzip_csv_and_parquet(tmp_path: Path) -> None:
    text = "seq,ref,alt,offset\nACGTA,G,T,2\n"
    gz = tmp_path / "lib.csv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    (chunk,) = iter_sequence_rows(gz)
    assert chunk.roles["offset"] == ["2"] and chunk.lines == [2]
    pq = tmp_path / "lib.parquet"
    pd.DataFrame({"seq": ["ACGTA", "TTTTT"], "ref": ["G", "T"], "alt": ["T", "A"],
                  "offset": [2, 0]}).to_parquet(pq)  # fmt: skip
    (chunk,) = iter_sequence_rows(pq)
    assert chunk.roles["offset"] == ["2", "0"] and chunk.lines == [2, 3]


def test_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "lib.tsv"
    bad.write_text("id\tseq\tref\n")
    with pytest.raises(NcvError, match=r"lib.tsv: a sequence table needs .*alt missing"):
        list(iter_sequence_rows(bad))
    empty = tmp_path / "empty.tsv"
    empty.write_text("\n")
    with pytest.raises(NcvError, match="is empty"):
        list(iter_sequence_rows(empty))
    with pytest.raises(NcvError, match="not found"):
        list(iter_sequence_rows(tmp_path / "missing.parquet"))
