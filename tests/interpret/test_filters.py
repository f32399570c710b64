"""First-layer filter analysis on toy CNNs with hand-set filters."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from interpret_toys import LinearSeq, ToyCNN, random_one_hot
from torch import nn

from ncv_core.errors import NcvError
from ncv_core.interpret.filters import cluster_filters, filter_influence, filter_motifs

MOTIF = np.array(  # a GATA-like 6-bp PWM, rows positions, columns A,C,G,T
    [
        [0.10, 0.10, 0.10, 0.70],
        [0.05, 0.05, 0.85, 0.05],
        [0.90, 0.03, 0.04, 0.03],
        [0.03, 0.04, 0.03, 0.90],
        [0.80, 0.05, 0.05, 0.10],
        [0.40, 0.10, 0.40, 0.10],
    ]
)


class MotifCNN(nn.Module):
    """Filter 0 = log-odds of MOTIF; filter 1 random but ignored downstream; filter 2 dead.

    conv(4 -> 3, k=6, padding=2) -> ReLU (filter_act) -> global max pool -> linear (2 tasks).
    """

    head, n_tasks, uses_seq, uses_tab, n_tab = "sigmoid", 2, True, False, 0

    def __init__(self) -> None:
        super().__init__()
        self.seq_len = 50
        self.filter_conv = nn.Conv1d(4, 3, 6, padding=2)
        self.filter_act = nn.ReLU()
        self.pool = nn.AdaptiveMaxPool1d(1)
        self.out = nn.Linear(3, 2)
        g = torch.Generator().manual_seed(0)
        with torch.no_grad():
            self.filter_conv.weight.zero_()
            self.filter_conv.weight[0] = torch.as_tensor(
                np.log2(MOTIF / 0.25).T, dtype=torch.float32
            )
            self.filter_conv.weight[1] = torch.randn(4, 6, generator=g)
            self.filter_conv.bias.copy_(torch.tensor([-2.0, 0.5, 0.0]))
            self.out.weight.copy_(torch.tensor([[1.5, 0.0, 0.7], [-0.5, 0.0, 0.3]]))
            self.out.bias.copy_(torch.tensor([-1.0, 0.2]))

    def forward(self, x_seq: torch.Tensor, x_tab: torch.Tensor | None = None) -> torch.Tensor:
        return self.out(self.pool(self.filter_act(self.filter_conv(x_seq))).flatten(1))


def _planted(n: int = 300, length: int = 50, seed: int = 0) -> np.ndarray:
    """Random sequences with a MOTIF sample planted in two of three (some at the very start)."""
    rng = np.random.default_rng(seed)
    x = random_one_hot(n, length, seed=seed)
    for i in range(n):
        if i % 3:
            start = 0 if i % 10 == 1 else rng.integers(0, length - 6)
            bases = [rng.choice(4, p=row) for row in MOTIF]
            x[i, :, start : start + 6] = np.eye(4, dtype=np.float32)[bases].T
    return x


def _reference_counts(model: MotifCNN, x: np.ndarray, f: int) -> tuple[np.ndarray, int]:
    """Independent numpy scan: Basset's rule on filter ``f`` with zero padding of 2."""
    w = model.filter_conv.weight[f].detach().numpy().astype(np.float64)
    b = model.filter_conv.bias[f].item()
    pad = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (2, 2)))
    windows = np.stack(
        [pad[:, :, j : j + 6] for j in range(pad.shape[2] - 5)], axis=1
    )  # (N, L', 4, 6)
    act = np.maximum(np.einsum("njck,ck->nj", windows, w) + b, 0.0)
    sites = windows[act > 0.5 * act.max()]  # (S, 4, 6)
    counts = sites.sum(axis=0).T + 0.25 * (1 - sites.sum(axis=1)).sum(axis=0)[:, None]
    return counts, len(sites)


def test_recovered_pwm_matches_the_hand_set_filter():
    model = MotifCNN()
    x = _planted()
    res = filter_motifs(model, x, batch_size=64, device="cpu")
    counts, n_sites = _reference_counts(model, x, 0)
    assert res.summary.n_sites[0] == n_sites > 100
    np.testing.assert_allclose(res.counts[0], counts, atol=1e-6)
    np.testing.assert_allclose(res.pwms[0], (counts + 1) / (n_sites + 4), atol=1e-9)
    # it is the planted motif: same consensus, column-wise correlation, more information
    assert res.summary.consensus[0][:5] == "TGATA"
    r = [np.corrcoef(res.pwms[0][i], MOTIF[i])[0, 1] for i in range(6)]
    assert min(r) > 0.9
    assert res.summary.information_content[0] > 5.0
    # the dead filter has no sites and a uniform PWM; batch size does not matter
    assert res.summary.n_sites[2] == 0 and np.allclose(res.pwms[2], 0.25)
    again = filter_motifs(model, x, batch_size=7, device="cpu")
    np.testing.assert_allclose(again.counts, res.counts, atol=1e-6)
    assert list(res.summary.columns) == [
        "filter", "n_sites", "information_content", "consensus", "max_activation",
        "mean_activation", "threshold",
    ]  # fmt: skip


