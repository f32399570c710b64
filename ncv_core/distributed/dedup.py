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
from pathlib import Path

import numpy as np
import pandas as pd

from ncv_core.features.loci import Deduplicator
from ncv_core.io.parts import read_part

VariantKey = tuple[str, int, str, str]
"""(contig, position, REF, ALT) after placement and normalisation."""
DuplicateKey = tuple[int, VariantKey, int]
"""(line, variant key, rank among the placed variants of that line with that key)."""

KEY_COLUMNS = ["chrom", "pos", "ref", "alt", "line", "label", "rank", "hash"]


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
        frame = read_part(path, columns=KEY_COLUMNS[:-1]).iloc[rows]
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


def memo_plan(
    parts: Sequence[str | Path], chunk_firsts: Sequence[int], memo_max: int
) -> tuple[list[set[VariantKey]], list[set[VariantKey]]]:
    """Which variants of each chunk a single pass fills in from its memo of earlier chunks'
    scores, and which chunk's scores of a variant the fill-ins copy.

    The memo (``ncv_core.score._remember``) takes every scored variant not yet in it, in row
    order, at the end of each chunk, and then drops the oldest beyond ``memo_max``; a chunk
    fills in the variants in the memo at its start.

    Parameters
    ----------
    parts : sequence of paths
        Key parts of the index pass, in file order.
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
    frames = [read_part(p, columns=["chrom", "pos", "ref", "alt", "line", "hash"]) for p in parts]
    frames = [f.loc[f["alt"] != ""] for f in frames]  # rows without ALT are not scored
    if not frames or not sum(map(len, frames)):
        return known, keep
    rows = pd.concat(frames, ignore_index=True)
    chunk = np.searchsorted(np.asarray(chunk_firsts), rows["line"].to_numpy(), side="right") - 1
    repeated = _repeated(rows["hash"].to_numpy(np.uint64))
    per_chunk = np.bincount(chunk, minlength=n)
    start = np.concatenate([[0], np.cumsum(per_chunk)])
    index = np.arange(len(rows)) - start[chunk]  # row index within its chunk
    where = np.flatnonzero(repeated)
    keys = _keys(rows.iloc[where])
    _simulate(keys, chunk[where], index[where], per_chunk, memo_max, known, keep)
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
    "KeyRecorder",
    "KnownDuplicates",
    "chunk_share",
    "find_duplicates",
    "memo_plan",
]
