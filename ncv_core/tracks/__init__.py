"""Epigenomic tracks: the manifest, bigWig signal and peak intervals.

- :mod:`~ncv_core.tracks.manifest`: ``tracks.tsv`` (cell line, mark, signal, peaks);
- :mod:`~ncv_core.tracks.bigwig`: exact window max/sum and per-base signal (the only module that
  touches a bigWig library);
- :mod:`~ncv_core.tracks.peaks`: peak intervals;
- :mod:`~ncv_core.tracks.trackset`: a cell line's tracks checked against a genome, features per
  locus.
"""

from ncv_core.tracks.bigwig import (
    WindowBeds,
    bigwig_contigs,
    signal_values,
    window_signal_stats,
    write_bigwig,
)
from ncv_core.tracks.manifest import (
    MANIFEST_COLUMNS,
    TrackSpec,
    canonical_mark,
    cell_lines,
    read_manifest,
)
from ncv_core.tracks.peaks import in_peaks, read_peaks, write_narrowpeak
from ncv_core.tracks.trackset import TrackSet

__all__ = [
    "MANIFEST_COLUMNS",
    "TrackSet",
    "TrackSpec",
    "WindowBeds",
    "bigwig_contigs",
    "canonical_mark",
    "cell_lines",
    "in_peaks",
    "read_manifest",
    "read_peaks",
    "signal_values",
    "window_signal_stats",
    "write_bigwig",
    "write_narrowpeak",
]
