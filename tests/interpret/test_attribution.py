"""Attributions: completeness, hand-derived DeepLIFT, captum agreement, ISM sign agreement,
reused-module detection, and the dinucleotide shuffle."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest
import torch
from captum.attr import DeepLiftShap
from interpret_toys import LinearSeq, SharedReluCNN, TabLinear, ToyCNN, random_one_hot
from torch import nn

from ncv_core.errors import NcvError
from ncv_core.interpret._model import PositiveLogit
from ncv_core.interpret.attribution import attribute, attribution_table, dinucleotide_shuffle
from ncv_core.interpret.ism import saturation_mutagenesis
from ncv_core.sequence import decode, one_hot


class ReluUnit(nn.Module):
    """positive logit = c * relu(sum(W * x) + b): DeepLIFT's rescale rule is derivable by hand."""

    head, n_tasks, uses_seq, uses_tab, n_tab = "softmax", 1, True, False, 0

    def __init__(self, w: np.ndarray, b: float, c: float) -> None:
        super().__init__()
        self.seq_len = w.shape[1]
        self.lin = nn.Linear(w.size, 1)
        self.act = nn.ReLU()
        self.out = nn.Linear(1, 2, bias=False)
        with torch.no_grad():
            self.lin.weight.copy_(torch.as_tensor(w, dtype=torch.float32).reshape(1, -1))
            self.lin.bias.fill_(b)
            self.out.weight.copy_(torch.tensor([[0.0], [c]]))

    def forward(self, x_seq: torch.Tensor, x_tab: torch.Tensor | None = None) -> torch.Tensor:
        return self.out(self.act(self.lin(x_seq.flatten(1))))


def _centered(rng: np.random.Generator, length: int) -> np.ndarray:
    w = rng.normal(size=(4, length))
    return w - w.mean(axis=0, keepdims=True)


def test_deeplift_rescale_rule_by_hand():
    rng = np.random.default_rng(0)
    w, b, c = rng.normal(size=(4, 8)), -0.5, 2.0
    model = ReluUnit(w, b, c)
    x = random_one_hot(6, 8, seed=1)
    res = attribute(model, x, method="deeplift", device="cpu")
    z = np.einsum("bl,nbl->n", w, x) + b
    z0 = b  # the all-zero baseline
    relu = lambda v: np.maximum(v, 0.0)  # noqa: E731
    multiplier = c * (relu(z) - relu(z0)) / (z - z0)
    expected = (w[None] * x * multiplier[:, None, None]).transpose(0, 2, 1)
    np.testing.assert_allclose(res.attributions, expected, atol=1e-5)
    np.testing.assert_allclose(res.logit, c * relu(z), atol=1e-5)
    np.testing.assert_allclose(res.delta, 0.0, atol=1e-5)  # DeepLIFT is exactly complete


@pytest.mark.filterwarnings("ignore:Setting forward, backward hooks")
def test_deeplift_shap_equals_captum_per_sequence():
    model = ToyCNN(seq_len=20, head="sigmoid", n_tasks=2, seed=3)
    x = random_one_hot(3, 20, seed=2)
    res = attribute(
        model,
        x,
        method="deeplift_shap",
        task=1,
        n_shuffles=5,
        batch_size=8,
        random_state=7,
        device="cpu",
    )
    refs = dinucleotide_shuffle(x, 5, random_state=7)
    net = PositiveLogit(model).eval()
    for n in range(3):
        want = DeepLiftShap(net).attribute(
            torch.as_tensor(x[n : n + 1]), torch.as_tensor(refs[n]), target=1
        )
        np.testing.assert_allclose(res.attributions[n], want[0].detach().numpy().T, atol=1e-5)
    gap = res.logit - res.baseline_logit  # baseline_logit: the mean over the 5 references
    np.testing.assert_allclose(res.delta, res.attributions.sum(axis=(1, 2)) - gap, atol=1e-9)
    # captum's max-pool rule is not exactly complete when the winning position moves between
    # input and reference; with average pooling instead, DeepLIFT-SHAP is complete
    model.pool1, model.pool2 = nn.AvgPool1d(2), nn.AvgPool1d(2)
    avg = attribute(
        model, x, method="deeplift_shap", task=1, n_shuffles=5, random_state=7, device="cpu"
    )
    np.testing.assert_allclose(avg.delta, 0.0, atol=1e-5)


