"""The distributed engine's scratch files: a work folder beside the output and the part files
that tasks write into it.

A task writes what it computed as Parquet parts (one table, and its rejections) under a name of
its own, atomically (:func:`ncv_core.io.tables.atomic_path`): a task killed half-way leaves no
part, and a task run twice (a worker lost after it finished) writes the same part again. The
client reads the parts back in input order and assembles the final files, so no large result
travels through the scheduler. The folder and everything in it go away at the end of the run,
whether it succeeded or not.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ncv_core.errors import NcvError
from ncv_core.io.tables import atomic_path, ensure_writable
from ncv_core.rejections import Rejection

_REJECTION_SCHEMA = pa.schema(
    [("line", pa.int64()), ("row", pa.string()), ("reason", pa.string()), ("category", pa.string())]
)


@contextmanager
def work_folder(out: str | os.PathLike, where: str | os.PathLike | None = None) -> Iterator[Path]:
    """A new hidden folder beside ``out`` (or inside ``where``), removed at the end.

    It must be on a file system that every worker sees (beside the output usually is).

    Raises
    ------
    NcvError
        When the folder cannot be created.
    """
    out = Path(out)
    parent = Path(where) if where is not None else out.parent
    ensure_writable(parent / out.name)
    try:
        folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".ncv-work", dir=parent))
    except OSError as exc:
        raise NcvError(f"cannot create a work folder: {exc.strerror}", path=parent) from exc
    try:
        yield folder
    finally:
        _remove(folder)


def _remove(folder: Path) -> None:
    """Remove the work folder although tasks cancelled by a stopped run may still write to it:
    it is renamed first (a task's next write then fails, its path gone), then removed."""
    trash = folder.with_name(folder.name + ".removed")
    try:
        folder.rename(trash)
    except OSError:
        trash = folder
    for _ in range(20):
        shutil.rmtree(trash, ignore_errors=True)
        if not trash.exists():
            return
        time.sleep(0.05)


def _target(folder: str | os.PathLike, name: str) -> Path:
    folder = Path(folder)
    if not folder.is_dir():  # the run is over (its folder removed): write nothing
        raise NcvError("the work folder is gone; the run was stopped", path=folder)
    return folder / name


def write_part(df: pd.DataFrame, folder: str | os.PathLike, name: str) -> Path:
    """Write ``df`` as ``<folder>/<name>.parquet``, atomically; returns the path."""
    path = _target(folder, f"{name}.parquet")
    with atomic_path(path) as tmp:
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), tmp)
    return path


def read_part(path: str | os.PathLike, columns: list[str] | None = None) -> pd.DataFrame:
    """A part written by :func:`write_part` (dtypes as written), or some of its columns."""
    return pq.read_table(path, columns=columns).to_pandas()


def write_rejection_part(rejected: list[Rejection], folder: str | os.PathLike, name: str) -> Path:
    """Write rejections (in their order) as ``<folder>/<name>.parquet``, atomically."""
    path = _target(folder, f"{name}.parquet")
    columns = {
        "line": [r.line for r in rejected],
        "row": [r.row for r in rejected],
        "reason": [r.reason for r in rejected],
        "category": [r.category for r in rejected],
    }
    with atomic_path(path) as tmp:
        pq.write_table(pa.table(columns, schema=_REJECTION_SCHEMA), tmp)
    return path


def read_rejection_part(path: str | os.PathLike) -> list[Rejection]:
    """The rejections of a part written by :func:`write_rejection_part`, in order."""
    t = pq.read_table(path).to_pydict()
    return [
        Rejection(int(line), row, reason, category)
        for line, row, reason, category in zip(
            t["line"], t["row"], t["reason"], t["category"], strict=True
        )
    ]


def write_array_part(arrays: dict[str, np.ndarray], folder: str | os.PathLike, name: str) -> Path:
    """Write named arrays as ``<folder>/<name>.safetensors``, atomically; returns the path."""
    from safetensors.numpy import save_file

    path = _target(folder, f"{name}.safetensors")
    with atomic_path(path) as tmp:
        save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, os.fspath(tmp))
    return path


def read_array_part(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The arrays of a part written by :func:`write_array_part` (dtypes and shapes as written)."""
    from safetensors.numpy import load_file

    return load_file(os.fspath(path))
