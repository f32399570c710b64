"""Lift a loci table to another genome through a UCSC chain file, with UCSC liftOver's rules.

Points (1-based ``pos``) map base to base; BED intervals (0-based ``start``, ``end``) follow
``liftOver``'s ``-minMatch``: a chain must align at least ``min_match`` of the interval's bases,
and the lifted interval runs from the first to the last of those bases on the target. Every row
that does not map becomes a :class:`~ncv_core.rejections.Rejection` saying why:

============================  ========================================================================
category                      meaning
============================  ========================================================================
``unknown contig``            the contig is not a source contig of the chain file
``out of range``              the position lies past the contig's end (or the interval is malformed)
``no chain``                  no chain spans it (unaligned in the target genome)
``in gap``                    inside a chain's span but in one of its gaps (deleted in the target, or
                              unalignable); for intervals: every base is in gaps
``below min match``           one chain aligns some but fewer than ``min_match`` of the bases (UCSC
                              "Partially deleted in new")
``split``                     several chains align parts, none ``min_match`` ("Split in new")
``duplicated``                two or more chains map it ("Duplicated in new")
============================  ========================================================================

The mapping itself is the ``liftover`` package's (see :mod:`ncv_core.io.chain_files`); it maps
one base at a time, so an interval is lifted by mapping each of its bases and counting them per
chain, which is exactly UCSC's aligned-bases count (CrossMap, the other maintained option, is not
installed and splits intervals into fragments with a ratio rule of its own).
"""

from __future__ import annotations

import os
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
        the row number and the row's values are used.
    chain : ChainIndex or path
        An opened chain file (:func:`~ncv_core.io.chain_files.open_chain`) or its path.
    min_match : float
        Fraction of an interval's bases one chain must align (UCSC's ``-minMatch``, 0.95).
        Points need their one base aligned.
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
    lines, raws = row_references(loci)
    n = len(loci)
    chroms = loci["chrom"].astype(str).tolist()
    coords = [loci[c] for c in (("pos",) if kind == "points" else ("start", "end"))]
    values = [pd.to_numeric(c, errors="coerce").to_numpy(np.float64) for c in coords]
    resolved = {c: index.resolve_source(c) for c in dict.fromkeys(chroms)}
    out: list[tuple] = []
    keep: list[int] = []
    rejected: list[Rejection] = []
    lift_one = _lift_point if kind == "points" else _lift_interval
    for lo in range(0, n, _CHUNK):
        if stopped(stop):
            raise NcvError("liftover was stopped")
        report(progress, "liftover", lo, n)
        for i in range(lo, min(lo + _CHUNK, n)):
            name = resolved[chroms[i]]
            result = lift_one(index, chroms[i], name, [v[i] for v in values], min_match)
            if isinstance(result, _Reject):
                rejected.append(Rejection(lines[i], raws[i], result.reason, result.category))
            else:
                keep.append(i)
                out.append(result)
    report(progress, "liftover", n, n)
    table = _assemble(loci, kind, keep, out)
    return LiftResult(table=table, rejected=rejected, kind=kind, n_input=n)


class _Reject(NamedTuple):
    reason: str
    category: str


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


def row_references(loci: pd.DataFrame) -> tuple[list[int], list[str]]:
    """File line and row text of each row, as rejections name them.

    From the ``_line`` and ``_raw`` columns a loci reader adds; without them, the 1-based row
    number and the row's values joined by tabs (missing values empty).
    """
    if "_line" in loci.columns:
        lines = pd.to_numeric(loci["_line"], errors="coerce").fillna(0).astype(int).tolist()
    else:
        lines = list(range(1, len(loci) + 1))
    if "_raw" in loci.columns:
        raws = loci["_raw"].astype(str).tolist()
    else:
        shown = loci.drop(columns=[c for c in ("_line",) if c in loci.columns])
        raws = [
            "\t".join("" if pd.isna(v) else str(v) for v in r)
            for r in shown.itertuples(index=False, name=None)
        ]
    return lines, raws


def _describe_chain(index: ChainIndex, row: int) -> str:
    h = index.headers.iloc[row]
    return (
        f"chain {h['id']} ({h['t_name']}:{h['t_start']:,}-{h['t_end']:,} -> {h['q_name']} "
        f"{h['q_strand']})"
    )


def _unknown(index: ChainIndex, chrom: str) -> _Reject:
    names = list(index.source_contigs)
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return _Reject(
        f"contig {chrom!r} is not a source contig of {index.path.name} (it has {shown})",
        "unknown contig",
    )


def _lift_point(
    index: ChainIndex, chrom: str, name: str | None, coords: list[float], min_match: float
) -> tuple:
    """``(target chrom, target 1-based pos, strand, source chrom, source pos)`` or a rejection."""
    if name is None:
        return _unknown(index, chrom)
    pos = coords[0]
    if not np.isfinite(pos) or pos != int(pos) or pos < 1 or pos > index.source_contigs[name]:
        size = index.source_contigs[name]
        return _Reject(f"position {pos:g} is not inside {name} (1 to {size:,})", "out of range")
    pos = int(pos)
    matches = index.lifter[name][pos - 1]
    if len(matches) == 1:
        q_name, q_pos, strand = matches[0]
        return (q_name, q_pos + 1, strand, chrom, pos)
    if len(matches) > 1:
        where = ", ".join(f"{q}:{p + 1:,} {s}" for q, p, s in matches)
        return _Reject(f"{chrom}:{pos:,} maps to {len(matches)} places ({where})", "duplicated")
    return _why_unmapped(index, chrom, name, pos - 1, pos)


