"""A table of sequences with alleles (an MPRA library) as loci on an in-memory reference.

Each row's ``seq`` becomes a contig of a :class:`SequenceSet` (identical sequences share one, so
identical variants are recognised as duplicates) and its variant a locus at 1-based
``pos = offset + 1``. From there the rows go through the same pipeline as a VCF on a genome:
:func:`ncv_core.features.loci.place` checks REF against the sequence, normalises indels and
checks that the model's window (cut around the offset) fits in the sequence;
:func:`ncv_core.features.build.compute_features` cuts the windows. So the sequence route and the
genome route give the same scores for the same windows (a test holds them to it).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ncv_core.constants import LOCUS_COLUMNS
from ncv_core.coords import window_bounds
from ncv_core.errors import NcvError
from ncv_core.features.loci import (
    BOOKKEEPING_COLUMNS,
    LociBatch,
    Rejection,
    expand_row,
    records_frame,
)
from ncv_core.io.loci_files import RowRecord

__all__ = ["SequenceSet", "sequence_batch", "PASSTHROUGH_PREFIX"]

_BASES = re.compile(r"^[ACGTN]+$")
PASSTHROUGH_PREFIX = "input_"
"""Prefix of an extra input column whose name is one the output uses already."""


class SequenceSet:
    """Sequences as contigs, with the methods of :class:`ncv_core.io.genome.Genome` that
    placement and feature building use (``contigs``, ``resolve``, ``fetch``, ``fetch_many``,
    ``windows``, ``bases_at``); ``label`` and ``show_pos`` word the messages."""

    build: str | None = None

    def __init__(self, path: str = "sequences") -> None:
        self.path = Path(path)
        self.contigs: dict[str, int] = {}
        self._seqs: dict[str, str] = {}

    @property
    def fingerprint(self) -> str:
        return "sequences"

    def add(self, seq: str) -> str:
        """The contig name of ``seq`` (upper case), added when new: ``seq:<sha1 prefix>``."""
        name = "seq:" + hashlib.sha1(seq.encode()).hexdigest()[:16]
        if name not in self._seqs:
            self._seqs[name], self.contigs[name] = seq, len(seq)
        return name

    def clear(self) -> None:
        """Forget the sequences (between chunks; names stay comparable)."""
        self._seqs.clear()
        self.contigs.clear()

    def label(self, name: str) -> str:
        return "the sequence"

    def show_pos(self, pos: int) -> str:
        return f"offset {pos - 1}"

    def describe(self) -> dict:
        return {"path": str(self.path), "kind": "sequences", "build": None}

    def resolve(self, name: str) -> str | None:
        return name if name in self._seqs else None

    def fetch(self, chrom: str, start: int, end: int) -> str:
        seq = self._seqs[chrom]
        if start < 0 or end > len(seq) or end < start:
            raise NcvError(f"interval [{start}, {end}) is outside the sequence ({len(seq)} bp)")
        return seq[start:end]

    def fetch_many(self, chroms: Sequence[str], starts: np.ndarray, length: int) -> list[str]:
        return [
            self.fetch(c, int(s), int(s) + length)
            for c, s in zip(chroms, np.asarray(starts).tolist(), strict=True)
        ]

    def windows(self, chroms: Sequence[str], positions, window: int) -> list[str]:
        starts, _ = window_bounds(np.asarray(positions, dtype=np.int64), window)
        return self.fetch_many(list(chroms), starts, window)

    def bases_at(self, chroms, positions, *, valid=None) -> list[str]:
        ok = [True] * len(chroms) if valid is None else list(valid)
        out = []
        for c, p, v in zip(chroms, np.asarray(positions).tolist(), ok, strict=True):
            seq = self._seqs.get(c) if v and c is not None else None
            out.append(seq[p - 1] if seq is not None and 1 <= p <= len(seq) else "")
        return out


def _offset(text: str, seq: str) -> int | str:
    """The 0-based offset (default ``len(seq) // 2``), or why it is not one."""
    t = text.strip()
    if not t:
        return len(seq) // 2
    try:
        value = float(t)
    except ValueError:
        return f"offset {t!r} is not a whole number"
    if not value.is_integer() or not 0 <= value < len(seq):
        return f"offset {t} must be a whole number in 0..{len(seq) - 1} (the sequence's bases)"
    return int(value)


def _raw(line_fields: dict[str, str]) -> str:
    """The row's text for the report, a long sequence shortened."""
    parts = []
    for k, v in line_fields.items():
        parts.append(f"{k}={v[:20]}...({len(v)} bp)" if k == "seq" and len(v) > 40 else f"{k}={v}")
    return "\t".join(parts)


def sequence_batch(
    rows, seqs: SequenceSet, path: str, *, reserved: Sequence[str] = ()
) -> LociBatch:
    """A chunk of :func:`ncv_core.io.sequence_tables.iter_sequence_rows` as parsed loci.

    Rows are checked on their own here (bases of ``seq``, ``offset``, alleles, label; a
    comma-separated ALT is split as in a VCF); the sequence becomes a contig of ``seqs``. Extra
    columns are carried through as text, renamed ``input_<name>`` when the pipeline or the output
    uses the name already (``chrom``, ``pos``, ``reserved``...).

    Returns
    -------
    LociBatch
        ``chrom`` (the contig of ``seqs``), ``pos`` (offset + 1), ``ref alt label id``, the extra
        columns, bookkeeping; rejections of rows that are bad on their own.
    """
    roles, n = rows.roles, len(rows)
    get = {r: roles.get(r, [""] * n) for r in ("id", "seq", "ref", "alt", "offset", "label")}
    taken = {*reserved, *LOCUS_COLUMNS, *BOOKKEEPING_COLUMNS, "seq", "offset"}
    extra_names = {k: (PASSTHROUGH_PREFIX + k if k in taken else k) for k in rows.extra}
    records = []
    rejected = [Rejection(ln, raw, why, "damaged line") for ln, raw, why in rows.damaged]
    for i, line in enumerate(rows.lines):
        fields = {r: get[r][i] for r in ("id", "seq", "ref", "alt", "offset") if r in roles}
        raw = _raw(fields)
        seq = get["seq"][i].strip().upper()
        if not seq or not _BASES.match(seq):
            bad = sorted(set(seq) - set("ACGTN")) or ["(empty)"]
            reason = f"seq holds {', '.join(bad)}; expected only A, C, G, T, N"
            rejected.append(Rejection(line, raw, reason, "invalid sequence"))
            continue
        offset = _offset(get["offset"][i], seq)
        if isinstance(offset, str):
            rejected.append(Rejection(line, raw, offset, "out of range"))
            continue
        ident = get["id"][i].strip() or f"line{line}"
        rec = RowRecord(
            line, raw, seqs.add(seq), str(offset + 1), get["ref"][i], get["alt"][i],
            get["label"][i], ident,
        )  # fmt: skip
        good, bad = expand_row(rec)
        for g in good:
            g.update({extra_names[k]: rows.extra[k][i] for k in rows.extra})
        records.extend(good)
        rejected.extend(bad)
    table = records_frame(records, [])
    for k in rows.extra:
        table[extra_names[k]] = [r[extra_names[k]] for r in records]
    return LociBatch(table, rejected, [], path, "sequences", {"extra": list(extra_names.values())})
