"""Loci + genome + tracks -> the feature table (see ``docs/ARCHITECTURE.md`` for its columns).

Per variant and per mark of the cell line: ``{mark}_peak`` (the variant base lies in a peak),
``{mark}_max`` and ``{mark}_sum`` over the window's exact per-base signal (no data = 0); the ten
nucleotide-composition columns of the window; and ``seq``, the window's bases.

:func:`iter_feature_chunks` streams a loci file of any size in chunks (bounded memory);
:func:`build_features` assembles a whole table and caches it on disk, keyed by a content hash of
its inputs, so the app and the CLI never compute the same table twice.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pandas as pd

from ncv_core import __version__
from ncv_core.constants import COMPOSITION_COLUMNS, DEFAULT_WINDOW, LOCUS_COLUMNS
from ncv_core.coords import normalize_build
from ncv_core.errors import NcvError
from ncv_core.features.loci import (
    Deduplicator,
    LociBatch,
    Rejection,
    check_mismatch_rate,
    iter_loci,
    place,
    raise_if_unusable,
    summarize,
)
from ncv_core.features.tracks import TrackSet, warn_missing_contigs
from ncv_core.io.cache import FeatureCache, file_identity, sha256_file
from ncv_core.io.genome import Genome
from ncv_core.io.manifest import read_manifest
from ncv_core.progress import ProgressFn, report
from ncv_core.rejections import build_mismatch_hint
from ncv_core.sequence import composition

FEATURES_VERSION = 1
"""Bumped whenever the features computed for the same inputs change (invalidates caches)."""
_CACHE_FORMAT = 2
"""Bumped whenever a cached entry's metadata gains keys (2: ``tracks_missing_contigs``)."""


@dataclass
class FeatureResult:
    """A feature table, its metadata, and the loci that could not be used."""

    table: pd.DataFrame
    meta: dict
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return summarize(len(self.table), self.rejected)


def compute_features(
    loci: pd.DataFrame,
    genome: Genome,
    tracks: TrackSet | None,
    window: int,
    *,
    progress: ProgressFn | None = None,
) -> pd.DataFrame:
    """Add features and ``seq`` to loci already placed on ``genome`` (see :func:`ncv_core.features.loci.place`).

    Parameters
    ----------
    loci : pandas.DataFrame
        N rows with at least ``chrom`` (the genome's names) and ``pos`` (1-based).
    tracks : TrackSet or None
        The cell line's tracks; None for a model that reads none (sequence-only models, or only
        composition features): then no track columns.
    window : int
        Window length; the variant sits at offset ``window // 2``.

    Returns
    -------
    pandas.DataFrame
        ``loci``'s columns (bookkeeping columns ``_line``/``_raw`` kept), then the track features,
        the composition columns and ``seq``; N rows, same order.
    """
    chroms = loci["chrom"].tolist()
    positions = loci["pos"].to_numpy()
    seqs = genome.windows(chroms, positions, window)
    track_cols = (
        tracks.features(chroms, positions, window, progress=progress)
        if tracks is not None
        else pd.DataFrame(index=range(len(chroms)))
    )
    comp = (
        composition(seqs) if seqs else pd.DataFrame(columns=list(COMPOSITION_COLUMNS), dtype=float)
    )
    parts = [
        loci.reset_index(drop=True),
        track_cols,
        comp,
        pd.DataFrame({"seq": pd.array(seqs, dtype="str")}),
    ]
    return pd.concat(parts, axis=1)


def iter_feature_chunks(
    loci_path: str | os.PathLike,
    genome: Genome,
    tracks: TrackSet,
    *,
    window: int = DEFAULT_WINDOW,
    chunk_size: int = 50_000,
    progress: ProgressFn | None = None,
    dedup: Deduplicator | None = None,
) -> Iterator[tuple[pd.DataFrame, LociBatch]]:
    """Stream ``(features, placed_batch)`` per chunk of a loci file; memory bounded by ``chunk_size``.

    The placed batch carries that chunk's rejections. Duplicates are detected across chunks (by
    ``dedup``, a fresh :class:`~ncv_core.features.loci.Deduplicator` unless given).
    """
    dedup = Deduplicator() if dedup is None else dedup
    done = 0
    for batch in iter_loci(loci_path, chunk_size=chunk_size):
        check_header_build(batch, genome)
        placed = place(batch, genome, window=window, dedup=dedup)
        done += len(batch.table) + len(batch.rejected)
        report(progress, "features", done, None, kept=len(placed.table))
        yield compute_features(placed.table, genome, tracks, window), placed


def check_header_build(batch: LociBatch, genome: Genome) -> None:
    """A VCF's ``##contig``/``##reference`` lines must agree with the genome's build."""
    contigs = batch.header.get("contigs") or {}
    if contigs:
        genome.check_compatible(contigs, "the VCF header's ##contig lines", batch.path)
    ref = batch.header.get("reference") or ""
    declared = next((normalize_build(tok) for tok in _build_tokens(ref)), None)
    if declared and genome.build and declared != genome.build:
        raise NcvError(
            f"the VCF header says ##reference={ref}, a {declared} file, but the genome "
            f"is {genome.build}",
            path=batch.path,
        )


def _build_tokens(text: str) -> list[str]:
    import re

    return re.findall(r"(?i)(hg19|hg38|grch37|grch38|b37|mm10|grcm38)", text)


