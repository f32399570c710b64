"""Compare PWMs with a motif database: TomTom p-values, q-values, orientation and offset.

Two column distances, one statistic. TomTom (Gupta et al. 2007) scores an alignment of a query
and a target motif by summing a similarity of aligned columns; each query column's null
distribution is its similarity to every column of the database; an alignment's null is the
convolution over its columns (unaligned query columns score that column's median: "complete"
scoring), and a target's p-value is that of its best alignment under the distribution of the
maximum over all offsets (columns and offsets taken as independent); the two strands are merged
as ``1 - (1 - p_min)^2``.

- ``distance="euclidean"``: memelite's TomTom (``memelite.tomtom``), whose column similarity is
  minus the Euclidean distance between the two columns. memelite offers no other distance.
- ``distance="pearson"``: the same statistic computed here in numpy with the Pearson correlation
  of the two columns as the similarity (MEME TomTom's ``-dist pearson``, the one Basset used); a
  constant column (zero variance) correlates 0 with everything. Computed exactly as memelite's
  (median-centred scores, ``n_score_bins`` bins per column), except that medians are exact where
  memelite approximates them by binning; with the Euclidean similarity this implementation
  reproduces memelite's p-values (tests).

q-values are Benjamini-Hochberg over all targets of a query; E-values are ``p x n_targets``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ncv_core.errors import NcvError
from ncv_core.io.motif_files import Motif, reverse_complement_pwm

__all__ = ["DISTANCES", "tomtom"]

DISTANCES: tuple[str, ...] = ("euclidean", "pearson")

MotifsLike = Sequence[Motif] | Mapping[str, np.ndarray] | np.ndarray | Sequence[np.ndarray]


def _as_motifs(obj: MotifsLike, prefix: str) -> list[Motif]:
    """Motifs from Motif objects, a name -> ``(W, 4)`` mapping, or ``(F, W, 4)`` arrays."""
    if isinstance(obj, Mapping):
        items = [Motif(str(k), np.asarray(v, dtype=np.float64)) for k, v in obj.items()]
    else:
        items = [
            m if isinstance(m, Motif) else Motif(f"{prefix}{i}", np.asarray(m, dtype=np.float64))
            for i, m in enumerate(obj)
        ]
    if not items:
        raise NcvError(f"no {prefix.rstrip('_')} motifs given")
    for m in items:
        p = m.pwm
        if p.ndim != 2 or p.shape[1] != 4 or p.shape[0] < 1:
            raise NcvError(f"motif {m.name!r} has shape {p.shape}; expected (W, 4) A,C,G,T")
        if not np.isfinite(p).all() or (p < 0).any() or not (p.sum(axis=1) > 0).all():
            raise NcvError(f"motif {m.name!r} has negative, non-finite or all-zero rows")
    return items


def _column_scores(q: np.ndarray, cols: np.ndarray, distance: str) -> np.ndarray:
    """Similarity of each query column with each target column: ``(nq, C)``."""
    if distance == "euclidean":
        d2 = (q**2).sum(1)[:, None] + (cols**2).sum(1)[None, :] - 2 * q @ cols.T
        return -np.sqrt(np.clip(d2, 0.0, None))
    qc = q - q.mean(axis=1, keepdims=True)
    tc = cols - cols.mean(axis=1, keepdims=True)
    qn, tn = np.linalg.norm(qc, axis=1), np.linalg.norm(tc, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (qc @ tc.T) / (qn[:, None] * tn[None, :])
    return np.where((qn[:, None] > 0) & (tn[None, :] > 0), r, 0.0)


def _binned(scores: np.ndarray, n_bins: int) -> tuple[np.ndarray, int, np.ndarray]:
    """Median-centred integer scores ``(nq, C)`` in [0, n_bins], the offset, histograms."""
    d = scores - np.median(scores, axis=1, keepdims=True)
    i_min = math.floor(d.min())
    bin_scale = math.floor(n_bins / max(d.max() - i_min, 1.0))
    zb = np.floor((d - i_min) * bin_scale + 0.5).astype(np.int64)
    hist = np.stack([np.bincount(row, minlength=n_bins + 1) for row in zb]) / zb.shape[1]
    return zb, -i_min * bin_scale, hist


def _span_logs(hist: np.ndarray, offset: int) -> dict[tuple[int, int], np.ndarray]:
    """For every span of query columns, ``log P(S < s)`` for s = 0 .. n - 1.

    ``S`` is the alignment score in shifted integer units: the sum of the span's binned scores
    plus ``offset`` (a median score) for each query column outside the span.
    """
    nq, width = hist.shape
    n = nq * (width - 1 + offset) + 1
    logs = {}
    for i in range(nq):
        acc = hist[i]
        for j in range(i, nq):
            if j > i:
                acc = np.convolve(acc, hist[j])
            pdf = np.zeros(n)
            shift = offset * (nq - (j - i + 1))
            pdf[shift : shift + len(acc)] = acc
            survival = np.clip(np.cumsum(pdf[::-1])[::-1], 0.0, 1.0)  # P(S >= s), from the tail
            with np.errstate(divide="ignore"):
                logs[i, j] = np.log1p(-survival)
    return logs


def _max_log_cdf(logs: dict, nq: int, t: int) -> np.ndarray:
    """``log P(max over all alignments with a length-t target < s)``, alignments independent."""
    total = 0.0
    for o in range(-(nq - 1), t):
        total = total + logs[max(0, -o), min(nq - 1, t - 1 - o)]
    return total


def _best_alignments(zb_t: np.ndarray, pad_value: float, nq: int) -> tuple[np.ndarray, np.ndarray]:
    """Per target ``(n_t, nq, t)``: best summed score and its alignment index.

    Index ``k`` puts query column 0 on target column ``k - (nq - 1)``; unaligned query columns
    add ``pad_value``. Ties go to the larger overlap, then the smaller index.
    """
    n_t, _, t = zb_t.shape
    padded = np.full((n_t, nq, t + 2 * (nq - 1)), pad_value, dtype=zb_t.dtype)
    padded[:, :, nq - 1 : nq - 1 + t] = zb_t
    total = np.zeros((n_t, t + nq - 1), dtype=zb_t.dtype)
    for i in range(nq):
        total += padded[:, i, i : i + t + nq - 1]
    k = np.arange(t + nq - 1)
    overlap = np.minimum(k + 1, nq) - np.maximum(0, k - t + 1)
    best = total.max(axis=1)
    key = np.where(total == best[:, None], overlap[None, :], -1)
    return best, key.argmax(axis=1)


def _tomtom_numpy(
    queries: list[np.ndarray], targets: list[np.ndarray], distance: str, rc: bool, n_bins: int = 100
) -> np.ndarray:
    """TomTom in numpy for any column similarity: ``(4, Q, T)`` p-value, offset, overlap, strand."""
    oriented = targets + ([reverse_complement_pwm(t) for t in targets] if rc else [])
    lengths = np.array([len(t) for t in oriented])
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    cols = np.concatenate(oriented)
    n_t = len(targets)
    out = np.zeros((4, len(queries), n_t))
    for qi, q in enumerate(queries):
        nq = len(q)
        zb, offset, hist = _binned(_column_scores(q, cols, distance), n_bins)
        logs = _span_logs(hist, offset)
        p = np.ones(len(oriented))
        score = np.zeros(len(oriented))
        where = np.zeros(len(oriented), dtype=np.int64)
        for t in np.unique(lengths):
            idx = np.flatnonzero(lengths == t)
            gather = starts[idx][:, None] + np.arange(t)[None, :]  # (n_t, t)
            best, k = _best_alignments(zb[:, gather].transpose(1, 0, 2), offset, nq)
            log_cdf = _max_log_cdf(logs, nq, t)
            p[idx] = np.where(best > 0, -np.expm1(log_cdf[np.clip(best, 0, None)]), 1.0)
            score[idx], where[idx] = best, k
        out[:, qi] = _merge_strands(p, score, where, lengths, nq, n_t, rc)
    return out


def _merge_strands(p, score, where, lengths, nq, n_t, rc) -> np.ndarray:
    """``(4, T)``: p-value (two strands: ``1 - (1 - p_min)^2``), offset, overlap, strand."""
    strand = np.zeros(n_t)
    if rc:
        minus = score[n_t:] > score[:n_t]  # ties keep the forward strand
        strand = minus.astype(np.float64)
        p_min = np.minimum(p[:n_t], p[n_t:])
        p_out = p_min * (2 - p_min)
        where = np.where(minus, where[n_t:], where[:n_t])
    else:
        p_out = p
    t = lengths[:n_t]
    overlap = np.minimum(where + 1, nq) - np.maximum(0, where - t + 1)
    return np.stack([p_out, where - (nq - 1), overlap, strand])


def _raw_score(q: np.ndarray, t: np.ndarray, offset: int, distance: str) -> float:
    """Sum of the column similarity over the aligned columns (query column 0 at ``offset``)."""
    i = np.arange(len(q))
    j = i + offset
    ok = (j >= 0) & (j < len(t))
    if not ok.any():
        return 0.0
    return float(np.diag(_column_scores(q[i[ok]], t[j[ok]], distance)).sum())


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values of one query's p-values."""
    order = np.argsort(p, kind="stable")
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty_like(q)
    out[order] = np.minimum(q, 1.0)
    return out


