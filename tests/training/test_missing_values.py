"""Missing feature values are said aloud (Scaler.transform); a split needs both classes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ncv_core.errors import NcvError, NcvWarning
from ncv_core.models.encoding import Scaler
from ncv_core.training.splits import cv_split, paper_split


def test_scaler_warns_once_per_call_with_counts_per_column() -> None:
    x = np.array([[1.0, 10.0, 0.0], [3.0, np.nan, 0.0], [np.nan, np.nan, np.inf]])
    sc = Scaler.fit(x, ["a", "b", "c"])
    np.testing.assert_allclose(sc.mean, [2.0, 10.0, 0.0])  # hand-computed: finite values only
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        z = sc.transform(x)
    assert [type(w.message) for w in caught] == [NcvWarning]
    assert str(caught[0].message).endswith("(values per column, of 3 rows): a 1, b 2, c 1")
    np.testing.assert_array_equal(z[~np.isfinite(x)], 0.0)  # the training mean, standardised
    scale = np.sqrt(((np.array([1.0, 3.0, 2.0]) - 2.0) ** 2).mean())  # the NaN filled by the mean
    np.testing.assert_allclose(z[0, 0], (1.0 - 2.0) / scale, rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sc.transform(np.zeros((2, 3)))  # complete rows: no word


@pytest.mark.parametrize("labels", [[1] * 8 + [-1] * 3, [0] * 8])
def test_a_one_class_table_is_named_as_such(labels: list[int]) -> None:
    y = np.array(labels)
    for split in (paper_split, cv_split):
        with pytest.raises(NcvError, match=r"the table has only one class: 8 (positive|negative)"):
            split(y)
    with pytest.raises(NcvError, match="no labelled rows"):
        paper_split(np.full(5, -1))
