"""Known-answer tests for the adstock and saturation transforms (values computed by hand)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mmm.transforms import (
    convolve_lags,
    delayed_adstock,
    geometric_adstock,
    hill,
    hill_derivative,
    logistic,
    logistic_derivative,
    michaelis_menten,
    michaelis_menten_derivative,
    weibull_cdf_adstock,
    weibull_pdf_adstock,
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


# --------------------------------------------------------------------------- the registry and the fit's use of it

from mmm import transforms as tf  # noqa: E402
from mmm.fit import FitConfig, MarketData, prepare_problem  # noqa: E402
from mmm.model import ChannelSpec  # noqa: E402

# Independent formulas (scipy / written out), not the package's: the fit's media must equal these.
REFERENCE_ADSTOCK = {
    "geometric": lambda p, L: p["adstock_alpha"] ** np.arange(L + 1),
    "delayed": lambda p, L: p["adstock_alpha"] ** ((np.arange(L + 1) - p["adstock_theta"]) ** 2),
    "weibull_cdf": lambda p, L: np.cumprod(np.r_[1.0, 1 - stats.weibull_min.cdf(
        np.arange(1, L + 1), p["adstock_shape"], scale=1 + p["adstock_scale"] * L)]),
    "weibull_pdf": lambda p, L: (lambda d: (d - d.min()) / (d.max() - d.min()))(
        stats.weibull_min.pdf(np.arange(1, L + 2), p["adstock_shape"], scale=1 + p["adstock_scale"] * L)),
}
REFERENCE_SATURATION = {
    "hill": lambda x, p: x ** p["saturation_shape"]
    / (x ** p["saturation_shape"] + p["saturation_half_saturation"] ** p["saturation_shape"]),
    "logistic": lambda x, p: (1 - np.exp(-p["saturation_lam"] * x)) / (1 + np.exp(-p["saturation_lam"] * x)),
    "michaelis_menten": lambda x, p: x / (p["saturation_half_saturation"] + x),
}


def test_registry_holds_every_form_once_with_prefixed_parameter_names():
    assert set(tf.ADSTOCKS) == set(REFERENCE_ADSTOCK) and set(tf.SATURATIONS) == set(REFERENCE_SATURATION)
    spec = ChannelSpec("tv", "weibull_pdf", 6, "hill")
    assert spec.parameter_names() == ["adstock_shape", "adstock_scale", "saturation_half_saturation",
                                      "saturation_shape", "roi"]


def test_unknown_kind_names_the_channel_the_value_and_the_allowed_kinds():
    with pytest.raises(ValueError, match=r"channel tv: unknown adstock_kind 'weibul'; allowed: geometric, .*weibull_cdf"):
        ChannelSpec("tv", "weibul")
    with pytest.raises(ValueError, match="unknown saturation_kind 'hil'"):
        ChannelSpec("tv", saturation_kind="hil")


@pytest.mark.parametrize("adstock", sorted(REFERENCE_ADSTOCK))
@pytest.mark.parametrize("saturation", sorted(REFERENCE_SATURATION))
def test_the_fit_transforms_spend_exactly_as_the_reference_formulas(adstock, saturation):
    # Two channels with different max lags (so per-channel windows and the lag mask are exercised).
    rng = np.random.default_rng(1)
    n = 60
    weeks = pd.date_range("2024-01-01", periods=n, freq="W-MON")
    spend = pd.DataFrame({"a": rng.gamma(2.0, 1000.0, n), "b": np.where(np.arange(n) % 7 < 3, 500.0, 0.0)})
    specs = [ChannelSpec("a", adstock, 5, saturation), ChannelSpec("b", adstock, 3, saturation)]
    data = MarketData(weeks, 1e5 + rng.normal(0, 1e3, n), spend)
    problem = prepare_problem(data, specs, FitConfig(holdout_weeks=0, cv_folds=0))
    z = problem.layout.prior_mean + rng.normal(0, 0.4, problem.layout.size)
    features = problem.media_model.features(z)
    natural = problem.media_model.channel_parameters(z)
    for ci, spec in enumerate(specs):
        p = {k: float(v) for k, v in natural[ci].items()}
        w = REFERENCE_ADSTOCK[adstock](p, spec.max_lag)
        adstocked = np.convolve(spend[spec.name].to_numpy(), w / w.sum())[:n]
        expected = REFERENCE_SATURATION[saturation](adstocked, p)
        np.testing.assert_allclose(features[:, ci], expected, rtol=1e-10, atol=1e-12)


def test_links_map_the_unconstrained_scale_to_each_parameters_natural_range():
    spend = pd.DataFrame({"a": np.linspace(100.0, 300.0, 40)})
    data = MarketData(pd.date_range("2024-01-01", periods=40, freq="W-MON"), np.ones(40), spend)
    problem = prepare_problem(data, [ChannelSpec("a", "delayed", 8, "logistic")], FitConfig(holdout_weeks=0))
    z = np.zeros(problem.layout.size)  # logistic(0) = 0.5, exp(0) = 1
    p = problem.media_model.channel_parameters(z)[0]
    assert p["adstock_alpha"] == pytest.approx(0.5)
    assert p["adstock_theta"] == pytest.approx(4.0)  # max_lag * 0.5
    assert p["saturation_lam"] == pytest.approx(1 / 200.0)  # per unit of mean weekly spend (200)
    assert p["roi"] == pytest.approx(1.0)


def test_a_new_form_is_one_registered_class():
    @tf.register
    class ExponentialSaturation(tf.Saturation):
        """1 - exp(-x / K)."""

        kind = "exponential_test"
        parameters = (tf.Parameter("half_saturation", "log_times_spend", tf.Prior(0.0, 0.7), "scale"),)

        def apply(self, x, params):
            return 1.0 - np.exp(-np.asarray(x, float) / np.asarray(params["half_saturation"], float))

        def derivative(self, x, params):
            k = np.asarray(params["half_saturation"], float)
            return np.exp(-np.asarray(x, float) / k) / k

    try:
        from mmm.engine import fit_market

        rng = np.random.default_rng(3)
        n = 104
        weeks = pd.date_range("2023-01-02", periods=n, freq="W-MON")
        x = rng.gamma(3.0, 10000.0, n)
        effect = 40000.0 * (1 - np.exp(-tf.geometric_adstock(x, 0.4, 4) / 30000.0))
        data = MarketData(weeks, 5e5 + effect + rng.normal(0, 3000, n), pd.DataFrame({"tv": x}))
        result = fit_market(data, [ChannelSpec("tv", "geometric", 4, "exponential_test")],
                            FitConfig(holdout_weeks=0, cv_folds=0, n_draws=100))
        assert result.specs[0].saturation_kind == "exponential_test"
        true_roi = effect.sum() / x.sum()
        from mmm.analysis import FittedModel, roi_interval

        roi = roi_interval(FittedModel.from_result(result, data)).loc["tv", "estimate"]
        assert abs(roi - true_roi) / true_roi < 0.2
    finally:
        del tf.SATURATIONS["exponential_test"]


def test_a_channel_can_carry_its_own_prior_of_any_parameter():
    spec = ChannelSpec("tv", "geometric", 4, "hill", priors={"roi": (np.log(2.0), 0.3), "adstock_alpha": (1.0, 0.2)})
    other = ChannelSpec("search")
    from mmm.model import build_layout

    layout = build_layout([spec, other], {"adstock_alpha": tf.Prior(-2.0, 0.9)})
    assert layout.prior_mean[layout.index("tv", "roi")] == pytest.approx(np.log(2.0))
    assert layout.prior_sd[layout.index("tv", "roi")] == pytest.approx(0.3)
    assert layout.prior_mean[layout.index("tv", "adstock_alpha")] == 1.0  # the channel's own wins...
    assert layout.prior_mean[layout.index("search", "adstock_alpha")] == -2.0  # ...over the run-wide override
    assert layout.prior_sd[layout.index("search", "roi")] == 1.0  # and the roi median/sigma apply otherwise
    with pytest.raises(ValueError, match="priors for unknown parameters"):
        ChannelSpec("tv", priors={"adstock_theta": (0.0, 1.0)})


@pytest.mark.parametrize("adstock", sorted(REFERENCE_ADSTOCK))
@pytest.mark.parametrize("saturation", sorted(REFERENCE_SATURATION))
def test_media_of_many_draws_at_once_equals_one_draw_at_a_time(adstock, saturation):
    rng = np.random.default_rng(2)
    n = 50
    spend = pd.DataFrame({"a": rng.gamma(2.0, 1000.0, n), "b": np.where(np.arange(n) % 5 < 2, 700.0, 0.0)})
    data = MarketData(pd.date_range("2024-01-01", periods=n, freq="W-MON"), 1e5 + rng.normal(0, 1e3, n), spend)
    lift = [dict(experiment_id="e", channel="a", weeks=np.arange(n) >= n - 6, measured=1e4, se=1e3)]
    problem = prepare_problem(data, [ChannelSpec("a", adstock, 5, saturation), ChannelSpec("b", adstock, 3, saturation)],
                              FitConfig(holdout_weeks=0, cv_folds=0), lift, holdout_weeks=8)
    zs = problem.layout.prior_mean + rng.normal(0, 0.5, (7, problem.layout.size))
    media, beta = problem.media_model.media_draws(zs)
    for d, z in enumerate(zs):
        m, b = problem.media(z)
        np.testing.assert_allclose(media[d], m, rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(beta[d], b, rtol=1e-12)
