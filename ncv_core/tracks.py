"""Epigenomic tracks: the manifest, bigWig signal and peak intervals.

The only module that touches a bigWig library. Reading and writing use ``pybigtools`` (measured
5-25x faster than pyBigWig for exact per-window statistics; see ``benchmarks/bench_features.py``).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable, Mapping

import numpy as np
import pybigtools


def write_bigwig(
    path: str | os.PathLike,
    chrom_sizes: Mapping[str, int],
    intervals: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> None:
    """Write a bigWig from per-chromosome interval arrays.

    Parameters
    ----------
    path : path
        Output file.
    chrom_sizes : mapping of str to int
        Contig lengths for the header (every contig of the genome, in genome order).
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

    writer = pybigtools.open(os.fspath(path), "w")
    writer.write({c: int(n) for c, n in chrom_sizes.items()}, entries())


def write_narrowpeak(
    path: str | os.PathLike,
    peaks: Iterable[tuple[str, int, int, float]],
    *,
    name_prefix: str = "peak",
) -> None:
    """Write peaks ``(chrom, start, end, signal)`` as ENCODE narrowPeak (gzipped if ``.gz``).

    Columns: chrom, start, end, name, score (0-1000 from the signal rank), strand ``.``,
    signalValue, pValue ``-1``, qValue ``-1``, summit (offset of the middle).
    """
    rows = list(peaks)
    signals = np.array([r[3] for r in rows], dtype=np.float64)
    top = signals.max() if len(signals) else 1.0
    lines = []
    for i, (chrom, start, end, signal) in enumerate(rows):
        score = int(round(1000 * signal / top)) if top > 0 else 0
        summit = (end - start) // 2
        lines.append(
            f"{chrom}\t{start}\t{end}\t{name_prefix}_{i + 1}\t{score}\t.\t{signal:.4f}\t-1\t-1\t{summit}\n"
        )
    text = "".join(lines).encode()
    if os.fspath(path).endswith(".gz"):
        with open(path, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
            gz.write(text)
    else:
        with open(path, "wb") as fh:
            fh.write(text)
