"""Variant scoring on a dask cluster, with the same outputs as one process.

:class:`ClusterScoring` stands in for :func:`ncv_core.score.iter_scores` inside
:func:`ncv_core.score.score_file` (``engine=``), so the writers, the metadata, the rejection
report and the checks are the single pass's own. The plan (:mod:`ncv_core.distributed.plan`)
finds the single pass's chunks, the duplicates across them and which variants the single pass
fills in from its memo of earlier chunks (:func:`ncv_core.distributed.dedup.memo_plan`). A
background, when asked for, is drawn by one task from the chunk a single pass draws it from.
Each chunk is then scored by one task with the core's
:func:`ncv_core.scoring.chunk.score_placed` on the worker's open inputs and written as a Parquet
part; the client reads the parts back in order, fills in the memo's variants from earlier chunks
(and their percentiles), and hands the chunks to the writers, reading the input itself only to
copy it into an annotated VCF. :func:`score_on_cluster` is the whole run.
"""

from __future__ import annotations

import operator
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from distributed import Client, KilledWorker

from ncv_core.distributed.dedup import KnownDuplicates, memo_plan
from ncv_core.distributed.plan import WHOLE, ChunkJob, Placement, plan_chunks
from ncv_core.distributed.plugin import WorkerInputs, inputs_of, merge_missing, take_missing
from ncv_core.distributed.run import run_ordered
from ncv_core.errors import NcvError
from ncv_core.features.loci import place
from ncv_core.features.tracks import warn_missing_contigs
from ncv_core.io.loci_chunks import LociChunkFile, read_header
from ncv_core.io.loci_files import LociFile
from ncv_core.io.parts import (
    read_part,
    read_rejection_part,
    work_folder,
    write_part,
    write_rejection_part,
)
from ncv_core.io.scores import column_spec
from ncv_core.progress import ProgressFn, StopFlag
from ncv_core.score import ScoreReport, score_file
from ncv_core.scoring.background import DEFAULT_FLANK
from ncv_core.scoring.chunk import ScoreChunk, name_models, needs_tracks, score_placed
from ncv_core.scoring.sources import loci_batches, open_inputs

_LINE, _ALT = "_line", "_alt"


@dataclass(frozen=True)
class ScoreOptions:
    """What every score task needs besides its chunk (small, picklable)."""

    placement: Placement
    batch_size: int
    rc_average: bool


def _placed(inputs, job: ChunkJob, placement: Placement):
    """The chunk's batch placed as the single pass places it (None: a chunk of no rows)."""
    batches = list(loci_batches(LociChunkFile(job.chunk), inputs.genome, chunk_size=WHOLE))
    if not batches:  # nothing but comments and blank lines: a single pass yields no chunk
        return None
    return place(
        batches[0], inputs.genome, window=placement.window,
        dedup=KnownDuplicates(job.duplicates), max_len=placement.max_len, keep_duplicates=True,
    )  # fmt: skip


def background_task(plugin: str, job: ChunkJob, placement: Placement, draw: dict):
    """The background a single pass draws near this chunk's placed loci, and the missing-contig
    counts its features added: ``(Background, missing)``."""
    from ncv_core.score import _background

    inputs = inputs_of(plugin)
    with inputs.lock:
        take_missing(inputs)
        placed = _placed(inputs, job, placement)
        bg = _background(
            inputs.models, placed.table, inputs.genome, inputs.tracks,
            where="near the file's loci", **draw,
        )  # fmt: skip
        return bg, take_missing(inputs)


def score_task(
    plugin: str, job: ChunkJob, opts: ScoreOptions, known: list, background, folder: str,
    name: str,
) -> dict:  # fmt: skip
    """Score one chunk on this worker's inputs; write ``<name>.scores`` and ``<name>.rejected``.

    The variants in ``known`` are not scored (a single pass copies them from earlier chunks):
    their score columns are NaN until the client fills them in."""
    inputs = inputs_of(plugin)
    with inputs.lock:
        take_missing(inputs)
        placed = _placed(inputs, job, opts.placement)
        if placed is None:
            return {"scores": None, "rejected": None, "scored": 0, "missing": {}}
        width = len(column_spec({n: m.label_columns for n, m in inputs.models.items()}))
        blank = np.full(width, np.nan)
        chunk = score_placed(
            inputs.models, placed, inputs.genome, inputs.tracks, rc_average=opts.rc_average,
            batch_size=opts.batch_size, background=background,
            known={tuple(k): blank for k in known},
        )  # fmt: skip
        missing = take_missing(inputs)
    alts = chunk.alts if chunk.alts is not None else [""] * len(chunk.scores)
    scores = chunk.scores.assign(**{_LINE: np.asarray(chunk.lines, dtype=np.int64), _ALT: alts})
    return {
        "scores": os.fspath(write_part(scores, folder, f"{name}.scores")),
        "rejected": os.fspath(write_rejection_part(chunk.rejected, folder, f"{name}.rejected")),
        "scored": len(chunk.scores),
        "missing": missing,
    }


