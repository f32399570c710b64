"""A file of variants scored for the Variant lookup page (plain Python: no Streamlit).

``ncv_core.score.iter_scores`` streams the file; the chunks are kept, so that a VCF input also
comes back as the same VCF annotated with the scores (``ncv_core.score_io``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ncv_core.modelio import LoadedModel
from ncv_core.rejections import rejections_frame, summarize
from ncv_core.score import iter_scores
from ncv_core.score_io import score_names, write_annotated_vcf
from ui import notes
from ui.state import DataSet


@dataclass
class BatchScores:
    """Scores of one uploaded file under one model."""

    name: str
    model: str
    scores: pd.DataFrame
    rejected: pd.DataFrame
    summary: str  # "scored 3, rejected 1: 1 unknown contig"
    vcf: bytes | None = None  # the input VCF with NCV_* INFO fields (bgzip), for VCF inputs
    notes: list[str] = field(default_factory=list)


def score_file(
    loaded: LoadedModel,
    model_name: str,
    src: Path,
    data: DataSet,
    progress: Callable[[dict], None] | None = None,
) -> BatchScores:
    """Score every variant of ``src`` with the data set's genome and tracks."""
    with notes.collect() as found:
        chunks = list(
            iter_scores(loaded, src, data.genome, data.tracks, data.cell_line, progress=progress)
        )
    rejected = [r for c in chunks for r in c.rejected]
    parts = [c.scores for c in chunks if len(c.scores)]
    scores = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    vcf = None
    if src.name.lower().endswith((".vcf", ".vcf.gz")) and len(scores):
        out = src.with_name(f"scored-{model_name}.vcf.gz")
        write_annotated_vcf(
            src,
            chunks,
            out,
            names=score_names(loaded.label_columns),
            model_name=loaded.card["architecture"]["name"],
        )
        vcf = out.read_bytes()
    summary = summarize(len(scores), rejected).replace("kept", "scored", 1)
    return BatchScores(
        src.name, model_name, scores, rejections_frame(rejected), summary, vcf, found
    )
