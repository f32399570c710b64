"""Where things are in the simulated genome: genes, promoters, enhancers, chromatin domains.

All positions here are *global*: 0-based offsets into the concatenation of the contigs in
:data:`~ncv_core.demo.params.CONTIGS` order (:func:`contig_offsets` converts). Every element and
domain keeps :data:`~ncv_core.demo.params.MARGIN` bp away from a contig end, so no profile or
locus window ever crosses one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ncv_core.constants import CELL_LINES
from ncv_core.demo import params as P


@dataclass(frozen=True, eq=False)
class Layout:
    """The hidden annotation of the demo genome.

    Attributes
    ----------
    contigs : dict of str to int
        Contig lengths, genome order.
    genes : pandas.DataFrame
        One row per gene: ``start, end`` (body, global, half-open), ``tss``, ``strand`` (+1/-1),
        ``klass`` (a key of ``GENE_CLASSES``), ``cgi_half`` (CpG-island half-width, 0 = none), and
        per cell line ``expr_<cell>`` (activity, 0 = silent) and ``polycomb_<cell>`` (bool).
    enhancers : pandas.DataFrame
        One row per enhancer site: ``center`` and per cell line ``state_<cell>`` (0 off,
        1 primed, 2 active) and ``activity_<cell>``.
    domains : pandas.DataFrame
        Heterochromatin: ``start, end, mark`` (``H3K9me3`` or ``H3K27me3``), ``cell_line``.
    """

    contigs: dict[str, int]
    genes: pd.DataFrame
    enhancers: pd.DataFrame
    domains: pd.DataFrame

    @property
    def size(self) -> int:
        return int(sum(self.contigs.values()))

    def elements(self, cell: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """A cell line's active promoters, active and primed enhancers.

        Returns
        -------
        dict
            ``{"promoter" | "enhancer" | "primed": (centers, activity)}``, arrays shape ``(n,)``.
        """
        g, e = self.genes, self.enhancers
        expr = g[f"expr_{cell}"].to_numpy()
        state, act = e[f"state_{cell}"].to_numpy(), e[f"activity_{cell}"].to_numpy()
        centers = e["center"].to_numpy()
        return {
            "promoter": (g["tss"].to_numpy()[expr > 0], expr[expr > 0]),
            "enhancer": (centers[state == 2], act[state == 2]),
            "primed": (centers[state == 1], act[state == 1]),
        }

    def domain_intervals(self, cell: str, mark: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(starts, ends)`` of a cell line's heterochromatin domains (one mark, or both)."""
        return _domain_bounds(self.domains, cell, mark)


def contig_offsets(contigs: dict[str, int]) -> dict[str, int]:
    """Global offset of each contig's first base."""
    ends = np.cumsum(list(contigs.values()))
    return dict(zip(contigs, (ends - np.array(list(contigs.values()))).tolist(), strict=True))


def in_intervals(points: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Whether each point lies in any of (possibly overlapping) half-open intervals.

    Parameters
    ----------
    points : numpy.ndarray
        Shape ``(n,)`` positions.
    starts, ends : numpy.ndarray
        Shape ``(k,)`` interval bounds.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)`` bool.
    """
    points = np.asarray(points, dtype=np.int64)
    if len(starts) == 0 or len(points) == 0:
        return np.zeros(len(points), dtype=bool)
    order = np.argsort(starts, kind="stable")
    s, e = np.asarray(starts)[order], np.maximum.accumulate(np.asarray(ends)[order])
    i = np.searchsorted(s, points, side="right") - 1
    return (i >= 0) & (points < e[np.maximum(i, 0)])


def make_layout(rng: np.random.Generator) -> Layout:
    """Draw genes, heterochromatin domains and enhancers (in that order) from ``rng``."""
    genes, deserts = _make_genes(rng)
    domains = _make_domains(rng, genes, deserts)
    enhancers = _make_enhancers(rng, genes, deserts, domains)
    return Layout(contigs=dict(P.CONTIGS), genes=genes, enhancers=enhancers, domains=domains)


def _slots() -> np.ndarray:
    """Gene slots over the usable part of each contig, shape ``(n, 2)`` global (start, end)."""
    out = []
    for name, off in contig_offsets(P.CONTIGS).items():
        starts = np.arange(P.MARGIN, P.CONTIGS[name] - P.MARGIN - P.GENE_SLOT + 1, P.GENE_SLOT)
        out.append(np.stack([starts + off, starts + off + P.GENE_SLOT], axis=1))
    return np.concatenate(out)


def _usable_bounds(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The usable (margin-trimmed) span of the contig holding each global point."""
    offs = np.array(list(contig_offsets(P.CONTIGS).values()))
    lens = np.array(list(P.CONTIGS.values()))
    k = np.searchsorted(offs, points, side="right") - 1
    return offs[k] + P.MARGIN, offs[k] + lens[k] - P.MARGIN


