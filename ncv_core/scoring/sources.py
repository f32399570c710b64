"""What scoring reads: the reference (a genome, or the sequences of a table), the tracks when a
model needs them, and the input's chunks of parsed loci.

:func:`open_inputs` opens the reference and the tracks once for all models and checks every
model against them; tracks are opened only when a model reads track features
(:func:`ncv_core.scoring.chunk.needs_tracks`), so a sequence-only model (deepbind, deepsea,
basset) needs no ``--tracks`` or ``--cell-line``, and asking for tracks without them is an error
only for a model that reads them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from ncv_core.constants import COMPOSITION_COLUMNS
from ncv_core.errors import NcvError
from ncv_core.features.build import check_header_build
from ncv_core.features.loci import LociBatch, iter_loci
from ncv_core.features.sequences import SequenceSet, sequence_batch
from ncv_core.features.tracks import TrackSet
from ncv_core.io.genome import Genome
from ncv_core.io.manifest import read_manifest
from ncv_core.io.sequence_tables import iter_sequence_rows
from ncv_core.models.loaded import check_compatible
from ncv_core.scoring.chunk import needs_tracks

__all__ = ["open_inputs", "loci_batches", "sequence_batches", "SEQUENCE_LOCUS_COLUMNS"]

SEQUENCE_LOCUS_COLUMNS: tuple[str, ...] = ("id", "offset", "ref", "alt", "label")
"""Leading output columns of a scored sequence table (``offset``: 0-based, of REF's first base
in ``seq``, after normalisation)."""


def _tracks_needed(models: dict) -> str | None:
    """The first model that reads track features, described, or None."""
    for name, m in models.items():
        if needs_tracks(m):
            cols = [c for c in m.feature_columns if c not in COMPOSITION_COLUMNS]
            shown = ", ".join(cols[:3]) + (", ..." if len(cols) > 3 else "")
            return f"the {m.name} model {name!r} reads {len(cols)} track features ({shown})"
    return None


@contextmanager
def open_inputs(
    models: dict,
    genome_path: str | os.PathLike | None,
    tracks_path: str | os.PathLike | None,
    cell_line: str | None,
    *,
    sequences_path: str | os.PathLike | None = None,
) -> Iterator[tuple[Genome | SequenceSet, TrackSet | None]]:
    """``(reference, tracks)`` for scoring under ``models`` (``name -> LoadedModel``).

    The reference is the genome FASTA, or, with ``sequences_path``, an empty
    :class:`~ncv_core.features.sequences.SequenceSet` that :func:`sequence_batches` fills.
    ``tracks`` is None when no model reads track features (the paths are then not opened).

    Raises
    ------
    NcvError
        A model that reads tracks without ``tracks_path``/``cell_line`` (or with a sequence
        table: tracks need genomic positions), no genome for loci, a model that does not fit.
    """
    needed = _tracks_needed(models)
    if sequences_path is not None:
        if genome_path is not None:
            raise NcvError("a sequence table needs no genome: its windows come from its sequences")
        if needed:
            raise NcvError(
                f"a sequence table cannot be scored by a model with track features: {needed}, "
                "which need genomic positions; score a VCF/BED/TSV of loci with --genome, "
                "--tracks and --cell-line instead"
            )
        reference = SequenceSet(os.fspath(sequences_path))
        for m in models.values():
            check_compatible(m, columns=list(COMPOSITION_COLUMNS), source="a sequence table")
        yield reference, None
        return
    if genome_path is None:
        raise NcvError("scoring loci needs the reference genome: give --genome FASTA")
    if needed and (tracks_path is None or cell_line is None):
        raise NcvError(
            f"{needed}: give --tracks tracks.tsv and --cell-line NAME (only sequence-only "
            "models score without tracks)"
        )
    with Genome(genome_path) as genome:
        tracks = TrackSet(read_manifest(tracks_path), cell_line, genome) if needed else None
        columns = [*(tracks.feature_names() if tracks else []), *COMPOSITION_COLUMNS]
        source = f"the tracks of {cell_line}" if tracks else "a genome without tracks"
        for m in models.values():
            check_compatible(
                m,
                genome=genome,
                columns=columns,
                cell_line=cell_line if tracks else None,
                source=source,
            )
        yield genome, tracks


def loci_batches(src, genome: Genome, *, chunk_size: int) -> Iterator[LociBatch]:
    """Parsed chunks of a loci file (a path or an open ``LociFile``), its header checked."""
    for batch in iter_loci(src, chunk_size=chunk_size):
        check_header_build(batch, genome)
        yield batch


def sequence_batches(
    path: str | os.PathLike, seqs: SequenceSet, *, chunk_size: int, reserved: list[str]
) -> Iterator[LociBatch]:
    """Parsed chunks of a sequence table; each chunk's sequences replace the last's in ``seqs``."""
    for rows in iter_sequence_rows(path, chunk_size=chunk_size):
        seqs.clear()
        yield sequence_batch(rows, seqs, os.fspath(path), reserved=reserved)
