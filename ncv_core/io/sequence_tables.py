"""Reading a table of sequences with alleles (an MPRA library): TSV, CSV (gzip too) or Parquet.

Columns, by header name (case-insensitive): ``seq`` (also ``sequence``), ``ref``, ``alt``
(required), ``id``, ``offset`` and ``label`` (optional); every other column is carried through
as text. Rows come in chunks of strings with their line numbers (the header is line 1; in a
Parquet file, "line" is the row number + 1 the same way), so a bad row is reported where it is
and the rest are kept. Blank lines are skipped.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq

from ncv_core.errors import NcvError
from ncv_core.io.text import MAX_LINE, TooLong, iter_lines, open_text

EXPECTED = "a TSV or CSV (gzip too) or Parquet table with the columns seq, ref, alt"

ROLES: dict[str, tuple[str, ...]] = {
    "id": ("id", "name", "variant", "variant_id", "rsid", "snp"),
    "seq": ("seq", "sequence", "oligo"),
    "ref": ("ref", "reference", "ref_allele"),
    "alt": ("alt", "alternate", "alt_allele", "alternative"),
    "offset": ("offset", "ref_offset", "variant_offset"),
    "label": ("label", "class", "y"),
}
"""Accepted (lower-cased) header names per role."""

REQUIRED: tuple[str, ...] = ("seq", "ref", "alt")


@dataclass
class SequenceRows:
    """One chunk: per role the row texts, the extra columns, and each row's file line."""

    lines: list[int]
    roles: dict[str, list[str]]
    extra: dict[str, list[str]] = field(default_factory=dict)
    damaged: list[tuple[int, str, str]] = field(default_factory=list)
    """``(line, text, reason)`` of the rows that could not even be split into fields."""

    def __len__(self) -> int:
        return len(self.lines)


def iter_sequence_rows(
    path: str | os.PathLike, *, chunk_size: int = 10_000
) -> Iterator[SequenceRows]:
    """Chunks of at most ``chunk_size`` rows of a sequence table.

    Raises
    ------
    NcvError
        Missing or unreadable file, no header, or a required column (``seq``, ``ref``, ``alt``)
        missing.
    """
    path = os.fspath(path)
    name = path.lower().removesuffix(".gz")
    if name.endswith((".parquet", ".pq")):
        yield from _parquet_rows(path, chunk_size)
        return
    delimiter = "," if name.endswith(".csv") else "\t"
    with open_text(path, what="a sequence table", expected=EXPECTED) as fh:
        lines = ((n, t) for n, t in iter_lines(fh, path, long_lines="mark") if t.strip())
        first = next(lines, None)
        if first is None:
            raise NcvError("is empty; expected a header with seq, ref and alt", path=path)
        columns = next(csv.reader([first[1]], delimiter=delimiter))
        roles, extra = _columns(columns, path)
        rows: list[tuple[int, list[str]]] = []
        damaged: list[tuple[int, str, str]] = []
        for number, text in lines:
            fields = _fields(text, delimiter)
            if isinstance(fields, str):
                damaged.append((number, text[:200], fields))
                continue
            rows.append((number, fields + [""] * (len(columns) - len(fields))))
            if len(rows) >= chunk_size:
                yield _chunk(rows, roles, extra, damaged)
                rows, damaged = [], []
        if rows or damaged:
            yield _chunk(rows, roles, extra, damaged)


def _fields(text: str, delimiter: str) -> list[str] | str:
    """The fields of a row, or why it has none (an over-long line, a field csv refuses)."""
    if isinstance(text, TooLong):
        return f"the line is longer than {MAX_LINE >> 20} MiB; not a row"
    try:
        return next(csv.reader([text], delimiter=delimiter))
    except csv.Error as exc:
        return f"cannot split the row: {exc}"


def _columns(columns: list[str], path: str) -> tuple[dict[str, int], dict[str, int]]:
    """``role -> column index`` and ``extra name -> column index``."""
    role_of = {alias: role for role, names in ROLES.items() for alias in names}
    roles: dict[str, int] = {}
    extra: dict[str, int] = {}
    for i, col in enumerate(columns):
        role = role_of.get(col.strip().lower())
        if role is not None and role not in roles:
            roles[role] = i
        else:
            extra[col.strip() or f"column{i + 1}"] = i
    missing = [r for r in REQUIRED if r not in roles]
    if missing:
        raise NcvError(
            f"a sequence table needs the columns seq, ref and alt (optional: id, offset, label); "
            f"{', '.join(missing)} missing among {', '.join(columns)}",
            path=path,
        )
    return roles, extra


def _chunk(rows, roles: dict[str, int], extra: dict[str, int], damaged=()) -> SequenceRows:
    def col(i: int) -> list[str]:
        return [fields[i] if i < len(fields) else "" for _, fields in rows]

    return SequenceRows(
        [n for n, _ in rows],
        {role: col(i) for role, i in roles.items()},
        {name: col(i) for name, i in extra.items()},
        list(damaged),
    )


def _parquet_rows(path: str, chunk_size: int) -> Iterator[SequenceRows]:
    if not os.path.exists(path):
        raise NcvError("file not found", path=path)
    if os.path.isdir(path):
        raise NcvError(f"is a folder, expected {EXPECTED}", path=path)
    try:
        pf = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise NcvError(f"cannot read Parquet: {exc}", path=path) from exc
    columns = pf.schema_arrow.names
    roles, extra = _columns(columns, path)
    line = 1
    for batch in pf.iter_batches(batch_size=chunk_size):
        data = [
            ["" if v is None else str(v) for v in batch.column(i).to_pylist()]
            for i in range(len(columns))
        ]
        n = batch.num_rows
        yield SequenceRows(
            list(range(line + 1, line + 1 + n)),
            {role: data[i] for role, i in roles.items()},
            {name: data[i] for name, i in extra.items()},
        )
        line += n
