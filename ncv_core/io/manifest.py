"""The tracks manifest (``tracks.tsv``): which bigWig and peaks file is which (cell line, mark).

A tab-separated table with the columns ``cell_line``, ``mark``, ``signal`` (bigWig) and,
optionally, ``peaks`` (BED or narrowPeak, may be gzipped). Paths may be relative to the
manifest's folder.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ncv_core.constants import MARK_ALIASES, MARKS
from ncv_core.errors import NcvError, warn

MANIFEST_COLUMNS = ("cell_line", "mark", "signal", "peaks")


@dataclass(frozen=True)
class TrackSpec:
    """One row of a tracks manifest (paths resolved)."""

    cell_line: str
    mark: str
    signal: Path
    peaks: Path | None
    line: int

    def describe(self) -> dict:
        return {
            "cell_line": self.cell_line,
            "mark": self.mark,
            "signal": str(self.signal),
            "peaks": None if self.peaks is None else str(self.peaks),
        }


def canonical_mark(name: str) -> str:
    """The package's spelling of a mark (``dnase-seq`` -> ``DNase``); other names unchanged."""
    return MARK_ALIASES.get(name.strip().lower(), name.strip())


def read_manifest(path: str | os.PathLike) -> list[TrackSpec]:
    """Parse a tracks manifest; every named file must exist.

    Raises
    ------
    NcvError
        Missing columns or files, empty fields, or a (cell line, mark) listed twice; the message
        names the manifest and line.
    """
    path = Path(path)
    if not path.exists():
        raise NcvError("tracks manifest not found", path=path)
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = [
            (i, r)
            for i, r in enumerate(csv.reader(fh, delimiter="\t"), start=1)
            if r and any(f.strip() for f in r) and not r[0].startswith("#")
        ]
    if not rows:
        raise NcvError(
            "the manifest is empty; expected a header cell_line, mark, signal, peaks", path=path
        )
    header = [h.strip().lower() for h in rows[0][1]]
    missing = [c for c in MANIFEST_COLUMNS[:3] if c not in header]
    if missing:
        raise NcvError(
            f"the header lacks {', '.join(missing)} (found {', '.join(header)}); expected "
            "tab-separated columns cell_line, mark, signal and optionally peaks",
            path=path,
            line=rows[0][0],
        )
    specs, seen = [], {}
    for line, row in rows[1:]:
        spec = _manifest_row(path, line, dict(zip(header, [f.strip() for f in row], strict=False)))
        key = (spec.cell_line, spec.mark)
        if key in seen:
            raise NcvError(
                f"{spec.cell_line} {spec.mark} is listed twice (also line {seen[key]})",
                path=path,
                line=line,
            )
        seen[key] = line
        specs.append(spec)
    unknown = sorted({s.mark for s in specs if s.mark not in MARKS})
    if unknown:
        warn(
            f"{path}: marks {', '.join(unknown)} are not among the paper's 11 "
            f"({', '.join(MARKS)}); they are used as extra features outside the mark groups"
        )
    return specs


def _manifest_row(path: Path, line: int, row: dict[str, str]) -> TrackSpec:
    for col in MANIFEST_COLUMNS[:3]:
        if not row.get(col):
            raise NcvError(f"empty {col}", path=path, line=line)

    def resolve(value: str) -> Path:
        p = Path(os.path.expanduser(value))
        p = p if p.is_absolute() else path.parent / p
        if not p.exists():
            raise NcvError(f"file {value} (resolved to {p}) does not exist", path=path, line=line)
        return p

    peaks = resolve(row["peaks"]) if row.get("peaks") else None
    return TrackSpec(
        row["cell_line"], canonical_mark(row["mark"]), resolve(row["signal"]), peaks, line
    )


def cell_lines(specs: Sequence[TrackSpec]) -> list[str]:
    """Cell lines of a manifest, in order of first appearance."""
    return list(dict.fromkeys(s.cell_line for s in specs))
