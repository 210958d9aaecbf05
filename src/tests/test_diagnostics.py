"""Known-answer tests for mmm.diagnostics."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.outliers_influence import variance_inflation_factor

from mmm import diagnostics as dg


def _ar1(n: int, rho: float, rng: np.random.Generator) -> np.ndarray:
    e = rng.normal(size=n)
    out = np.empty(n)
    out[0] = e[0] / math.sqrt(1 - rho**2)
    for t in range(1, n):
        out[t] = rho * out[t - 1] + e[t]
    return out


# --------------------------------------------------------------------------- fit metrics


def test_fit_metrics_perfect_fit():
    y = np.array([10.0, 12.0, 9.0, 15.0, 11.0])
    m = dg.fit_metrics(y, y, n_params=2)
    assert m["r2"] == 1.0
    assert m["adjusted_r2"] == 1.0
    assert m["mape"] == 0.0
    assert m["rmse"] == 0.0
    assert m["nrmse"] == 0.0


def test_fit_metrics_hand_computed():
    y = np.array([10.0, 20.0, 30.0, 40.0])
    yhat = np.array([12.0, 18.0, 33.0, 36.0])  # errors -2, 2, -3, 4
    m = dg.fit_metrics(y, yhat, n_params=1)
    sse = 4 + 4 + 9 + 16  # 33
    tss = 225 + 25 + 25 + 225  # 500, mean 25
    assert m["r2"] == pytest.approx(1 - sse / tss)
    assert m["adjusted_r2"] == pytest.approx(1 - (33 / 500) * 3 / 2)  # (n-1)/(n-p-1) = 3/2
    assert m["mape"] == pytest.approx((0.2 + 0.1 + 0.1 + 0.1) / 4)
    assert m["rmse"] == pytest.approx(math.sqrt(sse / 4))
    assert m["nrmse"] == pytest.approx(math.sqrt(sse / 4) / 30)


def test_fit_metrics_degenerate_cases_are_nan_not_errors():
    y = np.array([5.0, 5.0, 5.0])
    m = dg.fit_metrics(y, y + 1, n_params=0)
    assert math.isnan(m["r2"]) and math.isnan(m["nrmse"])
    m = dg.fit_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 2.0], n_params=2)  # n - p - 1 = 0
    assert math.isnan(m["adjusted_r2"])
    m = dg.fit_metrics([0.0, 2.0], [1.0, 1.0], n_params=0)  # zero week excluded from MAPE
    assert m["mape"] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        dg.fit_metrics([1.0, 2.0], [1.0], n_params=0)


# --------------------------------------------------------------------------- residual checks


def test_durbin_watson_hand_computed():
    e = np.array([1.0, -1.0, 1.0, -1.0])
    assert dg.durbin_watson(e) == pytest.approx((4 + 4 + 4) / 4)


def test_durbin_watson_white_noise_near_two_random_walk_far_below():
    rng = np.random.default_rng(11)
    white = rng.normal(size=500)
    assert dg.durbin_watson(white) == pytest.approx(2.0, abs=0.25)
    # residuals of a level-only model fitted to a random walk
    walk = np.cumsum(rng.normal(size=500))
    assert dg.durbin_watson(walk - walk.mean()) < 0.2


def test_ljung_box_detects_ar1_not_white_noise():
    rng = np.random.default_rng(3)
    assert dg.ljung_box_pvalue(_ar1(156, 0.8, rng)) < 1e-6
    assert dg.ljung_box_pvalue(rng.normal(size=156)) > 0.05


def test_ljung_box_too_short_is_nan():
    assert math.isnan(dg.ljung_box_pvalue([1.0, -1.0, 0.5]))  # n // 5 = 0 lags


def test_residual_diagnostics_bundle():
    rng = np.random.default_rng(5)
    e = _ar1(200, 0.8, rng)
    out = dg.residual_diagnostics(e)
    assert out["ljung_box_lags"] == 10
    assert out["durbin_watson"] < 1.0  # ~ 2 (1 - 0.8) = 0.4
    assert out["ljung_box_pvalue"] < 1e-6


# --------------------------------------------------------------------------- VIF and condition number


def test_vif_orthogonal_columns_is_one():
    # exactly orthogonal, mean-zero columns
    a = np.array([1, -1, 1, -1, 1, -1, 1, -1], dtype=float)
    b = np.array([1, 1, -1, -1, 1, 1, -1, -1], dtype=float)
    c = np.array([1, 1, 1, 1, -1, -1, -1, -1], dtype=float)
    v = dg.vif(pd.DataFrame({"a": a, "b": b, "c": c}))
    assert list(v.index) == ["a", "b", "c"]
    np.testing.assert_allclose(v.to_numpy(), 1.0, atol=1e-12)


def test_vif_two_columns_known_answer_and_matches_statsmodels():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    x[:, 1] = x[:, 0] + 0.1 * rng.normal(size=300)  # nearly collinear with column 0
    design = pd.DataFrame(x, columns=["tv", "radio", "search"])
    v = dg.vif(design)
    assert v["tv"] > 10 and v["radio"] > 10
    assert v["search"] < 1.2
    # independent route: statsmodels' auxiliary regressions with an explicit constant
    exog = sm.add_constant(design).to_numpy()
    expected = [variance_inflation_factor(exog, j) for j in range(1, 4)]
    np.testing.assert_allclose(v.to_numpy(), expected, rtol=1e-8)
    # with two columns, VIF = 1 / (1 - r^2)
    r = np.corrcoef(x[:, 0], x[:, 2])[0, 1]
    v2 = dg.vif(design[["tv", "search"]])
    assert v2["tv"] == pytest.approx(1 / (1 - r**2))


def test_vif_perfectly_collinear_and_constant_columns_are_inf():
    rng = np.random.default_rng(1)
    a = rng.normal(size=50)
    b = rng.normal(size=50)
    design = pd.DataFrame({"a": a, "b": b, "a_plus_b": a + 2 * b, "flat": np.full(50, 3.0),
                           "ok": rng.normal(size=50)})
    v = dg.vif(design)
    assert np.isinf(v["a"]) and np.isinf(v["b"]) and np.isinf(v["a_plus_b"]) and np.isinf(v["flat"])
    assert np.isfinite(v["ok"]) and v["ok"] < 2


def test_condition_number():
    a = np.array([1, -1, 1, -1, 1, -1, 1, -1], dtype=float)
    b = np.array([1, 1, -1, -1, 1, 1, -1, -1], dtype=float)
    # orthogonal columns in very different units: standardising makes it exactly 1
    assert dg.condition_number(pd.DataFrame({"a": 1000 * a + 5, "b": 0.01 * b})) == pytest.approx(1.0)
    # two standardised columns with correlation r: eigenvalues 1 +- r, kappa = sqrt((1 + r) / (1 - r))
    rng = np.random.default_rng(2)
    x = rng.normal(size=200)
    y = x + 0.3 * rng.normal(size=200)
    r = np.corrcoef(x, y)[0, 1]
    kappa = dg.condition_number(pd.DataFrame({"x": x, "y": y}))
    assert kappa == pytest.approx(math.sqrt((1 + r) / (1 - r)), rel=1e-9)
    assert np.isinf(dg.condition_number(pd.DataFrame({"x": x, "twice": 2 * x})))
    assert np.isinf(dg.condition_number(pd.DataFrame({"x": x, "flat": np.ones(200)})))


# --------------------------------------------------------------------------- DECOMP.RSSD


def test_decomp_rssd_hand_computed():
    effect = np.array([0.5, 0.3, 0.2])
    spend = np.array([0.2, 0.3, 0.5])
    assert dg.decomp_rssd(effect, spend) == pytest.approx(math.sqrt(0.09 + 0 + 0.09))
    # raw amounts are normalised to shares first
    assert dg.decomp_rssd(effect * 1000, spend * 7) == pytest.approx(math.sqrt(0.18))
    assert dg.decomp_rssd(effect, effect) == 0.0


def test_decomp_rssd_aligns_series_by_channel():
    effect = pd.Series({"tv": 0.6, "search": 0.4})
    spend = pd.Series({"search": 0.5, "tv": 0.5})
    assert dg.decomp_rssd(effect, spend) == pytest.approx(math.sqrt(0.01 + 0.01))


# --------------------------------------------------------------------------- HAC regression


def test_newey_west_default_lags():
    assert dg.newey_west_default_lags(100) == 4
    assert dg.newey_west_default_lags(156) == 4  # 4 * 1.56^(2/9) = 4.41
    assert dg.newey_west_default_lags(1000) == 6  # 4 * 10^(2/9) = 6.67


def test_hac_estimates_equal_ols_and_standard_errors_grow_under_autocorrelation():
    n = 300
    ratios = []
    for seed in range(5):
        rng = np.random.default_rng(100 + seed)
        x = _ar1(n, 0.9, rng)  # persistent regressor (like adstocked spend) ...
        e = _ar1(n, 0.8, rng)  # ... and positively autocorrelated errors
        y = 2.0 + 1.5 * x + e
        design = pd.DataFrame({"media": x})
        table = dg.hac_regression(y, design, maxlags=12)
        ols = sm.OLS(y, sm.add_constant(design)).fit()
        np.testing.assert_allclose(table["estimate"].to_numpy(), ols.params.to_numpy(), rtol=1e-10)
        assert list(table["term"]) == ["const", "media"]
        ratios.append(table.set_index("term").loc["media", "std_error"] / ols.bse["media"])
    assert np.mean(ratios) > 1.5
    assert min(ratios) > 1.0


@pytest.mark.parametrize("singular", [False, True])
def test_hac_equals_statsmodels_newey_west(singular):
    """The numpy sandwich is statsmodels' pinv OLS with cov_type="HAC", use_correction and use_t."""
    rng = np.random.default_rng(11)
    n = 156
    design = pd.DataFrame({"trend": np.arange(n) / n, "media": _ar1(n, 0.9, rng), "price": rng.normal(size=n)})
    if singular:
        design["media_copy"] = 2 * design["media"]
    y = 1.0 + design["trend"] + 0.8 * design["media"] + _ar1(n, 0.6, rng)
    for lags in (0, 4, 9):
        ours = dg.hac_regression(y, design, maxlags=lags)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # statsmodels warns that the singular design is rank-deficient
            ref = sm.OLS(y, sm.add_constant(design)).fit(method="pinv", cov_type="HAC", use_t=True,
                                                         cov_kwds={"maxlags": lags, "use_correction": True})
        np.testing.assert_allclose(ours["estimate"], ref.params, rtol=1e-8, atol=1e-12)
        ok = ~ours["is_aliased"].to_numpy()
        np.testing.assert_allclose(ours["std_error"][ok], ref.bse[ok], rtol=1e-8)
        np.testing.assert_allclose(ours["p_value"][ok], ref.pvalues[ok], rtol=1e-6, atol=1e-14)
        ci = ref.conf_int(alpha=0.1).to_numpy()
        np.testing.assert_allclose(ours[["lower", "upper"]].to_numpy()[ok], ci[ok], rtol=1e-8)


