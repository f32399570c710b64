"""Opening the user's text inputs: the one check that a file is text, and lines at any line end.

Every reader of a text format (loci files, manifests, peaks, MEME files, tables, FASTA, chain
files) first calls :func:`check_text`, which names what a file is when it is not text (a bigWig,
a Parquet table, a zip, a pickle, UTF-16 text, a folder, a truncated gzip) and what was expected,
instead of a ``UnicodeDecodeError`` deep inside a parser. :func:`iter_lines` then splits a binary
stream at LF, CRLF *and* the lone CR of old Mac files (universal newlines) with the 1-based number
of every line, so a row's line number is the one an editor shows.
"""

from __future__ import annotations

import gzip
import io
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ncv_core.errors import NcvError

GZIP_MAGIC = b"\x1f\x8b"
SNIFF_BYTES = 1 << 16
MAX_LINE = 16 << 20
"""Longest line a text reader holds in memory (16 MiB; a VCF row of 500,000 genotypes is 2 MiB);
longer ones are never a row."""

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x26\xfc\x8f\x88", "a bigWig file"),
    (b"\x88\x8f\xfc\x26", "a bigWig file"),
    (b"\xeb\xf2\x89\x87", "a bigBed file"),
    (b"\x87\x89\xf2\xeb", "a bigBed file"),
    (b"PAR1", "a Parquet table"),
    (b"PK\x03\x04", "a zip archive (an .xlsx workbook?)"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.xls?)"),
    (b"\x89HDF", "an HDF5 file"),
    (b"BAM\x01", "a BAM alignment file"),
    (b"CRAM", "a CRAM alignment file"),
    (b"\x93NUMPY", "a NumPy array (.npy)"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"BZh", "a bzip2-compressed file"),
    (b"\xfd7zXZ\x00", "an xz-compressed file"),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file"),
    (b"\x7fELF", "a program (ELF)"),
)
_PICKLE = re.compile(rb"^\x80[\x02-\x05]")
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\v\x1b")


class LongLine(bytes):
    """The first bytes of a line longer than :data:`MAX_LINE` (the rest was skipped)."""


def describe_bytes(head: bytes, *, controls: bool = True) -> tuple[str, str] | None:
    """What the first bytes of a file are when they are not UTF-8-compatible text.

    Known binary formats are named by their magic numbers; with ``controls``, bytes that are
    mostly control characters (NUL and the like) count as binary data too.

    Returns
    -------
    (kind, what) or None
        ``kind`` is ``"binary"`` or ``"encoding"`` (UTF-16/32 text), ``what`` a phrase such as
        ``"a bigWig file"``; None for text.
    """
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return "binary", what
    if _PICKLE.match(head):
        return "binary", "a Python pickle"
    if len(head) >= 10 and head[8:10] == b'{"' and int.from_bytes(head[:8], "little") < 1 << 30:
        return "binary", "a safetensors weights file"
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "encoding", "UTF-32 text"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "encoding", "UTF-16 text"
    sample = head[:4096]
    if len(sample) >= 8:
        odd, even = sample[1::2].count(0), sample[0::2].count(0)
        half = len(sample) // 2
        if odd > 0.4 * half and even < 0.05 * half or even > 0.4 * half and odd < 0.05 * half:
            return "encoding", "UTF-16 text"
    if not controls:
        return None
    # Binary data shows it in its first line; a text file damaged further on (NUL bytes from a
    # crash) is still read, and its damaged lines are rejected one by one.
    first = sample.split(b"\n", 1)[0][:1024]
    n_controls = sum(1 for b in first if b < 0x20 and b not in _TEXT_CONTROLS or b == 0x7F)
    if 0 in first or n_controls > 0.05 * len(first):
        return "binary", "binary data"
    return None


def check_text(path: str | os.PathLike, *, what: str, expected: str, controls: bool = True) -> None:
    """Raise unless ``path`` is a readable text file (plain, gzip or bgzip).

    Parameters
    ----------
    path : path
        The input.
    what : str
        What it should be, with its article (``"a tracks manifest"``).
    expected : str
        What such a file looks like, for the message.
    controls : bool
        Also refuse text that is mostly control characters (see :func:`describe_bytes`).

    Raises
    ------
    NcvError
        Missing, a folder, unreadable, a damaged gzip, binary or UTF-16/32 text; the message
        names the file, what it is and what was expected.
    """
    with open_text(path, what=what, expected=expected, controls=controls):
        pass


