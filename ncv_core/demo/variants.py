"""The demo's loci tables: which loci per cell line, their alleles, labels, ids and baselines.

Counts are Table 1 of the SSL_dnn paper (:data:`ncv_core.constants.PAPER_COUNTS`) plus
:data:`~ncv_core.demo.params.N_UNLABELLED` loci with an empty label, functional at the cell
line's own rate (their hidden labels are in ``truth.json``). Two simulated comparator scores stand
in for the published tools the paper compares against: ``cadd_like`` (cell-agnostic,
deleteriousness-like, weak) and ``deepsea_like`` (knows this cell line's open chromatin,
moderate). Both are noisy functions of the hidden truth, not outputs of those tools.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ncv_core.constants import BASES, LOCUS_COLUMNS, PAPER_COUNTS
from ncv_core.demo import params as P
from ncv_core.demo.layout import Layout, contig_offsets
from ncv_core.demo.loci import OPEN_CLASSES, LociSampler, Locus, allocate
from ncv_core.demo.motifs import Motif

BASELINE_COLUMNS = ("cadd_like", "deepsea_like")


def place_loci(
    layout: Layout, genome: np.ndarray, motifs: dict[str, list[Motif]], rng: np.random.Generator
) -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    """Place every cell line's loci, planting motifs into ``genome`` (edited in place).

    Functional loci of all cell lines come first (each needs a free motif slot), then intact
    decoy instances, then non-functional loci (which avoid every planted instance). The
    unlabelled loci are a random subset of each kind, so they come from the same distribution.

    Returns
    -------
    tables : dict of str to pandas.DataFrame
        Per cell line: ``chrom pos ref alt label id cadd_like deepsea_like``, sorted by position,
        ``pos`` 1-based, ``label`` nullable Int8.
    truth : dict of str to dict
        Per cell line: counts, the hidden label and class of every locus, the motif site each
        functional locus breaks, and every planted instance.
    """
    sampler = LociSampler(layout, genome, motifs, rng)
    plan = {cell: _plan(cell) for cell in motifs}
    loci: dict[str, list[Locus]] = {cell: [] for cell in motifs}
    for cell, (n_pos, _, x_pos, _) in plan.items():
        for klass, k in allocate(n_pos + x_pos, P.POSITIVE_MIX[cell]).items():
            loci[cell] += sampler.functional(cell, klass, k)
    decoys = {cell: sampler.decoys(cell) for cell in motifs}
    for cell, (_, n_neg, _, x_neg) in plan.items():
        for klass, k in allocate(n_neg + x_neg, P.NEGATIVE_MIX[cell]).items():
            loci[cell] += sampler.nonfunctional(cell, klass, k)
    for cell, (_, _, x_pos, x_neg) in plan.items():
        _hide_labels(loci[cell], x_pos, x_neg, rng)
    sampler.finish([locus for cell_loci in loci.values() for locus in cell_loci])
    tables, truth = {}, {}
    for cell, cell_loci in loci.items():
        cell_loci.sort(key=lambda locus: locus.gpos)
        ids = [f"{cell}_{i + 1:05d}" for i in range(len(cell_loci))]
        tables[cell] = _table(layout, cell_loci, ids, rng)
        truth[cell] = _truth(layout, cell, plan[cell], cell_loci, ids, sampler.instances[cell])
        truth[cell]["counts"]["decoy_instances"] = decoys[cell]
    return tables, truth


def _hide_labels(loci: list[Locus], x_pos: int, x_neg: int, rng: np.random.Generator) -> None:
    """Mark a random ``x_pos`` functional and ``x_neg`` non-functional loci unlabelled."""
    for functional, k in ((True, x_pos), (False, x_neg)):
        group = [x for x in loci if x.functional == functional]
        for i in rng.choice(len(group), size=k, replace=False).tolist():
            group[i].labelled = False


def _plan(cell: str) -> tuple[int, int, int, int]:
    """(labelled positives, labelled negatives, unlabelled functional, unlabelled non-functional)."""
    n_pos, n_neg = PAPER_COUNTS[cell]
    x_pos = int(round(P.N_UNLABELLED * n_pos / (n_pos + n_neg)))
    return n_pos, n_neg, x_pos, P.N_UNLABELLED - x_pos


def _local(layout: Layout, gpos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Global positions -> (contig names, 0-based local positions)."""
    names = np.array(list(layout.contigs))
    offs = np.array(list(contig_offsets(layout.contigs).values()))
    k = np.searchsorted(offs, gpos, side="right") - 1
    return names[k], gpos - offs[k]


