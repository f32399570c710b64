"""From a feature table to tensors: feature selection, labels, scaling, one-hot windows.

Pure in-memory work (no files): the table is read once by ``tables.read_table`` and everything
below turns it into tensors the trainers consume (bpnet-lite's habit: all I/O first, then a pure
in-memory data set).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from ncv_core.constants import RESERVED_COLUMNS
from ncv_core.errors import NcvError, warn
from ncv_core.sequence import one_hot

SEQ_COLUMN = "seq"


@dataclass(frozen=True)
class Inputs:
    """Model inputs for ``N`` rows: ``seq`` ``(N, 4, L)`` float32 and/or ``tab`` ``(N, F)``."""

    seq: torch.Tensor | None
    tab: torch.Tensor | None

    def __len__(self) -> int:
        first = self.seq if self.seq is not None else self.tab
        return 0 if first is None else int(first.shape[0])

    def take(self, idx: torch.Tensor | np.ndarray) -> Inputs:
        """Rows ``idx`` (integer indices), as a new :class:`Inputs`."""
        idx = torch.as_tensor(idx, dtype=torch.long)
        return Inputs(
            None if self.seq is None else self.seq[idx], None if self.tab is None else self.tab[idx]
        )

    def to(self, device: torch.device) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """``(x_seq, x_tab)`` on ``device``."""
        return (
            None if self.seq is None else self.seq.to(device, non_blocking=True),
            None if self.tab is None else self.tab.to(device, non_blocking=True),
        )


TRANSFORM_RULES: tuple[str, ...] = ("auto", "none", "log1p", "arcsinh")
"""Per-column transform rules (``TrainConfig.transform``); see :func:`choose_transforms`."""
SKEW_LIMIT = 1.0
"""``auto``: a column is heavy-tailed when its training skewness ``|g1|`` exceeds this."""


def _log1p(v: np.ndarray) -> np.ndarray:
    # chosen only for columns >= 0 on the training rows; a later negative value is clipped to 0
    return np.log1p(np.maximum(v, 0.0))


TRANSFORMS = {"identity": lambda v: v, "log1p": _log1p, "arcsinh": np.arcsinh}
"""The per-column transforms a :class:`Scaler` applies before standardising (name -> function)."""


def _skewness(v: np.ndarray) -> float:
    """``|g1|`` (the biased sample skewness) of the finite values; 0 for < 3 or constant."""
    v = v[np.isfinite(v)]
    if len(v) < 3 or np.ptp(v) == 0:
        return 0.0
    d = v - v.mean()
    m2 = float(np.mean(d**2))
    return float(abs(np.mean(d**3) / m2**1.5)) if m2 > 0 else 0.0


def choose_transforms(x: np.ndarray, rule: str = "auto") -> tuple[str, ...]:
    """The transform of each column of ``x`` ``(n, F)`` (training rows) under ``rule``.

    ``none``: identity everywhere. ``log1p``: ``log1p`` on every column whose training minimum
    is >= 0, identity elsewhere. ``arcsinh``: ``arcsinh`` on every column. ``auto`` (the robust
    default): a column with more than two distinct values whose skewness ``|g1|`` exceeds
    :data:`SKEW_LIMIT` gets ``log1p`` when its minimum is >= 0, else ``arcsinh`` -- and keeps it
    only when that lowers ``|g1|``; binary, near-symmetric and all-missing columns are left
    alone. NaN values are ignored.

    Returns
    -------
    tuple of str
        ``(F,)`` names in :data:`TRANSFORMS`.
    """
    if rule not in TRANSFORM_RULES:
        raise NcvError(f"unknown transform {rule!r}; expected one of {', '.join(TRANSFORM_RULES)}")
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    out = []
    for j in range(x.shape[1]):
        v = x[:, j][np.isfinite(x[:, j])]
        nonneg = len(v) > 0 and v.min() >= 0
        if rule == "none" or len(v) == 0:
            out.append("identity")
        elif rule == "log1p":
            out.append("log1p" if nonneg else "identity")
        elif rule == "arcsinh":
            out.append("arcsinh")
        else:
            cand = "log1p" if nonneg else "arcsinh"
            s0 = _skewness(v)
            heavy = len(np.unique(v)) > 2 and s0 > SKEW_LIMIT
            out.append(cand if heavy and _skewness(TRANSFORMS[cand](v)) < s0 else "identity")
    return tuple(out)


@dataclass(frozen=True)
class Scaler:
    """A per-column transform then standardisation ``(t(x) - mean) / scale``; missing values
    become the mean (0).

    Attributes
    ----------
    columns : tuple of str
        Feature names, in model input order.
    mean, scale : numpy.ndarray
        ``(F,)`` float64 statistics of the transformed training rows (scale 1 for constant
        features).
    transforms : tuple of str, optional
        ``(F,)`` names in :data:`TRANSFORMS` (None: identity everywhere, as in older cards).
    """

    columns: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    transforms: tuple[str, ...] | None = None

    @classmethod
    def fit(cls, x: np.ndarray, columns: Sequence[str], rule: str = "none") -> Scaler:
        """Fit on ``x`` ``(n, F)`` (training rows only): the transforms of ``rule``
        (:func:`choose_transforms`), then the statistics; NaN and infinite values are ignored."""
        x = np.asarray(x, dtype=np.float64).reshape(len(x), len(columns))
        x = np.where(np.isfinite(x), x, np.nan)
        funcs = choose_transforms(x, rule)
        x = _apply(x, funcs)
        present = np.isfinite(x)
        counts = present.sum(axis=0)
        sums = np.where(present, x, 0.0).sum(axis=0)
        mean = np.divide(sums, counts, out=np.zeros(x.shape[1]), where=counts > 0)
        filled = np.where(present, x, mean)
        scale = filled.std(axis=0) if len(x) else np.ones(x.shape[1])
        scale = np.where(scale > 0, scale, 1.0)
        return cls(tuple(columns), mean, scale, None if rule == "none" else funcs)

    def transform(self, x: np.ndarray) -> np.ndarray:
        """``(N, F)`` raw features -> ``(N, F)`` float32 transformed and standardised; missing
        (NaN) and infinite values become 0 (the training mean), with one warning per call naming
        the columns that had them and how many."""
        x = np.asarray(x, dtype=np.float64).reshape(len(x), len(self.columns))
        bad = ~np.isfinite(x)
        if bad.any():
            counts = bad.sum(axis=0)
            cols = ", ".join(
                f"{c} {int(n):,}" for c, n in zip(self.columns, counts, strict=True) if n
            )
            warn(
                f"missing or infinite feature values are replaced by the training mean "
                f"(values per column, of {len(x):,} rows): {cols}"
            )
        t = _apply(np.where(bad, np.nan, x), self.transforms)
        z = (np.where(np.isfinite(t), t, self.mean) - self.mean) / self.scale
        return z.astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (floats round-trip exactly through JSON)."""
        out: dict[str, Any] = {
            "columns": list(self.columns),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
        }
        if self.transforms is not None:
            out["transforms"] = list(self.transforms)
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scaler:
        """Inverse of :meth:`to_dict` (no ``transforms``: identity, as in older cards)."""
        cols, mean, scale = d["columns"], d["mean"], d["scale"]
        funcs = d.get("transforms")
        if not (len(cols) == len(mean) == len(scale)) or (
            funcs is not None and len(funcs) != len(cols)
        ):
            raise ValueError("scaler columns, mean, scale and transforms differ in length")
        unknown = sorted(set(funcs or ()) - set(TRANSFORMS))
        if unknown:
            raise ValueError(f"unknown feature transforms {unknown}")
        return cls(
            tuple(cols),
            np.asarray(mean, dtype=np.float64),
            np.asarray(scale, dtype=np.float64),
            None if funcs is None else tuple(funcs),
        )


