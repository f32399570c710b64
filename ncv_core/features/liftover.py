"""Lift a loci table to another genome through a UCSC chain file, with UCSC liftOver's rules.

Points (1-based ``pos``) map base to base; BED intervals (0-based ``start``, ``end``) follow
``liftOver``'s ``-minMatch``: a chain must align at least ``min_match`` of the interval's bases,
and the lifted interval runs from the first to the last of those bases on the target (kent's
``remapRange``). Every row that does not map becomes a
:class:`~ncv_core.rejections.Rejection` saying why:

=====================  ===============================================================================
category               meaning
=====================  ===============================================================================
``unknown contig``     the contig is not a source contig of the chain file
``out of range``       not a position (or non-empty interval) inside the contig
``no chain``           no chain spans it (unaligned in the target genome)
``in gap``             inside a chain's span but in its gaps: deleted or unalignable in the target
``below min match``    one chain aligns some but fewer than ``min_match`` of the bases (UCSC
                       "Partially deleted in new")
``split``              several chains align parts, none ``min_match`` ("Split in new")
``duplicated``         two or more chains map it ("Duplicated in new")
=====================  ===============================================================================

The mapping is the ``liftover`` package's (see :mod:`ncv_core.io.chain_files`). It maps one
base at a time, so an interval is lifted by mapping each of its bases and counting them per
chain: exactly UCSC's aligned-base count. (CrossMap, the other maintained option, is not
installed and lifts intervals by its own fragment-and-ratio rule, which differs from UCSC's.)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from ncv_core.errors import NcvError
from ncv_core.io.chain_files import ChainIndex, open_chain
from ncv_core.progress import ProgressFn, StopFlag, report, stopped
from ncv_core.rejections import Rejection

POINT_COLUMNS: tuple[str, ...] = ("source_chrom", "source_pos", "strand")
"""Added to a lifted table of points (the input's ``chrom``, ``pos`` and the chain's strand)."""
INTERVAL_COLUMNS: tuple[str, ...] = ("source_chrom", "source_start", "source_end", "strand")
"""Added to a lifted table of intervals."""
_CHUNK = 20_000


@dataclass
class LiftResult:
    """The lifted loci and the rows that could not be lifted.

    Attributes
    ----------
    table : pandas.DataFrame
        The input's columns, in order, with ``chrom`` and ``pos`` (or ``start``, ``end``) in
        target coordinates, then :data:`POINT_COLUMNS` (or :data:`INTERVAL_COLUMNS`); ``strand``
        is ``-`` where the chain maps the source onto the target's reverse strand.
    rejected : list of Rejection
        One per input row that did not map, in input order.
    kind : str
        ``"points"`` or ``"intervals"``.
    n_input : int
    """

    table: pd.DataFrame
    rejected: list[Rejection] = field(default_factory=list)
    kind: str = "points"
    n_input: int = 0


class _Reject(NamedTuple):
    reason: str
    category: str


def lift_loci(
    loci: pd.DataFrame,
    chain: ChainIndex | str | os.PathLike,
    *,
    min_match: float = 0.95,
    kind: str | None = None,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
) -> LiftResult:
    """Lift loci to the chain's target genome.

    Parameters
    ----------
    loci : pandas.DataFrame
        ``N`` rows with ``chrom`` and either ``pos`` (1-based points) or ``start``/``end``
        (0-based half-open intervals); other columns are carried along. ``_line`` and ``_raw``
        (a loci reader's bookkeeping) name the file line and text in rejections; without them
        the row number and the row's values are used (:func:`row_references`).
    chain : ChainIndex or path
        An opened chain file (:func:`~ncv_core.io.chain_files.open_chain`) or its path.
    min_match : float
        Fraction of an interval's bases one chain must align (UCSC's ``-minMatch``, 0.95).
        A point needs its one base aligned.
    kind : {"points", "intervals"}, optional
        Default: points when there is a ``pos`` column, else intervals.
    progress : callable, optional
        Receives ``{"stage": "liftover", "done", "total"}`` every 20,000 rows.
    stop : object with ``is_set()``, optional
        Checked between chunks; raises :class:`~ncv_core.errors.NcvError` when set.

    Returns
    -------
    LiftResult
    """
    if not 0.0 < min_match <= 1.0:
        raise NcvError(f"min_match must be in (0, 1], got {min_match}")
    index = chain if isinstance(chain, ChainIndex) else open_chain(chain)
    kind = _kind(loci, kind)
    chroms = loci["chrom"].astype(str).tolist()
    resolved = {c: index.resolve_source(c) for c in dict.fromkeys(chroms)}
    names = [resolved[c] for c in chroms]
    lift = _lift_points if kind == "points" else _lift_intervals
    out: list[tuple] = []
    verdicts: dict[int, _Reject] = {}
    n = len(loci)
    for lo in range(0, n, _CHUNK):
        if stopped(stop):
            raise NcvError("liftover was stopped")
        report(progress, "liftover", lo, n)
        rows = range(lo, min(lo + _CHUNK, n))
        lift(index, loci, chroms, names, rows, min_match, out, verdicts)
    report(progress, "liftover", n, n)
    bad = sorted(verdicts)
    lines, raws = row_references(loci, bad)
    rejected = [
        Rejection(ln, raw, *verdicts[i]) for i, ln, raw in zip(bad, lines, raws, strict=True)
    ]
    table = _assemble(loci, kind, out)
    return LiftResult(table=table, rejected=rejected, kind=kind, n_input=n)


def row_references(
    loci: pd.DataFrame, rows: Sequence[int] | None = None
) -> tuple[list[int], list[str]]:
    """File line and row text of each row (or of ``rows``), as rejections name them.

    From the ``_line`` and ``_raw`` columns a loci reader adds; without them, the 1-based row
    number and the row's values joined by tabs (missing values empty).
    """
    rows = list(range(len(loci))) if rows is None else list(rows)
    if "_line" in loci.columns:
        line = pd.to_numeric(loci["_line"].iloc[rows], errors="coerce").fillna(0)
        lines = line.astype(int).tolist()
    else:
        lines = [i + 1 for i in rows]
    if "_raw" in loci.columns:
        return lines, loci["_raw"].iloc[rows].astype(str).tolist()
    shown = loci.drop(columns=[c for c in ("_line",) if c in loci.columns]).iloc[rows]
    texts = [["" if pd.isna(v) else str(v) for v in shown[c].tolist()] for c in shown.columns]
    return lines, ["\t".join(r) for r in zip(*texts, strict=True)] if texts else [""] * len(rows)


def _kind(loci: pd.DataFrame, kind: str | None) -> str:
    if "chrom" not in loci.columns:
        raise NcvError(f"a loci table needs a chrom column; it has {list(loci.columns)}")
    if kind is None:
        kind = "points" if "pos" in loci.columns else "intervals"
    need = {"points": ("pos",), "intervals": ("start", "end")}.get(kind)
    if need is None:
        raise NcvError(f"kind must be 'points' or 'intervals', got {kind!r}")
    missing = [c for c in need if c not in loci.columns]
    if missing:
        raise NcvError(
            f"lifting {kind} needs the column(s) {missing}; the table has {list(loci.columns)}"
        )
    return kind


def _integers(loci: pd.DataFrame, column: str, rows: range) -> tuple[np.ndarray, np.ndarray]:
    """The column's values over ``rows`` as int64 and whether each was a whole number."""
    v = pd.to_numeric(loci[column].iloc[rows.start : rows.stop], errors="coerce")
    v = v.to_numpy(np.float64, na_value=np.nan)
    ok = np.isfinite(v) & (v == np.round(v))
    return np.where(ok, v, 0).astype(np.int64), ok


