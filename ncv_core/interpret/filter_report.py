"""Basset's first-layer filter analysis in one call: PWMs, matches to known motifs, influence.

:func:`filter_report` runs, on a sequence CNN and a set of windows,

1. :func:`~ncv_core.interpret.filters.filter_motifs`: each filter's PWM from the windows whose
   activation exceeds 0.5 x the filter's maximum over the data (Basset's rule);
2. :func:`~ncv_core.interpret.tomtom.tomtom` of those PWMs against the given motif databases
   (JASPAR CORE vertebrates, a user's MEME file), all databases in one search so that q-values
   (Benjamini-Hochberg per filter) are over every target;
3. :func:`~ncv_core.interpret.filters.filter_influence` (each filter's output replaced by its mean
   activation) on at most ``influence_rows`` windows, and
   :func:`~ncv_core.interpret.filters.cluster_filters` of the influence profiles;

and assembles the tables the ``ncv motifs`` command writes, plus logo data (letter heights) for
each filter. Filters with no site (never above threshold) keep their row in the summary but are
not searched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from ncv_core.constants import BASES
from ncv_core.errors import NcvError
from ncv_core.interpret.filters import cluster_filters, filter_influence, filter_motifs
from ncv_core.interpret.tomtom import tomtom
from ncv_core.io.motif_files import Motif
from ncv_core.progress import ProgressFn, report

__all__ = ["FilterReport", "filter_report", "require_filters"]


@dataclass(frozen=True)
class FilterReport:
    """Everything known about ``F`` first-layer filters.

    Attributes
    ----------
    motifs : list of Motif
        One per filter (``filter<i>``, alt name the consensus, ``nsites``), for a MEME file.
    summary : pandas.DataFrame
        One row per filter: ``filter n_sites information_content consensus max_activation
        mean_activation threshold best_target best_name best_database best_p_value best_q_value
        n_significant influence cluster leaf_order``; ``influence`` is the mean change of the
        (first task's) probability when the filter is nullified, ``n_significant`` the number of
        matches with ``q < max_q``.
    matches : pandas.DataFrame
        TomTom's best matches of each searched filter: ``query target target_name database
        rank p_value e_value q_value score offset overlap orientation distance significant``.
    influence : pandas.DataFrame
        One row per (filter, task): ``filter task mean_delta_prob mean_delta_logit
        sum_sq_delta_prob`` (empty when influence was not computed).
    clusters : pandas.DataFrame
        One row per filter: ``filter cluster leaf_order`` (empty without influence).
    logos : pandas.DataFrame
        One row per (filter, position, base): ``filter pos base probability height``; ``height``
        is the probability times the column's information content in bits (a logo's letter).
    settings : dict
        ``distance``, ``max_q``, ``n_sequences``, ``influence_rows``, ``databases``.
    """

    motifs: list[Motif]
    summary: pd.DataFrame
    matches: pd.DataFrame
    influence: pd.DataFrame
    clusters: pd.DataFrame
    logos: pd.DataFrame
    settings: dict


def require_filters(model: nn.Module, name: str = "model") -> None:
    """Raise an :class:`NcvError` explaining why ``model`` has no 1-D first-layer filters."""
    if not getattr(model, "uses_seq", False):
        raise NcvError(f"the {name} model reads no sequence, so it has no sequence filters")
    conv = getattr(model, "filter_conv", None)
    if isinstance(conv, nn.Conv2d):
        shape = tuple(conv.kernel_size)
        raise NcvError(
            f"the {name} model has no 1-D first-layer filters: its first layer is an nn.Conv2d "
            f"with {shape} kernels that slide along one base row at a time (the SSL_dnn design), "
            "so no filter sees the four bases of a position and no PWM can be read from it; "
            "train a sequence CNN for filter motifs (ncv train --model deepbind, deepsea or basset)"
        )
    if not isinstance(conv, nn.Conv1d):
        raise NcvError(
            f"the {name} model exposes no first-layer nn.Conv1d (filter_conv) to read motifs from"
        )


def _logos(pwms: np.ndarray) -> pd.DataFrame:
    """Letter heights ``p * IC(column)`` of every filter, position and base."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ic = 2.0 + np.where(pwms > 0, pwms * np.log2(pwms), 0.0).sum(axis=2)  # (F, W)
    f, w, b = (g.ravel() for g in np.indices(pwms.shape))
    return pd.DataFrame(
        {
            "filter": f,
            "pos": w,
            "base": np.array(list(BASES))[b],
            "probability": pwms.ravel(),
            "height": (pwms * ic[:, :, None]).ravel(),
        }
    )


def _search(
    motifs: list[Motif],
    searched: np.ndarray,
    databases: Mapping[str, Sequence[Motif]],
    distance: str,
    n_matches: int,
    max_q: float,
) -> pd.DataFrame:
    """TomTom of the searched filters against the union of the databases."""
    targets, source = [], {}
    for db, items in databases.items():
        for m in items:
            source.setdefault(m.name, db)
            targets.append(m)
    columns = ["query", "target", "target_name", "database", "rank", "p_value", "e_value"]
    columns += ["q_value", "score", "offset", "overlap", "orientation", "distance", "significant"]
    if not targets or not searched.any():
        return pd.DataFrame(columns=columns)
    queries = [motifs[i] for i in np.flatnonzero(searched)]
    hits = tomtom(queries, targets, distance=distance, n_matches=n_matches)
    hits.insert(3, "database", hits["target"].map(source))
    hits["significant"] = hits["q_value"] < max_q
    return hits[columns]


