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
from ncv_core.features.placement import Deduplicator, Placed, label_conflict, place_row
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
    "BOOKKEEPING_COLUMNS",
    "summarize",
    "rejections_frame",
    "parse_variant",
]

_ALLELE = re.compile(r"^[ACGTN]+$")

BOOKKEEPING_COLUMNS: tuple[str, ...] = ("_line", "_raw", "_note", "_dup_of", "_input_alt")
"""Columns of a loci table that are the pipeline's, not the user's (never written as data)."""


@dataclass
class LociBatch:
    """Loci parsed from (part of) a file.

    ``table`` has the columns ``chrom pos ref alt label id``, the baseline score columns and the
    bookkeeping columns :data:`BOOKKEEPING_COLUMNS` (``_line``, the 1-based file line, and
    ``_raw``, the row's text, from parsing; ``_note``, ``_dup_of`` and ``_input_alt``, the ALT
    as written, from :func:`place`), which writers drop.
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


def expand_row(rec: RowRecord) -> tuple[list[dict], list[Rejection]]:
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
    """Why a (ref, alt) pair cannot be scored at all, or None.

    Indels and MNVs pass here; :func:`place` normalises them against the reference and keeps
    them when its ``max_len`` allows (``ncv score``) or rejects them (feature tables).
    """
    if alt.startswith("<") or alt in ("*",) or "[" in alt or "]" in alt:
        return (
            f"symbolic ALT {alt!r} (a structural variant, spanning deletion or breakend) is not "
            "a sequence change that can be scored",
            "symbolic allele",
        )
    if alt and not _ALLELE.match(alt):
        return f"ALT {alt!r} is not a DNA allele (A, C, G, T, N)", "invalid allele"
    if not ref and len(alt) > 1:
        return f"ALT {alt} is several bases but REF is missing: give REF", "missing ref"
    if ref and alt and ref == alt:
        return f"ALT {alt} equals REF", "alt equals ref"
    return None


def records_frame(records: list[dict], baseline_columns: list[str]) -> pd.DataFrame:
    """Loci records as a table: the locus columns, the baseline columns, ``_line`` and ``_raw``."""
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
        table = records_frame(records, baseline_columns)
        return LociBatch(table, rejected, baseline_columns, src.path, src.fmt, header)

    for rec in reader:
        if isinstance(rec, Rejection):
            rejected.append(rec)
            continue
        good, bad = expand_row(rec)
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
            return LociBatch(records_frame([], []), [], [], src.path, src.fmt, {})
    return batches[0]


def place(
    batch: LociBatch,
    genome,  # ncv_core.io.genome.Genome; untyped to keep loci free of pyfaidx
    *,
    window: int,
    dedup: Deduplicator | None = None,
    max_len: int = 1,
    keep_duplicates: bool = False,
) -> LociBatch:
    """Check parsed loci against a genome and keep the ones whose windows can be built.

    Contig names are matched to the genome's (``1`` <-> ``chr1``, ``MT`` <-> ``chrM``) and
    rewritten to the genome's spelling. Rejected: unknown contig, position past the contig end,
    a window running off the contig, REF differing from the genome (the message says what the
    genome has), variants longer than ``max_len``, and (unless ``keep_duplicates``) later copies
    of a variant. Missing REF is filled from the genome; missing ids become ``chrom:pos:ref>alt``.

    Parameters
    ----------
    max_len : int
        Longest allele kept, after normalisation. 1 (feature tables for training) keeps
        single-base loci and rejects indels and MNVs; scoring passes ``window // 2``: then
        multi-base variants are left-aligned and trimmed
        (:func:`ncv_core.features.alleles.normalize`) and the rewrite is noted in ``_note``.
    keep_duplicates : bool
        Keep later copies of a variant (the same normalised chrom, pos, ref, alt) instead of
        rejecting them: ``_dup_of`` holds the line of the first copy (0 for a first copy) and
        ``_note`` says so, with both labels when they conflict.

    Returns
    -------
    LociBatch
        The kept rows (same columns, plus ``_note``, ``_dup_of`` and ``_input_alt``) and the
        batch's rejections plus the new ones, in file order.
    """
    df = batch.table
    dedup = dedup if dedup is not None else Deduplicator()
    rejected = list(batch.rejected)
    resolved = {c: genome.resolve(c) for c in pd.unique(df["chrom"])}
    chroms = df["chrom"].tolist()
    first_bases = genome.bases_at(
        [resolved[c] for c in chroms],
        df["pos"].to_numpy(),
        valid=[resolved[c] is not None for c in chroms],
    )
    rows = zip(
        chroms,
        df["pos"].tolist(),
        df["ref"].tolist(),
        df["alt"].tolist(),
        df["label"].to_numpy(dtype=float, na_value=np.nan).tolist(),
        df["_line"].tolist(),
        df["_raw"].tolist(),
        first_bases,
        strict=True,
    )
    kept: list[tuple[int, Placed, int, str]] = []
    for i, (chrom, pos, ref, alt, label, line, raw, base) in enumerate(rows):
        name = resolved[chrom]
        got = place_row(genome, chrom, name, pos, ref, alt, base, window=window, max_len=max_len)
        if isinstance(got, tuple):
            rejected.append(Rejection(line, raw, *got))
            continue
        key = (name, got.pos, got.ref, got.alt)
        dup_of, note = _duplicate(dedup, key, line, label, keep_duplicates)
        if dup_of and not keep_duplicates:
            rejected.append(Rejection(line, raw, note, "duplicate"))
            continue
        kept.append((i, got, dup_of, "; ".join(n for n in (got.note, note) if n)))
    rejected.sort(key=lambda r: r.line)
    return LociBatch(
        _kept_table(df, kept, resolved), rejected, batch.baseline_columns, batch.path,
        batch.fmt, batch.header,
    )  # fmt: skip


def _duplicate(
    dedup: Deduplicator, key: tuple, line: int, label: float, keep: bool
) -> tuple[int, str]:
    """``(line of the first copy, note)``; ``(0, "")`` for a first copy."""
    first = dedup.first(key, line, label)
    if first is None:
        return 0, ""
    kept = "scored once, reported here too" if keep else "kept that one"
    note = f"duplicate of the variant on line {first[0]} ({kept})"
    conflict = label_conflict(first[1], label)
    return first[0], note + (f"; conflicting labels: {conflict}" if conflict else "")


def _kept_table(df: pd.DataFrame, kept: list, resolved: dict) -> pd.DataFrame:
    out = df.iloc[[k[0] for k in kept]].copy()
    out["_input_alt"] = out["alt"].tolist()
    out["chrom"] = [resolved[c] for c in out["chrom"]]
    out["pos"] = np.array([k[1].pos for k in kept], dtype=np.int64)
    out["ref"] = [k[1].ref for k in kept]
    out["alt"] = [k[1].alt for k in kept]
    out["id"] = [
        i or (f"{c}:{p}:{r}>{a}" if a else f"{c}:{p}:{r}")
        for i, c, p, r, a in zip(
            out["id"], out["chrom"], out["pos"], out["ref"], out["alt"], strict=True
        )
    ]
    out["_note"] = [k[3] for k in kept]
    out["_dup_of"] = np.array([k[2] for k in kept], dtype=np.int64)
    return out.reset_index(drop=True)


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
    records, rejected = expand_row(rec)
    return LociBatch(records_frame(records, []), rejected, [], "typed variant", "text", {})
