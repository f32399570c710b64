"""Interpretation never changes a model that someone else holds (the app caches one model and
shares it between pages and sessions): two threads interpreting it at once get serial results,
and the model keeps no hooks, its mode and its weights."""

from __future__ import annotations

import threading

import numpy as np
import torch
from _synthetic import one_thread  # noqa: F401 (autouse: torch on one thread)
from interpret_toys import random_one_hot

from ncv_core.interpret.attribution import attribute
from ncv_core.interpret.filters import filter_influence, filter_motifs
from ncv_core.interpret.ism import saturation_mutagenesis
from ncv_core.models import build_model


def _model() -> torch.nn.Module:
    torch.manual_seed(3)
    return build_model("deepbind", seq_len=40, filters=16, kernel=8, hidden=8).eval()


def _hooks(model: torch.nn.Module) -> int:
    return sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
        for m in model.modules()
    )


def _influence(model, x):
    return filter_influence(model, x, batch_size=7).mean_delta_prob


def _ism(model, x):
    return saturation_mutagenesis(model, x, batch_size=13).delta_logit


def test_filter_influence_and_ism_in_two_threads_equal_serial_runs() -> None:
    model = _model()
    x = random_one_hot(12, 40, seed=1)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    serial = {"influence": _influence(model, x), "ism": _ism(model, x)}
    got: dict[str, list[np.ndarray]] = {"influence": [], "ism": []}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(name, fn) -> None:
        try:
            start.wait()
            for _ in range(3):
                got[name].append(fn(model, x))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=("influence", _influence)),
        threading.Thread(target=work, args=("ism", _ism)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    for name in ("influence", "ism"):
        assert len(got[name]) == 3
        for result in got[name]:
            np.testing.assert_allclose(result, serial[name], rtol=0, atol=1e-6)
    assert _hooks(model) == 0
    assert not model.training
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k]), k


def test_interpretation_leaves_a_training_model_as_it_was() -> None:
    model = _model().train()
    x = random_one_hot(4, 40, seed=2)
    filter_motifs(model, x)
    attribute(model, x, method="deeplift")
    saturation_mutagenesis(model, x)
    assert model.training and all(m.training for m in model.modules())
    assert _hooks(model) == 0
