"""Related "species" of the demo genome, with the chain files that lift the demo ("human") to them.

Each species is the demo genome evolved along its own branch, so the truth of every lifted
position is known:

- **conserved motif instances**: every motif instance the demo planted (``truth.json``:
  functional and decoy) is conserved with probability ``motif_conservation``; a conserved
  instance keeps every base and no indel, unaligned segment or breakpoint touches it (nor
  ``PAD`` bases on either side). The others turn over: besides the species' substitutions,
  each of their bases changes with probability ``turnover_rate``, and indels or unaligned
  segments may hit them. A functional locus keeps its label in a species exactly when its
  instance is conserved there;
- **substitutions** at ``substitution_rate`` per base (uniform over the three other bases);
- **indels** at ``indel_rate`` per base, half insertions of new bases and half deletions,
  lengths geometric (mean about 3, at most 20);
- **unaligned segments**: about ``unaligned_fraction`` of each contig in segments of 300-3,000
  bp replaced by unrelated sequence of 0.5-1.5x the length (double-sided chain gaps), and 1-3 kb
  at each contig end outside every chain;
- **one inverted segment** (40-120 kb) on one contig: the chain covering that contig has a
  double-sided gap there and a second chain, on the ``-`` strand, aligns the inverted segment.

New bases are drawn at GC 0.41. The species' contigs keep the demo's names. Chains are written in
UCSC format by :func:`ncv_core.io.chain_files.write_chain_file`; the positions recorded in
``species.json`` come from the simulator's own alignment, so they can check any liftover tool.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ncv_core.demo.dna import to_text
from ncv_core.demo.evolve import PAD, SpeciesSpec, evolve_contig
from ncv_core.errors import NcvError
from ncv_core.io.chain_files import write_chain_file
from ncv_core.io.genome import Genome, write_fasta
from ncv_core.io.tables import atomic_path, read_json, write_json
from ncv_core.progress import ProgressFn, report
from ncv_core.sequence import base_indices

SPECIES_VERSION = 1
"""Version of the species simulator; recorded in ``species.json``."""
SPECIES_DIR = "species"
"""The species' folder inside a demo (``<demo>/species/``, written by ``build_demo``)."""
TRUTH = "species.json"
DEFAULT_SPECIES: tuple[SpeciesSpec, ...] = (
    SpeciesSpec("chimp_like", 0.012, 0.0012, 0.02, 0.97),
    SpeciesSpec("dog_like", 0.10, 0.006, 0.25, 0.85),
    SpeciesSpec("mouse_like", 0.16, 0.010, 0.40, 0.70),
)
"""Three species: close (about 1% divergent), middle and far (mouse-like: 16% substitutions,
40% unaligned, 70% of motif instances conserved)."""


@dataclass(frozen=True)
class SpeciesPaths:
    """One species' files: ``<name>/genome.fa`` (+ ``.fai``) and the demo -> species chain."""

    name: str
    genome: Path
    chain: Path


@dataclass(frozen=True)
class SpeciesSet:
    """Where :func:`build_species` wrote the species and their truth (``species.json``)."""

    root: Path
    species: dict[str, SpeciesPaths]
    truth: Path


@dataclass(frozen=True)
class _Instances:
    """The demo's planted instances, one row each (``cell``, ``k`` = index in truth.json)."""

    frame: pd.DataFrame
    functional: dict[str, dict]


