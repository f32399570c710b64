"""UCSC chain files: write them, read their headers, open them for lifting coordinates.

A chain file aligns a *source* genome (UCSC calls it the target, ``t``) to a *target* genome
(UCSC's query, ``q``): lifting goes from ``t`` to ``q``, as in ``hg19ToHg38.over.chain.gz``
(hg19 is ``t``). Each chain is a header line

``chain score tName tSize tStrand tStart tEnd qName qSize qStrand qStart qEnd id``

followed by ``size dt dq`` lines (an ungapped block of ``size`` bases, then ``dt`` unaligned
source bases and ``dq`` unaligned target bases) and a last line holding only ``size``. All
coordinates are 0-based half-open; ``tStrand`` is always ``+``; when ``qStrand`` is ``-`` the
``q`` coordinates count along the reverse complement of the target contig, so a block starting
at ``q`` covers the forward positions ``[qSize - q - size, qSize - q)``.

Mapping positions is done by the ``liftover`` package (C++, reads local plain or gzipped chain
files); :func:`open_chain` opens a file with it (never downloading anything) and reads the
headers, which tell *why* a position did not map: its contig is not in the file, no chain spans
it, or it lies in a gap of a chain that does. :func:`write_chain_file` writes chains (the demo's
species simulator uses it), gzipped when the name ends in ``.gz``, byte-identical for identical
input.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import liftover
import numpy as np
import pandas as pd

from ncv_core.coords import contig_key
from ncv_core.errors import NcvError
from ncv_core.io.tables import atomic_path
from ncv_core.io.text import check_text

# fmt: off
HEADER_COLUMNS: tuple[str, ...] = (
    "id", "score", "t_name", "t_size", "t_start", "t_end",
    "q_name", "q_size", "q_strand", "q_start", "q_end", "line",
)
# fmt: on
"""Columns of :func:`read_chain_headers` (``q_start``/``q_end`` as in the file, so on the reverse
complement for ``-`` chains; ``line`` is the header's 1-based line in the file)."""

_GZIP_MAGIC = b"\x1f\x8b"
CHAIN_EXPECTED = (
    "UCSC chain text ('chain score tName tSize ...' headers, block lines), gzipped or not"
)


@dataclass(frozen=True, eq=False)
class Chain:
    """One chain: where it starts on both genomes and its ungapped blocks.

    Attributes
    ----------
    t_name, t_size, t_start : str, int, int
        Source contig, its length, the 0-based start of the first block.
    q_name, q_size, q_strand, q_start : str, int, str, int
        Target contig, its length, ``"+"`` or ``"-"``, the start of the first block (on the
        reverse complement for ``"-"``).
    sizes : numpy.ndarray
        Shape ``(k,)``, block lengths (> 0).
    t_gaps, q_gaps : numpy.ndarray
        Shape ``(k - 1,)``, unaligned bases after each block but the last (>= 0).
    score, id : int
        Written into the header (``id`` must be unique within a file).
    """

    t_name: str
    t_size: int
    t_start: int
    q_name: str
    q_size: int
    q_strand: str
    q_start: int
    sizes: np.ndarray
    t_gaps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    q_gaps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    score: int = 0
    id: int = 1

    @property
    def t_end(self) -> int:
        return int(self.t_start + np.sum(self.sizes) + np.sum(self.t_gaps))

    @property
    def q_end(self) -> int:
        return int(self.q_start + np.sum(self.sizes) + np.sum(self.q_gaps))

    def problem(self) -> str | None:
        """Why this chain cannot be written, or None."""
        sizes, dt, dq = (
            np.asarray(a, dtype=np.int64) for a in (self.sizes, self.t_gaps, self.q_gaps)
        )
        if len(sizes) == 0 or (sizes <= 0).any():
            return "every chain needs at least one block and blocks must be longer than 0"
        if len(dt) != len(sizes) - 1 or len(dq) != len(sizes) - 1:
            return f"{len(sizes)} blocks need {len(sizes) - 1} gaps, got {len(dt)} and {len(dq)}"
        if (dt < 0).any() or (dq < 0).any():
            return "gaps must not be negative"
        if self.q_strand not in ("+", "-"):
            return f"q strand must be '+' or '-', got {self.q_strand!r}"
        if self.t_start < 0 or self.t_end > self.t_size:
            return (
                f"source span {self.t_start}-{self.t_end} is outside {self.t_name} ({self.t_size})"
            )
        if self.q_start < 0 or self.q_end > self.q_size:
            return (
                f"target span {self.q_start}-{self.q_end} is outside {self.q_name} ({self.q_size})"
            )
        return None

    def text(self) -> str:
        """The chain as it appears in a file, ending with a blank line."""
        head = (
            f"chain {self.score} {self.t_name} {self.t_size} + {self.t_start} {self.t_end} "
            f"{self.q_name} {self.q_size} {self.q_strand} {self.q_start} {self.q_end} {self.id}\n"
        )
        sizes = np.asarray(self.sizes, dtype=np.int64).tolist()
        rows = [
            f"{s}\t{a}\t{b}\n"
            for s, a, b in zip(
                sizes[:-1],
                np.asarray(self.t_gaps).tolist(),
                np.asarray(self.q_gaps).tolist(),
                strict=True,
            )
        ]
        return head + "".join(rows) + f"{sizes[-1]}\n\n"


def write_chain_file(path: str | os.PathLike, chains: Iterable[Chain]) -> None:
    """Write ``chains`` in UCSC chain format, atomically; gzip when ``path`` ends in ``.gz``.

    The gzip header carries no time stamp or name, so the same chains give the same bytes.

    Raises
    ------
    NcvError
        If a chain is inconsistent (naming its id and the problem) or two share an id.
    """
    seen: set[int] = set()
    buf = io.StringIO()
    for chain in chains:
        problem = chain.problem()
        if problem is None and chain.id in seen:
            problem = "its id is used by an earlier chain"
        if problem is not None:
            raise NcvError(f"cannot write chain {chain.id}: {problem}", path=path)
        seen.add(chain.id)
        buf.write(chain.text())
    data = buf.getvalue().encode("ascii")
    with atomic_path(path) as tmp:
        if os.fspath(path).endswith(".gz"):
            with (
                open(tmp, "wb") as raw,
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
            ):
                gz.write(data)
        else:
            tmp.write_bytes(data)


def read_chain_headers(path: str | os.PathLike) -> pd.DataFrame:
    """The header line of every chain in a (plain or gzipped) chain file.

    Returns
    -------
    pandas.DataFrame
        One row per chain, columns :data:`HEADER_COLUMNS`, in file order.

    Raises
    ------
    NcvError
        If the file is missing, or a header is malformed or disagrees with an earlier one about a
        contig's length (naming the line).
    """
    _check_file(path)
    rows: list[list] = []
    sizes: dict[tuple[str, str], int] = {}
    with _open_binary(path) as fh:
        for number, raw in _numbered(fh, path):
            if not raw.startswith(b"chain"):
                continue
            row = _parse_header(raw, path, number)
            for side, name, size in (("t", row[2], row[3]), ("q", row[6], row[7])):
                if sizes.setdefault((side, name), size) != size:
                    raise NcvError(
                        f"says {name} is {size:,} bp but an earlier chain says "
                        f"{sizes[(side, name)]:,}",
                        path=path,
                        line=number,
                    )
            rows.append(row)
    frame = pd.DataFrame(rows, columns=list(HEADER_COLUMNS))
    for col in HEADER_COLUMNS:
        if col not in ("t_name", "q_name", "q_strand"):
            frame[col] = frame[col].astype(np.int64)
    return frame


def _numbered(fh: io.BufferedIOBase, path: str | os.PathLike) -> Iterator[tuple[int, bytes]]:
    """``(number, bytes)`` of every line; a truncated gzip names the last line read."""
    number = 0
    try:
        for number, raw in enumerate(fh, start=1):
            yield number, raw
    except (OSError, EOFError) as exc:
        raise NcvError(
            f"the compressed file is damaged or truncated after line {number} ({exc})", path=path
        ) from exc


def _parse_header(raw: bytes, path: str | os.PathLike, number: int) -> list:
    words = raw.decode("ascii", errors="replace").split()
    if len(words) not in (12, 13) or words[0] != "chain":
        raise NcvError(
            f"a chain header needs 13 fields (chain score tName tSize tStrand tStart tEnd qName "
            f"qSize qStrand qStart qEnd id), got {len(words)}",
            path=path,
            line=number,
        )
    try:
        score = int(float(words[1]))
        t_size, t_start, t_end, q_size, q_start, q_end = (
            int(words[i]) for i in (3, 5, 6, 8, 10, 11)
        )
        chain_id = int(words[12]) if len(words) == 13 else number
    except ValueError as exc:
        raise NcvError(
            f"a chain header holds a non-integer field: {exc}", path=path, line=number
        ) from exc
    if words[4] != "+" or words[9] not in ("+", "-"):
        raise NcvError(
            f"strands must be '+' for the source and '+' or '-' for the target, got "
            f"{words[4]!r} and {words[9]!r}",
            path=path,
            line=number,
        )
    if not (0 <= t_start <= t_end <= t_size and 0 <= q_start <= q_end <= q_size):
        raise NcvError(
            f"chain spans {words[2]}:{t_start}-{t_end} -> {words[7]}:{q_start}-{q_end} do not fit "
            f"the contig lengths {t_size:,} and {q_size:,}",
            path=path,
            line=number,
        )
    # fmt: off
    return [chain_id, score, words[2], t_size, t_start, t_end,
            words[7], q_size, words[9], q_start, q_end, number]
    # fmt: on


@dataclass(frozen=True, eq=False)
class ChainIndex:
    """An opened chain file: the ``liftover`` mapper and the chains' headers.

    Attributes
    ----------
    path : Path
    lifter : liftover.ChainFile
        Maps a 0-based source position to ``[(contig, 0-based position, strand)]``, one tuple per
        chain block covering it; target positions are on the forward strand even for ``-``
        chains. It answers ``[]`` alike for an unknown contig, a gap and a position outside every
        chain, hence the headers.
    headers : pandas.DataFrame
        :func:`read_chain_headers`.
    source_contigs, target_contigs : dict of str to int
        Contig lengths named in the headers (``t`` and ``q`` sides).
    """

    path: Path
    lifter: liftover.ChainFile
    headers: pd.DataFrame
    source_contigs: dict[str, int]
    target_contigs: dict[str, int]
    _by_key: dict[str, str] = field(default_factory=dict, repr=False)
    _spans: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict, repr=False)
    _rows: list[tuple] = field(default_factory=list, repr=False)
    _t_names: list[str] = field(default_factory=list, repr=False)

    def resolve_source(self, name: str) -> str | None:
        """The chain file's spelling of source contig ``name`` (``1`` -> ``chr1``), or None."""
        if name in self.source_contigs:
            return name
        return self._by_key.get(contig_key(str(name)))

    def header(self, row: int) -> tuple[int, int, int, str, str, int, int]:
        """Chain ``row`` of :attr:`headers` as ``(id, t_start, t_end, q_name, q_strand, q_lo,
        q_hi)``, where ``[q_lo, q_hi)`` is its target span on the forward strand."""
        return self._rows[row]

    def label(self, row: int) -> str:
        """``chain 7 (chr1:1,000-9,000 -> chrA -)``: how messages name chain ``row``."""
        cid, t0, t1, q_name, strand, _, _ = self._rows[row]
        return f"chain {cid} ({self._t_names[row]}:{t0:,}-{t1:,} -> {q_name} {strand})"

    def chains_over(self, t_name: str, start: int, end: int) -> np.ndarray:
        """Row numbers (into :attr:`headers`) of the chains whose source span overlaps
        ``[start, end)`` on ``t_name``, by source start; shape ``(m,)`` int64."""
        spans = self._spans.get(t_name)
        if spans is None:
            return np.zeros(0, dtype=np.int64)
        rows, starts, ends, _ = spans
        upto = int(np.searchsorted(starts, end, side="left"))
        keep = ends[:upto] > start
        return rows[:upto][keep]

    def covering(self, t_name: str, positions: np.ndarray) -> np.ndarray:
        """For each 0-based position, a chain (row of :attr:`headers`) whose source span holds
        it, else -1; shape ``(n,)`` int64."""
        positions = np.asarray(positions, dtype=np.int64)
        out = np.full(len(positions), -1, dtype=np.int64)
        spans = self._spans.get(t_name)
        if spans is None or len(positions) == 0:
            return out
        rows, starts, ends, reach = spans
        i = np.maximum(np.searchsorted(starts, positions, side="right") - 1, 0)
        before = positions >= starts[0]
        direct = before & (ends[i] > positions)
        out[direct] = rows[i[direct]]
        for k in np.nonzero(before & ~direct & (reach[i] > positions))[0].tolist():
            out[k] = self.chains_over(t_name, int(positions[k]), int(positions[k]) + 1)[0]
        return out

    def describe(self) -> dict:
        """JSON-able identity: path, number of chains, source and target contig counts."""
        return {
            "path": str(self.path),
            "n_chains": int(len(self.headers)),
            "source_contigs": len(self.source_contigs),
            "target_contigs": len(self.target_contigs),
        }


