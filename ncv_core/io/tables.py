"""Reading and writing tables (Parquet, TSV, CSV; optionally gzipped) with their metadata.

Feature and score tables carry a small JSON metadata dict (window, cell line, genome build,
feature columns, ...). Parquet keeps it in the file's schema metadata under the key ``ncv``;
TSV and CSV keep it in a sidecar ``<file>.meta.json``. Writes are atomic: a crash mid-write never
leaves a half file under the final name.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ncv_core.errors import NcvError
from ncv_core.io.text import check_text
from ncv_core.rejections import Rejection, rejections_frame

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


def _read_umask() -> int:
    """The process umask, read without changing it where the platform allows (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: the classic set-and-restore, once
    os.umask(mask)
    return mask


def _publish(tmp: Path, folder: bool) -> None:
    """Give a temporary file (or a folder and its files) the permissions a plain ``open`` would:
    ``mkstemp``/``mkdtemp`` create them private (0600/0700), which would survive the rename."""
    mask = _read_umask()
    if not folder:
        os.chmod(tmp, 0o666 & ~mask)
        return
    os.chmod(tmp, 0o777 & ~mask)
    for f in tmp.rglob("*"):
        os.chmod(f, (0o777 if f.is_dir() else 0o666) & ~mask)


def _replace(tmp: Path, target: Path, folder: bool, exclusive: bool) -> None:
    """Rename ``tmp`` onto ``target``; an old folder is moved aside first, then deleted (with
    ``exclusive``, an existing ``target`` is kept and :class:`FileExistsError` raised)."""
    if exclusive:
        try:
            os.rename(tmp, target)  # a non-empty folder (or, for files, below) is never replaced
        except OSError as exc:
            if target.exists():
                raise FileExistsError(str(target)) from exc
            raise
        return
    if not folder or not target.exists():
        os.replace(tmp, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.rmdir(old)
    os.replace(target, old)
    try:
        os.replace(tmp, target)
    except OSError:
        os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def atomic_path(
    path: str | os.PathLike, *, folder: bool = False, exclusive: bool = False, suffix: str = ""
) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    The one atomic writer of the package: a crash, an error or an interrupt inside the block
    leaves the old ``path`` (or nothing) under the final name, never half a file. With
    ``folder=True`` the temporary path is a folder (a model folder, say) that replaces ``path``
    as a whole; with ``exclusive=True`` a ``path`` that exists by then is left as it is and
    :class:`FileExistsError` is raised (two processes building the same folder: the first wins).
    The result has the permissions the umask gives a new file (0644 under the usual 022), as
    with a plain ``open``. ``suffix`` ends the temporary name (for writers that insist on an
    extension, such as pybigtools' ``.bw``).

    Raises
    ------
    NcvError
        When the folder of ``path`` cannot be created or written.
    """
    target = Path(path)
    ensure_writable(target, folder=folder)
    try:
        if folder:
            tmp = Path(
                tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
            )
        else:
            fd, name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".part" + suffix, dir=target.parent
            )
            os.close(fd)
            tmp = Path(name)
    except OSError as exc:
        raise NcvError(f"cannot write here: {exc.strerror}", path=target) from exc
    try:
        yield tmp
        _publish(tmp, folder)
        _replace(tmp, target, folder, exclusive)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


def ensure_writable(path: str | os.PathLike, *, folder: bool = False) -> None:
    """Check, before any work, that ``path`` can be written: its folder exists (or can be made)
    and accepts new files, and ``path`` itself is not a read-only file, nor a folder where a file
    is to be written (or, with ``folder=True``, a file where a folder is).

    Raises
    ------
    NcvError
        Naming ``path`` and the reason (permission denied, read-only file system, ...).
    """
    target = Path(path)
    if target.is_dir() and not folder:
        raise NcvError("is a folder; expected the name of a file to write", path=target)
    if folder and target.exists() and not target.is_dir():
        raise NcvError("is a file; expected the name of a folder to write", path=target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NcvError(
            f"cannot create the output folder {target.parent}: {exc.strerror}", path=target
        ) from exc
    if target.exists() and not os.access(target, os.W_OK) and not target.is_dir():
        raise NcvError("the output file exists and is read-only", path=target)
    try:
        fd, probe = tempfile.mkstemp(prefix=".ncv-write-probe-", dir=target.parent)
    except OSError as exc:
        raise NcvError(f"cannot write into {target.parent}: {exc.strerror}", path=target) from exc
    os.close(fd)
    os.unlink(probe)


def check_outputs(
    outputs: Iterable[str | os.PathLike | None],
    *,
    inputs: Iterable[str | os.PathLike | None] = (),
    folders: Iterable[str | os.PathLike | None] = (),
) -> None:
    """Check every output of a command before any work starts.

    Each of ``outputs`` (files) and ``folders`` (written as whole folders) must be writable
    (:func:`ensure_writable`), named once, and neither be one of ``inputs`` nor (for a folder)
    hold one; ``None`` entries are skipped. Symbolic and hard links count as the same file.

    Raises
    ------
    NcvError
        Naming the output and the input it would replace, or why it cannot be written.
    """
    given = [(Path(o), False) for o in outputs if o is not None]
    given += [(Path(f), True) for f in folders if f is not None]
    sources = [Path(i) for i in inputs if i is not None]
    for k, (out, is_folder) in enumerate(given):
        twice = next((o for o, _ in given[:k] if _same_file(o, out)), None)
        if twice is not None:
            raise NcvError(
                f"is named for two outputs (also as {twice}); choose two names", path=out
            )
        for src in sources:
            if _same_file(out, src) or (is_folder and _inside(src, out)):
                what = "the input" if _same_file(out, src) else "the folder of the input"
                raise NcvError(
                    f"the output would replace {what} {src}; choose another output name",
                    path=out,
                )
    for out, is_folder in given:
        ensure_writable(out, folder=is_folder)


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def table_paths(path: str | os.PathLike, *, meta: bool = True) -> list[Path]:
    """The files :func:`write_table` writes for ``path``: the table, and for a text table with
    metadata its ``<file>.meta.json``."""
    out = [Path(path)]
    if meta and table_format(path) != "parquet":
        out.append(sidecar_path(path))
    return out


def json_ready(obj: Any) -> Any:
    """Deep copy with numpy scalars as Python numbers and NaN/inf as None (strict JSON)."""
    if isinstance(obj, dict):
        return {str(k): json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_ready(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_json(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    write_text(json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n", path)


def write_text(text: str, path: str | os.PathLike) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends as given), atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file.

    Raises
    ------
    NcvError
        When it is missing, unreadable or not valid JSON.
    """
    if os.path.isdir(path):
        raise NcvError("is a folder, expected a JSON file", path=path)
    if os.path.exists(path):
        check_text(path, what="a JSON file", expected="UTF-8 JSON text")
    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise NcvError(f"cannot read: {exc.strerror}", path=path) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NcvError(f"not valid JSON: {exc}", path=path) from exc


def write_npy(array: np.ndarray, path: str | os.PathLike) -> None:
    """Write a NumPy array as ``.npy`` (no pickles: ``allow_pickle=False``), atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, np.asarray(array), allow_pickle=False)


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
    if os.path.isdir(path):
        raise NcvError(f"is a folder, expected a {fmt} table", path=path)
    if fmt == "parquet":
        return _read_parquet(path)
    sep = "," if fmt == "csv" else "\t"
    expected = f"{'comma' if fmt == 'csv' else 'tab'}-separated text with a header line"
    check_text(path, what=f"a {fmt.upper()} table", expected=expected)
    try:
        df = pd.read_csv(path, sep=sep, comment=None)
    except pd.errors.EmptyDataError as exc:
        raise NcvError(f"is empty; expected {expected}", path=path) from exc
    except (OSError, EOFError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise NcvError(f"cannot read {fmt} table: {exc}", path=path) from exc
    side = sidecar_path(path)
    meta = read_json(side) if side.exists() else {}
    if not isinstance(meta, dict):
        raise NcvError("metadata is not a JSON object", path=side)
    return df, meta


def _read_parquet(path: str | os.PathLike) -> tuple[pd.DataFrame, dict]:
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head != b"PAR1":
        raise NcvError(
            "is not a Parquet file (it does not start with PAR1); name a TSV .tsv, a CSV .csv",
            path=path,
        )
    try:
        table = pq.read_table(path)
        raw = (table.schema.metadata or {}).get(_META_KEY)
        meta = json.loads(raw) if raw else {}
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise NcvError(
            f"cannot read the Parquet table (damaged or truncated?): {exc}", path=path
        ) from exc
    return table.to_pandas(), meta


def write_rejections(rejected: list[Rejection], path: str | os.PathLike) -> None:
    """Write the rejection report (:func:`ncv_core.rejections.rejections_frame`) as TSV,
    atomically; always, even when empty."""
    with atomic_path(path) as tmp:
        rejections_frame(rejected).to_csv(tmp, sep="\t", index=False)


def rejected_report_path(out: str | os.PathLike) -> Path:
    """Where the rejection report of an output goes: ``gm.parquet`` -> ``gm.rejected.tsv`` (also
    for .tsv, .csv, .tsv.gz, .vcf.gz ...)."""
    out = Path(out)
    name = out.name
    for suffix in (".gz", ".parquet", ".pq", ".tsv", ".csv", ".txt", ".vcf"):
        name = name.removesuffix(suffix)
    return out.with_name(f"{name}.rejected.tsv")
