"""The Peak feature of an imputed track: a rule calibrated on the measured tracks of its mark.

Avocado imputes signal, not peak calls. An imputed track gets peaks by this rule:

1. **Calibration** (at fit time, on the measured tracks with a peaks file, over the model's
   regions): each track's *peak fraction* is the share of its 25-bp bins whose centre base lies
   in one of its peaks. The fraction of a mark is the mean over its measured tracks (every cell
   line of every species weighs the same); a mark with no measured peaks gets no rule.
2. **Calling**: in an imputed track of that mark, the ``round(fraction * n_bins)`` bins with the
   highest imputed signal (ties broken by position) are peak bins, so the imputed track has the
   measured tracks' peak fraction; consecutive peak bins of one region are merged into one peak
   whose signal is the highest bin mean in it.

Pure computation; ``export.py`` writes the peaks as narrowPeak beside the bigWig.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ncv_core.impute.regions import Region, region_bins
from ncv_core.impute.transform import BIN_SIZE


def mark_peak_fractions(
    fractions: Mapping[tuple[str, str], float],
) -> dict[str, dict[str, float | int]]:
    """Per mark, the mean peak fraction of its measured tracks and how many there were.

    Parameters
    ----------
    fractions : mapping (cell line, mark) -> float
        Each measured track's peak fraction (``sources.TrackInputs.peak_fraction``).

    Returns
    -------
    dict
        ``{mark: {"fraction": float, "n_tracks": int}}``.
    """
    by_mark: dict[str, list[float]] = {}
    for (_, mark), f in fractions.items():
        by_mark.setdefault(mark, []).append(float(f))
    return {m: {"fraction": float(np.mean(v)), "n_tracks": len(v)} for m, v in by_mark.items()}


def imputed_peaks(
    values: np.ndarray,
    regions: Sequence[Region],
    fraction: float,
    *,
    bin_size: int = BIN_SIZE,
) -> list[tuple[str, int, int, float]]:
    """Peaks of an imputed track by the calibrated rule (module docstring).

    Parameters
    ----------
    values : numpy.ndarray, shape (n_bins,)
        Imputed bin means (any monotone scale) over ``regions``' bins, in order.
    regions : sequence of (chrom, start, end)
        The species' regions (snapped: bins start at ``start + k * bin_size``).
    fraction : float
        Target share of peak bins, in [0, 1].

    Returns
    -------
    list of (chrom, start, end, signal)
        0-based half-open, in region order.
    """
    values = np.asarray(values, dtype=np.float64)
    chroms, starts = region_bins(regions, bin_size)
    if values.shape != starts.shape:
        raise ValueError(f"values has shape {values.shape}; the regions hold {len(starts)} bins")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    k = int(round(fraction * len(values)))
    chosen = np.zeros(len(values), dtype=bool)
    chosen[np.argsort(-values, kind="stable")[:k]] = True
    ends = np.concatenate(
        [np.minimum(np.arange(s, e, bin_size) + bin_size, e) for _, s, e in regions]
    )
    region_of = np.repeat(np.arange(len(regions)), [-(-(e - s) // bin_size) for _, s, e in regions])
    new_region = np.ones(len(values), dtype=bool)
    new_region[1:] = region_of[1:] != region_of[:-1]
    first = chosen & (new_region | ~np.roll(chosen, 1))
    last = chosen & (np.roll(new_region, -1) | ~np.roll(chosen, -1))
    first[0], last[-1] = chosen[0], chosen[-1]
    lo, hi = np.flatnonzero(first), np.flatnonzero(last)
    top = [float(values[a : b + 1].max()) for a, b in zip(lo.tolist(), hi.tolist(), strict=True)]
    return [
        (chroms[a], int(starts[a]), int(ends[b]), t)
        for a, b, t in zip(lo.tolist(), hi.tolist(), top, strict=True)
    ]
