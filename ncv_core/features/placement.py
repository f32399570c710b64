"""One locus against a reference: contig, bounds, REF, normalisation, the windows, duplicates.

The checks :func:`ncv_core.features.loci.place` runs on every row, one row at a time. The
reference is anything with ``contigs`` (name -> length) and ``fetch(chrom, start, end)``: a
:class:`ncv_core.io.genome.Genome`, or the in-memory sequences of an MPRA library
(:class:`ncv_core.features.sequences.SequenceSet`, whose ``label`` names a contig in messages).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ncv_core.coords import span_bounds
from ncv_core.features.alleles import describe_rewrite, length_problem, normalize

__all__ = ["Deduplicator", "Placed", "place_row"]


@dataclass(frozen=True)
class Placed:
    """A row that passed: its (normalised) position and alleles, and a note when rewritten."""

    pos: int
    ref: str
    alt: str
    note: str = ""


class Deduplicator:
    """Remembers placed variants across chunks: the first line and label of each."""

    def __init__(self) -> None:
        self._seen: dict[tuple, tuple[int, float]] = {}

    def first(self, key: tuple, line: int, label: float) -> tuple[int, float] | None:
        """``(line, label)`` of the first copy of ``key``, or None (then this row is the first)."""
        found = self._seen.get(key)
        if found is None:
            self._seen[key] = (line, label)
        return found

    def check(self, chrom: str, pos: int, alt: str, line: int, label: float) -> str | None:
        """None for a new locus, else the reason this one is a duplicate (later copies rejected)."""
        return self.check_key((chrom, pos, alt), line, label)

    def check_key(self, key: tuple, line: int, label: float) -> str | None:
        """As :meth:`check`, for any hashable ``key`` (``(chrom, pos, ref, alt)`` when scoring)."""
        first = self.first(key, line, label)
        if first is None:
            return None
        reason = f"duplicate of the locus on line {first[0]} (kept that one)"
        conflict = label_conflict(first[1], label)
        return reason + (f"; {conflict}" if conflict else "")


def label_conflict(first: float, this: float) -> str:
    """``its label was 1, this row's 0`` when two copies' labels differ (empty counts), else ''."""
    if (np.isnan(first) and np.isnan(this)) or first == this:
        return ""
    shown = ["empty" if np.isnan(v) else str(int(v)) for v in (first, this)]
    return f"its label was {shown[0]}, this row's {shown[1]}"


def _label(reference, name: str) -> str:
    label = getattr(reference, "label", None)
    return label(name) if label is not None else name


def place_row(
    reference,
    chrom: str,
    name: str | None,
    pos: int,
    ref: str,
    alt: str,
    first_base: str,
    *,
    window: int,
    max_len: int,
) -> Placed | tuple[str, str]:
    """Check one parsed row; a :class:`Placed` or ``(reason, category)``.

    ``name`` is the reference's spelling of ``chrom`` (None: unknown), ``first_base`` the
    reference base at ``pos`` (fetched in bulk by the caller). REF is checked as written, then
    multi-base variants are normalised (:func:`ncv_core.features.alleles.normalize`); both
    windows must fit on the contig (a deletion's alt window reaches past the reference window).
    """
    if name is None:
        contigs = list(reference.contigs)
        shown = ", ".join(contigs[:8]) + (", ..." if len(contigs) > 8 else "")
        return (
            f"contig {chrom!r} is not in the genome (it has {shown}; 1/chr1 and MT/chrM are "
            "matched)",
            "unknown contig",
        )
    length, where = reference.contigs[name], _label(reference, name)
    if pos + max(len(ref), 1) - 1 > length:
        return f"position {pos:,} is past the end of {where} (length {length:,})", "out of range"
    have = first_base if len(ref) <= 1 else reference.fetch(name, pos - 1, pos - 1 + len(ref))
    if ref and ref != have:
        at = f"{pos:,}" if len(ref) == 1 else f"{pos:,}-{pos + len(ref) - 1:,}"
        at = f"the genome has {have} at {where}:{at}"
        if hasattr(reference, "show_pos"):
            at = f"{where} has {have} at {reference.show_pos(pos)}"
        return f"REF is {ref} but {at}", "ref mismatch"
    ref = ref or have
    placed = Placed(pos, ref, alt)
    if alt and (len(ref) > 1 or len(alt) > 1):
        placed = _normalised(reference, name, placed, max_len)
        if isinstance(placed, tuple):
            return placed
    return _window_problem(placed, window, length, where) or placed


def _normalised(reference, name: str, v: Placed, max_len: int) -> Placed | tuple[str, str]:
    if max_len <= 1:
        kind = "mnv" if len(v.ref) == len(v.alt) else "indel"
        return (
            f"{kind} {v.ref}>{v.alt}: feature tables hold single-base loci (the SSL_dnn "
            "features describe one base); `ncv score` scores indels and MNVs",
            kind,
        )
    try:
        new = normalize(v.pos, v.ref, v.alt, lambda a, b: reference.fetch(name, a, b))
    except ValueError as exc:
        return str(exc), "window off contig end"
    problem = length_problem(new[1], new[2], max_len)
    if problem is not None:
        return problem
    note = ""
    if new != (v.pos, v.ref, v.alt):
        note = describe_rewrite(v.pos, v.ref, v.alt, new)
        if hasattr(reference, "show_pos"):  # a sequence table: offsets, not positions
            note = note.replace(f"from {v.pos} ", f"from {reference.show_pos(v.pos)} ", 1)
    return Placed(*new, note=note)


def _window_problem(v: Placed, window: int, length: int, where: str) -> tuple[str, str] | None:
    start, end = span_bounds(v.pos, window, len(v.ref), len(v.alt or v.ref))
    if start >= 0 and end <= length:
        return None
    extra = end - (start + window)
    lo = v.pos - start
    hi = length - (end - v.pos)
    text = f"the {window}-bp window [{start:,}, {start + window:,})"
    if extra:
        text += f" and the {extra} bases the deletion's alt window needs after it"
    return (
        f"{text} run{'s' if not extra else ''} off {where} (length {length:,}); positions "
        f"{lo:,}..{hi:,} fit",
        "window off contig end",
    )
