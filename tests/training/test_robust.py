"""The robust preset: the early-stopped ensemble never sees validation rows, Platt / PACC /
prior shift against independent computations, seeded reproduction, ``--preset paper`` as the old
recipe, a save/load round trip, and the robust default beating the old recipe on a heavy-tailed
task."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from _synthetic import one_thread, synthetic_table  # noqa: F401 (one_thread: autouse fixture)
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from ncv_core.io.model_folder import WEIGHTS, load_model, save_model
from ncv_core.models import Ensemble, build_model
from ncv_core.models.encoding import Inputs
from ncv_core.training import TrainConfig, train
from ncv_core.training.pool_targets import pacc_prior, platt, pool_targets, shift_prior
from ncv_core.training.trainers import EnsembleTrainer
from ncv_core.training.trainers.ensemble import inner_folds
from ncv_core.training.types import PAPER_RECIPE, ROBUST_RECIPE

QUICK = {"n_labelled": 60, "n_val": 40, "epochs": 25, "members": 3, "patience": 5}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return synthetic_table(260, seed=3, unlabelled=60).drop(columns=["seq"])


def test_platt_matches_scikit_learn() -> None:
    rng = np.random.default_rng(0)
    z = 2 * rng.normal(size=300)
    y = (rng.random(300) < 1 / (1 + np.exp(-(0.6 * z - 0.4)))).astype(int)
    lr = LogisticRegression(C=1e4, max_iter=5000, tol=1e-10).fit(z[:, None], y)
    a, b = platt(z, y)
    assert a == pytest.approx(lr.coef_[0, 0], abs=1e-3)
    assert b == pytest.approx(lr.intercept_[0], abs=1e-3)
    assert platt(z, np.ones(300)) == (1.0, 0.0)  # one class: no calibration


def test_pacc_and_prior_shift_by_hand() -> None:
    p_oof = np.array([0.9, 0.7, 0.3, 0.1])  # mean | pos = 0.8, mean | neg = 0.2
    y_oof = np.array([1, 1, 0, 0])
    assert pacc_prior(np.array([0.3, 0.4]), p_oof, y_oof) == pytest.approx((0.35 - 0.2) / 0.6)
    assert pacc_prior(np.array([0.0, 0.0]), p_oof, y_oof) == 0.005  # clipped
    # p = 0.8 at prior 0.5 -> prior 0.1: a = 0.16, b = 0.36
    np.testing.assert_allclose(shift_prior(np.array([0.5, 0.8]), 0.1, 0.5), [0.1, 0.16 / 0.52])
    np.testing.assert_allclose(shift_prior(np.array([0.3]), 0.5, 0.5), [0.3])


def test_pacc_recovers_a_pool_prior() -> None:
    rng = np.random.default_rng(1)
    score = lambda n, yv: rng.normal(1.5 * yv, 1.0, size=n)  # noqa: E731 (a logit per class)
    z_oof = np.concatenate([score(300, 1), score(300, 0)])
    y_oof = np.repeat([1, 0], 300)
    z_pool = np.concatenate([score(400, 1), score(3600, 0)])  # true prior 0.1
    q, info = pool_targets(z_pool[None], z_oof, y_oof, 0.5)
    assert info["pool_prior"] == pytest.approx(0.1, abs=0.03)
    assert q.shape == (4000,) and q.mean() == pytest.approx(0.1, abs=0.03)


def test_targets_of_a_teacher_that_cannot_tell_the_prior_are_not_used() -> None:
    rng = np.random.default_rng(2)
    y_oof = np.repeat([1, 0], 100)
    weak = pool_targets(rng.normal(size=(3, 500)), rng.normal(size=200), y_oof, 0.5)[1]
    assert not weak["reliable"] and weak["separation"] < 0.1  # random logits: no separation
    z_oof = np.concatenate([rng.normal(1, 1, 100), rng.normal(-1, 1, 100)])
    good = pool_targets(rng.normal(-1, 1, (3, 500)), z_oof, y_oof, 0.5)[1]
    assert good["reliable"] and good["separation"] > 0.3 and good["pool_prior"] < 0.1
    shifted = pool_targets(rng.normal(4, 1, (3, 500)), z_oof, y_oof, 0.5)[1]  # beyond the positives
    assert shifted["pacc_raw"] > 1 and not shifted["reliable"]


def test_no_student_without_usable_targets() -> None:
    rng = np.random.default_rng(0)
    t = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    y = np.r_[np.ones(60, int), np.zeros(240, int)]  # unrelated to the features
    t["label"] = pd.array(y, dtype="Int8")
    t.loc[rng.choice(300, 60, replace=False), "label"] = pd.NA
    res = train(t, method="ssl", **QUICK)
    info = res.card["training"]
    assert not info["pool_targets"][0]["reliable"] and info["student"] is False
    assert {r["phase"] for r in res.history} == {"teacher"}


def test_inner_folds_are_stratified_and_cover_the_rows() -> None:
    y = np.array([0] * 20 + [1] * 7)
    folds = inner_folds(y, 5, seed=0)
    assert len(folds) == 5
    assert sorted(np.concatenate(folds).tolist()) == list(range(27))
    assert all(1 <= y[f].sum() <= 2 for f in folds)
    assert inner_folds(np.array([0, 0, 1]), 5, seed=0) is None  # a class of one: no stopping
    assert [len(f) for f in inner_folds(np.array([0, 0, 0, 1, 1]), 5, 0)] == [3, 2, 3, 2, 3]


def test_early_stopping_uses_labelled_training_rows_only(table: pd.DataFrame) -> None:
    res = train(table, method="supervised", **QUICK)
    part, inner = res.split["part"], res.split["inner_fold"]
    held = inner != ""
    assert set(part[held]) == {"labelled"}  # never validation or unlabelled rows
    assert held.sum() == (part == "labelled").sum()  # every labelled row held out once
    assert sorted(set(inner[held])) == ["1", "2", "3"]
    # the validation rows never steer training: scrambling their features (the split depends on
    # labels and chromosomes only) changes their scores but nothing learned
    scrambled = table.copy()
    val = np.flatnonzero(part == "validation")
    cols = ["DNase_max", "DNase_sum", "H3K27ac_max", "noise"]
    scrambled.loc[val, cols] = np.random.default_rng(0).permutation(table.loc[val, cols].to_numpy())
    again = train(scrambled, method="supervised", **QUICK)
    assert again.metrics["val_auroc"] != res.metrics["val_auroc"]
    assert (again.split["part"] == part).all()
    assert again.card["training"]["member_epochs"] == res.card["training"]["member_epochs"]
    for (k, a), b in zip(
        res.model.state_dict().items(), again.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), k


def test_ensemble_trainer_inner_rows_avoid_validation_and_training_rows() -> None:
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(90, 4)).astype(np.float32))
    y = (x[:, 0] > 0).long().numpy()
    y[60:] = -1  # a pool
    cfg = TrainConfig(members=3, patience=3, epochs=8)
    ens = EnsembleTrainer(lambda s: build_model("mlp", n_tab=4), cfg, seed=1).fit(
        Inputs(None, x), y, X_val=Inputs(None, x[:10]), y_val=y[:10]
    )
    assert isinstance(ens.model_, Ensemble) and len(ens.members_) == 3
    seen = np.concatenate(ens.inner_)
    assert sorted(seen.tolist()) == list(range(60))  # labelled rows only, each once
    assert sorted(ens.oof_rows_.tolist()) == list(range(60)) and ens.oof_logits_.shape == (60, 1)
    assert all(1 <= e <= 8 for e in ens.member_epochs_)
    assert {"inner_loss", "val_auroc", "members_training"} <= set(ens.history_[0])


def test_soft_ssl_is_seeded_and_saves_one_file(table: pd.DataFrame, tmp_path) -> None:
    a = train(table, method="ssl", seed=4, **QUICK)
    b = train(table, method="ssl", seed=4, **QUICK)
    assert a.metrics["val_auroc"] == b.metrics["val_auroc"]
    for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values(), strict=True):
        assert torch.equal(x, y)
    c = train(table, method="ssl", seed=5, **QUICK)
    assert a.metrics["val_loss"] != c.metrics["val_loss"]
    assert a.card["preset"] == "robust" and a.card["architecture"]["members"] == 3
    targets = a.card["training"]["pool_targets"][0]
    assert 0 < targets["pool_prior"] < 1 and targets["train_prior"] == 0.5
    phases = {r["phase"] for r in a.history}
    assert phases == {"teacher", "student"}
    assert set(a.card["inputs"]["scaler"]["transforms"]) <= {"identity", "log1p", "arcsinh"}
    save_model(a, tmp_path / "m")
    assert [p.name for p in (tmp_path / "m").glob("*.safetensors")] == [WEIGHTS]
    loaded = load_model(tmp_path / "m", device="cpu")
    assert isinstance(loaded.model, Ensemble) and len(loaded.model.members) == 3
    p = loaded.predict_proba(table)[:, 0]
    with torch.no_grad():
        x_tab = torch.from_numpy(a.scaler.transform(table[list(a.scaler.columns)].to_numpy()))
        members = [torch.softmax(m(None, x_tab), 1)[:, 1].numpy() for m in a.model.members]
    np.testing.assert_allclose(p, np.mean(members, axis=0), atol=1e-5)


def test_paper_preset_is_the_old_recipe(table: pd.DataFrame) -> None:
    cfg = TrainConfig(preset="paper").resolved(("tab",))
    assert {k: getattr(cfg, k) for k in PAPER_RECIPE} == PAPER_RECIPE
    assert (cfg.optimizer, cfg.lr, cfg.epochs, cfg.batch_size) == ("sgd", 0.03, 30, 16)
    robust = TrainConfig().resolved(("tab",))
    assert {k: getattr(robust, k) for k in ROBUST_RECIPE} == ROBUST_RECIPE
    assert TrainConfig(lr=0.1).resolved(("tab",)).lr == 0.1  # an explicit option wins
    seq = TrainConfig().resolved(("seq", "tab"))  # sequence networks: the paper + transform
    assert (seq.optimizer, seq.members, seq.transform) == ("sgd", 1, "auto")
    assert TrainConfig.from_dict({"method": "ssl"}).preset == "paper"  # a card before presets
    every = TrainConfig(preset="robust-all")
    assert every.resolved(("seq", "tab")).members == 5 and every.resolved(("seq",)).pseudo == "soft"
    assert every.resolved(("seq",)).transform == "none"
    assert TrainConfig(preset="robust-all", pseudo="argmax").resolved(("seq",)).members == 1
    opts = {"n_labelled": 60, "n_val": 40, "epochs": 3}
    old = train(table, method="ssl", preset="paper", **opts)
    spelled = train(table, method="ssl", **{**PAPER_RECIPE, **opts})
    assert not isinstance(old.model, Ensemble) and old.scaler.transforms is None
    assert old.card["preset"] == "paper" and old.card["architecture"]["members"] == 1
    assert old.metrics["val_loss"] == spelled.metrics["val_loss"]
    assert "alpha" in old.history[0]  # the paper's pseudo-labelling trainer


def test_robust_default_beats_the_paper_recipe_on_heavy_tails() -> None:
    x, y = make_classification(
        n_samples=1200,
        n_features=8,
        n_informative=5,
        n_redundant=1,
        n_clusters_per_class=1,
        weights=[0.8],
        class_sep=0.2,
        flip_y=0.02,
        random_state=12,
    )
    x = np.exp(x * np.random.default_rng(12).uniform(0.8, 1.4, size=8))  # log-normal tails
    t = pd.DataFrame(x, columns=[f"f{j}" for j in range(8)])
    t["label"] = pd.array(y, dtype="Int8")
    opts = {"method": "supervised", "seed": 0, "n_labelled": 160, "n_val": 160}
    old = train(t, preset="paper", **opts).metrics["val_auroc"]
    new = train(t, **opts).metrics["val_auroc"]
    assert new > old + 0.05, (old, new)  # measured 0.788 -> 0.936


def test_soft_ssl_reports_curves_and_honours_stop(table: pd.DataFrame) -> None:
    events: list[dict] = []
    res = train(table, method="ssl", progress=events.append, **QUICK)
    epochs = [e for e in events if e["event"] == "epoch"]
    assert {e["stage"] for e in epochs} == {"teacher", "student"}
    assert all(0.0 <= e["val_auroc"] <= 1.0 for e in epochs)
    assert [e["epoch"] for e in epochs if e["stage"] == "student"][:3] == [1, 2, 3]

    class StopAfterFirstEpoch:
        def __init__(self) -> None:
            self.seen = 0

        def __call__(self, event: dict) -> None:
            self.seen += event["event"] == "epoch"

        def is_set(self) -> bool:
            return self.seen >= 1

    flag = StopAfterFirstEpoch()
    stopped = train(table, method="ssl", progress=flag, stop=flag, **QUICK)
    assert stopped.card["training"]["termination"] == "stopped"
    assert len(stopped.history) == 1 < len(res.history)
