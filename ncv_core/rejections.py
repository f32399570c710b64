"""Rejected input rows: the record, the one-line summary and the report table.

Every row of a loci file that cannot be used becomes a :class:`Rejection` (file line, the row's
text, the reason, a short category); nothing is dropped silently. The report written beside an
output (``<out>.rejected.tsv``, by :func:`ncv_core.io.tables.write_rejections`) is
:func:`rejections_frame`; the summary printed by the CLI and
shown by the app is :func:`summarize`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from ncv_core.errors import NcvError

REPORT_COLUMNS: tuple[str, ...] = ("line", "reason", "category", "row")


@dataclass(frozen=True)
class Rejection:
    """One input row that could not be used."""

    line: int
    row: str
    reason: str
    category: str


def summarize(kept: int, rejected: list[Rejection]) -> str:
    """One line: ``kept 120, rejected 7: 4 duplicate, 2 unknown contig, 1 ref mismatch``."""
    if not rejected:
        return f"kept {kept:,}, rejected 0"
    counts = Counter(r.category for r in rejected)
    parts = ", ".join(f"{n:,} {cat}" for cat, n in counts.most_common())
    return f"kept {kept:,}, rejected {len(rejected):,}: {parts}"


def rejections_frame(rejected: list[Rejection]) -> pd.DataFrame:
    """The rejection report: columns ``line``, ``reason``, ``category``, ``row``."""
    return pd.DataFrame(
        {
            "line": [r.line for r in rejected],
            "reason": [r.reason for r in rejected],
            "category": [r.category for r in rejected],
            "row": [r.row for r in rejected],
        },
        columns=list(REPORT_COLUMNS),
    )


def check_mismatch_rate(rejected: list[Rejection], total: int, path: str) -> str | None:
    """A hint when many REF alleles disagree with the genome (likely another genome build)."""
    n = sum(r.category == "ref mismatch" for r in rejected)
    if total >= 10 and n / total >= 0.2:
        return (
            f"{n:,} of {total:,} loci in {path} have a REF allele that differs from the genome: "
            "is the file for another genome build (hg19 vs hg38)?"
        )
    return None


def raise_if_unusable(kept: int, rejected: list[Rejection], path: str) -> None:
    """Raise :class:`NcvError` naming the file when no locus could be used."""
    if kept:
        return
    if not rejected:
        raise NcvError("the file holds no loci", path=path)
    first = rejected[0]
    raise NcvError(
        f"no usable loci ({summarize(0, rejected)}); first problem: line {first.line}: {first.reason}",
        path=path,
    )
