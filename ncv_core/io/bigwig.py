"""bigWig signal: the only module that touches a bigWig library (pybigtools).

pybigtools' exact per-window statistics (``average_over_bed``) measured 5-25x faster than
pyBigWig's ``stats`` or ``values`` per window on this project's data
(``benchmarks/bench_features.py``), and it reads and writes, so the project uses one bigWig
library. Statistics are always over the raw per-base data (never zoom levels); bases without data
count as 0.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pybigtools

from ncv_core.coords import contig_key, window_bounds
from ncv_core.errors import NcvError
from ncv_core.io.tables import atomic_path
from ncv_core.io.text import GZIP_MAGIC, SNIFF_BYTES, describe_bytes

BIGWIG_MAGIC = (b"\x26\xfc\x8f\x88", b"\x88\x8f\xfc\x26")
_NAMES = (".bw", ".bigWig", ".bigwig")  # the names pybigtools opens
_QUIET = threading.Lock()
_LIBRARY_NOISE = (b"Error when opening",)


def _open_bigwig(path: Path):
    """An open pybigtools reader of ``path``, after checking that it is a bigWig.

    pybigtools refuses names without a bigWig extension and prints its own error line to the
    process's stderr before raising; both are handled here: other names are opened through a
    link named ``signal.bw``, and the line is held back (:func:`_quiet_stderr`).
    """
    _check_bigwig(path)
    if not path.name.endswith(_NAMES):
        with tempfile.TemporaryDirectory(prefix="ncv-bw-") as folder:
            link = Path(folder) / "signal.bw"
            os.symlink(path.resolve(), link)
            return _open_checked(link, path)
    return _open_checked(path, path)


def _open_checked(where: Path, path: Path):
    try:
        with _quiet_stderr():
            return pybigtools.open(str(where))
    except (pybigtools.BBIReadError, ValueError, OSError) as exc:
        raise NcvError(
            f"is not a readable bigWig file ({exc}); it may be truncated or damaged", path=path
        ) from exc


def _check_bigwig(path: Path) -> None:
    """Raise unless ``path`` is a file that starts with the bigWig magic number."""
    if not path.exists():
        raise NcvError("signal file not found (expected a bigWig)", path=path)
    if path.is_dir():
        raise NcvError("is a folder, expected a bigWig signal file", path=path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
            if head in BIGWIG_MAGIC:
                return
            head += fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise NcvError(f"cannot open: {exc.strerror}", path=path) from exc
    found = describe_bytes(head)
    what = found[1] if found else "text" if head else "an empty file"
    if head[:2] == GZIP_MAGIC:
        what = "gzip-compressed data"
    raise NcvError(
        f"is not a readable bigWig file: it is {what}, and the manifest's signal column "
        "names bigWig files (.bw) of signal per base",
        path=path,
    )


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Hold back what native code writes to file descriptor 2 inside the block, and pass on
    everything but the bigWig library's own error lines (our NcvError says it better).

    One thread at a time (a lock), so file descriptor 2 is always restored to what it was.
    """
    with _QUIET:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):
            yield
            return
        with tempfile.TemporaryFile() as held:
            os.dup2(held.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                held.seek(0)
                kept = [
                    ln for ln in held.read().splitlines(True) if not ln.startswith(_LIBRARY_NOISE)
                ]
                if kept:
                    os.write(2, b"".join(kept))


def bigwig_contigs(path: str | os.PathLike) -> dict[str, int]:
    """Contig lengths in a bigWig's header."""
    with _open_bigwig(Path(path)) as bw:
        return dict(bw.chroms())


class WindowBeds:
    """Sorted BED files of one batch of windows, written once and shared by every track.

    Tracks whose bigWigs spell the batch's contigs the same way read the same file; sorting by
    position lets the reader reuse decompressed blocks. Use as a context manager (the files live
    in a temporary folder).

    Parameters
    ----------
    chroms : sequence of str, length N
        Contig names (any convention).
    positions : array of int, shape (N,)
        1-based variant positions.
    window : int
        Window length in bp.
    """

    def __init__(self, chroms: Sequence[str], positions: np.ndarray, window: int) -> None:
        self.window = window
        self.positions = np.asarray(positions, dtype=np.int64)
        codes, self._uniques = pd.factorize(pd.Series(list(chroms), dtype=object), sort=False)
        self._codes = np.asarray(codes)
        self._dir = tempfile.TemporaryDirectory(prefix="ncv-windows-")
        self._beds: dict[tuple, tuple[str, np.ndarray]] = {}

    def __enter__(self) -> WindowBeds:
        return self

    def __exit__(self, *exc: object) -> None:
        self._dir.cleanup()

    def __len__(self) -> int:
        return len(self.positions)

    def missing(self, bigwig_contigs: Iterable[str]) -> dict[str, int]:
        """Contigs of these loci (their spelling) that a bigWig with ``bigwig_contigs`` lacks,
        with the number of loci on each."""
        keys = {contig_key(c) for c in bigwig_contigs}
        counts = np.bincount(self._codes, minlength=len(self._uniques))
        return {
            str(u): int(n)
            for u, n in zip(self._uniques, counts.tolist(), strict=True)
            if n and contig_key(u) not in keys
        }

    def bed_for(self, bigwig_contigs: Iterable[str]) -> tuple[str | None, np.ndarray]:
        """(BED path, row of each BED line) for a bigWig with these contigs; rows absent -> no data."""
        by_key = {contig_key(c): c for c in bigwig_contigs}
        spelled = tuple(by_key.get(contig_key(u)) for u in self._uniques)
        if spelled not in self._beds:
            names = np.array([n or "" for n in spelled], dtype=object)[self._codes]
            rows = np.nonzero(names != "")[0]
            rows = rows[np.lexsort((self.positions[rows], names[rows].astype(str)))]
            starts, ends = window_bounds(self.positions[rows], self.window)
            path = os.path.join(self._dir.name, f"w{len(self._beds)}.bed")
            with open(path, "w") as fh:
                fh.writelines(
                    f"{c}\t{a}\t{b}\n"
                    for c, a, b in zip(names[rows], starts.tolist(), ends.tolist(), strict=True)
                )
            self._beds[spelled] = (path if len(rows) else None, rows)
        return self._beds[spelled]


def window_signal_stats(
    path: str | os.PathLike,
    chroms: Sequence[str],
    positions: np.ndarray,
    window: int,
    *,
    beds: WindowBeds | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact max and sum of a bigWig over each locus's window (no-data bases count as 0).

    Parameters
    ----------
    path : path
        bigWig file.
    chroms : sequence of str
        Contig names (any convention; matched to the bigWig's by :func:`contig_key`).
    positions : array of int, shape (N,)
        1-based variant positions.
    window : int
        Window length in bp.
    beds : WindowBeds, optional
        The same windows already written (shared across tracks); made here when absent.

    Returns
    -------
    (max, sum) : two float64 arrays of shape (N,)
    """
    if beds is None:
        with WindowBeds(chroms, positions, window) as own:
            return window_signal_stats(path, chroms, positions, window, beds=own)
    path = Path(path)
    mx, sm = np.zeros(len(beds)), np.zeros(len(beds))
    with _open_bigwig(path) as bw:
        bed, rows = beds.bed_for(bw.chroms())
        if bed is None:
            return mx, sm
        try:
            stats = np.array(
                list(bw.average_over_bed(bed, stats=["sum", "max", "bases"])), dtype=np.float64
            ).reshape(-1, 3)
        except Exception as exc:  # pybigtools raises bare Exception for corrupt data blocks
            raise NcvError(
                f"cannot read signal ({exc}); the file may be truncated or corrupt", path=path
            ) from exc
    covered_max = np.nan_to_num(stats[:, 1], nan=0.0)
    sm[rows] = stats[:, 0]
    mx[rows] = np.where(stats[:, 2] < window, np.maximum(covered_max, 0.0), covered_max)
    return mx, sm


def signal_values(path: str | os.PathLike, chrom: str, start: int, end: int) -> np.ndarray:
    """Per-base signal over ``[start, end)`` (0-based), no-data as 0; shape ``(end - start,)``."""
    with _open_bigwig(Path(path)) as bw:
        name = {contig_key(c): c for c in bw.chroms()}.get(contig_key(chrom))
        if name is None:
            return np.zeros(end - start)
        try:
            return np.asarray(bw.values(name, start, end, fillna=0.0), dtype=np.float64)
        except Exception as exc:  # see window_signal_stats
            raise NcvError(f"cannot read signal ({exc})", path=path) from exc


def region_signals(
    path: str | os.PathLike, regions: Sequence[tuple[str, int, int]], *, merge_gap: int = 10_000
) -> list[np.ndarray]:
    """Per-base signal of many regions of one bigWig, opened once; no data (or a contig the file
    lacks) reads as 0.

    Regions of a contig closer than ``merge_gap`` bp are read in one call and sliced (many small
    regions, like loci windows, read as fast as a few large ones).

    Parameters
    ----------
    regions : sequence of (chrom, start, end)
        0-based half-open; any contig spelling (matched by :func:`contig_key`), any order.

    Returns
    -------
    list of numpy.ndarray
        One float64 array of shape ``(end - start,)`` per region, in input order.
    """
    path = Path(path)
    out: list[np.ndarray] = [np.zeros(0)] * len(regions)
    with _open_bigwig(path) as bw:
        sizes = dict(bw.chroms())
        names = {contig_key(c): c for c in sizes}
        order = sorted(range(len(regions)), key=lambda i: (str(regions[i][0]), regions[i][1]))
        groups: list[list] = []  # [chrom, lo, hi, member rows]
        for i in order:
            chrom, start, end = str(regions[i][0]), int(regions[i][1]), int(regions[i][2])
            if groups and groups[-1][0] == chrom and start - groups[-1][2] < merge_gap:
                groups[-1][2] = max(groups[-1][2], end)
                groups[-1][3].append(i)
            else:
                groups.append([chrom, start, end, [i]])
        for chrom, lo, hi, group in groups:
            name = names.get(contig_key(chrom))
            values = np.zeros(hi - lo)
            if name is not None and lo < sizes[name]:
                top = min(hi, sizes[name])
                try:
                    values[: top - lo] = bw.values(name, lo, top, fillna=0.0)
                except Exception as exc:  # see window_signal_stats
                    raise NcvError(f"cannot read signal ({exc})", path=path) from exc
            for k in group:
                out[k] = values[int(regions[k][1]) - lo : int(regions[k][2]) - lo].copy()
    return out


def write_bigwig(
    path: str | os.PathLike,
    chrom_sizes: Mapping[str, int],
    intervals: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> None:
    """Write a bigWig from per-chromosome interval arrays, atomically.

    Parameters
    ----------
    path : path
        Output file.
    chrom_sizes : mapping of str to int
        Contig lengths for the header. pybigtools lists only contigs that have data.
    intervals : mapping of str to (starts, ends, values)
        0-based half-open, sorted, non-overlapping intervals per contig; each array shape ``(n,)``.
        Contigs absent from the mapping have no data.
    """

    def entries() -> Iterable[tuple[str, int, int, float]]:
        for chrom in chrom_sizes:
            if chrom not in intervals:
                continue
            starts, ends, values = intervals[chrom]
            yield from zip(
                [chrom] * len(starts),
                np.asarray(starts, dtype=np.int64).tolist(),
                np.asarray(ends, dtype=np.int64).tolist(),
                np.asarray(values, dtype=np.float64).tolist(),
                strict=True,
            )

    with atomic_path(path, suffix=".bw") as tmp:
        writer = pybigtools.open(os.fspath(tmp), "w")
        writer.write({c: int(n) for c, n in chrom_sizes.items()}, entries())