def test_integrated_gradients_completeness():
    # Tolerance: |sum(attr) - (f(x) - f(baseline))| <= 2e-2 * max(1, |f(x) - f(baseline)|) with 50
    # Gauss-Legendre steps on a ReLU CNN, and the reported delta is exactly that difference.
    model = ToyCNN(seq_len=30, seed=4)
    x = random_one_hot(4, 30, seed=5)
    res = attribute(model, x, method="ig", n_steps=50, internal_batch_size=64, device="cpu")
    gap = res.logit - res.baseline_logit
    np.testing.assert_allclose(res.delta, res.attributions.sum(axis=(1, 2)) - gap, atol=1e-9)
    assert np.all(np.abs(res.delta) <= 2e-2 * np.maximum(1.0, np.abs(gap)))
    with torch.no_grad():
        net = PositiveLogit(model).eval()
        f0 = net(torch.zeros(1, 4, 30))[0, 0].item()
    np.testing.assert_allclose(res.baseline_logit, f0, atol=1e-5)
    # a linear model: IG is exact and equals W * x
    w = _centered(np.random.default_rng(6), 12)
    lin = attribute(LinearSeq(w), random_one_hot(2, 12, seed=7), method="ig", device="cpu")
    np.testing.assert_allclose(lin.delta, 0.0, atol=1e-5)
    # a baseline per sequence (here the zeros again, as an array) and chunking give the same
    per_seq = attribute(
        model,
        x,
        method="ig",
        baseline=np.zeros_like(x),
        batch_size=3,
        internal_batch_size=64,
        device="cpu",
    )
    np.testing.assert_allclose(per_seq.attributions, res.attributions, atol=1e-6)
    with pytest.raises(NcvError, match="baseline has shape"):
        attribute(model, x, method="ig", baseline=np.zeros((2, 4, 30)), device="cpu")
    # internal batch size does not change the result
    again = attribute(model, x, method="ig", n_steps=50, internal_batch_size=29, device="cpu")
    np.testing.assert_allclose(again.attributions, res.attributions, atol=1e-5)


def test_attributions_agree_in_sign_with_ism():
    rng = np.random.default_rng(8)
    w = _centered(rng, 16)
    model = ReluUnit(w, b=10.0, c=1.5)  # bias keeps the unit active on the whole path
    x = random_one_hot(3, 16, seed=9)
    ism = saturation_mutagenesis(model, x, device="cpu").importance[:, 0]  # (N, L)
    ref = x.argmax(axis=1)
    n, p = np.meshgrid(np.arange(3), np.arange(16), indexing="ij")
    for method in ("ig", "deeplift", "saliency", "input_x_gradient"):
        res = attribute(model, x, method=method, device="cpu")
        at_ref = res.attributions[n, p, ref]
        assert np.array_equal(np.sign(at_ref), np.sign(ism)), method
    # and on paper: ISM importance = c * 4/3 * W[ref], IG = c * W[ref]
    np.testing.assert_allclose(ism, 1.5 * 4 / 3 * w[ref, p], atol=1e-5)
    # DeepLIFT-SHAP compares with shuffled references, not with "no base": on this locally linear
    # model it is c * W * (x - mean of the references), which need not share ISM's sign
    shap = attribute(model, x, method="deeplift_shap", n_shuffles=4, random_state=0, device="cpu")
    refs = dinucleotide_shuffle(x, 4, random_state=0).mean(axis=1)
    np.testing.assert_allclose(
        shap.attributions, (1.5 * w * (x - refs)).transpose(0, 2, 1), atol=1e-5
    )


