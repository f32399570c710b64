"""The imputation panel's second species (``DEMO/impute/species2/``): zero-shot imputation.

A genome of its own (the demo's generative model drawn again from another seed stream: new
genes, enhancers, domains and sequence, same contig names and lengths) with three cell lines,
``S2_GM``, ``S2_HEP`` and ``S2_K``, that run the GM12878, HepG2 and K562 programs of *its*
layout. Every mark is measured there except :data:`ZERO_SHOT_MARK`, whose truth is kept in
``hidden/``: Avocado trained on both species imputes it from the first species' measurements of
that mark (shared assay embedding and network) and the second species' other marks (its own
genome factors).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from ncv_core.constants import CELL_LINES, MARKS
from ncv_core.demo import params as P
from ncv_core.demo.dna import simulate_sequence, to_text
from ncv_core.demo.layout import contig_offsets, make_layout
from ncv_core.demo.motifs import load_motifs
from ncv_core.demo.panel_files import (
    bed_text,
    blocks,
    panel_experiments,
    promoter_rows,
    write_track,
)
from ncv_core.demo.signal import observe, true_signal
from ncv_core.io.genome import write_fasta
from ncv_core.io.manifest import manifest_text
from ncv_core.io.tables import write_text
from ncv_core.progress import ProgressFn, report

SPECIES2_CELLS: dict[str, str] = {"S2_GM": "GM12878", "S2_HEP": "HepG2", "S2_K": "K562"}
"""The second species' cell lines and the program each runs."""
ZERO_SHOT_MARK = "H3K27ac"
"""Never measured in the second species (its truth is in ``hidden/``)."""


def build_species2(
    root: str | Path, seed: int = 0, *, progress: ProgressFn | None = None
) -> dict[str, object]:
    """Write the second species' genome, tracks, manifests, regions and promoters into ``root``.

    Returns
    -------
    dict
        Its truth for ``panel.json``: cell lines and programs, experiments, file names.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    streams = np.random.SeedSequence([seed, zlib.crc32(b"impute-species2")]).spawn(3)
    rng_layout, rng_dna, rng_tracks = (np.random.default_rng(s) for s in streams)
    report(progress, "impute panel: species2", 0, len(MARKS) + 1)
    layout = make_layout(rng_layout)
    motifs = [m for cell in CELL_LINES for m in load_motifs(P.CELL_MOTIFS[cell])]
    codes = simulate_sequence(layout.contigs, layout.genes, motifs, rng_dna)
    offsets = contig_offsets(layout.contigs)
    write_fasta(
        root / "genome.fa",
        ((n, to_text(codes[offsets[n] : offsets[n] + size])) for n, size in layout.contigs.items()),
        index=True,
    )
    cells = tuple(SPECIES2_CELLS)
    experiments = panel_experiments(rng_tracks, cells)
    seeds = np.random.SeedSequence(int(rng_tracks.integers(2**63))).spawn(len(cells) * len(MARKS))
    measured, hidden = [], []
    for k, mark in enumerate(MARKS):
        report(progress, "impute panel: species2", k + 1, len(MARKS) + 1, mark=mark)
        for i, cell in enumerate(cells):
            rng = np.random.default_rng(seeds[i * len(MARKS) + k])
            exp = experiments[cell][mark]
            signal = observe(true_signal(layout, SPECIES2_CELLS[cell], mark, rng), mark, exp, rng)
            sub = "hidden" if mark == ZERO_SHOT_MARK else "tracks"
            bw, pk, n = write_track(root / sub / cell, mark, signal, mark, exp, layout.contigs)
            exp["n_peaks"] = n
            row = {"cell_line": cell, "mark": mark, "signal": f"{sub}/{cell}/{bw}",
                   "peaks": f"{sub}/{cell}/{pk}"}  # fmt: skip
            (hidden if mark == ZERO_SHOT_MARK else measured).append(row)
    write_text(manifest_text(measured), root / "tracks.tsv")
    write_text(manifest_text(hidden), root / "hidden.tsv")
    write_text(bed_text(blocks(layout.contigs)), root / "regions.bed")
    write_text(bed_text(promoter_rows(layout)), root / "promoters.bed")
    return {
        "cells": SPECIES2_CELLS,
        "genome": "species2/genome.fa",
        "tracks": "species2/tracks.tsv",
        "hidden": "species2/hidden.tsv",
        "experiments": experiments,
    }
