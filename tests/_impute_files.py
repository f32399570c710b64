"""A tiny imputation data set on disk: a low-rank tensor written as bigWigs, peaks, manifests.

``write_lowrank(root)`` writes two species (``human``: cell lines h0-h3, ``mouse``: m0-m2) x
the marks :data:`MARKS` over one 10-kb region each (400 bins of 25 bp) on ``chr1`` (1.1 Mb), one bigWig of
25-bp bins per track (values: ``sinh`` of the low-rank tensor, so the model scale is exactly the
tensor), peaks = the track's top 10% bins. ``mouse`` never measured H3K4me3 (zero-shot), and
``h3``'s tracks are in a manifest of their own (for ``--add-cell-line``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ncv_core.impute.synthetic import low_rank_tensor
from ncv_core.io.bigwig import write_bigwig
from ncv_core.io.peaks import write_narrowpeak

CHROM, SIZE, N_BINS = "chr1", 1_100_000, 400
MARKS = ("DNase", "H3K27ac", "H3K4me3")
"""The tensor's assays a0, a1, a2 under real mark names (``mouse`` never measured H3K4me3)."""
START = 1_000_000
"""The region of each species: ``chr1:1,000,000-1,010,000``."""


@dataclass
class LowRankFiles:
    root: Path
    human: Path  # manifest of h0-h2
    new_cell: Path  # manifest of h3 alone
    mouse: Path  # manifest of m0-m2, no a2
    mouse_truth: Path  # manifest of m0-m2's a2 (never measured: the zero-shot truth)
    regions: Path  # human BED
    mouse_regions: Path
    values: dict  # (cell, assay) -> model-scale values, shape (400,)


def _write_track(folder: Path, name: str, values: np.ndarray) -> tuple[str, str]:
    starts = START + 25 * np.arange(len(values))
    write_bigwig(
        folder / f"{name}.bw", {CHROM: SIZE}, {CHROM: (starts, starts + 25, np.sinh(values))}
    )
    top = np.sort(np.argsort(-values, kind="stable")[: len(values) // 10])
    peaks = [(CHROM, int(START + 25 * i), int(START + 25 * i + 25), float(values[i])) for i in top]
    write_narrowpeak(folder / f"{name}.narrowPeak", peaks)
    return f"{name}.bw", f"{name}.narrowPeak"


def _manifest(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    path.write_text("cell_line\tmark\tsignal\tpeaks\n" + "".join("\t".join(r) + "\n" for r in rows))
    return path


def write_lowrank(root: Path, seed: int = 0) -> LowRankFiles:
    root.mkdir(parents=True, exist_ok=True)
    tensors = {
        sp: low_rank_tensor(species=(sp,), n_cells=4, n_assays=3, n_bins=N_BINS, seed=seed + k)
        for k, sp in enumerate(("human", "mouse"))
    }
    rows: dict[str, list] = {"human": [], "new": [], "mouse": [], "truth": []}
    values = {}
    for sp, t in tensors.items():
        for r, (cell, a) in enumerate(t.track_names()):
            assay = MARKS[int(a[1:])]
            name = cell.replace("human_c", "h").replace("mouse_c", "m")
            if name == "m3":
                continue
            values[(name, assay)] = t.signal[r]
            bw, pk = _write_track(root, f"{name}_{assay}", t.signal[r])
            key = sp if sp == "human" and name != "h3" else "new" if sp == "human" else sp
            if sp == "mouse" and assay == MARKS[2]:
                key = "truth"
            rows[key].append((name, assay, bw, pk))
    bed = f"{CHROM}\t{START}\t{START + 25 * N_BINS}\n"
    (root / "human.bed").write_text(bed)
    (root / "mouse.bed").write_text(bed)
    return LowRankFiles(
        root,
        _manifest(root / "human.tsv", rows["human"]),
        _manifest(root / "new.tsv", rows["new"]),
        _manifest(root / "mouse.tsv", rows["mouse"]),
        _manifest(root / "mouse_truth.tsv", rows["truth"]),
        root / "human.bed",
        root / "mouse.bed",
        values,
    )
