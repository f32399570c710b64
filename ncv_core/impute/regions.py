"""The regions an Avocado model covers: snapped to the 25-bp grid, sorted, merged.

Avocado's genome axis is made of 25-bp bins. A user's regions (a BED of region sets like the
ENCODE pilot regions, or the windows of a loci file plus some context) are snapped outwards to
the grid (start down, end up to a multiple of the bin, clipped at the contig end), sorted by
position within each contig (contigs keep the order in which they first appear) and merged where
they overlap or touch, as :func:`ncv_core.impute.data.make_track_tensor` needs. Pure functions,
but for :func:`bed_regions`, which reads a BED through ``io.peaks.read_bed_intervals``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np

from ncv_core.coords import contig_key, window_bounds
from ncv_core.errors import NcvError, warn
from ncv_core.impute.transform import BIN_SIZE
from ncv_core.io.peaks import read_bed_intervals

Region = tuple[str, int, int]
"""``(chrom, start, end)``, 0-based half-open."""


def bed_regions(path: str | os.PathLike) -> list[Region]:
    """The intervals of a BED file, in file order (not yet snapped).

    Rows that are not intervals are left out with one warning naming how many and the first
    (its line and reason); the good rows are kept.

    Raises
    ------
    NcvError
        When the file is missing or unreadable, or holds no interval at all.
    """
    table, rejected = read_bed_intervals(path)
    if rejected:
        first = rejected[0]
        warn(
            f"{path}: {len(rejected)} rows are not intervals and were left out; first: line "
            f"{first.line}: {first.reason}"
        )
    if not len(table):
        raise NcvError("holds no interval; expected BED rows chrom, start, end", path=path)
    return list(
        zip(
            table["chrom"].astype(str).tolist(),
            table["start"].tolist(),
            table["end"].tolist(),
            strict=True,
        )
    )


def snap_regions(
    regions: Sequence[Region],
    *,
    bin_size: int = BIN_SIZE,
    chrom_sizes: Mapping[str, int] | None = None,
) -> list[Region]:
    """Regions snapped outwards to the ``bin_size`` grid, sorted per contig and merged.

    Parameters
    ----------
    regions : sequence of (chrom, start, end)
        0-based half-open, any order, may overlap.
    chrom_sizes : mapping, optional
        Contig lengths (matched by :func:`~ncv_core.coords.contig_key`): each region is renamed
        to the mapping's spelling and clipped at the contig end (a last bin may then be partial).
        A region on a contig it lacks, or starting past the end, is an :class:`NcvError`.

    Returns
    -------
    list of (chrom, start, end)
        Non-overlapping; every start a multiple of ``bin_size``; every end a multiple of it or
        the contig end.
    """
    if bin_size < 1:
        raise NcvError(f"bin_size must be >= 1, got {bin_size}")
    names = {contig_key(c): c for c in chrom_sizes} if chrom_sizes is not None else None
    by_chrom: dict[str, list[tuple[int, int]]] = {}
    for chrom, start, end in regions:
        start, end = int(start), int(end)
        if start < 0 or end <= start:
            raise NcvError(f"region {chrom}:{start}-{end} is empty or negative")
        if names is not None:
            name = names.get(contig_key(str(chrom)))
            if name is None:
                raise NcvError(
                    f"region {chrom}:{start}-{end} is on a contig the tracks do not have "
                    f"(they have {', '.join(list(chrom_sizes)[:8])})"
                )
            if start >= chrom_sizes[name]:
                raise NcvError(
                    f"region {chrom}:{start}-{end} starts past the end of {name} "
                    f"({chrom_sizes[name]:,} bp)"
                )
            chrom = name
        lo, hi = start // bin_size * bin_size, -(-end // bin_size) * bin_size
        if chrom_sizes is not None:
            hi = min(hi, int(chrom_sizes[chrom]))
        by_chrom.setdefault(str(chrom), []).append((lo, hi))
    out: list[Region] = []
    for chrom, spans in by_chrom.items():
        spans.sort()
        cur_lo, cur_hi = spans[0]
        for lo, hi in spans[1:]:
            if lo <= cur_hi:
                cur_hi = max(cur_hi, hi)
            else:
                out.append((chrom, cur_lo, cur_hi))
                cur_lo, cur_hi = lo, hi
        out.append((chrom, cur_lo, cur_hi))
    return out


def loci_regions(
    chroms: Sequence[str],
    positions: np.ndarray,
    *,
    window: int = 150,
    context: int = 0,
    bin_size: int = BIN_SIZE,
    chrom_sizes: Mapping[str, int] | None = None,
) -> list[Region]:
    """The windows of loci plus ``context`` bp on each side, snapped and merged.

    Parameters
    ----------
    chroms : sequence of str, length N
    positions : numpy.ndarray, shape (N,), int
        1-based variant positions (the window is :func:`~ncv_core.coords.window_bounds`'s).
    window, context : int
        Window length, and extra bases on each side (clipped at 0 and at the contig end).
    """
    if context < 0:
        raise NcvError(f"context must be >= 0 bp, got {context}")
    if not len(chroms):
        raise NcvError("no loci to make regions from")
    start, end = window_bounds(np.asarray(positions, dtype=np.int64), window)
    lo, hi = np.maximum(start - context, 0), end + context
    return snap_regions(
        list(zip(map(str, chroms), lo.tolist(), hi.tolist(), strict=True)),
        bin_size=bin_size,
        chrom_sizes=chrom_sizes,
    )


def region_bins(regions: Sequence[Region], bin_size: int = BIN_SIZE) -> tuple[list, np.ndarray]:
    """Contig and 0-based start of every bin of ``regions``, in order.

    Returns
    -------
    chroms : list of str, length n_bins
    starts : numpy.ndarray, shape (n_bins,), int64
    """
    chroms, starts = [], []
    for chrom, start, end in regions:
        n = -(-(int(end) - int(start)) // bin_size)
        chroms += [chrom] * n
        starts.append(int(start) + bin_size * np.arange(n, dtype=np.int64))
    return chroms, (np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64))
