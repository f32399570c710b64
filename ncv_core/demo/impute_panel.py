"""The demo's imputation panel: 8 cell lines with a known low-rank structure, tracks missing on
purpose, and a second species' tracks for zero-shot imputation (``DEMO/impute/``).

Added beside a built demo, never changing its files. The three demo cell lines (GM12878, HepG2,
K562) are *programs*; five more cell lines ``MIX1``-``MIX5`` are tissue-like mixtures of them:
for every mark, the true signal of a mixture is :data:`MIX_WEIGHTS` times the three programs'
true signals (recomputed from the demo's own seed streams, so GM12878's truth here is exactly
the truth behind the demo's GM12878 tracks), observed as a fresh experiment (own gain, background
and noise, ``demo.signal.observe``). So across cell lines the true tensor has rank 3 per mark.

:data:`MISSING` lists the (cell line, mark) pairs left out of ``impute/tracks.tsv``; their truth
is listed in ``impute/hidden.tsv`` (the demo's own files for the three programs, ``hidden/``
for the mixtures). The second species (``impute_species.py``) has its own genome and lacks one
mark entirely (:data:`ZERO_SHOT_MARK`). ``docs/IMPUTATION.md`` describes the files.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ncv_core.constants import CELL_LINES, MARKS
from ncv_core.demo.build import DemoPaths, is_complete
from ncv_core.demo.impute_species import ZERO_SHOT_MARK, build_species2
from ncv_core.demo.layout import Layout, make_layout
from ncv_core.demo.panel_files import (
    REGION_BP,
    bed_text,
    blocks,
    panel_experiments,
    promoter_rows,
    write_track,
)
from ncv_core.demo.signal import experiment_parameters, observe, true_signal
from ncv_core.errors import NcvError
from ncv_core.io.manifest import manifest_text
from ncv_core.io.tables import atomic_path, read_json, write_text
from ncv_core.progress import ProgressFn, report

PANEL_VERSION = 1
"""Version of the panel's generative model (recorded in ``panel.json`` and the stamp)."""
FOLDER, STAMP = "impute", "impute.complete"
MIX_WEIGHTS: dict[str, tuple[float, float, float]] = {
    "MIX1": (0.8, 0.1, 0.1),
    "MIX2": (0.1, 0.8, 0.1),
    "MIX3": (0.1, 0.1, 0.8),
    "MIX4": (0.5, 0.5, 0.0),
    "MIX5": (0.0, 0.5, 0.5),
}
"""Weights of GM12878, HepG2 and K562's true signals in each mixture cell line."""
MISSING: dict[str, tuple[str, ...]] = {
    "GM12878": ("DNase",),
    "HepG2": ("H3K4me1",),
    "K562": ("H3K36me3",),
    "MIX1": ("H3K4me2", "H3K9me3"),
    "MIX2": ("DNase", "H3K79me2"),
    "MIX3": ("H3K4me3", "H3K27me3"),
    "MIX4": ("H3K27ac", "H4K20me1"),
    "MIX5": ("H3K9ac", "H3K36me3"),
}
"""Tracks left out of the panel's manifest (13 of 88). GM12878's DNase is the one the variant
model misses most (DNase is the demo's best single feature)."""


@dataclass(frozen=True)
class PanelPaths:
    """Where the panel's files are (all under ``root`` = ``DEMO/impute``)."""

    root: Path
    tracks: Path
    hidden: Path
    regions: Path
    promoters: Path
    species2: Path
    truth: Path

    @classmethod
    def at(cls, root: str | os.PathLike) -> PanelPaths:
        root = Path(root)
        return cls(
            root,
            root / "tracks.tsv",
            root / "hidden.tsv",
            root / "regions.bed",
            root / "promoters.bed",
            root / "species2",
            root / "panel.json",
        )


def demo_streams(seed: int) -> tuple[Layout, dict, list]:
    """The demo's layout, experiment parameters and per-track seeds, drawn exactly as
    ``build_demo`` draws them (a test checks the tracks they give equal the demo's files)."""
    rng_layout, _, _, rng_tracks = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )
    layout = make_layout(rng_layout)
    experiments = experiment_parameters(rng_tracks, CELL_LINES)
    seeds = np.random.SeedSequence(int(rng_tracks.integers(2**63))).spawn(
        len(CELL_LINES) * len(MARKS)
    )
    return layout, experiments, seeds


def program_signals(layout: Layout, seeds: list, mark: str) -> np.ndarray:
    """True signal of ``mark`` in the three programs, shape (3, n_bins) at the demo's bin."""
    k = MARKS.index(mark)
    return np.stack(
        [
            true_signal(layout, cell, mark, np.random.default_rng(seeds[j * len(MARKS) + k]))
            for j, cell in enumerate(CELL_LINES)
        ]
    )


