"""Duplicate loci across chunks processed apart: found once for the whole file, then treated by
each chunk exactly as a single pass treats them.

A single pass remembers the first copy of every placed variant (normalised contig, position,
REF, ALT) with its line and label (:class:`~ncv_core.features.placement.Deduplicator`): a
feature table rejects the later copies, scoring keeps them with a note. Chunks placed on
different workers cannot see each other, so the index pass records every placed variant
(:class:`KeyRecorder`), the client runs the one ``Deduplicator`` over the variants whose key
occurs more than once (a hash of the key finds them without holding every key:
:func:`find_duplicates`), and each chunk then answers exactly those, with the same first line and
label (:class:`KnownDuplicates`). A variant is named by its line, its key and its rank among the
variants of that line with that key.

Scoring also remembers the scores of recent variants (``ncv_core.score._MEMO_MAX``) and fills a
later copy in instead of scoring it again; which copies a single pass fills in is simulated here
too (:func:`memo_plan`), so each task scores the same distinct variants in the same batches.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ncv_core.features.loci import Deduplicator
from ncv_core.io.parts import read_part

VariantKey = tuple[str, int, str, str]
"""(contig, position, REF, ALT) after placement and normalisation."""
DuplicateKey = tuple[int, VariantKey, int]
"""(line, variant key, rank among the placed variants of that line with that key)."""

KEY_COLUMNS = ["chrom", "pos", "ref", "alt", "line", "label", "rank", "scored", "hash"]


class KeyRecorder(Deduplicator):
    """Answers that every variant is new; records each, in the order the pipeline places them."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, int, str, str, int, float]] = []

    def first(self, key: tuple, line: int, label: float) -> tuple[int, float] | None:
        self.rows.append((*key, line, label))
        return None

    def frame(self) -> pd.DataFrame:
        """The recorded variants: :data:`KEY_COLUMNS` (``hash``: uint64 of the variant key)."""
        df = pd.DataFrame(self.rows, columns=["chrom", "pos", "ref", "alt", "line", "label"])
        df = df.astype({"chrom": str, "pos": np.int64, "ref": str, "alt": str, "line": np.int64})
        df["label"] = df["label"].astype(np.float64)
        keys = ["chrom", "pos", "ref", "alt"]
        df["rank"] = df.groupby(["line", *keys], sort=False).cumcount().astype(np.int64)
        df["scored"] = (df["alt"] != "").to_numpy()  # a row without ALT is never scored
        df["hash"] = pd.util.hash_pandas_object(df[keys], index=False).to_numpy(np.uint64)
        return df


class KnownDuplicates(Deduplicator):
    """Answers ``duplicates[(line, key, rank)]`` (the first copy's line and label) and nothing
    else: a chunk's share of :func:`find_duplicates`."""

    def __init__(self, duplicates: dict[DuplicateKey, tuple[int, float]]) -> None:
        super().__init__()
        self.duplicates = duplicates
        self._rank: dict[tuple, int] = defaultdict(int)

    def first(self, key: tuple, line: int, label: float) -> tuple[int, float] | None:
        rank = self._rank[(line, key)]
        self._rank[(line, key)] = rank + 1
        return self.duplicates.get((line, tuple(key), rank))


def _keys(frame: pd.DataFrame) -> list[VariantKey]:
    cols = [frame[c].tolist() for c in ("chrom", "pos", "ref", "alt")]
    return list(zip(*cols, strict=True))


def find_duplicates(
    parts: Sequence[str | Path], hashes: list[np.ndarray] | None = None
) -> dict[DuplicateKey, tuple[int, float]]:
    """The later copies among the variants of key parts (:meth:`KeyRecorder.frame`, in file
    order), each with the first copy's ``(line, label)`` as a single pass finds it."""
    hashes = hashes if hashes is not None else [_hashes(p) for p in parts]
    if not hashes:
        return {}
    repeated = _repeated(np.concatenate(hashes))
    if not repeated.any():
        return {}
    dedup, found = Deduplicator(), {}
    bounds = np.cumsum([0, *map(len, hashes)])
    for path, lo, hi in zip(parts, bounds[:-1], bounds[1:], strict=True):
        rows = np.flatnonzero(repeated[lo:hi])
        if not len(rows):
            continue
        frame = read_part(path, columns=KEY_COLUMNS[:7]).iloc[rows]
        cols = [frame[c].tolist() for c in ("line", "label", "rank")]
        info = zip(*cols, strict=True)
        for key, (line, label, rank) in zip(_keys(frame), info, strict=True):
            first = dedup.first(key, line, label)
            if first is not None:
                found[(line, key, rank)] = first
    return found


def _hashes(path: str | Path) -> np.ndarray:
    return read_part(path, columns=["hash"])["hash"].to_numpy(np.uint64)