def test_hac_table_columns_and_interval_level():
    rng = np.random.default_rng(7)
    n = 120
    x = rng.normal(size=n)
    y = 1.0 + 0.5 * x + rng.normal(size=n)
    t90 = dg.hac_regression(y, pd.DataFrame({"x": x}))
    t50 = dg.hac_regression(y, pd.DataFrame({"x": x}), level=0.5)
    assert list(t90.columns) == ["term", "estimate", "std_error", "t_value", "p_value", "lower", "upper",
                                 "is_aliased"]
    row = t90.iloc[1]
    half_width = row["upper"] - row["estimate"]
    assert half_width == pytest.approx(stats.t.ppf(0.95, n - 2) * row["std_error"])
    assert row["lower"] < 0.5 < row["upper"]
    assert (t50["upper"] - t50["lower"]).iloc[1] < (t90["upper"] - t90["lower"]).iloc[1]
    assert row["t_value"] == pytest.approx(row["estimate"] / row["std_error"])
    assert row["p_value"] < 1e-3


def test_hac_singular_design_does_not_crash_and_marks_aliased_terms():
    rng = np.random.default_rng(8)
    n = 100
    a = rng.normal(size=n)
    c = rng.normal(size=n)
    y = 1.0 + a + 0.7 * c + rng.normal(scale=0.1, size=n)
    design = pd.DataFrame({"a": a, "a_copy": 3 * a, "c": c})
    table = dg.hac_regression(y, design).set_index("term")
    assert table.loc["a", "is_aliased"] and table.loc["a_copy", "is_aliased"]
    assert np.isnan(table.loc["a", "std_error"]) and np.isnan(table.loc["a_copy", "std_error"])
    assert np.isnan(table.loc["a_copy", "lower"])
    # identifiable terms keep finite, correct answers
    assert not table.loc["c", "is_aliased"]
    assert table.loc["c", "std_error"] > 0
    assert table.loc["c", "estimate"] == pytest.approx(0.7, abs=0.05)
    # the aliased pair still reproduces the combined effect: a + 3 * a_copy = 1
    assert table.loc["a", "estimate"] + 3 * table.loc["a_copy", "estimate"] == pytest.approx(1.0, abs=0.05)


