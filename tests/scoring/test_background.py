"""Random-SNV backgrounds: percentiles against hand-made backgrounds, the draw, the CLI columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _scoring import seq_model

from ncv_core.io.genome import Genome
from ncv_core.io.model_folder import load_model
from ncv_core.io.tables import read_table
from ncv_core.score import background_scores, iter_scores, score_file
from ncv_core.scoring.background import Background, draw_snvs, percentile

pytestmark = pytest.mark.filterwarnings("ignore::ncv_core.errors.NcvWarning")


def test_percentile_is_the_mid_rank_against_a_hand_made_background() -> None:
    bg = np.array([0.1, 0.2, 0.2, 0.4, np.nan, 0.5])  # the NaN is not counted: n = 5
    got = percentile(bg, np.array([0.05, 0.1, 0.2, 0.3, 0.5, 0.9, np.nan]))
    # below + equal / 2, over 5: 0; 0.5; 1 + 1; 3; 4 + 0.5; 5
    np.testing.assert_allclose(got[:-1], [0.0, 10.0, 40.0, 60.0, 90.0, 100.0])
    assert np.isnan(got[-1])


def test_background_percentiles_of_score_columns() -> None:
    scores = pd.DataFrame({"p_ref": [0.1, 0.3, 0.5, 0.7], "diff": [-0.4, 0.1, 0.0, -0.2]})
    bg = Background(scores, seed=0, flank=10, anchors=1)

    class M:
        label_columns = ["label"]

    values = pd.DataFrame({"p_ref": [0.6, 0.1], "diff": [0.3, -0.1]})
    out = bg.percentiles(values, {"m": M()})
    assert list(out.columns) == ["p_ref_percentile", "diff_percentile"]
    # p_ref 0.6: 3 of 4 below -> 75; 0.1: ties one -> 12.5. |diff| 0.3: below 0.1, 0, 0.2 -> 75;
    # |diff| 0.1: 0 below, 0.1 equal -> 1.5 / 4 = 37.5
    np.testing.assert_allclose(out["p_ref_percentile"], [75.0, 12.5])
    np.testing.assert_allclose(out["diff_percentile"], [75.0, 37.5])
    assert bg.sentence(0.3, 75.0, "CL") == (
        "p_alt - p_ref = +0.3000: a larger change than 75% of 4 random SNVs near the loci, "
        "in this cell line (CL)."
    )


def test_draw_is_seeded_near_the_anchors_and_valid(tiny) -> None:
    anchors = pd.DataFrame({"chrom": ["chr1", "chr2"], "pos": [1000, 300]})
    with Genome(tiny.genome) as g:
        a = draw_snvs(anchors, g, n=500, seed=4, flank=50, window=150).table
        b = draw_snvs(anchors, g, n=500, seed=4, flank=50, window=150).table
        c = draw_snvs(anchors, g, n=500, seed=5, flank=50, window=150).table
    pd.testing.assert_frame_equal(a, b)
    assert not a[["chrom", "pos"]].equals(c[["chrom", "pos"]])
    near = np.where(a["chrom"] == "chr1", (a["pos"] - 1000).abs(), (a["pos"] - 300).abs())
    assert len(a) == 500 and (near <= 50).all()
    assert set(a["chrom"]) == {"chr1", "chr2"}
    bases = [tiny.seqs[ch][p - 1] for ch, p in zip(a["chrom"], a["pos"], strict=True)]
    assert bases == a["ref"].tolist()
    assert (a["ref"] != a["alt"]).all() and set(a["alt"]) <= set("ACGT")
    assert not ((a["chrom"] == "chr2") & a["pos"].between(401, 405)).any()  # chr2's N bases
    # every alternative base is drawn: about a third each for a given reference base
    share = (a["alt"] == a["ref"].map({"A": "C", "C": "G", "G": "T", "T": "A"})).mean()
    assert 0.25 < share < 0.42


def test_near_a_contig_end_the_windows_still_fit(tiny) -> None:
    anchors = pd.DataFrame({"chrom": ["chrM"], "pos": [150]})  # chrM: 300 bp, window 150
    with Genome(tiny.genome) as g:
        t = draw_snvs(anchors, g, n=200, seed=0, flank=1000, window=150).table
        with pytest.raises(Exception, match="found only 0"):
            draw_snvs(anchors, g, n=10, seed=0, flank=1000, window=400)
    assert t["pos"].between(76, 300 - 74).all()


def test_file_percentiles_equal_the_background_recomputed(tiny, tmp_path: Path) -> None:
    g = tiny.seqs["chr1"]
    rows = [f"chr1\t{p}\t{g[p - 1]}\t{'A' if g[p - 1] != 'A' else 'C'}" for p in (400, 900, 1500)]
    loci = tmp_path / "loci.tsv"
    loci.write_text("chrom\tpos\tref\talt\n" + "\n".join(rows) + "\n")
    model = load_model(seq_model(tmp_path / "db"))
    out = tmp_path / "s.parquet"
    done = score_file(model, loci, tiny.genome, None, None, out, background=300, background_seed=2)
    scores, meta = read_table(out)
    assert meta["background"]["n"] == 300 and meta["background"]["seed"] == 2
    bg = done.background
    anchors = pd.DataFrame({"chrom": ["chr1"] * 3, "pos": [400, 900, 1500]})
    again = background_scores(model, anchors, tiny.genome, n=300, seed=2)
    pd.testing.assert_frame_equal(bg.scores, again.scores)  # the same draw, the same scores
    size = np.abs(bg.scores["diff"].to_numpy())
    expected = [
        100 * (np.mean(size < abs(d)) + np.mean(size == abs(d)) / 2) for d in scores["diff"]
    ]
    np.testing.assert_allclose(scores["diff_percentile"], expected, atol=1e-9)
    expected = [100 * (np.mean(bg.scores["p_ref"] < p) + np.mean(bg.scores["p_ref"] == p) / 2)
                for p in scores["p_ref"]]  # fmt: skip
    np.testing.assert_allclose(scores["p_ref_percentile"], expected, atol=1e-9)
    given = list(iter_scores(model, loci, tiny.genome, background=again))[0].scores
    np.testing.assert_allclose(given["diff_percentile"], scores["diff_percentile"])


def test_a_background_drawn_after_an_unusable_first_chunk_is_recorded(tiny, tmp_path) -> None:
    g = tiny.seqs["chr1"]
    loci = tmp_path / "loci.tsv"
    loci.write_text(
        "chrom\tpos\tref\talt\nchrX\t10\tA\tG\n"  # the first chunk: nothing placed
        f"chr1\t500\t{g[499]}\t{'A' if g[499] != 'A' else 'C'}\n"
    )
    model = load_model(seq_model(tmp_path / "db"))
    for out in (tmp_path / "s.tsv", tmp_path / "s.parquet"):
        score_file(model, loci, tiny.genome, None, None, out, chunk_size=1, background=50)
        scores, meta = read_table(out)
        assert meta["background"]["n"] == 50 and "diff_percentile" in scores