def open_chain(path: str | os.PathLike) -> ChainIndex:
    """Open a local UCSC chain file (plain or gzipped) for lifting; never downloads anything.

    Raises
    ------
    NcvError
        If the file is missing or not a valid chain file (a malformed header names its line;
        block lines that do not add up to the header's spans are reported as ``liftover`` words
        them).
    """
    _check_file(path)
    headers = read_chain_headers(path)
    if len(headers) == 0:
        raise NcvError(f"holds no chains; expected {CHAIN_EXPECTED}", path=path)
    try:
        lifter = liftover.ChainFile(os.fspath(path))
    except (ValueError, RuntimeError, OSError) as exc:
        raise NcvError(f"is not a valid chain file: {exc}", path=path) from exc
    source = _sizes(headers, "t")
    by_key: dict[str, str] = {}
    for name in source:
        by_key.setdefault(contig_key(name), name)
    return ChainIndex(
        path=Path(path),
        lifter=lifter,
        headers=headers,
        source_contigs=source,
        target_contigs=_sizes(headers, "q"),
        _by_key=by_key,
        _spans=_span_index(headers),
        _rows=_header_rows(headers),
        _t_names=headers["t_name"].astype(str).tolist(),
    )


def _sizes(headers: pd.DataFrame, side: str) -> dict[str, int]:
    first = headers.drop_duplicates(f"{side}_name")
    return dict(zip(first[f"{side}_name"].tolist(), first[f"{side}_size"].tolist(), strict=True))