def _table(
    layout: Layout, loci: list[Locus], ids: list[str], rng: np.random.Generator
) -> pd.DataFrame:
    """The loci file's rows: 1-based ``pos``, nullable ``label``, then the baseline scores."""
    chrom, pos0 = _local(layout, np.array([locus.gpos for locus in loci], dtype=np.int64))
    label = pd.array([int(x.functional) if x.labelled else None for x in loci], dtype="Int8")
    frame = pd.DataFrame(
        {
            "chrom": chrom,
            "pos": pos0 + 1,
            "ref": [BASES[x.ref] for x in loci],
            "alt": [BASES[x.alt] for x in loci],
            "label": label,
            "id": ids,
        }
    )
    for name, values in _baselines(loci, rng).items():
        frame[name] = values
    return frame[[*LOCUS_COLUMNS, *BASELINE_COLUMNS]]


def _baselines(loci: list[Locus], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Simulated comparator scores, noisy functions of the hidden truth.

    ``cadd_like`` (PHRED-like, >= 0): rises a little for motif-breaking loci and for loci in
    any annotated element or expressed gene, whatever the cell line's chromatin. ``deepsea_like`` (0-1): rises for
    motif-breaking loci and for loci in this cell line's open chromatin.
    """
    functional = np.array([x.functional for x in loci], dtype=np.float64)
    open_here = np.array([x.klass in OPEN_CLASSES for x in loci], dtype=np.float64)
    marked = np.array([x.klass not in ("background", "unmarked") for x in loci], dtype=np.float64)
    n = len(loci)
    cadd = 8.0 + 1.2 * functional + 1.0 * marked + 3.0 * rng.standard_normal(n)
    logit = -1.5 + 0.6 * functional + 0.5 * open_here + 1.0 * rng.standard_normal(n)
    return {
        "cadd_like": np.round(np.clip(cadd, 0.0, None), 3),
        "deepsea_like": np.round(1.0 / (1.0 + np.exp(-logit)), 4),
    }


def _truth(
    layout: Layout,
    cell: str,
    plan: tuple[int, int, int, int],
    loci: list[Locus],
    ids: list[str],
    instances: list[tuple],
) -> dict:
    """JSON-ready hidden truth of one cell line's loci and planted motif instances."""
    n_pos, n_neg, x_pos, x_neg = plan
    sites = [(i, x) for i, x in zip(ids, loci, strict=True) if x.functional]
    site_chrom, site_start = _local(
        layout, np.array([x.site["gstart"] for _, x in sites], dtype=np.int64)
    )
    inst = np.array([row[0] for row in instances], dtype=np.int64)
    inst_chrom, inst_start = _local(layout, inst)
    return {
        "positive_mix": P.POSITIVE_MIX[cell],
        "negative_mix": P.NEGATIVE_MIX[cell],
        "counts": {
            "positives": n_pos,
            "negatives": n_neg,
            "unlabelled": x_pos + x_neg,
            "unlabelled_functional": x_pos,
            "functional_instances": len(sites),
        },
        "loci": {
            "id": ids,
            "class": [x.klass for x in loci],
            "functional": [int(x.functional) for x in loci],
        },
        "functional_sites": {
            "id": [i for i, _ in sites],
            "matrix_id": [x.site["matrix_id"] for _, x in sites],
            "chrom": site_chrom.tolist(),
            "start": site_start.tolist(),
            "strand": ["+" if x.site["strand"] > 0 else "-" for _, x in sites],
            "column": [x.site["column"] for _, x in sites],
        },
        "instances": {
            "chrom": inst_chrom.tolist(),
            "start": inst_start.tolist(),
            "strand": ["+" if row[1] > 0 else "-" for row in instances],
            "matrix_id": [row[2] for row in instances],
            "role": [row[3] for row in instances],
        },
    }
