"""Variant scoring on a dask cluster, with the same outputs as one process.

:class:`ClusterScoring` stands in for :func:`ncv_core.score.iter_scores` inside
:func:`ncv_core.score.score_file` (``engine=``), so the writers, the rejection report and the
checks are the single pass's own. Each task scores one chunk of the single pass
(:mod:`ncv_core.distributed.plan`) with the core's :func:`ncv_core.score.score_chunks` on the
worker's open inputs and writes its scores and rejections as Parquet parts; the client reads the
parts back in order and hands them to the writers, reading the input itself only to copy it into
an annotated VCF. :func:`score_on_cluster` is the whole run (``ncv score --workers``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from distributed import Client

from ncv_core.distributed.dedup import KnownDuplicates
from ncv_core.distributed.plan import WHOLE, ChunkJob, plan_chunks
from ncv_core.distributed.plugin import WorkerInputs, inputs_of
from ncv_core.distributed.run import run_ordered
from ncv_core.errors import NcvError
from ncv_core.io.loci_chunks import LociChunkFile, read_header
from ncv_core.io.loci_files import LociFile
from ncv_core.io.parts import (
    read_part,
    read_rejection_part,
    work_folder,
    write_part,
    write_rejection_part,
)
from ncv_core.models.loaded import LoadedModel
from ncv_core.progress import ProgressFn, StopFlag
from ncv_core.score import ScoreChunk, ScoreReport, check_inputs, score_chunks, score_file

_LINE = "_line"


def score_task(plugin: str, job: ChunkJob, batch_size: int, folder: str, name: str) -> dict:
    """Score one chunk on this worker's inputs; write ``<name>.scores`` and ``<name>.rejected``."""
    inputs = inputs_of(plugin)
    with inputs.lock:
        chunks = list(
            score_chunks(
                inputs.model,
                LociChunkFile(job.chunk),
                inputs.genome,
                inputs.tracks,
                chunk_size=WHOLE,
                batch_size=batch_size,
                dedup=KnownDuplicates(job.duplicates),
            )
        )
    if not chunks:  # nothing but comments and blank lines: a single pass yields no chunk either
        return {"scores": None, "rejected": None, "scored": 0, "rejected_rows": 0}
    (chunk,) = chunks
    scores = chunk.scores.assign(**{_LINE: np.asarray(chunk.lines, dtype=np.int64)})
    return {
        "scores": os.fspath(write_part(scores, folder, f"{name}.scores")),
        "rejected": os.fspath(write_rejection_part(chunk.rejected, folder, f"{name}.rejected")),
        "scored": len(chunk.scores),
        "rejected_rows": len(chunk.rejected),
    }


def read_score_chunk(result: dict) -> ScoreChunk | None:
    """The :class:`~ncv_core.score.ScoreChunk` a :func:`score_task` wrote (None: no chunk)."""
    if result["scores"] is None:
        return None
    scores = read_part(result["scores"])
    lines = scores.pop(_LINE).to_numpy()
    if not len(scores):
        scores = pd.DataFrame()  # what the core gives a chunk with nothing scored
    return ScoreChunk(scores, lines, read_rejection_part(result["rejected"]))


