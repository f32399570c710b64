"""plan_training: the same counts, batches and alpha(t) as the run it describes; the reason a
table cannot be trained on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from _synthetic import META, one_thread, synthetic_table  # noqa: F401 (one_thread: autouse fixture)

from ncv_core.training import train
from ncv_core.training.plan import n_batches, plan_training
from ncv_core.training.steps import shuffled_batches


@pytest.mark.parametrize(("n", "size"), [(1, 16), (16, 16), (17, 16), (18, 16), (550, 16), (33, 8)])
def test_n_batches_is_the_number_shuffled_batches_makes(n: int, size: int) -> None:
    g = torch.Generator().manual_seed(0)
    assert n_batches(n, size) == len(shuffled_batches(n, size, g))


def test_n_batches_by_hand() -> None:
    assert n_batches(550, 16) == 35  # the demo's GM12878: 275 + 275 labelled rows
    assert n_batches(17, 16) == 1  # the single last row joins the batch before it


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return synthetic_table(200, seed=3, unlabelled=40)


def test_plan_matches_the_run(table) -> None:
    opts = {"epochs": 3, "t1": 2, "t2": 40, "n_labelled": 40, "n_val": 20, "seed": 0}
    plan = plan_training(table, meta=META, **opts)
    assert plan.problem is None
    res = train(table, meta=META, **opts)
    counts = res.card["split"]["counts"]
    assert plan.n_labelled == counts["labelled"]["n"] == 40
    assert plan.n_validation == counts["validation"]["n"] == 20
    assert plan.n_unlabelled == counts["unlabelled"]["n"]
    assert plan.batches_per_epoch == n_batches(40, 16) == 3
    # alpha of the last batch (t = 3 * 3 - 1 = 8): (8 - 2) / (40 - 2), as the run recorded it
    assert plan.final_alpha == pytest.approx(6 / 38)
    assert res.history[-1]["alpha"] == pytest.approx(plan.final_alpha)
    assert plan.epochs_for_full_alpha == 40 // 3 + 1


def test_epochs_for_full_alpha_complete_the_ramp(table) -> None:
    opts = {"t1": 1, "t2": 7, "n_labelled": 40, "n_val": 20, "seed": 0}
    need = plan_training(table, meta=META, **opts).epochs_for_full_alpha
    assert need == 3  # 3 batches an epoch: t = 7 is the first batch of epoch 3
    full = train(table, meta=META, epochs=need, **opts).history
    short = train(table, meta=META, epochs=need - 1, **opts).history
    assert full[-1]["alpha"] == 1.0 and short[-1]["alpha"] < 1.0
    assert plan_training(table, meta=META, epochs=need, **opts).final_alpha == 1.0


def test_other_methods_and_cv(table) -> None:
    sup = plan_training(table, meta=META, method="supervised", n_labelled=40, n_val=20)
    assert sup.problem is None and sup.final_alpha is None and sup.epochs_for_full_alpha is None
    cv = plan_training(table, meta=META, split="cv", folds=3, n_labelled=40)
    assert cv.problem is None and cv.n_validation == 0 and cv.n_labelled == 40


def test_the_reason_a_table_cannot_be_trained_on(table) -> None:
    unlabelled = table.assign(label=pd.array([pd.NA] * len(table), dtype="Int8"))
    plan = plan_training(unlabelled, meta=META)
    assert plan.problem is not None and "no labelled rows" in plan.problem
    assert plan.n_labelled == 0 and plan.batches_per_epoch == 0
    with pytest.raises(Exception, match="no labelled rows") as raised:  # the same message
        train(unlabelled, meta=META, epochs=1)
    assert str(raised.value) == plan.problem
    assert "no rows" in plan_training(table.iloc[:0], meta=META).problem
    assert "seq" in plan_training(table.drop(columns=["seq"]), meta=META, model="deepbind").problem
    assert "unknown training option" in plan_training(table, meta=META, colour="red").problem
    cv = plan_training(unlabelled, meta=META, split="cv")
    assert cv.problem is not None
    assert np.isfinite(plan_training(table, meta=META).final_alpha)


def test_the_plan_resolves_the_preset_as_train_does(table) -> None:
    tab = table.drop(columns=["seq"])  # a tabular table: mlp, robust preset, soft ssl (no ramp)
    soft = plan_training(tab, meta=META, model="mlp", n_labelled=40, n_val=20)
    assert soft.problem is None and soft.final_alpha is None and soft.epochs_for_full_alpha is None
    paper = plan_training(tab, meta=META, model="mlp", preset="paper", n_labelled=40, n_val=20)
    assert paper.problem is None and paper.batches_per_epoch == 3  # 40 rows, batches of 16
    assert paper.final_alpha == 0.0  # 30 epochs x 3 batches = 90 < t1 = 100: the ramp not begun
    assert paper.epochs_for_full_alpha == 600 // 3 + 1
