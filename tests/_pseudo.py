"""Pseudo-label tables for the pre-training tests: homologs of a synthetic feature table's rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

WINDOW = 50
"""Window of the synthetic tables these tests pre-train on."""


def homologs(table: pd.DataFrame, *, seed: int = 0, extra: int = 20) -> pd.DataFrame:
    """One mutated window per row (10% of bases changed, same label and source), then
    ``extra`` windows of loci absent from ``table`` (source chrom ``9``, spelled without chr),
    then copies of every fifth homolog 500 bp from its source (a neighbour, not in the table)."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACGT"))

    def mutate(s: str) -> str:
        a = np.array(list(s))
        hit = rng.random(len(a)) < 0.1
        a[hit] = rng.choice(letters, int(hit.sum()))
        return "".join(a)

    pseudo = pd.DataFrame(
        {
            "id": "sp:" + table["id"],
            "chrom": "t" + table["chrom"],
            "pos": table["pos"] + 7,
            "label": table["label"],
            "seq": [mutate(s) for s in table["seq"]],
            "source_chrom": table["chrom"].str.removeprefix("chr"),  # 1 matches chr1
            "source_pos": table["pos"],
            "strand": "+",
            "species": "sp",
        }
    )
    far = pd.DataFrame(
        {
            "id": [f"sp:far{i}" for i in range(extra)],
            "chrom": "t9",
            "pos": np.arange(extra) + 1,
            "label": pd.array(rng.integers(0, 2, extra), dtype="Int8"),
            "seq": ["".join(rng.choice(letters, len(table["seq"].iat[0]))) for _ in range(extra)],
            "source_chrom": "9",
            "source_pos": np.arange(extra) * 10 + 1,
            "strand": "-",
            "species": "other",
        }
    )
    near = pseudo.iloc[::5].assign(  # neighbours of human loci, not loci of the table
        id=lambda f: f["id"] + "-near", source_pos=lambda f: f["source_pos"] + 500
    )
    return pd.concat([pseudo, far, near], ignore_index=True)
