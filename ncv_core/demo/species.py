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

import json
import os
import zlib
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ncv_core.demo.build import DemoPaths
from ncv_core.demo.dna import to_text
from ncv_core.demo.motifs import reverse_complement_codes
from ncv_core.errors import NcvError
from ncv_core.genome import Genome, write_fasta
from ncv_core.io.chain_files import chain_from_blocks, write_chain_file
from ncv_core.progress import ProgressFn, report
from ncv_core.sequence import base_indices
from ncv_core.tables import write_json

SPECIES_VERSION = 1
"""Version of the species simulator; recorded in ``species.json``."""
PAD = 5
"""Bases on each side of a conserved instance that no indel or breakpoint touches."""
SPACING = 8
"""Least aligned bases between two indels or gaps (so every chain block is at least this long)."""
END_TRIM = (1_000, 3_000)
"""Range of the unaligned stretch at each contig end (and of the new sequence replacing it), bp."""
UNALIGNED_LENGTH = (300, 3_000)
"""Range of an unaligned segment's length in the source, bp."""
INDEL_MAX = 20
"""Longest indel, bp (lengths are geometric with p = 0.35, clipped to this)."""
NEW_BASE_PROBS = (0.295, 0.205, 0.205, 0.295)
"""A, C, G, T probabilities of inserted and unaligned sequence (GC 0.41, like the demo)."""


@dataclass(frozen=True)
class SpeciesSpec:
    """How far a simulated species is from the demo genome (see the module docstring)."""

    name: str
    substitution_rate: float
    indel_rate: float
    unaligned_fraction: float
    motif_conservation: float
    turnover_rate: float = 0.5
    inversion_length: tuple[int, int] = (40_000, 120_000)


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
    demo: DemoPaths | str | os.PathLike,
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
        A built demo (its folder): ``genome.fa`` and ``truth.json`` are read.
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
    paths = demo if isinstance(demo, DemoPaths) else DemoPaths.at(demo)
    names = [s.name for s in species]
    if len(set(names)) != len(names) or not all(n.isidentifier() for n in names):
        raise NcvError(f"species names must be distinct identifiers, got {names}")
    instances = _read_instances(paths.truth)
    contigs = _read_genome(paths.genome)
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
    write_json(truth, root / "species.json")
    return SpeciesSet(root=root, species=out, truth=root / "species.json")


def _read_genome(path: Path) -> dict[str, np.ndarray]:
    """The demo genome as int8 base codes per contig (A, C, G, T = 0-3; N = 4)."""
    with Genome(path) as g:
        return {name: base_indices([g.fetch(name, 0, n)])[0] for name, n in g.contigs.items()}


def _read_instances(path: Path) -> _Instances:
    """Every planted instance of truth.json with its motif length, and the functional sites."""
    try:
        doc = json.loads(Path(path).read_text())
        cells = doc["cell_lines"]
    except (OSError, ValueError, KeyError) as exc:
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
        res = _evolve_contig(name, contigs[name], protect, erode, spec, rng, name == inverted)
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


