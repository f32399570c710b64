"""A file of variants scored for the Variant lookup page (plain Python: no Streamlit).

:func:`ncv_core.score.score_file` does the work in one pass over the upload, writing the scores
(Parquet) and, for a VCF, the annotated VCF into the session's folder; this module only reads
them back for the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ncv_core.io.tables import read_table
from ncv_core.models.loaded import LoadedModel
from ncv_core.rejections import rejections_frame
from ncv_core.score import Background, top_effects
from ncv_core.score import score_file as core_score_file
from ui import notes
from ui.dataset import DataSet


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
    top: pd.DataFrame = field(default_factory=pd.DataFrame)  # the largest |diff|, ranked


def score_file(
    loaded: LoadedModel,
    model_name: str,
    src: Path,
    data: DataSet,
    progress: Callable[[dict], None] | None = None,
    background: Background | None = None,
    n_top: int = 20,
) -> BatchScores:
    """Score every variant of ``src`` with the data set's genome and tracks (percentiles against
    ``background``), and rank the ``n_top`` largest effects."""
    table = src.with_name(f"scores-{model_name}.parquet")
    outs = [table]
    if src.name.lower().endswith((".vcf", ".vcf.gz")):
        outs.append(src.with_name(f"scored-{model_name}.vcf.gz"))
    with notes.collect() as found:
        done = core_score_file(
            loaded, src, data.genome, data.tracks, data.cell_line, outs, progress=progress,
            background=background,
        )  # fmt: skip
    scores, _ = read_table(table)
    vcf = outs[1].read_bytes() if len(outs) > 1 else None
    rejected = rejections_frame(done.rejected)
    top = top_effects(scores, n_top) if len(scores) else pd.DataFrame()
    return BatchScores(src.name, model_name, scores, rejected, done.summary, vcf, found, top)