def build_species(
    demo: object,
    out_dir: str | os.PathLike,
    seed: int = 0,
    *,
    species: tuple[SpeciesSpec, ...] = DEFAULT_SPECIES,
    progress: ProgressFn | None = None,
) -> SpeciesSet:
    """Simulate species from a built demo and write their genomes, chains and truth.

    Writes ``<out_dir>/<name>/genome.fa`` (+ ``.fai``),
    ``<out_dir>/<name>/demo_to_<name>.over.chain.gz`` per species and
    ``<out_dir>/species.json``. The same demo, seed and specs give byte-identical files; each
    species draws from its own stream (seeded by ``seed`` and its name), so adding a species
    leaves the others unchanged.

    Parameters
    ----------
    demo : DemoPaths or path
        A built demo (a :class:`~ncv_core.demo.build.DemoPaths` or its folder): its
        ``genome.fa`` and ``truth.json`` are read.
    out_dir : path
        Created if missing.
    seed : int
        Seed of every draw.
    species : tuple of SpeciesSpec
    progress : callable, optional
        Receives ``{"stage": "species", "done", "total", "species"}``.

    Returns
    -------
    SpeciesSet
    """
    genome, truth_path = _demo_files(demo)
    names = [s.name for s in species]
    if len(set(names)) != len(names) or not all(n.isidentifier() for n in names):
        raise NcvError(f"species names must be distinct identifiers, got {names}")
    instances = _read_instances(truth_path)
    contigs = _read_genome(genome)
    root = Path(out_dir)
    out: dict[str, SpeciesPaths] = {}
    truth: dict = {"format": "ncv-demo-species", "version": SPECIES_VERSION, "seed": seed}
    truth["species"] = {}
    for k, spec in enumerate(species):
        report(progress, "species", k, len(species), species=spec.name)
        rng = np.random.default_rng([seed, zlib.crc32(spec.name.encode())])
        folder = root / spec.name
        folder.mkdir(parents=True, exist_ok=True)
        sp = SpeciesPaths(
            spec.name, folder / "genome.fa", folder / f"demo_to_{spec.name}.over.chain.gz"
        )
        truth["species"][spec.name] = _simulate(spec, contigs, instances, rng, sp)
        out[spec.name] = sp
    report(progress, "species", len(species), len(species))
    write_json(truth, root / TRUTH)
    return SpeciesSet(root=root, species=out, truth=root / TRUTH)


def _demo_files(demo: object) -> tuple[Path, Path]:
    """The demo's ``genome.fa`` and ``truth.json``: a DemoPaths' (``.genome``, ``.truth``), or
    those in a demo folder (the names ``DemoPaths.at`` gives them)."""
    if isinstance(demo, str | os.PathLike):
        return Path(demo) / "genome.fa", Path(demo) / "truth.json"
    return Path(demo.genome), Path(demo.truth)


def open_species(root: str | os.PathLike) -> SpeciesSet:
    """The species written by :func:`build_species` into ``root``, from its ``species.json``.

    Raises
    ------
    NcvError
        If ``root`` holds no readable ``species.json``.
    """
    root = Path(root)
    try:
        doc = read_json(root / TRUTH)
        entries = doc["species"]
        species = {
            name: SpeciesPaths(name, root / e["genome"], root / e["chain"])
            for name, e in entries.items()
        }
    except (KeyError, TypeError) as exc:
        raise NcvError(f"not a species.json of the demo: {exc}", path=root / TRUTH) from exc
    return SpeciesSet(root=root, species=species, truth=root / TRUTH)


def ensure_species(demo_root: str | os.PathLike, seed: int = 0) -> SpeciesSet:
    """The species of the demo in ``demo_root`` (``<demo_root>/species``), built first when a
    demo written before they existed lacks them: into a temporary sibling renamed into place,
    so concurrent callers never see half of them (the first rename wins)."""
    root = Path(demo_root) / SPECIES_DIR
    if not (root / TRUTH).is_file():
        try:
            with atomic_path(root, folder=True, exclusive=True) as tmp:
                build_species(demo_root, tmp, seed)
        except FileExistsError:  # another process finished first
            pass
    return open_species(root)


def _read_genome(path: Path) -> dict[str, np.ndarray]:
    """The demo genome as int8 base codes per contig (A, C, G, T = 0-3; N = 4)."""
    with Genome(path) as g:
        return {name: base_indices([g.fetch(name, 0, n)])[0] for name, n in g.contigs.items()}


def _read_instances(path: Path) -> _Instances:
    """Every planted instance of truth.json with its motif length, and the functional sites."""
    try:
        doc = read_json(path)
        cells = doc["cell_lines"]
    except (NcvError, KeyError) as exc:
        raise NcvError(f"not a demo truth.json: {exc}", path=path) from exc
    frames = []
    for cell, c in cells.items():
        lengths = {m["matrix_id"]: int(m["length"]) for m in c["motifs"]}
        f = pd.DataFrame(c["instances"])
        f.insert(0, "k", np.arange(len(f)))
        f.insert(0, "cell", cell)
        f["length"] = f["matrix_id"].map(lengths).astype(np.int64)
        frames.append(f)
    frame = pd.concat(frames, ignore_index=True)
    return _Instances(frame=frame, functional={c: cells[c]["functional_sites"] for c in cells})


