"""The samtools ``.fai`` index of a plain FASTA file: reading it and checking it against the FASTA.

An index describes, per contig, its length, the byte offset of its first base, the bases per line
and the bytes per line. A stale one (the FASTA rewritten at another line width, a contig added
or shortened, another FASTA's index copied beside it) gives wrong bases or reads past the end, so
:func:`index_problem` checks every record against the bytes of the FASTA where the index says
they are: the header line ``>name`` right before the first base, a line end after the first line
of bases and after the last base, the next header right after the record, only blank space after
the last record. That reads a few bytes per contig (a memory map), not the genome.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

_NAME_CHECKS = 100_000
"""Header lines compared with the names, at most (evenly spread over larger indexes)."""
_NEWLINE = (10, 13)


def read_fai(path: str | os.PathLike) -> tuple[list[str], np.ndarray] | None:
    """Names and an ``(n, 4)`` int64 array (length, offset, bases per line, bytes per line) of
    a ``.fai`` file; None when it is not a well-formed index."""
    names, rows = [], []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 5:
            return None
        try:
            rows.append([int(f) for f in fields[1:5]])
        except ValueError:
            return None
        names.append(fields[0])
    return names, np.array(rows, dtype=np.int64).reshape(-1, 4)


def index_problem(fasta: str | os.PathLike, index: str | os.PathLike) -> str | None:
    """Why ``index`` does not describe the plain FASTA ``fasta`` now, or None when it does.

    Returns
    -------
    str or None
        A short reason (``"chr1: its lines hold 50 bases, the index says 60"``).
    """
    parsed = read_fai(index)
    if parsed is None:
        return "it is not a samtools .fai index"
    names, rows = parsed
    size = os.path.getsize(fasta)
    if len(names) == 0:
        return "it lists no sequences" if size else None
    if len(set(names)) != len(names):
        return "it lists a contig twice"
    length, offset, lenc, lenb = rows.T
    one_line_at_end = (lenb == lenc) & (length <= lenc)  # the last line, without a line end
    if ((lenc < 1) | (lenb < lenc) | (lenb > lenc + 2) | (length < 0)).any() or (
        (lenb == lenc) & ~one_line_at_end
    ).any():
        return "its line widths are not those of a FASTA"
    if size == 0 or (offset < 1).any() or (offset > size).any():
        return "its offsets lie outside the FASTA"
    mm = np.memmap(fasta, dtype=np.uint8, mode="r")
    return _record_problem(mm, names, length, offset, lenc, lenb)


def _record_problem(mm, names, length, offset, lenc, lenb) -> str | None:
    """The first record (in file order) whose bytes are not where the index says, by the first
    check it fails: a line end before its first base and after its first line of ``lenc``
    bases, a base where its last base should be and a line end (or the file's end) after it."""
    order = np.argsort(offset, kind="stable")
    names = [names[i] for i in order]
    length, offset, lenc, lenb = length[order], offset[order], lenc[order], lenb[order]
    size = len(mm)
    full, rem = length // lenc, length % lenc
    end = offset + full * lenb + np.where(rem > 0, rem + lenb - lenc, 0)  # after the last line
    last = offset + (length - 1) // lenc * lenb + (length - 1) % lenc  # the last base
    has = length > 0
    checks = (
        (offset - 1, True, np.ones(len(offset), bool), "no line end before its first base"),
        (offset + lenc, True, length > lenc, "its lines are not {lenc} bases long"),
        (last, False, has, "the index reads past the FASTA's end"),
        (last, False, has, "its last base is not where the index says"),
        (last + 1, True, has, "its length differs from the index's"),
    )
    found = []
    for k, (positions, want_newline, rows, _) in enumerate(checks):
        inside = rows & (positions < size)
        values = np.full(len(positions), 10, dtype=np.uint8)  # past the end reads as a line end
        values[inside] = mm[positions[inside]]
        wrong = rows & (np.isin(values, _NEWLINE) != want_newline)
        if k == 2:
            wrong = rows & (positions >= size)
        if wrong.any():
            found.append((int(np.argmax(wrong)), k))
    if found:
        i, k = min(found)
        return f"{names[i]}: " + checks[k][3].format(lenc=int(lenc[i]))
    return _header_problem(mm, names, offset, end)


def _header_problem(mm, names, offset, end) -> str | None:
    """Each record's header line sits right after the previous record (blank lines allowed)."""
    starts = np.concatenate([[0], end[:-1]])
    n = len(names)
    picks = range(n) if n <= _NAME_CHECKS else np.linspace(0, n - 1, _NAME_CHECKS).astype(int)
    for i in picks:
        line = bytes(mm[int(starts[i]) : int(offset[i])]).lstrip(b"\r\n")
        head = line.rstrip(b"\r\n")
        want = b">" + names[i].encode()
        named = head == want or head.startswith((want + b" ", want + b"\t"))
        if b"\n" in head or not named:
            return f"{names[i]}: its header line is not where the index puts it"
    tail = bytes(mm[int(end[-1]) :]) if end[-1] < len(mm) else b""
    if tail.strip():
        return "the FASTA holds more than the index lists (a contig was added?)"
    return None
