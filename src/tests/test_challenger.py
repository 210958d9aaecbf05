"""The challenger's math with known answers (mmm.challenger). Detection rates are measured in
scripts/benchmark_challenger.py, not here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mmm import analysis as an
from mmm import challenger as chal
from mmm.demo import CHANNELS, simulate_market
from mmm.engine import fit_market
from mmm.fit import FitConfig
from mmm.model import ChannelSpec
from mmm.simulate_effects import market_data
from mmm.validation import rolling_origin_cv

SPECS = [ChannelSpec(c.name, "geometric", c.max_lag, "hill") for c in CHANNELS[:4]]


@pytest.fixture(scope="module")
def fitted():
    truth = simulate_market(31, n_weeks=120, channels=CHANNELS[:4])
    data = market_data(truth)
    result = fit_market(data, SPECS, FitConfig(seed=3, cv_folds=2, n_draws=100))
    return an.FittedModel.from_result(result, data)


def test_design_reproduces_the_mmm_fit_exactly(fitted):
    design, coef, intercept = chal.design_of(fitted.problem, fitted.result.z)
    mmm = fitted.problem.baseline.design @ fitted.baseline_coefficients() + fitted.media.sum(axis=1)
    np.testing.assert_allclose(intercept + design.x @ coef, mmm, rtol=1e-10)
    assert design.channels == fitted.channels
    assert [design.columns[i] for i in design.channel_columns] == fitted.channels


def test_mmm_folds_are_the_cross_validation_refits(fitted):
    folds = chal.mmm_folds(fitted)
    cv, forecasts = rolling_origin_cv(fitted.data, fitted.specs, fitted.config, fitted.config.cv_folds,
                                      fitted.config.cv_horizon, initial=fitted.result.z)
    assert [f.origin for f in folds] == list(cv["train_weeks"])
    for fold, forecast in zip(folds, forecasts):
        np.testing.assert_allclose(fold.forecast, forecast, rtol=1e-12)


def test_shap_values_add_up_to_the_prediction(fitted):
    design, coef, intercept = chal.design_of(fitted.problem, fitted.result.z)
    model = chal.fit_challenger(design.x, fitted.problem.y, chal.ChallengerConfig(), coef, intercept)
    values, base = model.shap(design.x, design.x)
    np.testing.assert_allclose(base + values.sum(axis=1), model.predict(design.x), rtol=1e-9)


def test_linear_part_known_answers():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    coef = np.array([2.0, 0.0, -1.0])
    model = chal.Challenger(coef, 5.0, None)
    values, base = model.shap(x, x)
    np.testing.assert_allclose(values, (x - x.mean(axis=0)) * coef)  # exact Shapley values of a linear model
    np.testing.assert_allclose(base, 5.0 + x.mean(axis=0) @ coef)
    design = chal.Design(x, ["a", "b", "c"], {"a": [0], "b": [1], "c": [2]}, ["a", "b"])
    y = model.predict(x)
    imp = chal.permutation_importance(model, design, y, repeats=5, seed=1).set_index("feature")
    assert imp.loc["b", "permutation_importance"] == 0.0  # a feature the model ignores
    assert imp.loc["a", "permutation_importance"] > imp.loc["c", "permutation_importance"] > 0
    shap = chal.shap_importance(model, design).set_index("feature")["shap_mean_abs"]
    np.testing.assert_allclose(shap["a"], np.mean(np.abs(2.0 * (x[:, 0] - x[:, 0].mean()))))
    # partial dependence of a linear model: coef * (level - first level)
    np.testing.assert_allclose(chal.implied_response(model, design, 0, np.array([0.0, 1.0, 3.0]), slice(0, 60)),
                               [0.0, 2.0, 6.0])


def test_trees_learn_an_interaction_the_linear_start_misses():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, size=(150, 2))
    y = 10 + x[:, 0] + x[:, 1] + 4.0 * (x[:, 0] > 0.5) * (x[:, 1] > 0.5) + rng.normal(0, 0.1, 150)
    coef = np.array([1.0, 1.0])
    model = chal.fit_challenger(x[:120], y[:120], chal.ChallengerConfig(), coef, 10.0)
    linear = chal.Challenger(coef, 10.0, None)
    err = lambda m: np.mean(np.abs(y[120:] - m.predict(x[120:])))  # noqa: E731
    assert err(model) < 0.5 * err(linear)


def test_paired_t_known_answer():
    y = np.full(6, 100.0)
    mmm = y + np.array([2.0, -3.0, 2.0, -2.0, 3.0, -2.0])
    challenger = y + np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    d = np.array([1, 2, 1, 1, 2, 1]) / 100.0
    e = d - d.mean()
    v = e @ e / 6 + 2 * (2 / 3) * (e[1:] @ e[:-1]) / 6 + 2 * (1 / 3) * (e[2:] @ e[:-2]) / 6
    assert chal.paired_t(y, mmm, challenger) == pytest.approx(d.mean() / np.sqrt(v / 6))
    assert chal.paired_t(y, challenger, mmm) == pytest.approx(-d.mean() / np.sqrt(v / 6))


def test_residual_probes_name_what_the_residuals_follow():
    rng = np.random.default_rng(4)
    h = pd.DataFrame(rng.uniform(0, 1, size=(120, 3)), columns=["tv", "search", "social"])
    t = np.arange(120)
    inter = chal.probe_residuals(h["tv"] * h["search"] + rng.normal(0, 0.02, 120), h, 120)
    assert (inter[0].kind, inter[0].subject) == ("interaction", "tv & search")
    drift = chal.probe_residuals(h["social"] * (t - t.mean()) / 40 + rng.normal(0, 0.02, 120), h, 120)
    assert (drift[0].kind, drift[0].subject) == ("changing_effect", "social")


def test_probe_r2_known_answer():
    z = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]) / np.sqrt(2)
    r = np.array([2.0, -2.0, 1.0, -1.0])  # r = 2 sqrt2 z_1 + sqrt2 z_2: R2 = 8 / 10 and 2 / 10
    np.testing.assert_allclose(chal.probe_r2(r, z), [0.8, 0.2])
    np.testing.assert_allclose(chal.probe_r2(np.column_stack([r, -r]), z), [[0.8, 0.2], [0.8, 0.2]])


def test_probes_partial_out_the_design():
    rng = np.random.default_rng(5)
    h = pd.DataFrame(rng.uniform(0, 1, size=(100, 2)), columns=["tv", "search"])
    product = (h["tv"] * h["search"]).to_numpy()
    # a residual the MMM's design explains (the product is a design column) is no interaction
    plain = chal.probe_residuals(product + rng.normal(0, 0.01, 100), h, 100)
    partialled = chal.probe_residuals(product + rng.normal(0, 0.01, 100), h, 100, design=product[:, None])
    assert plain[0].subject == "tv & search" and plain[0].r2 > 0.9
    assert max(s.r2 for s in partialled if s.subject == "tv & search") < 1e-12


def test_residual_structure_test_finds_a_planted_interaction_and_a_drift():
    rng = np.random.default_rng(6)
    n = 156
    h = pd.DataFrame(rng.uniform(0, 1, size=(n, 4)), columns=["tv", "search", "social", "radio"])
    design = h.to_numpy()
    t = np.arange(n)
    inter = chal.residual_structure_test(0.3 * h["tv"] * h["search"] + rng.normal(0, 0.05, n), h, design)
    assert inter.p_value < 0.01 and inter.placebos == n - 2 * 8 + 1
    assert (inter.suspects[0].kind, inter.suspects[0].subject) == ("interaction", "tv & search")
    drift = chal.residual_structure_test(0.3 * h["radio"] * (t - t.mean()) / n + rng.normal(0, 0.05, n), h, design)
    assert drift.p_value < 0.01 and (drift.suspects[0].kind, drift.suspects[0].subject) == ("changing_effect", "radio")


def test_residual_structure_test_holds_its_level_on_noise():
    # no structure: autocorrelated noise (AR(1), 0.3) independent of the features; p <= 0.05 in about 5% of draws
    rng = np.random.default_rng(7)
    n, hits, draws = 156, 0, 60
    for _ in range(draws):
        h = pd.DataFrame(rng.uniform(0, 1, size=(n, 4)), columns=["tv", "search", "social", "radio"])
        e = rng.normal(size=n)
        for k in range(1, n):
            e[k] += 0.3 * e[k - 1]
        hits += chal.residual_structure_test(e, h, h.to_numpy()).p_value <= 0.05
    assert hits <= 8  # binomial(60, 0.05): P(> 8) < 1%


def test_residual_structure_test_is_nan_on_short_series():
    h = pd.DataFrame({"tv": np.linspace(0, 1, 30), "search": np.linspace(1, 0, 30) ** 2})
    out = chal.residual_structure_test(np.sin(np.arange(30.0)), h)
    assert np.isnan(out.p_value) and out.placebos == 0
    assert chal.residual_check(out, chal.ChallengerConfig()).status == "ok"


def test_residual_check_warns_at_alpha():
    config = chal.ChallengerConfig()
    suspects = [chal.Suspect("changing_effect", "tv", 0.25)]
    warn = chal.residual_check(chal.ResidualTest(0.25, 0.007, 141, suspects), config)
    assert warn.check_name == "challenger_residual_structure" and warn.status == "warn"
    assert "tv's effect changing" in warn.message and warn.value == pytest.approx(0.007) and warn.threshold == 0.05
    assert chal.residual_check(chal.ResidualTest(0.05, 0.3, 141, suspects), config).status == "ok"


def test_check_fires_only_when_clearly_better():
    config = chal.ChallengerConfig()
    suspects = [chal.Suspect("interaction", "tv & search", 0.3)]
    better = {"mmm_mape": 0.05, "challenger_mape": 0.04, "mmm_rmse": 1.0, "challenger_rmse": 0.8}
    warn = chal.challenger_check(better, 2.5, suspects, config)
    assert warn.status == "warn" and "tv & search" in warn.message and warn.value == pytest.approx(0.8)
    assert chal.challenger_check(better, 1.0, suspects, config).status == "ok"  # not significant
    close = {**better, "challenger_mape": 0.049}
    assert chal.challenger_check(close, 3.0, suspects, config).status == "ok"  # significant but not 5% better


def test_market_records_have_every_record_type(fitted):
    curves = an.response_curves(fitted, 13)[["channel", "weekly_spend", "expected_weekly_revenue", "lower", "upper",
                                              "is_current_spend"]]
    records = chal.challenger_table({"aa": fitted}, curves.assign(market="aa"), 13)
    assert list(records.columns) == chal.TABLE_COLUMNS
    counts = records["record_type"].value_counts()
    assert counts["validation"] == fitted.config.cv_folds + 1
    assert counts["check"] == 2
    checks = records[records.record_type == "check"]
    assert list(checks["check_name"]) == ["challenger_cv_mape_ratio", "challenger_residual_structure"]
    assert 0 < checks["value"].iloc[1] <= 1 and checks["threshold"].iloc[1] == 0.05
    assert counts["response"] == len(curves)
    imp = records[records.record_type == "importance"]
    assert set(imp["feature"]) >= set(fitted.channels) | {"trend", "seasonality"}
    assert imp.loc[imp.feature_type == "channel", "shap_share_of_media"].sum() == pytest.approx(1.0)
    resp = records[records.record_type == "response"]
    assert (resp.loc[resp.weekly_spend == 0, "challenger_weekly_revenue"] == 0).all()
