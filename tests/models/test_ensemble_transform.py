"""The per-column transform rule and the Scaler that stores it; the averaging ensemble and its
one-file save/load round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _synthetic import one_thread  # noqa: F401 (autouse fixture)

from ncv_core.errors import NcvWarning
from ncv_core.models import Ensemble, build_model, build_network, n_members, n_parameters
from ncv_core.models.encoding import Scaler, choose_transforms
from ncv_core.models.predict import positive_logits, probability


def test_auto_rule_on_hand_cases() -> None:
    rng = np.random.default_rng(0)
    n = 500
    cols = {
        "lognormal": np.exp(rng.normal(size=n)),  # >= 0, skew ~6 -> log1p
        "neg_heavy": -np.exp(rng.normal(size=n)) + rng.normal(size=n),  # < 0 and skewed -> arcsinh
        "normal": rng.normal(size=n),  # symmetric -> identity
        "binary": (rng.random(n) < 0.05).astype(float),  # skewed but two values -> identity
        "constant": np.full(n, 3.0),
        "missing": np.full(n, np.nan),
    }
    x = np.column_stack(list(cols.values()))
    assert choose_transforms(x, "auto") == (
        "log1p",
        "arcsinh",
        "identity",
        "identity",
        "identity",
        "identity",
    )
    assert choose_transforms(x, "none") == ("identity",) * 6
    assert choose_transforms(x, "log1p")[:4] == (
        "log1p",
        "identity",
        "identity",
        "log1p",
    )  # min >= 0
    assert set(choose_transforms(x[:, :3], "arcsinh")) == {"arcsinh"}
    # a transform that would not lower |skew| is not kept: a left-skewed column >= 0
    left = 100 - np.exp(rng.normal(size=n))
    assert choose_transforms(left[:, None], "auto") == ("identity",)


def test_scaler_applies_the_transform_then_standardises() -> None:
    x = np.array([[0.0, 1.0], [1.0, 2.0], [3.0, 3.0], [99.0, np.nan]])
    sc = Scaler(("a", "b"), np.zeros(2), np.ones(2), ("log1p", "identity"))
    fitted = Scaler.fit(x, ("a", "b"), rule="log1p")
    assert fitted.transforms == ("log1p", "log1p")
    t = np.log1p(x[:, 0])
    assert fitted.mean[0] == pytest.approx(t.mean()) and fitted.scale[0] == pytest.approx(t.std())
    with pytest.warns(NcvWarning, match="b 1"):
        z = fitted.transform(np.array([[3.0, 2.0], [-5.0, np.nan]]))
    assert z[0, 0] == pytest.approx((np.log1p(3.0) - t.mean()) / t.std(), abs=1e-6)
    assert z[1, 0] == pytest.approx((0.0 - t.mean()) / t.std(), abs=1e-6)  # below 0: clipped to 0
    assert z[1, 1] == 0.0  # missing -> the mean
    back = Scaler.from_dict(fitted.to_dict())
    assert back.transforms == fitted.transforms
    with pytest.warns(NcvWarning):
        np.testing.assert_array_equal(back.transform(x), fitted.transform(x))
    old = {"columns": ["a", "b"], "mean": [0.0, 0.0], "scale": [1.0, 1.0]}  # an older card
    np.testing.assert_array_equal(Scaler.from_dict(old).transform(x[:3]), x[:3])
    assert "transforms" not in Scaler.fit(x, ("a", "b")).to_dict()  # rule none: as before
    assert sc.transform(np.array([[np.e - 1, 5.0]]))[0, 0] == pytest.approx(1.0)


@pytest.mark.parametrize(("n_tasks", "head"), [(1, "softmax"), (3, "sigmoid")])
def test_ensemble_predicts_the_mean_probability(n_tasks: int, head: str) -> None:
    torch.manual_seed(0)
    members = [build_model("mlp", n_tab=5, n_tasks=n_tasks, head=head).eval() for _ in range(4)]
    ens = Ensemble(members).eval()
    x = torch.randn(30, 5) * 3
    naive = np.mean(
        [probability(positive_logits(m.head, m(None, x)).detach()) for m in members], axis=0
    )
    got = probability(positive_logits(ens.head, ens(None, x)).detach())
    np.testing.assert_allclose(got, naive, rtol=0, atol=1e-6)
    if head == "softmax":  # the softmax of its two logits is (1 - p, p)
        np.testing.assert_allclose(
            torch.softmax(ens(None, x), 1)[:, 1].detach(), got[:, 0], atol=1e-6
        )
    assert n_members(ens) == 4 and n_parameters(ens) == 4 * n_parameters(members[0])
    assert (ens.head, ens.n_tasks, ens.uses_tab, ens.uses_seq) == (head, n_tasks, True, False)


def test_ensemble_state_is_prefixed_and_rebuilds() -> None:
    members = [build_model("mlp", n_tab=3) for _ in range(2)]
    ens = Ensemble(members)
    keys = list(ens.state_dict())
    assert all(k.startswith(("members.0.", "members.1.")) for k in keys)
    again = build_network("mlp", members[0].config, members=2)
    again.load_state_dict(ens.state_dict(), strict=True)
    assert isinstance(build_network("mlp", members[0].config), type(members[0]))
    with pytest.raises(ValueError, match="differ"):
        Ensemble([build_model("mlp", n_tab=3), build_model("mlp", n_tab=3, n_tasks=2)])
