"""Feature tables of big loci files on a dask cluster, equal to one process's.

:class:`ClusterFeatures` stands in for :func:`ncv_core.features.build.iter_feature_chunks`
inside :func:`ncv_core.features.build.build_features` (``engine=``), so the cache, the checks,
the column order and the metadata stay the core's. Each task builds one chunk of the single pass
(:mod:`ncv_core.distributed.plan`) with ``iter_feature_chunks`` itself on the worker's open
genome and tracks and writes it as a Parquet part; the client reads the parts back in order.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from distributed import Client

from ncv_core.distributed.dedup import KnownDuplicates
from ncv_core.distributed.plan import WHOLE, ChunkJob, Placement, plan_chunks
from ncv_core.distributed.plugin import WorkerInputs, inputs_of, merge_missing, take_missing
from ncv_core.distributed.run import run_ordered
from ncv_core.features.build import FeatureResult, build_features, iter_feature_chunks
from ncv_core.features.loci import LociBatch
from ncv_core.features.tracks import TrackSet
from ncv_core.io.genome import Genome
from ncv_core.io.loci_chunks import LociChunkFile, read_header
from ncv_core.io.parts import (
    read_part,
    read_rejection_part,
    work_folder,
    write_part,
    write_rejection_part,
)
from ncv_core.progress import ProgressFn


def feature_task(plugin: str, job: ChunkJob, window: int, folder: str, name: str) -> dict:
    """Build one chunk's features on this worker's inputs; write ``<name>.features`` and
    ``<name>.rejected``."""
    inputs = inputs_of(plugin)
    with inputs.lock:
        take_missing(inputs)
        chunks = list(
            iter_feature_chunks(
                LociChunkFile(job.chunk),
                inputs.genome,
                inputs.tracks,
                window=window,
                chunk_size=WHOLE,
                dedup=KnownDuplicates(job.duplicates),
            )
        )
        missing = take_missing(inputs)
    if not chunks:
        return {"features": None, "rejected": None, "kept": 0, "missing": missing}
    ((table, placed),) = chunks
    return {
        "missing": missing,
        "features": os.fspath(write_part(table, folder, f"{name}.features")),
        "rejected": os.fspath(write_rejection_part(placed.rejected, folder, f"{name}.rejected")),
        "kept": len(table),
    }


class ClusterFeatures:
    """:func:`~ncv_core.features.build.iter_feature_chunks` on a dask cluster (same chunks).

    Parameters
    ----------
    client : distributed.Client
    folder : path
        Work folder seen by every worker.
    tracks_path : path
        The tracks manifest (each worker reads it; the open TrackSet stays in the client).
    """

    def __init__(
        self,
        client: Client,
        folder: str | os.PathLike,
        *,
        tracks_path: str | os.PathLike,
        resources: dict[str, float] | None = None,
        lines_per_segment: int | None = None,
    ) -> None:
        self.client, self.folder, self.tracks_path = client, Path(folder), os.fspath(tracks_path)
        self.resources, self.lines_per_segment = resources, lines_per_segment

    def __call__(
        self,
        loci_path: str | os.PathLike,
        genome: Genome,
        tracks: TrackSet,
        *,
        window: int,
        chunk_size: int = 50_000,
        progress: ProgressFn | None = None,
    ) -> Iterator[tuple]:
        loci = os.fspath(loci_path)
        fmt, header = read_header(loci)
        plugin = WorkerInputs(
            f"ncv-inputs-{uuid.uuid4().hex[:12]}",
            genome=os.fspath(genome.path),
            tracks=self.tracks_path,
            cell_line=tracks.cell_line,
            build=genome.build,
        )
        self.client.register_plugin(plugin)
        try:
            jobs = plan_chunks(
                self.client, plugin.name, loci, fmt, header, chunk_size=chunk_size,
                placement=Placement(window), folder=self.folder, resources=self.resources,
                lines_per_segment=self.lines_per_segment, progress=progress,
            ).jobs  # fmt: skip
            calls = [
                (plugin.name, job, window, os.fspath(self.folder), f"chunk-{i:06d}")
                for i, job in enumerate(jobs)
            ]
            baselines = list(header.get("baseline_columns", []))
            for result in run_ordered(
                self.client, feature_task, calls, stage="features", resources=self.resources,
                progress=progress, count=lambda r: {"kept": r["kept"]},
            ):  # fmt: skip
                merge_missing(tracks.missing_contigs, result["missing"])
                if result["features"] is None:
                    continue
                table = read_part(result["features"])
                rejected = read_rejection_part(result["rejected"])
                yield table, LociBatch(table, rejected, baselines, loci, fmt, header)
        finally:
            self.client.unregister_worker_plugin(plugin.name)


def features_on_cluster(
    client: Client,
    loci_path: str | os.PathLike,
    genome_path: str | os.PathLike,
    tracks_path: str | os.PathLike,
    cell_line: str,
    *,
    work_dir: str | os.PathLike,
    resources: dict[str, float] | None = None,
    **options,
) -> FeatureResult:
    """:func:`~ncv_core.features.build.build_features` (same ``options``: window, build, cache,
    chunk size, progress) with the chunks built by ``client``'s workers; the work folder is made
    inside ``work_dir`` (seen by every worker) and removed at the end."""
    with work_folder(Path(work_dir) / "features", None) as folder:
        engine = ClusterFeatures(client, folder, tracks_path=tracks_path, resources=resources)
        return build_features(
            loci_path, genome_path, tracks_path, cell_line, engine=engine, **options
        )
