"""Files shared by the imputation panel's two species: tracks, region blocks, promoters."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ncv_core.constants import MARKS
from ncv_core.demo import params as P
from ncv_core.demo.layout import Layout, contig_offsets
from ncv_core.demo.signal import assay, call_peaks, resolution, to_intervals
from ncv_core.io.bigwig import write_bigwig
from ncv_core.io.peaks import write_narrowpeak

REGION_BP = 50_000
"""Length of each block of ``regions.bed`` (two per contig: 500 kb, 20,000 25-bp bins)."""
PROMOTER_HALF = 500
"""``promoters.bed``: TSS +- this many bp of every gene."""

PANEL_GAIN_SIGMA = 0.1
"""Log-normal sigma of a panel experiment's gain: the panel's tracks come from one processing
pipeline (like a consortium's normalised fold-change tracks), unlike the demo's three cell lines
(sigma ``EXPERIMENT_GAIN_SIGMA`` = 0.5: different labs)."""
PANEL_BACKGROUND = (0.6, 0.8)
"""Range of a panel experiment's background level, in units of its gain (the demo: 0.3-1.2)."""
PANEL_DEPTH = 4.0
"""The panel's experiments are sequenced this much deeper than the demo's: per-bin noise sigma
divided by it (histone 0.125, DNase 0.05) and background gamma shape multiplied by it."""


def panel_experiments(rng: np.random.Generator, cells: tuple[str, ...]) -> dict[str, dict]:
    """Gain, background and background shape of every (cell line, mark) panel experiment, as
    ``demo.signal.experiment_parameters`` draws them but with :data:`PANEL_GAIN_SIGMA` and
    :data:`PANEL_BACKGROUND`, and :data:`PANEL_DEPTH` times less noise."""
    out: dict[str, dict] = {}
    for cell in cells:
        out[cell] = {}
        for mark in MARKS:
            out[cell][mark] = {
                "gain": round(float(rng.lognormal(0.0, PANEL_GAIN_SIGMA)), 4),
                "background": round(float(rng.uniform(*PANEL_BACKGROUND)), 4),
                "shape": round(
                    PANEL_DEPTH * float(rng.uniform(*P.EXPERIMENT_BACKGROUND_SHAPE[assay(mark)])), 4
                ),
                "bin_noise": P.BIN_NOISE[assay(mark)] / PANEL_DEPTH,
            }
    return out


def write_track(
    folder: Path, stem: str, signal: np.ndarray, mark: str, exp: dict, contigs: dict
) -> tuple[str, str, int]:
    """Write ``folder/stem.bw`` and ``.narrowPeak`` of an observed signal; (bw, peaks, n)."""
    folder.mkdir(parents=True, exist_ok=True)
    width = resolution(mark)
    write_bigwig(folder / f"{stem}.bw", contigs, to_intervals(signal, contigs, width))
    peaks = call_peaks(signal, mark, exp, contigs, width)
    write_narrowpeak(folder / f"{stem}.narrowPeak", peaks, name_prefix=f"{folder.name}_{stem}")
    return f"{stem}.bw", f"{stem}.narrowPeak", len(peaks)


def blocks(contigs: dict[str, int]) -> list[tuple[str, int, int]]:
    """Two :data:`REGION_BP` blocks per contig: at 100 kb and at the middle."""
    out = []
    for name, n in contigs.items():
        for start in (100_000, (n // 2) // 1000 * 1000):
            out.append((name, start, start + REGION_BP))
    return out


def bed_text(rows: list[tuple]) -> str:
    return "".join("\t".join(map(str, r)) + "\n" for r in rows)


def promoter_rows(layout: Layout) -> list[tuple[str, int, int, str]]:
    """TSS +- :data:`PROMOTER_HALF` of every gene, contig coordinates, genome order."""
    offsets = contig_offsets(layout.contigs)
    names, starts = list(offsets), np.array(list(offsets.values()))
    rows = []
    for i, tss in enumerate(np.sort(layout.genes["tss"].to_numpy()).tolist()):
        k = int(np.searchsorted(starts, tss, side="right") - 1)
        local = tss - int(starts[k])
        rows.append((names[k], local - PROMOTER_HALF, local + PROMOTER_HALF, f"gene{i + 1}"))
    return rows
