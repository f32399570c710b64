"""Epigenomic tracks: the manifest, bigWig signal and peak intervals.

The only module that touches a bigWig library. Signal is read with ``pybigtools``: its exact
per-window statistics (``average_over_bed``) measured 5-25x faster than pyBigWig's ``stats`` or
``values`` per window on this project's data (``benchmarks/bench_features.py``), and it reads and
writes, so the project uses one bigWig library. Statistics are always over the raw per-base data
(never zoom levels); bases without data count as 0.

A manifest (``tracks.tsv``) is a tab-separated table with the columns ``cell_line``, ``mark``,
``signal`` (bigWig) and, optionally, ``peaks`` (BED or narrowPeak, may be gzipped). Paths may be
relative to the manifest's folder.
"""

from __future__ import annotations

import csv
import gzip
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pybigtools

from ncv_core.constants import FEATURE_KINDS, MARK_ALIASES, MARKS
from ncv_core.errors import NcvError, warn
from ncv_core.genome import contig_key, window_bounds

MANIFEST_COLUMNS = ("cell_line", "mark", "signal", "peaks")


@dataclass(frozen=True)
class TrackSpec:
    """One row of a tracks manifest (paths resolved)."""

    cell_line: str
    mark: str
    signal: Path
    peaks: Path | None
    line: int

    def describe(self) -> dict:
        return {
            "cell_line": self.cell_line,
            "mark": self.mark,
            "signal": str(self.signal),
            "peaks": None if self.peaks is None else str(self.peaks),
        }


def canonical_mark(name: str) -> str:
    """The package's spelling of a mark (``dnase-seq`` -> ``DNase``); other names unchanged."""
    return MARK_ALIASES.get(name.strip().lower(), name.strip())


def read_manifest(path: str | os.PathLike) -> list[TrackSpec]:
    """Parse a tracks manifest; every named file must exist.

    Raises
    ------
    NcvError
        Missing columns or files, empty fields, or a (cell line, mark) listed twice; the message
        names the manifest and line.
    """
    path = Path(path)
    if not path.exists():
        raise NcvError("tracks manifest not found", path=path)
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = [
            (i, r)
            for i, r in enumerate(csv.reader(fh, delimiter="\t"), start=1)
            if r and any(f.strip() for f in r) and not r[0].startswith("#")
        ]
    if not rows:
        raise NcvError(
            "the manifest is empty; expected a header cell_line, mark, signal, peaks", path=path
        )
    header = [h.strip().lower() for h in rows[0][1]]
    missing = [c for c in MANIFEST_COLUMNS[:3] if c not in header]
    if missing:
        raise NcvError(
            f"the header lacks {', '.join(missing)} (found {', '.join(header)}); expected "
            "tab-separated columns cell_line, mark, signal and optionally peaks",
            path=path,
            line=rows[0][0],
        )
    specs, seen = [], {}
    for line, row in rows[1:]:
        spec = _manifest_row(path, line, dict(zip(header, [f.strip() for f in row], strict=False)))
        key = (spec.cell_line, spec.mark)
        if key in seen:
            raise NcvError(
                f"{spec.cell_line} {spec.mark} is listed twice (also line {seen[key]})",
                path=path,
                line=line,
            )
        seen[key] = line
        specs.append(spec)
    unknown = sorted({s.mark for s in specs if s.mark not in MARKS})
    if unknown:
        warn(
            f"{path}: marks {', '.join(unknown)} are not among the paper's 11 "
            f"({', '.join(MARKS)}); they are used as extra features outside the mark groups"
        )
    return specs


def _manifest_row(path: Path, line: int, row: dict[str, str]) -> TrackSpec:
    for col in MANIFEST_COLUMNS[:3]:
        if not row.get(col):
            raise NcvError(f"empty {col}", path=path, line=line)

    def resolve(value: str) -> Path:
        p = Path(os.path.expanduser(value))
        p = p if p.is_absolute() else path.parent / p
        if not p.exists():
            raise NcvError(f"file {value} (resolved to {p}) does not exist", path=path, line=line)
        return p

    peaks = resolve(row["peaks"]) if row.get("peaks") else None
    return TrackSpec(
        row["cell_line"], canonical_mark(row["mark"]), resolve(row["signal"]), peaks, line
    )


def cell_lines(specs: Sequence[TrackSpec]) -> list[str]:
    """Cell lines of a manifest, in order of first appearance."""
    return list(dict.fromkeys(s.cell_line for s in specs))


def _open_bigwig(path: Path):
    try:
        return pybigtools.open(str(path))
    except (pybigtools.BBIReadError, ValueError, OSError) as exc:
        raise NcvError(f"is not a readable bigWig file ({exc})", path=path) from exc


def bigwig_contigs(path: str | os.PathLike) -> dict[str, int]:
    """Contig lengths in a bigWig's header."""
    with _open_bigwig(Path(path)) as bw:
        return dict(bw.chroms())


