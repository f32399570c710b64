"""One contig of a simulated species: substitutions, indels, unaligned segments, an inversion.

The pure half of :mod:`ncv_core.demo.species` (which reads the demo and writes the files; its
docstring describes the model). :func:`evolve_contig` returns the derived sequence, the chains
that align the source contig to it and the per-base map the chains encode, all computed from one
list of blocks, so the sequence, the chains and the truth cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ncv_core.demo.motifs import reverse_complement_codes
from ncv_core.errors import NcvError
from ncv_core.io.chain_files import chain_from_blocks

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
    """How far a simulated species is from the demo genome (see :mod:`ncv_core.demo.species`)."""

    name: str
    substitution_rate: float
    indel_rate: float
    unaligned_fraction: float
    motif_conservation: float
    turnover_rate: float = 0.5
    inversion_length: tuple[int, int] = (40_000, 120_000)


def _new_bases(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(4, size=n, p=NEW_BASE_PROBS).astype(np.int8)


def _mutate(
    codes: np.ndarray,
    protect: np.ndarray,
    erode: np.ndarray,
    spec: SpeciesSpec,
    rng: np.random.Generator,
) -> np.ndarray:
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


def _evolve(
    mutated: np.ndarray, lo: int, hi: int, events: np.ndarray, rng: np.random.Generator
) -> tuple:
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


def _inversion_bounds(
    n: int, occupied: np.ndarray, spec: SpeciesSpec, rng: np.random.Generator
) -> tuple[int, int]:
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


def evolve_contig(
    name: str,
    codes: np.ndarray,
    protect: np.ndarray,
    erode: np.ndarray,
    spec: SpeciesSpec,
    rng: np.random.Generator,
    invert: bool,
) -> dict:
    """Evolve one contig.

    Parameters
    ----------
    name : str
        Contig name (the same on both genomes).
    codes : numpy.ndarray
        Shape ``(n,)`` int8 source bases (0-3 = A, C, G, T; 4 = N, never mutated).
    protect, erode : numpy.ndarray
        Shape ``(n,)`` bool: bases kept intact and out of every gap (conserved instances and
        their pads); bases that turn over at ``spec.turnover_rate``.
    spec : SpeciesSpec
    rng : numpy.random.Generator
    invert : bool
        Whether this contig carries the species' inverted segment.

    Returns
    -------
    dict
        ``target`` (int8 codes of the derived contig), ``chains`` (list of
        :class:`~ncv_core.io.chain_files.Chain`, ids 0: number them when writing), ``tpos``
        (shape ``(n,)``: 0-based forward target position of each source base, -1 unaligned),
        ``minus`` (shape ``(n,)`` bool: aligned to the reverse strand) and ``inversion`` (its
        source and target spans, or None).
    """
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
        + [
            reverse_complement_codes(p[0]) if invert and k == 1 else p[0]
            for k, p in enumerate(parts)
        ]
        + [right]
    )
    target = np.concatenate(seq_parts).astype(np.int8)
    offsets = np.cumsum([0] + [len(s) for s in seq_parts])[1:-1]
    return _chains_and_map(name, n, target, parts, offsets, invert)


def _chains_and_map(
    name: str, n: int, target: np.ndarray, parts: list[tuple], offsets: np.ndarray, invert: bool
) -> dict:
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
