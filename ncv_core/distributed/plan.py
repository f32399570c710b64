"""Cutting a loci file into the chunks a single pass would make, with a first pass on the cluster.

A single pass (:func:`ncv_core.features.loci.iter_loci`) ends a chunk after the line at which it
holds ``chunk_size`` well-formed loci, and the model's forward batches start afresh in each
chunk. Forward passes are not bit-for-bit independent of their batch (kernels block rows by
batch size), so the cluster must score exactly those chunks to write exactly the same numbers.
The plan therefore takes two passes:

1. the client cuts the file into segments of whole lines (:func:`ncv_core.io.loci_chunks.split_loci`:
   byte ranges, BGZF virtual offsets, or, for plain gzip, segment files in the work folder);
2. one *index* task per segment parses its lines and places them on the genome, returning how
   many loci each line holds (compressed: a few bytes) and writing the placed loci's keys as a
   part; the client turns the counts into the single pass's chunk boundaries and the keys into
   the duplicates (:mod:`ncv_core.distributed.dedup`).

Parsing and placing are about 7% of scoring, so the index pass costs little; both passes run on
the workers, the client only counts newlines.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from distributed import Client

from ncv_core.distributed.dedup import (
    DuplicateKey,
    KeyIndex,
    KeyRecorder,
    chunk_share,
    find_duplicates,
)
from ncv_core.distributed.plugin import inputs_of
from ncv_core.distributed.run import run_ordered
from ncv_core.features.loci import iter_loci, place
from ncv_core.io.loci_chunks import LociChunk, LociChunkFile, chunk_of, split_loci
from ncv_core.io.parts import write_part
from ncv_core.progress import ProgressFn, StopFlag

WHOLE = 1 << 62
"""A chunk size no chunk reaches: a task reads its chunk as one batch."""


@dataclass(frozen=True)
class Placement:
    """How the pipeline places loci: :func:`ncv_core.features.loci.place`'s options."""

    window: int
    max_len: int = 1
    keep_duplicates: bool = False


@dataclass(frozen=True)
class ChunkJob:
    """One chunk of the single pass, its share of the duplicates, and how many loci it places."""

    chunk: LociChunk
    duplicates: dict[DuplicateKey, tuple[int, float]]
    n_placed: int = 0


@dataclass
class Plan:
    """The chunks in order, and the index pass's variants (for :func:`.dedup.memo_plan`)."""

    jobs: list[ChunkJob]
    keys: KeyIndex


def index_task(plugin: str, chunk: LociChunk, placement: Placement, folder: str, name: str) -> dict:
    """Parse and place one segment: per-line locus counts (zlib of int32) and a keys part."""
    inputs = inputs_of(plugin)
    recorder = KeyRecorder()
    counts = np.zeros(chunk.last_line - chunk.first_line + 1, dtype=np.int32)
    with inputs.lock:
        for batch in iter_loci(LociChunkFile(chunk), chunk_size=WHOLE):
            np.add.at(counts, batch.table["_line"].to_numpy() - chunk.first_line, 1)
            place(
                batch, inputs.genome, window=placement.window, dedup=recorder,
                max_len=placement.max_len, keep_duplicates=placement.keep_duplicates,
            )  # fmt: skip
    keys = write_part(recorder.frame(), folder, name)
    return {"counts": zlib.compress(counts.tobytes()), "keys": os.fspath(keys)}


def plan_chunks(
    client: Client,
    plugin: str,
    loci: str,
    fmt: str,
    header: dict,
    *,
    chunk_size: int,
    placement: Placement,
    folder: Path,
    lines_per_segment: int | None = None,
    resources: dict[str, float] | None = None,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
) -> Plan:
    """The chunks a single pass over ``loci`` with ``chunk_size`` makes, in order."""
    segments = split_loci(loci, lines_per_segment=lines_per_segment or chunk_size, scratch=folder)
    calls = [
        (plugin, chunk_of(loci, fmt, header, [s], s.first_line, s.last_line), placement,
         os.fspath(folder), f"keys-{i:06d}")
        for i, s in enumerate(segments)
    ]  # fmt: skip
    ends: list[int] = []
    held, parts = 0, []
    for seg, res in zip(
        segments,
        run_ordered(
            client, index_task, calls, stage="index", resources=resources,
            progress=progress, stop=stop,
        ),
        strict=True,
    ):  # fmt: skip
        counts = np.frombuffer(zlib.decompress(res["counts"]), dtype=np.int32)
        held = cut_points(counts, seg.first_line, chunk_size, held, ends)
        parts.append(res["keys"])
    n_lines = segments[-1].last_line if segments else 0
    bounds = [
        (a, b) for a, b in zip([1, *[e + 1 for e in ends]], [*ends, n_lines], strict=True) if a <= b
    ]
    keys = KeyIndex.read(parts)
    split = np.split(keys.hashes, keys.bounds[1:-1]) if parts else []
    duplicates = find_duplicates(parts, split)
    lines = sorted(duplicates)
    firsts = np.array([a for a, _ in bounds], dtype=np.int64)
    which = np.searchsorted(firsts, keys.lines, side="right") - 1
    n_placed = np.bincount(which, minlength=len(bounds)) if len(bounds) else []
    jobs = [
        ChunkJob(
            chunk_of(loci, fmt, header, segments, first, last),
            chunk_share(duplicates, first, last, lines),
            int(n_placed[i]),
        )
        for i, (first, last) in enumerate(bounds)
    ]
    return Plan(jobs, keys)


def cut_points(
    counts: np.ndarray, first_line: int, chunk_size: int, held: int, ends: list[int]
) -> int:
    """Append to ``ends`` the lines after which a single pass ends a chunk.

    Parameters
    ----------
    counts : numpy.ndarray
        ``(n_lines,)`` loci per line, for lines ``first_line, first_line + 1, ...``.
    held : int
        Loci already in the open chunk (from earlier lines).

    Returns
    -------
    int
        Loci in the chunk still open after these lines.
    """
    i = 0
    while i < len(counts):
        total = np.cumsum(counts[i:], dtype=np.int64) + held
        j = int(np.searchsorted(total, chunk_size))  # first line at which it holds chunk_size
        if j >= len(total):
            return int(total[-1])
        ends.append(first_line + i + j)
        held, i = 0, i + j + 1
    return held