def _make_genes(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Genes (one per non-desert slot) and the desert slots, shape ``(d, 2)``."""
    slots = _slots()
    desert = rng.random(len(slots)) < P.DESERT_FRACTION
    gslots = slots[~desert]
    n = len(gslots)
    tss = gslots[:, 0] + (rng.uniform(0.2, 0.8, n) * P.GENE_SLOT).astype(np.int64)
    strand = np.where(rng.random(n) < 0.5, 1, -1)
    med, sigma, lo, hi = P.GENE_LENGTH
    length = np.clip(rng.lognormal(np.log(med), sigma, n), lo, hi).astype(np.int64)
    lo_bound, hi_bound = _usable_bounds(tss)
    start = np.where(strand > 0, tss, np.maximum(tss - length, lo_bound))
    end = np.where(strand > 0, np.minimum(tss + length, hi_bound), tss)
    classes = list(P.GENE_CLASSES)
    klass = rng.choice(classes, size=n, p=list(P.GENE_CLASSES.values()))
    cgi_p = np.where(
        klass == "housekeeping", P.CGI_PROBABILITY["housekeeping"], P.CGI_PROBABILITY["other"]
    )
    cgi_half = np.where(rng.random(n) < cgi_p, rng.integers(*P.CGI_HALF_WIDTH, size=n), 0)
    genes = pd.DataFrame(
        {
            "start": start,
            "end": end,
            "tss": tss,
            "strand": strand,
            "klass": klass,
            "cgi_half": cgi_half,
        }
    )
    active = _gene_activity_pattern(rng, klass)
    for j, cell in enumerate(CELL_LINES):
        act = rng.lognormal(0.0, P.ACTIVITY_SIGMA, n)
        genes[f"expr_{cell}"] = np.where(active[:, j], act, 0.0)
        genes[f"polycomb_{cell}"] = ~active[:, j] & (rng.random(n) < P.POLYCOMB_PROBABILITY)
    return genes, slots[desert]


def _gene_activity_pattern(rng: np.random.Generator, klass: np.ndarray) -> np.ndarray:
    """Which cell lines express each gene, shape ``(n, 3)`` bool, from its expression class."""
    n, k = len(klass), len(CELL_LINES)
    n_cells = np.select(
        [klass == "housekeeping", klass == "one_cell_line", klass == "two_cell_lines"], [k, 1, 2], 0
    )
    rank = np.argsort(np.argsort(rng.random((n, k)), axis=1), axis=1)
    return rank < n_cells[:, None]


def _make_domains(
    rng: np.random.Generator, genes: pd.DataFrame, deserts: np.ndarray
) -> pd.DataFrame:
    """H3K9me3 over most deserts, H3K27me3 (polycomb) over silent genes and their flanks."""
    frames = []
    for cell in CELL_LINES:
        keep = rng.random(len(deserts)) < P.H3K9ME3_IN_DESERT
        d = deserts[keep]
        frames.append(_domain_frame(d[:, 0] + 2_000, d[:, 1] - 2_000, "H3K9me3", cell))
        pc = genes[genes[f"polycomb_{cell}"]]
        lo_bound, hi_bound = _usable_bounds(pc["tss"].to_numpy())
        flank = rng.integers(*P.POLYCOMB_FLANK, size=(len(pc), 2))
        start = np.maximum(pc["start"].to_numpy() - flank[:, 0], lo_bound)
        end = np.minimum(pc["end"].to_numpy() + flank[:, 1], hi_bound)
        frames.append(_domain_frame(start, end, "H3K27me3", cell))
    return pd.concat(frames, ignore_index=True)


def _domain_frame(start: np.ndarray, end: np.ndarray, mark: str, cell: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "start": np.asarray(start, dtype=np.int64),
            "end": np.asarray(end, dtype=np.int64),
            "mark": mark,
            "cell_line": cell,
        }
    )


def _enhancer_centers(
    rng: np.random.Generator, genes: pd.DataFrame, deserts: np.ndarray
) -> np.ndarray:
    """Candidate enhancer centers: half in gene bodies (introns), half anywhere in gene slots."""
    n = P.N_ENHANCER_SITES
    slots = _slots()
    is_desert = in_intervals(slots[:, 0], deserts[:, 0], deserts[:, 1])
    gslots = slots[~is_desert]
    k = rng.integers(0, len(gslots), n)
    anywhere = gslots[k, 0] + rng.integers(0, P.GENE_SLOT, n)
    g = rng.integers(0, len(genes), n)
    body_start, body_end = genes["start"].to_numpy()[g], genes["end"].to_numpy()[g]
    in_body = body_start + (rng.random(n) * (body_end - body_start)).astype(np.int64)
    centers = np.where(rng.random(n) < P.ENHANCER_IN_GENE, in_body, anywhere)
    centers = np.sort(centers)
    tss = np.sort(genes["tss"].to_numpy())
    i = np.searchsorted(tss, centers)
    near = np.minimum(
        np.abs(centers - tss[np.clip(i - 1, 0, len(tss) - 1)]),
        np.abs(tss[np.clip(i, 0, len(tss) - 1)] - centers),
    )
    centers = centers[near >= P.ENHANCER_SPACING[1]]
    kept: list[int] = []
    for c in centers.tolist():
        if not kept or c - kept[-1] >= P.ENHANCER_SPACING[0]:
            kept.append(c)
    return np.array(kept, dtype=np.int64)


def _make_enhancers(
    rng: np.random.Generator, genes: pd.DataFrame, deserts: np.ndarray, domains: pd.DataFrame
) -> pd.DataFrame:
    """Enhancer sites with their state (off / primed / active) and activity per cell line."""
    centers = _enhancer_centers(rng, genes, deserts)
    n, k = len(centers), len(CELL_LINES)
    sizes = np.array(list(P.ENHANCER_PATTERNS))
    n_cells = rng.choice(sizes, size=n, p=list(P.ENHANCER_PATTERNS.values()))
    rank = np.argsort(np.argsort(rng.random((n, k)), axis=1), axis=1)
    used = rank < n_cells[:, None]
    primed = rng.random((n, k)) < P.PRIMED_FRACTION
    activity = rng.lognormal(0.0, P.ACTIVITY_SIGMA, (n, k))
    out = pd.DataFrame({"center": centers})
    for j, cell in enumerate(CELL_LINES):
        starts, ends = _domain_bounds(domains, cell)
        silenced = in_intervals(centers, starts, ends)
        state = np.where(used[:, j] & ~silenced, np.where(primed[:, j], 1, 2), 0)
        out[f"state_{cell}"] = state.astype(np.int8)
        out[f"activity_{cell}"] = np.where(state > 0, activity[:, j], 0.0)
    return out


def _domain_bounds(
    domains: pd.DataFrame, cell: str, mark: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    d = domains[domains["cell_line"] == cell]
    if mark is not None:
        d = d[d["mark"] == mark]
    return d["start"].to_numpy(np.int64), d["end"].to_numpy(np.int64)
