"""A loci file cut into runs of whole lines that other processes read on their own.

The distributed engine (:mod:`ncv_core.distributed`) hands each task a few numbers, never rows.
:func:`split_loci` makes one streaming pass over the file and cuts it every ``lines_per_segment``
lines into :class:`Segment` s, located so that a task can go straight to its lines:

- a plain text file: byte ranges (the pass only counts newlines);
- a bgzip (BGZF) file, as most ``.vcf.gz`` are: BGZF virtual offsets (``block << 16 | offset``),
  so a task decompresses only the blocks it needs;
- a plain gzip file, which cannot be entered in the middle: the pass decompresses it and writes
  each segment as a plain file into a scratch folder.

A :class:`LociChunk` is the lines ``first_line..last_line`` (inclusive, 1-based) of the input and
the segments that hold them; :class:`LociChunkFile` reads it as a
:class:`~ncv_core.io.loci_files.LociFile` whose rows carry the input's own line numbers and whose
header is the input's (read once, by the client), so every row is parsed exactly as a whole-file
read parses it.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ncv_core.errors import NcvError
from ncv_core.io.loci_files import (  # the format readers' row functions, shared on purpose
    LociFile,
    _damaged,
    _delimited_row,
    _header_roles,
    _vcf_rows,
    bed_rows,
    iter_lines,
    open_text,
)
from ncv_core.io.text import raw_lines

_BLOCK = 1 << 23  # bytes read at a time by the splitting pass
_GZIP = b"\x1f\x8b"


@dataclass(frozen=True)
class Segment:
    """Whole lines ``first_line .. first_line + n_lines - 1`` of a loci file, located in ``path``.

    ``codec`` is ``"plain"`` (``start``/``end``: byte offsets) or ``"bgzf"`` (BGZF virtual
    offsets); ``end`` is just past the last line.
    """

    path: str
    codec: str
    start: int
    end: int
    first_line: int
    n_lines: int

    @property
    def last_line(self) -> int:
        return self.first_line + self.n_lines - 1


@dataclass(frozen=True)
class LociChunk:
    """Lines ``first_line..last_line`` of the loci file ``source``, in ``segments``.

    ``fmt`` and ``header`` are those of the whole file (the format reader's header dict).
    """

    source: str
    fmt: str
    header: dict
    segments: tuple[Segment, ...]
    first_line: int
    last_line: int


def codec_of(path: str | os.PathLike) -> str:
    """``"plain"``, ``"bgzf"`` (blocked gzip: every member carries its size) or ``"gzip"``."""
    with open(path, "rb") as fh:
        head = fh.read(18)
    if head[:2] != _GZIP:
        return "plain"
    return "bgzf" if _bgzf_block_size(head, fh=None) is not None else "gzip"


def split_loci(
    path: str | os.PathLike, *, lines_per_segment: int, scratch: str | os.PathLike
) -> list[Segment]:
    """Cut a loci file into segments of ``lines_per_segment`` lines (the last one shorter).

    Parameters
    ----------
    path : path
        The loci file (plain, gzip or bgzip); it is read once, from start to end.
    scratch : path
        An existing folder for the segments of a plain-gzip file (unused otherwise).

    Raises
    ------
    NcvError
        An unreadable or corrupt file.
    """
    if lines_per_segment < 1:
        raise NcvError(f"lines per segment must be positive, got {lines_per_segment}")
    path = os.fspath(path)
    codec = codec_of(path)
    try:
        if codec == "gzip":
            return _split_gzip(path, lines_per_segment, Path(scratch))
        return _split_located(path, codec, lines_per_segment)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise NcvError(f"cannot read the compressed file: {exc}", path=path) from exc


def _line_ends(data: bytes, after: bytes | None) -> np.ndarray:
    """Offsets just past each line end of ``data`` (``\\n``, ``\\r\\n`` or a lone ``\\r``, as
    :func:`ncv_core.io.text.raw_lines` splits), shape ``(n_line_ends,)``.

    ``after`` is the byte that follows ``data`` (``b""`` at the end of the file; None when not
    known yet: a ``\\r`` that ends ``data`` is then not counted)."""
    b = np.frombuffer(data, dtype=np.uint8)
    nxt = np.empty(len(b), dtype=np.int16)
    nxt[:-1] = b[1:]
    if len(b):
        nxt[-1] = -1 if after is None else (after[0] if after else 0)
    ends = (b == 10) | ((b == 13) & (nxt != 10) & (nxt != -1))
    return np.flatnonzero(ends) + 1


def _ahead(blocks: Iterator[tuple[int, bytes, int]]) -> Iterator[tuple[int, bytes, int, bytes]]:
    """Each block with the first byte of the next one (``b""`` after the last)."""
    prev = None
    for block in blocks:
        if prev is not None:
            yield (*prev, block[1][:1])
        prev = block
    if prev is not None:
        yield (*prev, b"")


def _split_located(path: str, codec: str, per: int) -> list[Segment]:
    """Segments of a plain or BGZF file, located by byte or virtual offsets."""
    segments: list[Segment] = []
    start, count, end, last_byte = 0, 0, 0, b"\n"  # count: line ends seen so far
    blocks = _plain_blocks(path) if codec == "plain" else _bgzf_blocks(path)
    for where, data, next_where, after in _ahead(blocks):
        ends = _line_ends(data, after)
        for i in range(per - 1 - count % per, len(ends), per):
            offset = _locate(codec, where, int(ends[i]), len(data), next_where)
            first = (count + i + 1) - per + 1
            segments.append(Segment(path, codec, start, offset, first, per))
            start = offset
        count += len(ends)
        last_byte = data[-1:] or last_byte
        end = next_where if codec == "plain" else next_where << 16
    n_last = count % per + (0 if last_byte in (b"\n", b"\r") else 1)
    if n_last:
        segments.append(Segment(path, codec, start, end, count - count % per + 1, n_last))
    return segments


def _locate(codec: str, where: int, cut: int, size: int, next_where: int) -> int:
    """The offset of byte ``cut`` of a block read at ``where`` (the next block's start when
    ``cut`` is the block's end)."""
    if codec == "plain":
        return where + cut
    return (next_where << 16) if cut >= size else (where << 16) | cut


def _plain_blocks(path: str) -> Iterator[tuple[int, bytes, int]]:
    with open(path, "rb") as fh:
        where = 0
        while data := fh.read(_BLOCK):
            yield where, data, where + len(data)
            where += len(data)


def _bgzf_block_size(head: bytes, fh) -> int | None:
    """The total size of the BGZF block whose first 18 bytes are ``head`` (None: not BGZF).

    With ``fh`` (positioned after ``head``), extra subfields longer than the BC one are read."""
    if len(head) < 18 or head[:4] != b"\x1f\x8b\x08\x04":
        return None
    xlen = struct.unpack("<H", head[10:12])[0]
    extra = head[12:18] if fh is None else head[12:18] + fh.read(max(0, xlen - 6))
    i = 0
    while i + 4 <= len(extra):
        sub, slen = extra[i : i + 2], struct.unpack("<H", extra[i + 2 : i + 4])[0]
        if sub == b"BC" and slen == 2 and i + 6 <= len(extra):
            return struct.unpack("<H", extra[i + 4 : i + 6])[0] + 1
        i += 4 + slen
    return None


def _bgzf_blocks(path: str, start: int = 0) -> Iterator[tuple[int, bytes, int]]:
    """``(file offset, decompressed data, next block's offset)`` per BGZF block from ``start``."""
    with open(path, "rb") as fh:
        fh.seek(start)
        where = start
        while head := fh.read(18):
            size = _bgzf_block_size(head, fh)
            if size is None:
                raise NcvError(f"not a BGZF block at byte {where:,} (a corrupt .gz?)", path=path)
            xlen = struct.unpack("<H", head[10:12])[0]
            fh.seek(where + 12 + xlen)
            body = fh.read(size - 12 - xlen)
            if len(body) != size - 12 - xlen:
                raise NcvError(f"the BGZF block at byte {where:,} is cut short", path=path)
            data = zlib.decompress(body[:-8], -15)
            if len(data) != struct.unpack("<I", body[-4:])[0]:
                raise NcvError(f"the BGZF block at byte {where:,} is corrupt", path=path)
            yield where, data, where + size
            where += size


def _split_gzip(path: str, per: int, scratch: Path) -> list[Segment]:
    """Decompress a plain gzip file into segment files of ``per`` lines in ``scratch``."""
    segments: list[Segment] = []
    first, buf = 1, bytearray()

    def emit(lines: bytes, n: int) -> None:
        nonlocal first
        name = scratch / f"segment-{len(segments):06d}.txt"
        with open(name, "wb") as out:
            out.write(lines)
        segments.append(Segment(os.fspath(name), "plain", 0, len(lines), first, n))
        first += n

    with open(path, "rb") as raw, gzip.GzipFile(fileobj=raw) as fh:
        while data := fh.read(_BLOCK):
            buf += data
            ends = _line_ends(buf, None)
            while len(ends) >= per:
                cut = int(ends[per - 1])
                emit(bytes(buf[:cut]), per)
                del buf[:cut]
                ends = ends[per:] - cut
    if buf:
        n = len(_line_ends(buf, b""))
        emit(bytes(buf), n + (0 if buf.endswith((b"\n", b"\r")) else 1))
    return segments


def read_segment(seg: Segment) -> bytes:
    """The bytes of a segment's lines (line ends kept)."""
    if seg.codec == "plain":
        with open(seg.path, "rb") as fh:
            fh.seek(seg.start)
            return fh.read(seg.end - seg.start)
    out = bytearray()
    stop_block, stop_at = seg.end >> 16, seg.end & 0xFFFF
    for where, data, _ in _bgzf_blocks(seg.path, seg.start >> 16):
        lo = (seg.start & 0xFFFF) if where == seg.start >> 16 else 0
        if where > stop_block or (where == stop_block and stop_at == 0):
            break
        out += data[lo : stop_at if where == stop_block else None]
    return bytes(out)


def chunk_of(
    source: str, fmt: str, header: dict, segments: list[Segment], first_line: int, last_line: int
) -> LociChunk:
    """The :class:`LociChunk` of lines ``first_line..last_line`` (only the segments it needs)."""
    used = tuple(s for s in segments if s.last_line >= first_line and s.first_line <= last_line)
    return LociChunk(os.fspath(source), fmt, header, used, first_line, last_line)


def chunk_lines(chunk: LociChunk) -> Iterator[bytes]:
    """The raw lines of a chunk, line ends kept, split as :func:`ncv_core.io.text.raw_lines`
    splits the whole file."""
    for seg in chunk.segments:
        lo, hi = max(chunk.first_line, seg.first_line), min(chunk.last_line, seg.last_line)
        lines = raw_lines(io.BytesIO(read_segment(seg)))
        for number, data in enumerate(lines, start=seg.first_line):
            if number > hi:
                break
            if number >= lo:
                yield data


class LociChunkFile(LociFile):
    """One :class:`LociChunk` read as a :class:`~ncv_core.io.loci_files.LociFile`.

    :meth:`rows` yields the whole file's header dict, then a row record or a rejection per data
    line of the chunk, numbered as in the whole file.
    """

    def __init__(self, chunk: LociChunk) -> None:  # no file is held open: nothing to close
        self.path, self.fmt, self.chunk = chunk.source, chunk.fmt, chunk
        self._tap, self._used, self._lines, self._read = None, False, None, 0

    def rows(self) -> Iterator:
        if self._used:
            raise RuntimeError(f"{self.path} (lines {self.chunk.first_line}..) was already read")
        self._used = True
        return self._rows()

    def _rows(self) -> Iterator:
        c = self.chunk
        yield c.header
        data = io.BytesIO(b"".join(chunk_lines(c)))
        lines = iter_lines(data, c.source, start=c.first_line)
        if c.fmt == "vcf":
            yield from _vcf_rows(lines, c.source)
        elif c.fmt == "bed":
            yield from bed_rows(lines, c.source)
        else:
            yield from _delimited_rows(lines, c)

    def close(self) -> None:
        pass


def _delimited_rows(lines, chunk: LociChunk) -> Iterator:
    header = chunk.header
    columns, at = header["columns"], header["header_line"]
    roles, extra = _header_roles(columns, chunk.source, at)
    numeric = set(header["baseline_columns"])
    for number, text in lines:
        if number <= at or not text.strip() or text.startswith("#"):
            continue
        bad = _damaged(number, text)
        yield bad or _delimited_row(
            number, text, header["delimiter"], columns, roles, extra, numeric
        )


def read_header(path: str | os.PathLike, fmt: str | None = None) -> tuple[str, dict]:
    """The format and the format reader's header dict of a loci file (its first lines only)."""
    with LociFile(path, fmt=fmt) as src:
        return src.fmt, next(src.rows())


__all__ = [
    "LociChunk",
    "LociChunkFile",
    "Segment",
    "chunk_lines",
    "chunk_of",
    "codec_of",
    "open_text",
    "read_header",
    "read_segment",
    "split_loci",
]
