"""From a model and the two alleles' tables to the score columns.

Per task: ``p_ref``, ``p_alt`` (probability that the locus is functional with each allele),
``diff = p_alt - p_ref``, ``logit_diff = logit(p_alt) - logit(p_ref)``, ``log2fc =
log2(p_alt / p_ref)``. With ``rc_average`` each probability is the mean of the model's
prediction on the window and on its reverse complement (DeepSEA's averaging), and the logits
are those of the averaged probabilities.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ncv_core.errors import NcvError
from ncv_core.io.scores import score_names
from ncv_core.models.predict import probability
from ncv_core.scoring.haplotypes import rc_table

__all__ = ["effect_columns", "allele_logits", "logit"]


def logit(p: np.ndarray) -> np.ndarray:
    """``log(p / (1 - p))`` (float64; +-inf at 1 and 0)."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


def positive_logit(model, table: pd.DataFrame, *, rc_average: bool, batch_size: int) -> np.ndarray:
    """The model's positive logit ``(N, T)``, averaged over both strands when ``rc_average``."""
    forward = model.positive_logit(table, batch_size=batch_size)
    if not rc_average:
        return forward
    if not model.model.uses_seq:
        raise NcvError(
            f"--rc-average needs a model that reads the sequence; {model.name} reads none"
        )
    reverse = model.positive_logit(rc_table(table), batch_size=batch_size)
    return logit((probability(forward) + probability(reverse)) / 2)


def allele_logits(
    model, ref: pd.DataFrame, alt: pd.DataFrame, *, rc_average: bool = False, batch_size: int = 2048
) -> tuple[np.ndarray, np.ndarray]:
    """Positive logits ``(N, T)`` of the reference rows and the alternative rows."""
    opts = {"rc_average": rc_average, "batch_size": batch_size}
    return positive_logit(model, ref, **opts), positive_logit(model, alt, **opts)


def effect_columns(
    logit_ref: np.ndarray, logit_alt: np.ndarray, tasks: list[str], *, prefix: str = ""
) -> pd.DataFrame:
    """The score columns from positive-class logits ``(N, T)`` of both alleles.

    Column names are :func:`ncv_core.io.scores.score_names`: :data:`SCORE_COLUMNS` for one
    task, ``<name>_<task>`` for several, each after ``prefix`` (``<model>_`` with several models).
    """
    p_ref, p_alt = probability(logit_ref), probability(logit_alt)
    with np.errstate(divide="ignore", invalid="ignore"):
        log2fc = np.log2(p_alt) - np.log2(p_ref)
        values = {
            "p_ref": p_ref,
            "p_alt": p_alt,
            "diff": p_alt - p_ref,
            "logit_diff": logit_alt - logit_ref,
            "log2fc": log2fc,
        }
    names = score_names(tasks, prefix=prefix)
    columns = [values[b][:, t] for t in range(len(tasks)) for b in values]
    return pd.DataFrame(dict(zip(names, columns, strict=True)), index=range(len(p_ref)))
