"""25-bp binning and the arcsinh scale, against naive loops and numpy's own functions."""

from __future__ import annotations

import numpy as np
import pytest

from ncv_core.impute.transform import bin_means, encode_signal, from_model_scale, to_model_scale


def _naive_bins(values, size):
    out = []
    for lo in range(0, len(values), size):
        chunk = [0.0 if not np.isfinite(v) else float(v) for v in values[lo : lo + size]]
        out.append(sum(chunk) / len(chunk))
    return np.array(out)


@pytest.mark.parametrize("length", [25, 100, 101, 149, 7])
def test_bin_means_matches_a_naive_loop_with_nan_as_zero(length):
    rng = np.random.default_rng(length)
    values = rng.gamma(0.5, 3.0, size=length)
    values[rng.random(length) < 0.2] = np.nan
    got = bin_means(values, 25)
    np.testing.assert_allclose(got, _naive_bins(values, 25), rtol=1e-12, atol=1e-12)
    assert got.shape == (-(-length // 25),)


def test_bin_means_two_dimensional_rows_are_independent():
    rng = np.random.default_rng(1)
    values = rng.normal(size=(3, 80))
    got = bin_means(values, 25)
    for i in range(3):
        np.testing.assert_allclose(got[i], _naive_bins(values[i], 25), atol=1e-12)


def test_hand_computed_bins():
    values = np.array([1.0, 2.0, np.nan, 3.0, 10.0])
    np.testing.assert_allclose(bin_means(values, 2), [1.5, 1.5, 10.0])


def test_arcsinh_round_trip():
    x = np.concatenate([np.linspace(-5, 5, 101), np.geomspace(1e-3, 1e4, 50)])
    y = to_model_scale(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, np.arcsinh(x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(from_model_scale(y), x, rtol=2e-6, atol=1e-6)
    z = np.linspace(-3, 9, 97)
    np.testing.assert_allclose(to_model_scale(from_model_scale(z)), z, rtol=1e-6, atol=1e-6)


def test_encode_signal_is_arcsinh_of_bin_means_and_nan_is_zero():
    values = np.full(50, np.nan)
    values[25:] = np.sinh(2.0)
    np.testing.assert_allclose(encode_signal(values), [0.0, 2.0], atol=1e-6)


def test_bad_bin_size_and_shape():
    with pytest.raises(ValueError):
        bin_means(np.ones(10), 0)
    with pytest.raises(ValueError):
        bin_means(np.ones((2, 2, 2)), 2)
