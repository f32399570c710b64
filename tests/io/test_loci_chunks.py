"""Cutting loci files into located segments and reading chunks of them as the whole file reads."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pytest
from _cluster_cases import write_lines

from ncv_core.errors import NcvError
from ncv_core.io.loci_chunks import (
    LociChunkFile,
    chunk_of,
    codec_of,
    read_header,
    read_segment,
    split_loci,
)
from ncv_core.io.loci_files import LociFile


@pytest.mark.parametrize("codec", ["plain", "gzip", "bgzf"])
def test_segments_hold_every_line_once_in_order(tmp_path: Path, codec: str) -> None:
    rng = np.random.default_rng(1)
    for trial in range(12):
        n = int(rng.integers(0, 400))
        lines = ["x" * int(rng.integers(0, 40)) + ("\r" if rng.random() < 0.1 else "")
                 + ("\ry" if rng.random() < 0.1 else "")  # a lone CR ends a line too
                 for _ in range(n)]  # fmt: skip
        text = "\n".join(lines) + ("\n" if trial % 2 else "")
        path = tmp_path / f"f{trial}.{codec}"
        if codec == "plain":
            path.write_text(text, newline="")
        else:
            write_lines([text], path, codec)  # adds one final newline
            text += "\n"
        assert codec_of(path) == codec
        scratch = tmp_path / f"scratch{trial}"
        scratch.mkdir()
        per = int(rng.integers(1, 60))
        segments = split_loci(path, lines_per_segment=per, scratch=scratch)
        expected = _split(text.encode())
        assert b"".join(read_segment(s) for s in segments) == text.encode()
        line = 1
        for s in segments:
            got = _split(read_segment(s))
            assert s.first_line == line and s.n_lines == len(got) <= per
            assert got == expected[line - 1 : line - 1 + s.n_lines]
            line += s.n_lines
        assert line - 1 == len(expected)
        assert all(s.n_lines == per for s in segments[:-1])


def _split(data: bytes) -> list[bytes]:
    """Lines with their ends at LF, CRLF or a lone CR (universal newlines), by a regex."""
    return re.findall(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", data)


def _rows(src) -> list:
    return list(src.rows())[1:]


@pytest.mark.parametrize(
    "name, text",
    [
        ("a.vcf", "\ufeff##fileformat=VCFv4.2\n##contig=<ID=chr1,length=9000>\n"
                  "#CHROM\tPOS\tID\tREF\tALT\n" + "".join(
                      f"chr1\t{100 + i}\tr{i}\tA\t{'C,G' if i % 7 == 0 else 'T'}\r\n"
                      for i in range(60)) + "chr1\t5\n# late comment\n\nchr1\t7\t.\tA\t.\n"),
        ("a.bed", "track name=x\n" + "".join(f"chr1\t{i}\t{i + 1}\tb{i}\n" for i in range(50))
                  + "chr1\t3\t9\tlong\nbrowser x\n"),
        ("a.tsv", "# note\n\nchrom\tpos\tref\talt\tcadd\tnote\n" + "".join(
                  f"chr1\t{i}\tA\tC\t{i / 3:.2f}\tz\n" for i in range(1, 70))
                  + "chr1\t99\tA\tC\tbad\tz\nchr1\t98\n"),
        ("cr.vcf", "##fileformat=VCFv4.2\r#CHROM\tPOS\tID\tREF\tALT\r" + "".join(
                   f"chr1\t{100 + i}\tr{i}\tA\tC\r" for i in range(45))),
        ("a.csv", "chrom,pos,ref,alt,score\n" + "".join(
                  f'chr1,{i},A,C,"{i}"\n' for i in range(1, 45))),
    ],
)  # fmt: skip
@pytest.mark.filterwarnings("ignore::ncv_core.errors.NcvWarning")
def test_chunks_read_the_rows_the_whole_file_reads(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    with LociFile(path) as whole:
        expected = _rows(whole)
    fmt, header = read_header(path)
    segments = split_loci(path, lines_per_segment=13, scratch=tmp_path)
    n = segments[-1].last_line
    for cuts in ([], [1, 2], [5, 17, 18, 40], list(range(1, n))):
        bounds = list(zip([1, *[c + 1 for c in cuts]], [*cuts, n], strict=True))
        got = []
        for first, last in bounds:
            got += _rows(LociChunkFile(chunk_of(str(path), fmt, header, segments, first, last)))
        assert got == expected, cuts
    assert len(expected) > 40


def test_read_through_feeds_the_tap_without_parsing(tmp_path: Path) -> None:
    path = write_lines(["##fileformat=VCFv4.2", "#CHROM\tPOS", "chr1\t5", "chr1\t6"],
                       tmp_path / "t.vcf.gz", "gzip")  # fmt: skip
    seen = []
    with LociFile(path, tap=lambda n, raw: seen.append((n, raw))) as src:
        src.read_through(2)
        assert [n for n, _ in seen] == [1, 2]
        src.read_through(1)  # already read
        src.read_through(None)
        with pytest.raises(RuntimeError):
            src.rows()
    assert seen[-1] == (4, b"chr1\t6\n")


def test_a_corrupt_bgzf_block_is_an_error(tmp_path: Path) -> None:
    path = write_lines([f"line {i}" for i in range(3000)], tmp_path / "c.gz", "bgzf")
    data = bytearray(path.read_bytes())
    data[5000:5010] = b"\x00" * 10
    path.write_bytes(bytes(data))
    with pytest.raises(NcvError, match="c.gz"):
        split_loci(path, lines_per_segment=100, scratch=tmp_path)


def test_gzip_segments_go_into_the_scratch_folder(tmp_path: Path) -> None:
    path = tmp_path / "g.gz"
    path.write_bytes(gzip.compress(b"a\nb\nc\n"))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    segments = split_loci(path, lines_per_segment=2, scratch=scratch)
    assert [Path(s.path).parent for s in segments] == [scratch, scratch]
    assert [read_segment(s) for s in segments] == [b"a\nb\n", b"c\n"]