def _unknown(index: ChainIndex, chrom: str) -> _Reject:
    names = list(index.source_contigs)
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return _Reject(
        f"contig {chrom!r} is not a source contig of {index.path.name} (it has {shown})",
        "unknown contig",
    )


def _unmapped(index: ChainIndex, where: str, covering: int) -> _Reject:
    if covering >= 0:
        return _Reject(
            f"{where} falls in a gap of {index.label(covering)}: deleted or unaligned in the "
            "target genome",
            "in gap",
        )
    return _Reject(f"no chain of {index.path.name} covers {where}", "no chain")


def _lift_points(index, loci, chroms, names, rows, min_match, out, verdicts) -> None:
    """Lift ``rows`` of a points table, one contig at a time: mapped rows go to ``out`` as
    blocks ``(rows, target chroms, 1-based positions, None, strands)``, the others to
    ``verdicts`` (``row -> _Reject``)."""
    pos, whole = _integers(loci, "pos", rows)
    groups: dict[str | None, list[int]] = {}
    for k, name in enumerate(names[rows.start : rows.stop]):
        groups.setdefault(name, []).append(k)
    for name, ks in groups.items():
        if name is None:
            for k in ks:
                verdicts[rows.start + k] = _unknown(index, chroms[rows.start + k])
            continue
        k = np.asarray(ks, dtype=np.int64)
        size = index.source_contigs[name]
        inside = whole[k] & (pos[k] >= 1) & (pos[k] <= size)
        for j in k[~inside].tolist():
            shown = loci["pos"].iat[rows.start + j]
            verdicts[rows.start + j] = _Reject(
                f"position {shown} is not inside {name} (1 to {size:,})", "out of range"
            )
        _map_points(index, name, rows.start + k[inside], pos[k[inside]], chroms, out, verdicts)


