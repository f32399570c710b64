"""Indels and MNVs: windows cut by hand from the tiny genome, normalisation through the pipeline,
rejections (too long, symbolic, a deletion's window off the contig)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _scoring import naive_scores, seq_model, tab_model

from ncv_core.constants import COMPOSITION_COLUMNS
from ncv_core.features.build import build_features, compute_features
from ncv_core.features.loci import place, read_loci
from ncv_core.features.tracks import TrackSet
from ncv_core.io.genome import Genome
from ncv_core.io.manifest import read_manifest
from ncv_core.io.model_folder import load_model
from ncv_core.score import iter_scores
from ncv_core.scoring.haplotypes import alt_sequences, alt_table
from ncv_core.sequence import composition

pytestmark = pytest.mark.filterwarnings("ignore::ncv_core.errors.NcvWarning")
W = 150


def _other(base: str, avoid: str = "") -> str:
    return next(b for b in "ACGT" if b != base and b not in avoid)


def _cases(g: str) -> dict[str, tuple[int, str, str]]:
    """One variant of each class, chosen so that normalisation leaves it as written."""
    p = 500
    while g[p - 1 + 3] == g[p - 1]:  # a deletion of 3 whose last REF base differs from the first
        p += 1
    deletion = (p, g[p - 1 : p + 3], g[p - 1])
    q = 700
    insertion = (q, g[q - 1], g[q - 1] + "GT" + _other(g[q - 1], "GT"))
    r = 900
    mnv = (r, g[r - 1 : r + 1], _other(g[r - 1]) + _other(g[r]))
    s = 1100
    ref3 = g[s - 1 : s + 2]
    complex_ = (s, ref3, _other(ref3[0]) + _other(ref3[-1]))
    return {"deletion": deletion, "insertion": insertion, "mnv": mnv, "complex": complex_}


def _by_hand(g: str, pos: int, ref: str, alt: str) -> tuple[str, str]:
    """The reference window and the alt haplotype's window, sliced from the contig string."""
    start = pos - 1 - W // 2
    haplotype = g[: pos - 1] + alt + g[pos - 1 + len(ref) :]
    return g[start : start + W], haplotype[start : start + W]