def read_score_chunk(result: dict) -> ScoreChunk | None:
    """The :class:`~ncv_core.scoring.chunk.ScoreChunk` a :func:`score_task` wrote."""
    if result["scores"] is None:
        return None
    scores = read_part(result["scores"])
    lines, alts = scores.pop(_LINE).to_numpy(), scores.pop(_ALT).tolist()
    return ScoreChunk(scores, lines, read_rejection_part(result["rejected"]), alts)


class _Memo:
    """The client's share of the single pass's memo: scores of the variants that later chunks
    copy (``keep``), filled into the rows those chunks did not score (``known``)."""

    def __init__(self, models: dict, known: list[set], keep: list[set]) -> None:
        self.models, self.known, self.keep, self.held = models, known, keep, {}
        self.names = [s[0] for s in column_spec({n: m.label_columns for n, m in models.items()})]

    def apply(self, i: int, chunk: ScoreChunk, background) -> None:
        """Fill chunk ``i``'s copied rows in; remember the rows later chunks copy."""
        if not (self.known[i] or self.keep[i]) or not len(chunk.scores):
            return
        s = chunk.scores
        keys = list(zip(s["chrom"], s["pos"].tolist(), s["ref"], s["alt"], strict=True))
        fill = [j for j, k in enumerate(keys) if k in self.known[i]]
        if fill:
            values = np.vstack([self.held[keys[j]] for j in fill])
            s.loc[fill, self.names] = values
            if background is not None:
                pct = background.percentiles(s.loc[fill, self.names], self.models)
                s.loc[fill, list(pct.columns)] = pct.to_numpy()
        seen: set = set()
        for j, k in enumerate(keys):
            if k in self.keep[i] and k not in seen:  # the first row of a variant this chunk scored
                seen.add(k)
                self.held[k] = s.loc[j, self.names].to_numpy(dtype=np.float64)