def _header_rows(headers: pd.DataFrame) -> list[tuple]:
    """Per chain: id, source span, target contig and strand, forward target span."""
    h = headers
    minus = (h["q_strand"] == "-").to_numpy()
    size, q0, q1 = (h[c].to_numpy(np.int64) for c in ("q_size", "q_start", "q_end"))
    lo, hi = np.where(minus, size - q1, q0), np.where(minus, size - q0, q1)
    cols = [h["id"], h["t_start"], h["t_end"], h["q_name"], h["q_strand"], lo, hi]
    return list(zip(*(list(np.asarray(c).tolist()) for c in cols), strict=True))


def _span_index(headers: pd.DataFrame) -> dict[str, tuple[np.ndarray, ...]]:
    """Per source contig: header rows, starts, ends (sorted by start) and the running max end."""
    out = {}
    for name, group in headers.groupby("t_name", sort=False):
        order = np.argsort(group["t_start"].to_numpy(), kind="stable")
        rows = group.index.to_numpy(np.int64)[order]
        starts = group["t_start"].to_numpy(np.int64)[order]
        ends = group["t_end"].to_numpy(np.int64)[order]
        out[name] = (rows, starts, ends, np.maximum.accumulate(ends))
    return out


def _check_file(path: str | os.PathLike) -> None:
    p = Path(path)
    if not p.exists():
        raise NcvError("chain file not found (chain files are never downloaded)", path=path)
    if p.is_dir():
        raise NcvError("is a folder, expected a chain file", path=path)
    check_text(p, what="a UCSC chain file", expected=CHAIN_EXPECTED)


