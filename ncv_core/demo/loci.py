"""Placing the demo's loci and planting the motifs that make some of them functional.

Per cell line, a functional locus (label 1) sits on a high-information column of a freshly
planted instance of one of the cell line's JASPAR motifs, inside an element of the class
:data:`~ncv_core.demo.params.POSITIVE_MIX` draws (or in unmarked DNA), and its alt allele is the
column's least likely base, which breaks the motif. A non-functional locus (label 0) sits where
:data:`~ncv_core.demo.params.NEGATIVE_MIX` draws, never on a planted motif. Every active element
also receives intact ("decoy") instances of its cell line's motifs. Positions are global
(:mod:`ncv_core.demo.layout`); the genome's base codes are edited in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ncv_core.demo import params as P
from ncv_core.demo.layout import Layout, contig_offsets, in_intervals
from ncv_core.demo.motifs import (
    Motif,
    breakable_columns,
    breaking_alleles,
    reverse_complement_codes,
    sample_instances,
)

EXCLUDE_BP = 2_000
"""Background loci keep at least this far from the cell line's element centers."""
OPEN_CLASSES = frozenset({"promoter", "enhancer", "enhancer_intragenic", "enhancer_intergenic"})


@dataclass(frozen=True, eq=False)
class Pool:
    """Elements of one class in one cell line: ``centers`` and ``activity``, shape ``(n,)``.

    ``kind`` (``"promoter"`` or ``"enhancer"``) sets the motif-slot span and the cap on
    functional loci per element.
    """

    kind: str
    centers: np.ndarray
    activity: np.ndarray

    @property
    def span(self) -> int:
        return P.SLOT_HALF_SPAN[self.kind]

    @property
    def cap(self) -> int:
        return P.MAX_FUNCTIONAL_PER_ELEMENT[self.kind]


@dataclass
class Locus:
    """One placed locus (global position; alleles as base codes 0-3, -1 until known)."""

    cell: str
    gpos: int
    functional: bool
    klass: str
    labelled: bool = True
    ref: int = -1
    alt: int = -1
    site: dict = field(default_factory=dict)


def class_pools(layout: Layout, cell: str) -> dict[str, Pool]:
    """The element classes loci are drawn from, for one cell line."""
    sets = layout.elements(cell)
    g = layout.genes
    enh_c, enh_a = sets["enhancer"]
    intra = in_intervals(enh_c, *_expressed_bodies(layout, cell))
    silent = g[g[f"expr_{cell}"] == 0]["tss"].to_numpy()
    return {
        "promoter": Pool("promoter", *sets["promoter"]),
        "inactive_promoter": Pool("promoter", silent, np.ones(len(silent))),
        "promoter_flank": Pool("promoter", *sets["promoter"]),
        "enhancer": Pool("enhancer", enh_c, enh_a),
        "enhancer_flank": Pool("enhancer", enh_c, enh_a),
        "enhancer_intragenic": Pool("enhancer", enh_c[intra], enh_a[intra]),
        "enhancer_intergenic": Pool("enhancer", enh_c[~intra], enh_a[~intra]),
        "primed": Pool("enhancer", *sets["primed"]),
    }


def _expressed_bodies(layout: Layout, cell: str) -> tuple[np.ndarray, np.ndarray]:
    """``(starts, ends)`` of the bodies of the genes a cell line expresses."""
    g = layout.genes[layout.genes[f"expr_{cell}"] > 0]
    return g["start"].to_numpy(), g["end"].to_numpy()


def allocate(n: int, mix: dict[str, float]) -> dict[str, int]:
    """Split ``n`` over the classes of ``mix`` exactly (largest remainder, ties by order)."""
    w = np.array(list(mix.values()), dtype=np.float64)
    raw = n * w / w.sum()
    counts = np.floor(raw).astype(int)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return dict(zip(mix, counts.tolist(), strict=True))


