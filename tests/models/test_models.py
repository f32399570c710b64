"""Networks: SSL_dnn's published shapes and parameter count, the model contract, the registry."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _synthetic import one_thread  # noqa: F401 (autouse fixture)
from torch import nn

from ncv_core.errors import NcvError
from ncv_core.models import MODELS, build_model, n_parameters, positive_logit, probability
from ncv_core.sequence import one_hot

SMALL = {
    "ssl_dnn": {"n_tab": 5},
    "deepbind": {"filters": 8, "kernel": 6, "hidden": 6},
    "deepsea": {"channels": [6, 8, 10], "hidden": 12},
    "basset": {"channels": [6, 8, 8], "kernels": [7, 5, 3], "hidden": [10, 10]},
    "mlp": {"n_tab": 5},
}


def test_ssl_dnn_shapes_follow_the_paper() -> None:
    model = build_model("ssl_dnn", n_tab=43).eval()
    seen = {}
    for name in ("conv1", "conv2", "pool", "flatten", "fc1", "fc2", "fc3"):
        getattr(model, name).register_forward_hook(
            lambda m, i, o, name=name: seen.__setitem__(name, (tuple(i[0].shape), tuple(o.shape)))
        )
    out = model(torch.zeros(3, 4, 150), torch.zeros(3, 43))
    assert seen["conv1"] == ((3, 1, 4, 150), (3, 2, 4, 147))
    assert seen["conv2"] == ((3, 2, 4, 147), (3, 4, 2, 144))
    assert seen["pool"][1] == (3, 4, 1, 72)
    assert seen["flatten"][1] == (3, 288)
    assert seen["fc1"] == ((3, 288 + 43), (3, 40))
    assert seen["fc2"][1] == (3, 10) and out.shape == (3, 2)
    assert model.conv2.stride == (2, 1) and model.conv2.kernel_size == (2, 4)


def test_ssl_dnn_parameter_count() -> None:
    conv1 = 2 * 1 * 1 * 4 + 2
    conv2 = 4 * 2 * 2 * 4 + 4
    fc1, bn1 = (288 + 43) * 40 + 40, 2 * 40
    fc2, bn2, fc3 = 40 * 10 + 10, 2 * 10, 10 * 2 + 2
    expected = conv1 + conv2 + fc1 + bn1 + fc2 + bn2 + fc3
    assert expected == 13890
    assert n_parameters(build_model("ssl_dnn", n_tab=43)) == expected


def test_ssl_dnn_reads_rows_in_the_papers_atcg_order() -> None:
    model = build_model("ssl_dnn", n_tab=0).eval()
    got = {}
    model.conv1.register_forward_hook(lambda m, i, o: got.__setitem__("x", i[0]))
    model(torch.from_numpy(one_hot(["ACGT" * 37 + "AC"])), None)
    image = got["x"][0, 0]  # (4, 150): rows A, T, C, G
    assert image[:, :4].argmax(dim=0).tolist() == [0, 2, 3, 1]  # A->row0, C->2, G->3, T->1


def test_deepbind_has_about_27k_parameters() -> None:
    assert n_parameters(build_model("deepbind")) == 27090


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_contract(name: str) -> None:
    model = build_model(name, **SMALL[name]).eval()
    x_seq, x_tab = torch.rand(4, 4, 150), torch.rand(4, 5)
    out = model(x_seq if model.uses_seq else None, x_tab if model.uses_tab else None)
    n_out = 2 if model.head == "softmax" else model.n_tasks
    assert out.shape == (4, n_out)
    assert model.n_tasks == 1 and model.n_tab == (5 if model.uses_tab else 0)
    assert model.seq_len == (150 if model.uses_seq else 0)
    rebuilt = build_model(name, **model.config)
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == {
        k: v.shape for k, v in model.state_dict().items()
    }
    # Every layer has its own module instance (captum's DeepLift needs it) ...
    instances = [id(m) for _, m in model.named_modules(remove_duplicate=False)]
    assert len(instances) == len(set(instances))
    # ... and no tensor is stored twice (safetensors refuses shared storage).
    ptrs = [t.data_ptr() for t in model.state_dict().values() if t.numel()]
    assert len(ptrs) == len(set(ptrs))


@pytest.mark.parametrize("name", ["deepbind", "deepsea", "basset"])
def test_sequence_cnns_expose_first_filters(name: str) -> None:
    model = build_model(name, **SMALL[name]).eval()
    assert isinstance(model.filter_conv, nn.Conv1d) and model.filter_conv.in_channels == 4
    assert isinstance(model.filter_act, nn.ReLU)
    acts = {}
    model.filter_act.register_forward_hook(lambda m, i, o: acts.__setitem__("a", o))
    model(torch.rand(2, 4, 150), None)
    assert acts["a"].shape[:2] == (2, model.filter_conv.out_channels)


def test_ssl_dnn_filter_activations_are_two_dimensional() -> None:
    model = build_model("ssl_dnn", n_tab=0).eval()
    acts = {}
    model.filter_act.register_forward_hook(lambda m, i, o: acts.__setitem__("a", o))
    model(torch.rand(2, 4, 150), None)
    assert isinstance(model.filter_conv, nn.Conv2d) and acts["a"].shape == (2, 2, 4, 147)


def test_basset_is_multi_task_sigmoid() -> None:
    model = build_model("basset", n_tasks=3, **SMALL["basset"]).eval()
    assert model.head == "sigmoid" and model(torch.rand(2, 4, 150), None).shape == (2, 3)


def test_positive_logit_and_proba() -> None:
    torch.manual_seed(0)
    soft = build_model("mlp", n_tab=5).eval()
    x = torch.rand(6, 5)
    z = soft(None, x)
    assert torch.allclose(positive_logit(soft, None, x)[:, 0], z[:, 1] - z[:, 0])
    assert np.allclose(
        probability(positive_logit(soft, None, x))[:, 0],
        torch.softmax(z, 1)[:, 1].detach().double().numpy(),
        atol=1e-6,
    )
    sig = build_model("mlp", n_tab=5, n_tasks=2).eval()
    assert sig.head == "sigmoid"
    assert torch.equal(positive_logit(sig, None, x), sig(None, x))


def test_registry_errors() -> None:
    with pytest.raises(NcvError, match="unknown model"):
        build_model("resnet")
    with pytest.raises(NcvError, match="deepsea"):
        build_model("deepsea", seq_len=20)
    with pytest.raises(NcvError, match="cannot be built"):
        build_model("mlp", n_tab=3, colour="red")
    with pytest.raises(NcvError):
        build_model("ssl_dnn", n_tasks=2, head="softmax")


def test_models_are_deterministic_in_eval_mode() -> None:
    torch.manual_seed(1)
    model = build_model("ssl_dnn", n_tab=5).eval()
    x = (torch.rand(8, 4, 150), torch.rand(8, 5))
    a = model(*x)
    b = torch.cat([model(x[0][:3], x[1][:3]), model(x[0][3:], x[1][3:])])
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
