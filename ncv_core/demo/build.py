"""Building the demo data set on disk, once, safely shared by concurrent sessions.

:func:`build_demo` writes every file of a seed's demo into a folder; :func:`ensure_demo` builds it
into a temporary sibling and renames it into place, so a reader never sees a half-built demo,
and reuses a complete one (marked by :data:`STAMP`). See ``docs/DEMO.md`` for the model.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path

import numpy as np

from ncv_core.constants import CELL_LINES, MARKS
from ncv_core.demo import params as P
from ncv_core.demo.dna import gc_and_cpg, simulate_sequence, to_text
from ncv_core.demo.layout import Layout, contig_offsets, make_layout
from ncv_core.demo.motifs import load_motifs
from ncv_core.demo.signal import (
    call_peaks,
    experiment_parameters,
    observe,
    resolution,
    to_intervals,
    true_signal,
)
from ncv_core.demo.species import SPECIES_DIR, build_species, ensure_species
from ncv_core.demo.variants import BASELINE_COLUMNS, place_loci
from ncv_core.errors import NcvError
from ncv_core.io.bigwig import write_bigwig
from ncv_core.io.cache import cache_root
from ncv_core.io.genome import write_fasta
from ncv_core.io.peaks import write_narrowpeak
from ncv_core.io.tables import atomic_path, read_json, write_table, write_text
from ncv_core.progress import ProgressFn, report

STAMP = "demo.complete"
"""Written last into a finished demo folder: JSON with the demo version and seed."""
ENV_VAR = "NCV_DEMO_DIR"


@dataclass(frozen=True)
class DemoPaths:
    """Where a demo's files are.

    Attributes
    ----------
    root : Path
        The demo folder.
    genome : Path
        ``genome.fa`` (indexed: ``genome.fa.fai`` beside it).
    tracks : Path
        ``tracks.tsv``, the manifest (``cell_line mark signal peaks``, paths relative to it).
    loci : dict of str to Path
        ``loci/<cell line>.tsv`` per cell line.
    truth : Path
        ``truth.json``, the generative model's parameters and hidden truth.
    """

    root: Path
    genome: Path
    tracks: Path
    loci: dict[str, Path]
    truth: Path

    @property
    def species(self) -> Path:
        """``species/``: related genomes and chain files (:mod:`ncv_core.demo.species`)."""
        return self.root / SPECIES_DIR

    @classmethod
    def at(cls, root: str | os.PathLike) -> DemoPaths:
        """The paths of a demo folder (whether or not it is built)."""
        root = Path(root)
        return cls(
            root=root,
            genome=root / "genome.fa",
            tracks=root / "tracks.tsv",
            loci={cell: root / "loci" / f"{cell}.tsv" for cell in CELL_LINES},
            truth=root / "truth.json",
        )


def build_demo(
    out_dir: str | os.PathLike, seed: int = 0, *, progress: ProgressFn | None = None
) -> DemoPaths:
    """Simulate the demo data set for ``seed`` and write it into ``out_dir``.

    Writes ``genome.fa`` (+ ``.fai``), ``tracks.tsv`` with ``tracks/<cell>/<mark>.bw`` and
    ``.narrowPeak`` for 3 cell lines x 11 marks, ``loci/<cell>.tsv``, ``truth.json``, the related
    species (``species/``: :func:`~ncv_core.demo.species.build_species`) and, last, the stamp
    file. The same seed gives byte-identical files.

    Parameters
    ----------
    out_dir : path
        Created if missing; existing demo files in it are overwritten.
    seed : int
        Seed of every random draw.
    progress : callable, optional
        Receives ``{"stage", "done", "total"}`` dicts (stages ``demo: sequence``,
        ``demo: loci``, ``demo: tracks``, ``species``).

    Returns
    -------
    DemoPaths

    Raises
    ------
    NcvError
        If ``seed`` is not a non-negative integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise NcvError(f"the demo seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    paths = DemoPaths.at(out_dir)
    paths.root.mkdir(parents=True, exist_ok=True)
    (paths.root / STAMP).unlink(missing_ok=True)
    rng_layout, rng_dna, rng_loci, rng_tracks = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )
    report(progress, "demo: sequence", 0, 2)
    motifs = {cell: load_motifs(P.CELL_MOTIFS[cell]) for cell in CELL_LINES}
    layout = make_layout(rng_layout)
    all_motifs = [m for cell in CELL_LINES for m in motifs[cell]]
    genome = simulate_sequence(layout.contigs, layout.genes, all_motifs, rng_dna)
    report(progress, "demo: sequence", 2, 2)
    report(progress, "demo: loci", 0, 1)
    tables, loci_truth = place_loci(layout, genome, motifs, rng_loci)
    _write_genome(paths.genome, layout.contigs, genome)
    for cell, table in tables.items():
        write_table(table, paths.loci[cell])
    report(progress, "demo: loci", 1, 1)
    experiments = _write_tracks(paths, layout, rng_tracks, progress)
    gc, cpg = gc_and_cpg(genome)
    truth = _truth(seed, layout, motifs, loci_truth, experiments, gc, cpg)
    write_text(_json_text(truth) + "\n", paths.truth)
    build_species(paths, paths.species, seed, progress=progress)
    write_text(json.dumps({"version": P.DEMO_VERSION, "seed": seed}) + "\n", paths.root / STAMP)
    return paths


