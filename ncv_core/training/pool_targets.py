"""Soft targets for the unlabelled pool from a teacher ensemble: Platt calibration on the
teacher's out-of-fold logits, the pool's class prior by probabilistic adjusted classify-and-count
(PACC), and the teacher's probabilities moved to that prior.

Why: the paper's labelled set is balanced (prior 0.5) while the pool holds the natural share of
positives (often < 10 %); a teacher fitted at 0.5 over-calls positives on the pool. Calibrating it
on rows it did not train on and shifting its posteriors to the estimated pool prior gives the
student targets that are probabilities of the pool's own distribution (Saerens et al. 2002; Bella
et al. 2010).
"""

from __future__ import annotations

import numpy as np

PRIOR_CLIP = (0.005, 0.995)
MIN_SEPARATION = 0.1
"""The teacher must separate the classes out of fold by at least this (mean calibrated
probability of the positives minus that of the negatives) for its prior estimate to be used."""


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def platt(z: np.ndarray, y: np.ndarray, iters: int = 100, c: float = 1e4) -> tuple[float, float]:
    """Fit ``p = sigmoid(a z + b)`` to out-of-fold logits ``z`` ``(n,)`` and labels ``y`` ``(n,)``
    by maximum likelihood with a ridge ``a**2 / (2 c)`` on the slope (scikit-learn's
    ``LogisticRegression(C=c)``), by Newton's method.

    Returns ``(1, 0)`` (no calibration) when ``y`` holds a single class.
    """
    z, y = np.asarray(z, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(z) < 2 or y.min() == y.max():
        return 1.0, 0.0
    X = np.column_stack([z, np.ones_like(z)])
    w = np.zeros(2)
    for _ in range(iters):
        p = _sigmoid(X @ w)
        ridge = np.array([1.0 / c, 0.0])
        grad = X.T @ (p - y) + ridge * w
        hess = (X * (p * (1 - p))[:, None]).T @ X + np.diag(ridge + 1e-12)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return float(w[0]), float(w[1])


def pacc_prior(p_pool: np.ndarray, p_oof: np.ndarray, y_oof: np.ndarray) -> float:
    """The pool's positive share by probabilistic adjusted classify-and-count (Bella et al. 2010).

    ``(mean p_pool - mean p_oof[y=0]) / (mean p_oof[y=1] - mean p_oof[y=0])``, clipped to
    :data:`PRIOR_CLIP`; ``p_pool`` ``(U,)`` and ``p_oof`` ``(n,)`` are calibrated probabilities,
    ``y_oof`` ``(n,)`` the out-of-fold rows' labels. Without both classes: the mean of ``p_pool``.
    """
    raw, _ = _pacc(p_pool, p_oof, y_oof)
    return float(np.clip(raw, *PRIOR_CLIP))


def _pacc(p_pool: np.ndarray, p_oof: np.ndarray, y_oof: np.ndarray) -> tuple[float, float]:
    """The unclipped PACC estimate and the separation ``mean p|pos - mean p|neg``."""
    p_pool, p_oof, y_oof = (np.asarray(a, dtype=np.float64) for a in (p_pool, p_oof, y_oof))
    if not ((y_oof == 1).any() and (y_oof == 0).any()):
        return float(p_pool.mean()), 0.0
    tpr, fpr = p_oof[y_oof == 1].mean(), p_oof[y_oof == 0].mean()
    return float((p_pool.mean() - fpr) / max(tpr - fpr, 1e-6)), float(tpr - fpr)


def shift_prior(p: np.ndarray, prior: float, train_prior: float) -> np.ndarray:
    """Posteriors ``p`` ``(U,)`` of a model fitted at ``train_prior`` re-expressed at ``prior``:
    ``a / (a + b)`` with ``a = prior / train_prior * p``, ``b = (1 - prior) / (1 - train_prior) *
    (1 - p)`` (Saerens et al. 2002)."""
    p = np.asarray(p, dtype=np.float64)
    a = prior / train_prior * p
    b = (1 - prior) / (1 - train_prior) * (1 - p)
    return a / np.maximum(a + b, 1e-12)


def pool_targets(
    z_pool: np.ndarray, z_oof: np.ndarray, y_oof: np.ndarray, train_prior: float
) -> tuple[np.ndarray, dict[str, float]]:
    """Soft targets of the pool for one task.

    Parameters
    ----------
    z_pool : numpy.ndarray
        ``(k, U)`` positive logits of the ``k`` teacher members on the pool.
    z_oof : numpy.ndarray
        ``(n,)`` out-of-fold logits of the labelled rows (each from the member that held it out).
    y_oof : numpy.ndarray
        ``(n,)`` their labels (0/1).
    train_prior : float
        Positive share of the labelled rows the teacher trained on.

    Returns
    -------
    (numpy.ndarray, dict)
        ``(U,)`` float32 targets; ``{"platt_a", "platt_b", "pool_prior", "train_prior",
        "pacc_raw", "separation", "reliable"}``. ``reliable`` is False when the teacher separates
        the classes out of fold by less than :data:`MIN_SEPARATION` or the unclipped PACC
        estimate exceeds 1 (the pool looks more positive than the positives): the teacher cannot
        tell the pool's prior and such targets should not be used.
    """
    a, b = platt(z_oof, y_oof)
    p_pool = _sigmoid(a * np.asarray(z_pool, dtype=np.float64) + b).mean(axis=0)
    raw, separation = _pacc(p_pool, _sigmoid(a * np.asarray(z_oof) + b), y_oof)
    prior = float(np.clip(raw, *PRIOR_CLIP))
    tp = float(np.clip(train_prior, *PRIOR_CLIP))
    q = shift_prior(p_pool, prior, tp)
    reliable = bool(separation >= MIN_SEPARATION and raw <= 1.0)  # below 0: "almost none", kept
    info = {
        "platt_a": a,
        "platt_b": b,
        "pool_prior": prior,
        "train_prior": tp,
        "pacc_raw": raw,
        "separation": separation,
        "reliable": reliable,
    }
    return q.astype(np.float32), info
