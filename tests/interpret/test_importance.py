"""Feature distributions per label and Pearson correlations, against numpy and scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _synthetic import META, synthetic_table
from scipy import stats

from ncv_core.errors import NcvError
from ncv_core.interpret.importance import QUANTILES, feature_group, feature_importance


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    t = synthetic_table(240, seed=3, unlabelled=30)
    t["const"] = 2.5
    t.loc[[0, 5, 9], "noise"] = np.nan
    return t


def test_pearson_matches_scipy_and_numpy(table) -> None:
    res = feature_importance(table, meta=META, features=["DNase_max", "noise", "H3K27ac_max"])
    lab = table["label"].notna().to_numpy()
    y = table.loc[lab, "label"].astype(float).to_numpy()
    for _, row in res.correlation.iterrows():
        x = table.loc[lab, row["feature"]].to_numpy(dtype=float)
        ok = ~np.isnan(x)
        ref = stats.pearsonr(x[ok], y[ok])
        assert row["r"] == pytest.approx(ref.statistic, abs=1e-12)
        assert row["r"] == pytest.approx(np.corrcoef(x[ok], y[ok])[0, 1], abs=1e-12)
        assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)
        assert row["n"] == ok.sum()
    assert res.correlation["abs_r"].is_monotonic_decreasing
    assert res.correlation.iloc[0]["feature"] == "DNase_max"  # the planted signal


def test_constant_feature_has_no_correlation(table) -> None:
    res = feature_importance(table, features=["const", "DNase_max"])
    row = res.correlation.set_index("feature").loc["const"]
    assert np.isnan(row["r"]) and np.isnan(row["p_value"])
    assert res.correlation.iloc[-1]["feature"] == "const"  # NaN sorts last


def test_summary_quantiles_and_histograms(table) -> None:
    res = feature_importance(table, features=["DNase_sum", "noise"], bins=7)
    lab = table["label"].notna().to_numpy()
    for (feature, label), grp in res.summary.groupby(["feature", "label"]):
        assert len(grp) == 1
        row = grp.iloc[0]
        v = table.loc[lab & (table["label"] == label).fillna(False).to_numpy(), feature]
        n_missing = int(v.isna().sum())
        v = v.dropna().to_numpy(dtype=float)
        assert row["n"] == len(v) and row["n_missing"] == n_missing
        assert row["mean"] == pytest.approx(v.mean()) and row["std"] == pytest.approx(v.std(ddof=1))
        names = ["q0", "q05", "q25", "q50", "q75", "q95", "q100"]
        assert [row[c] for c in names] == pytest.approx(list(np.quantile(v, QUANTILES)))
        h = res.histograms[(res.histograms.feature == feature) & (res.histograms.label == label)]
        assert h["count"].sum() == len(v) and len(h) == 7
        assert (h["density"] * (h["right"] - h["left"])).sum() == pytest.approx(1.0)
    assert res.summary.loc[res.summary.feature == "noise", "n_missing"].sum() >= 1
    edges = res.histograms.groupby(["feature", "bin"])["left"].nunique()
    assert (edges == 1).all()  # both labels share the bin edges


def test_standardize_keeps_correlations(table) -> None:
    raw = feature_importance(table, features=["DNase_sum", "H3K27ac_max"])
    z = feature_importance(table, features=["DNase_sum", "H3K27ac_max"], standardize=True)
    assert z.correlation["r"].to_numpy() == pytest.approx(raw.correlation["r"].to_numpy())
    means = z.summary.groupby("feature").apply(
        lambda g: (g["mean"] * g["n"]).sum() / g["n"].sum(), include_groups=False
    )
    assert means.to_numpy() == pytest.approx(0.0, abs=1e-12)


def test_groups_and_errors(table) -> None:
    assert feature_group("DNase_max") == "VI_dnase"
    assert feature_group("H3K27ac_sum") == "I_enhancer"
    assert feature_group("GC_skew") == "nucleotide"
    assert feature_group("CADD") == "other"
    with pytest.raises(NcvError, match="no row"):
        feature_importance(table.assign(label=pd.array([None] * len(table), dtype="Int8")))
    with pytest.raises(NcvError, match="not numeric"):
        feature_importance(table, features=["id"])


def test_zero_one_features_are_named_binary(table) -> None:
    t = table.assign(DNase_peak=(table["DNase_max"] > 1.0).astype(float))
    t.loc[3, "DNase_peak"] = np.nan  # a missing value does not make it continuous
    res = feature_importance(t, features=["DNase_peak", "DNase_max", "const"])
    assert res.binary == ("DNase_peak",)
    lab = t["label"].notna()
    for label in (0, 1):
        rows = t[lab & (t["label"] == label).fillna(False)]
        row = res.summary.set_index(["feature", "label"]).loc[("DNase_peak", label)]
        assert row["mean"] == pytest.approx(rows["DNase_peak"].mean())  # the fraction with 1
    assert feature_importance(t, features=["DNase_peak"], standardize=True).binary == (
        "DNase_peak",
    )