def _write_genome(path: Path, contigs: dict[str, int], genome: np.ndarray) -> None:
    offsets = contig_offsets(contigs)
    records = (
        (name, to_text(genome[offsets[name] : offsets[name] + n])) for name, n in contigs.items()
    )
    write_fasta(path, records, index=True)


def _write_tracks(
    paths: DemoPaths, layout: Layout, rng: np.random.Generator, progress: ProgressFn | None
) -> dict[str, dict[str, dict]]:
    """Write every (cell line, mark) bigWig and narrowPeak, and the manifest.

    Returns the experiments' parameters (gain, background, noise shape) with their peak counts.
    """
    experiments = experiment_parameters(rng, CELL_LINES)
    seeds = np.random.SeedSequence(int(rng.integers(2**63))).spawn(len(CELL_LINES) * len(MARKS))
    rows, total, k = [], len(CELL_LINES) * len(MARKS), 0
    report(progress, "demo: tracks", 0, total)
    for cell in CELL_LINES:
        folder = paths.root / "tracks" / cell
        folder.mkdir(parents=True, exist_ok=True)
        for mark in MARKS:
            track_rng = np.random.default_rng(seeds[k])
            exp = experiments[cell][mark]
            signal = observe(true_signal(layout, cell, mark, track_rng), mark, exp, track_rng)
            width = resolution(mark)
            intervals = to_intervals(signal, layout.contigs, width)
            write_bigwig(folder / f"{mark}.bw", layout.contigs, intervals)
            peaks = call_peaks(signal, mark, exp, layout.contigs, width)
            write_narrowpeak(folder / f"{mark}.narrowPeak", peaks, name_prefix=f"{cell}_{mark}")
            exp["n_peaks"] = len(peaks)
            rows.append(
                f"{cell}\t{mark}\ttracks/{cell}/{mark}.bw\ttracks/{cell}/{mark}.narrowPeak\n"
            )
            k += 1
            report(progress, "demo: tracks", k, total)
    write_text("cell_line\tmark\tsignal\tpeaks\n" + "".join(rows), paths.tracks)
    return experiments


