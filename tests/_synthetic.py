"""Helpers of the model/training tests (not a test module): tiny synthetic feature tables with a
learnable signal in two features and a k-mer planted in ``seq`` of most positives, and a fixture
that runs torch on one thread (tiny networks are slower with more, and results are then the same
on every machine)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
import torch

MOTIF = "TGACTCA"


def synthetic_table(
    n: int = 300,
    *,
    seed: int = 0,
    pos_frac: float = 0.3,
    window: int = 150,
    n_chrom: int = 4,
    unlabelled: int = 0,
) -> pd.DataFrame:
    """A feature table of ``n`` rows (``unlabelled`` of them without a label).

    Columns: ``chrom pos ref alt label id``, ``DNase_max``/``DNase_sum`` (shifted up for
    positives), ``H3K27ac_max`` (weaker shift), ``noise``, ``CADD`` (a baseline score) and
    ``seq`` (random bases with :data:`MOTIF` at the centre of 80 % of positives).
    """
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < pos_frac).astype(np.int64)
    letters = np.array(list("ACGT"))
    seqs = ["".join(rng.choice(letters, window)) for _ in range(n)]
    mid = window // 2 - len(MOTIF) // 2
    seqs = [
        s[:mid] + MOTIF + s[mid + len(MOTIF) :] if yi and rng.random() < 0.8 else s
        for s, yi in zip(seqs, y, strict=True)
    ]
    label = pd.array(y, dtype="Int8")
    if unlabelled:
        label[rng.choice(n, unlabelled, replace=False)] = pd.NA
    dnase = rng.normal(size=n) + 1.5 * y
    return pd.DataFrame(
        {
            "chrom": [f"chr{i % n_chrom + 1}" for i in range(n)],
            "pos": np.arange(n, dtype=np.int64) * 1000 + 1,
            "ref": "A",
            "alt": "G",
            "label": label,
            "id": [f"v{i}" for i in range(n)],
            "CADD": dnase + rng.normal(size=n),
            "DNase_max": dnase,
            "DNase_sum": 10 * dnase + rng.normal(size=n),
            "H3K27ac_max": rng.normal(size=n) + 0.7 * y,
            "noise": rng.normal(size=n),
            "seq": seqs,
        }
    )


META = {
    "format": "ncv-features",
    "cell_line": "SYN",
    "window": 150,
    "genome": {"path": "syn.fa", "build": "hg19", "fingerprint": "abc"},
    "marks": ["H3K27ac", "DNase"],
    "feature_columns": ["DNase_max", "DNase_sum", "H3K27ac_max", "noise"],
    "baseline_columns": ["CADD"],
}


@contextmanager
def threads(n: int = 1) -> Iterator[None]:
    """torch on ``n`` CPU threads inside the block, restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Every test of a module that imports this fixture runs torch on one thread."""
    with threads(1):
        yield