def _open_binary(path: str | os.PathLike) -> io.BufferedIOBase:
    raw = open(path, "rb")  # noqa: SIM115 - returned to a with block
    if raw.read(2) == _GZIP_MAGIC:
        raw.seek(0)
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    raw.seek(0)
    return raw


def chain_from_blocks(
    t_name: str,
    t_size: int,
    q_name: str,
    q_size: int,
    q_strand: str,
    t_starts: Sequence[int] | np.ndarray,
    q_starts: Sequence[int] | np.ndarray,
    sizes: Sequence[int] | np.ndarray,
    *,
    chain_id: int,
) -> Chain:
    """A :class:`Chain` from its blocks' starts and sizes (each shape ``(k,)``, in order).

    The score is the number of aligned bases.
    """
    t0, q0, n = (np.asarray(a, dtype=np.int64) for a in (t_starts, q_starts, sizes))
    return Chain(
        t_name=t_name,
        t_size=int(t_size),
        t_start=int(t0[0]),
        q_name=q_name,
        q_size=int(q_size),
        q_strand=q_strand,
        q_start=int(q0[0]),
        sizes=n,
        t_gaps=t0[1:] - (t0[:-1] + n[:-1]),
        q_gaps=q0[1:] - (q0[:-1] + n[:-1]),
        score=int(n.sum()),
        id=chain_id,
    )
