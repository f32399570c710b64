"""The Avocado network: table sizes, multi-scale indexing, initialisation, sizes and growth."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from ncv_core.errors import NcvError
from ncv_core.impute.model import (
    SIZES,
    AvocadoSize,
    avocado_from_config,
    build_avocado,
    grow_avocado,
    table_rows,
)


@pytest.fixture(scope="module")
def paper():
    return build_avocado("paper", n_cells=5, n_assays=7, n_positions=12_345, seed=1)


def test_paper_size_tables_and_layers(paper):
    # Reference source: n, n / 10 + 1, n / 200 + 1 rows (integer division).
    assert table_rows(12_345) == (12_345, 1_235, 62)
    shapes = [tuple(t.weight.shape) for t in paper.embeddings()]
    assert shapes == [(5, 32), (7, 256), (12_345, 25), (1_235, 40), (62, 45)]
    assert SIZES["paper"].n_inputs == 398
    linear = [m for m in paper.network if isinstance(m, torch.nn.Linear)]
    assert [tuple(m.weight.shape) for m in linear] == [(2048, 398), (2048, 2048), (1, 2048)]
    dense = sum(p.numel() for m in linear for p in m.parameters())
    assert dense == 398 * 2048 + 2048 + 2048 * 2048 + 2048 + 2048 + 1  # ~5.0 M
    assert [type(m).__name__ for m in paper.network] == [
        "Linear",
        "ReLU",
        "Linear",
        "ReLU",
        "Linear",
    ]


def _naive_forward(model, cell, assay, g):
    """Look rows up one by one with Python's // and run the MLP in float64 numpy."""
    w = [t.weight.detach().double().numpy() for t in model.embeddings()]
    out = []
    for c, a, p in zip(cell, assay, g, strict=True):
        x = np.concatenate([w[0][c], w[1][a], w[2][p], w[3][p // 10], w[4][p // 200]])
        for layer in model.network:
            if isinstance(layer, torch.nn.Linear):
                x = (
                    layer.weight.detach().double().numpy() @ x
                    + layer.bias.detach().double().numpy()
                )
            else:
                x = np.maximum(x, 0.0)
        out.append(x[0])
    return np.array(out)


@pytest.mark.parametrize("name", ["small", "paper"])
def test_forward_uses_g_g10_g200_like_a_naive_loop(name, paper):
    model = (
        paper if name == "paper" else build_avocado(name, n_cells=5, n_assays=7, n_positions=12_345)
    )
    rng = np.random.default_rng(0)
    g = np.concatenate([[0, 9, 10, 199, 200, 12_344], rng.integers(0, 12_345, 20)])
    cell, assay = rng.integers(0, 5, len(g)), rng.integers(0, 7, len(g))
    # Make the coarse tables distinctive so a wrong row would show.
    with torch.no_grad():
        model.genome_250bp.weight.normal_(0, 1, generator=torch.Generator().manual_seed(1))
        model.genome_5kb.weight.normal_(0, 1, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        got = model(*(torch.as_tensor(a) for a in (cell, assay, g))).double().numpy()
    np.testing.assert_allclose(got, _naive_forward(model, cell, assay, g), rtol=1e-4, atol=1e-5)


def test_initialisation_ranges():
    model = build_avocado("paper", n_cells=40, n_assays=40, n_positions=20_000, seed=0)
    for table in model.embeddings():
        w = table.weight.detach()
        assert w.abs().max() <= 0.05
        assert abs(w.std().item() - 0.05 / math.sqrt(3)) < 0.003  # uniform(-0.05, 0.05)
    for layer in (m for m in model.network if isinstance(m, torch.nn.Linear)):
        fan_out, fan_in = layer.weight.shape
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        w = layer.weight.detach()
        assert w.abs().max() <= limit
        # torch's default (kaiming, bound 1/sqrt(fan_in)) would fail one of these
        assert w.abs().max() > 0.95 * limit
        assert abs(w.std().item() - limit / math.sqrt(3)) < 0.05 * limit
        assert torch.count_nonzero(layer.bias) == 0


def test_seed_reproduces_and_changes_weights():
    a, b, c = (
        build_avocado("small", n_cells=3, n_assays=3, n_positions=500, seed=s) for s in (4, 4, 5)
    )
    for (k, x), y, z in zip(
        a.state_dict().items(), b.state_dict().values(), c.state_dict().values(), strict=True
    ):
        assert torch.equal(x, y), k
        if "bias" not in k:
            assert not torch.equal(x, z), k


def test_config_rebuilds_the_same_network_through_json():
    model = build_avocado("small", n_cells=3, n_assays=4, n_positions=777, seed=2)
    config = json.loads(json.dumps({"size": "small", **model.config}))
    config.pop("size")
    again = avocado_from_config(config)
    again.load_state_dict(model.state_dict())
    x = [torch.tensor([0, 2]), torch.tensor([3, 1]), torch.tensor([0, 776])]
    assert torch.equal(model(*x), again(*x))
    custom = AvocadoSize(4, 4, 2, 2, 2, 1, 8)
    assert (
        avocado_from_config({"n_cells": 1, "n_assays": 1, "n_positions": 3, **custom.__dict__}).size
        == custom
    )


def test_unknown_size_and_incomplete_card():
    with pytest.raises(NcvError, match="unknown Avocado size"):
        build_avocado("huge", n_cells=1, n_assays=1, n_positions=1)
    with pytest.raises(NcvError, match="n_positions"):
        avocado_from_config({"n_cells": 1, "n_assays": 1})


def test_grow_keeps_old_rows_and_draws_new_ones():
    model = build_avocado("small", n_cells=3, n_assays=2, n_positions=300, seed=0)
    grown = grow_avocado(model, n_new_cells=2, n_new_assays=1, seed=9)
    assert (grown.n_cells, grown.n_assays, grown.n_positions) == (5, 3, 300)
    old = model.state_dict()
    for name, param in grown.state_dict().items():
        rows = old[name].shape[0]
        assert torch.equal(param[:rows], old[name]), name
    for new in (grown.cell_embedding.weight[3:], grown.assay_embedding.weight[2:]):
        assert 0 < new.abs().max() <= 0.05