def _loci(tmp_path: Path, rows: list[tuple], name: str = "loci.tsv") -> Path:
    path = tmp_path / name
    lines = ["chrom\tpos\tref\talt\tid"] + [f"chr1\t{p}\t{r}\t{a}\t{i}" for i, p, r, a in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_each_class_against_windows_cut_by_hand(tiny, tmp_path: Path) -> None:
    g = tiny.seqs["chr1"]
    cases = _cases(g)
    loci = _loci(tmp_path, [(k, *v) for k, v in cases.items()])
    with Genome(tiny.genome) as genome:
        placed = place(read_loci(loci), genome, window=W, max_len=W // 2)
        assert placed.rejected == [] and (placed.table["_note"] == "").all()
        table = compute_features(placed.table, genome, None, W)
        alts = alt_sequences(table, genome, W)
    for i, (pos, ref, alt) in enumerate(cases.values()):
        ref_win, alt_win = _by_hand(g, pos, ref, alt)
        assert table["seq"][i] == ref_win and alts[i] == alt_win
        assert len(alts[i]) == W and alts[i][W // 2 : W // 2 + len(alt)] == alt[: W - W // 2]
    model = load_model(seq_model(tmp_path / "db"))
    scores = pd.concat([c.scores for c in iter_scores(model, loci, tiny.genome)])
    for i, (pos, ref, alt) in enumerate(cases.values()):
        p_ref, p_alt = naive_scores(model, *map(list, zip(_by_hand(g, pos, ref, alt))))
        assert scores["p_ref"].iloc[i] == pytest.approx(p_ref[0], rel=1e-5)
        assert scores["p_alt"].iloc[i] == pytest.approx(p_alt[0], rel=1e-5)
    assert scores["id"].tolist() == list(cases)


def test_tabular_features_are_the_locus_and_composition_is_the_alt_window(tiny, tmp_path) -> None:
    g = tiny.seqs["chr1"]
    pos, ref, alt = _cases(g)["deletion"]
    loci = _loci(tmp_path, [("del", pos, ref, alt)])
    with Genome(tiny.genome) as genome:
        tracks = TrackSet(read_manifest(tiny.tracks), "CL", genome)
        placed = place(read_loci(loci), genome, window=W, max_len=W // 2)
        table = compute_features(placed.table, genome, tracks, W)
        alt_rows = alt_table(table.assign(alt_seq=alt_sequences(table, genome, W)), W)
    ref_win, alt_win = _by_hand(g, pos, ref, alt)
    track_cols = tracks.feature_names()
    pd.testing.assert_frame_equal(alt_rows[track_cols], table[track_cols])
    expected = composition([alt_win]).iloc[0]
    np.testing.assert_allclose(alt_rows[list(COMPOSITION_COLUMNS)].iloc[0], expected)
    train = _loci(tmp_path, [("x", 300, g[299], _other(g[299]))], "train.tsv")
    feats = build_features(train, tiny.genome, tiny.tracks, "CL", use_cache=False)
    cols = [*feats.meta["feature_columns"]]
    model = load_model(tab_model(tmp_path / "ssl", feats.table, cols))
    got = next(iter(iter_scores(model, loci, tiny.genome, tiny.tracks, "CL"))).scores
    p_ref, p_alt = naive_scores(model, [ref_win], [alt_win], table.iloc[[0]])
    assert got["p_ref"][0] == pytest.approx(p_ref[0], rel=1e-5)
    assert got["p_alt"][0] == pytest.approx(p_alt[0], rel=1e-5)


def _homopolymer(g: str, length: int = 3) -> int:
    """1-based start of the first run of ``length`` equal bases in [300, 1700)."""
    for i in range(300, 1700):
        if len(set(g[i : i + length])) == 1 and g[i - 1] != g[i] and g[i + length] != g[i]:
            return i + 1
    raise AssertionError("no homopolymer")


def test_normalisation_through_the_pipeline(tiny, tmp_path: Path) -> None:
    g = tiny.seqs["chr1"]
    run = _homopolymer(g)  # bases run..run+2 are equal, run-1 and run+3 differ
    left = (run - 1, g[run - 2 : run], g[run - 2])  # deletion of one base, left-aligned
    right = (run + 1, g[run : run + 2], g[run])  # the run's last base deleted: right-shifted
    s = 400
    snv = (s, g[s - 1], _other(g[s - 1]))
    padded = (s - 1, g[s - 2 : s + 1], g[s - 2] + snv[2] + g[s])  # the SNV with padding bases
    rows = [("left", *left), ("right", *right), ("snv", *snv), ("padded", *padded)]
    model = load_model(seq_model(tmp_path / "db"))
    scores = pd.concat([c.scores for c in iter_scores(model, _loci(tmp_path, rows), tiny.genome)])
    scores = scores.reset_index(drop=True)
    assert scores[["pos", "ref", "alt"]].values.tolist() == [
        [run - 1, g[run - 2 : run], g[run - 2]],
        [run - 1, g[run - 2 : run], g[run - 2]],
        [s, snv[1], snv[2]],
        [s, snv[1], snv[2]],
    ]
    assert scores["notes"][0] == ""
    assert scores["notes"][1].startswith(f"normalised from {run + 1} {right[1]}>{right[2]}")
    assert "left-aligned by 2 bp" in scores["notes"][1]
    assert "duplicate of the variant on line 2" in scores["notes"][1]
    assert (
        "(trimmed)" in scores["notes"][3]
        and "duplicate of the variant on line 4" in (scores["notes"][3])
    )
    for a, b in ((0, 1), (2, 3)):
        assert scores["p_alt"][a] == scores["p_alt"][b]  # scored once


def test_rejections_of_what_cannot_be_scored(tiny, tmp_path: Path) -> None:
    g = tiny.seqs["chr1"]
    long_ref = g[599 : 599 + 77]
    end = len(g) - W // 2 + 1  # the last position whose SNV window fits
    rows = [
        ("long", 600, long_ref, long_ref[0]),  # 77-bp allele: longer than 75
        ("sym", 700, g[699], "<DEL>"),
        ("star", 710, g[709], "*"),
        ("bnd", 720, g[719], g[719] + "[chr2:100["),
        ("snv_at_end", end, g[end - 1], _other(g[end - 1])),
        ("del_at_end", end, g[end - 1 : end + 1], g[end - 1]),  # needs one base past the end
        ("mismatch", 800, _other(g[799]) + g[800], g[800]),
    ]
    model = load_model(seq_model(tmp_path / "db"))
    chunks = list(iter_scores(model, _loci(tmp_path, rows), tiny.genome))
    assert [i for c in chunks for i in c.scores["id"]] == ["snv_at_end"]
    why = {r.line: (r.category, r.reason) for c in chunks for r in c.rejected}
    assert why[2][0] == "too long" and "77 bp" in why[2][1]
    assert [why[k][0] for k in (3, 4, 5)] == ["symbolic allele"] * 3
    assert why[7][0] == "window off contig end" and "the deletion's alt window" in why[7][1]
    assert why[8][0] == "ref mismatch" and "at chr1:800-801" in why[8][1]
