"""Reading and writing tables (Parquet, TSV, CSV; optionally gzipped) with their metadata.

Feature and score tables carry a small JSON metadata dict (window, cell line, genome build,
feature columns, ...). Parquet keeps it in the file's schema metadata under the key ``ncv``;
TSV and CSV keep it in a sidecar ``<file>.meta.json``. Writes are atomic: a crash mid-write never
leaves a half file under the final name.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ncv_core.errors import NcvError

_META_KEY = b"ncv"


def table_format(path: str | os.PathLike) -> str:
    """``"parquet"``, ``"tsv"`` or ``"csv"`` from a file name (``.gz`` allowed for text)."""
    name = os.fspath(path).lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".tsv", ".txt", ".tab")):
        return "tsv"
    raise NcvError(
        "unknown table format; expected a name ending in .parquet, .tsv, .csv (or .tsv.gz, .csv.gz)",
        path=path,
    )


def sidecar_path(path: str | os.PathLike) -> Path:
    """Where the metadata of a text table lives: ``<file>.meta.json``."""
    return Path(os.fspath(path) + ".meta.json")


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def write_table(df: pd.DataFrame, path: str | os.PathLike, meta: dict | None = None) -> None:
    """Write ``df`` (and ``meta``) to Parquet/TSV/CSV chosen by extension, atomically."""
    fmt = table_format(path)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            table = pa.Table.from_pandas(df, preserve_index=False)
            if meta is not None:
                extra = {_META_KEY: json.dumps(meta, default=_json_default).encode()}
                table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
            pq.write_table(table, tmp)
        else:
            sep = "," if fmt == "csv" else "\t"
            compression = "gzip" if os.fspath(path).lower().endswith(".gz") else None
            df.to_csv(tmp, sep=sep, index=False, na_rep="", compression=compression)
    if fmt != "parquet" and meta is not None:
        write_json(meta, sidecar_path(path))


def read_table(path: str | os.PathLike) -> tuple[pd.DataFrame, dict]:
    """Read a table written by :func:`write_table` (or any user table) and its metadata.

    Returns
    -------
    (pandas.DataFrame, dict)
        The table, and its metadata (``{}`` when it has none).
    """
    fmt = table_format(path)
    if not os.path.exists(path):
        raise NcvError("file not found", path=path)
    try:
        if fmt == "parquet":
            table = pq.read_table(path)
            raw = (table.schema.metadata or {}).get(_META_KEY)
            return table.to_pandas(), (json.loads(raw) if raw else {})
        df = pd.read_csv(path, sep="," if fmt == "csv" else "\t", comment=None)
    except (OSError, pa.ArrowException, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise NcvError(f"cannot read {fmt} table: {exc}", path=path) from exc
    meta = {}
    side = sidecar_path(path)
    if side.exists():
        try:
            meta = json.loads(side.read_text())
        except json.JSONDecodeError as exc:
            raise NcvError(f"metadata is not valid JSON: {exc}", path=side) from exc
    return df, meta