@contextmanager
def open_text(
    path: str | os.PathLike, *, what: str, expected: str, controls: bool = True
) -> Iterator[io.BufferedIOBase]:
    """Open a text input (see :func:`check_text`) as a binary stream of its (decompressed)
    bytes, positioned at the start; a gzip that ends early raises :class:`NcvError`."""
    p = Path(path)
    if not p.exists():
        raise NcvError(f"file not found (expected {what})", path=path)
    if p.is_dir():
        raise NcvError(f"is a folder, expected {what}", path=path)
    try:
        raw = open(p, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise NcvError(f"cannot open: {exc.strerror}", path=path) from exc
    try:
        gz = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        fh = gzip.GzipFile(fileobj=raw) if gz else raw
        try:
            head = fh.read(SNIFF_BYTES)
            fh.seek(0)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise NcvError(f"is a damaged or truncated gzip file ({exc})", path=path) from exc
        _refuse_non_text(describe_bytes(head, controls=controls), path, what, expected)
        yield fh
    finally:
        raw.close()


def _refuse_non_text(
    found: tuple[str, str] | None, path: str | os.PathLike, what: str, expected: str
) -> None:
    if found is None:
        return
    kind, described = found
    if kind == "encoding":
        raise NcvError(
            f"is {described}, not UTF-8; save it as UTF-8 (it should be {what}: {expected})",
            path=path,
        )
    raise NcvError(f"is a binary file ({described}), not {what}; expected {expected}", path=path)


def raw_lines(
    fh: io.BufferedIOBase, *, limit: int = MAX_LINE, block: int = 1 << 20
) -> Iterator[bytes]:
    """Every line of a binary stream with its end (``\n``, ``\r\n`` or a lone ``\r``).

    Read in blocks of ``block`` bytes and split by ``bytes.splitlines`` (whose line ends are
    exactly those three). A line of ``limit`` bytes or more comes as a :class:`LongLine` holding
    its first 200 bytes; the rest is skipped, so memory stays bounded by ``limit + block``.
    """
    carry, skipping = b"", False
    while True:
        data = fh.read(block)
        if not data:
            if carry and not skipping:
                yield LongLine(carry[:200]) if len(carry) >= limit else carry
            return
        lines = (carry + data if carry else data).splitlines(keepends=True)
        carry = b"" if lines[-1].endswith(b"\n") else lines.pop()  # a CR may be half a CRLF
        for line in lines:
            if skipping:  # the end of a long line
                skipping = False
            else:
                yield line
        if len(carry) >= limit:  # no line end in ``limit`` bytes: a line too long to hold
            if not skipping:
                yield LongLine(carry[:200])
            skipping, carry = True, carry[-1:] if carry.endswith(b"\r") else b""


def iter_lines(
    fh: io.BufferedIOBase,
    path: str | os.PathLike,
    *,
    tap: Callable[[int, bytes], None] | None = None,
    long_lines: str = "raise",
    start: int = 1,
) -> Iterator[tuple[int, str]]:
    """``(line_number, text)`` for every line, decoded as UTF-8, its end and a BOM stripped.

    Parameters
    ----------
    tap : callable, optional
        ``tap(number, raw_bytes)`` is called with every line before it is decoded.
    long_lines : {"raise", "mark"}
        A line over :data:`MAX_LINE` raises :class:`NcvError`, or (``"mark"``) comes as a
        :class:`TooLong` string (its first bytes) for the reader to reject.
    start : int
        The number of the first line (a piece of a file read on its own starts further on).

    Raises
    ------
    NcvError
        A line that is not UTF-8 (naming the line and byte), an over-long line, a gzip stream
        that ends early (naming the last line read).
    """
    number = start - 1
    try:
        for number, data in enumerate(raw_lines(fh), start=start):
            if isinstance(data, LongLine) and (long_lines == "raise" or tap is not None):
                raise NcvError(
                    f"is longer than {MAX_LINE >> 20} MiB; not a file of rows?",
                    path=path,
                    line=number,
                )
            if tap is not None:
                tap(number, data)
            yield number, _decode(data, path, number)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise NcvError(
            f"the compressed file is damaged or truncated after line {number} ({exc})", path=path
        ) from exc


class TooLong(str):
    """The decoded start of a line longer than :data:`MAX_LINE` (see :func:`iter_lines`)."""


def _decode(data: bytes, path: str | os.PathLike, number: int) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if isinstance(data, LongLine):
            text = data.decode("utf-8", errors="replace")
        else:
            raise NcvError(
                f"is not UTF-8 text (byte {exc.start + 1} of the line)", path=path, line=number
            ) from exc
    if number == 1 and text.startswith("\ufeff"):
        text = text[1:]
    text = text.rstrip("\r\n")
    return TooLong(text) if isinstance(data, LongLine) else text


def read_lines(path: str | os.PathLike, *, what: str, expected: str) -> Iterator[tuple[int, str]]:
    """Open a text input (:func:`open_text`) and yield :func:`iter_lines` of it."""
    with open_text(path, what=what, expected=expected) as fh:
        yield from iter_lines(fh, path)
