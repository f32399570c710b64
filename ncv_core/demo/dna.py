"""The demo genome's sequence: isochores, CpG decay and CpG islands, vectorised.

Sequences are int8 base codes 0-3 (A, C, G, T) over the global coordinate of
:mod:`ncv_core.demo.layout`. Bulk DNA is drawn base by base from its isochore's GC fraction, with
occurrences of the cell lines' motifs sprinkled throughout (unbound sites, as in real DNA); then
most CpG dinucleotides decay to TpG or CpA, as methylated cytosines deaminate in mammalian
genomes, which leaves CpG observed/expected near 0.25-0.3. CpG islands at promoters are GC rich
and keep their CpGs (they are unmethylated).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ncv_core.constants import BASES, CELL_LINES
from ncv_core.demo import params as P
from ncv_core.demo.motifs import Motif, reverse_complement_codes, sample_instances

A, C, G, T = range(4)


def simulate_sequence(
    contigs: dict[str, int],
    genes: pd.DataFrame,
    motifs: list[Motif],
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw the genome sequence.

    Parameters
    ----------
    contigs : dict of str to int
        Contig lengths, genome order.
    genes : pandas.DataFrame
        Needs ``tss`` (global) and ``cgi_half`` (CpG-island half-width, 0 = none).
    motifs : list of Motif
        Motifs that occur throughout bulk DNA (all cell lines' motifs): each once per
        ``BACKGROUND_MOTIF_SPACING * len(motifs) / 3`` bp, on either strand.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        Shape ``(sum of lengths,)`` int8 base codes.
    """
    gc = _isochore_gc(contigs, rng)
    cgi = np.zeros(len(gc), dtype=bool)
    isl = genes[genes["cgi_half"] > 0]
    for tss, half in zip(isl["tss"].tolist(), isl["cgi_half"].tolist(), strict=True):
        cgi[tss - half : tss + half] = True
    gc[cgi] = P.CGI_GC
    u = rng.random(len(gc), dtype=np.float32)
    codes = np.full(len(gc), T, dtype=np.int8)
    codes[u < gc + (1 - gc) / 2] = A
    codes[u < gc] = G
    codes[u < gc / 2] = C
    _sprinkle_motifs(codes, motifs, rng)
    _decay_cpg(codes, cgi, rng)
    return codes


def _sprinkle_motifs(codes: np.ndarray, motifs: list[Motif], rng: np.random.Generator) -> None:
    """Write sampled motif instances at uniform positions (in place; later ones may overlap)."""
    per_motif = int(len(codes) * len(CELL_LINES) / (P.BACKGROUND_MOTIF_SPACING * len(motifs)))
    for motif in motifs:
        starts = rng.integers(0, len(codes) - motif.length, per_motif)
        inst = sample_instances(motif, per_motif, rng)
        minus = rng.random(per_motif) < 0.5
        inst[minus] = reverse_complement_codes(inst[minus])
        codes[starts[:, None] + np.arange(motif.length)[None, :]] = inst


def _isochore_gc(contigs: dict[str, int], rng: np.random.Generator) -> np.ndarray:
    """Per-base GC fraction from exponentially sized domains, shape ``(total,)`` float32."""
    parts = []
    mean, sd = P.ISOCHORE_GC
    for length in contigs.values():
        n_dom = int(length / P.ISOCHORE_MEAN_BP * 3) + 2
        bounds = np.cumsum(rng.exponential(P.ISOCHORE_MEAN_BP, n_dom)).astype(np.int64)
        bounds = np.concatenate([[0], bounds[bounds < length], [length]])
        dom_gc = np.clip(rng.normal(mean, sd, len(bounds) - 1), 0.36, 0.56)
        parts.append(np.repeat(dom_gc, np.diff(bounds)).astype(np.float32))
    return np.concatenate(parts)


def _decay_cpg(codes: np.ndarray, cgi: np.ndarray, rng: np.random.Generator) -> None:
    """Mutate CpGs in place: C->T or G->A (equally likely), rarely inside CpG islands.

    Each base belongs to at most one CpG (as its C or as its G), so the edits never collide, and
    neither TpG nor CpA creates a new CpG.
    """
    is_cg = (codes[:-1] == C) & (codes[1:] == G)
    p = np.where(cgi[:-1], P.CGI_CPG_DECAY, P.CPG_DECAY).astype(np.float32)
    hit = is_cg & (rng.random(len(is_cg), dtype=np.float32) < p)
    to_t = hit & (rng.random(len(is_cg), dtype=np.float32) < 0.5)
    codes[:-1][to_t] = T
    codes[1:][hit & ~to_t] = A


def gc_and_cpg(codes: np.ndarray) -> tuple[float, float]:
    """GC fraction and CpG observed/expected (``CpG * N / (C * G)``) of a sequence of codes."""
    n = len(codes)
    c, g = int((codes == C).sum()), int((codes == G).sum())
    cg = int(((codes[:-1] == C) & (codes[1:] == G)).sum())
    return (c + g) / n, (cg * n / (c * g)) if c and g else 0.0


def to_text(codes: np.ndarray) -> str:
    """Base codes as an upper-case string."""
    letters = np.frombuffer(BASES.encode(), dtype=np.uint8)
    return letters[codes].tobytes().decode("ascii")
