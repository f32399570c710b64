"""One imputed track over one region, beside what it can be compared with (for the app).

:func:`track_view` returns the imputed 25-bp bins of a (cell line, mark) over one of the model's
regions, in original units, with the measured truth when a manifest has it, the average-activity
baseline (the mean of the same mark's measured tracks in the other cell lines of the species) and
the cell line's measured tracks of other marks, all as 25-bp bin means (the baseline: ``sinh`` of
the mean of their arcsinh, as the scores compute it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ncv_core.errors import NcvError
from ncv_core.impute.predict import impute
from ncv_core.impute.result import AvocadoFit
from ncv_core.impute.sources import layout_regions
from ncv_core.impute.transform import bin_means
from ncv_core.io.bigwig import region_signals
from ncv_core.io.manifest import TrackSpec


@dataclass
class TrackView:
    """Bins of one region: ``starts`` (0-based, shape (n,)) and one (n,) array per track.

    Attributes
    ----------
    region : (chrom, start, end)
    imputed : numpy.ndarray
    truth : numpy.ndarray or None
        The measured track, when one is known.
    baseline : numpy.ndarray or None
        Mean of the mark's measured tracks in the species' other cell lines.
    neighbours : dict of str to numpy.ndarray
        The cell line's measured tracks of other marks, in the model's mark order.
    """

    region: tuple[str, int, int]
    starts: np.ndarray
    imputed: np.ndarray
    truth: np.ndarray | None = None
    baseline: np.ndarray | None = None
    neighbours: dict[str, np.ndarray] = field(default_factory=dict)


def _binned(spec_signal: Any, region: tuple[str, int, int], bin_size: int) -> np.ndarray:
    return bin_means(region_signals(spec_signal, [region])[0], bin_size)


def track_view(
    fit: AvocadoFit,
    card: Mapping[str, Any],
    cell: str,
    mark: str,
    region: int,
    *,
    truth: Sequence[TrackSpec] = (),
    n_neighbours: int = 4,
    device: str | torch.device | None = None,
) -> TrackView:
    """The imputed ``mark`` of ``cell`` over the model's ``region``-th region of its species.

    Parameters
    ----------
    truth : sequence of TrackSpec
        Extra measured tracks (a hidden-truth manifest) to look the truth up in; the card's
        measured tracks are always looked in.
    """
    if cell not in fit.cells:
        raise NcvError(f"the model has no cell line {cell!r}")
    species = fit.cell_species[fit.cells.index(cell)]
    regions = layout_regions(fit.layout)[species]
    if not 0 <= region < len(regions):
        raise NcvError(f"region {region} is not one of the {len(regions)} regions of {species}")
    size = int(fit.layout["bin_size"])
    first = sum(-(-(e - s) // size) for _, s, e in regions[:region])
    chrom, start, end = regions[region]
    n = -(-(end - start) // size)
    scale = float(card["transform"].get("mark_scale", {}).get(mark, 1.0))
    values = impute(fit, cell, mark, device=device)[first : first + n] * scale
    rows = [r for r in card["tracks"] if r["species"] == species]
    measured = {(r["cell_line"], r["mark"]): r["signal"] for r in rows}
    known = {**measured, **{(s.cell_line, s.mark): s.signal for s in truth}}
    where = (chrom, start, end)
    view = TrackView(where, start + size * np.arange(n, dtype=np.int64), values)
    if (cell, mark) in known:
        view.truth = _binned(known[(cell, mark)], where, size)
    others = [p for (c, m), p in measured.items() if m == mark and c != cell]
    if others:  # the mean on the model's arcsinh scale, as the scores' baseline
        stacked = np.arcsinh([_binned(p, where, size) for p in others])
        view.baseline = np.sinh(stacked.mean(axis=0))
    marks = [m for m in fit.assays if m != mark and (cell, m) in measured]
    for m in marks[:n_neighbours]:
        view.neighbours[m] = _binned(measured[(cell, m)], where, size)
    return view