def _why_unmapped(index: ChainIndex, chrom: str, name: str, start: int, end: int) -> _Reject:
    """The reason no base of ``[start, end)`` mapped: a gap of a chain spanning it, or no chain."""
    where = f"{chrom}:{start + 1:,}" if end - start == 1 else f"{chrom}:{start:,}-{end:,}"
    rows = index.chains_over(name, start, end)
    if len(rows):
        return _Reject(
            f"{where} falls in a gap of {_describe_chain(index, int(rows[0]))}: deleted or "
            "unaligned in the target genome",
            "in gap",
        )
    return _Reject(f"no chain of {index.path.name} covers {where}", "no chain")


def _lift_interval(
    index: ChainIndex, chrom: str, name: str | None, coords: list[float], min_match: float
) -> tuple:
    """``(target chrom, start, end, strand, source chrom, start, end)`` or a rejection."""
    if name is None:
        return _unknown(index, chrom)
    s, e = coords
    size = index.source_contigs[name]
    if (
        not (np.isfinite(s) and np.isfinite(e))
        or s != int(s)
        or e != int(e)
        or not 0 <= s < e <= size
    ):
        return _Reject(
            f"interval [{s:g}, {e:g}) is not a non-empty interval inside {name} (0 to {size:,})",
            "out of range",
        )
    s, e = int(s), int(e)
    target = index.lifter[name]
    hits: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for p in range(s, e):
        for q_name, q_pos, strand in target[p]:
            hits.setdefault((q_name, strand), []).append((p, q_pos))
    if not hits:
        return _why_unmapped(index, chrom, name, s, e)
    return _decide(index, chrom, s, e, _attribute(index, name, s, e, hits), min_match)


def _attribute(
    index: ChainIndex, name: str, s: int, e: int, hits: dict[tuple[str, str], list[tuple[int, int]]]
) -> list[tuple[int, str, str, np.ndarray]]:
    """Mapped bases grouped by the chain they come from.

    A base mapped to ``(q, strand)`` belongs to the chain over ``[s, e)`` with that target contig
    and strand whose source span holds the base and whose target span holds the mapped position.

    Returns
    -------
    list of (header row, target contig, strand, forward target positions shape ``(m,)``)
        The row is -1 for bases no header explains (a chain file whose blocks disagree with its
        headers; ``liftover`` checks that, so this does not happen in practice).
    """
    rows = index.chains_over(name, s, e).tolist()
    h = index.headers
    out = []
    for (q_name, strand), pairs in hits.items():
        arr = np.asarray(pairs, dtype=np.int64)
        owner = np.full(len(arr), -1, dtype=np.int64)
        for r in rows:
            if h.at[r, "q_name"] != q_name or h.at[r, "q_strand"] != strand:
                continue
            lo, hi = _forward_span(h, r)
            t_ok = (arr[:, 0] >= h.at[r, "t_start"]) & (arr[:, 0] < h.at[r, "t_end"])
            owner[(owner < 0) & t_ok & (arr[:, 1] >= lo) & (arr[:, 1] < hi)] = r
        for r in np.unique(owner).tolist():
            out.append((r, q_name, strand, arr[owner == r, 1]))
    return out


def _forward_span(h: pd.DataFrame, r: int) -> tuple[int, int]:
    """A chain's target span on the forward strand."""
    q0, q1, size = int(h.at[r, "q_start"]), int(h.at[r, "q_end"]), int(h.at[r, "q_size"])
    return (q0, q1) if h.at[r, "q_strand"] == "+" else (size - q1, size - q0)


def _decide(
    index: ChainIndex,
    chrom: str,
    s: int,
    e: int,
    per_chain: list[tuple[int, str, str, np.ndarray]],
    min_match: float,
) -> tuple | _Reject:
    """UCSC's verdict from the aligned bases per chain (``remapRange`` in kent's liftOver.c)."""
    need = min_match * (e - s)
    hit = [c for c in per_chain if len(c[3]) >= need]
    where = f"{chrom}:{s:,}-{e:,}"
    if len(hit) > 1:
        return _Reject(
            f"{where} maps through {len(hit)} chains, each aligning over {min_match:.0%}",
            "duplicated",
        )
    if not hit:
        shares = sorted(((len(c[3]) / (e - s), c[0]) for c in per_chain), reverse=True)
        if len(shares) == 1:
            frac, r = shares[0]
            label = _describe_chain(index, r) if r >= 0 else "one chain"
            return _Reject(
                f"only {frac:.1%} of {where} aligns ({label}); at least {min_match:.0%} must",
                "below min match",
            )
        parts = ", ".join(f"{frac:.0%}" for frac, _ in shares)
        return _Reject(
            f"{where} is split across {len(shares)} chains ({parts}), none over {min_match:.0%}",
            "split",
        )
    _, q_name, strand, q = hit[0]
    return (q_name, int(q.min()), int(q.max()) + 1, strand, chrom, s, e)


def _assemble(loci: pd.DataFrame, kind: str, keep: list[int], out: list[tuple]) -> pd.DataFrame:
    """The kept rows with target coordinates in place and the source columns appended."""
    table = loci.iloc[keep].reset_index(drop=True).copy()
    if kind == "points":
        cols = ["chrom", "pos", "strand", "source_chrom", "source_pos"]
        extra = POINT_COLUMNS
    else:
        cols = ["chrom", "start", "end", "strand", "source_chrom", "source_start", "source_end"]
        extra = INTERVAL_COLUMNS
    lifted = pd.DataFrame(out, columns=cols) if out else pd.DataFrame({c: [] for c in cols})
    for c in cols:
        dtype = (
            np.int64
            if c in ("pos", "start", "end", "source_pos", "source_start", "source_end")
            else object
        )
        table[c] = lifted[c].to_numpy(dtype=dtype) if len(lifted) else np.zeros(0, dtype=dtype)
    order = [c for c in loci.columns if c not in extra] + list(extra)
    return table[order]
