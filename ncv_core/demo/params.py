"""The demo's generative parameters: everything the simulated data set hides, in one place.

``docs/DEMO.md`` explains these numbers; ``truth.json`` records them with every build. Changing
any value changes the files a seed produces, so bump :data:`DEMO_VERSION` with it.
"""

from __future__ import annotations

DEMO_VERSION: int = 1
"""Version of the generative model; part of the default cache folder's name and of truth.json."""

JASPAR_RELEASE: str = "JASPAR2024"
"""The JASPAR release the planted motifs come from (shipped offline by pyjaspar)."""

CONTIGS: dict[str, int] = {
    "chr1": 1_600_000,
    "chr2": 1_400_000,
    "chr3": 1_200_000,
    "chr4": 1_000_000,
    "chr5": 800_000,
}
"""Contig lengths (multiples of :data:`BIN`): 6 Mb, so whole-chromosome hold-outs are possible."""

BIN: int = 20
"""Grid of the simulated signal, bp; DNase tracks are written at this resolution."""
HISTONE_RESOLUTION: int = 100
"""Histone tracks are written at this resolution (mean over bins): nucleosome scale."""

MARGIN: int = 20_000
"""No element, domain or locus lies closer than this to a contig end."""

# --- genome sequence -------------------------------------------------------------------------
ISOCHORE_MEAN_BP: float = 150_000.0
"""Mean length of a base-composition domain (exponentially distributed)."""
ISOCHORE_GC: tuple[float, float] = (0.448, 0.03)
"""Mean and s.d. of a domain's GC fraction before CpG decay (clipped to 0.36-0.56)."""
CPG_DECAY: float = 0.80
"""Fraction of CpG dinucleotides mutated to TpG/CpA in bulk DNA (methyl-CpG deamination)."""
CGI_GC: float = 0.64
"""GC fraction of a CpG island before CpG decay."""
CGI_CPG_DECAY: float = 0.10
"""Fraction of CpGs decayed inside CpG islands (unmethylated, so mostly spared)."""
CGI_HALF_WIDTH: tuple[int, int] = (400, 900)
"""Range of a CpG island's half-width around its TSS, bp."""
BACKGROUND_MOTIF_SPACING: int = 200
"""Bulk DNA holds one occurrence of each cell line's motifs (any of them) per this many bp, drawn
before CpG decay: unbound motif occurrences, so a motif in a window is evidence, not proof, of
function."""

# --- genes, elements and domains --------------------------------------------------------------
GENE_SLOT: int = 30_000
"""The genome is tiled in slots of this size; each holds one gene or is a gene desert."""
DESERT_FRACTION: float = 0.2
"""Fraction of slots that are gene deserts (constitutive H3K9me3 heterochromatin)."""
H3K9ME3_IN_DESERT: float = 0.85
"""Probability that a desert is H3K9me3 heterochromatin in a given cell line."""
GENE_LENGTH: tuple[float, float, int, int] = (15_000.0, 0.7, 3_000, 80_000)
"""Gene body length: log-normal median, sigma, and clip range, bp."""
GENE_CLASSES: dict[str, float] = {
    "housekeeping": 0.45,
    "one_cell_line": 0.25,
    "two_cell_lines": 0.10,
    "silent": 0.20,
}
"""Expression pattern of a gene across the three cell lines."""
CGI_PROBABILITY: dict[str, float] = {"housekeeping": 0.9, "other": 0.5}
"""Probability that a gene's promoter is a CpG island."""
POLYCOMB_PROBABILITY: float = 0.6
"""Probability that a gene silent in a cell line lies in an H3K27me3 (polycomb) domain there."""
POLYCOMB_FLANK: tuple[int, int] = (3_000, 15_000)
"""How far a polycomb domain extends beyond the silent gene, bp."""

