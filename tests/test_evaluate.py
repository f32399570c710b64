"""Metrics against hand-computed cases, undefined metrics, CV summaries, baselines, the
cross-cell-line matrix and model evaluation on the right rows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from _synthetic import META, one_thread, synthetic_table, threads  # noqa: F401 (one_thread: autouse fixture)
from sklearn.metrics import roc_auc_score

from ncv_core.errors import NcvError
from ncv_core.evaluate import cross_cell_line, evaluate_model, evaluation_rows
from ncv_core.metrics import (
    baseline_metrics,
    binary_metrics,
    cv_summary,
    mean_se,
    pr_curve,
    roc_curve,
)
from ncv_core.models.loaded import LoadedModel
from ncv_core.training import train


def test_auroc_aupr_accuracy_by_hand() -> None:
    y, s = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
    m = binary_metrics(y, s)
    # pairs (pos, neg): (0.35 > 0.1), (0.35 < 0.4), (0.8 > 0.1), (0.8 > 0.4) -> 3 of 4
    assert m["auroc"] == 0.75
    # ranked: 0.8 (+), 0.4 (-), 0.35 (+), 0.1 (-): AP = 0.5 * 1 + 0.5 * 2/3
    assert m["aupr"] == pytest.approx(0.5 + 1 / 3)
    assert m["accuracy"] == 0.75  # >= 0.5: only 0.8 predicted positive, 0.35 missed
    assert (m["n"], m["n_pos"], m["n_neg"], m["undefined"]) == (4, 2, 2, {})
    assert binary_metrics(y, s, threshold=0.9)["accuracy"] == 0.5  # all predicted negative


def test_ties_and_missing_entries() -> None:
    m = binary_metrics([1, 0, 1, -1, np.nan, 0], [0.5, 0.5, 0.9, 0.1, 0.2, np.nan])
    assert m["n"] == 3 and m["auroc"] == 0.75  # the tie counts one half
    y = pd.array([1, 0, None, 1], dtype="Int8")
    assert binary_metrics(y, [0.9, 0.1, 0.5, 0.8])["n"] == 3


def test_single_class_auroc_is_undefined_not_a_crash() -> None:
    m = binary_metrics([1, 1, 1], [0.2, 0.5, 0.9])
    assert math.isnan(m["auroc"]) and "single-class" in m["undefined"]["auroc"]
    assert m["aupr"] == 1.0 and m["accuracy"] == pytest.approx(2 / 3)
    neg = binary_metrics([0, 0], [0.2, 0.5])
    assert math.isnan(neg["aupr"]) and "aupr" in neg["undefined"]
    empty = binary_metrics([], [])
    assert math.isnan(empty["accuracy"]) and set(empty["undefined"]) == {
        "auroc",
        "aupr",
        "accuracy",
    }
    assert roc_curve([1, 1], [0.1, 0.2]) == {"fpr": [], "tpr": [], "thresholds": []}
    assert pr_curve([0, 0], [0.1, 0.2])["precision"] == []


def test_curves_agree_with_auroc() -> None:
    rng = np.random.default_rng(0)
    y, s = rng.integers(0, 2, 200), rng.random(200)
    roc = roc_curve(y, s)
    assert np.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(roc_auc_score(y, s))
    assert roc["thresholds"][0] is None  # sklearn's +inf, JSON-safe
    pr = pr_curve(y, s)
    assert len(pr["precision"]) == len(pr["recall"]) == len(pr["thresholds"]) + 1


def test_mean_se_and_cv_summary() -> None:
    mean, se = mean_se([1.0, 2.0, 3.0])
    assert mean == 2.0 and se == pytest.approx(1 / math.sqrt(3))
    assert math.isnan(mean_se([0.7])[1]) and math.isnan(mean_se([])[0])
    assert mean_se([1.0, np.nan, 3.0]) == (2.0, pytest.approx(1.0))
    s = cv_summary([{"a": 1.0}, {"a": 3.0}], ["a"])
    assert s == {"a_mean": 2.0, "a_se": pytest.approx(1.0)}


def test_baseline_metrics_on_the_same_rows() -> None:
    t = pd.DataFrame({"CADD": [0.1, 0.4, 0.35, 0.8, np.nan], "DANN": ["1", "2", "3", "4", "5"]})
    y = [0, 0, 1, 1, 1]
    out = baseline_metrics(t, ["CADD", "DANN"], y, curves=True)
    assert out["CADD"]["auroc"] == 0.75 and out["CADD"]["n"] == 4  # NaN score left out
    assert out["DANN"]["auroc"] == pytest.approx(roc_auc_score(y, [1, 2, 3, 4, 5]))
    assert "accuracy" not in out["CADD"] and out["CADD"]["roc"]["fpr"]


@pytest.fixture(scope="module")
def trained() -> tuple[pd.DataFrame, LoadedModel]:
    table = synthetic_table(240, seed=4)
    with threads(1):
        res = train(table, meta=META, epochs=2, n_labelled=60, n_val=40, seed=0)
    return table, LoadedModel(res.model, res.card, res.split)


def test_evaluate_model_uses_validation_rows_of_its_own_table(trained) -> None:
    table, loaded = trained
    idx, which = evaluation_rows(loaded, table)
    assert which == "validation" and len(idx) == 40
    assert set(table["id"].iloc[idx]) == set(
        loaded.split.loc[loaded.split.part == "validation", "id"]
    )
    out = evaluate_model(loaded, table, meta=META)
    assert out["rows"] == "validation" and out["n"] == 40
    assert out["auroc"] == pytest.approx(loaded.card["metrics"]["val_auroc"])
    assert set(out["baselines"]) == {"CADD"} and out["baselines"]["CADD"]["n"] == 40
    other = synthetic_table(100, seed=9)
    out = evaluate_model(loaded, other, meta=META, curves=False)
    assert out["rows"] == "all" and out["n"] == 100 and "roc" not in out


def test_cross_cell_line_matrix(trained) -> None:
    table, loaded = trained
    tables = {"A": synthetic_table(80, seed=5), "B": synthetic_table(60, seed=6)}
    matrix = cross_cell_line({"A": loaded, "B": [loaded, loaded]}, tables)
    assert list(matrix.columns) == [
        "train",
        "test",
        "auroc",
        "auroc_se",
        "accuracy",
        "accuracy_se",
        "n",
    ]
    assert len(matrix) == 4 and matrix["n"].tolist() == [80, 60, 80, 60]
    a = matrix.set_index(["train", "test"])
    assert a.loc[("A", "B"), "auroc"] == pytest.approx(a.loc[("B", "B"), "auroc"])
    assert a.loc[("B", "B"), "auroc_se"] == 0.0
    own = cross_cell_line({"A": loaded}, {"own": table})
    assert own["n"].tolist() == [40]  # only the model's validation rows of its own table


@pytest.fixture(scope="module")
def cross_validated(tmp_path_factory) -> tuple[pd.DataFrame, LoadedModel, object]:
    """A 3-fold CV run (its final model refit on every row), saved and loaded back."""
    from ncv_core.io.model_folder import load_model, save_model

    table = synthetic_table(240, seed=4, unlabelled=30)
    with threads(1):
        res = train(table, meta=META, epochs=2, split="cv", folds=3, n_labelled=30, seed=0)
    folder = save_model(res, tmp_path_factory.mktemp("cv") / "model")
    return table, load_model(folder, device="cpu"), res


def test_cv_model_on_its_own_table_is_evaluated_out_of_fold(cross_validated) -> None:
    table, loaded, res = cross_validated
    labelled = np.flatnonzero(table["label"].notna().to_numpy())
    idx, which = evaluation_rows(loaded, table)
    assert which == "out-of-fold" and np.array_equal(idx, labelled)
    # the probabilities are those each fold model gave its own held-out fold: per fold, their
    # AUROC is the fold's validation AUROC recorded during training
    fold = loaded.split["part"].to_numpy()
    p = res.oof.set_index("row")["p"]
    y_all = table["label"].to_numpy(dtype=float)
    for k, recorded in enumerate(loaded.card["metrics"]["folds"], start=1):
        rows = np.flatnonzero(fold == str(k))
        assert roc_auc_score(y_all[rows], p.loc[rows]) == pytest.approx(recorded["val_auroc"])
    expected = np.full(len(table), np.nan)
    expected[p.index] = p.to_numpy()
    out = evaluate_model(loaded, table, meta=META)
    assert out["rows"] == "out-of-fold" and out["n"] == len(labelled)
    assert "out-of-fold" in out["rows_description"]
    y = y_all[labelled]
    assert out["auroc"] == pytest.approx(roc_auc_score(y, expected[labelled]), abs=1e-9)
    # not the final model's numbers on rows it trained on
    final = loaded.predict_proba(table.iloc[labelled], meta=META)[:, 0]
    assert not np.allclose(final, expected[labelled], atol=1e-3)
    assert out["baselines"]["CADD"]["n"] == len(labelled)
    own = cross_cell_line({"A": loaded}, {"own": table})
    assert own["auroc"].iloc[0] == pytest.approx(out["auroc"]) and own["n"].iloc[0] == len(labelled)


def test_cv_model_rows_can_be_chosen(cross_validated) -> None:
    table, loaded, _ = cross_validated
    everything = evaluate_model(loaded, table, meta=META, rows="all", curves=False)
    assert everything["rows"] == "all" and everything["n"] == int(table["label"].notna().sum())
    with pytest.raises(NcvError, match="no validation rows"):
        evaluation_rows(loaded, table, "validation")
    with pytest.raises(NcvError, match="rows must be one of"):
        evaluation_rows(loaded, table, "train")
    other = synthetic_table(50, seed=11)
    assert evaluation_rows(loaded, other)[1] == "all"
    with pytest.raises(NcvError, match="own training table"):
        evaluation_rows(loaded, other, "out-of-fold")


def test_paper_model_has_no_out_of_fold_rows(trained) -> None:
    table, loaded = trained
    with pytest.raises(NcvError, match="no out-of-fold predictions"):
        evaluation_rows(loaded, table, "out-of-fold")