def _tomtom_memelite(
    queries: list[np.ndarray], targets: list[np.ndarray], rc: bool, n_bins: int, n_jobs: int
) -> np.ndarray:
    """memelite's TomTom (Euclidean): ``(4, Q, T)`` p-value, offset, overlap, strand.

    Inputs go in as C-contiguous float64 ``(4, W)`` arrays: another dtype makes numba compile a
    second specialisation (over a minute, once per environment).
    """
    from memelite import tomtom as memelite_tomtom

    qs = [np.ascontiguousarray(q.T, dtype=np.float64) for q in queries]
    ts = [np.ascontiguousarray(t.T, dtype=np.float64) for t in targets]
    p, _, offsets, overlaps, strands = memelite_tomtom(
        qs, ts, n_nearest=None, n_score_bins=n_bins, reverse_complement=rc, n_jobs=n_jobs
    )
    return np.stack([p, offsets, overlaps, strands])


def tomtom(
    queries: MotifsLike,
    targets: MotifsLike,
    *,
    distance: str = "euclidean",
    n_matches: int | None = 5,
    reverse_complement: bool = True,
    n_score_bins: int = 100,
    n_jobs: int = -1,
) -> pd.DataFrame:
    """Best database matches of each query PWM, with TomTom p-values and q-values.

    Parameters
    ----------
    queries, targets : motifs
        A list of :class:`~ncv_core.io.motif_files.Motif`, a mapping name -> ``(W, 4)`` array,
        or ``(F, W, 4)`` arrays (named ``query_<i>`` / ``target_<i>``); A,C,G,T columns.
    distance : {"euclidean", "pearson"}
        Column similarity: minus the Euclidean distance (memelite) or the Pearson correlation
        (this module's implementation of the same statistic); see the module docstring.
    n_matches : int or None
        Rows per query, best first (None: every target).
    reverse_complement : bool
        Also align each query with each target's reverse complement.
    n_score_bins : int
        Bins per column score (TomTom's ``t``; memelite's default 100).
    n_jobs : int
        Threads for memelite (-1: all); the Pearson path is single-threaded numpy.

    Returns
    -------
    pandas.DataFrame
        One row per (query, match): ``query target target_name rank p_value e_value q_value
        score offset overlap orientation distance``. ``orientation`` is ``+`` when the query
        matches the target as given, ``-`` when it matches its reverse complement; ``offset`` is
        the 0-based column of that (oriented) target aligned with the query's first column
        (negative: the query starts before the target); ``overlap`` counts aligned columns;
        ``score`` sums the column similarity over them.
    """
    if distance not in DISTANCES:
        raise NcvError(f"unknown distance {distance!r}; expected one of {', '.join(DISTANCES)}")
    qm, tm = _as_motifs(queries, "query_"), _as_motifs(targets, "target_")
    qs, ts = [m.pwm for m in qm], [m.pwm for m in tm]
    if distance == "euclidean":
        res = _tomtom_memelite(qs, ts, reverse_complement, n_score_bins, n_jobs)
    else:
        res = _tomtom_numpy(qs, ts, distance, reverse_complement, n_score_bins)
    return _matches_table(res, qm, tm, distance, n_matches)


