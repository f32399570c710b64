"""Duplicate loci across chunks processed apart: found once for the whole file, then rejected by
each chunk exactly as a single pass would.

A single pass keeps the first copy of a locus (contig, position, ALT) among the rows placed on the
genome and rejects the later ones (:class:`~ncv_core.features.loci.Deduplicator`). Chunks scored
on different workers cannot see each other, so the index pass records every placed locus
(:class:`KeyRecorder`), the client runs the one ``Deduplicator`` over the loci whose key occurs
more than once (a hash of the key finds them without holding every key:
:func:`find_duplicates`), and each chunk then rejects exactly those, with the same reasons
(:class:`KnownDuplicates`). A locus is named by its line, its ALT and its rank among the loci of
that line with that ALT.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ncv_core.features.loci import Deduplicator
from ncv_core.io.parts import read_part

DuplicateKey = tuple[int, str, int]
"""(line, ALT, rank among the placed loci of that line with that ALT)."""

KEY_COLUMNS = ["chrom", "pos", "alt", "line", "label", "rank", "hash"]


class KeyRecorder(Deduplicator):
    """Rejects nothing; records every placed locus, in the order the pipeline places them."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, int, str, int, float]] = []

    def check(self, chrom: str, pos: int, alt: str, line: int, label: float) -> str | None:
        self.rows.append((chrom, pos, alt, line, label))
        return None

    def frame(self) -> pd.DataFrame:
        """The recorded loci: :data:`KEY_COLUMNS` (``hash``: uint64 of contig, position, ALT)."""
        df = pd.DataFrame(self.rows, columns=["chrom", "pos", "alt", "line", "label"])
        df = df.astype({"chrom": str, "pos": np.int64, "alt": str, "line": np.int64})
        df["label"] = df["label"].astype(np.float64)
        df["rank"] = df.groupby(["line", "alt"], sort=False).cumcount().astype(np.int64)
        df["hash"] = pd.util.hash_pandas_object(df[["chrom", "pos", "alt"]], index=False)
        return df


class KnownDuplicates(Deduplicator):
    """Rejects the loci named in ``duplicates`` (with their reasons) and nothing else."""

    def __init__(self, duplicates: dict[DuplicateKey, str]) -> None:
        super().__init__()
        self.duplicates = duplicates
        self._rank: dict[tuple[int, str], int] = defaultdict(int)

    def check(self, chrom: str, pos: int, alt: str, line: int, label: float) -> str | None:
        rank = self._rank[(line, alt)]
        self._rank[(line, alt)] = rank + 1
        return self.duplicates.get((line, alt, rank))


def find_duplicates(parts: Iterable[str | Path]) -> dict[DuplicateKey, str]:
    """The later copies among the loci of key parts (:meth:`KeyRecorder.frame`, in file order),
    each with the reason a single pass gives it."""
    parts = list(parts)
    hashes = [read_part(p, columns=["hash"])["hash"].to_numpy(np.uint64) for p in parts]
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
        keys = read_part(path, columns=KEY_COLUMNS[:-1]).iloc[rows]
        columns = [keys[c].tolist() for c in KEY_COLUMNS[:-1]]  # Python scalars, fast to zip
        for chrom, pos, alt, line, label, rank in zip(*columns, strict=True):
            reason = dedup.check(chrom, pos, alt, line, label)
            if reason is not None:
                found[(line, alt, rank)] = reason
    return found


def _repeated(values: np.ndarray) -> np.ndarray:
    """``(N,)`` bool: the entries of ``values`` ``(N,)`` that occur more than once (one sort)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    same = ordered[1:] == ordered[:-1]
    out = np.zeros(len(values), dtype=bool)
    out[order[1:][same]] = True
    out[order[:-1][same]] = True
    return out
