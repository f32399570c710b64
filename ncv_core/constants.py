"""Names shared by every layer: bases, marks, feature groups, reserved columns.

One canonical base order inside the package: A, C, G, T (JASPAR's, logos', tangermeme's). A model
that needs another order (the SSL_dnn paper's A, T, C, G) permutes at its own input.
"""

from __future__ import annotations

BASES: str = "ACGT"
"""Canonical base order of every one-hot array, PWM and ISM matrix in the package."""

DEFAULT_WINDOW: int = 150
"""Window length in bp; the variant sits at offset ``window // 2`` (75 for 150 bp)."""

MARKS: tuple[str, ...] = (
    "H3K4me1",
    "H3K4me2",
    "H3K4me3",
    "H3K9ac",
    "H3K9me3",
    "H4K20me1",
    "H3K27ac",
    "H3K27me3",
    "H3K36me3",
    "H3K79me2",
    "DNase",
)
"""The 10 histone marks and DNase I of the SSL_dnn paper, in the package's column order."""

MARK_ALIASES: dict[str, str] = {
    **{m.lower(): m for m in MARKS},
    "dnase-seq": "DNase",
    "dnaseseq": "DNase",
    "dnase1": "DNase",
    "dnasei": "DNase",
    "dhs": "DNase",
}
"""Lower-cased spellings accepted in a tracks manifest, mapped to the canonical mark name."""

FEATURE_KINDS: tuple[str, ...] = ("peak", "max", "sum")
"""Per-track features: variant base in a peak (0/1), max and sum of signal over the window."""

COMPOSITION_COLUMNS: tuple[str, ...] = (
    "A_count",
    "T_count",
    "G_count",
    "C_count",
    "GC_count",
    "GT_count",
    "GA_count",
    "AT_skew",
    "GC_skew",
    "skew_ratio",
)
"""The ten nucleotide-composition features of the window, in column order."""

MARK_GROUPS: dict[str, tuple[str, ...]] = {
    "I_enhancer": ("H3K4me1", "H3K27ac"),
    "II_promoter": ("H3K4me2", "H3K4me3", "H3K9ac"),
    "III_structural": ("H3K36me3", "H3K79me2"),
    "IV_heterochromatin": ("H3K9me3", "H3K27me3"),
    "V_gene_body": ("H4K20me1",),
    "VI_dnase": ("DNase",),
}
"""The paper's six functional groups of epigenetic marks (Fig. 2d)."""

NUCLEOTIDE_GROUP: str = "nucleotide"
SEQUENCE_GROUP: str = "sequence"

CELL_LINES: tuple[str, ...] = ("GM12878", "HepG2", "K562")

PAPER_COUNTS: dict[str, tuple[int, int]] = {
    "GM12878": (683, 2745),
    "HepG2": (523, 1432),
    "K562": (340, 1356),
}
"""(positives, negatives) per cell line, Table 1 of the SSL_dnn paper."""

LOCUS_COLUMNS: tuple[str, ...] = ("chrom", "pos", "ref", "alt", "label", "id")
"""Leading columns of every loci and feature table. ``pos`` is 1-based (VCF convention)."""

RESERVED_COLUMNS: frozenset[str] = frozenset(LOCUS_COLUMNS) | {"seq"}
"""Columns that are never model features."""

MISSING_VALUES: frozenset[str] = frozenset({"", "na", "nan", ".", "none", "null"})
"""Lower-cased cell texts read as a missing value (an empty label, a missing score)."""

SCORE_COLUMNS: tuple[str, ...] = ("p_ref", "p_alt", "diff", "logit_diff", "log2fc")
"""Per-variant score columns (one set per task for multi-task models), see :mod:`ncv_core.score`."""

PERCENTILE_COLUMNS: tuple[str, ...] = ("p_ref_percentile", "diff_percentile")
"""Score context against random SNVs (per task, after the score columns), see
:mod:`ncv_core.scoring.background`: ``p_ref`` and ``|diff|`` as percentiles of the background's."""


def feature_columns(marks: tuple[str, ...] | list[str]) -> list[str]:
    """Epigenetic feature column names for ``marks``, then the composition columns.

    Parameters
    ----------
    marks : sequence of str
        Mark names, in the order their columns should appear.

    Returns
    -------
    list of str
        ``{mark}_peak, {mark}_max, {mark}_sum`` for each mark, then :data:`COMPOSITION_COLUMNS`.
    """
    cols = [f"{m}_{k}" for m in marks for k in FEATURE_KINDS]
    return cols + list(COMPOSITION_COLUMNS)


def group_columns(group: str, columns: list[str] | tuple[str, ...]) -> list[str]:
    """The columns of ``columns`` that belong to a feature group.

    ``group`` is a key of :data:`MARK_GROUPS` or :data:`NUCLEOTIDE_GROUP`. The ``sequence`` group
    has no tabular columns (it is the one-hot input) and returns an empty list.
    """
    if group == NUCLEOTIDE_GROUP:
        return [c for c in columns if c in COMPOSITION_COLUMNS]
    if group == SEQUENCE_GROUP:
        return []
    if group not in MARK_GROUPS:
        known = ", ".join([*MARK_GROUPS, NUCLEOTIDE_GROUP, SEQUENCE_GROUP])
        raise ValueError(f"unknown feature group {group!r}; expected one of {known}")
    prefixes = tuple(f"{m}_" for m in MARK_GROUPS[group])
    return [c for c in columns if c.startswith(prefixes)]