def _mixtures(root: Path, seed: int, progress: ProgressFn | None) -> tuple[list, list, dict]:
    """Write the mixtures' tracks; manifest rows (measured, hidden) and their experiments."""
    layout, _, seeds = demo_streams(seed)
    rng = np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(b"impute-panel")]))
    cells = tuple(MIX_WEIGHTS)
    experiments = panel_experiments(rng, cells)
    track_seeds = np.random.SeedSequence(int(rng.integers(2**63))).spawn(len(cells) * len(MARKS))
    weights = np.array([MIX_WEIGHTS[c] for c in cells])
    measured, hidden = [], []
    for k, mark in enumerate(MARKS):
        report(progress, "impute panel: mixtures", k, len(MARKS), mark=mark)
        programs = program_signals(layout, seeds, mark)
        for i, cell in enumerate(cells):
            truth = weights[i] @ programs
            exp = experiments[cell][mark]
            signal = observe(
                truth, mark, exp, np.random.default_rng(track_seeds[i * len(MARKS) + k])
            )
            gone = mark in MISSING[cell]
            sub = "hidden" if gone else "tracks"
            bw, pk, n = write_track(root / sub / cell, mark, signal, mark, exp, layout.contigs)
            exp["n_peaks"] = n
            row = {"cell_line": cell, "mark": mark, "signal": f"{sub}/{cell}/{bw}",
                   "peaks": f"{sub}/{cell}/{pk}"}  # fmt: skip
            (hidden if gone else measured).append(row)
    report(progress, "impute panel: mixtures", len(MARKS), len(MARKS))
    return measured, hidden, experiments


def _programs() -> tuple[list, list]:
    """Manifest rows of the demo's own tracks (``../tracks``): measured ones and hidden ones."""
    measured, hidden = [], []
    for cell in CELL_LINES:
        for mark in MARKS:
            row = {"cell_line": cell, "mark": mark, "signal": f"../tracks/{cell}/{mark}.bw",
                   "peaks": f"../tracks/{cell}/{mark}.narrowPeak"}  # fmt: skip
            (hidden if mark in MISSING[cell] else measured).append(row)
    return measured, hidden


def build_impute_panel(
    demo: DemoPaths | str | os.PathLike, seed: int = 0, *, progress: ProgressFn | None = None
) -> PanelPaths:
    """Write ``DEMO/impute/`` for a built demo of ``seed`` (atomically: all or nothing).

    Returns
    -------
    PanelPaths
    """
    paths = demo if isinstance(demo, DemoPaths) else DemoPaths.at(demo)
    if not is_complete(paths.root, seed):
        raise NcvError(f"not a complete demo of seed {seed}: build it first", path=paths.root)
    target = paths.root / FOLDER
    with atomic_path(target, folder=True) as tmp:
        measured, hidden = _programs()
        mixed, mixed_hidden, experiments = _mixtures(tmp, seed, progress)
        write_text(manifest_text(measured + mixed), tmp / "tracks.tsv")
        write_text(manifest_text(hidden + mixed_hidden), tmp / "hidden.tsv")
        layout = demo_streams(seed)[0]
        write_text(bed_text(blocks(layout.contigs)), tmp / "regions.bed")
        write_text(bed_text(promoter_rows(layout)), tmp / "promoters.bed")
        species2 = build_species2(tmp / "species2", seed, progress=progress)
        truth = {
            "format": "ncv-demo-impute-panel",
            "version": PANEL_VERSION,
            "seed": seed,
            "programs": list(CELL_LINES),
            "mix_weights": MIX_WEIGHTS,
            "missing": MISSING,
            "region_bp": REGION_BP,
            "experiments": experiments,
            "species2": {**species2, "zero_shot_mark": ZERO_SHOT_MARK},
        }
        write_text(json.dumps(truth, indent=1) + "\n", tmp / "panel.json")
        write_text(json.dumps({"version": PANEL_VERSION, "seed": seed}) + "\n", tmp / STAMP)
    return PanelPaths.at(target)


def panel_complete(root: str | os.PathLike, seed: int = 0) -> bool:
    """Whether ``root`` (``DEMO/impute``) holds a finished panel of this version and seed."""
    stamp = Path(root) / STAMP
    try:
        return stamp.is_file() and read_json(stamp) == {"version": PANEL_VERSION, "seed": seed}
    except NcvError:
        return False


def ensure_impute_panel(
    demo: DemoPaths | str | os.PathLike, seed: int = 0, *, progress: ProgressFn | None = None
) -> PanelPaths:
    """The panel of a built demo, built first when missing (concurrent callers: the first
    finished build stays, the other is discarded)."""
    paths = demo if isinstance(demo, DemoPaths) else DemoPaths.at(demo)
    root = paths.root / FOLDER
    if not panel_complete(root, seed):
        build_impute_panel(paths, seed, progress=progress)
    return PanelPaths.at(root)