class LociSampler:
    """Places loci for all cell lines, planting motif instances into ``genome`` (edited in place).

    Parameters
    ----------
    layout : Layout
    genome : numpy.ndarray
        Shape ``(layout.size,)`` int8 base codes.
    motifs : dict of str to list of Motif
        Each cell line's motifs.
    rng : numpy.random.Generator
    """

    def __init__(
        self,
        layout: Layout,
        genome: np.ndarray,
        motifs: dict[str, list[Motif]],
        rng: np.random.Generator,
    ) -> None:
        self.layout, self.genome, self.motifs, self.rng = layout, genome, motifs, rng
        self.occupied = np.zeros(len(genome), dtype=bool)
        self.instances: dict[str, list[tuple]] = {cell: [] for cell in motifs}
        self.used: dict[str, set[int]] = {cell: set() for cell in motifs}
        self.n_functional: dict[int, int] = {}
        self.pools = {cell: class_pools(layout, cell) for cell in motifs}
        self._centers = {
            cell: np.sort(np.concatenate([c for c, _ in layout.elements(cell).values()]))
            for cell in motifs
        }
        self._bodies = {cell: _expressed_bodies(layout, cell) for cell in motifs}
        offs = contig_offsets(layout.contigs)
        self._lo = np.array([o + P.MARGIN for o in offs.values()], dtype=np.int64)
        self._len = np.array([n - 2 * P.MARGIN for n in layout.contigs.values()], dtype=np.int64)

    # --- motif instances -------------------------------------------------------------------
    def _free(self, gstart: int, length: int) -> bool:
        return not self.occupied[gstart : gstart + length].any()

    def _plant(
        self,
        cell: str,
        motif: Motif,
        gstart: int,
        strand: int,
        role: str,
        column: int | None = None,
    ) -> dict:
        """Write one sampled instance at ``gstart``; with ``column``, force its best base there.

        Returns the site: matrix id, strand, global start, and for a broken ``column`` the global
        variant position ``gpos`` and its ``ref``/``alt`` base codes on the genome strand.
        """
        inst = sample_instances(motif, 1, self.rng)[0]
        site = {"matrix_id": motif.matrix_id, "strand": strand, "gstart": gstart}
        if column is not None:
            best, worst = breaking_alleles(motif, column)
            inst[column] = best
            flip = strand < 0
            site["column"] = column
            site["gpos"] = gstart + (motif.length - 1 - column if flip else column)
            site["ref"], site["alt"] = (3 - best, 3 - worst) if flip else (best, worst)
        seq = inst if strand > 0 else reverse_complement_codes(inst)
        self.genome[gstart : gstart + motif.length] = seq
        self.occupied[gstart : gstart + motif.length] = True
        self.instances[cell].append((gstart, strand, motif.matrix_id, role))
        return site

    def _pick_motif(self, cell: str) -> tuple[Motif, int]:
        """A random motif of the cell line and a random strand (+1/-1)."""
        motif = self.motifs[cell][int(self.rng.integers(len(self.motifs[cell])))]
        return motif, (1 if self.rng.random() < 0.5 else -1)

    def _plant_in_element(
        self, cell: str, center: int, span: int, role: str, broken: bool
    ) -> dict | None:
        """Plant an instance in a free motif slot of an element; ``None`` when all are taken."""
        half = span // P.SLOT_SPACING
        slots = center + P.SLOT_SPACING * (self.rng.permutation(2 * half + 1) - half)
        motif, strand = self._pick_motif(cell)
        for slot in slots.tolist():
            gstart = slot - motif.length // 2
            if self._free(gstart, motif.length):
                column = int(self.rng.choice(breakable_columns(motif))) if broken else None
                return self._plant(cell, motif, gstart, strand, role, column)
        return None

    # --- positions ---------------------------------------------------------------------------
    def _random_positions(self, n: int) -> np.ndarray:
        """``n`` uniform global positions in the usable (margin-trimmed) genome, shape ``(n,)``."""
        k = self.rng.choice(len(self._len), size=n, p=self._len / self._len.sum())
        return self._lo[k] + (self.rng.random(n) * self._len[k]).astype(np.int64)

    def _background_candidates(self, cell: str, n: int, where: str) -> list[int]:
        """Uniform positions at least ``EXCLUDE_BP`` from the cell line's element centers.

        ``where``: ``"background"`` anywhere else; ``"intronic"`` inside the body of a gene the
        cell line expresses; ``"unmarked"`` outside those bodies too (no active mark).
        """
        pos = self._random_positions(n)
        centers = self._centers[cell]
        i = np.searchsorted(centers, pos)
        left = np.abs(pos - centers[np.clip(i - 1, 0, len(centers) - 1)])
        right = np.abs(centers[np.clip(i, 0, len(centers) - 1)] - pos)
        ok = np.minimum(left, right) >= EXCLUDE_BP
        in_genes = in_intervals(pos, *self._bodies[cell])
        if where == "unmarked":
            ok &= ~in_genes
        elif where == "intronic":
            ok &= in_genes
        return pos[ok].tolist()

    # --- loci ----------------------------------------------------------------------------------
    def functional(self, cell: str, klass: str, n: int) -> list[Locus]:
        """``n`` functional loci of one class, each breaking a newly planted motif instance."""
        if klass == "unmarked":
            sites = self._unmarked_sites(cell, n)
        else:
            sites = self._element_sites(cell, self.pools[cell][klass], n)
        if len(sites) < n:
            raise RuntimeError(f"{cell}: too few free motif slots for {n} {klass} loci")
        for site in sites:
            self.used[cell].add(site["gpos"])
        return [
            Locus(cell, s["gpos"], True, klass, ref=s["ref"], alt=s["alt"], site=s) for s in sites
        ]

    def _element_sites(self, cell: str, pool: Pool, n: int) -> list[dict]:
        """Up to ``n`` broken instances in elements drawn by activity ** power.

        An element takes at most ``pool.cap`` functional loci (over all cell lines); full
        elements drop out of the draw.
        """
        w = pool.activity**P.POSITIVE_ACTIVITY_POWER
        taken = np.array([self.n_functional.get(c, 0) for c in pool.centers.tolist()])
        w[taken >= pool.cap] = 0.0
        sites = []
        while len(sites) < n and w.sum() > 0:
            k = int(self.rng.choice(len(w), p=w / w.sum()))
            center = int(pool.centers[k])
            site = self._plant_in_element(cell, center, pool.span, "functional", True)
            if site is not None:
                sites.append(site)
                self.n_functional[center] = self.n_functional.get(center, 0) + 1
            if site is None or self.n_functional[center] >= pool.cap:
                w[k] = 0.0
        return sites

    def _unmarked_sites(self, cell: str, n: int) -> list[dict]:
        """``n`` broken instances placed in unmarked DNA (see :meth:`_background_candidates`)."""
        sites: list[dict] = []
        while len(sites) < n:
            for p in self._background_candidates(cell, 8 * n + 64, "unmarked"):
                if len(sites) == n:
                    break
                motif, strand = self._pick_motif(cell)
                column = int(self.rng.choice(breakable_columns(motif)))
                gstart = p - (column if strand > 0 else motif.length - 1 - column)
                if self._free(gstart, motif.length) and p not in self.used[cell]:
                    sites.append(self._plant(cell, motif, gstart, strand, "functional", column))
        return sites

    def decoys(self, cell: str) -> int:
        """Plant intact instances in every element of the cell line (Poisson per element).

        Returns the number planted.
        """
        n = 0
        for kind in ("promoter", "enhancer", "primed"):
            pool = self.pools[cell][kind]
            counts = self.rng.poisson(P.DECOY_INSTANCES[kind], len(pool.centers))
            for center, k in zip(pool.centers.tolist(), counts.tolist(), strict=True):
                for _ in range(k):
                    site = self._plant_in_element(cell, center, pool.span, "decoy", broken=False)
                    n += site is not None
        return n

    def nonfunctional(self, cell: str, klass: str, n: int) -> list[Locus]:
        """``n`` non-functional loci of one class, never on a planted motif instance."""
        out: list[Locus] = []
        while len(out) < n:
            if klass in ("background", "intronic"):
                cands = self._background_candidates(cell, 4 * n + 8, klass)
            else:
                pool = self.pools[cell][klass]
                cands = self._element_positions(pool, 2 * n + 8, klass.endswith("_flank"))
            for p in cands:
                if len(out) < n and p not in self.used[cell] and not self.occupied[p]:
                    self.used[cell].add(p)
                    out.append(Locus(cell, p, False, klass))
        return out

    def _element_positions(self, pool: Pool, n: int, flank: bool) -> list[int]:
        """``n`` positions in elements drawn by activity ** ``NEGATIVE_ACTIVITY_POWER``: in the
        core (``+- pool.span``), or with ``flank`` in the flanks, where histone marks are but
        accessibility is not.
        """
        w = pool.activity**P.NEGATIVE_ACTIVITY_POWER
        picks = self.rng.choice(len(w), size=n, p=w / w.sum())
        if flank:
            lo, hi = P.NEGATIVE_FLANK
            side = np.where(self.rng.random(n) < 0.5, -1, 1)
            offsets = self.rng.integers(lo, hi + 1, n) * side
        else:
            offsets = self.rng.integers(-pool.span, pool.span + 1, n)
        return (pool.centers[picks] + offsets).tolist()

    def finish(self, loci: list[Locus]) -> None:
        """Read each locus's reference base from the (final) genome; draw alt alleles of loci
        that have none: a transition with probability ``TRANSITION_FRACTION``, else a transversion.
        """
        transition = np.array([2, 3, 0, 1])  # A<->G, C<->T
        for locus in loci:
            ref = int(self.genome[locus.gpos])
            if locus.functional and ref != locus.ref:
                raise RuntimeError(f"planted base at {locus.gpos} was overwritten")
            locus.ref = ref
            if locus.alt < 0:
                if self.rng.random() < P.TRANSITION_FRACTION:
                    locus.alt = int(transition[ref])
                else:
                    others = [b for b in range(4) if b not in (ref, transition[ref])]
                    locus.alt = int(others[int(self.rng.integers(2))])