def _map_points(index, name, idx, pos, chroms, out, verdicts) -> None:
    """Map 1-based ``pos`` (rows ``idx``, shape ``(m,)``) on contig ``name``."""
    target = index.lifter[name]
    matches = [target[p] for p in (pos - 1).tolist()]
    n_hits = np.fromiter(map(len, matches), dtype=np.int64, count=len(matches))
    idx_l, pos_l = idx.tolist(), pos.tolist()
    one = np.nonzero(n_hits == 1)[0]
    if len(one):
        q_name, q_pos, strand = zip(*(matches[j][0] for j in one.tolist()), strict=True)
        out.append(
            (idx[one], list(q_name), np.asarray(q_pos, dtype=np.int64) + 1, None, list(strand))
        )
    for j in np.nonzero(n_hits > 1)[0].tolist():
        i, p, m = idx_l[j], pos_l[j], matches[j]
        where = ", ".join(f"{q}:{x + 1:,} {s}" for q, x, s in m)
        verdicts[i] = _Reject(f"{chroms[i]}:{p:,} maps to {len(m)} places ({where})", "duplicated")
    missing = [(idx_l[j], pos_l[j]) for j in np.nonzero(n_hits == 0)[0].tolist()]
    if missing:
        idx_m, pos_m = zip(*missing, strict=True)
        cover = index.covering(name, np.asarray(pos_m, dtype=np.int64) - 1).tolist()
        for i, p, c in zip(idx_m, pos_m, cover, strict=True):
            verdicts[i] = _unmapped(index, f"{chroms[i]}:{p:,}", c)


def _lift_intervals(index, loci, chroms, names, rows, min_match, out, verdicts) -> None:
    """Lift ``rows`` of an intervals table (see :func:`_lift_points`)."""
    start, ok_s = _integers(loci, "start", rows)
    end, ok_e = _integers(loci, "end", rows)
    mapped: list[tuple] = []
    for k, i in enumerate(rows):
        name = names[i]
        if name is None:
            verdicts[i] = _unknown(index, chroms[i])
            continue
        s, e, size = int(start[k]), int(end[k]), index.source_contigs[name]
        if not (ok_s[k] and ok_e[k] and 0 <= s < e <= size):
            shown = f"[{loci['start'].iat[i]}, {loci['end'].iat[i]})"
            verdicts[i] = _Reject(
                f"interval {shown} is not a non-empty interval inside {name} (0 to {size:,})",
                "out of range",
            )
            continue
        result = _lift_interval(index, chroms[i], name, s, e, min_match)
        if isinstance(result, _Reject):
            verdicts[i] = result
        else:
            mapped.append((i, *result))
    if mapped:
        i, q_name, q_start, q_end, strand = zip(*mapped, strict=True)
        out.append(
            (
                np.asarray(i, dtype=np.int64),
                list(q_name),
                np.asarray(q_start, dtype=np.int64),
                np.asarray(q_end, dtype=np.int64),
                list(strand),
            )
        )


