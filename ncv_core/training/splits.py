"""Splitting rows into labelled, unlabelled and validation parts, or into CV folds.

``paper_split`` builds Table 2 of the SSL_dnn paper: a balanced labelled training set, a balanced
validation set, and every other row "unlabelled" (its label hidden from training but kept to
measure pseudo-label accuracy). Where the data allow it, validation rows come from whole
held-out chromosomes and no labelled training row shares a chromosome with a validation row, so
neighbouring loci do not leak labels. ``cv_split`` assigns stratified folds.

Labels are ``(N,)`` int arrays, 1 / 0, and -1 for rows without a label (always unlabelled).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from ncv_core.errors import NcvError, warn

LABELLED, UNLABELLED, VALIDATION = "labelled", "unlabelled", "validation"
PARTS: tuple[str, ...] = (LABELLED, UNLABELLED, VALIDATION)

LABELLED_FRACTION = 0.4
"""Default labelled rows per class, as a fraction of the minority class (paper: 0.40-0.51)."""
VALIDATION_FRACTION = 0.2
"""Default validation rows per class, as a fraction of the minority class (paper: 0.20)."""
_CHROM_TRIES = 200


@dataclass(frozen=True)
class Split:
    """The part of every row.

    Attributes
    ----------
    part : numpy.ndarray
        ``(N,)`` str: ``"labelled"``, ``"unlabelled"`` or ``"validation"``.
    by_chromosome : bool
        Whether validation rows come from held-out chromosomes.
    validation_chromosomes : list of str
        Those chromosomes (empty when not held out by chromosome).
    """

    part: np.ndarray
    by_chromosome: bool = False
    validation_chromosomes: list[str] = field(default_factory=list)

    def rows(self, name: str) -> np.ndarray:
        """Row indices of part ``name``, ``(n,)`` int64."""
        return np.flatnonzero(self.part == name)

    def counts(self, labels: np.ndarray) -> dict[str, dict[str, int]]:
        """Positives, negatives and unknown labels per part."""
        out = {}
        for name in PARTS:
            y = labels[self.part == name]
            out[name] = {"n": len(y), "pos": int((y == 1).sum()), "neg": int((y == 0).sum())}
        return out


def require_both_classes(n_pos: int, n_neg: int) -> None:
    """Raise unless the labelled rows hold both classes (the message says which is missing).

    Raises
    ------
    NcvError
        No labelled row at all, or only positives, or only negatives.
    """
    if n_pos == 0 and n_neg == 0:
        raise NcvError("the table has no labelled rows (label 1 or 0); training needs both classes")
    if n_pos == 0 or n_neg == 0:
        only, missing = ("positive", "negative") if n_neg == 0 else ("negative", "positive")
        raise NcvError(
            f"the table has only one class: {max(n_pos, n_neg):,} {only} labelled rows and no "
            f"{missing} ones (label {0 if missing == 'negative' else 1}); training needs both"
        )


def default_sizes(n_pos: int, n_neg: int) -> tuple[int, int]:
    """``(n_labelled, n_val)`` totals following the paper's proportions.

    Per class, 40 % of the minority class goes to the labelled set and 20 % (rounded down) to
    validation; totals are twice that. GM12878's 683/2745 gives (546, 272); the paper used
    (550, 272).
    """
    minority = min(n_pos, n_neg)
    return 2 * int(LABELLED_FRACTION * minority), 2 * int(VALIDATION_FRACTION * minority)


def paper_split(
    labels: np.ndarray,
    chroms: Sequence[str] | np.ndarray | None = None,
    *,
    n_labelled: int | None = None,
    n_val: int | None = None,
    seed: int = 0,
    by_chromosome: bool = True,
) -> Split:
    """Table 2's design: balanced labelled and validation sets, every other row unlabelled.

    Parameters
    ----------
    labels : numpy.ndarray
        ``(N,)`` int: 1, 0, or -1 for no label.
    chroms : sequence of str, optional
        ``(N,)`` chromosome of each row; enables whole-chromosome validation.
    n_labelled, n_val : int, optional
        Totals, half positive and half negative (an odd total gives the extra row to the
        negatives). Defaults: :func:`default_sizes`. ``n_val=0`` makes no validation set.
    seed : int
        Seeds the choice of rows and chromosomes.
    by_chromosome : bool
        Try to draw validation rows from held-out chromosomes; falls back to random rows (with a
        warning) when no set of chromosomes can supply them.

    Raises
    ------
    NcvError
        If there are not enough positives or negatives for the requested sizes.
    """
    labels = np.asarray(labels)
    pos, neg = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    require_both_classes(len(pos), len(neg))
    d_lab, d_val = default_sizes(len(pos), len(neg))
    n_labelled = d_lab if n_labelled is None else int(n_labelled)
    n_val = d_val if n_val is None else int(n_val)
    need = {1: n_labelled // 2 + n_val // 2, 0: n_labelled - n_labelled // 2 + n_val - n_val // 2}
    if len(pos) < need[1] or len(neg) < need[0] or n_labelled < 2:
        raise NcvError(
            f"the split needs {need[1]} positive and {need[0]} negative labelled rows "
            f"(n_labelled={n_labelled}, n_val={n_val}, at least 2 labelled), "
            f"the table has {len(pos)} and {len(neg)}"
        )
    rng = np.random.default_rng(seed)
    val_chroms: list[str] = []
    if by_chromosome and n_val > 0 and chroms is not None:
        val_chroms = _pick_validation_chromosomes(
            labels, np.asarray(chroms, dtype=str), n_labelled, n_val, rng
        )
        if not val_chroms:
            warn("no set of whole chromosomes can hold the validation rows; drawing them at random")
    part = np.full(len(labels), UNLABELLED, dtype=object)
    on_val = np.isin(np.asarray(chroms, dtype=str), val_chroms) if val_chroms else None
    for cls, n_l, n_v in (
        (1, n_labelled // 2, n_val // 2),
        (0, n_labelled - n_labelled // 2, n_val - n_val // 2),
    ):
        rows = rng.permutation(np.flatnonzero(labels == cls))
        if on_val is None:
            val_rows, lab_rows = rows[:n_v], rows[n_v : n_v + n_l]
        else:
            val_rows, lab_rows = rows[on_val[rows]][:n_v], rows[~on_val[rows]][:n_l]
        part[val_rows], part[lab_rows] = VALIDATION, LABELLED
    return Split(part.astype(str), bool(val_chroms), sorted(val_chroms))


def _pick_validation_chromosomes(
    labels: np.ndarray, chroms: np.ndarray, n_labelled: int, n_val: int, rng: np.random.Generator
) -> list[str]:
    """Chromosomes that together hold enough validation rows and leave enough labelled rows.

    Tries random orders of the chromosomes, adding them until both classes' validation needs are
    met; keeps the feasible set that holds the fewest labelled rows. Empty when none is feasible.
    """
    names = np.unique(chroms)
    if len(names) < 2:
        return []
    per = (
        {c: ((labels == 1) & (chroms == c)).sum() for c in names},
        {c: ((labels == 0) & (chroms == c)).sum() for c in names},
    )
    total = [sum(per[0].values()), sum(per[1].values())]  # positives, negatives
    need_val = (n_val // 2, n_val - n_val // 2)
    need_lab = (n_labelled // 2, n_labelled - n_labelled // 2)
    best: tuple[int, list[str]] | None = None
    for _ in range(_CHROM_TRIES):
        chosen, got = [], [0, 0]
        for c in rng.permutation(names):
            if got[0] >= need_val[0] and got[1] >= need_val[1]:
                break
            chosen.append(str(c))
            got = [got[0] + per[0][c], got[1] + per[1][c]]
        if got[0] < need_val[0] or got[1] < need_val[1]:
            continue
        if total[0] - got[0] < need_lab[0] or total[1] - got[1] < need_lab[1]:
            continue
        if best is None or sum(got) < best[0]:
            best = (sum(got), chosen)
    return [] if best is None else best[1]


def cv_split(
    labels: np.ndarray,
    chroms: Sequence[str] | np.ndarray | None = None,
    *,
    folds: int = 5,
    seed: int = 0,
    by_chromosome: bool = True,
) -> np.ndarray:
    """Stratified k-fold assignment of the labelled rows.

    Parameters
    ----------
    labels : numpy.ndarray
        ``(N,)`` int: 1, 0, or -1 for no label.
    chroms : sequence of str, optional
        ``(N,)`` chromosomes; with ``by_chromosome`` and at least ``folds`` chromosomes, whole
        chromosomes stay in one fold (``StratifiedGroupKFold``).
    folds : int
        Number of folds ``K`` (at least 2).
    seed : int
        Seeds the shuffling.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` int: the fold (0 .. K-1) in which each labelled row is validation; -1 for rows
        without a label.
    """
    labels = np.asarray(labels)
    rows = np.flatnonzero(labels >= 0)
    y = labels[rows]
    require_both_classes(int((y == 1).sum()), int((y == 0).sum()))
    n_min = min((y == 1).sum(), (y == 0).sum())
    if folds < 2 or n_min < folds:
        raise NcvError(
            f"{folds}-fold CV needs at least {max(folds, 2)} rows of each class and K >= 2; "
            f"the table has {(y == 1).sum()} positive and {(y == 0).sum()} negative rows"
        )
    fold = np.full(len(labels), -1, dtype=np.int64)
    groups = None if chroms is None else np.asarray(chroms, dtype=str)[rows]
    if by_chromosome and groups is not None and len(np.unique(groups)) >= folds:
        splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
        parts = splitter.split(rows, y, groups)
    else:
        parts = StratifiedKFold(folds, shuffle=True, random_state=seed).split(rows, y)
    for k, (_, test) in enumerate(parts):
        fold[rows[test]] = k
    return fold
