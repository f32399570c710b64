"""What :func:`ncv_core.score.score_file` writes beside the scores: the outputs checked before any
work, their metadata (models, options, the background, what each column means), and the report
it returns (counts, duplicates, the largest effects, kept while streaming)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ncv_core import __version__
from ncv_core.errors import NcvError
from ncv_core.io.genome import Genome
from ncv_core.io.scores import TableScoreWriter, VcfScoreWriter, column_spec, output_kind
from ncv_core.io.tables import check_outputs as io_check_outputs
from ncv_core.io.tables import rejected_report_path, sidecar_path
from ncv_core.rejections import COORDINATE_CATEGORIES, Rejection, build_mismatch_hint, summarize
from ncv_core.scoring.chunk import NOTES, needs_tracks
from ncv_core.scoring.top import top_effects

__all__ = ["ScoreReport", "Tally", "build_hint", "check_outputs", "make_writers", "score_meta"]

MEANINGS: dict[str, str] = {
    "p_ref": "probability that the locus is functional with the REF allele",
    "p_alt": "probability that the locus is functional with the ALT allele",
    "diff": "p_alt - p_ref (positive: the ALT allele makes the locus look more functional)",
    "logit_diff": "logit(p_alt) - logit(p_ref): the change on the model's log-odds scale",
    "log2fc": "log2(p_alt / p_ref)",
    "p_ref_percentile": "percentage of the background's random SNVs with a lower p_ref",
    "diff_percentile": "percentage of the background's random SNVs with a smaller |diff|",
    NOTES: "normalisation rewrites, duplicates (scored once) and conflicting labels",
}


@dataclass
class ScoreReport:
    """What :func:`ncv_core.score.score_file` wrote."""

    n_scored: int
    rejected: list[Rejection]
    outputs: list[Path]
    report: Path
    n_duplicates: int = 0
    n_conflicts: int = 0
    n_normalised: int = 0
    background: object = None
    top: pd.DataFrame = field(default_factory=pd.DataFrame)
    meta: dict = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """``scored 3, rejected 1: 1 unknown contig; 1 duplicate row (scored once)``."""
        text = summarize(self.n_scored, self.rejected).replace("kept", "scored", 1)
        extra = []
        if self.n_normalised:
            extra.append(f"{self.n_normalised:,} normalised (see notes)")
        if self.n_duplicates:
            dup = f"{self.n_duplicates:,} duplicate row{'s' * (self.n_duplicates != 1)} "
            dup += "(scored once)"
            if self.n_conflicts:
                dup += f", {self.n_conflicts:,} with conflicting labels (see notes)"
            extra.append(dup)
        return text + ("; " + "; ".join(extra) if extra else "")


class Tally:
    """Counts and the ``n`` largest effects over the chunks, in bounded memory."""

    def __init__(self, n_top: int) -> None:
        self.n_top, self.top = n_top, pd.DataFrame()
        self.duplicates = self.conflicts = self.normalised = 0

    def add(self, scores: pd.DataFrame) -> None:
        if not len(scores):
            return
        notes = scores[NOTES].astype(str)
        self.duplicates += int(notes.str.contains("duplicate of", regex=False).sum())
        self.conflicts += int(notes.str.contains("conflicting labels", regex=False).sum())
        self.normalised += int(notes.str.contains("normalised from", regex=False).sum())
        if self.n_top > 0:
            both = pd.concat([self.top.drop(columns=["rank"], errors="ignore"), scores])
            self.top = top_effects(both.reset_index(drop=True), self.n_top)


def check_outputs(out, loci_path, chunk_size: int, inputs: Sequence = ()) -> list[Path]:
    """The output paths, checked before any work: format known, and every file written (the
    outputs, their metadata, the rejection report) writable and none of the inputs
    (:func:`ncv_core.io.tables.check_outputs`)."""
    outs = [Path(o) for o in ([out] if isinstance(out, (str, os.PathLike)) else out)]
    if not outs:
        raise NcvError("no output file given")
    for o in outs:
        output_kind(o)
    written = [*outs, *(sidecar_path(o) for o in outs if output_kind(o) in ("tsv", "csv"))]
    io_check_outputs([*written, rejected_report_path(outs[0])], inputs=[loci_path, *inputs])
    if chunk_size < 1:
        raise NcvError(f"chunk size must be positive, got {chunk_size}")
    return outs


def make_writers(outs: Sequence[Path], models: dict, percentiles: bool) -> list:
    """One writer per output; the VCF's INFO fields name every score column."""
    spec = column_spec({n: m.label_columns for n, m in models.items()}, percentiles=percentiles)
    names, arch = [s[0] for s in spec], ", ".join(m.name for m in models.values())
    return [
        VcfScoreWriter(o, names=names, model_name=arch, columns=spec)
        if output_kind(o) == "vcf"
        else TableScoreWriter(o)
        for o in outs
    ]


def score_meta(models: dict, *, loci_path, genome_path, cell_line, sequences, rc_average,
               background, max_len) -> dict:  # fmt: skip
    """The outputs' metadata: inputs, models, options, the background, the columns' meaning."""
    reads = any(needs_tracks(m) for m in models.values())
    spec = column_spec(
        {n: m.label_columns for n, m in models.items()}, percentiles=background is not None
    )
    return {
        "format": "ncv-scores",
        "version": 1,
        "created_by": f"ncv-explorer {__version__}",
        "input": {"path": os.fspath(loci_path), "kind": "sequences" if sequences else "loci"},
        "genome": None if genome_path is None else os.fspath(genome_path),
        "cell_line": cell_line if reads else None,
        "models": {
            name: {
                "path": None if m.path is None else str(m.path),
                "architecture": m.name,
                "window": m.trained_window,
                "tasks": m.label_columns,
                "reads_tracks": needs_tracks(m),
            }
            for name, m in models.items()
        },
        "rc_average": bool(rc_average),
        "max_len": max_len,
        "background": None if background is None else background.describe(),
        "columns": {c: MEANINGS[base] for c, base, _, _ in spec} | {NOTES: MEANINGS[NOTES]},
    }


def build_hint(
    rejected: list[Rejection], kept: int, genome_path: str | os.PathLike | None
) -> str | None:
    """:func:`~ncv_core.rejections.build_mismatch_hint` against the genome's contigs (None
    without a genome, or when no row was rejected for its coordinates)."""
    if genome_path is None or not any(r.category in COORDINATE_CATEGORIES for r in rejected):
        return None
    with Genome(genome_path) as genome:
        return build_mismatch_hint(rejected, kept, genome.contigs, genome.path.name)
