"""Normalisation (left-align and trim) against hand-worked cases and a brute-force reference."""

from __future__ import annotations

import numpy as np
import pytest

from ncv_core.features.alleles import allele_class, describe_rewrite, length_problem, normalize

#        1234567890123456
GENOME = "GGTAAAAACGCACACT"


def fetch(a: int, b: int) -> str:
    return GENOME[a:b]


@pytest.mark.parametrize(
    "variant, expected",
    [
        ((8, "AC", "C"), (3, "TA", "T")),  # deletion written at the right end of the A run
        ((7, "AA", "A"), (3, "TA", "T")),  # the same deletion, another spelling
        ((8, "A", "AA"), (3, "T", "TA")),  # insertion in the homopolymer
        ((13, "CAC", "C"), (10, "GCA", "G")),  # AC deleted in the CACAC repeat -> left end
        ((1, "GG", "GT"), (2, "G", "T")),  # a padded SNV: the shared first base goes
        ((9, "CGC", "CTC"), (10, "G", "T")),  # padding on both sides goes
        ((3, "TAAA", "TCGA"), (4, "AA", "CG")),  # an MNV keeps its two changed bases
        ((9, "CG", "ATT"), (9, "CG", "ATT")),  # complex, nothing to trim
        ((4, "A", "G"), (4, "A", "G")),  # SNVs come back unchanged
    ],
)
def test_normalisation_cases(variant, expected) -> None:
    assert normalize(*variant, fetch) == expected


def test_left_alignment_stops_at_the_contig_start() -> None:
    with pytest.raises(ValueError, match="first base of the contig"):
        normalize(2, "GT", "T", fetch)  # deleting a G of GG reaches position 1 with nothing left


def _apply(genome: str, pos: int, ref: str, alt: str) -> str:
    assert genome[pos - 1 : pos - 1 + len(ref)] == ref
    return genome[: pos - 1] + alt + genome[pos - 1 + len(ref) :]


def _brute_force(genome: str, hap: str) -> tuple[int, str, str]:
    """The shortest representation (REF + ALT length) of ``hap`` against ``genome``, leftmost
    among the shortest: every position and REF length tried."""
    best = None
    for p in range(1, len(genome) + 1):
        for lr in range(1, len(genome) - p + 2):
            tail = len(genome) - (p - 1 + lr)
            a = hap[p - 1 : len(hap) - tail]
            ok = hap[: p - 1] == genome[: p - 1] and hap[len(hap) - tail :] == genome[p - 1 + lr :]
            r = genome[p - 1 : p - 1 + lr]
            if ok and a and a != r:
                key = (lr + len(a), p)
                if best is None or key < best[0]:
                    best = (key, (p, r, a))
    return best[1]


def test_normalisation_matches_a_brute_force_search() -> None:
    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(400):
        genome = "".join(rng.choice(list("ACG"), 30, p=[0.6, 0.3, 0.1]))
        p, lr = int(rng.integers(2, 25)), int(rng.integers(1, 5))
        ref = genome[p - 1 : p - 1 + lr]
        alt = "".join(rng.choice(list("ACG"), int(rng.integers(1, 5))))
        if alt == ref:
            continue
        try:
            got = normalize(p, ref, alt, lambda a, b, g=genome: g[a:b])
        except ValueError:
            continue
        hap = _apply(genome, p, ref, alt)
        assert _apply(genome, *got) == hap  # the same alt haplotype
        assert got == _brute_force(genome, hap), (genome, p, ref, alt)
        checked += 1
    assert checked > 300


def test_classes_limits_and_notes() -> None:
    assert [allele_class(*a) for a in [("A", "G"), ("AC", "GT"), ("A", "AT"), ("AT", "A")]] == [
        "snv",
        "mnv",
        "insertion",
        "deletion",
    ]
    assert allele_class("AC", "GTT") == "complex"
    assert length_problem("A" * 75, "A", 75) is None
    reason, category = length_problem("A" * 76, "A", 75)
    assert category == "too long" and "deletion of 76 bp" in reason
    assert describe_rewrite(8, "AC", "C", (3, "TA", "T")) == (
        "normalised from 8 AC>C (left-aligned by 5 bp)"
    )
    assert (
        describe_rewrite(9, "CGC", "CTC", (10, "G", "T")) == "normalised from 9 CGC>CTC (trimmed)"
    )
