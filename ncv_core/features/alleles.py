"""Alleles against a reference: normalisation (left-align and trim), classes, length limits.

Normalisation follows Tan, Abecasis and Kang (2015), "Unified representation of genetic
variants", the algorithm of ``vt normalize`` and ``bcftools norm -f``:

1. while both alleles end with the same base, drop it; when an allele becomes empty, put the
   reference base before the variant in front of both alleles (the position moves one left);
   repeat until neither applies;
2. while both alleles are at least 2 bases long and start with the same base, drop it (the
   position moves one right).

The result is the left-most, shortest representation: a deletion in a homopolymer moves to its
left end, redundant padding bases go (``ACT>AGT`` at 10 becomes ``C>G`` at 11). Pure functions:
the reference comes in as a ``fetch(start, end)`` callable over one contig (0-based half-open),
so the same code normalises against a FASTA and against a sequence of an MPRA library.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["normalize", "allele_class", "length_problem", "describe_rewrite"]

_LEFT_CHUNK = 64


def normalize(
    pos: int, ref: str, alt: str, fetch: Callable[[int, int], str]
) -> tuple[int, str, str]:
    """The normalised ``(pos, ref, alt)`` of a variant whose REF matches the reference.

    Parameters
    ----------
    pos : int
        1-based position of REF's first base.
    ref, alt : str
        Upper-case alleles (non-empty, different).
    fetch : callable
        ``fetch(start, end)`` -> the contig's bases ``[start, end)`` (0-based), upper case.

    Returns
    -------
    tuple
        ``(pos, ref, alt)``; SNVs come back unchanged.

    Raises
    ------
    ValueError
        When left-alignment reaches the contig's first base with an allele still empty (the
        variant cannot be written with a preceding base).
    """
    if len(ref) == 1 and len(alt) == 1:
        return pos, ref, alt
    left = ""  # reference bases just before ``pos``, fetched in chunks as left-alignment walks
    changed = True
    while changed:
        changed = False
        if ref and alt and ref[-1] == alt[-1]:
            ref, alt, changed = ref[:-1], alt[:-1], True
        if not ref or not alt:
            if pos <= 1:
                raise ValueError("cannot left-align past the first base of the contig")
            if not left:
                lo = max(0, pos - 1 - _LEFT_CHUNK)
                left = fetch(lo, pos - 1)
            base, left = left[-1], left[:-1]
            ref, alt, pos, changed = base + ref, base + alt, pos - 1, True
    while len(ref) >= 2 and len(alt) >= 2 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


def allele_class(ref: str, alt: str) -> str:
    """``snv``, ``mnv``, ``insertion``, ``deletion`` or ``complex`` of normalised alleles.

    An insertion is ``X>X...`` (REF one base, ALT starting with it), a deletion ``X...>X``; other
    unequal lengths are complex (a deletion and an insertion at once).
    """
    if len(ref) == len(alt):
        return "snv" if len(ref) == 1 else "mnv"
    if len(ref) == 1 and alt.startswith(ref):
        return "insertion"
    if len(alt) == 1 and ref.startswith(alt):
        return "deletion"
    return "complex"


def length_problem(ref: str, alt: str, max_len: int) -> tuple[str, str] | None:
    """``(reason, category)`` when the normalised event is longer than ``max_len`` bases.

    The event's length is its longer allele (a padding base included), which must fit in the
    half of the window after the variant's offset.
    """
    length = max(len(ref), len(alt))
    if length <= max_len:
        return None
    kind = allele_class(ref, alt)
    return (
        f"{kind} of {length} bp is longer than the limit of {max_len} bp (the longer allele, "
        "after normalisation, must fit in half the window)",
        "too long",
    )


def describe_rewrite(pos: int, ref: str, alt: str, new: tuple[int, str, str]) -> str:
    """The note for a rewritten variant: ``normalised from 105 CA>C (left-aligned by 3 bp)``."""
    new_pos, new_ref, new_alt = new
    how = []
    if len(new_ref) + len(new_alt) < len(ref) + len(alt):
        how.append("trimmed")
    if new_pos < pos:
        how.append(f"left-aligned by {pos - new_pos} bp")
    text = f"normalised from {pos} {ref}>{alt}"
    return text + (f" ({', '.join(how)})" if how else "")
