"""Peak intervals (BED / narrowPeak, gzipped or not): reading, membership, writing.

:func:`read_peaks` merges a file's intervals for track membership (Peak features);
:func:`read_bed_intervals` reads one row per interval with its line and text, for lifting peaks
to another genome (rows that cannot be read are rejected with a reason, the others kept).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ncv_core.coords import contig_key
from ncv_core.errors import NcvError
from ncv_core.io.tables import atomic_path
from ncv_core.io.text import MAX_LINE, TooLong, iter_lines, open_text, read_lines
from ncv_core.rejections import Rejection

PEAKS_EXPECTED = "tab-separated BED or narrowPeak text (chrom, start, end, ...), gzipped or not"
BED_COLUMNS: tuple[str, ...] = ("chrom", "start", "end", "id", "score", "bed_strand")
"""Names of a BED row's first six fields in :func:`read_bed_intervals` (``name`` becomes ``id``
and ``strand`` ``bed_strand``, so neither clashes with a lifted table's own columns)."""
NARROWPEAK_EXTRA: tuple[str, ...] = ("signal_value", "p_value", "q_value", "summit")
"""Names of fields 7-10 of a 10-field row (ENCODE narrowPeak); other extra fields are
``field7``, ``field8``, ..."""


def read_peaks(path: str | os.PathLike) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Peaks of a BED/narrowPeak file (gzipped or not) as merged sorted intervals per contig key.

    Returns
    -------
    dict
        ``contig_key(chrom) -> (starts, ends)``, int64 arrays, 0-based half-open, non-overlapping.
    """
    path = Path(path)
    per_chrom: dict[str, list[tuple[int, int]]] = {}
    for line, text in read_lines(path, what="a peaks file", expected=PEAKS_EXPECTED):
        if not text.strip() or text.startswith(("#", "track", "browser")):
            continue
        fields = text.split("\t") if "\t" in text else text.split()
        try:
            start, end = int(fields[1]), int(fields[2])
        except (IndexError, ValueError):
            start = end = -1
        if not 0 <= start <= end:
            raise NcvError(
                f"not a BED/narrowPeak row (chrom, start, end with 0 <= start <= end, ...): "
                f"{text.strip()[:80]!r}",
                path=path,
                line=line,
            )
        per_chrom.setdefault(contig_key(fields[0]), []).append((start, end))
    return {k: _merge(v) for k, v in per_chrom.items()}


def _merge(intervals: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    arr = np.array(sorted(intervals), dtype=np.int64).reshape(-1, 2)
    starts, ends = arr[:, 0], np.maximum.accumulate(arr[:, 1])
    new = np.ones(len(arr), dtype=bool)
    new[1:] = starts[1:] > ends[:-1]
    groups = np.cumsum(new) - 1
    merged_ends = np.zeros(groups[-1] + 1 if len(groups) else 0, dtype=np.int64)
    np.maximum.at(merged_ends, groups, ends)
    return starts[new], merged_ends


def in_peaks(
    peaks: Mapping[str, tuple[np.ndarray, np.ndarray]], chroms: Sequence[str], positions: np.ndarray
) -> np.ndarray:
    """1.0 where the 1-based position's base lies inside a peak, else 0.0; shape ``(N,)``."""
    out = np.zeros(len(chroms), dtype=np.float64)
    chroms_arr = np.asarray(chroms, dtype=object)
    for chrom in pd.unique(chroms_arr):
        iv = peaks.get(contig_key(chrom))
        if iv is None or len(iv[0]) == 0:
            continue
        rows = np.nonzero(chroms_arr == chrom)[0]
        base = np.asarray(positions)[rows] - 1
        idx = np.searchsorted(iv[0], base, side="right") - 1
        hit = (idx >= 0) & (base < iv[1][np.maximum(idx, 0)])
        out[rows] = hit.astype(np.float64)
    return out


def write_narrowpeak(
    path: str | os.PathLike,
    peaks: Iterable[tuple[str, int, int, float]],
    *,
    name_prefix: str = "peak",
) -> None:
    """Write peaks ``(chrom, start, end, signal)`` as ENCODE narrowPeak (gzipped if ``.gz``).

    Columns: chrom, start, end, name, score (0-1000 from the signal), strand ``.``, signalValue,
    pValue ``-1``, qValue ``-1``, summit (offset of the middle).
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
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        if os.fspath(path).endswith(".gz"):
            with gzip.GzipFile(filename="", fileobj=fh, mode="wb", mtime=0) as gz:
                gz.write(text)
        else:
            fh.write(text)


def read_bed_intervals(path: str | os.PathLike) -> tuple[pd.DataFrame, list[Rejection]]:
    """Every interval of a BED / narrowPeak file (plain or gzipped), one row each, unmerged.

    Returns
    -------
    table : pandas.DataFrame
        ``N`` rows in file order: ``chrom``, ``start``, ``end`` (int64, 0-based half-open), the
        further fields as strings (:data:`BED_COLUMNS`, :data:`NARROWPEAK_EXTRA`; as many as the
        widest row has, empty where a row is shorter), ``_line`` (1-based) and ``_raw``.
    rejected : list of Rejection
        Rows with fewer than 3 fields or whose start/end are not whole numbers with
        ``start < end``; comment, ``track`` and ``browser`` lines are skipped.

    Raises
    ------
    NcvError
        If the file is missing, binary or not UTF-8 (naming the line).
    """
    rows: list[list[str]] = []
    meta: list[tuple[int, str]] = []
    rejected: list[Rejection] = []
    with open_text(path, what="a BED file", expected=PEAKS_EXPECTED) as fh:
        for number, text in iter_lines(fh, path, long_lines="mark"):
            if not text.strip() or text.startswith(("#", "track", "browser")):
                continue
            fields = text.split("\t") if "\t" in text else text.split()
            problem = _interval_problem(fields)
            if isinstance(text, TooLong) or "\x00" in text:
                problem = (
                    f"a damaged line (NUL bytes, or over {MAX_LINE >> 20} MiB)",
                    "damaged line",
                )
                text = text[:200]
            if problem is not None:
                rejected.append(Rejection(number, text, *problem))
                continue
            rows.append([f.strip() for f in fields])
            meta.append((number, text))
    return _interval_frame(rows, meta), rejected


def _interval_problem(fields: list[str]) -> tuple[str, str] | None:
    if len(fields) < 3:
        return f"short row: {len(fields)} fields, BED needs chrom, start, end", "short row"
    start, end = fields[1].strip(), fields[2].strip()
    if not (start.isdigit() and end.isdigit()):
        bad = start if not start.isdigit() else end
        return f"BED start/end {bad!r} is not a whole number", "malformed number"
    if int(end) <= int(start):
        return f"BED interval [{start}, {end}) is empty (end must exceed start)", "out of range"
    return None


def _interval_frame(rows: list[list[str]], meta: list[tuple[int, str]]) -> pd.DataFrame:
    width = max((len(r) for r in rows), default=3)
    names = list(BED_COLUMNS[: min(width, 6)])
    extra = NARROWPEAK_EXTRA if width == 10 else [f"field{k}" for k in range(7, width + 1)]
    names += list(extra)[: max(width - 6, 0)]
    padded = [r + [""] * (width - len(r)) for r in rows]
    frame = pd.DataFrame(padded, columns=names) if rows else pd.DataFrame(columns=names)
    frame["start"] = frame["start"].astype(np.int64)
    frame["end"] = frame["end"].astype(np.int64)
    frame["_line"] = np.array([m[0] for m in meta], dtype=np.int64)
    frame["_raw"] = [m[1] for m in meta]
    return frame