def output_columns(
    table: pd.DataFrame, baseline_columns: list[str], feature_columns: list[str]
) -> list[str]:
    """The feature table's column order: loci columns, baselines, features, ``seq``."""
    return [*LOCUS_COLUMNS, *baseline_columns, *feature_columns, "seq"]


def build_features(
    loci_path: str | os.PathLike,
    genome_path: str | os.PathLike,
    tracks_path: str | os.PathLike,
    cell_line: str,
    *,
    window: int = DEFAULT_WINDOW,
    build: str | None = None,
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    chunk_size: int = 50_000,
    progress: ProgressFn | None = None,
    engine: Callable[..., Iterator[tuple[pd.DataFrame, LociBatch]]] | None = None,
) -> FeatureResult:
    """The whole feature table of a loci file, from the on-disk cache when the inputs are unchanged.

    Parameters
    ----------
    loci_path, genome_path, tracks_path : path
        Loci file (VCF/BED/CSV/TSV), reference FASTA, tracks manifest.
    cell_line : str
        Cell line of the manifest whose tracks are used.
    window : int
        Window length in bp (default 150).
    build : str, optional
        Declared genome build (checked against the FASTA's contig lengths).
    cache_dir : path, optional
        Feature cache folder (default ``<cache_root()>/features``, see :func:`ncv_core.io.cache.cache_root`).
    use_cache : bool
        Read and write the cache.
    engine : callable, optional
        Computes the chunks in place of :func:`iter_feature_chunks` (same arguments, same
        chunks; e.g. :class:`ncv_core.distributed.ClusterFeatures`).

    Raises
    ------
    NcvError
        Unreadable inputs, a genome build mismatch, or no usable locus.
    """
    if window < 1:
        raise NcvError(f"window must be a positive number of bases, got {window}")
    if not os.path.isfile(loci_path):
        raise NcvError("loci file not found", path=loci_path)
    specs = read_manifest(tracks_path)
    with Genome(genome_path, build=build) as genome:
        tracks = TrackSet(specs, cell_line, genome)
        key = _cache_key(loci_path, genome, tracks_path, tracks, cell_line, window)
        cache = FeatureCache(cache_dir) if use_cache else None
        hit = cache.get(key) if cache else None
        if hit is not None:
            table, meta, rejected = hit
            warn_missing_contigs(meta.get("tracks_missing_contigs") or {})
            return FeatureResult(table, meta, rejected)
        result = _compute(
            loci_path, genome, tracks, cell_line, window, chunk_size, progress, engine
        )
    if cache:
        cache.put(key, result.table, result.meta, result.rejected)
    return result


def _compute(
    loci_path,
    genome: Genome,
    tracks: TrackSet,
    cell_line: str,
    window: int,
    chunk_size: int,
    progress: ProgressFn | None,
    engine=None,
) -> FeatureResult:
    chunks, rejected, baselines = [], [], []
    for table, placed in (engine or iter_feature_chunks)(
        loci_path, genome, tracks, window=window, chunk_size=chunk_size, progress=progress
    ):
        chunks.append(table)
        rejected.extend(placed.rejected)
        baselines = placed.baseline_columns
    kept = sum(len(c) for c in chunks)
    build_hint = build_mismatch_hint(rejected, kept, genome.contigs, genome.path.name)
    raise_if_unusable(kept, rejected, os.fspath(loci_path), hint=build_hint)
    warn_missing_contigs(tracks.missing_contigs)
    hint = build_hint or check_mismatch_rate(rejected, kept + len(rejected), os.fspath(loci_path))
    if hint:
        from ncv_core.errors import warn

        warn(hint)
    feature_cols = [*tracks.feature_names(), *COMPOSITION_COLUMNS]
    table = pd.concat(chunks, ignore_index=True)
    table = table[output_columns(table, baselines, feature_cols)]
    meta = {
        "format": "ncv-features",
        "version": FEATURES_VERSION,
        "created_by": f"ncv-explorer {__version__}",
        "cell_line": cell_line,
        "window": window,
        "genome": genome.describe(),
        "marks": tracks.marks,
        "tracks": tracks.describe(),
        "imputed_marks": [s.mark for s in tracks.specs if s.imputed],
        "feature_columns": feature_cols,
        "baseline_columns": baselines,
        "loci": {"path": os.fspath(loci_path), "sha256": sha256_file(loci_path)},
        "n_rows": len(table),
        "n_rejected": len(rejected),
        "n_labelled": int(table["label"].notna().sum()),
        "tracks_missing_contigs": tracks.missing_contigs,
    }
    return FeatureResult(table, meta, rejected)


def _cache_key(
    loci_path, genome: Genome, tracks_path, tracks: TrackSet, cell_line: str, window: int
) -> str:
    parts = {
        "features_version": FEATURES_VERSION,
        "cache_format": _CACHE_FORMAT,
        "loci": sha256_file(loci_path),
        "genome": {
            **file_identity(genome.path),
            "fingerprint": genome.fingerprint,
            "build": genome.build,
        },
        "manifest": sha256_file(tracks_path),
        "tracks": [
            {
                **s.describe(),
                "signal_id": file_identity(s.signal),
                "peaks_id": file_identity(s.peaks) if s.peaks else None,
            }
            for s in tracks.specs
        ],
        "cell_line": cell_line,
        "window": window,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