class ClusterScoring:
    """:func:`ncv_core.score.iter_scores` on a dask cluster: the same chunks, in the same order.

    Parameters
    ----------
    client : distributed.Client
    folder : path
        Work folder seen by every worker (parts, segments of a gzip input).
    model_path : path
        The model folder, loaded once by each worker.
    device : str, optional
        The workers' torch device (None: CUDA where a worker has it, else CPU).
    torch_threads : int
        Torch threads per worker.
    resources : dict, optional
        Worker resources each task holds, e.g. ``{"GPU": 1}``.
    """

    def __init__(
        self,
        client: Client,
        folder: str | os.PathLike,
        *,
        model_path: str | os.PathLike,
        device: str | None = None,
        torch_threads: int = 1,
        resources: dict[str, float] | None = None,
        lines_per_segment: int | None = None,
    ) -> None:
        self.client, self.folder = client, Path(folder)
        self.model_path, self.device, self.torch_threads = (
            os.fspath(model_path),
            device,
            torch_threads,
        )
        self.resources, self.lines_per_segment = resources, lines_per_segment

    def __call__(
        self,
        model: LoadedModel,
        loci: LociFile,
        genome_path: str | os.PathLike,
        tracks_path: str | os.PathLike,
        cell_line: str,
        *,
        chunk_size: int = 20_000,
        batch_size: int = 2048,
        progress: ProgressFn | None = None,
        stop: StopFlag | None = None,
    ) -> Iterator[ScoreChunk]:
        check_inputs(model, genome_path, tracks_path, cell_line)
        fmt, header = read_header(loci.path, loci.fmt)
        plugin = WorkerInputs(
            f"ncv-inputs-{uuid.uuid4().hex[:12]}",
            genome=os.fspath(genome_path),
            tracks=None if tracks_path is None else os.fspath(tracks_path),
            cell_line=cell_line,
            model=self.model_path,
            device=self.device,
            torch_threads=self.torch_threads,
        )
        self.client.register_plugin(plugin)
        try:
            jobs = plan_chunks(
                self.client, plugin.name, loci.path, fmt, header, chunk_size=chunk_size,
                window=model.trained_window, folder=self.folder, resources=self.resources,
                lines_per_segment=self.lines_per_segment, progress=progress, stop=stop,
            )  # fmt: skip
            calls = [
                (plugin.name, job, batch_size, os.fspath(self.folder), f"chunk-{i:06d}")
                for i, job in enumerate(jobs)
            ]
            for job, result in zip(
                jobs,
                run_ordered(
                    self.client, score_task, calls, stage="score", resources=self.resources,
                    progress=progress, stop=stop, count=lambda r: {"scored": r["scored"]},
                ),
                strict=True,
            ):  # fmt: skip
                loci.read_through(job.chunk.last_line)  # feeds an annotated VCF's copy
                chunk = read_score_chunk(result)
                if chunk is not None:
                    yield chunk
            loci.read_through(None)
        finally:
            self.client.unregister_worker_plugin(plugin.name)


def score_on_cluster(
    client: Client,
    model: LoadedModel,
    loci_path: str | os.PathLike,
    genome_path: str | os.PathLike,
    tracks_path: str | os.PathLike,
    cell_line: str,
    out: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    device: str | None = None,
    torch_threads: int = 1,
    resources: dict[str, float] | None = None,
    work_dir: str | os.PathLike | None = None,
    chunk_size: int = 20_000,
    batch_size: int = 2048,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
) -> ScoreReport:
    """:func:`ncv_core.score.score_file` with the scoring done by ``client``'s workers.

    The outputs (TSV, CSV, Parquet, annotated VCF) and the rejection report are those of
    ``score_file`` with the same ``chunk_size`` and ``batch_size``, byte for byte on CPU workers.
    ``model`` (loaded here for its card; any device) must have been loaded from a folder, which
    each worker loads again. The work folder goes beside the first output unless ``work_dir``
    says where (it must be seen by every worker); it is removed at the end.
    """
    if model.path is None:
        raise NcvError("scoring on a cluster needs a model loaded from a folder (load_model)")
    outs = [out] if isinstance(out, (str, os.PathLike)) else list(out)
    with work_folder(outs[0] if outs else "scores", work_dir) as folder:
        engine = ClusterScoring(
            client, folder, model_path=model.path, device=device,
            torch_threads=torch_threads, resources=resources,
        )  # fmt: skip
        return score_file(
            model, loci_path, genome_path, tracks_path, cell_line, out, chunk_size=chunk_size,
            batch_size=batch_size, progress=progress, stop=stop, engine=engine,
        )  # fmt: skip