def _repeated(values: np.ndarray) -> np.ndarray:
    """``(N,)`` bool: the entries of ``values`` ``(N,)`` that occur more than once (one sort)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    same = ordered[1:] == ordered[:-1]
    out = np.zeros(len(values), dtype=bool)
    out[order[1:][same]] = True
    out[order[:-1][same]] = True
    return out


@dataclass
class KeyIndex:
    """The numeric columns of the index pass's key parts, for the whole file, in order.

    ``lines``, ``hashes`` and ``scored`` are ``(M,)`` over the M placed variants; ``bounds``
    ``(n_parts + 1,)`` where each part's rows start. The variants' keys stay in the parts and
    are read only for the few that repeat, so the client holds 17 bytes per variant.
    """

    parts: list[str]
    lines: np.ndarray
    hashes: np.ndarray
    scored: np.ndarray
    bounds: np.ndarray

    @classmethod
    def read(cls, parts: Sequence[str | Path]) -> KeyIndex:
        frames = [read_part(p, columns=["line", "hash", "scored"]) for p in parts]
        if not frames:
            empty = np.zeros(0, dtype=np.int64)
            return cls([], empty, empty.astype(np.uint64), empty.astype(bool), np.zeros(1, int))
        return cls(
            [str(p) for p in parts],
            np.concatenate([f["line"].to_numpy(np.int64) for f in frames]),
            np.concatenate([f["hash"].to_numpy(np.uint64) for f in frames]),
            np.concatenate([f["scored"].to_numpy(bool) for f in frames]),
            np.cumsum([0, *map(len, frames)]),
        )

    def keys(self, rows: np.ndarray) -> list[VariantKey]:
        """The keys of rows ``rows`` (ascending positions into the whole index)."""
        out: list[VariantKey] = []
        for path, lo, hi in zip(self.parts, self.bounds[:-1], self.bounds[1:], strict=True):
            local = rows[(rows >= lo) & (rows < hi)] - lo
            if len(local):
                out += _keys(read_part(path, columns=["chrom", "pos", "ref", "alt"]).iloc[local])
        return out


def memo_plan(
    index: KeyIndex, chunk_firsts: Sequence[int], memo_max: int
) -> tuple[list[set[VariantKey]], list[set[VariantKey]]]:
    """Which variants of each chunk a single pass fills in from its memo of earlier chunks'
    scores, and which chunk's scores of a variant the fill-ins copy.

    The memo (``ncv_core.score._remember``) takes every scored variant not yet in it, in row
    order, at the end of each chunk, and then drops the oldest beyond ``memo_max``; a chunk
    fills in the variants in the memo at its start.

    Parameters
    ----------
    index : KeyIndex
        The index pass's variants, in file order.
    chunk_firsts : sequence of int
        ``(n_chunks,)`` first line of each chunk, ascending.

    Returns
    -------
    (known, keep)
        Per chunk, the variants filled in from the memo, and the variants whose scores in that
        chunk are filled in later.
    """
    n = len(chunk_firsts)
    known: list[set] = [set() for _ in range(n)]
    keep: list[set] = [set() for _ in range(n)]
    scored = np.flatnonzero(index.scored)  # rows without ALT are never remembered
    if not len(scored):
        return known, keep
    lines = index.lines[scored]
    chunk = np.searchsorted(np.asarray(chunk_firsts), lines, side="right") - 1
    repeated = _repeated(index.hashes[scored])
    per_chunk = np.bincount(chunk, minlength=n)
    start = np.concatenate([[0], np.cumsum(per_chunk)])
    within = np.arange(len(scored)) - start[chunk]  # row index among its chunk's scored rows
    where = np.flatnonzero(repeated)
    keys = index.keys(scored[where])
    _simulate(keys, chunk[where], within[where], per_chunk, memo_max, known, keep)
    return known, keep


def _simulate(keys, chunks, index, per_chunk, memo_max, known, keep) -> None:
    """Run the memo over the repeated variants (the others are inserted once and never met
    again, but they count towards its size); fills ``known`` and ``keep``."""
    memo: dict[VariantKey, tuple[int, int]] = {}  # key -> (insertion ordinal, chunk)
    order: deque[tuple[int, VariantKey]] = deque()
    count, skipped, here, current = 0, 0, set(), 0
    for key, c, i in zip(keys, chunks.tolist(), index.tolist(), strict=True):
        while current < c:  # the end of chunk ``current``
            count, skipped, here = _close(count, per_chunk[current], skipped, memo, order,
                                          memo_max, here)  # fmt: skip
            current += 1
        if key in memo and key not in here:
            known[c].add(key)
            keep[memo[key][1]].add(key)
            skipped += 1
        elif key in here:  # a second copy within the chunk: scored with the first
            skipped += 1
        else:
            ordinal = count + i - skipped
            memo[key] = (ordinal, c)
            order.append((ordinal, key))
            here.add(key)


def _close(count, n_rows, skipped, memo, order, memo_max, here):
    count += int(n_rows) - skipped
    while order and order[0][0] < count - memo_max:
        ordinal, key = order.popleft()
        if memo.get(key, (None,))[0] == ordinal:
            del memo[key]
    return count, 0, set()


def chunk_share(
    found: dict[DuplicateKey, tuple[int, float]], first: int, last: int, lines: list
) -> dict[DuplicateKey, tuple[int, float]]:
    """The entries of ``found`` on lines ``first..last``; ``lines`` is ``sorted(found)``."""
    import bisect

    lo, hi = bisect.bisect_left(lines, (first,)), bisect.bisect_left(lines, (last + 1,))
    return {k: found[k] for k in lines[lo:hi]}


__all__: Iterable[str] = [
    "KeyIndex",
    "KeyRecorder",
    "KnownDuplicates",
    "chunk_share",
    "find_duplicates",
    "memo_plan",
]
