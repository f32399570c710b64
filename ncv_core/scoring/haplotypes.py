"""The two alleles' windows: the reference window and the alt haplotype's, and reverse complements.

The alt window is cut from the alt haplotype (the reference with REF replaced by ALT) starting at
the reference window's first base, so REF's and ALT's first base sit at the same offset
(:func:`ncv_core.coords.variant_offset`, 75 of 150) and both windows have the model's length: an
insertion pushes bases out at the right end, a deletion pulls reference bases in from past it
(:func:`ncv_core.coords.haplotype_window`). Tabular track features are the locus's for both
alleles; the composition features are recomputed for each window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ncv_core.constants import COMPOSITION_COLUMNS
from ncv_core.coords import allele_extra, haplotype_window, variant_offset, window_bounds
from ncv_core.errors import NcvError
from ncv_core.sequence import composition, reverse_complement

__all__ = ["alt_sequences", "alt_table", "rc_table", "ALT_SEQ"]

ALT_SEQ = "alt_seq"
"""Column of a scoring table holding the alt window (built by :func:`alt_sequences`)."""


def alt_sequences(table: pd.DataFrame, genome, window: int) -> list[str]:
    """The alt window of every row of a feature table placed on ``genome``.

    Parameters
    ----------
    table : pandas.DataFrame
        N rows with ``chrom pos ref alt`` (normalised, on the genome's contigs) and ``seq`` (the
        reference windows, length ``window``).
    genome : Genome or SequenceSet
        The reference the rows were placed on; only deletions read from it (the bases past the
        window that the alt window pulls in).

    Returns
    -------
    list of str
        N windows of ``window`` bases.
    """
    seqs, refs, alts = table["seq"].tolist(), table["ref"].tolist(), table["alt"].tolist()
    extra = np.array([allele_extra(len(r), len(a)) for r, a in zip(refs, alts, strict=True)])
    stretches = list(seqs)
    for e in np.unique(extra[extra > 0]).tolist():  # deletions, grouped by how far they reach
        rows = np.nonzero(extra == e)[0]
        starts, _ = window_bounds(table["pos"].to_numpy()[rows], window)
        chroms = table["chrom"].to_numpy()[rows].tolist()
        for i, s in zip(rows.tolist(), genome.fetch_many(chroms, starts, window + e), strict=True):
            stretches[i] = s
    mid = variant_offset(window)
    return [
        haplotype_window(s, mid, len(r), a, window)
        for s, r, a in zip(stretches, refs, alts, strict=True)
    ]


def _with_windows(table: pd.DataFrame, seqs: list[str]) -> pd.DataFrame:
    out = table.copy()
    out["seq"] = seqs
    present = [c for c in COMPOSITION_COLUMNS if c in out.columns]
    if present and seqs:
        comp = composition(seqs)
        for col in present:
            out[col] = comp[col].to_numpy()
    return out


def alt_table(table: pd.DataFrame, window: int) -> pd.DataFrame:
    """``table`` with ``seq`` and the composition columns of the alternative windows.

    The alt windows are the ``alt_seq`` column when present (:func:`alt_sequences`); otherwise
    they are built from ``seq`` alone, which works for SNVs, MNVs and insertions.

    Raises
    ------
    NcvError
        A deletion without ``alt_seq`` (its alt window needs bases past the reference window).
    """
    if ALT_SEQ in table.columns:
        return _with_windows(table, table[ALT_SEQ].astype(str).tolist())
    mid = variant_offset(window)
    refs = table["ref"].tolist() if "ref" in table.columns else [""] * len(table)
    seqs = []
    for seq, ref, alt in zip(table["seq"].tolist(), refs, table["alt"].tolist(), strict=True):
        ref_len = len(ref) or 1
        if allele_extra(ref_len, len(alt)):
            raise NcvError(
                f"the deletion {ref}>{alt} needs the genome for its alt window (the bases past "
                "the reference window): score it with a genome (iter_scores, lookup_variant)"
            )
        seqs.append(haplotype_window(seq, mid, ref_len, alt, window))
    return _with_windows(table, seqs)


def rc_table(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every window reverse-complemented and its composition recomputed (the same
    locus read on the other strand; track features are strandless and stay)."""
    return _with_windows(table, [reverse_complement(s) for s in table["seq"].astype(str)])
