"""On-disk cache of feature tables, keyed by a hash of their inputs.

Small inputs (loci files, manifests) are hashed by content; large ones (genomes, bigWigs) by
identity: absolute path, size and modification time, plus the genome's contig fingerprint. The
cache folder is :func:`cache_root`; deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from ncv_core.errors import NcvError, warn
from ncv_core.io.tables import atomic_path, read_table, write_table
from ncv_core.rejections import Rejection, rejections_frame


def cache_root() -> Path:
    """The one cache folder of the package: ``$NCV_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/ncv-explorer``, else ``~/.cache/ncv-explorer``. Deleting it is always safe."""
    env = os.environ.get("NCV_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "ncv-explorer"


def sha256_file(path: str | os.PathLike, *, block: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            h.update(chunk)
    return h.hexdigest()


def file_identity(path: str | os.PathLike) -> dict:
    """Absolute path, size and modification time: a cheap identity for large files."""
    st = os.stat(path)
    return {"path": str(Path(path).resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


class FeatureCache:
    """Feature tables stored as ``<key>.parquet`` (with metadata) + ``<key>.rejected.tsv``."""

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self.folder = Path(folder) if folder else cache_root() / "features"

    def _paths(self, key: str) -> tuple[Path, Path]:
        return self.folder / f"{key}.parquet", self.folder / f"{key}.rejected.tsv"

    def get(self, key: str) -> tuple[pd.DataFrame, dict, list[Rejection]] | None:
        """The cached (table, meta, rejections), or None when absent or unreadable."""
        table_path, rejected_path = self._paths(key)
        if not (table_path.exists() and rejected_path.exists()):
            return None
        try:
            table, meta = read_table(table_path)
            rej = pd.read_csv(rejected_path, sep="\t", dtype=str, keep_default_na=False)
        except Exception as exc:  # a damaged cache entry is recomputed, never fatal
            warn(f"ignoring unreadable feature cache entry {table_path}: {exc}")
            return None
        rejected = [Rejection(int(r.line), r.row, r.reason, r.category) for r in rej.itertuples()]
        return table, meta, rejected

    def put(self, key: str, table: pd.DataFrame, meta: dict, rejected: list[Rejection]) -> None:
        """Store an entry (atomically; failures to write only warn)."""
        table_path, rejected_path = self._paths(key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_path(rejected_path) as tmp:
                rejections_frame(rejected).to_csv(tmp, sep="\t", index=False)
            write_table(table, table_path, meta)
        except (OSError, NcvError) as exc:
            warn(f"could not write the feature cache in {self.folder}: {exc}")