N_ENHANCER_SITES: int = 12_000
"""Candidate enhancer sites before spacing and heterochromatin filters."""
ENHANCER_IN_GENE: float = 0.5
"""Fraction of enhancer sites placed inside gene bodies (introns), the rest anywhere in a slot."""
ENHANCER_SPACING: tuple[int, int] = (1_500, 2_000)
"""Minimum distance between two enhancers, and between an enhancer and a TSS, bp."""
ENHANCER_PATTERNS: dict[int, float] = {1: 0.70, 2: 0.15, 3: 0.15}
"""Number of cell lines an enhancer site is used in (most enhancers are cell-type specific)."""
PRIMED_FRACTION: float = 0.25
"""Fraction of a cell line's enhancers that are primed (H3K4me1 only, barely accessible)."""
ACTIVITY_SIGMA: float = 0.8
"""Log-normal sigma of an element's activity in a cell line (TF occupancy, accessibility)."""

# --- motifs ------------------------------------------------------------------------------------
CELL_MOTIFS: dict[str, tuple[str, ...]] = {
    "GM12878": ("MA0080.7", "MA0154.5", "MA0507.3"),  # SPI1, EBF1, POU2F2
    "HepG2": ("MA1494.2", "MA0047.4", "MA0046.3"),  # HNF4A, FOXA2, HNF1A
    "K562": ("MA0140.3", "MA0841.2", "MA0483.2"),  # GATA1::TAL1, NFE2, GFI1B
}
"""JASPAR matrix ids of the transcription factors that drive each cell line's elements."""
DECOY_INSTANCES: dict[str, float] = {"promoter": 1.0, "enhancer": 1.2, "primed": 0.4}
"""Mean number (Poisson) of intact motif instances planted in each element of a cell line."""
SLOT_SPACING: int = 30
"""Spacing of motif slots in an element, bp (longer than any planted motif)."""
SLOT_HALF_SPAN: dict[str, int] = {"promoter": 300, "enhancer": 180}
"""Motif slots cover ``center +- half span``: promoters are wider than enhancers."""
MAX_FUNCTIONAL_PER_ELEMENT: dict[str, int] = {"promoter": 5, "enhancer": 3}
"""At most this many functional loci break motifs in one element (over all cell lines)."""
MIN_BREAK_IC: float = 1.0
"""A functional variant sits on a motif column with at least this information content, bits."""

# --- labelled loci -----------------------------------------------------------------------------
POSITIVE_MIX: dict[str, dict[str, float]] = {
    "GM12878": {"enhancer_intergenic": 0.65, "promoter": 0.05, "unmarked": 0.30},
    "HepG2": {"promoter": 0.38, "enhancer_intergenic": 0.27, "unmarked": 0.35},
    "K562": {"enhancer_intragenic": 0.64, "promoter": 0.06, "unmarked": 0.30},
}
"""Where functional variants (label 1) sit, per cell line: the class of element they break.

Classes: ``promoter`` / ``enhancer`` (the core, +- ``SLOT_HALF_SPAN``, of an active element),
``enhancer_intragenic`` / ``enhancer_intergenic`` (active enhancers inside / outside the body of
an expressed gene), ``unmarked`` (away from the cell line's elements and expressed genes, so no
active mark; heterochromatin allowed: a reporter assay finds function whatever the endogenous
chromatin)."""
NEGATIVE_MIX: dict[str, dict[str, float]] = {
    "GM12878": {
        "background": 0.35,
        "promoter": 0.20,
        "enhancer_intragenic": 0.08,
        "enhancer_flank": 0.10,
        "primed": 0.15,
        "intronic": 0.12,
    },
    "HepG2": {
        "background": 0.22,
        "enhancer_intragenic": 0.18,
        "promoter_flank": 0.16,
        "inactive_promoter": 0.20,
        "primed": 0.12,
        "intronic": 0.12,
    },
    "K562": {
        "background": 0.22,
        "intronic": 0.20,
        "enhancer_intergenic": 0.25,
        "enhancer_flank": 0.08,
        "promoter": 0.05,
        "primed": 0.10,
        "inactive_promoter": 0.10,
    },
}
"""Where non-functional variants (label 0) sit, per cell line. Besides the classes above:
``promoter_flank`` / ``enhancer_flank`` (``NEGATIVE_FLANK`` bp from an active element's center:
histone marks, little accessibility), ``primed`` (core of a primed enhancer),
``inactive_promoter`` (TSS +- 300 bp of a gene the cell line does not express), ``intronic``
(inside an expressed gene, away from elements), ``background`` (anywhere away from elements)."""
NEGATIVE_FLANK: tuple[int, int] = (250, 1_200)
"""Distance range of a flank locus from its element's center, bp."""
N_UNLABELLED: int = 1_000
"""Extra loci per cell line with an empty label (functional at the cell line's own rate)."""
POSITIVE_ACTIVITY_POWER: float = 1.5
"""Functional variants pick elements with probability proportional to activity ** this."""
NEGATIVE_ACTIVITY_POWER: float = -0.5
"""Non-functional loci in elements pick them with probability proportional to activity ** this:
weakly bound elements, whose accessibility is lower."""
TRANSITION_FRACTION: float = 2 / 3
"""Fraction of non-functional alt alleles that are transitions (A<->G, C<->T)."""