def test_deeplift_needs_its_own_modules():
    x = random_one_hot(2, 16, seed=10)
    with pytest.raises(NcvError, match=r"own module.*'filter_act' \(2 calls\)"):
        attribute(SharedReluCNN(seq_len=16), x, method="deeplift", device="cpu")
    with pytest.raises(NcvError, match="own module"):
        attribute(SharedReluCNN(seq_len=16), x, method="deeplift_shap", device="cpu")
    own = ToyCNN(seq_len=16)
    own.pool1, own.pool2 = nn.AvgPool1d(2), nn.AvgPool1d(2)  # exact completeness (no max ties)
    ok = attribute(own, x, method="deeplift", device="cpu")
    np.testing.assert_allclose(ok.delta, 0.0, atol=1e-5)
    ig = attribute(SharedReluCNN(seq_len=16), x, method="ig", device="cpu")  # IG is fine
    assert ig.attributions.shape == (2, 16, 4)


def test_tabular_features_held_fixed_and_state_restored():
    rng = np.random.default_rng(11)
    w, v = rng.normal(size=(2, 4, 9)), rng.normal(size=(2, 3))
    model = TabLinear(w, v)
    model.train()
    x = random_one_hot(2, 9, seed=12)
    tab = rng.normal(size=(2, 3)).astype(np.float32)
    res = attribute(model, x, tab, method="ig", task=1, device="cpu")
    np.testing.assert_allclose(res.attributions, (w[1][None] * x).transpose(0, 2, 1), atol=1e-5)
    np.testing.assert_allclose(
        res.logit - res.baseline_logit, np.einsum("bl,nbl->n", w[1], x), atol=1e-5
    )
    assert "held fixed" in res.tabular
    assert model.training
    with pytest.raises(NcvError, match="x_tab"):
        attribute(model, x, method="saliency", device="cpu")
    with pytest.raises(NcvError, match="task 2 out of range"):
        attribute(model, x, tab, task=2, device="cpu")
    with pytest.raises(NcvError, match="unknown attribution method"):
        attribute(model, x, tab, method="gradcam", device="cpu")


def test_attribution_table():
    res = attribute(
        ToyCNN(seq_len=8), one_hot(["ACGTNCGT"]), method="input_x_gradient", device="cpu"
    )
    table = attribution_table(res)
    assert list(table.columns) == ["seq_index", "pos", "ref_base", "base", "is_ref", "attribution"]
    assert len(table) == 32 and table.is_ref.sum() == 7
    assert (table.loc[~table.is_ref, "attribution"] == 0).all()  # x * grad is 0 off the reference
    assert table.loc[table.pos == 4, "ref_base"].eq("N").all()


def _dinucleotides(seq: str) -> Counter:
    return Counter(seq[i : i + 2] for i in range(len(seq) - 1))


def test_dinucleotide_shuffle_preserves_counts_and_is_seeded():
    seqs = ["ACGTTGCAAACGTNNACGGGTACCA" * 4, "AAAAACCCCCGGGGGTTTTTACGTA" * 4]
    x = one_hot(seqs)
    shuf = dinucleotide_shuffle(x, 10, random_state=1)
    assert shuf.shape == (2, 10, 4, 100)
    for n, seq in enumerate(seqs):
        outs = decode(shuf[n])
        assert len(set(outs)) > 5
        for out in outs:
            assert _dinucleotides(out) == _dinucleotides(seq)
            assert out[0] == seq[0] and out[-1] == seq[-1]
    np.testing.assert_array_equal(shuf, dinucleotide_shuffle(x, 10, random_state=1))
    assert not np.array_equal(shuf, dinucleotide_shuffle(x, 10, random_state=2))


def test_dinucleotide_shuffle_is_uniform_on_a_small_case():
    seq = "ACAGACGA"
    same = sorted(
        {
            "".join(p)
            for p in itertools.permutations(seq)
            if p[0] == seq[0]
            and p[-1] == seq[-1]
            and _dinucleotides("".join(p)) == _dinucleotides(seq)
        }
    )
    assert len(same) >= 3
    draws = Counter(decode(dinucleotide_shuffle(one_hot(seq), 3000, random_state=3)))
    assert set(draws) == set(same)
    expected = 3000 / len(same)
    assert all(abs(draws[s] - expected) < 5 * np.sqrt(expected) for s in same)
