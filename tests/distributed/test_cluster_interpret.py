"""ISM and attributions of many windows on the cluster equal one process's, number for number
(``ncv ism --workers``, ``ncv attribute --workers``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from _scoring import seq_model

from ncv_core.cli import main
from ncv_core.distributed.interpret import interpret_on_cluster, window_runs
from ncv_core.errors import NcvError
from ncv_core.interpret.attribution import attribute
from ncv_core.interpret.ism import saturation_mutagenesis
from ncv_core.io.model_folder import load_model


def _windows(n: int, length: int, seed: int) -> np.ndarray:
    """``(n, 4, length)`` one-hot windows, a few columns all zero (N)."""
    rng = np.random.default_rng(seed)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, length))].transpose(0, 2, 1).copy()
    x[rng.integers(0, n, 5), :, rng.integers(0, length, 5)] = 0.0
    return x


def test_window_runs_start_where_the_batches_start() -> None:
    rng = np.random.default_rng(1)
    for _ in range(100):
        n, length, batch = (
            int(rng.integers(1, 300)),
            int(rng.integers(1, 9)),
            int(rng.integers(1, 40)),
        )
        ref = np.where(rng.random((n, length)) < 0.05, -1, 0)
        mutants = np.concatenate([[0], np.cumsum(np.where(ref >= 0, 3, 4).sum(axis=1))])
        for verb in ("ism", "attribute"):
            runs = window_runs(ref, batch, verb, int(rng.integers(1, 50)))
            assert [a for a, _ in runs][1:] == [b for _, b in runs][:-1]  # contiguous
            assert runs[0][0] == 0 and runs[-1][1] == n
            for a, _ in runs[1:]:
                assert a % batch == 0
                assert verb == "attribute" or mutants[a] % batch == 0


@pytest.fixture(scope="module")
def deepbind(tmp_path_factory):
    return seq_model(tmp_path_factory.mktemp("db") / "db", window=60, seed=3)


def test_ism_equals_one_process(cluster, deepbind, tmp_path: Path) -> None:
    x = _windows(300, 60, 0)
    model = load_model(deepbind, device="cpu").model
    one = saturation_mutagenesis(model, x, batch_size=60)
    many = interpret_on_cluster(cluster.client, "ism", deepbind, x, folder=tmp_path,
                                windows_per_task=20, batch_size=60)  # fmt: skip
    for name in ("delta_logit", "delta_prob", "ref_logit", "ref_prob", "importance"):
        np.testing.assert_array_equal(getattr(one, name), getattr(many, name), err_msg=name)
    np.testing.assert_array_equal(one.ref_index, many.ref_index)
    assert one.tabular == many.tabular


def test_attributions_equal_one_process(cluster, deepbind, tmp_path: Path) -> None:
    x = _windows(90, 60, 1)
    model = load_model(deepbind, device="cpu").model
    one = attribute(model, x, method="ig", n_steps=8, batch_size=16)
    many = interpret_on_cluster(cluster.client, "attribute", deepbind, x, folder=tmp_path,
                                windows_per_task=10, method="ig", n_steps=8, batch_size=16)  # fmt: skip
    for name in ("attributions", "logit", "baseline_logit", "delta", "ref_index"):
        np.testing.assert_array_equal(getattr(one, name), getattr(many, name), err_msg=name)
    assert (one.method, one.task) == (many.method, many.task)
    with pytest.raises(NcvError, match="one random stream"):
        interpret_on_cluster(cluster.client, "attribute", deepbind, x, folder=tmp_path,
                             method="deeplift_shap")  # fmt: skip


def test_cli_ism_on_a_running_scheduler(cluster, deepbind, tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    seqs = ["".join(rng.choice(list("ACGT"), 60)) for _ in range(30)]
    common = ["ism", "--model", str(deepbind), "--sequence", *seqs, "--batch-size", "30"]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as each worker: convolutions round by their thread count
    try:
        assert main([*common, "--out", str(tmp_path / "one.tsv")]) == 0
    finally:
        torch.set_num_threads(threads)
    address = cluster.client.scheduler.address
    assert main([*common, "--out", str(tmp_path / "two.tsv"), "--scheduler", address]) == 0
    for suffix in (".tsv", ".tsv.meta.json"):
        assert (tmp_path / f"one{suffix}").read_bytes() == (tmp_path / f"two{suffix}").read_bytes()
