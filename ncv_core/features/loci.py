"""Loci files (VCF, BED, CSV, TSV) -> a loci table plus a report of the rows that were rejected.

Parsing is in two steps. :func:`iter_loci` reads the file in chunks and checks each row on its
own (numbers, labels, alleles); :func:`place` then checks the rows against a genome (contig names,
bounds, windows, reference alleles, duplicates). Every rejected row is kept as a
:class:`Rejection` with its file line, its text and the reason, so good rows are never lost
because of bad ones and nothing is dropped silently.

Positions: ``pos`` is 1-based everywhere in loci tables. BED's 0-based ``start`` is converted here,
once (``pos = start + 1``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ncv_core.constants import LOCUS_COLUMNS, MISSING_VALUES
from ncv_core.errors import NcvError
from ncv_core.io.loci_files import LociFile, RowRecord
from ncv_core.rejections import (  # noqa: F401  (re-exported: the loci API reports rejections)
    Rejection,
    check_mismatch_rate,
    raise_if_unusable,
    rejections_frame,
    summarize,
)

__all__ = [
    "Rejection",
    "LociBatch",
    "iter_loci",
    "read_loci",
    "place",
    "Deduplicator",
    "summarize",
    "rejections_frame",
    "parse_variant",
]

_ALLELE = re.compile(r"^[ACGTN]+$")


@dataclass
class LociBatch:
    """Loci parsed from (part of) a file.

    ``table`` has the columns ``chrom pos ref alt label id``, the baseline score columns and two
    bookkeeping columns, ``_line`` (1-based file line) and ``_raw`` (the row's text), which
    :func:`place` uses for its report and which writers drop.
    """

    table: pd.DataFrame
    rejected: list[Rejection] = field(default_factory=list)
    baseline_columns: list[str] = field(default_factory=list)
    path: str = ""
    fmt: str = ""
    header: dict = field(default_factory=dict)


def _parse_label(text: str) -> float | None:
    """1, 0 (also 1.0/0.0) -> float; empty/NA -> NaN; anything else -> None (reject)."""
    t = text.strip().lower()
    if t in MISSING_VALUES:
        return np.nan
    if t in ("1", "1.0"):
        return 1.0
    if t in ("0", "0.0"):
        return 0.0
    return None


def _parse_pos(text: str) -> int | None:
    t = text.strip()
    return int(t) if t.isdigit() else None


def _parse_float(text: str) -> float | None:
    t = text.strip()
    if t.lower() in MISSING_VALUES:
        return np.nan
    try:
        return float(t)
    except ValueError:
        return None


def _expand(rec: RowRecord) -> tuple[list[dict], list[Rejection]]:
    """Validate one row on its own and split multi-ALT rows; returns (records, rejections)."""

    def reject(reason: str, category: str) -> tuple[list[dict], list[Rejection]]:
        return [], [Rejection(rec.line, rec.raw, reason, category)]

    pos = _parse_pos(rec.pos)
    if pos is None:
        return reject(f"position {rec.pos.strip()!r} is not a whole number", "malformed number")
    if pos < 1:
        return reject("position 0 is not valid: positions are 1-based", "out of range")
    label = _parse_label(rec.label)
    if label is None:
        return reject(f"label {rec.label.strip()!r} must be 1, 0 or empty", "bad label")
    baselines = {}
    for name, text in rec.baselines.items():
        value = _parse_float(text)
        if value is None:
            return reject(f"column {name}: {text.strip()!r} is not a number", "malformed number")
        baselines[name] = value
    ref = rec.ref.strip().upper()
    if ref in (".", "-"):
        ref = ""
    if ref and not _ALLELE.match(ref):
        return reject(
            f"REF {rec.ref.strip()!r} is not a DNA allele (A, C, G, T, N)", "invalid allele"
        )
    alts = [a.strip().upper() for a in rec.alt.split(",")] if rec.alt.strip() else [""]
    records, rejected = [], []
    for alt in alts:
        alt = "" if alt in (".", "-") else alt
        reason = _allele_problem(ref, alt)
        if reason is not None:
            rejected.append(Rejection(rec.line, rec.raw, *reason))
            continue
        ident = rec.ident.strip()
        ident = "" if ident == "." else ident
        if ident and len(alts) > 1:
            ident = f"{ident}:{alt}"
        records.append(
            {
                "chrom": rec.chrom.strip(),
                "pos": pos,
                "ref": ref,
                "alt": alt,
                "label": label,
                "id": ident,
                **baselines,
                "_line": rec.line,
                "_raw": rec.raw,
            }
        )
    return records, rejected


def _allele_problem(ref: str, alt: str) -> tuple[str, str] | None:
    """Why a (ref, alt) pair cannot be scored as a single-base variant, or None."""
    if alt.startswith("<") or alt in ("*",) or "[" in alt or "]" in alt:
        return f"symbolic ALT {alt!r} is not a base change", "symbolic allele"
    if alt and not _ALLELE.match(alt):
        return f"ALT {alt!r} is not a DNA allele (A, C, G, T, N)", "invalid allele"
    if len(ref) > 1 or len(alt) > 1:
        return (
            f"indel {ref or '-'}>{alt or '-'}: only single-base substitutions are scored "
            "(the SSL_dnn features describe one base)",
            "indel",
        )
    if ref and alt and ref == alt:
        return f"ALT {alt} equals REF", "alt equals ref"
    return None


def _frame(records: list[dict], baseline_columns: list[str]) -> pd.DataFrame:
    columns = [*LOCUS_COLUMNS, *baseline_columns, "_line", "_raw"]
    df = pd.DataFrame.from_records(records, columns=columns)
    df["pos"] = df["pos"].astype(np.int64)
    df["label"] = pd.array(df["label"].to_numpy(dtype=float), dtype="Float64").astype("Int8")
    for col in baseline_columns:
        df[col] = df[col].astype(np.float64)
    df["_line"] = df["_line"].astype(np.int64)
    return df


def iter_loci(
    path: str | os.PathLike | LociFile, *, fmt: str | None = None, chunk_size: int = 100_000
) -> Iterator[LociBatch]:
    """Read a loci file in chunks of at most ``chunk_size`` records.

    Parameters
    ----------
    path : path or LociFile
        A VCF (plain, gzip or bgzip; sites-only too), BED (3+ columns, one base per record),
        or CSV/TSV with a header. Gzipped files are recognised by content. An open
        :class:`~ncv_core.io.loci_files.LociFile` (with its own format and tap) is read as is
        and closed by its owner.
    fmt : {"vcf", "bed", "csv", "tsv"}, optional
        Override the format detected from the name and the first lines.
    chunk_size : int
        Records per yielded batch.

    Yields
    ------
    LociBatch
        Parsed rows (not yet checked against a genome) and the rows rejected on their own.

    Raises
    ------
    NcvError
        If the file cannot be read at all (missing, binary, no header, no chrom/pos columns).
    """
    if isinstance(path, LociFile):
        yield from _batches(path, chunk_size)
        return
    with LociFile(path, fmt=fmt) as src:
        yield from _batches(src, chunk_size)


def _batches(src: LociFile, chunk_size: int) -> Iterator[LociBatch]:
    reader = src.rows()
    header = next(reader)  # the format reader yields its header info first
    baseline_columns = list(header.get("baseline_columns", []))
    records: list[dict] = []
    rejected: list[Rejection] = []

    def batch() -> LociBatch:
        table = _frame(records, baseline_columns)
        return LociBatch(table, rejected, baseline_columns, src.path, src.fmt, header)

    for rec in reader:
        if isinstance(rec, Rejection):
            rejected.append(rec)
            continue
        good, bad = _expand(rec)
        records.extend(good)
        rejected.extend(bad)
        if len(records) >= chunk_size:
            yield batch()
            records, rejected = [], []
    if records or rejected:
        yield batch()


def read_loci(path: str | os.PathLike, *, fmt: str | None = None) -> LociBatch:
    """Read a whole loci file; see :func:`iter_loci`. An empty file gives an empty table."""
    with LociFile(path, fmt=fmt) as src:
        batches = list(_batches(src, 1 << 62))
        if not batches:
            return LociBatch(_frame([], []), [], [], src.path, src.fmt, {})
    return batches[0]


class Deduplicator:
    """Remembers placed loci across chunks; later copies of a locus are rejected."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int, str], tuple[int, float]] = {}

    def check(self, chrom: str, pos: int, alt: str, line: int, label: float) -> str | None:
        """None for a new locus, else the reason this one is a duplicate."""
        key = (chrom, pos, alt)
        first = self._seen.get(key)
        if first is None:
            self._seen[key] = (line, label)
            return None
        first_line, first_label = first
        reason = f"duplicate of the locus on line {first_line} (kept that one)"
        if not (np.isnan(first_label) and np.isnan(label)) and first_label != label:
            shown = ["empty" if np.isnan(v) else str(int(v)) for v in (first_label, label)]
            reason += f"; its label was {shown[0]}, this row's {shown[1]}"
        return reason


def place(
    batch: LociBatch,
    genome,  # ncv_core.io.genome.Genome; untyped to keep loci free of pyfaidx
    *,
    window: int,
    dedup: Deduplicator | None = None,
) -> LociBatch:
    """Check parsed loci against a genome and keep the ones whose window can be built.

    Contig names are matched to the genome's (``1`` <-> ``chr1``, ``MT`` <-> ``chrM``) and
    rewritten to the genome's spelling. Rejected: unknown contig, position past the contig end,
    a window running off the contig, REF differing from the genome (the message says what the
    genome has), later copies of a locus. Missing REF is filled from the genome; missing ids
    become ``chrom:pos:ref>alt``.

    Returns
    -------
    LociBatch
        The kept rows (same columns) and the batch's rejections plus the new ones, in file order.
    """
    from ncv_core.coords import window_bounds

    df = batch.table
    dedup = dedup if dedup is not None else Deduplicator()
    rejected = list(batch.rejected)
    resolved = {c: genome.resolve(c) for c in pd.unique(df["chrom"])}
    keep = np.zeros(len(df), dtype=bool)
    chroms, refs = df["chrom"].tolist(), df["ref"].tolist()
    genome_refs = genome.bases_at(
        [resolved[c] for c in chroms],
        df["pos"].to_numpy(),
        valid=[resolved[c] is not None for c in chroms],
    )
    for i, (chrom, pos, ref, alt, label, line, raw) in enumerate(
        zip(
            chroms,
            df["pos"].tolist(),
            refs,
            df["alt"].tolist(),
            df["label"].to_numpy(dtype=float, na_value=np.nan).tolist(),
            df["_line"].tolist(),
            df["_raw"].tolist(),
            strict=True,
        )
    ):
        name = resolved[chrom]
        problem = _placement_problem(
            genome, chrom, name, pos, ref, genome_refs[i], window, window_bounds
        )
        if problem is None:
            dup = dedup.check(name, pos, alt, line, label)
            problem = None if dup is None else (dup, "duplicate")
        if problem is not None:
            rejected.append(Rejection(line, raw, *problem))
        else:
            keep[i] = True
    out = df.loc[keep].copy()
    out["chrom"] = [resolved[c] for c in out["chrom"]]
    gref = [g for g, k in zip(genome_refs, keep, strict=True) if k]
    out["ref"] = [r or g for r, g in zip(out["ref"].tolist(), gref, strict=True)]
    out["id"] = [
        i or f"{c}:{p}:{r}>{a}" if a else (i or f"{c}:{p}:{r}")
        for i, c, p, r, a in zip(
            out["id"], out["chrom"], out["pos"], out["ref"], out["alt"], strict=True
        )
    ]
    rejected.sort(key=lambda r: r.line)
    return LociBatch(
        out.reset_index(drop=True),
        rejected,
        batch.baseline_columns,
        batch.path,
        batch.fmt,
        batch.header,
    )


def _placement_problem(genome, chrom, name, pos, ref, genome_ref, window, window_bounds):
    if name is None:
        shown = ", ".join(list(genome.contigs)[:8]) + (", ..." if len(genome.contigs) > 8 else "")
        return (
            f"contig {chrom!r} is not in the genome (it has {shown}; 1/chr1 and MT/chrM are "
            "matched)",
            "unknown contig",
        )
    length = genome.contigs[name]
    if pos > length:
        return f"position {pos:,} is past the end of {name} (length {length:,})", "out of range"
    start, end = window_bounds(pos, window)
    if start < 0 or end > length:
        lo, hi = pos - start, length - (end - pos)
        return (
            f"the {window}-bp window [{start:,}, {end:,}) runs off {name} (length {length:,}); "
            f"positions {lo:,}..{hi:,} fit",
            "window off contig end",
        )
    if ref and ref != genome_ref:
        return f"REF is {ref} but the genome has {genome_ref} at {name}:{pos:,}", "ref mismatch"
    return None


_VARIANT_TEXT = re.compile(
    r"^\s*(?P<chrom>[^\s:]+?)[\s:-]+(?P<pos>[\d,]+)"
    r"(?:[\s:-]+(?P<ref>[A-Za-z]+)(?:\s*[>/:\s-]\s*(?P<alt>[A-Za-z]+))?)?\s*$"
)


def parse_variant(text: str) -> LociBatch:
    """One variant typed by a person: ``chr1:12345 A>G``, ``1-12345-A-G``, ``chr1:12,345:A:G``.

    REF and ALT are optional (``chr1:12345``: REF comes from the genome, nothing to score). The
    result goes through the same checks as a file's rows (see :func:`place` for the genome's).

    Raises
    ------
    NcvError
        When ``text`` does not look like a variant.
    """
    m = _VARIANT_TEXT.match(text or "")
    if not m:
        raise NcvError(
            f"cannot read {text!r} as a variant; write it as chr:pos ref>alt, e.g. chr1:12345 A>G"
        )
    rec = RowRecord(
        1, text.strip(), m["chrom"], m["pos"].replace(",", ""), m["ref"] or "", m["alt"] or ""
    )
    records, rejected = _expand(rec)
    return LociBatch(_frame(records, []), rejected, [], "typed variant", "text", {})
