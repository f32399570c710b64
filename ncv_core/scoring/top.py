"""The largest effects of a batch of scores, ranked."""

from __future__ import annotations

import pandas as pd

from ncv_core.errors import NcvError

__all__ = ["top_effects", "rank_column"]


def rank_column(columns) -> str | None:
    """The first ``diff`` column: ``diff``, ``diff_<task>`` or ``<model>_diff[_<task>]``."""
    cols = [c for c in columns if not c.endswith("_percentile") and "logit_diff" not in c]
    return next(
        (c for c in cols if c == "diff" or c.startswith("diff_") or c.endswith("_diff")),
        next((c for c in cols if "_diff_" in c), None),
    )


def top_effects(scores: pd.DataFrame, n: int = 20, *, by: str | None = None) -> pd.DataFrame:
    """The ``n`` rows with the largest ``|by|``, largest first, with a 1-based ``rank`` column.

    Parameters
    ----------
    scores : pandas.DataFrame
        Score rows (:func:`ncv_core.score.iter_scores` or a file written by ``ncv score``).
    n : int
        How many rows.
    by : str, optional
        The column to rank by; default the first ``diff`` column (``diff``, ``diff_<task>`` or
        ``<model>_diff``). Ties keep the input order; missing values go last.

    Raises
    ------
    NcvError
        No such column.
    """
    by = by or rank_column(scores.columns)
    if by is None or by not in scores.columns:
        raise NcvError(f"cannot rank the scores: no column {by or 'diff'!r}")
    size = scores[by].abs()
    order = size.sort_values(ascending=False, kind="stable", na_position="last").index[:n]
    out = scores.loc[order].reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    return out
