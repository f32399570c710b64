"""Plain words for what the app shows (plain Python: no Streamlit).

Each technical name (a card key, a score column, a quantile column) gets a short label for the
page and a sentence for its help, which also names the technical key, so a reader can find it in
``card.json``, a downloaded table or ``ncv --help``. Pages of every engineer use these: one
wording per concept.
"""

from __future__ import annotations

import math
from typing import Any

from ncv_core.scoring.report import MEANINGS

_SCORE_LABELS: dict[str, tuple[str, str]] = {
    "p_ref": ("P(functional), reference", ""),
    "p_alt": ("P(functional), alternative", "The same window with the alternative base in it."),
    "diff": (
        "change in probability",
        "Below 0 the alternative allele makes it look less functional; the change shrinks near "
        "probabilities of 0 and 1.",
    ),
    "logit_diff": (
        "change in log-odds",
        "Comparable between loci whatever their starting probability: +1 multiplies the odds "
        "by e (2.7), -1 divides them by e.",
    ),
    "log2fc": (
        "log2 fold change",
        "+1 means the alternative allele doubles the probability, -1 halves it.",
    ),
    "diff_percentile": ("effect percentile", "99 means a larger change than 99 % of them."),
    "p_ref_percentile": ("reference score percentile", ""),
}
SCORE_WORDS: dict[str, tuple[str, str]] = {
    key: (label, f"{key}: {MEANINGS[key]}." + (f" {extra}" if extra else ""))
    for key, (label, extra) in _SCORE_LABELS.items()
}
"""Score columns (``ncv_core.constants.SCORE_COLUMNS`` and the background percentiles)."""

METRIC_WORDS: dict[str, tuple[str, str]] = {
    "val_auroc": (
        "AUROC on held-out rows",
        "val_auroc: area under the ROC curve on the validation rows, which training never "
        "saw (0.5 is chance, 1 perfect). For cross-validation: the mean over folds.",
    ),
    "val_auroc_se": (
        "± standard error",
        "val_auroc_se: standard error of the AUROC over the cross-validation folds.",
    ),
    "val_aupr": (
        "AUPR on held-out rows",
        "val_aupr: area under the precision-recall curve on the validation rows (chance is "
        "the share of functional loci).",
    ),
    "val_accuracy": (
        "accuracy on held-out rows",
        "val_accuracy: share of validation rows classified right at probability 0.5.",
    ),
    "n_val": ("held-out rows", "n_val: validation rows the metrics are computed on."),
    "auroc": ("AUROC", "auroc: area under the ROC curve (0.5 chance, 1 perfect)."),
    "aupr": ("AUPR", "aupr: area under the precision-recall curve (average precision)."),
    "accuracy": (
        "accuracy (p ≥ 0.5)",
        "accuracy: share of rows classified right at probability 0.5 (a model only: a "
        "baseline column is a score, not a probability).",
    ),
    "n": ("loci", "n: labelled loci the numbers are computed on."),
}
"""Metrics of cards and evaluation reports."""

TERMINATION_WORDS: dict[str, str] = {
    "max_iter": "ran every epoch",
    "stopped": "stopped early by you",
}
"""``card["training"]["termination"]`` (scikit-learn's ``termination_condition_``)."""

SUMMARY_WORDS: dict[str, str] = {
    "n": "loci",
    "n_missing": "missing values",
    "mean": "mean",
    "std": "standard deviation",
    "q0": "minimum",
    "q05": "5th percentile",
    "q25": "25th percentile (lower quartile)",
    "q50": "median",
    "q75": "75th percentile (upper quartile)",
    "q95": "95th percentile",
    "q100": "maximum",
}
"""Columns of ``FeatureImportance.summary``."""

LABEL_WORDS: dict[int, str] = {1: "functional (1)", 0: "not functional (0)"}


def word(key: str) -> str:
    """The plain label of a technical key (the key itself when it has none)."""
    for table in (SCORE_WORDS, METRIC_WORDS):
        if key in table:
            return table[key][0]
    return SUMMARY_WORDS.get(key, TERMINATION_WORDS.get(key, key))


def explain(key: str) -> str | None:
    """The help sentence of a technical key (it names the key), or None."""
    for table in (SCORE_WORDS, METRIC_WORDS):
        if key in table:
            return table[key][1]
    return None


def termination(card: dict[str, Any]) -> str:
    """How a training run ended, in words."""
    raw = (card.get("training") or {}).get("termination")
    return TERMINATION_WORDS.get(raw, raw or "unknown")


def with_se(value: float | None, se: float | None, digits: int = 3) -> str:
    """``0.812 ± 0.012``, ``0.812`` without a standard error, ``n/a`` without a value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    text = f"{value:.{digits}f}"
    if se is not None and not (isinstance(se, float) and math.isnan(se)):
        text += f" ± {se:.{digits}f}"
    return text


def effect_sentence(p_ref: float, p_alt: float, logit_diff: float, ref: str, alt: str) -> str:
    """One variant's effect in a sentence: the probability with each allele and the odds ratio
    (``exp(logit_diff)``)."""
    ratio = math.exp(logit_diff) if math.isfinite(logit_diff) else float("nan")
    way = "raises" if logit_diff > 0 else "lowers" if logit_diff < 0 else "does not change"
    odds = f"the odds × {ratio:.3g}" if math.isfinite(ratio) else "the odds by an undefined factor"
    return (
        f"With {alt} instead of {ref}, the model's probability that the locus is functional "
        f"goes from {p_ref:.3f} to {p_alt:.3f}: the alternative allele {way} it ({odds})."
    )
