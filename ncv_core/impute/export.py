"""Imputed tracks on disk: bigWigs of 25-bp bins (original units), narrowPeak by the peak rule,
and the manifest that lists them beside the measured tracks.

Original units: ``sinh`` of the network's output, times the mark's scale when the model was fitted
on median-normalised tracks (the mean median of the mark's measured tracks, ``card["transform"]
["mark_scale"]``): the typical units of that mark among the measured tracks.

:func:`write_imputed_track` writes one (cell line, mark); :func:`export_missing` writes every
(cell line, mark) the model knows but nobody measured into a folder ``D`` (``D/<cell>/<mark>.bw``
and ``.narrowPeak``) with ``D/tracks.tsv``: the measured tracks (absolute paths) plus the
imputed ones, marked ``imputed = 1``, which ``ncv features`` reads as it is. Every file is written
atomically and ``D`` as a whole, so a stop or a crash leaves no half folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ncv_core.errors import NcvError
from ncv_core.impute.peaks import imputed_peaks
from ncv_core.impute.predict import impute
from ncv_core.impute.regions import region_bins
from ncv_core.impute.result import AvocadoFit
from ncv_core.impute.sources import layout_regions
from ncv_core.io.bigwig import write_bigwig
from ncv_core.io.manifest import manifest_text
from ncv_core.io.peaks import write_narrowpeak
from ncv_core.io.tables import atomic_path, write_text
from ncv_core.progress import ProgressFn, StopFlag, report, stopped

MANIFEST = "tracks.tsv"


def missing_pairs(fit: AvocadoFit, card: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (cell line, mark) of the model that was not measured, cell lines then marks in the
    model's order (a mark measured only in another species included: zero-shot)."""
    measured = {tuple(p) for p in card.get("measured", [])}
    return [(c, a) for c in fit.cells for a in fit.assays if (c, a) not in measured]


def _intervals(regions: Sequence[tuple[str, int, int]], values: np.ndarray, bin_size: int) -> dict:
    """bigWig intervals (per contig: starts, ends, values) of the bins of ``regions``."""
    chroms, starts = region_bins(regions, bin_size)
    ends = np.concatenate(
        [np.minimum(np.arange(s, e, bin_size) + bin_size, e) for _, s, e in regions]
    )
    chroms = np.asarray(chroms, dtype=object)
    out = {}
    for chrom in dict.fromkeys(chroms.tolist()):
        rows = np.flatnonzero(chroms == chrom)
        order = rows[np.argsort(starts[rows], kind="stable")]
        out[chrom] = (starts[order], ends[order], values[order])
    return out


def write_imputed_track(
    fit: AvocadoFit,
    card: Mapping[str, Any],
    cell: str,
    mark: str,
    out: str | os.PathLike,
    *,
    peaks: bool = True,
    device: str | torch.device | None = None,
) -> tuple[Path, Path | None]:
    """Write the imputed ``mark`` of ``cell`` as a bigWig (and its peaks beside it).

    Parameters
    ----------
    out : path
        The bigWig; the peaks go to the same name with ``.narrowPeak`` instead of the suffix.
    peaks : bool
        Write the peaks when the card calibrates the rule for ``mark`` (``card["peaks"]``).

    Returns
    -------
    (bigWig path, narrowPeak path or None)
    """
    out = Path(out)
    species = fit.cell_species[fit.cells.index(cell)] if cell in fit.cells else None
    values = impute(fit, cell, mark, device=device)  # NcvError for an unknown cell or mark
    values = values * float(card["transform"].get("mark_scale", {}).get(mark, 1.0))
    regions = layout_regions(fit.layout)[species]
    size = int(fit.layout["bin_size"])
    write_bigwig(out, card["chrom_sizes"][species], _intervals(regions, values, size))
    rule = card.get("peaks", {}).get("marks", {}).get(mark)
    if not peaks or rule is None:
        return out, None
    target = out.with_suffix(".narrowPeak")
    called = imputed_peaks(values, regions, float(rule["fraction"]), bin_size=size)
    with atomic_path(target) as tmp:
        write_narrowpeak(tmp, called, name_prefix=f"{cell}_{mark}_imputed")
    return out, target


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "_"


def export_missing(
    fit: AvocadoFit,
    card: Mapping[str, Any],
    out_dir: str | os.PathLike,
    *,
    measured: Sequence[Mapping[str, Any]] | None = None,
    device: str | torch.device | None = None,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
) -> Path:
    """Impute every absent (cell line, mark) into ``out_dir`` and write ``out_dir/tracks.tsv``.

    Parameters
    ----------
    measured : sequence of dict, optional
        Manifest rows (``cell_line, mark, signal, peaks``) of the measured tracks to list; default
        the card's ``tracks``.
    progress, stop
        ``stage="impute-export"``, ``done``/``total`` tracks; a set ``stop`` raises
        :class:`NcvError` and leaves ``out_dir`` as it was.

    Returns
    -------
    Path
        ``out_dir/tracks.tsv``.
    """
    target = Path(out_dir)
    if target.exists() and (
        not target.is_dir() or (any(target.iterdir()) and not (target / MANIFEST).exists())
    ):
        raise NcvError(
            "refusing to replace: not an imputed-tracks folder (no tracks.tsv)", path=target
        )
    pairs = missing_pairs(fit, card)
    rows = [
        {**r, "signal": str(r["signal"]), "imputed": "0"}
        for r in (card["tracks"] if measured is None else measured)
    ]
    with atomic_path(target, folder=True) as tmp:
        for k, (cell, mark) in enumerate(pairs):
            if stopped(stop):
                raise NcvError("imputing the missing tracks was stopped; nothing was written")
            report(progress, "impute-export", k, len(pairs), track=f"{cell} {mark}")
            (tmp / _safe(cell)).mkdir(exist_ok=True)
            rel = f"{_safe(cell)}/{_safe(mark)}.bw"
            _, peaks = write_imputed_track(fit, card, cell, mark, tmp / rel, device=device)
            rows.append(
                {
                    "cell_line": cell,
                    "mark": mark,
                    "signal": rel,
                    "peaks": None if peaks is None else str(peaks.relative_to(tmp)),
                    "imputed": "1",
                }
            )
        report(progress, "impute-export", len(pairs), len(pairs))
        write_text(manifest_text(rows), tmp / MANIFEST)
    return target / MANIFEST
