"""Rejected input rows: the record, the one-line summary and the report table.

Every row of a loci file that cannot be used becomes a :class:`Rejection` (file line, the row's
text, the reason, a short category); nothing is dropped silently. The report written beside an
output (``<out>.rejected.tsv``, by :func:`ncv_core.io.tables.write_rejections`) is
:func:`rejections_frame`; the summary printed by the CLI and
shown by the app is :func:`summarize`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from ncv_core.coords import guess_build
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


COORDINATE_CATEGORIES: tuple[str, ...] = (
    "unknown contig",
    "out of range",
    "window off contig end",
    "ref mismatch",
)
"""Rejection categories that mean a row's coordinates do not fit the genome."""


def build_mismatch_hint(
    rejected: list[Rejection], kept: int, contigs: Mapping[str, int], genome_name: str
) -> str | None:
    """A sentence when a loci file looks like it is on another genome build than the genome.

    Said when at least half of the rows, and at least 2, have coordinates that do not fit the
    genome (:data:`COORDINATE_CATEGORIES`).

    Parameters
    ----------
    rejected : list of Rejection
        The file's rejected rows.
    kept : int
        Rows that were used.
    contigs : mapping of str to int
        The genome's contig lengths.
    genome_name : str
        How to name the genome (its file name).
    """
    counts = Counter(r.category for r in rejected if r.category in COORDINATE_CATEGORIES)
    bad, total = sum(counts.values()), kept + len(rejected)
    if bad < 2 or 2 * bad < total:
        return None
    words = {
        "unknown contig": "name a contig it lacks",
        "out of range": "lie past the end of a contig",
        "window off contig end": "sit too close to a contig end",
        "ref mismatch": "have a REF base the genome does not have there",
    }
    parts = ", ".join(f"{n:,} {words[c]}" for c, n in counts.most_common())
    build = guess_build(contigs)
    names = list(contigs)
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    size = sum(contigs.values())
    what = f"{build}" if build else "not a known human or mouse build"
    return (
        f"{bad:,} of {total:,} rows do not fit the genome {genome_name} ({parts}). "
        f"{genome_name} has {len(names):,} contig{'s' if len(names) != 1 else ''} ({shown}; "
        f"{size / 1e6:,.1f} Mb; {what}): the file is probably on another genome build. "
        "Use the genome (FASTA) and tracks of the build the variants were called on."
    )


class NoUsableLoci(NcvError):
    """No row of a loci file could be used; :attr:`rejected` says why for each row and
    :attr:`hint` (or None) what is probably wrong with the whole file."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        rejected: list[Rejection] | None = None,
        hint: str | None = None,
    ) -> None:
        self.rejected = list(rejected or [])
        self.hint = hint
        super().__init__(message, path=path)


def raise_if_unusable(
    kept: int, rejected: list[Rejection], path: str, *, hint: str | None = None
) -> None:
    """Raise :class:`NoUsableLoci` naming the file when no locus could be used (``hint``, such
    as :func:`build_mismatch_hint`'s, is appended to the message)."""
    if kept:
        return
    if not rejected:
        raise NoUsableLoci("the file holds no loci", path=path)
    first = rejected[0]
    raise NoUsableLoci(
        f"no usable loci ({summarize(0, rejected)}); first problem: line {first.line}: "
        f"{first.reason}" + (f". {hint}" if hint else ""),
        path=path,
        rejected=rejected,
        hint=hint,
    )
