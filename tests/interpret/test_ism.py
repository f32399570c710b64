"""Saturation mutagenesis: against a naive loop, invariants, and a hand-derived linear model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from interpret_toys import REAL_DATA, LinearSeq, TabLinear, ToyCNN, random_one_hot

from ncv_core.errors import NcvError
from ncv_core.interpret.ism import ism_table, saturation_mutagenesis
from ncv_core.sequence import one_hot


def _naive_ism(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    """One forward per mutant: (N, T, L, 4) delta of the positive logit (independent reference)."""
    model.eval()
    out = np.zeros((x.shape[0], 1, x.shape[2], 4))
    with torch.no_grad():
        for n in range(x.shape[0]):
            ref = torch.as_tensor(x[n : n + 1])
            logits = model(ref)
            z_ref = (logits[0, 1] - logits[0, 0]).item()
            for p in range(x.shape[2]):
                for b in range(4):
                    mut = ref.clone()
                    mut[0, :, p] = 0.0
                    mut[0, b, p] = 1.0
                    lm = model(mut)
                    out[n, 0, p, b] = (lm[0, 1] - lm[0, 0]).item() - z_ref
    return out


def test_matches_naive_loop_and_reference_is_zero():
    model = ToyCNN(seq_len=24)
    x = random_one_hot(3, 24, seed=1)
    res = saturation_mutagenesis(model, x, batch_size=50, device="cpu")
    naive = _naive_ism(model, x)
    np.testing.assert_allclose(res.delta_logit, naive, atol=1e-5)
    ref_idx = x.argmax(axis=1)
    n, p = np.meshgrid(np.arange(3), np.arange(24), indexing="ij")
    assert np.all(res.delta_logit[n, 0, p, ref_idx] == 0.0)
    assert np.all(res.delta_prob[n, 0, p, ref_idx] == 0.0)
    assert np.array_equal(res.ref_index, ref_idx)


def test_batch_size_and_order_do_not_change_results():
    model = ToyCNN(seq_len=32, head="sigmoid", n_tasks=3)
    x = random_one_hot(5, 32, seed=2)
    a = saturation_mutagenesis(model, x, batch_size=1, device="cpu")
    b = saturation_mutagenesis(model, x, batch_size=97, device="cpu")
    c = saturation_mutagenesis(model, x, batch_size=100_000, device="cpu")
    for other in (b, c):
        np.testing.assert_allclose(other.delta_logit, a.delta_logit, atol=1e-5)
        np.testing.assert_allclose(other.delta_prob, a.delta_prob, atol=1e-6)
    perm = np.array([3, 0, 4, 1, 2])
    d = saturation_mutagenesis(model, x[perm], batch_size=97, device="cpu")
    np.testing.assert_allclose(d.delta_logit, b.delta_logit[perm], atol=1e-5)
    assert a.delta_logit.shape == (5, 3, 32, 4)


def test_linear_model_gives_the_hand_derived_answer():
    w = np.array(
        [[1.0, 0.0, -2.0, 0.5], [0.0, 2.0, 0.0, 0.5], [-1.0, 0.0, 1.0, 0.5], [0.0, -2.0, 1.0, -1.5]]
    )  # (4 bases, L = 4)
    model = LinearSeq(w, bias=0.25)
    x = one_hot("AGCN")[None]  # the last position is N (all zeros)
    res = saturation_mutagenesis(model, x, device="cpu")
    z = w[0, 0] + w[2, 1] + w[1, 2] + 0.25  # A at 0, G at 1, C at 2; the N adds nothing
    assert res.ref_logit[0, 0] == pytest.approx(z)
    expected = np.zeros((4, 4))
    for p, ref in enumerate([0, 2, 1, None]):
        for b in range(4):
            expected[p, b] = w[b, p] - (0.0 if ref is None else w[ref, p])
    np.testing.assert_allclose(res.delta_logit[0, 0], expected, atol=1e-6)
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    np.testing.assert_allclose(res.delta_prob[0, 0], sig(z + expected) - sig(z), atol=1e-6)
    # importance: minus the mean over the 3 alternatives (4 at the N position)
    imp = [-(expected[p].sum()) / (4 if p == 3 else 3) for p in range(4)]
    np.testing.assert_allclose(res.importance[0, 0], imp, atol=1e-6)
    assert res.ref_index[0].tolist() == [0, 2, 1, -1]


def test_tabular_features_are_held_fixed_per_sequence():
    rng = np.random.default_rng(3)
    w, v = rng.normal(size=(2, 4, 10)), rng.normal(size=(2, 3))
    model = TabLinear(w, v)
    x = random_one_hot(2, 10, seed=4)
    tab = rng.normal(size=(2, 3)).astype(np.float32)
    res = saturation_mutagenesis(model, x, tab, device="cpu")
    assert "held fixed" in res.tabular
    ref = x.argmax(axis=1)
    for n in range(2):
        seq_logit = np.einsum("tbl,bl->t", w, x[n])
        np.testing.assert_allclose(res.ref_logit[n], seq_logit + v @ tab[n], atol=1e-5)
        for t in range(2):
            expected = w[t].T - w[t][ref[n], np.arange(10)][:, None]
            np.testing.assert_allclose(res.delta_logit[n, t], expected, atol=1e-5)
    with pytest.raises(NcvError, match="x_tab"):
        saturation_mutagenesis(model, x, device="cpu")


def test_model_state_is_restored_and_eval_mode_used():
    model = ToyCNN(seq_len=16)
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = random_one_hot(2, 16, seed=5)
    a = saturation_mutagenesis(model, x, device="cpu")
    b = saturation_mutagenesis(model, x, device="cpu")
    assert model.training and all(m.training for m in model.modules())
    np.testing.assert_array_equal(a.delta_logit, b.delta_logit)  # dropout was off
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_plain_callable_and_errors():
    w = np.arange(12, dtype=np.float64).reshape(4, 3)

    def f(x: torch.Tensor) -> torch.Tensor:
        return (x * torch.as_tensor(w, dtype=torch.float32)).sum(dim=(1, 2))[:, None]

    res = saturation_mutagenesis(f, one_hot("ACG"), device="cpu")
    assert res.delta_logit.shape == (1, 1, 3, 4)
    assert res.delta_logit[0, 0, 1, 3] == pytest.approx(w[3, 1] - w[1, 1])
    with pytest.raises(NcvError, match=r"\(N, 4, L\)"):
        saturation_mutagenesis(f, np.zeros((2, 5, 3)), device="cpu")

    class TabOnly(TabLinear):
        uses_seq = False

    with pytest.raises(NcvError, match="does not use the sequence"):
        saturation_mutagenesis(TabOnly(np.zeros((2, 4, 3)), np.zeros((2, 1))), one_hot("ACG"))


def test_long_table_contract():
    model = ToyCNN(seq_len=12, head="sigmoid", n_tasks=2)
    x = one_hot(["ACGTACGTACGT", "NNGTACGTACGA"])
    res = saturation_mutagenesis(model, x, device="cpu")
    table = ism_table(res)
    assert list(table.columns) == [
        "seq_index", "task", "pos", "ref_base", "alt_base", "is_ref", "delta_prob", "delta_logit"
    ]  # fmt: skip
    assert len(table) == 2 * 2 * 12 * 4
    assert table.groupby(["seq_index", "task"])["is_ref"].sum().tolist() == [12, 12, 10, 10]
    assert (table.loc[table.is_ref, ["delta_prob", "delta_logit"]] == 0).all().all()
    row = table[
        (table.seq_index == 1) & (table.task == 1) & (table.pos == 5) & (table.alt_base == "T")
    ]
    assert row.ref_base.item() == "C"
    assert row.delta_logit.item() == res.delta_logit[1, 1, 5, 3]
    assert set(table[(table.seq_index == 1) & (table.pos < 2)].ref_base) == {"N"}
    one = ism_table(res, sequences=[0], tasks=[1])
    assert len(one) == 48 and set(one.task) == {1}


def test_real_600bp_region():
    path = REAL_DATA / "regions" / "hoxa_boundary.fa"
    if not path.exists():
        pytest.skip(f"{path} not present")
    seq = "".join(
        line.strip() for line in path.read_text().splitlines() if not line.startswith(">")
    )
    model = ToyCNN(seq_len=len(seq), head="sigmoid", n_tasks=2)
    res = saturation_mutagenesis(model, one_hot(seq)[None], batch_size=512, device="cpu")
    assert res.delta_logit.shape == (1, 2, len(seq), 4)
    assert np.isfinite(res.delta_logit).all()
    table = ism_table(res, tasks=[0])
    assert table.is_ref.sum() == sum(c in "ACGT" for c in seq.upper())