def test_filter_influence():
    model = MotifCNN()
    x = _planted(90, seed=1)
    res = filter_influence(model, x, batch_size=50, device="cpu")
    assert res.mean_delta_prob.shape == (3, 2)
    # filter 1 is ignored downstream and filter 2 is constant (dead): both have zero influence
    np.testing.assert_array_equal(res.mean_delta_prob[1:], 0.0)
    np.testing.assert_array_equal(res.sum_sq_delta_prob[1:], 0.0)
    # nullifying the motif filter lowers task 0 (weight +1.5) and raises task 1 (weight -0.5)
    assert res.mean_delta_logit[0, 0] < 0 < res.mean_delta_logit[0, 1]
    # against a direct computation: the pooled activation of filter 0 becomes its mean activation
    with torch.no_grad():
        act = model.filter_act(model.filter_conv(torch.as_tensor(x))).numpy()
    pooled = act.max(axis=2)
    nulled = pooled.copy()
    nulled[:, 0] = act[:, 0].mean()
    w, b = model.out.weight.detach().numpy(), model.out.bias.detach().numpy()
    d_logit = (nulled - pooled) @ w.T
    np.testing.assert_allclose(res.mean_delta_logit[0], d_logit.mean(axis=0), atol=1e-5)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    d_prob = sig(nulled @ w.T + b) - sig(pooled @ w.T + b)
    np.testing.assert_allclose(res.sum_sq_delta_prob[0], (d_prob**2).sum(axis=0), atol=1e-5)
    assert len(res.table) == 6 and set(res.table.columns) >= {"filter", "task", "mean_delta_prob"}


def test_influence_on_a_deeper_cnn_and_state_restored():
    model = ToyCNN(seq_len=24, head="softmax", seed=2)
    model.train()
    x = random_one_hot(20, 24, seed=3)
    a = filter_influence(model, x, batch_size=17, device="cpu")
    b = filter_influence(model, x, batch_size=1000, device="cpu")
    np.testing.assert_allclose(a.mean_delta_logit, b.mean_delta_logit, atol=1e-6)
    assert model.training and a.mean_delta_prob.shape == (6, 1)
    motifs = filter_motifs(model, x, device="cpu")  # BN between conv and activation is fine
    assert motifs.pwms.shape == (6, 5, 4)


def test_cluster_filters_separates_obvious_groups():
    prof = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.95], [1.05, 0.02]])
    res = cluster_filters(prof, n_clusters=2)
    labels = res.table.cluster.to_numpy()
    assert labels[0] == labels[1] == labels[4] != labels[2] == labels[3]
    assert sorted(res.table.leaf_order) == list(range(5))
    assert res.linkage.shape == (4, 4)
    default = cluster_filters(prof)  # cut at 0.7 x the largest merge distance
    assert default.table.cluster.nunique() == 2


def test_models_without_filters_are_refused():
    with pytest.raises(NcvError, match="filter_conv"):
        filter_motifs(LinearSeq(np.zeros((4, 10))), random_one_hot(2, 10))


def test_stored_first_layer_outputs_give_the_recomputed_numbers(monkeypatch):
    """filter_influence runs filter_conv once per sequence and reuses its outputs for every
    nullified filter; recomputing them (the cache off) gives the same numbers."""
    import ncv_core.interpret.filters as filters

    model = ToyCNN(seq_len=24, head="softmax", seed=2)
    x = random_one_hot(30, 24, seed=4)
    calls, real = [], torch.nn.Conv1d._conv_forward

    def counting(self, inp, weight, bias):
        if inp.shape[1] == 4:  # the first layer (the one-hot input)
            calls.append(inp.shape[0])
        return real(self, inp, weight, bias)

    monkeypatch.setattr(torch.nn.Conv1d, "_conv_forward", counting)
    stored = filter_influence(model, x, batch_size=16, device="cpu")
    assert calls == [16, 14]  # the reference pass only
    monkeypatch.setattr(filters, "CONV_CACHE_ELEMENTS", 0)
    calls.clear()
    again = filter_influence(model, x, batch_size=16, device="cpu")
    assert sum(calls) == 30 + 6 * 30  # and once more per nullified filter
    for name in ("mean_delta_prob", "mean_delta_logit", "sum_sq_delta_prob"):
        np.testing.assert_allclose(getattr(stored, name), getattr(again, name), atol=1e-12)
    assert "forward" not in vars(model.filter_conv)