def _apply(x: np.ndarray, funcs: Sequence[str] | None) -> np.ndarray:
    """``x`` ``(N, F)`` with column ``j`` mapped by ``TRANSFORMS[funcs[j]]`` (NaN stays NaN)."""
    if funcs is None or all(f == "identity" for f in funcs):
        return x
    with np.errstate(invalid="ignore"):
        return np.column_stack([TRANSFORMS[f](x[:, j]) for j, f in enumerate(funcs)])


def select_features(
    table: pd.DataFrame,
    meta: dict | None = None,
    *,
    label_cols: Sequence[str] = ("label",),
    feature_cols: Sequence[str] | None = None,
    exclude_cols: Sequence[str] = (),
) -> list[str]:
    """The tabular feature columns to train on, in order.

    ``feature_cols`` when given; else the metadata's ``feature_columns``; else every numeric
    column that is not reserved (:data:`ncv_core.constants.RESERVED_COLUMNS`), a label or a
    baseline column listed in the metadata. ``exclude_cols`` is removed from the result.

    Raises
    ------
    NcvError
        If a named column is missing or not numeric.
    """
    meta = meta or {}
    if feature_cols is not None:
        cols = list(feature_cols)
    elif meta.get("feature_columns"):
        cols = [c for c in meta["feature_columns"] if c in table.columns]
    else:
        skip = set(RESERVED_COLUMNS) | set(label_cols) | set(meta.get("baseline_columns") or ())
        cols = [c for c in table.columns if c not in skip and _is_numeric(table[c])]
    unknown = [c for c in exclude_cols if c not in table.columns]
    if unknown:
        raise NcvError(f"--exclude-cols names columns the table does not have: {unknown}")
    cols = [c for c in cols if c not in set(exclude_cols)]
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise NcvError(f"feature columns missing from the table: {missing}")
    bad = [c for c in cols if not _is_numeric(table[c])]
    if bad:
        raise NcvError(f"feature columns are not numeric: {bad}")
    clash = [c for c in cols if c in label_cols or c == SEQ_COLUMN]
    if clash:
        raise NcvError(f"columns cannot be both features and labels/sequence: {clash}")
    return cols


