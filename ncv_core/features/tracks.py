"""The tracks of one cell line, checked against a genome: features per locus."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ncv_core.constants import FEATURE_KINDS, MARKS
from ncv_core.coords import contig_key
from ncv_core.errors import NcvError, warn
from ncv_core.io.bigwig import WindowBeds, bigwig_contigs, signal_values, window_signal_stats
from ncv_core.io.genome import Genome
from ncv_core.io.manifest import TrackSpec, cell_lines, read_manifest
from ncv_core.io.peaks import in_peaks, read_peaks


class TrackSet:
    """The tracks of one cell line, checked against a genome's contigs.

    Parameters
    ----------
    specs : sequence of TrackSpec
        Manifest rows (all cell lines; those of ``cell_line`` are used).
    cell_line : str
        Which cell line's tracks to use.
    genome : ncv_core.io.genome.Genome, optional
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
        self._contigs: dict[str, list[str]] = {}
        self.missing_contigs: dict[str, dict[str, int]] = {}
        """bigWig path -> {contig: loci} of the loci seen so far on contigs it has no data for."""
        for spec in self.specs:
            contigs = bigwig_contigs(spec.signal)
            self._contigs[spec.mark] = list(contigs)
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
                self._count_missing(spec, beds)
        report(progress, "tracks", len(self.specs), len(self.specs))
        return pd.DataFrame({name: cols[name] for name in self.feature_names()})

    def _count_missing(self, spec: TrackSpec, beds: WindowBeds) -> None:
        for contig, n in beds.missing(self._contigs[spec.mark]).items():
            seen = self.missing_contigs.setdefault(str(spec.signal), {})
            seen[contig] = seen.get(contig, 0) + n

    def describe(self) -> list[dict]:
        return [s.describe() for s in self.specs]


def warn_missing_contigs(missing: Mapping[str, Mapping[str, int]]) -> None:
    """One warning per bigWig that has no data for contigs some loci are on (their Max and Sum
    are then 0, as for any base without data); ``missing`` is :attr:`TrackSet.missing_contigs`
    (or the feature table's ``meta["tracks_missing_contigs"]``)."""
    for path, contigs in missing.items():
        listed = ", ".join(f"{c} ({n:,} loci)" for c, n in contigs.items())
        total = sum(contigs.values())
        warn(
            f"{path} has no data for {listed}: the Max and Sum features of those {total:,} loci "
            "are 0 for this track (is the bigWig for this genome, and complete?)"
        )


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


def track_signals(
    genome_path: str | os.PathLike,
    tracks_path: str | os.PathLike,
    cell_line: str,
    chrom: str,
    start: int,
    end: int,
) -> tuple[int, dict[str, np.ndarray]]:
    """Per-base signal of every track of a cell line over ``[start, end)`` (0-based), clipped to
    the contig: the clipped start and one ``(n,)`` array per mark, in the paper's mark order
    (bases without data are 0). For drawing the tracks around a locus."""
    with Genome(genome_path) as genome:
        name = genome.resolve(chrom)
        if name is None:
            raise NcvError(f"contig {chrom!r} is not in the genome", path=genome_path)
        length = genome.contigs[name]
    specs = [s for s in read_manifest(tracks_path) if s.cell_line == cell_line]
    specs.sort(key=lambda s: MARKS.index(s.mark) if s.mark in MARKS else len(MARKS))
    lo, hi = max(0, int(start)), min(length, int(end))
    return lo, {s.mark: signal_values(s.signal, name, lo, hi) for s in specs}


def track_peaks(
    tracks_path: str | os.PathLike, cell_line: str, chrom: str, start: int, end: int
) -> dict[str, list[tuple[int, int]]]:
    """The peaks of every track of a cell line that overlap ``[start, end)`` (0-based), for
    drawing beside :func:`track_signals`: ``mark -> [(peak start, peak end), ...]`` (0-based
    half-open, merged, clipped to the range); marks without a peaks file are absent."""
    out: dict[str, list[tuple[int, int]]] = {}
    for spec in read_manifest(tracks_path):
        if spec.cell_line != cell_line or spec.peaks is None:
            continue
        starts, ends = read_peaks(spec.peaks).get(contig_key(chrom), (np.zeros(0), np.zeros(0)))
        hit = (starts < end) & (ends > start)
        out[spec.mark] = [
            (max(int(s), int(start)), min(int(e), int(end)))
            for s, e in zip(starts[hit], ends[hit], strict=True)
        ]
    return out
