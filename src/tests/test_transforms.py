"""Known-answer tests for the adstock and saturation transforms (values computed by hand)."""

import numpy as np
import pytest
from scipy import stats

from mmm.adstock import (
    convolve_lags,
    delayed_adstock,
    geometric_adstock,
    weibull_cdf_adstock,
    weibull_pdf_adstock,
)
from mmm.saturation import (
    hill,
    hill_derivative,
    logistic,
    logistic_derivative,
    michaelis_menten,
    michaelis_menten_derivative,
)


def test_geometric_unnormalised_impulse_decays_by_alpha():
    x = np.array([100.0, 0, 0, 0, 0])
    out = geometric_adstock(x, 0.5, max_lag=3, normalize=False)
    np.testing.assert_allclose(out, [100, 50, 25, 12.5, 0])


def test_geometric_normalised_weights_sum_to_one_and_steady_state_is_spend():
    x = np.full(30, 40.0)
    out = geometric_adstock(x, 0.7, max_lag=6, normalize=True)
    np.testing.assert_allclose(out[6:], 40.0)
    impulse = geometric_adstock(np.r_[1.0, np.zeros(9)], 0.7, max_lag=6)
    w = 0.7 ** np.arange(7)
    np.testing.assert_allclose(impulse[:7], w / w.sum())


def test_geometric_vectorised_over_channels():
    x = np.column_stack([np.r_[1.0, 0, 0], np.r_[2.0, 0, 0]])
    out = geometric_adstock(x, np.array([0.5, 0.1]), max_lag=2, normalize=False)
    np.testing.assert_allclose(out, [[1, 2], [0.5, 0.2], [0.25, 0.02]])


def test_convolution_is_causal():
    x = np.r_[0, 0, 5.0, 0]
    out = convolve_lags(x, np.array([1.0, 1.0]))
    np.testing.assert_allclose(out, [0, 0, 5, 5])


def test_weibull_cdf_weights_follow_robyn():
    # Robyn: theta_vec = c(1, 1 - pweibull(1:(W-1), shape, scale')); weights = cumprod, scale' = 1 + scale (W - 1)
    shape, scale, lag = 2.0, 0.5, 4
    s = 1 + scale * lag
    theta = np.r_[1.0, 1 - stats.weibull_min.cdf(np.arange(1, lag + 1), shape, scale=s)]
    expected = np.cumprod(theta)
    out = weibull_cdf_adstock(np.r_[1.0, np.zeros(lag)], shape, scale, max_lag=lag, normalize=False)
    np.testing.assert_allclose(out, expected)


def test_weibull_pdf_weights_are_minmax_normalised_density_with_delayed_peak():
    shape, scale, lag = 3.0, 0.4, 6
    s = 1 + scale * lag
    dens = stats.weibull_min.pdf(np.arange(1, lag + 2), shape, scale=s)
    expected = (dens - dens.min()) / (dens.max() - dens.min())
    out = weibull_pdf_adstock(np.r_[1.0, np.zeros(lag)], shape, scale, max_lag=lag, normalize=False)
    np.testing.assert_allclose(out, expected)
    assert np.argmax(out) > 0  # shape > 1 peaks after the spend week


def test_delayed_adstock_peaks_at_theta():
    out = delayed_adstock(np.r_[1.0, np.zeros(8)], alpha=0.5, theta=2, max_lag=8)
    w = 0.5 ** ((np.arange(9) - 2.0) ** 2)
    np.testing.assert_allclose(out, w / w.sum())
    assert np.argmax(out) == 2


def test_hill_known_values():
    assert hill(10.0, 10.0, 2.0) == pytest.approx(0.5)
    assert hill(20.0, 10.0, 2.0) == pytest.approx(400 / 500)
    assert hill(0.0, 10.0, 2.0) == 0.0


def test_logistic_and_michaelis_menten_known_values():
    assert logistic(1.0, 2.0) == pytest.approx((1 - np.exp(-2)) / (1 + np.exp(-2)))
    assert michaelis_menten(5.0, 5.0) == pytest.approx(0.5)
    assert michaelis_menten(15.0, 5.0) == pytest.approx(0.75)


@pytest.mark.parametrize("fn,dfn,args", [
    (hill, hill_derivative, (12.0, 1.7)),
    (hill, hill_derivative, (12.0, 0.8)),
    (logistic, logistic_derivative, (0.05,)),
    (michaelis_menten, michaelis_menten_derivative, (9.0,)),
])
def test_derivatives_match_finite_differences(fn, dfn, args):
    x = np.linspace(1.0, 60.0, 25)
    h = 1e-5
    numeric = (fn(x + h, *args) - fn(x - h, *args)) / (2 * h)
    np.testing.assert_allclose(dfn(x, *args), numeric, rtol=1e-5)
