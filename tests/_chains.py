"""The tiny hand-written chain file shared by the liftover and pseudo-label tests."""

from __future__ import annotations

from ncv_core.io.chain_files import Chain, chain_from_blocks

TINY_TEXT = (
    "chain 35 chr1 100 + 10 50 chrA 120 + 5 43 1\n10\t0\t3\n10\t5\t0\n15\n\n"
    "chain 20 chr1 100 + 60 80 chrB 60 - 10 30 2\n20\n\n"
    "chain 5 chr1 100 + 90 95 chrA 120 + 100 105 3\n5\n\n"
    "chain 5 chr1 100 + 92 97 chrA 120 + 110 115 4\n5\n\n"
)


def tiny_chains() -> list[Chain]:
    return [
        chain_from_blocks(
            "chr1", 100, "chrA", 120, "+", [10, 20, 35], [5, 18, 28], [10, 10, 15], chain_id=1
        ),
        chain_from_blocks("chr1", 100, "chrB", 60, "-", [60], [10], [20], chain_id=2),
        chain_from_blocks("chr1", 100, "chrA", 120, "+", [90], [100], [5], chain_id=3),
        chain_from_blocks("chr1", 100, "chrA", 120, "+", [92], [110], [5], chain_id=4),
    ]