def _matches_table(
    res: np.ndarray, qm: list[Motif], tm: list[Motif], distance: str, n_matches: int | None
) -> pd.DataFrame:
    """The long table of the best ``n_matches`` targets per query."""
    p_all, off_all, ov_all, strand_all = res
    rows = []
    for qi, q in enumerate(qm):
        p = np.clip(p_all[qi], 0.0, 1.0)
        q_values = _bh(p)
        order = np.argsort(p, kind="stable")[: n_matches if n_matches is not None else len(p)]
        for rank, ti in enumerate(order, start=1):
            minus = strand_all[qi, ti] == 1
            target = reverse_complement_pwm(tm[ti].pwm) if minus else tm[ti].pwm
            offset = int(off_all[qi, ti])
            rows.append(
                {
                    "query": q.name,
                    "target": tm[ti].name,
                    "target_name": tm[ti].alt_name,
                    "rank": rank,
                    "p_value": p[ti],
                    "e_value": p[ti] * len(tm),
                    "q_value": q_values[ti],
                    "score": _raw_score(q.pwm, target, offset, distance),
                    "offset": offset,
                    "overlap": int(ov_all[qi, ti]),
                    "orientation": "-" if minus else "+",
                    "distance": distance,
                }
            )
    return pd.DataFrame(rows)