def _lift_interval(index: ChainIndex, chrom: str, name: str, s: int, e: int, min_match: float):
    """``(target chrom, start, end, strand)`` or a :class:`_Reject`."""
    target = index.lifter[name]
    where = f"{chrom}:{s:,}-{e:,}"
    matches = [m for p in range(s, e) for m in target[p]]
    if not matches:
        cover = index.chains_over(name, s, e)
        return _unmapped(index, where, int(cover[0]) if len(cover) else -1)
    chains = index.chains_over(name, s, e).tolist()
    if len(chains) == 1:  # the usual case: every mapped base comes from that chain
        per_chain = [(chains[0], [m[1] for m in matches])]
    else:
        per_chain = _attribute(index, target, s, e, chains)
    need = min_match * (e - s)
    hit = [c for c in per_chain if len(c[1]) >= need]
    if len(hit) > 1:
        return _Reject(
            f"{where} maps through {len(hit)} chains, each aligning over {min_match:.0%}",
            "duplicated",
        )
    if hit:
        row, q = hit[0]
        _, _, _, q_name, strand, _, _ = index.header(row)
        return (q_name, min(q), max(q) + 1, strand)
    shares = sorted(((len(q) / (e - s), row) for row, q in per_chain), reverse=True)
    if len(shares) == 1:
        frac, row = shares[0]
        label = index.label(row) if row >= 0 else "one chain"
        return _Reject(
            f"only {frac:.1%} of {where} aligns ({label}); at least {min_match:.0%} must",
            "below min match",
        )
    parts = ", ".join(f"{frac:.0%}" for frac, _ in shares)
    return _Reject(
        f"{where} is split across {len(shares)} chains ({parts}), none over {min_match:.0%}",
        "split",
    )


def _attribute(index: ChainIndex, target, s: int, e: int, chains: list[int]) -> list[tuple]:
    """Mapped bases of ``[s, e)`` grouped by chain: ``[(header row, forward target positions)]``.

    A base mapped to ``(q, strand)`` belongs to the chain over ``[s, e)`` with that target
    contig and strand whose source span holds the base and whose target span holds the mapped
    position. Row -1 collects bases no header explains (``liftover`` checks blocks against
    headers, so in practice there are none).
    """
    heads = [index.header(r) for r in chains]
    groups: dict[int, list[int]] = {}
    for p in range(s, e):
        for q_name, q_pos, strand in target[p]:
            owner = next(
                (
                    r
                    for r, (_, t0, t1, qn, st, lo, hi) in zip(chains, heads, strict=True)
                    if qn == q_name and st == strand and t0 <= p < t1 and lo <= q_pos < hi
                ),
                -1,
            )
            groups.setdefault(owner, []).append(q_pos)
    return list(groups.items())


def _assemble(loci: pd.DataFrame, kind: str, out: list[tuple]) -> pd.DataFrame:
    """The mapped rows, in input order, with target coordinates in place and the source
    columns appended (``out``: blocks ``(rows, chroms, a, b, strands)``)."""
    rows = np.concatenate([b[0] for b in out]) if out else np.zeros(0, dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    rows = rows[order]

    def column(k: int, dtype) -> np.ndarray:
        if not out:
            return np.zeros(0, dtype=dtype)
        parts = [np.asarray(b[k], dtype=dtype) for b in out]
        return np.concatenate(parts)[order]

    table = loci.iloc[rows].reset_index(drop=True).copy()
    source_chrom = table["chrom"].astype(str).to_numpy(dtype=object)
    table["chrom"] = column(1, object)
    if kind == "points":
        source = {"source_pos": table["pos"].to_numpy(np.float64).astype(np.int64)}
        table["pos"] = column(2, np.int64)
        extra = POINT_COLUMNS
    else:
        source = {
            c: table[c.split("_")[1]].to_numpy(np.float64).astype(np.int64)
            for c in ("source_start", "source_end")
        }
        table["start"], table["end"] = column(2, np.int64), column(3, np.int64)
        extra = INTERVAL_COLUMNS
    table["source_chrom"] = source_chrom
    for c, v in source.items():
        table[c] = v
    table["strand"] = column(4, object)
    order_cols = [c for c in loci.columns if c not in extra] + list(extra)
    return table[order_cols]