def _simulate(
    spec: SpeciesSpec,
    contigs: dict[str, np.ndarray],
    inst: _Instances,
    rng: np.random.Generator,
    paths: SpeciesPaths,
) -> dict:
    """Evolve every contig, write the genome and the chains; the species' truth entry."""
    frame = inst.frame
    conserved = rng.random(len(frame)) < spec.motif_conservation
    names = list(contigs)
    sizes = np.array([len(contigs[n]) for n in names], dtype=np.float64)
    inverted = names[int(rng.choice(len(names), p=sizes / sizes.sum()))]
    records, chains, maps, inversion = [], [], {}, None
    for name in names:
        rows = (frame["chrom"] == name).to_numpy()
        protect, erode = _masks(len(contigs[name]), frame[rows], conserved[rows])
        res = evolve_contig(name, contigs[name], protect, erode, spec, rng, name == inverted)
        records.append((name, to_text(res["target"])))
        for c in res["chains"]:
            chains.append(replace(c, id=len(chains) + 1))
        maps[name] = (res["tpos"], res["minus"], res["target"])
        inversion = res["inversion"] or inversion
    write_fasta(paths.genome, records, index=True)
    write_chain_file(paths.chain, chains)
    src_codes = {n: contigs[n] for n in names}
    return {
        "spec": asdict(spec),
        "genome": f"{spec.name}/{paths.genome.name}",
        "chain": f"{spec.name}/{paths.chain.name}",
        "contigs": {n: len(m[2]) for n, m in maps.items()},
        "n_chains": len(chains),
        "inversion": inversion,
        **_alignment_stats(src_codes, maps),
        "cell_lines": _instance_truth(inst, conserved, maps),
    }


def _masks(n: int, rows: pd.DataFrame, conserved: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bases of conserved instances (+- PAD) and of the others; each shape ``(n,)`` bool."""
    protect, erode = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    starts, lengths = rows["start"].to_numpy(np.int64), rows["length"].to_numpy(np.int64)
    for s, length, keep in zip(starts.tolist(), lengths.tolist(), conserved.tolist(), strict=True):
        if keep:
            protect[max(s - PAD, 0) : s + length + PAD] = True
        else:
            erode[s : s + length] = True
    return protect, erode & ~protect


def _alignment_stats(src: dict[str, np.ndarray], maps: dict) -> dict:
    """Fraction of source bases aligned, and identity of the aligned bases (strand-aware)."""
    aligned = same = total = 0
    for name, (tpos, minus, target) in maps.items():
        ok = tpos >= 0
        base = target[tpos[ok]]
        base = np.where(minus[ok], 3 - base, base)
        aligned += int(ok.sum())
        same += int((base == src[name][ok]).sum())
        total += len(tpos)
    return {
        "aligned_fraction": round(aligned / total, 4),
        "identity": round(same / max(aligned, 1), 4),
    }


def _instance_truth(inst: _Instances, conserved: np.ndarray, maps: dict) -> dict:
    """Per cell line: each instance's conservation and target place; functional sites' too."""
    frame = inst.frame.assign(conserved=conserved)
    out = {}
    for cell, rows in frame.groupby("cell", sort=False):
        places = [_place(maps, r.chrom, r.start, r.length, r.strand) for r in rows.itertuples()]
        key = {
            (r.chrom, r.start, r.matrix_id): bool(r.conserved)
            for r in rows.itertuples()
            if r.role == "functional"
        }
        fs = inst.functional[cell]
        site_keys = zip(fs["chrom"], fs["start"], fs["matrix_id"], strict=True)
        out[cell] = {
            "instances": {
                "conserved": rows["conserved"].astype(bool).tolist(),
                "chrom": [p[0] for p in places],
                "start": [p[1] for p in places],
                "strand": [p[2] for p in places],
            },
            "functional_sites": {
                "id": list(fs["id"]),
                "conserved": [key.get(k, False) for k in site_keys],
            },
        }
    return out


def _place(maps: dict, chrom: str, start: int, length: int, strand: str) -> tuple:
    """Target ``(chrom, 0-based start, strand)`` of an instance whose bases all map in one
    piece, else ``(None, None, None)``."""
    tpos, minus, _ = maps[chrom]
    tp, mi = tpos[start : start + length], minus[start : start + length]
    if (tp < 0).any() or mi.any() != mi.all():
        return (None, None, None)
    step = -1 if mi[0] else 1
    if length > 1 and not (np.diff(tp) == step).all():
        return (None, None, None)
    flipped = {"+": "-", "-": "+"}[strand] if mi[0] else strand
    return (chrom, int(tp.min()), flipped)
