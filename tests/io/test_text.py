"""ncv_core.io.text: the one text-input check and universal line ends."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import numpy as np
import pytest

from ncv_core.errors import NcvError
from ncv_core.io.text import LongLine, TooLong, describe_bytes, iter_lines, raw_lines, read_lines


def _reference_split(data: bytes) -> list[bytes]:
    """Lines with their ends, by a regular expression (an independent reference)."""
    out, start = [], 0
    for m in re.finditer(rb"\r\n|\r|\n", data):
        out.append(data[start : m.end()])
        start = m.end()
    return out + ([data[start:]] if start < len(data) else [])


def test_raw_lines_split_at_every_line_end_like_the_reference() -> None:
    rng = np.random.default_rng(0)
    for _ in range(3000):
        data = bytes(rng.choice(list(b"ab\r\n"), int(rng.integers(0, 60))).tolist())
        limit, block = int(rng.choice([2, 3, 5, 1000])), int(rng.choice([1, 2, 7, 64]))
        got = list(raw_lines(io.BytesIO(data), limit=limit, block=block))
        ref = _reference_split(data)
        assert len(got) == len(ref)
        for line, want in zip(got, ref, strict=True):
            content = want.rstrip(b"\r\n")
            if isinstance(line, LongLine):  # only lines of at least ``limit`` bytes are cut
                assert len(want) >= limit and want.startswith(line.rstrip(b"\r\n"))
            else:
                assert line == want
            if len(content) >= limit + block:
                assert isinstance(line, LongLine)


def test_iter_lines_numbers_cr_only_and_mixed_files(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbfa\rb\r\nc\n\rd"
    lines = list(iter_lines(io.BytesIO(data), "x"))
    assert lines == [(1, "a"), (2, "b"), (3, "c"), (4, ""), (5, "d")]
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"h\rrow\r"))
    assert list(read_lines(path, what="a file", expected="text")) == [(1, "h"), (2, "row")]


def test_a_line_longer_than_the_limit_raises_or_is_marked(monkeypatch) -> None:
    import ncv_core.io.text as text

    monkeypatch.setattr(text, "MAX_LINE", 8)
    data = b"ok\n" + b"x" * 40 + b"\nok again\n"
    monkeypatch.setattr(text, "raw_lines", lambda fh: raw_lines(fh, limit=8, block=4))
    marked = list(iter_lines(io.BytesIO(data), "f.tsv", long_lines="mark"))
    assert [n for n, _ in marked] == [1, 2, 3] and isinstance(marked[1][1], TooLong)
    with pytest.raises(NcvError, match=r"f.tsv, line 2: is longer than"):
        list(iter_lines(io.BytesIO(data), "f.tsv"))


@pytest.mark.parametrize(
    "head, what",
    [
        (b"\x26\xfc\x8f\x88\x04\x00", "a bigWig file"),
        (b"PAR1\x15\x04", "a Parquet table"),
        (b"PK\x03\x04\x14\x00", "a zip archive (an .xlsx workbook?)"),
        (b"\x80\x04\x95\x10", "a Python pickle"),
        (b"\x93NUMPY\x01\x00", "a NumPy array (.npy)"),
        ((20).to_bytes(8, "little") + b'{"w":{}}    ', "a safetensors weights file"),
        ("chrom,pos\n".encode("utf-16"), "UTF-16 text"),
        ("chrom,pos\n".encode("utf-16-le"), "UTF-16 text"),
        (b"\x00\x01\x02\x03binary", "binary data"),
    ],
)
def test_describe_bytes_names_what_a_file_is(head: bytes, what: str) -> None:
    assert describe_bytes(head)[1] == what


def test_text_damaged_after_its_first_line_is_still_text() -> None:
    assert describe_bytes(b"##fileformat=VCFv4.2\nchr1\t5\x00\x00\n" + b"\x00" * 4096) is None
    assert describe_bytes(b"chrom\tpos\r1\t2\r") is None
    assert describe_bytes(b">chr1\n" + b"\x00" * 100, controls=False) is None


def test_read_lines_names_the_file_and_what_was_expected(tmp_path: Path) -> None:
    bw = tmp_path / "x.bw"
    bw.write_bytes(b"\x26\xfc\x8f\x88" + bytes(100))
    with pytest.raises(NcvError, match=r"x.bw: is a binary file \(a bigWig file\), not a list"):
        list(read_lines(bw, what="a list", expected="one name a line"))
    with pytest.raises(NcvError, match=r"is a folder, expected a list"):
        list(read_lines(tmp_path, what="a list", expected="one name a line"))
    cut = tmp_path / "cut.gz"
    body = "".join(f"{i}\t{i * 7919 % 10007}\n" for i in range(100_000)).encode()
    data = gzip.compress(body)
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(NcvError, match=r"cut.gz: .*truncated"):
        list(read_lines(cut, what="a list", expected="one name a line"))
