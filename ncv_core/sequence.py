"""Pure sequence arithmetic: one-hot encoding and the nucleotide-composition features.

Arrays are in the package's base order A, C, G, T. Any character other than A/C/G/T (after
upper-casing soft-masked bases) is N: all zeros in a one-hot, counted by nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ncv_core.constants import BASES, COMPOSITION_COLUMNS

_LUT = np.full(256, 4, dtype=np.int8)
for _i, _b in enumerate(BASES):
    _LUT[ord(_b)] = _i
    _LUT[ord(_b.lower())] = _i
_EYE = np.eye(5, 4, dtype=np.float32)
_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def as_byte_array(seqs: Sequence[str]) -> np.ndarray:
    """Upper-cased sequences of equal length as a ``(N, L)`` uint8 array of ASCII codes.

    Raises
    ------
    ValueError
        If the sequences differ in length.
    """
    if len(seqs) == 0:
        return np.zeros((0, 0), dtype=np.uint8)
    length = len(seqs[0])
    if any(len(s) != length for s in seqs):
        lengths = sorted({len(s) for s in seqs})
        raise ValueError(f"sequences must share one length, got lengths {lengths}")
    joined = "".join(seqs).upper().encode("ascii", errors="replace")
    return np.frombuffer(joined, dtype=np.uint8).reshape(len(seqs), length)


def base_indices(seqs: Sequence[str]) -> np.ndarray:
    """Index of each base in :data:`BASES` (4 for N and anything else), shape ``(N, L)`` int8."""
    return _LUT[as_byte_array(seqs)]


def one_hot(seqs: Sequence[str] | str, dtype: np.dtype | type = np.float32) -> np.ndarray:
    """One-hot encode sequences in A, C, G, T order.

    Parameters
    ----------
    seqs : str or sequence of str
        One sequence, or several of equal length ``L``.

    Returns
    -------
    numpy.ndarray
        Shape ``(N, 4, L)`` (``(4, L)`` for a single string); N and other characters are all
        zeros.
    """
    single = isinstance(seqs, str)
    idx = base_indices([seqs] if single else list(seqs))
    out = np.ascontiguousarray(_EYE[idx].transpose(0, 2, 1)).astype(dtype, copy=False)
    return out[0] if single else out


def decode(onehot: np.ndarray) -> list[str] | str:
    """Inverse of :func:`one_hot`: ``(N, 4, L)`` or ``(4, L)`` -> sequences (N where all zero)."""
    arr = np.asarray(onehot)
    single = arr.ndim == 2
    arr = arr[None] if single else arr
    letters = np.frombuffer((BASES + "N").encode(), dtype=np.uint8)
    idx = np.where(arr.max(axis=1) > 0, arr.argmax(axis=1), 4)
    out = [letters[row].tobytes().decode() for row in idx]
    return out[0] if single else out


def reverse_complement(seq: str) -> str:
    """Reverse complement of a DNA sequence (N stays N)."""
    return seq.translate(_COMPLEMENT)[::-1]


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with 0 wherever ``den`` is 0 (so 0/0 and x/0 both give 0)."""
    out = np.zeros(np.broadcast(num, den).shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def composition(seqs: Sequence[str]) -> pd.DataFrame:
    """The ten nucleotide-composition features of each window (SSL_dnn paper, Methods).

    ``A_count T_count G_count C_count``: base counts. ``GC_count GT_count GA_count``: dinucleotide
    counts, overlapping (``GCGC`` holds two ``GC``). ``AT_skew = (A - T) / (A + T)``,
    ``GC_skew = (G - C) / (G + C)``, ``skew_ratio = GC_skew / AT_skew``; any division by zero
    gives 0 (a window with no A or T has ``AT_skew = 0`` and so ``skew_ratio = 0``).

    Parameters
    ----------
    seqs : sequence of str
        ``N`` windows of equal length; case-insensitive.

    Returns
    -------
    pandas.DataFrame
        ``N`` rows, columns :data:`ncv_core.constants.COMPOSITION_COLUMNS` (float64).
    """
    arr = as_byte_array(list(seqs))
    counts = {b: (arr == ord(b)).sum(axis=1).astype(np.float64) for b in "ATGC"}
    g_first = arr[:, :-1] == ord("G")
    dinuc = {
        f"G{b}": (g_first & (arr[:, 1:] == ord(b))).sum(axis=1).astype(np.float64) for b in "CTA"
    }
    at_skew = _safe_ratio(counts["A"] - counts["T"], counts["A"] + counts["T"])
    gc_skew = _safe_ratio(counts["G"] - counts["C"], counts["G"] + counts["C"])
    values = [
        counts["A"],
        counts["T"],
        counts["G"],
        counts["C"],
        dinuc["GC"],
        dinuc["GT"],
        dinuc["GA"],
        at_skew,
        gc_skew,
        _safe_ratio(gc_skew, at_skew),
    ]
    return pd.DataFrame(dict(zip(COMPOSITION_COLUMNS, values, strict=True)))
