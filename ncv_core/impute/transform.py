"""Signal scale of the Avocado model: per-base values -> 25-bp bin means -> arcsinh, and back.

Avocado (Schreiber et al.) models each track as the mean of its per-base signal (a -log10 p-value
or a fold change) over 25-bp bins, passed through ``arcsinh`` so that the squared error is not
dominated by the few strongest peaks; imputed values come back to the original units with
``sinh``. A base without data (a bigWig's NaN) counts as 0, as in the reference pipeline.
Pure numpy; nothing here opens files.
"""

from __future__ import annotations

import numpy as np

BIN_SIZE = 25
"""The Avocado bin, in base pairs."""


def bin_means(values: np.ndarray, bin_size: int = BIN_SIZE) -> np.ndarray:
    """Mean of per-base values over consecutive bins, NaN counted as 0.

    Parameters
    ----------
    values : numpy.ndarray, shape (L,) or (n, L)
        Per-base signal of one region (or of ``n`` tracks over the same region).
    bin_size : int
        Bases per bin. A last, partial bin of ``L % bin_size`` bases is the mean over the bases
        it holds.

    Returns
    -------
    numpy.ndarray, shape (ceil(L / bin_size),) or (n, ceil(L / bin_size)), float64
    """
    if bin_size < 1:
        raise ValueError(f"bin_size must be >= 1, got {bin_size}")
    x = np.asarray(values, dtype=np.float64)
    if x.ndim not in (1, 2):
        raise ValueError(f"values must be 1-D or 2-D, got shape {x.shape}")
    x = np.where(np.isfinite(x), x, 0.0)
    length = x.shape[-1]
    n_bins = -(-length // bin_size)
    pad = n_bins * bin_size - length
    width = [(0, 0)] * (x.ndim - 1) + [(0, pad)]
    sums = np.pad(x, width).reshape(*x.shape[:-1], n_bins, bin_size).sum(axis=-1)
    counts = np.full(n_bins, float(bin_size))
    if n_bins and pad:
        counts[-1] = bin_size - pad
    return sums / counts


def to_model_scale(binned: np.ndarray) -> np.ndarray:
    """``arcsinh`` of binned signal, as float32 (the scale the model is trained on).

    Parameters
    ----------
    binned : numpy.ndarray, any shape
        Bin means in the track's original units; NaN counts as 0.
    """
    x = np.asarray(binned, dtype=np.float64)
    return np.arcsinh(np.where(np.isfinite(x), x, 0.0)).astype(np.float32)


def from_model_scale(transformed: np.ndarray) -> np.ndarray:
    """``sinh``: model-scale values back to the track's original units (float64)."""
    return np.sinh(np.asarray(transformed, dtype=np.float64))


def encode_signal(values: np.ndarray, bin_size: int = BIN_SIZE) -> np.ndarray:
    """Per-base values straight to the model scale: ``arcsinh(bin_means(values))``, float32.

    Parameters
    ----------
    values : numpy.ndarray, shape (L,) or (n, L)

    Returns
    -------
    numpy.ndarray, shape (ceil(L / bin_size),) or (n, ceil(L / bin_size)), float32
    """
    return to_model_scale(bin_means(values, bin_size))