def _new_bases(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(4, size=n, p=NEW_BASE_PROBS).astype(np.int8)


def _mutate(codes: np.ndarray, protect: np.ndarray, erode: np.ndarray, spec, rng) -> np.ndarray:
    """Substitutions outside ``protect``; turnover of the eroded instances' bases on top."""
    n = len(codes)
    hit = (rng.random(n) < spec.substitution_rate) | (erode & (rng.random(n) < spec.turnover_rate))
    hit &= ~protect & (codes < 4)
    out = codes.copy()
    out[hit] = (codes[hit] + rng.integers(1, 4, int(hit.sum()))) % 4
    return out


def _draw_events(occupied: np.ndarray, spec: SpeciesSpec, rng: np.random.Generator) -> np.ndarray:
    """Non-overlapping gap events ``(x, source length, target length)``, sorted, shape ``(m, 3)``.

    Unaligned segments are drawn in rounds until they cover ``unaligned_fraction`` of the contig
    (at most 200 rounds: conserved instances leave gaps between them), then indels; a candidate
    is kept when no base within :data:`SPACING` of it is occupied (protected, a boundary or an
    earlier event). ``occupied`` is updated in place.
    """
    n = len(occupied)
    lo, hi = UNALIGNED_LENGTH
    kept: list[tuple[int, int, int]] = []
    goal, covered = spec.unaligned_fraction * n, 0
    for _ in range(200):
        if covered >= goal:
            break
        k = rng.poisson((goal - covered) / ((lo + hi) / 2)) + 1
        length = rng.integers(lo, hi + 1, k)
        new = np.maximum(1, (length * rng.uniform(0.5, 1.5, k)).astype(np.int64))
        batch = np.stack([rng.integers(0, n - hi, k), length, new], axis=1)
        covered += _accept(batch, occupied, kept, goal - covered)
    k_id = rng.poisson(spec.indel_rate * n)
    length = np.minimum(rng.geometric(0.35, k_id), INDEL_MAX)
    ins = rng.random(k_id) < 0.5
    x = rng.integers(0, n - INDEL_MAX, k_id)
    _accept(
        np.stack([x, np.where(ins, 0, length), np.where(ins, length, 0)], axis=1), occupied, kept
    )
    events = np.array(kept, dtype=np.int64).reshape(-1, 3)
    return events[np.argsort(events[:, 0], kind="stable")]


def _accept(batch: np.ndarray, occupied: np.ndarray, kept: list, budget: float = np.inf) -> int:
    """Keep the candidates of ``batch`` (rows ``x, t_len, q_len``) that touch nothing occupied,
    in order, until ``budget`` source bases are taken; returns the bases taken."""
    taken = 0
    for x, t_len, q_len in batch.astype(np.int64).tolist():
        if taken >= budget:
            break
        a, b = max(x - SPACING, 0), x + t_len + SPACING
        if not occupied[a:b].any():
            occupied[a:b] = True
            kept.append((x, t_len, q_len))
            taken += t_len
    return taken


def _evolve(mutated: np.ndarray, lo: int, hi: int, events: np.ndarray, rng) -> tuple:
    """Apply gap events to source ``[lo, hi)``: the derived sequence and its blocks.

    Returns ``(codes, t_starts, q_starts, sizes)``; block starts are source coordinates and
    offsets into ``codes``; arrays shape ``(k,)``.
    """
    pieces, t0, q0, sizes = [], [], [], []
    cur, q = lo, 0
    for x, t_len, q_len in events.tolist():
        t0.append(cur), q0.append(q), sizes.append(x - cur)
        pieces.append(mutated[cur:x])
        q += x - cur
        pieces.append(_new_bases(rng, q_len))
        q += q_len
        cur = x + t_len
    t0.append(cur), q0.append(q), sizes.append(hi - cur)
    pieces.append(mutated[cur:hi])
    arrays = (np.asarray(a, dtype=np.int64) for a in (t0, q0, sizes))
    return (np.concatenate(pieces).astype(np.int8), *arrays)


def _inversion_bounds(n: int, occupied: np.ndarray, spec: SpeciesSpec, rng) -> tuple[int, int]:
    """A segment ``[i0, i1)`` whose ends touch no occupied base."""
    for _ in range(1000):
        length = int(rng.integers(*spec.inversion_length))
        i0 = int(rng.integers(n // 10, n - n // 10 - length))
        i1 = i0 + length
        if not (
            occupied[i0 - SPACING : i0 + SPACING].any()
            or occupied[i1 - SPACING : i1 + SPACING].any()
        ):
            return i0, i1
    raise NcvError(f"no place for an inversion of {spec.inversion_length} bp on a {n:,}-bp contig")


def _evolve_contig(
    name: str,
    codes: np.ndarray,
    protect: np.ndarray,
    erode: np.ndarray,
    spec: SpeciesSpec,
    rng: np.random.Generator,
    invert: bool,
) -> dict:
    """One contig's target sequence, chains and per-base map (``tpos``: target 0-based, -1 none)."""
    n = len(codes)
    mutated = _mutate(codes, protect, erode, spec, rng)
    trim_l, trim_r, new_l, new_r = (int(v) for v in rng.integers(*END_TRIM, 4))
    occupied = protect.copy()
    occupied[: trim_l + SPACING] = True
    occupied[n - trim_r - SPACING :] = True
    bounds = [trim_l, n - trim_r]
    if invert:
        i0, i1 = _inversion_bounds(n, occupied, spec, rng)
        occupied[i0 - SPACING : i0 + SPACING] = occupied[i1 - SPACING : i1 + SPACING] = True
        bounds = [trim_l, i0, i1, n - trim_r]
    events = _draw_events(occupied, spec, rng)
    parts = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        inside = events[(events[:, 0] >= lo) & (events[:, 0] < hi)]
        parts.append(_evolve(mutated, lo, hi, inside, rng))
    left, right = _new_bases(rng, new_l), _new_bases(rng, new_r)
    seq_parts = (
        [left]
        + [p[0] if k != 1 else reverse_complement_codes(p[0]) for k, p in enumerate(parts)]
        + [right]
    )
    target = np.concatenate(seq_parts).astype(np.int8)
    offsets = np.cumsum([0] + [len(s) for s in seq_parts])[1:-1]
    return _chains_and_map(name, n, target, parts, offsets, invert)


def _chains_and_map(name, n, target, parts, offsets, invert) -> dict:
    """The contig's chains (``+`` over everything but the inversion, ``-`` over it) and map."""
    size = len(target)
    plus = [k for k in range(len(parts)) if not (invert and k == 1)]
    t_plus = np.concatenate([parts[k][1] for k in plus])
    q_plus = np.concatenate([parts[k][2] + offsets[k] for k in plus])
    n_plus = np.concatenate([parts[k][3] for k in plus])
    chains = [chain_from_blocks(name, n, name, size, "+", t_plus, q_plus, n_plus, chain_id=0)]
    tpos = np.full(n, -1, dtype=np.int64)
    minus = np.zeros(n, dtype=bool)
    t_all, q_all = _expand(t_plus, q_plus, n_plus)
    tpos[t_all] = q_all
    inversion = None
    if invert:
        codes, t0, q0, sizes = parts[1]
        q_rc = q0 + (size - offsets[1] - len(codes))
        chains.append(chain_from_blocks(name, n, name, size, "-", t0, q_rc, sizes, chain_id=0))
        t_all, q_all = _expand(t0, q_rc, sizes)
        tpos[t_all], minus[t_all] = size - 1 - q_all, True
        inversion = {
            "chrom": name,
            "start": int(t0[0]),
            "end": int(t0[-1] + sizes[-1]),
            "target_start": int(offsets[1]),
            "target_end": int(offsets[1] + len(codes)),
        }
    return {
        "target": target,
        "chains": chains,
        "tpos": tpos,
        "minus": minus,
        "inversion": inversion,
    }


def _expand(t0: np.ndarray, q0: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every aligned base of blocks: source and target positions, each shape ``(sum(sizes),)``."""
    within = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return np.repeat(t0, sizes) + within, np.repeat(q0, sizes) + within


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
