"""Splits, the alpha schedule, promotion, the supervised/SSL equivalence, determinism, CV,
Noisy Student, progress and stopping."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
import torch
from _synthetic import META, one_thread, synthetic_table  # noqa: F401 (one_thread: autouse fixture)

from ncv_core.errors import NcvError
from ncv_core.io.tables import json_ready
from ncv_core.models import build_model
from ncv_core.models.encoding import Inputs, Scaler, label_matrix, select_features
from ncv_core.sequence import one_hot
from ncv_core.training import (
    PseudoLabelTrainer,
    SupervisedTrainer,
    TrainConfig,
    cv_split,
    default_sizes,
    paper_split,
    train,
)
from ncv_core.training.steps import alpha_schedule, pseudo_labels, shuffled_batches

FAST = {"epochs": 2, "n_labelled": 60, "n_val": 40}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return synthetic_table(300, seed=1, unlabelled=20)


@pytest.mark.parametrize("batch_size", [1, 3, 16, 32])
def test_shuffled_batches_cover_every_row_once(batch_size: int) -> None:
    gen = torch.Generator().manual_seed(0)
    for n in range(1, 70):
        batches = shuffled_batches(n, batch_size, gen)
        assert sorted(torch.cat(batches).tolist()) == list(range(n))
        assert all(len(b) >= min(2, n, batch_size) for b in batches)


def test_alpha_schedule() -> None:
    assert [alpha_schedule(t) for t in (0, 99, 100)] == [0.0, 0.0, 0.0]
    assert alpha_schedule(350) == 0.5 and alpha_schedule(599) == pytest.approx(499 / 500)
    assert alpha_schedule(600) == 1.0 and alpha_schedule(10_000) == 1.0
    assert alpha_schedule(15, t1=10, t2=20) == 0.5


@pytest.mark.parametrize(
    ("counts", "sizes", "design"),
    [
        ((683, 2745), (550, 272), ((275, 275), (272, 2334), (136, 136))),
        # the paper prints 197 unlabelled positives for HepG2, but 523 - 225 - 104 = 194
        ((523, 1432), (450, 208), ((225, 225), (194, 1103), (104, 104))),
        ((340, 1356), (350, 136), ((175, 175), (97, 1113), (68, 68))),
    ],
)
def test_paper_split_reproduces_table_2(counts, sizes, design) -> None:
    rng = np.random.default_rng(0)
    labels = rng.permutation(np.r_[np.ones(counts[0], int), np.zeros(counts[1], int)])
    chroms = rng.choice([f"chr{i}" for i in range(1, 23)], len(labels))
    split = paper_split(labels, chroms, n_labelled=sizes[0], n_val=sizes[1], seed=3)
    got = split.counts(labels)
    for part, (pos, neg) in zip(("labelled", "unlabelled", "validation"), design, strict=True):
        assert (got[part]["pos"], got[part]["neg"]) == (pos, neg)
    assert split.by_chromosome and split.validation_chromosomes
    val_chroms = set(chroms[split.rows("validation")])
    assert val_chroms <= set(split.validation_chromosomes)
    assert not val_chroms & set(chroms[split.rows("labelled")])


def test_default_sizes_follow_the_paper_proportions() -> None:
    assert default_sizes(683, 2745) == (546, 272)
    assert default_sizes(340, 1356) == (272, 136)


def test_paper_split_random_rows_and_missing_labels() -> None:
    labels = np.r_[np.ones(30, int), np.zeros(60, int), -np.ones(10, int)]
    with pytest.warns(UserWarning, match="whole chromosomes"):
        split = paper_split(labels, ["chr1"] * 50 + ["chr2"] * 50, n_labelled=20, n_val=20)
    assert not split.by_chromosome
    assert (split.part[labels == -1] == "unlabelled").all()
    assert split.counts(labels)["validation"] == {"n": 20, "pos": 10, "neg": 10}
    with pytest.raises(NcvError, match="positive"):
        paper_split(labels, n_labelled=60, n_val=20)


def test_cv_split_is_stratified_and_complete() -> None:
    labels = np.r_[np.ones(40, int), np.zeros(100, int), -np.ones(5, int)]
    fold = cv_split(labels, folds=5, seed=0)
    assert (fold[labels == -1] == -1).all()
    for k in range(5):
        assert ((fold == k) & (labels == 1)).sum() == 8
    chroms = np.array([f"c{i % 7}" for i in range(len(labels))])
    fold = cv_split(labels, chroms, folds=5, seed=0)
    for c in np.unique(chroms):
        assert len(set(fold[(chroms == c) & (labels >= 0)])) == 1
    with pytest.raises(NcvError):
        cv_split(labels[:5], folds=5)


def _data(n: int = 200, seed: int = 0) -> tuple[Inputs, np.ndarray, Inputs, np.ndarray]:
    t = synthetic_table(n, seed=seed)
    cols = META["feature_columns"]
    sc = Scaler.fit(t[cols].to_numpy(), cols)
    from ncv_core.models.encoding import encode

    x = encode(t, scaler=sc, uses_seq=True)
    y = label_matrix(t, ["label"])[:, 0]
    n_val = n // 5
    return x.take(np.arange(n_val, n)), y[n_val:], x.take(np.arange(n_val)), y[:n_val]


def _model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_model("ssl_dnn", n_tab=4)


def test_alpha_zero_without_promotion_equals_supervised_bit_for_bit() -> None:
    X, y, Xv, yv = _data()
    y_semi = y.copy()
    y_semi[::3] = -1  # a third of the rows unlabelled
    sup = SupervisedTrainer(_model(), TrainConfig(epochs=3), seed=5).fit(
        X, y_semi, X_val=Xv, y_val=yv
    )
    ssl = PseudoLabelTrainer(_model(), TrainConfig(epochs=3), seed=5, alpha=lambda t: 0.0).fit(
        X, y_semi, X_val=Xv, y_val=yv, y_hidden=np.where(y_semi < 0, y, -1)
    )
    for (k, a), b in zip(
        sup.model.state_dict().items(), ssl.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), k
    for h_sup, h_ssl in zip(sup.history_, ssl.history_, strict=True):
        for key in ("train_loss", "val_loss", "val_auroc", "val_aupr"):
            assert h_sup[key] == h_ssl[key]
    # and the ramp really changes the result once alpha > 0
    ramp = PseudoLabelTrainer(_model(), TrainConfig(epochs=3, t1=0, t2=5), seed=5)
    ramp.fit(X, y_semi, X_val=Xv, y_val=yv)
    assert not torch.equal(ramp.model.fc3.weight, sup.model.fc3.weight)


def _step_norm(max_grad_norm: float | None, lr: float = 0.01) -> tuple[float, torch.nn.Module]:
    """||w1 - w0|| / lr over all parameters after one SGD step on one batch of every row."""
    X, y, _, _ = _data(60)
    before = [p.detach().clone() for p in _model().parameters()]
    cfg = TrainConfig(epochs=1, batch_size=len(y), lr=lr, max_grad_norm=max_grad_norm)
    tr = SupervisedTrainer(_model(), cfg, seed=2).fit(X, y)
    assert tr.n_batches_ == 1
    sq = sum(
        float(((p.detach() - b) ** 2).sum())
        for p, b in zip(tr.model.parameters(), before, strict=True)
    )
    return sq**0.5 / lr, tr.model


def test_gradient_clipping_bounds_the_step() -> None:
    raw, plain = _step_norm(None)
    assert raw > 0.5
    clipped, _ = _step_norm(raw / 4)  # SGD: the step is lr x the clipped gradient, of norm c
    assert clipped == pytest.approx(raw / 4, rel=1e-4)
    _, loose = _step_norm(raw * 10)  # never reached: the same step as no clipping, bit for bit
    for a, b in zip(plain.state_dict().values(), loose.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    with pytest.raises(NcvError, match="max_grad_norm must be positive"):
        TrainConfig(max_grad_norm=0.0)
    assert TrainConfig().max_grad_norm == 5.0


def test_promotion_moves_confident_rows_and_keeps_given_labels() -> None:
    X, y, Xv, yv = _data()
    y_semi = y.copy()
    y_semi[::2] = -1
    before = y_semi.copy()
    tr = PseudoLabelTrainer(_model(), TrainConfig(epochs=3, threshold=0.6, t1=0, t2=10))
    tr.fit(X, y_semi, X_val=Xv, y_val=yv, y_hidden=np.where(y_semi < 0, y, -1))
    assert np.array_equal(y_semi, before)  # the caller's labels never change
    given = before >= 0
    assert (tr.labeled_iter_[given] == 0).all()
    assert np.array_equal(tr.transduction_[given, 0], before[given])
    promoted = tr.labeled_iter_ > 0
    assert promoted.any() and set(tr.labeled_iter_[promoted]) <= {1, 2, 3}
    assert (tr.transduction_[promoted] >= 0).all()
    assert (tr.transduction_[tr.labeled_iter_ < 0] == -1).all()
    assert sum(h["promoted"] for h in tr.history_) == promoted.sum()
    acc = tr.history_[-1]["promoted_acc"]
    expect = (tr.transduction_[promoted, 0] == y[promoted]).mean()
    assert acc == pytest.approx(expect)
    assert tr.history_[1]["n_labelled"] == given.sum() + tr.history_[0]["promoted"]


def test_train_is_deterministic_under_a_seed(table) -> None:
    a = train(table, meta=META, seed=7, **FAST)
    b = train(table, meta=META, seed=7, **FAST)
    c = train(table, meta=META, seed=8, **FAST)

    def strip(history: list[dict]) -> list[dict]:
        return json_ready([{k: v for k, v in h.items() if k != "seconds"} for h in history])

    assert strip(a.history) == strip(b.history)
    assert json_ready(a.metrics) == json_ready(b.metrics) and a.split.equals(b.split)
    assert a.metrics["val_auroc"] != c.metrics["val_auroc"] or not a.split.equals(c.split)
    for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values(), strict=True):
        assert torch.equal(x, y)


def test_train_paper_split_result(table) -> None:
    res = train(table, meta=META, method="ssl", **FAST)
    assert res.model.training is False
    parts = res.split["part"].value_counts().to_dict()
    assert parts["labelled"] == 60 and parts["validation"] == 40
    assert (res.split.loc[table["label"].isna().to_numpy(), "part"] == "unlabelled").all()
    assert list(res.split.columns) == ["id", "part"]
    assert res.card["inputs"]["feature_columns"] == META["feature_columns"]
    assert set(res.metrics["baselines"]) == {"CADD"}
    train_rows = res.split["part"].to_numpy() != "validation"
    mean = table.loc[train_rows, META["feature_columns"]].to_numpy().mean(axis=0)
    np.testing.assert_allclose(res.scaler.mean, mean)  # scaling fitted on training rows only
    assert res.history[-1]["epoch"] == 2 and "pseudo_acc" in res.history[-1]
    tr = res.card["training"]
    assert tr["n_examples"] == 2 * 60  # alpha is still 0: labelled rows only


def test_validation_rows_never_reach_the_trainer(table, monkeypatch) -> None:
    seen = {}
    original = PseudoLabelTrainer.fit

    def spy(self, X, y, **kw):
        seen["n"], seen["seq"] = len(X), X.seq
        return original(self, X, y, **kw)

    monkeypatch.setattr(PseudoLabelTrainer, "fit", spy)
    res = train(table, meta=META, threshold=0.5, **FAST)
    assert seen["n"] == len(table) - 40
    val = np.flatnonzero(res.split["part"].to_numpy() == "validation")
    val_seq = torch.from_numpy(one_hot(table["seq"].iloc[val].tolist()))
    train_seqs = {tuple(s.argmax(0).tolist()) for s in seen["seq"]}
    assert not any(tuple(s.argmax(0).tolist()) in train_seqs for s in val_seq)


def test_ssl_learns_the_planted_signal() -> None:
    t = synthetic_table(400, seed=2)
    res = train(t, meta=META, epochs=6, n_labelled=100, n_val=80, seed=0)
    assert res.metrics["val_auroc"] > 0.85


def test_cross_validation_reports_mean_and_se(table) -> None:
    res = train(table, meta=META, method="supervised", split="cv", folds=3, epochs=1)
    m = res.metrics
    assert len(m["folds"]) == 3 and len(res.fold_models) == 3
    vals = [f["val_auroc"] for f in m["folds"]]
    assert m["val_auroc"] == pytest.approx(np.mean(vals))
    assert m["val_auroc_se"] == pytest.approx(np.std(vals, ddof=1) / np.sqrt(3))
    assert {"part", "fold1", "fold2", "fold3", "final"} <= set(res.split.columns)
    labelled = table["label"].notna().to_numpy()
    assert set(res.split.loc[labelled, "part"]) == {"1", "2", "3"}
    for k in (1, 2, 3):
        is_val = res.split[f"fold{k}"] == "validation"
        assert (res.split.loc[is_val, "part"] == str(k)).all()


def test_noisy_student(table) -> None:
    res = train(table, meta=META, method="noisy-student", iterations=2, **FAST)
    phases = [h["phase"] for h in res.history]
    assert phases == ["teacher"] * 2 + ["student1"] * 2 + ["student2"] * 2
    assert res.card["training"]["iterations_run"] == 2
    assert res.card["training"]["pseudo_labelled"] == 300 - 60 - 40
    assert 0.0 <= res.history[-1]["pseudo_acc"] <= 1.0


def test_progress_events_and_stop(table) -> None:
    events: list[dict] = []
    stop = threading.Event()

    def progress(e: dict) -> None:
        events.append(e)
        if e["event"] == "epoch":
            stop.set()

    res = train(table, meta=META, progress=progress, stop=stop, epochs=5, n_labelled=60, n_val=40)
    assert res.card["training"]["termination"] == "stopped" and len(res.history) == 1
    batches = [e for e in events if e["event"] == "batch"]
    assert batches and {"stage", "done", "total", "loss", "batch", "n_batches"} <= set(batches[0])
    epoch = [e for e in events if e["event"] == "epoch"][0]
    assert epoch["done"] == 1 and epoch["total"] == 5 and "val_auroc" in epoch


def test_adam_optimizer(table) -> None:
    res = train(table, meta=META, method="supervised", optimizer="adam", lr=0.001, **FAST)
    assert res.card["config"]["optimizer"] == "adam"
    with pytest.raises(NcvError, match="optimizer"):
        TrainConfig(optimizer="lbfgs")


def test_tabular_only_and_sequence_only_models(table) -> None:
    tab = train(table.drop(columns="seq"), meta=META, **FAST)
    assert tab.card["architecture"]["name"] == "mlp"
    seq = train(
        table,
        meta=META,
        model="deepbind",
        model_kwargs={"filters": 8, "kernel": 7, "hidden": 8},
        **FAST,
    )
    assert seq.card["inputs"]["feature_columns"] == [] and seq.scaler is None
    with pytest.raises(NcvError, match="seq"):
        train(table.drop(columns="seq"), model="ssl_dnn", **FAST)


def test_multi_task_basset(table) -> None:
    t = table.assign(label2=table["label"].fillna(0).astype(int) ^ (np.arange(len(table)) % 5 == 0))
    res = train(
        t,
        meta=META,
        method="supervised",
        model="basset",
        label_cols=("label", "label2"),
        model_kwargs={"channels": [4, 4, 4], "kernels": [5, 3, 3], "hidden": [8, 8]},
        **FAST,
    )
    assert res.model.head == "sigmoid" and res.model.n_tasks == 2
    assert res.card["inputs"]["label_columns"] == ["label", "label2"]


def test_feature_selection(table) -> None:
    assert select_features(table, META) == META["feature_columns"]
    auto = select_features(table, {"baseline_columns": ["CADD"]})
    assert auto == ["DNase_max", "DNase_sum", "H3K27ac_max", "noise"]
    assert "CADD" in select_features(table)  # no metadata: every numeric column
    assert select_features(table, META, exclude_cols=["noise"])[-1] == "H3K27ac_max"
    assert select_features(table, feature_cols=["noise"]) == ["noise"]
    with pytest.raises(NcvError, match="not numeric"):
        select_features(table, feature_cols=["chrom"])
    with pytest.raises(NcvError, match="exclude"):
        select_features(table, exclude_cols=["nope"])


def test_bad_labels_and_options(table) -> None:
    bad = table.assign(label=table["label"].astype("float").fillna(2))
    with pytest.raises(NcvError, match="expected 0, 1 or empty"):
        label_matrix(bad, ["label"])
    with pytest.raises(NcvError, match="label column"):
        train(table, label_cols=("nope",), **FAST)
    with pytest.raises(NcvError, match="unknown method"):
        TrainConfig(method="magic")
    with pytest.raises(NcvError, match="unknown training option"):
        train(table, colour="red")


def test_pseudo_labels_and_confidence() -> None:
    labels, conf = pseudo_labels("softmax", torch.tensor([[0.0, 1.0], [2.0, 0.0]]))
    assert labels[:, 0].tolist() == [1, 0]
    assert conf.tolist() == pytest.approx([1 / (1 + np.exp(-1)), 1 / (1 + np.exp(-2))])
    multi, conf = pseudo_labels("sigmoid", torch.tensor([[3.0, -1.0]]))
    assert multi.tolist() == [[1, 0]] and conf.item() == pytest.approx(1 / (1 + np.exp(-1)))


def test_promotion_waits_for_the_unlabelled_loss() -> None:
    X, y, Xv, yv = _data()
    y_semi = y.copy()
    y_semi[::2] = -1
    cfg = TrainConfig(epochs=3, threshold=0.5, t1=1000, t2=2000, promote_from=None)
    tr = PseudoLabelTrainer(_model(), cfg)
    tr.fit(X, y_semi, X_val=Xv, y_val=yv)
    assert (tr.labeled_iter_ <= 0).all() and tr.history_[-1]["n_promoted_total"] == 0
    tr = PseudoLabelTrainer(_model(), TrainConfig(epochs=3, threshold=0.5, t1=1000, t2=2000))
    tr.fit(X, y_semi, X_val=Xv, y_val=yv)
    assert (tr.labeled_iter_ > 0).any()


def test_train_passes_the_ssl_options(table) -> None:
    opts = {"t1": 1000, "t2": 2000, "threshold": 0.5, "epochs": 2, "n_labelled": 60, "n_val": 40}
    late = train(table, meta=META, promote_from=None, **opts)
    assert late.card["training"]["promoted_total"] == 0
    assert train(table, meta=META, **FAST).card["config"]["threshold"] is None
    early = train(table, meta=META, promote_from=0, **opts)
    assert early.card["training"]["promoted_total"] > 0
    assert early.card["config"]["promote_from"] == 0
    none = train(table, meta=META, promote_from=0, **{**opts, "threshold": None})
    assert none.card["training"]["promoted_total"] == 0