# --- tracks ------------------------------------------------------------------------------------
ELEMENT_PROFILES: dict[str, dict[str, tuple[float, int, int]]] = {
    "DNase": {"promoter": (1.0, 0, 200), "enhancer": (0.8, 0, 110), "primed": (0.12, 0, 110)},
    "H3K4me3": {"promoter": (1.0, 350, 300), "enhancer": (0.06, 300, 250)},
    "H3K4me2": {
        "promoter": (0.7, 500, 350),
        "enhancer": (0.45, 350, 300),
        "primed": (0.2, 350, 300),
    },
    "H3K9ac": {"promoter": (0.85, 350, 300), "enhancer": (0.10, 300, 250)},
    "H3K27ac": {
        "promoter": (0.7, 400, 300),
        "enhancer": (0.75, 350, 300),
        "primed": (0.05, 350, 300),
    },
    "H3K4me1": {
        "promoter": (0.25, 1100, 450),
        "enhancer": (0.9, 450, 400),
        "primed": (0.6, 450, 400),
    },
}
"""Per mark and element class: (amplitude, lobe offset bp (0 = one central peak), sigma bp)."""
PEAK_SCALE: dict[str, float] = {
    "DNase": 14.0,
    "H3K4me3": 10.0,
    "H3K4me2": 6.0,
    "H3K9ac": 7.0,
    "H3K27ac": 7.0,
    "H3K4me1": 5.0,
    "H3K36me3": 3.0,
    "H3K79me2": 4.0,
    "H4K20me1": 2.5,
    "H3K27me3": 3.0,
    "H3K9me3": 3.5,
}
"""Fold enrichment over background of an element or domain of unit amplitude and activity."""
SHARP_MARKS: frozenset[str] = frozenset(ELEMENT_PROFILES)
"""Marks drawn as peaks at elements; the others are broad domains."""
ACTIVITY_EXPONENT: dict[str, float] = {"DNase": 1.0, "histone": 0.4}
"""Peak height ~ activity ** exponent, per assay: accessibility follows TF occupancy, histone
marks saturate (also the exponent of expression for gene-body marks)."""
MARK_JITTER: dict[str, float] = {"DNase": 0.15, "histone": 0.6}
"""Log-normal sigma of a mark's height at one element beyond the element's shared activity."""
BIN_NOISE: dict[str, float] = {"DNase": 0.20, "histone": 0.5}
"""Log-normal sigma of per-bin multiplicative noise of the enrichment, at the track's
resolution."""
EXPERIMENT_GAIN_SIGMA: float = 0.5
"""Log-normal sigma of each experiment's overall scale (lab, depth, normalisation)."""
EXPERIMENT_BACKGROUND: tuple[float, float] = (0.3, 1.2)
"""Range of an experiment's background level (uniform), in units of its gain."""
EXPERIMENT_BACKGROUND_SHAPE: dict[str, tuple[float, float]] = {
    "DNase": (6.0, 10.0),
    "histone": (1.5, 4.0),
}
"""Range of the gamma shape of background noise per ``BACKGROUND_BLOCK`` (lower = noisier):
DNase-seq has a cleaner background than histone ChIP-seq."""
BACKGROUND_BLOCK: int = 1_000
"""Background noise is constant over blocks of this size, bp."""
PEAK_FOLD: dict[str, float] = {"sharp": 4.0, "broad": 1.8}
"""Peak calls: bins whose fold over the experiment's background exceeds this (broad: smoothed)."""
BROAD_SMOOTH_BP: int = 2_000
"""Moving-average width before calling broad peaks, bp; broad peaks are at least this long."""
