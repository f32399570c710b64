"""Scores against the average-activity baseline, checked against direct numpy computations."""

from __future__ import annotations

import numpy as np
import pytest
from _impute_cases import HELD

from ncv_core.errors import NcvError
from ncv_core.impute.evaluate import average_activity, evaluate_imputation
from ncv_core.impute.predict import impute


def test_average_activity_is_the_mean_of_the_other_training_cells_of_the_assay(lowrank_base):
    t = lowrank_base
    names = t.track_names()
    row = names.index(("human_c2", "a1"))
    reference = np.arange(t.n_tracks)
    expected = np.mean(
        [t.signal[i] for i, (c, a) in enumerate(names) if a == "a1" and c != "human_c2"], axis=0
    )
    np.testing.assert_allclose(average_activity(t, row, reference), expected, rtol=1e-6)
    only_self = np.array([row])
    assert average_activity(t, row, only_self) is None


def test_scores_match_a_direct_computation_globally_and_under_a_mask(lowrank_fit, lowrank_base):
    t = lowrank_base
    mask = np.zeros(t.n_bins, dtype=bool)
    mask[::7] = True
    scores = evaluate_imputation(lowrank_fit, t, mask=mask)
    names = t.track_names()
    trained = [names.index(p) for p in lowrank_fit.trained]
    for i, (cell, assay) in enumerate(HELD):
        truth = t.signal[names.index((cell, assay))]
        pred = impute(lowrank_fit, cell, assay, original_units=False)
        base = np.mean([t.signal[j] for j in trained if names[j][1] == assay], axis=0)
        assert scores.mse[i] == pytest.approx(np.mean((pred - truth) ** 2), rel=1e-6)
        assert scores.baseline_mse[i] == pytest.approx(np.mean((base - truth) ** 2), rel=1e-5)
        m = scores.masked_mse[i]
        assert m == pytest.approx(np.mean((pred[mask] - truth[mask]) ** 2), rel=1e-6)
        mb = scores.masked_baseline_mse[i]
        assert mb == pytest.approx(np.mean((base[mask] - truth[mask]) ** 2), rel=1e-5)
    summary = scores.summary()
    assert summary["ratio"] == pytest.approx(scores.mse.mean() / scores.baseline_mse.mean())
    assert summary["masked_ratio"] == pytest.approx(
        scores.masked_mse.mean() / scores.masked_baseline_mse.mean()
    )
    rows = scores.as_rows()
    assert [(r["cell"], r["assay"]) for r in rows] == HELD and "masked_mse" in rows[0]


def test_bad_inputs(lowrank_fit, lowrank_base):
    with pytest.raises(NcvError, match="one value per bin"):
        evaluate_imputation(lowrank_fit, lowrank_base, mask=np.ones(3, dtype=bool))
    with pytest.raises(NcvError, match="no measured track"):
        evaluate_imputation(lowrank_fit, lowrank_base, [("human_c0", "zz")])
