"""The experiment planner (mmm.experiment_plan): power analysis, test sizing, ranking, and the lift it expects
against the generator's truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mmm import analysis as an
from mmm.analysis import FittedModel
from mmm.demo import CHANNELS, simulate_market
from mmm.engine import fit_market
from mmm.experiment_plan import (
    MAX_CONTROL_MARKETS,
    PLAN_COLUMNS,
    ExperimentSettings,
    choose_controls,
    experiment_plan,
    lift_draws,
    minimum_detectable_lift,
    power_of,
)
from mmm.fit import FitConfig, MarketData
from mmm.model import ChannelSpec
from mmm.plan_forecast import MediaDraws
from mmm.transforms import geometric_adstock, hill

SPECS = [ChannelSpec(c.name, max_lag=c.max_lag) for c in CHANNELS]
SETTINGS = ExperimentSettings()


def fitted(seed: int, market: str, spend_scale: float = 1.0) -> tuple:
    truth = simulate_market(seed, market, spend_scale=spend_scale)
    data = MarketData(truth.weeks, truth.revenue, truth.spend.reset_index(drop=True),
                      truth.controls.reset_index(drop=True), truth.holiday_count)
    result = fit_market(data, SPECS, FitConfig(cv_folds=0, holdout_weeks=0, seed=seed), market)
    return truth, FittedModel.from_result(result, data)


@pytest.fixture(scope="module")
def markets():
    return {"aa": fitted(21, "aa"), "bb": fitted(22, "bb", spend_scale=0.3)}


@pytest.fixture(scope="module")
def plan(markets):
    return experiment_plan({m: fm for m, (_, fm) in markets.items()}, SETTINGS)


def test_power_and_minimum_detectable_lift_are_statsmodels_two_sample_t_test():
    # textbook: d = 0.5 with 64 per group gives 80% power at 5% (Cohen)
    assert power_of(0.5 * 64 * 10.0, 10.0, 64, 0.05) == pytest.approx(0.80, abs=0.01)
    mde = minimum_detectable_lift(250.0, 12, 0.05, 0.8)
    assert power_of(mde, 250.0, 12, 0.05) == pytest.approx(0.8, abs=1e-6)
    assert power_of(2 * mde, 250.0, 12, 0.05) > 0.99
    assert minimum_detectable_lift(250.0, 24, 0.05, 0.8) < mde * np.sqrt(24 / 12), "longer tests detect more per week"


@pytest.mark.parametrize("n, alpha", [(2, 0.05), (5, 0.1), (12, 0.05), (40, 0.01)])
def test_power_and_mde_are_statsmodels_ttestindpower(n, alpha):
    """The closed form (scipy.special's noncentral t) is statsmodels' TTestIndPower, which it replaces for speed."""
    from statsmodels.stats.power import TTestIndPower

    for d in (0.05, 0.3, 1.0, 2.5):
        expected = TTestIndPower().power(effect_size=d, nobs1=n, alpha=alpha, ratio=1.0, alternative="two-sided")
        assert power_of(d * n * 3.0, 3.0, n, alpha) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    d = TTestIndPower().solve_power(effect_size=None, nobs1=n, alpha=alpha, power=0.8, ratio=1.0, alternative="two-sided")
    assert minimum_detectable_lift(3.0, n, alpha, 0.8) == pytest.approx(d * 3.0 * n, rel=1e-6)


def test_power_is_the_detection_rate_of_the_test_it_describes():
    """Simulate the test: n weeks with the lift spread over them vs n comparison weeks, weekly noise s, Welch-free
    two-sample t-test at 5%: the share of detections matches the computed power."""
    rng = np.random.default_rng(3)
    n, s, lift = 10, 1000.0, 9000.0
    expected = power_of(lift, s, n, 0.05)
    treated = lift / n + rng.normal(0, s, (4000, n))
    control = rng.normal(0, s, (4000, n))
    detected = stats.ttest_ind(treated, control, axis=1).pvalue < 0.05
    assert detected.mean() == pytest.approx(expected, abs=0.03)


def test_plan_columns_grain_and_ranking(plan):
    assert list(plan.columns) == PLAN_COLUMNS
    assert not plan.duplicated(["market", "channel", "test_design"]).any()
    assert (plan.groupby(["market", "channel"])["is_recommended"].sum() == 1).all()
    per_channel = plan.groupby(["market", "channel"]).first()
    np.testing.assert_allclose(per_channel["value_of_testing"], per_channel["roi_sd"] * per_channel["annual_spend"])
    np.testing.assert_allclose(per_channel["annual_spend"], 52 * per_channel["current_weekly_spend"])
    ranked = per_channel.sort_values("priority_rank")
    assert list(ranked["priority_rank"]) == list(range(1, len(ranked) + 1))
    assert ranked["value_of_testing"].is_monotonic_decreasing


def test_roi_sd_is_the_posterior_spread_of_roi(markets, plan):
    _, fm = markets["aa"]
    rows = plan[plan["market"] == "aa"].groupby("channel").first()
    spend = fm.spend_matrix().sum(axis=0)
    roi = fm.posterior.media.sum(axis=1) / spend
    np.testing.assert_allclose(rows.loc[fm.channels, "roi_sd"], roi.std(axis=0), rtol=1e-9)
    interval = an.roi_interval(fm)
    np.testing.assert_allclose(rows.loc[fm.channels, "roi"], interval["estimate"])


def test_each_design_is_the_shortest_that_reaches_the_target_power(plan):
    testable = plan[plan["is_testable"]]
    assert len(testable), "some test should be feasible on the simulated advertiser"
    assert (testable["power"] >= SETTINGS.target_power).all()
    assert (testable["expected_lift"] >= testable["minimum_detectable_lift"] * 0.999).all()
    untestable = plan[~plan["is_testable"] & plan["power"].notna()]
    assert (untestable["power"] < SETTINGS.target_power).all()
    assert (untestable["test_weeks"] == SETTINGS.max_weeks).all()
    assert untestable["message"].str.startswith("cannot be tested usefully").all()
    recommended = plan[plan["is_recommended"]]
    for (_, _), group in plan.groupby(["market", "channel"]):
        best = group[group["is_recommended"]].iloc[0]
        if group["is_testable"].any():
            assert best["is_testable"] and best["test_weeks"] == group.loc[group["is_testable"], "test_weeks"].min()
    assert len(recommended) == plan.groupby(["market", "channel"]).ngroups


def test_a_shorter_test_would_not_reach_the_power(markets, plan):
    """The planner's week count is minimal: one week less (same design and multiplier) misses the target."""
    for market, (_, fm) in markets.items():
        draws = MediaDraws(fm)
        current = an.current_weekly_spend(fm, SETTINGS.lookback_weeks)
        rows = plan[(plan["market"] == market) & plan["is_testable"] & (plan["test_weeks"] > 1)]
        for r in rows.itertuples():
            ci = fm.channels.index(r.channel)
            lag = fm.specs[ci].max_lag
            k = 1.0 + r.weekly_spend_change / current[ci]
            weeks = r.test_weeks - 1
            base = np.tile(current, (weeks + lag, 1))
            lift = float(lift_draws(draws, base, ci, weeks, k).mean())
            assert power_of(lift, r.noise_sd_weekly, weeks + lag, 0.05) < SETTINGS.target_power, (market, r.channel)


def true_lift(truth, fm: FittedModel, channel: str, weeks: int, multiplier: float, lookback: int) -> float:
    p = truth.parameters.set_index("channel").loc[channel]
    history = truth.spend[channel].to_numpy()
    current = history[-lookback:].mean()
    lag = int(p["max_lag"])
    base = np.concatenate([history, np.full(weeks + lag, current)])
    changed = base.copy()
    changed[len(history): len(history) + weeks] *= multiplier

    def media(x):
        return p["beta"] * hill(geometric_adstock(x, p["alpha"], lag), p["half_saturation"], p["shape"])

    diff = (media(changed) - media(base))[len(history):].sum()
    return float(diff if multiplier > 1 else -diff)


def test_expected_lift_intervals_cover_the_true_lift(markets, plan):
    covered, errors = [], []
    for market, (truth, fm) in markets.items():
        rows = plan[(plan["market"] == market) & plan["test_weeks"].notna() & (plan["test_design"] != "geo_holdout")]
        for r in rows.itertuples():
            k = 1.0 + r.weekly_spend_change / r.current_weekly_spend
            true = true_lift(truth, fm, r.channel, int(r.test_weeks), k, SETTINGS.lookback_weeks)
            covered.append(r.expected_lift_lower <= true <= r.expected_lift_upper)
            errors.append(abs(r.expected_lift - true) / true)
    print(f"true lift covered by {np.mean(covered):.0%} of {len(covered)} 90% intervals; median error {np.median(errors):.0%}")
    assert np.mean(covered) >= 0.7
    assert np.median(errors) <= 0.35


def test_a_channel_that_cannot_be_tested_is_said_plainly(markets):
    _, fm = markets["bb"]
    tiny = ExperimentSettings(max_weeks=2)
    alone = experiment_plan({"bb": fm}, tiny)
    geo = alone[alone["test_design"] == "geo_holdout"]
    assert (~geo["is_testable"]).all()
    assert geo["message"].str.contains("needs another fitted market").all()
    assert geo["test_weeks"].isna().all()
    hopeless = alone[alone["is_recommended"] & ~alone["is_testable"]]
    assert len(hopeless), "two-week tests in a small market cannot settle every channel"
    assert hopeless["message"].str.startswith("cannot be tested usefully with the markets available").all()


def test_a_channel_without_current_spend_has_no_test(markets):
    truth, _ = markets["aa"]
    spend = truth.spend.reset_index(drop=True).copy()
    spend.loc[len(spend) - 13:, "display"] = 0.0
    data = MarketData(truth.weeks, truth.revenue, spend, truth.controls.reset_index(drop=True), truth.holiday_count)
    fm = FittedModel.from_result(fit_market(data, SPECS, FitConfig(cv_folds=0, holdout_weeks=0, seed=5), "aa"), data)
    out = experiment_plan({"aa": fm}, SETTINGS)
    display = out[out["channel"] == "display"]
    assert (~display["is_testable"]).all() and display["message"].str.contains("no spend in the last 13 weeks").all()
    assert (display["value_of_testing"] == 0).all()


def test_settings_are_validated():
    with pytest.raises(ValueError):
        ExperimentSettings(target_power=1.2)
    with pytest.raises(ValueError):
        ExperimentSettings(max_spend_multiplier=1.0)


def test_the_geo_holdout_controls_are_the_markets_whose_residuals_track_it_most():
    rng = np.random.default_rng(5)
    weeks = pd.date_range("2024-01-01", periods=80, freq="W-MON")
    shared = rng.normal(size=80)
    residual = {"x": pd.Series(shared + 0.3 * rng.normal(size=80), index=weeks)}
    for i in range(4):  # four markets sharing x's shocks (one with the opposite sign), eight that do not
        residual[f"near{i}"] = pd.Series((-1 if i == 3 else 1) * shared + 0.5 * rng.normal(size=80), index=weeks)
    for i in range(8):
        residual[f"far{i}"] = pd.Series(rng.normal(size=80), index=weeks)
    assert choose_controls("x", residual, k=4) == ["near0", "near1", "near2", "near3"]
    assert choose_controls("x", residual, k=12) == sorted(m for m in residual if m != "x")  # all when no more than k
    assert len(choose_controls("x", residual)) == MAX_CONTROL_MARKETS
    # a market sharing too few weeks with x is never chosen
    residual["short"] = pd.Series(shared[:5], index=weeks[:5])
    assert "short" not in choose_controls("x", residual, k=5)
