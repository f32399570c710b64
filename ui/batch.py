"""A file of variants scored for the Variant lookup page (plain Python: no Streamlit).

:func:`ncv_core.score.score_file` does the work in one pass over the upload, writing the scores
(Parquet) and, for a VCF, the annotated VCF into the session's folder; this module only reads
them back for the page. A file of which nothing could be scored comes back with its error, the
reason for every row and the core's hint (another genome build, say), never as "scored".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ncv_core.errors import NcvError
from ncv_core.io.tables import read_table
from ncv_core.models.loaded import LoadedModel
from ncv_core.rejections import rejections_frame
from ncv_core.score import Background, top_effects
from ncv_core.score import score_file as core_score_file
from ui import notes
from ui.dataset import DataSet


@dataclass
class BatchScores:
    """Scores of one uploaded file under one model (``error`` set when nothing was scored)."""

    name: str
    model: str
    scores: pd.DataFrame
    rejected: pd.DataFrame
    summary: str  # "scored 3, rejected 1: 1 unknown contig"
    vcf: bytes | None = None  # the input VCF with NCV_* INFO fields (bgzip), for VCF inputs
    notes: list[str] = field(default_factory=list)
    top: pd.DataFrame = field(default_factory=pd.DataFrame)  # the largest |diff|, ranked
    error: str | None = None
    hint: str | None = None

    @property
    def reasons(self) -> pd.DataFrame:
        """Rejected rows per reason category, the most common first."""
        if self.rejected.empty:
            return pd.DataFrame(columns=["reason", "rows"])
        counts = self.rejected.groupby("category").size().sort_values(ascending=False)
        return counts.rename("rows").rename_axis("reason").reset_index()


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
        try:
            done = core_score_file(
                loaded, src, data.genome, data.tracks, data.cell_line, outs, progress=progress,
                background=background,
            )  # fmt: skip
        except NcvError as exc:  # nothing scored: the reasons and the hint, not a result
            rejected = rejections_frame(getattr(exc, "rejected", []))
            summary = f"scored 0, rejected {len(rejected):,}"
            return BatchScores(
                src.name, model_name, pd.DataFrame(), rejected, summary, None, found,
                error=exc.message, hint=getattr(exc, "hint", None),
            )  # fmt: skip
    scores, _ = read_table(table)
    vcf = outs[1].read_bytes() if len(outs) > 1 else None
    rejected = rejections_frame(done.rejected)
    top = top_effects(scores, n_top) if len(scores) else pd.DataFrame()
    return BatchScores(src.name, model_name, scores, rejected, done.summary, vcf, found, top)