def _truth(
    seed: int,
    layout: Layout,
    motifs: dict,
    loci_truth: dict[str, dict],
    experiments: dict[str, dict[str, dict]],
    gc: float,
    cpg: float,
) -> dict:
    """The JSON document of ``truth.json``."""
    cells = {}
    for cell in CELL_LINES:
        sets = layout.elements(cell)
        domains = layout.domains[layout.domains["cell_line"] == cell]
        cells[cell] = {
            "motifs": [m.to_json() for m in motifs[cell]],
            "elements": {
                "expressed_genes": int((layout.genes[f"expr_{cell}"] > 0).sum()),
                "active_promoters": len(sets["promoter"][0]),
                "active_enhancers": len(sets["enhancer"][0]),
                "primed_enhancers": len(sets["primed"][0]),
                "h3k9me3_domains": int((domains["mark"] == "H3K9me3").sum()),
                "h3k27me3_domains": int((domains["mark"] == "H3K27me3").sum()),
            },
            "experiments": experiments[cell],
            **loci_truth[cell],
        }
    return {
        "format": "ncv-demo-truth",
        "version": P.DEMO_VERSION,
        "seed": seed,
        "jaspar_release": P.JASPAR_RELEASE,
        "genome": {
            "contigs": dict(layout.contigs),
            "gc_fraction": round(gc, 4),
            "cpg_observed_expected": round(cpg, 4),
            "genes": int(len(layout.genes)),
            "enhancer_sites": int(len(layout.enhancers)),
        },
        "window": 150,
        "bin": P.BIN,
        "baseline_columns": list(BASELINE_COLUMNS),
        "cell_lines": cells,
    }


def _json_text(obj: object, depth: int = 0) -> str:
    """JSON with one key per line but each list of scalars on one line (readable and small)."""
    pad = " " * (depth + 1)
    if isinstance(obj, dict) and obj:
        items = [f"{pad}{json.dumps(k)}: {_json_text(v, depth + 1)}" for k, v in obj.items()]
    elif isinstance(obj, list) and any(isinstance(v, dict | list) for v in obj):
        items = [pad + _json_text(v, depth + 1) for v in obj]
    else:
        return json.dumps(obj)
    left, right = ("{", "}") if isinstance(obj, dict) else ("[", "]")
    return left + "\n" + ",\n".join(items) + "\n" + " " * depth + right


def default_demo_dir(seed: int = 0) -> Path:
    """Where :func:`ensure_demo` keeps the demo: ``$NCV_DEMO_DIR`` when set, else
    ``<cache>/demo-v{DEMO_VERSION}-seed{seed}`` (cache: :func:`ncv_core.io.cache.cache_root`)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return cache_root() / f"demo-v{P.DEMO_VERSION}-seed{seed}"


def is_complete(path: str | os.PathLike, seed: int = 0) -> bool:
    """Whether ``path`` holds a finished demo of this version and ``seed``."""
    if not (Path(path) / STAMP).is_file():
        return False
    try:
        stamp = read_json(Path(path) / STAMP)
    except NcvError:
        return False
    return stamp == {"version": P.DEMO_VERSION, "seed": seed}


def ensure_demo(
    path: str | os.PathLike | None = None, seed: int = 0, progress: ProgressFn | None = None
) -> DemoPaths:
    """The demo at ``path`` (default :func:`default_demo_dir`), built first if needed.

    The build goes into a temporary sibling folder that is renamed into place when complete, so
    concurrent callers (two app sessions starting at once) never see a half-built demo; when two
    build at once, the first rename wins and the other's copy is discarded.

    Raises
    ------
    NcvError
        If ``path`` exists, is not empty and is not a complete demo of this version and seed.
    """
    target = Path(path).expanduser() if path is not None else default_demo_dir(seed)
    if is_complete(target, seed):
        ensure_species(target, seed)  # a demo written before the species existed gains them
        return DemoPaths.at(target)
    if target.exists() and any(target.iterdir()):
        raise NcvError(
            f"not a complete ncv-explorer demo (version {P.DEMO_VERSION}, seed {seed}); "
            "delete the folder or choose another",
            path=target,
        )
    try:
        with atomic_path(target, folder=True, exclusive=True) as tmp:
            build_demo(tmp, seed, progress=progress)
    except FileExistsError:  # another process finished first
        if not is_complete(target, seed):
            raise
    return DemoPaths.at(target)
