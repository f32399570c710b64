"""The tracks manifest (``tracks.tsv``): which bigWig and peaks file is which (cell line, mark).

A tab-separated table with the columns ``cell_line``, ``mark``, ``signal`` (bigWig) and,
optionally, ``peaks`` (BED or narrowPeak, may be gzipped) and ``imputed`` (``1``/``true``/``yes``
for a track imputed by ``ncv impute``, ``0``/``false``/``no`` or empty for a measured one). Paths
may be relative to the manifest's folder.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ncv_core.constants import MARK_ALIASES, MARKS
from ncv_core.errors import NcvError, warn
from ncv_core.io.text import read_lines

MANIFEST_COLUMNS = ("cell_line", "mark", "signal", "peaks")
MANIFEST_EXPECTED = (
    "tab-separated text with a header line cell_line, mark, signal (and optionally peaks) and "
    "one row per bigWig, e.g. 'K562<TAB>DNase<TAB>k562_dnase.bw<TAB>k562_dnase.narrowPeak'"
)
IMPUTED_COLUMN = "imputed"
"""Optional column: whether the track was imputed (Avocado, ``ncv impute``) rather than measured."""
_TRUE, _FALSE = ("1", "true", "yes"), ("", "0", "false", "no")


@dataclass(frozen=True)
class TrackSpec:
    """One row of a tracks manifest (paths resolved)."""

    cell_line: str
    mark: str
    signal: Path
    peaks: Path | None
    line: int
    imputed: bool = False

    def describe(self) -> dict:
        """The row as JSON; ``imputed: true`` only for an imputed track (measured rows keep the
        four keys they always had)."""
        out = {
            "cell_line": self.cell_line,
            "mark": self.mark,
            "signal": str(self.signal),
            "peaks": None if self.peaks is None else str(self.peaks),
        }
        if self.imputed:
            out["imputed"] = True
        return out


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
    rows = [
        (i, next(csv.reader([text], delimiter="\t")))
        for i, text in read_lines(path, what="a tracks manifest", expected=MANIFEST_EXPECTED)
        if text.strip() and not text.startswith("#")
    ]
    if not rows:
        raise NcvError(f"the manifest is empty; expected {MANIFEST_EXPECTED}", path=path)
    header = [h.strip().lower() for h in rows[0][1]]
    missing = [c for c in MANIFEST_COLUMNS[:3] if c not in header]
    if missing:
        hint = " (it looks comma-separated)" if len(header) == 1 and "," in header[0] else ""
        raise NcvError(
            f"the header lacks {', '.join(missing)} (found {', '.join(header)}){hint}; "
            f"a tracks manifest is {MANIFEST_EXPECTED}",
            path=path,
            line=rows[0][0],
        )
    if len(rows) == 1:
        raise NcvError(f"the manifest lists no tracks; expected {MANIFEST_EXPECTED}", path=path)
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
        p = _resolve(path.parent, value)
        if p is None:
            hint = ""
            if "\\" in value or re.match(r"^[A-Za-z]:[\\/]", value):
                hint = "; it looks like a Windows path: give a path on this machine, with /"
            raise NcvError(
                f"file {value} (resolved to {path.parent / value}) does not exist{hint}",
                path=path,
                line=line,
            )
        return p

    peaks = resolve(row["peaks"]) if row.get("peaks") else None
    flag = (row.get(IMPUTED_COLUMN) or "").lower()
    if flag not in _TRUE + _FALSE:
        raise NcvError(
            f"imputed is {row[IMPUTED_COLUMN]!r}; expected 1/true/yes, 0/false/no or empty",
            path=path,
            line=line,
        )
    return TrackSpec(
        row["cell_line"],
        canonical_mark(row["mark"]),
        resolve(row["signal"]),
        peaks,
        line,
        imputed=flag in _TRUE,
    )


def _resolve(folder: Path, value: str) -> Path | None:
    """``value`` as an existing path (relative to ``folder``), also when it was written with
    Windows backslashes (``tracks\\k562.bw``); None when neither exists."""
    for candidate in dict.fromkeys((value, value.replace("\\", "/"))):
        p = Path(os.path.expanduser(candidate))
        p = p if p.is_absolute() else folder / p
        if p.exists():
            return p
    return None


def manifest_text(rows: Sequence[dict[str, str]]) -> str:
    """A tracks manifest's text: the header ``cell_line mark signal peaks imputed`` and one line
    per row (dicts with those keys; ``peaks`` may be empty, ``imputed`` is ``0`` or ``1``)."""
    header = (*MANIFEST_COLUMNS, IMPUTED_COLUMN)
    lines = ["\t".join(header)]
    for row in rows:
        fields = [str(row.get(c) or "") for c in header]
        if any("\t" in f or "\n" in f for f in fields):
            raise NcvError(f"a manifest field holds a tab or a newline: {fields}")
        lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"


def cell_lines(specs: Sequence[TrackSpec]) -> list[str]:
    """Cell lines of a manifest, in order of first appearance."""
    return list(dict.fromkeys(s.cell_line for s in specs))
