"""MEME files, JASPAR matrices from pyjaspar, and TomTom matching with both column distances."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from interpret_toys import REAL_DATA, random_one_hot
from scipy.stats import false_discovery_control
from torch import nn

from ncv_core.errors import NcvError
from ncv_core.interpret.filters import filter_motifs
from ncv_core.interpret.tomtom import _bh, _column_scores, _tomtom_numpy, tomtom
from ncv_core.io import motif_files as motifs_module
from ncv_core.io.motif_files import (
    Motif,
    format_meme,
    information_content,
    jaspar_motifs,
    parse_meme,
    read_meme,
    reverse_complement_pwm,
    write_meme,
)

CONSENSUS = REAL_DATA / "motifs" / "jaspar_2024_consensus.meme"
CISBP = REAL_DATA / "motifs" / "Homo_sapiens.meme"


def _real(path):
    if not path.exists():
        pytest.skip(f"{path} not present")
    return path


@pytest.fixture(scope="module")
def jaspar(tmp_path_factory):
    """JASPAR CORE vertebrates (pyjaspar's latest release), converted once into a tmp cache."""
    cache = tmp_path_factory.mktemp("jaspar")
    return jaspar_motifs(cache_dir=cache), cache


def _noised(pwm: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.clip(pwm + rng.normal(0.0, 0.03, pwm.shape), 1e-3, None)
    return out / out.sum(axis=1, keepdims=True)


def test_meme_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    pwms = [rng.dirichlet(np.ones(4), size=w) for w in (5, 12)]
    motifs = [
        Motif("m1", pwms[0], "FOO", 20.0, "http://example.org/m1"),
        Motif("filter_7", pwms[1]),
    ]
    write_meme(motifs, tmp_path / "x.meme")
    back = read_meme(tmp_path / "x.meme")
    assert [(m.name, m.alt_name, m.nsites, m.url) for m in back] == [
        ("m1", "FOO", 20.0, "http://example.org/m1"),
        ("filter_7", "", None, None),
    ]
    for a, b in zip(motifs, back, strict=True):
        np.testing.assert_array_equal(a.pwm, b.pwm)  # exact: numbers are written with repr
    assert parse_meme(format_meme(back))[1].width == 12


def test_parse_the_real_files():
    consensus = read_meme(_real(CONSENSUS))
    assert len(consensus) == 182
    assert consensus[0].name == "C001:HES_SREBF:bHLH" and consensus[0].width == 6
    assert all(np.allclose(m.pwm.sum(axis=1), 1.0, atol=1e-3) for m in consensus)
    cisbp = read_meme(_real(CISBP))
    assert len(cisbp) == 734
    first = cisbp[0]
    assert (first.name, first.alt_name, first.width) == (
        "M0085_1.02",
        "(TFAP2E)_(Mus_musculus)_(DBD_0.99)",
        10,
    )
    assert first.url.startswith("http://cisbp.ccbr.utoronto.ca/")


def test_meme_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "bad.meme"
    bad.write_text(
        "MEME version 4\n\nMOTIF a\nletter-probability matrix: alength= 4 w= 2\n0.1 0.2 0.3 0.4\n0.5 x 0 0\n"
    )
    with pytest.raises(NcvError, match=r"bad\.meme, line 6: expected 4 non-negative"):
        read_meme(bad)
    rna = tmp_path / "rna.meme"
    rna.write_text("MEME version 4\n\nALPHABET= ACGU\n")
    with pytest.raises(NcvError, match="line 3: MEME alphabet 'ACGU'"):
        read_meme(rna)
    with pytest.raises(NcvError, match="not found"):
        read_meme(tmp_path / "missing.meme")


def test_pwm_helpers():
    pwm = np.array([[1.0, 0, 0, 0], [0.25, 0.25, 0.25, 0.25], [0, 0.5, 0.5, 0]])
    assert information_content(pwm) == pytest.approx(2.0 + 0.0 + 1.0)
    np.testing.assert_array_equal(
        reverse_complement_pwm(pwm), [[0, 0.5, 0.5, 0], [0.25] * 4, [0, 0, 0, 1.0]]
    )


def test_jaspar_from_pyjaspar_is_cached(jaspar):
    motifs, cache = jaspar
    assert len(motifs) > 800
    by_id = {m.name: m for m in motifs}
    assert by_id["MA0139.2"].alt_name == "CTCF" and by_id["MA0139.2"].width == 15
    assert any(m.alt_name == "GATA1" for m in motifs)
    assert all(np.allclose(m.pwm.sum(axis=1), 1.0) for m in motifs)
    files = list(cache.glob("*_CORE_vertebrates.meme"))
    assert len(files) == 1 and files[0].name.startswith("JASPAR")
    motifs_module._jaspar_cached.cache_clear()
    again = jaspar_motifs(cache_dir=cache)  # from the MEME cache, not pyjaspar
    assert [m.name for m in again] == [m.name for m in motifs]
    assert all(np.array_equal(a.pwm, b.pwm) for a, b in zip(again, motifs, strict=True))


@pytest.mark.parametrize("distance", ["euclidean", "pearson"])
def test_noised_jaspar_motifs_match_themselves_in_both_orientations(jaspar, distance):
    motifs, _ = jaspar
    by_id = {m.name: m for m in motifs}
    queries = {}
    for mid in ("MA0139.2", "MA0035.5"):  # CTCF, GATA1
        noisy = _noised(by_id[mid].pwm, seed=len(queries))
        queries[mid] = noisy
        queries[mid + "_rc"] = reverse_complement_pwm(noisy)
    res = tomtom(queries, motifs, distance=distance, n_matches=3)
    top = res[res["rank"] == 1].set_index("query")
    for mid in ("MA0139.2", "MA0035.5"):
        for name, orientation in ((mid, "+"), (mid + "_rc", "-")):
            row = top.loc[name]
            assert row.target == mid, (name, row.target)
            assert row.orientation == orientation and row.offset == 0
            assert row.overlap == by_id[mid].width
            assert row.q_value < 1e-3 and row.p_value < 1e-5
    assert set(res.columns) >= {"p_value", "q_value", "e_value", "offset", "orientation", "score"}


def test_offset_convention_on_a_slice(jaspar):
    motifs, _ = jaspar
    ctcf = next(m for m in motifs if m.name == "MA0139.2")
    sub = ctcf.pwm[3:11]  # columns 3..10 of a 15-column motif
    res = tomtom(
        {"sub": sub, "rc": reverse_complement_pwm(sub)}, motifs, distance="pearson", n_matches=1
    )
    fwd, rev = res.iloc[0], res.iloc[1]
    assert (fwd.target, fwd.orientation, fwd.offset, fwd.overlap) == ("MA0139.2", "+", 3, 8)
    assert (rev.target, rev.orientation, rev.offset, rev.overlap) == ("MA0139.2", "-", 15 - 11, 8)
    assert fwd.score == pytest.approx(8.0)  # eight identical columns, Pearson r = 1 each


def test_numpy_statistic_reproduces_memelite_with_the_euclidean_distance():
    from memelite import tomtom as memelite_tomtom

    targets = [m.pwm for m in read_meme(_real(CONSENSUS))]
    queries = [targets[i] for i in (3, 40, 77, 120, 150)] + [_noised(targets[60], 1)]
    ours = _tomtom_numpy(queries, targets, "euclidean", True)
    ref = memelite_tomtom(
        [np.ascontiguousarray(q.T) for q in queries],
        [np.ascontiguousarray(t.T) for t in targets],
        n_target_bins=None,
    )
    ref = np.stack([ref[0], ref[2], ref[3], ref[4]])
    moderate = ref[0] > 1e-10  # memelite approximates medians by binning: far tails differ more
    np.testing.assert_allclose(np.log10(ours[0][moderate]), np.log10(ref[0][moderate]), atol=0.1)
    assert (ours[0][~moderate] < 1e-8).all()
    sig = ref[0] < 1e-3
    same = (ours[1] == ref[1]) & (ours[3] == ref[3])  # ties between strands may differ
    assert same[sig].mean() >= 0.9 and (ours[2][sig] == ref[2][sig]).all()


def test_pearson_column_scores_and_q_values():
    rng = np.random.default_rng(5)
    q, t = rng.dirichlet(np.ones(4), 3), rng.dirichlet(np.ones(4), 6)
    t[2] = 0.25  # a constant column correlates 0 with everything
    r = _column_scores(q, t, "pearson")
    for i in range(3):
        for j in (0, 1, 3, 4, 5):
            assert r[i, j] == pytest.approx(np.corrcoef(q[i], t[j])[0, 1])
    assert (r[:, 2] == 0).all()
    p = rng.uniform(size=50) ** 3
    np.testing.assert_allclose(_bh(p), false_discovery_control(p, method="bh"), rtol=1e-12)


def test_filter_of_a_hand_set_cnn_is_recognised_in_jaspar(jaspar):
    """End to end: a filter set to GATA1's log-odds, its PWM recovered from data, found by TomTom."""
    motifs, _ = jaspar
    gata1 = next(m for m in motifs if m.alt_name == "GATA1")
    pwm = (gata1.pwm + 0.01) / (1 + 0.04)

    class OneFilter(nn.Module):
        head, n_tasks, uses_seq, uses_tab, n_tab, seq_len = "sigmoid", 1, True, False, 0, 60

        def __init__(self):
            super().__init__()
            self.filter_conv = nn.Conv1d(4, 1, gata1.width)
            self.filter_act = nn.ReLU()
            self.pool = nn.AdaptiveMaxPool1d(1)
            with torch.no_grad():
                self.filter_conv.weight[0] = torch.as_tensor(
                    np.log2(pwm / 0.25).T, dtype=torch.float32
                )
                self.filter_conv.bias.fill_(0.0)

        def forward(self, x_seq, x_tab=None):
            return self.pool(self.filter_act(self.filter_conv(x_seq))).flatten(1)

    rng = np.random.default_rng(0)
    x = random_one_hot(400, 60, seed=1)
    for i in range(0, 400, 2):
        s = rng.integers(0, 60 - gata1.width)
        x[i, :, s : s + gata1.width] = np.eye(4, dtype=np.float32)[
            [rng.choice(4, p=r) for r in pwm]
        ].T
    found = filter_motifs(OneFilter(), x, device="cpu")
    res = tomtom(found.pwms, motifs, distance="euclidean", n_matches=5)
    assert res.iloc[0].target_name.upper().startswith("GATA") and res.iloc[0].q_value < 0.01
    assert gata1.name in set(res.target)


def test_one_cache_root_honours_xdg(monkeypatch, tmp_path) -> None:
    from ncv_core.io.cache import cache_root

    monkeypatch.delenv("NCV_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "ncv-explorer"
    assert motifs_module._default_cache_dir() == cache_root() / "jaspar"
    monkeypatch.setenv("NCV_CACHE_DIR", str(tmp_path / "mine"))
    assert motifs_module._default_cache_dir() == tmp_path / "mine" / "jaspar"
