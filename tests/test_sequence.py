from __future__ import annotations

import numpy as np
import pytest

from ncv_core.constants import COMPOSITION_COLUMNS
from ncv_core.sequence import composition, decode, one_hot, reverse_complement


def test_one_hot_order_and_n() -> None:
    x = one_hot("ACGTNa")
    assert x.shape == (4, 6)
    expected = np.array(
        [[1, 0, 0, 0, 0, 1], [0, 1, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0], [0, 0, 0, 1, 0, 0]]
    )
    np.testing.assert_array_equal(x, expected)
    assert x.dtype == np.float32


def test_one_hot_batch_and_decode_round_trip() -> None:
    seqs = ["ACGTN", "ttgca", "NNNNN"]
    x = one_hot(seqs)
    assert x.shape == (3, 4, 5)
    assert decode(x) == ["ACGTN", "TTGCA", "NNNNN"]


def test_one_hot_rejects_ragged() -> None:
    with pytest.raises(ValueError, match="one length"):
        one_hot(["ACG", "AC"])


def test_reverse_complement() -> None:
    assert reverse_complement("AACGTN") == "NACGTT"


def test_composition_hand_computed() -> None:
    # GCGCAAT: A=2 T=1 G=2 C=2; GC at 0 and 2 (overlapping counting) -> 2; no GT, no GA.
    row = composition(["GCGCAAT"]).iloc[0]
    assert list(composition(["GCGCAAT"]).columns) == list(COMPOSITION_COLUMNS)
    assert (row.A_count, row.T_count, row.G_count, row.C_count) == (2, 1, 2, 2)
    assert (row.GC_count, row.GT_count, row.GA_count) == (2, 0, 0)
    assert row.AT_skew == pytest.approx(1 / 3)
    assert row.GC_skew == 0.0
    assert row.skew_ratio == 0.0  # 0 / (1/3)


def test_composition_overlapping_dinucleotides() -> None:
    row = composition(["GAGAGTGC"]).iloc[0]
    assert (row.GA_count, row.GT_count, row.GC_count) == (2, 1, 1)


def test_composition_zero_divisions() -> None:
    df = composition(["GGGGGG", "NNNNNN", "AAAAAA", "AAGGGC"])
    # no A or T: AT_skew 0/0 -> 0, so skew_ratio x/0 -> 0
    assert df.loc[0, "AT_skew"] == 0 and df.loc[0, "GC_skew"] == 1 and df.loc[0, "skew_ratio"] == 0
    # nothing at all: everything 0
    assert (df.loc[1] == 0).all()
    # no G or C: GC_skew 0/0 -> 0, ratio 0/1 -> 0
    assert df.loc[2, "AT_skew"] == 1 and df.loc[2, "GC_skew"] == 0 and df.loc[2, "skew_ratio"] == 0
    # A=2 T=0 G=3 C=1: AT_skew 1, GC_skew 0.5, ratio 0.5
    assert df.loc[3, "skew_ratio"] == pytest.approx(0.5)


def test_composition_matches_naive_loop() -> None:
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGTN"), 150)) for _ in range(50)]
    df = composition(seqs)
    for i, s in enumerate(seqs):
        a, t, g, c = (s.count(b) for b in "ATGC")
        gc = sum(s[j : j + 2] == "GC" for j in range(len(s) - 1))
        assert df.loc[i, "A_count"] == a and df.loc[i, "GC_count"] == gc
        at_skew = (a - t) / (a + t) if a + t else 0.0
        gc_skew = (g - c) / (g + c) if g + c else 0.0
        assert df.loc[i, "skew_ratio"] == pytest.approx(
            gc_skew / at_skew if at_skew else 0.0, abs=1e-12
        )