def test_hac_does_not_duplicate_existing_constant():
    rng = np.random.default_rng(9)
    x = rng.normal(size=60)
    design = pd.DataFrame({"intercept": np.ones(60), "x": x})
    table = dg.hac_regression(2 + x, design)
    assert list(table["term"]) == ["intercept", "x"]


# --------------------------------------------------------------------------- spend correlation


def test_spend_correlation_pairs():
    rng = np.random.default_rng(4)
    base = rng.gamma(2.0, 1000.0, size=104)
    spend = pd.DataFrame({
        "search": base,
        "social": base + rng.normal(scale=300, size=104),
        "tv": rng.gamma(2.0, 1000.0, size=104),
        "flat": np.full(104, 500.0),
        "anti": -base,
    })
    pairs = dg.spend_correlation_pairs(spend, threshold=0.8)
    found = {frozenset((a, b)) for a, b in zip(pairs["channel_a"], pairs["channel_b"])}
    assert found == {frozenset(("search", "social")), frozenset(("search", "anti")),
                     frozenset(("social", "anti"))}
    anti = pairs[(pairs["channel_a"] == "search") & (pairs["channel_b"] == "anti")]["correlation"].iloc[0]
    assert anti == pytest.approx(-1.0)
    assert pairs["correlation"].abs().is_monotonic_decreasing