class ClusterScoring:
    """:func:`ncv_core.score.iter_scores` on a dask cluster: the same chunks, in the same order.

    Parameters
    ----------
    client : distributed.Client
    folder : path
        Work folder seen by every worker (parts, segments of a gzip input).
    device : str, optional
        The workers' torch device (None: CUDA where a worker has it, else CPU).
    torch_threads : int
        Torch threads per worker.
    resources : dict, optional
        Worker resources each task holds, e.g. ``{"GPU": 1}``.
    lines_per_segment : int, optional
        Lines per index task (default: the chunk size).
    """

    def __init__(
        self,
        client: Client,
        folder: str | os.PathLike,
        *,
        device: str | None = None,
        torch_threads: int = 1,
        resources: dict[str, float] | None = None,
        lines_per_segment: int | None = None,
    ) -> None:
        self.client, self.folder, self.device = client, Path(folder), device
        self.torch_threads, self.resources = torch_threads, resources
        self.lines_per_segment = lines_per_segment

    def _plugin(self, models: dict, genome_path, tracks_path, cell_line) -> WorkerInputs:
        missing = [n for n, m in models.items() if getattr(m, "path", None) is None]
        if missing:
            raise NcvError(
                f"scoring on a cluster needs models loaded from folders; {missing[0]!r} was not"
            )
        reads = any(needs_tracks(m) for m in models.values())
        return WorkerInputs(
            f"ncv-inputs-{uuid.uuid4().hex[:12]}", genome=os.fspath(genome_path),
            tracks=os.fspath(tracks_path) if reads else None, cell_line=cell_line if reads else None,
            models={n: os.fspath(m.path) for n, m in models.items()}, device=self.device,
            torch_threads=self.torch_threads,
        )  # fmt: skip

    def __call__(
        self, model, loci: LociFile, genome_path, tracks_path=None, cell_line=None, *,
        chunk_size: int = 20_000, batch_size: int = 2048, progress: ProgressFn | None = None,
        stop: StopFlag | None = None, rc_average: bool = False, background=None,
        background_seed: int = 0, background_flank: int = DEFAULT_FLANK,
        max_len: int | None = None, sequences: bool = False,
    ) -> Iterator[ScoreChunk]:  # fmt: skip
        from ncv_core.score import _max_len

        if sequences:
            raise NcvError(
                "a table of sequences (--sequences) is scored in one process; drop --workers, "
                "--scheduler and --cluster"
            )
        models = name_models(model)
        if getattr(background, "rc_average", rc_average) != rc_average:
            raise NcvError("the background was scored with another --rc-average setting")
        with open_inputs(models, genome_path, tracks_path, cell_line):
            pass  # the single pass's checks, before any work
        window, longest = _max_len(models, max_len)
        opts = ScoreOptions(Placement(window, longest, True), batch_size, rc_average)
        draw = {"size": background, "seed": background_seed, "flank": background_flank,
                "rc_average": rc_average}  # fmt: skip
        plugin = self._plugin(models, genome_path, tracks_path, cell_line)
        self.client.register_plugin(plugin)
        try:
            yield from self._run(models, loci, plugin.name, opts, background, draw,
                                 chunk_size, progress, stop)  # fmt: skip
        finally:
            self.client.unregister_worker_plugin(plugin.name)

    def _run(self, models, loci, plugin, opts, background, draw, chunk_size, progress, stop):
        from ncv_core import score as core

        fmt, header = read_header(loci.path, loci.fmt)
        plan = plan_chunks(
            self.client, plugin, loci.path, fmt, header, chunk_size=chunk_size,
            placement=opts.placement, folder=self.folder, resources=self.resources,
            lines_per_segment=self.lines_per_segment, progress=progress, stop=stop,
        )  # fmt: skip
        jobs = plan.jobs
        known, keep = memo_plan(plan.keys, [j.chunk.first_line for j in jobs], core._MEMO_MAX)
        sent, used, missing = self._backgrounds(plugin, jobs, opts, background, draw)
        calls = [
            (plugin, job, opts, sorted(known[i]), sent[i], os.fspath(self.folder),
             f"chunk-{i:06d}")
            for i, job in enumerate(jobs)
        ]  # fmt: skip
        memo = _Memo(models, known, keep)
        results = run_ordered(
            self.client, score_task, calls, stage="score", resources=self.resources,
            progress=progress, stop=stop, count=lambda r: {"scored": r["scored"]},
        )  # fmt: skip
        for i, (job, result) in enumerate(zip(jobs, results, strict=True)):
            loci.read_through(job.chunk.last_line)  # feeds an annotated VCF's copy
            merge_missing(missing, result["missing"])
            chunk = read_score_chunk(result)
            if chunk is None:
                continue
            memo.apply(i, chunk, used[i])
            chunk.background = used[i]
            yield chunk
        loci.read_through(None)
        if any(needs_tracks(m) for m in models.values()):
            warn_missing_contigs(missing)

    def _backgrounds(self, plugin, jobs, opts, background, draw) -> tuple[list, list, dict]:
        """Per chunk, the background its task gets (a future when drawn here) and the one the
        client reads its percentiles from; the drawing's missing-contig counts.

        A given background serves every chunk; ``background=N`` is drawn, as by a single pass,
        near the first chunk that places a locus, and serves it and every later chunk."""
        n = len(jobs)
        if background is not None and not isinstance(background, int):  # a given Background
            sent = self.client.scatter(background, broadcast=True, hash=False)
            return [sent] * n, [background] * n, {}
        if not background or background <= 0:
            return [None] * n, [None] * n, {}
        at = next((i for i, j in enumerate(jobs) if j.n_placed), None)
        if at is None:
            return [None] * n, [None] * n, {}
        run = uuid.uuid4().hex[:12]
        both = self.client.submit(
            background_task, plugin, jobs[at], opts.placement, draw, key=f"ncv-bg-{run}",
            pure=False, resources=self.resources,
        )  # fmt: skip
        try:
            drawn, missing = both.result()
        except KilledWorker as exc:
            raise NcvError(f"a worker died each time it drew the background ({exc})") from exc
        # the score tasks depend on this future: a worker lost with it draws it again
        sent = self.client.submit(operator.getitem, both, 0, key=f"ncv-bg-{run}-0", pure=False)
        return [None] * at + [sent] * (n - at), [None] * at + [drawn] * (n - at), missing


def score_on_cluster(
    client: Client,
    model,
    loci_path: str | os.PathLike,
    genome_path: str | os.PathLike,
    tracks_path: str | os.PathLike | None,
    cell_line: str | None,
    out: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    device: str | None = None,
    torch_threads: int = 1,
    resources: dict[str, float] | None = None,
    work_dir: str | os.PathLike | None = None,
    lines_per_segment: int | None = None,
    **options,
) -> ScoreReport:
    """:func:`ncv_core.score.score_file` (same ``options``: chunk and batch size, progress,
    stop, rc-average, background, max_len, top) with the scoring done by ``client``'s workers.

    The outputs (TSV, CSV, Parquet, annotated VCF) and the rejection report are those of
    ``score_file`` with the same options, byte for byte on CPU workers. Every model (loaded here
    for its card; any device) must have been loaded from a folder, which each worker loads again.
    The work folder goes beside the first output unless ``work_dir`` says where (it must be seen
    by every worker); it is removed at the end.
    """
    outs = [out] if isinstance(out, (str, os.PathLike)) else list(out)
    with work_folder(outs[0] if outs else "scores", work_dir) as folder:
        engine = ClusterScoring(
            client, folder, device=device, torch_threads=torch_threads, resources=resources,
            lines_per_segment=lines_per_segment,
        )  # fmt: skip
        return score_file(
            model, loci_path, genome_path, tracks_path, cell_line, out, engine=engine, **options
        )
