"""A data set as the app knows it: the inputs of one feature table (loci file, genome, tracks
manifest, cell line), the file stamps that key the caches, and the built-in demo."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import streamlit as st

from ncv_core.demo import DemoPaths, ensure_demo
from ncv_core.io.model_folder import CARD, WEIGHTS


@dataclass(frozen=True)
class DataSet:
    """The inputs of a feature table: loci file, genome, tracks manifest and cell line."""

    loci: str
    genome: str
    tracks: str
    cell_line: str
    name: str
    demo: bool = False

    def key(self) -> tuple[str, str, str, str, str]:
        """Hashable identity for caches: the paths, the cell line and the loci file's stamp."""
        return (self.loci, self.genome, self.tracks, self.cell_line, file_stamp(self.loci))

    def as_dict(self) -> dict:
        return asdict(self)


def file_stamp(path: str | os.PathLike) -> str:
    """Size and modification time of a file (or a model folder's files): a cache-key part."""
    p = Path(path)
    files = [p / CARD, p / WEIGHTS] if p.is_dir() else [p]
    parts = []
    for f in files:
        try:
            s = f.stat()
        except OSError:
            parts.append("missing")
            continue
        parts.append(f"{s.st_size}:{s.st_mtime_ns}")
    return "|".join(parts)


@st.cache_data(show_spinner="Building the demo data set (first start only, a few seconds)...")
def demo_paths() -> DemoPaths:
    """The demo's files (built on first use, then read from the cache folder)."""
    return ensure_demo()


def demo_dataset(cell_line: str) -> DataSet:
    demo = demo_paths()
    return DataSet(
        loci=str(demo.loci[cell_line]),
        genome=str(demo.genome),
        tracks=str(demo.tracks),
        cell_line=cell_line,
        name=f"demo {cell_line}",
        demo=True,
    )