def _is_numeric(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)


def feature_matrix(table: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Raw features ``(N, F)`` float64, NaN where missing.

    Raises
    ------
    NcvError
        If a column is missing or holds infinite values.
    """
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise NcvError(f"the table lacks feature columns the model needs: {missing}")
    if not columns:
        return np.zeros((len(table), 0))
    x = np.column_stack(
        [
            pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            for c in columns
        ]
    )
    inf = np.isinf(x)
    if inf.any():
        row, col = np.argwhere(inf)[0]
        raise NcvError(f"column {columns[col]!r} holds an infinite value (row {row})")
    return x


def label_matrix(table: pd.DataFrame, label_cols: Sequence[str]) -> np.ndarray:
    """Labels ``(N, T)`` int64: 1 functional, 0 not, -1 missing (unlabelled).

    Raises
    ------
    NcvError
        If a label column is missing or holds anything but 0, 1 and empty.
    """
    out = np.full((len(table), len(label_cols)), -1, dtype=np.int64)
    for j, c in enumerate(label_cols):
        if c not in table.columns:
            raise NcvError(f"label column {c!r} not in the table (columns: {list(table.columns)})")
        raw = table[c]
        vals = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = (np.isnan(vals) & raw.notna().to_numpy()) | (~np.isnan(vals) & ~np.isin(vals, (0, 1)))
        if bad.any():
            i = int(np.argmax(bad))
            raise NcvError(
                f"label column {c!r}: row {i} holds {raw.iloc[i]!r}; expected 0, 1 or empty"
            )
        known = ~np.isnan(vals)
        out[known, j] = vals[known].astype(np.int64)
    return out


def sequence_array(table: pd.DataFrame, window: int | None = None) -> np.ndarray:
    """One-hot windows ``(N, 4, L)`` float32 in A,C,G,T order from the ``seq`` column.

    Raises
    ------
    NcvError
        If the column is missing, holds empty values or windows of another length than ``window``.
    """
    if SEQ_COLUMN not in table.columns:
        raise NcvError("the table has no 'seq' column, but the model reads sequence")
    seqs = table[SEQ_COLUMN]
    if seqs.isna().any():
        raise NcvError(f"'seq' is empty on row {int(np.argmax(seqs.isna().to_numpy()))}")
    seqs = seqs.astype(str).tolist()
    lengths = {len(s) for s in seqs}
    if window is not None and lengths - {window}:
        raise NcvError(f"'seq' windows must be {window} bp; found lengths {sorted(lengths)}")
    if len(lengths) > 1:
        raise NcvError(f"'seq' windows differ in length: {sorted(lengths)}")
    return one_hot(seqs)


def table_sha256(table: pd.DataFrame) -> str:
    """A content hash of a table (column names, dtypes and values; not the file's bytes)."""
    h = hashlib.sha256()
    h.update("\x1f".join(f"{c}:{table[c].dtype}" for c in table.columns).encode())
    h.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
    return h.hexdigest()


def encode(
    table: pd.DataFrame,
    *,
    scaler: Scaler | None,
    uses_seq: bool,
    window: int | None = None,
) -> Inputs:
    """Model inputs for every row of ``table``.

    Parameters
    ----------
    table : pandas.DataFrame
        ``N`` rows holding the scaler's feature columns and, when ``uses_seq``, ``seq``.
    scaler : Scaler or None
        Fitted feature scaling (None or no columns: no tabular input).
    uses_seq : bool
        Whether to one-hot the ``seq`` column.
    window : int, optional
        Expected window length.

    Returns
    -------
    Inputs
        ``seq`` ``(N, 4, L)`` float32 or None, ``tab`` ``(N, F)`` float32 or None.
    """
    seq = torch.from_numpy(sequence_array(table, window)) if uses_seq else None
    tab = None
    if scaler is not None and scaler.columns:
        tab = torch.from_numpy(scaler.transform(feature_matrix(table, scaler.columns)))
    return Inputs(seq, tab)