def _best(summary: pd.DataFrame, matches: pd.DataFrame) -> pd.DataFrame:
    """Best match per filter and the number of significant ones, merged into the summary."""
    names = "filter" + summary["filter"].astype(str)
    first = matches[matches["rank"] == 1].set_index("query") if len(matches) else None
    n_sig = matches.groupby("query")["significant"].sum() if len(matches) else pd.Series()
    out = summary.copy()
    for col, src in (
        ("best_target", "target"),
        ("best_name", "target_name"),
        ("best_database", "database"),
        ("best_p_value", "p_value"),
        ("best_q_value", "q_value"),
    ):
        out[col] = names.map(first[src]) if first is not None else np.nan
    out["n_significant"] = names.map(n_sig).fillna(0).astype(np.int64)
    return out


def filter_report(
    model: nn.Module,
    x_seq: np.ndarray | torch.Tensor,
    x_tab: np.ndarray | torch.Tensor | None = None,
    *,
    databases: Mapping[str, Sequence[Motif]] | None = None,
    distance: str = "pearson",
    n_matches: int = 5,
    max_q: float = 0.05,
    influence_rows: int | None = 1000,
    threshold: float = 0.5,
    progress: ProgressFn | None = None,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    random_state: int = 0,
) -> FilterReport:
    """Filter PWMs, their matches to known motifs, their influence and clusters.

    Parameters
    ----------
    model : nn.Module
        A contract sequence CNN with a 1-D ``filter_conv`` and its ``filter_act``.
    x_seq : array or tensor
        ``(N, 4, L)`` one-hot windows (A,C,G,T) the PWMs are read from.
    x_tab : array or tensor, optional
        ``(N, F)`` tabular features, for models that read them.
    databases : mapping of str to list of Motif, optional
        Named motif collections to search (e.g. ``{"JASPAR2026 CORE vertebrates": ...}``);
        None or empty: no search.
    distance : {"pearson", "euclidean"}
        TomTom column similarity (Basset used Pearson; memelite's own is Euclidean).
    n_matches : int
        Matches kept per filter, best first.
    max_q : float
        q-value below which a match counts as significant.
    influence_rows : int or None
        Windows used for filter influence (a seeded random subset when there are more; None:
        all; 0: no influence or clustering). Its cost is ``F x rows`` forwards.
    threshold : float
        Basset's activation threshold as a fraction of each filter's maximum.
    progress, batch_size, device
        As elsewhere (``progress`` stages: ``filter activations``, ``filter sites``,
        ``tomtom``, ``filter reference``, ``filter influence``).
    random_state : int
        Seeds the influence subset.

    Returns
    -------
    FilterReport
    """
    require_filters(model, type(model).__name__)
    fm = filter_motifs(
        model, x_seq, x_tab, threshold=threshold, progress=progress,
        batch_size=batch_size, device=device,
    )  # fmt: skip
    summary = fm.summary
    cons, sites = summary["consensus"].tolist(), summary["n_sites"].tolist()
    motifs = [Motif(f"filter{i}", p, cons[i], float(sites[i])) for i, p in enumerate(fm.pwms)]
    searched = summary["n_sites"].to_numpy() > 0
    report(progress, "tomtom", 0, 1)
    matches = _search(motifs, searched, databases or {}, distance, n_matches, max_q)
    report(progress, "tomtom", 1, 1)
    summary = _best(summary, matches)
    influence, clusters = _influence(model, x_seq, x_tab, influence_rows, random_state,
                                     progress, batch_size, device)  # fmt: skip
    if len(influence):
        first = influence[influence["task"] == 0].set_index("filter")["mean_delta_prob"]
        summary["influence"] = summary["filter"].map(first)
    if len(clusters):
        summary = summary.merge(clusters, on="filter", how="left")
    settings = {"distance": distance, "max_q": max_q, "threshold": threshold}
    settings |= {"n_sequences": int(np.asarray(x_seq).shape[0]), "influence_rows": influence_rows}
    settings["databases"] = {k: len(v) for k, v in (databases or {}).items()}
    return FilterReport(motifs, summary, matches, influence, clusters, _logos(fm.pwms), settings)


def _influence(model, x_seq, x_tab, rows, random_state, progress, batch_size, device):
    """Influence table and clusters on a seeded subset of at most ``rows`` windows."""
    empty = pd.DataFrame(), pd.DataFrame()
    if rows == 0:
        return empty
    x = torch.as_tensor(np.asarray(x_seq) if not torch.is_tensor(x_seq) else x_seq)
    tab = (
        None
        if x_tab is None
        else torch.as_tensor(np.asarray(x_tab) if not torch.is_tensor(x_tab) else x_tab)
    )
    n = x.shape[0] if x.ndim == 3 else 1
    if rows is not None and n > rows:
        pick = np.sort(np.random.default_rng(random_state).choice(n, rows, replace=False))
        x = x[torch.from_numpy(pick)]
        tab = None if tab is None or tab.ndim == 1 else tab[torch.from_numpy(pick)]
    inf = filter_influence(model, x, tab, progress=progress, batch_size=batch_size, device=device)
    n_filters = inf.mean_delta_prob.shape[0]
    if n_filters < 2:
        return inf.table, pd.DataFrame()
    return inf.table, cluster_filters(inf).table
