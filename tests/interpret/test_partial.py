"""fastISM-style partial recomputation: equal to full forwards and to a naive loop on every
layer geometry it accepts; models it cannot handle fall back to full forwards."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _synthetic import one_thread  # noqa: F401 (autouse: torch on one thread)
from interpret_toys import LinearSeq, ToyCNN, random_one_hot
from torch import nn

from ncv_core.errors import NcvError
from ncv_core.interpret._partial import PartialISM
from ncv_core.interpret.ism import saturation_mutagenesis
from ncv_core.models import build_model


class Geometry(nn.Module):
    """conv(k1, padding) -> BN -> ELU -> pool(p1, ceil) -> dropout -> conv(k2) -> ReLU -> pool(p2)
    -> flatten -> linear; every option the partial path reads."""

    uses_seq, uses_tab, n_tab = True, False, 0

    def __init__(self, length, k1, pad, p1, ceil, k2, p2, head="sigmoid", n_tasks=2, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.head, self.n_tasks, self.seq_len = head, n_tasks, length
        self.filter_conv = nn.Conv1d(4, 5, k1, padding=pad)
        self.bn = nn.BatchNorm1d(5)
        self.filter_act = nn.ELU()
        self.pool1 = nn.MaxPool1d(p1, ceil_mode=ceil)
        self.drop = nn.Dropout(0.3)
        self.conv2 = nn.Conv1d(5, 6, k2)
        self.act2 = nn.ReLU()
        self.pool2 = nn.MaxPool1d(p2)
        with torch.no_grad():
            self.bn.running_mean.uniform_(-0.3, 0.3)
            self.bn.running_var.uniform_(0.5, 1.5)
            n = self.pool2(self.conv2(self.pool1(self.filter_conv(torch.zeros(1, 4, length)))))
        self.fc = nn.Linear(n.numel(), 2 if head == "softmax" else n_tasks)

    def forward(self, x_seq, x_tab=None):
        h = self.pool1(self.filter_act(self.bn(self.filter_conv(x_seq))))
        h = self.pool2(self.act2(self.conv2(self.drop(h))))
        return self.fc(h.flatten(1))


def _naive(model, x: np.ndarray) -> np.ndarray:
    """One forward per mutant: ``(N, T, L, 4)`` change of the positive logit."""
    model.eval()
    with torch.no_grad():

        def logit(t):
            z = model(t)
            return (z[:, 1:] - z[:, :1]) if model.head == "softmax" else z

        x = torch.as_tensor(x)
        n, _, length = x.shape
        ref = logit(x)
        out = np.zeros((n, ref.shape[1], length, 4))
        for p in range(length):
            for b in range(4):
                mut = x.clone()
                mut[:, :, p] = 0.0
                mut[:, b, p] = 1.0
                out[:, :, p, b] = (logit(mut) - ref).numpy()
    return out


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize(
    ("length", "k1", "pad", "p1", "ceil", "k2", "p2"),
    [
        (40, 5, 2, 2, False, 3, 2),  # odd kernel, symmetric padding
        (41, 6, "same", 3, True, 4, 2),  # even kernel 'same' (extra pad on the right), ceil pool
        (37, 7, "valid", 4, False, 5, 1),  # valid conv, pool dropping a tail
        (30, 9, 1, 3, True, 3, 3),  # patch covers the whole second layer: materialised early
    ],
)
def test_equals_full_forwards_and_the_naive_loop(length, k1, pad, p1, ceil, k2, p2) -> None:
    model = Geometry(length, k1, pad, p1, ceil, k2, p2)
    x = random_one_hot(3, length, seed=length)
    x[1, :, 4] = 0.0  # an N: all four bases are mutants there
    assert PartialISM.build(model) is not None
    fast = saturation_mutagenesis(model, x, partial=True, batch_size=37, device="cpu")
    full = saturation_mutagenesis(model, x, partial=False, batch_size=37, device="cpu")
    np.testing.assert_allclose(fast.delta_logit, full.delta_logit, rtol=0, atol=1e-5)
    np.testing.assert_allclose(fast.delta_logit, _naive(model, x), rtol=0, atol=1e-5)
    assert fast.delta_logit[1, :, 4, :].std() > 0


@pytest.mark.parametrize("name", ["deepbind", "deepsea", "basset"])
def test_registry_cnns(name: str) -> None:
    kwargs = {
        "deepbind": {"filters": 8, "kernel": 9, "hidden": 6},
        "deepsea": {"channels": (6, 8, 10), "kernel": 5, "pool": 3, "hidden": 7},
        "basset": {"channels": (6, 5, 4), "kernels": (7, 5, 3), "hidden": (8, 8), "n_tasks": 3},
    }[name]
    torch.manual_seed(1)
    model = build_model(name, seq_len=60, **kwargs).eval()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.running_mean.uniform_(-0.3, 0.3)
    x = random_one_hot(4, 60, seed=3)
    assert PartialISM.build(model) is not None
    fast = saturation_mutagenesis(model, x, batch_size=100, device="cpu")
    full = saturation_mutagenesis(model, x, partial=False, batch_size=100, device="cpu")
    np.testing.assert_allclose(fast.delta_logit, full.delta_logit, rtol=0, atol=1e-5)
    np.testing.assert_allclose(fast.delta_prob, full.delta_prob, rtol=0, atol=1e-6)
    np.testing.assert_allclose(fast.ref_logit, full.ref_logit)


def test_batch_size_and_chunking_do_not_change_results() -> None:
    model = ToyCNN(seq_len=32, head="softmax")
    x = random_one_hot(7, 32, seed=5)
    runs = [saturation_mutagenesis(model, x, batch_size=b, device="cpu") for b in (1, 33, 5000)]
    for r in runs[1:]:
        np.testing.assert_allclose(r.delta_logit, runs[0].delta_logit, atol=1e-5)


def test_models_it_cannot_handle_fall_back() -> None:
    ssl = build_model("ssl_dnn", n_tab=0, seq_len=20)
    assert PartialISM.build(ssl) is None  # index_select before the first convolution
    assert PartialISM.build(LinearSeq(np.ones((4, 10)))) is None  # no convolution
    assert PartialISM.build(build_model("ssl_dnn", n_tab=3, seq_len=20)) is None  # tabular
    strided = Geometry(40, 5, 2, 2, False, 3, 2)
    strided.filter_conv.stride = (2,)
    assert PartialISM.build(strided) is None
    x = random_one_hot(2, 20, seed=0)
    with pytest.raises(NcvError, match="partial recomputation needs"):
        saturation_mutagenesis(ssl, x, partial=True, device="cpu")
    res = saturation_mutagenesis(ssl, x, device="cpu")  # full forwards
    np.testing.assert_allclose(res.delta_logit, _naive(ssl, x), atol=1e-5)


def test_tracing_lets_another_threads_forward_through() -> None:
    """torch.fx patches nn.Module.__call__ process-wide while it traces; a forward in another
    thread during the trace must run as usual (it failed with "module is not installed as a
    submodule" before)."""
    import threading

    from ncv_core.interpret._partial import _trace

    tracing, done = threading.Event(), threading.Event()

    class Hold(torch.nn.Module):
        def forward(self, x):  # runs inside the trace: hold it open for the other thread
            tracing.set()
            done.wait(10)
            return x

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.hold, self.conv = Hold(), torch.nn.Conv1d(4, 2, 3)

        def forward(self, x_seq, x_tab=None):
            return self.conv(self.hold(x_seq))

    other, errors = torch.nn.Linear(2, 2), []

    def forward_elsewhere() -> None:
        tracing.wait(10)
        try:
            assert other(torch.ones(1, 2)).shape == (1, 2)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=forward_elsewhere)
    thread.start()
    gm = _trace(Net())
    thread.join(10)
    assert errors == []
    assert [n.target for n in gm.graph.nodes if n.op == "call_module"] == ["conv"]