def read_peaks(path: str | os.PathLike) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Peaks of a BED/narrowPeak file (gzipped or not) as merged sorted intervals per contig key.

    Returns
    -------
    dict
        ``contig_key(chrom) -> (starts, ends)``, int64 arrays, 0-based half-open, non-overlapping.
    """
    path = Path(path)
    opener = gzip.open if _is_gzip(path) else open
    per_chrom: dict[str, list[tuple[int, int]]] = {}
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for line, text in enumerate(fh, start=1):
                if not text.strip() or text.startswith(("#", "track", "browser")):
                    continue
                fields = text.split("\t") if "\t" in text else text.split()
                try:
                    start, end = int(fields[1]), int(fields[2])
                except (IndexError, ValueError):
                    raise NcvError(
                        f"not a BED/narrowPeak row (chrom, start, end, ...): {text.strip()[:80]!r}",
                        path=path,
                        line=line,
                    ) from None
                per_chrom.setdefault(contig_key(fields[0]), []).append((start, end))
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise NcvError(f"cannot read peaks: {exc}", path=path) from exc
    return {k: _merge(v) for k, v in per_chrom.items()}


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


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


class TrackSet:
    """The tracks of one cell line, checked against a genome's contigs.

    Parameters
    ----------
    specs : sequence of TrackSpec
        Manifest rows (all cell lines; those of ``cell_line`` are used).
    cell_line : str
        Which cell line's tracks to use.
    genome : ncv_core.genome.Genome, optional
        When given, every bigWig's contig lengths must agree with it (else: different build), and
        peaks past a contig end are an error.
    """

    def __init__(self, specs: Sequence[TrackSpec], cell_line: str, genome=None) -> None:
        available = cell_lines(specs)
        chosen = [s for s in specs if s.cell_line == cell_line]
        if not chosen:
            raise NcvError(
                f"cell line {cell_line!r} has no tracks in the manifest "
                f"(it lists {', '.join(available) or 'none'})"
            )
        order = {m: i for i, m in enumerate(MARKS)}
        self.cell_line = cell_line
        self.specs = sorted(chosen, key=lambda s: (order.get(s.mark, len(order)), s.mark))
        self.marks = [s.mark for s in self.specs]
        self._peaks: dict[str, dict] = {}
        for spec in self.specs:
            contigs = bigwig_contigs(spec.signal)
            if genome is not None:
                genome.check_compatible(
                    contigs, f"signal file for {cell_line} {spec.mark}", spec.signal
                )
            if spec.peaks is not None:
                self._peaks[spec.mark] = read_peaks(spec.peaks)
                if genome is not None:
                    _check_peaks_fit(self._peaks[spec.mark], genome, spec.peaks)
        missing = [m for m in MARKS if m not in self.marks]
        if missing:
            warn(f"{cell_line} has no track for {', '.join(missing)}: those features are absent")
        no_peaks = [s.mark for s in self.specs if s.peaks is None]
        if no_peaks:
            warn(
                f"{cell_line} has no peaks file for {', '.join(no_peaks)}: no _peak feature for them"
            )

    def feature_names(self) -> list[str]:
        """Columns :meth:`features` returns, in order."""
        return [
            f"{s.mark}_{k}"
            for s in self.specs
            for k in FEATURE_KINDS
            if k != "peak" or s.peaks is not None
        ]

    def features(
        self, chroms: Sequence[str], positions: np.ndarray, window: int, *, progress=None
    ) -> pd.DataFrame:
        """Peak/max/sum features of each locus; columns :meth:`feature_names`, N rows."""
        from ncv_core.progress import report

        cols: dict[str, np.ndarray] = {}
        positions = np.asarray(positions, dtype=np.int64)
        with WindowBeds(chroms, positions, window) as beds:
            for i, spec in enumerate(self.specs):
                report(progress, "tracks", i, len(self.specs), mark=spec.mark)
                if spec.peaks is not None:
                    cols[f"{spec.mark}_peak"] = in_peaks(self._peaks[spec.mark], chroms, positions)
                mx, sm = window_signal_stats(spec.signal, chroms, positions, window, beds=beds)
                cols[f"{spec.mark}_max"], cols[f"{spec.mark}_sum"] = mx, sm
        report(progress, "tracks", len(self.specs), len(self.specs))
        return pd.DataFrame({name: cols[name] for name in self.feature_names()})

    def describe(self) -> list[dict]:
        return [s.describe() for s in self.specs]


def _check_peaks_fit(
    peaks: Mapping[str, tuple[np.ndarray, np.ndarray]], genome, path: Path
) -> None:
    by_key = {contig_key(c): (c, n) for c, n in genome.contigs.items()}
    for key, (_, ends) in peaks.items():
        if key in by_key and len(ends) and ends.max() > by_key[key][1]:
            name, length = by_key[key]
            raise NcvError(
                f"has peaks ending at {int(ends.max()):,}, past the end of {name} "
                f"({length:,} bp in the genome): is it for another genome build?",
                path=path,
            )


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

    writer = pybigtools.open(os.fspath(path), "w")
    writer.write({c: int(n) for c, n in chrom_sizes.items()}, entries())


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
    if os.fspath(path).endswith(".gz"):
        with open(path, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
            gz.write(text)
    else:
        with open(path, "wb") as fh:
            fh.write(text)
