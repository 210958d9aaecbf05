"""mmm.tables: from the long model input to fits and output tables (what the dbt Python models call)."""

import numpy as np
import pandas as pd
import pytest
from tests_support import long_input, settings_frame

from mmm.demo import CHANNELS, simulate_market
from mmm.engine import InsufficientDataError
from mmm.results import SCHEMA_VERSION, StaleFitError
from mmm.settings import RunSettings
from mmm.tables import (
    channel_specs,
    fit_markets,
    load_fitted_markets,
    market_data,
    optimal_allocation_table,
    scenarios_table,
    target_budget_table,
)

SETTINGS = RunSettings(holdout_weeks=13, random_seed=3)


def with_(**changes) -> RunSettings:
    return RunSettings.from_mapping({**{k: v for k, v in vars(SETTINGS).items()}, **changes})


@pytest.fixture(scope="module")
def fitted():
    truths = {"aa": simulate_market(41), "bb": simulate_market(42, spend_scale=0.4)}
    model_input = long_input(truths)
    state = fit_markets(model_input, settings_frame(), None, None, SETTINGS)
    return truths, model_input, state, load_fitted_markets(state, model_input, settings_frame(), None, SETTINGS)


def test_market_data_pivots_the_long_input_back(fitted):
    truths, model_input, _, _ = fitted
    data = market_data(model_input, "aa")
    np.testing.assert_allclose(data.revenue, truths["aa"].revenue)
    np.testing.assert_allclose(data.spend["tv"].to_numpy(), truths["aa"].spend["tv"].to_numpy())
    assert list(data.controls.columns) == ["competitor_index", "price_index", "promo_flag"]


def test_every_market_fitted_once_with_restorable_state(fitted):
    _, _, state, fits = fitted
    assert list(state["market"]) == ["aa", "bb"] and (state["status"] == "fitted").all()
    assert (state["schema_version"] == SCHEMA_VERSION).all() and state["input_fingerprint"].str.len().eq(64).all()
    assert set(fits) == {"aa", "bb"}
    # the reported model is fitted on every week; the last 13 are forecast by a fit without them
    assert fits["aa"].problem.train.all()
    assert len(fits["aa"].result.holdout_forecast) == 13


def test_restoring_refuses_a_fit_of_other_input_or_settings(fitted):
    _, model_input, state, _ = fitted
    changed = model_input.copy()
    row = (changed.market == "bb") & (changed.variable_type == "revenue")
    changed.loc[changed.index[row][0], "value"] += 1.0
    with pytest.raises(StaleFitError, match="market bb was made from different input"):
        load_fitted_markets(state, changed, settings_frame(), None, SETTINGS)
    with pytest.raises(StaleFitError, match="different input"):
        load_fitted_markets(state, model_input, settings_frame(), None, with_(seasonality_order=3))
    # settings that do not change the fit (budget, bounds) do not invalidate it
    assert set(load_fitted_markets(state, model_input, settings_frame(), None, with_(budget_weekly=1e5))) == {"aa", "bb"}


def test_market_failing_sufficiency_gets_a_row_not_a_fit_and_all_failing_stops(fitted):
    _, model_input, _, _ = fitted
    sufficiency = pd.DataFrame([dict(market="bb", channel="", check_name="history_length", value=40, threshold=52,
                                     status="fail", message="only 40 weeks of sales (52 required)")])
    state = fit_markets(model_input, settings_frame(), None, sufficiency, SETTINGS)
    row = state.set_index("market").loc["bb"]
    assert row["status"] == "not_fitted" and "40 weeks" in row["message"]
    both = pd.concat([sufficiency, sufficiency.assign(market="aa")])
    with pytest.raises(InsufficientDataError, match="No market could be modeled"):
        fit_markets(model_input, settings_frame(), None, both, SETTINGS)


def test_settings_parse_dbt_rendered_text():
    table = pd.DataFrame({"setting_name": ["holdout_weeks", "budget_weekly", "target_mroi", "interval_level"],
                          "setting_value": ["13", '{"us": 250000}', "null", "0.8"]})
    s = RunSettings.from_table(table)
    assert s.holdout_weeks == 13 and s.budget_weekly == {"us": 250000}
    assert s.target_mroi is None and s.interval_level == 0.8
    assert RunSettings.from_mapping(None).allocation_lookback_weeks == 13
    with pytest.raises(ValueError, match="unknown run setting"):
        RunSettings.from_mapping({"holdout_weks": 8})


def test_channel_specs_read_settings_and_default_missing_prior():
    frame = settings_frame()
    frame.loc[0, "roi_prior_median"] = np.nan
    specs = channel_specs(frame)
    assert [s.name for s in specs] == sorted(c.name for c in CHANNELS)
    assert next(s for s in specs if s.name == frame.loc[0, "channel"]).roi_prior_median is None


def test_allocation_per_market_spends_current_budget_within_bounds(fitted):
    _, _, _, fits = fitted
    alloc = optimal_allocation_table(fits, settings_frame(), SETTINGS)
    for market, g in alloc.groupby("market"):
        assert g["optimal_weekly_spend"].sum() == pytest.approx(g["current_weekly_spend"].sum(), rel=1e-6)
        assert (g["optimal_weekly_spend"] >= g["min_weekly_spend"] * (1 - 1e-6)).all()
        assert (g["optimal_weekly_spend"] <= g["max_weekly_spend"] * (1 + 1e-6)).all()
        assert g["expected_revenue_optimal"].sum() >= g["expected_revenue_current"].sum() - 1e-6


def test_one_number_budget_is_shared_by_all_markets(fitted):
    _, _, _, fits = fitted
    base = optimal_allocation_table(fits, settings_frame(), SETTINGS)
    budget = float(base["current_weekly_spend"].sum()) * 1.1
    joint = optimal_allocation_table(fits, settings_frame(), with_(budget_weekly=budget))
    assert joint["is_joint_over_markets"].all()
    assert joint["optimal_weekly_spend"].sum() == pytest.approx(budget, rel=1e-6)
    aa_budget = round(float(base.loc[base.market == "aa", "current_weekly_spend"].sum()) * 0.9)
    per_market = optimal_allocation_table(fits, settings_frame(), with_(budget_weekly=f'{{"aa": {aa_budget}}}'))
    aa = per_market[per_market.market == "aa"]
    assert aa["optimal_weekly_spend"].sum() == pytest.approx(aa_budget, rel=1e-6)
    assert not per_market["is_joint_over_markets"].any()
    # a budget below the sum of the lower bounds is clipped to it, and the table says so
    low = optimal_allocation_table(fits, settings_frame(), with_(budget_weekly='{"aa": 1000}'))
    low_aa = low[low.market == "aa"]
    assert low_aa["optimal_weekly_spend"].sum() == pytest.approx(low_aa["min_weekly_spend"].sum(), rel=1e-6)
    assert low_aa["optimizer_message"].str.len().min() > 0


def test_scenarios_move_money_and_report_unknown_channels(fitted):
    _, _, _, fits = fitted
    scenarios = pd.DataFrame([
        dict(scenario_name="move", market="aa", channel="tv", change_type="absolute", change_value=-10000,
             description="tv to search"),
        dict(scenario_name="move", market="aa", channel="search", change_type="absolute", change_value=10000,
             description="tv to search"),
        dict(scenario_name="more_social", market="AA ", channel="Social", change_type="percent", change_value=20,
             description="social +20%"),
        dict(scenario_name="podcast", market="aa", channel="podcast", change_type="percent", change_value=10, description="new"),
    ])
    out = scenarios_table(fits, scenarios, SETTINGS).set_index("scenario_name")
    assert out.loc["move", "spend_change"] == pytest.approx(0.0, abs=1e-6)
    assert out.loc["more_social", "spend_change"] > 0 and out.loc["more_social", "revenue_change"] > 0
    assert out.loc["move", "revenue_change_lower"] <= out.loc["move", "revenue_change"] <= out.loc["move", "revenue_change_upper"]
    assert "podcast" in out.loc["podcast", "message"] and pd.isna(out.loc["podcast", "revenue_change"])


def test_target_revenue_mode_reaches_the_target(fitted):
    _, _, _, fits = fitted
    alloc = optimal_allocation_table(fits, settings_frame(), SETTINGS)
    target = float(alloc.loc[alloc.market == "aa", "expected_revenue_current"].sum())
    out = target_budget_table({"aa": fits["aa"]}, settings_frame(), with_(target_revenue_weekly=target))
    assert (out["mode"] == "target_revenue").all() and out["feasible"].all()
    assert out["expected_weekly_revenue"].sum() >= target * (1 - 1e-6)
    assert out["weekly_budget"].iloc[0] <= alloc.loc[alloc.market == "aa", "current_weekly_spend"].sum() * (1 + 1e-6)
    assert target_budget_table({"aa": fits["aa"]}, settings_frame(), SETTINGS).empty


def test_warnings_use_display_names_for_whole_words_only():
    from mmm.tables import with_display_names

    names = {"ooh": "Out of home", "tv": "TV", "search": "Paid search"}
    text = "ooh's return is poorly determined; search and tv move together; a research note"
    assert with_display_names(text, names) == (
        "Out of home's return is poorly determined; Paid search and TV move together; a research note")
    assert with_display_names("", names) == ""


def test_output_tables_keep_their_columns_without_lift_tests_or_scenarios(fitted):
    from mmm.tables import lift_test_calibration_table

    _, _, _, fits = fitted
    calibration = lift_test_calibration_table(fits, None)
    assert len(calibration) == 0
    assert {"market", "experiment_id", "start_date", "end_date", "measured_lift", "z_score"} <= set(calibration.columns)
    assert list(scenarios_table(fits, pd.DataFrame(), SETTINGS).columns)[:2] == ["scenario_name", "market"]


def test_a_channel_too_new_to_estimate_is_said_so_kept_out_of_the_moves_and_not_certain():
    truth = simulate_market(44)
    truth.spend["podcast"] = 0.0
    truth.spend.iloc[-3:, truth.spend.columns.get_loc("podcast")] = [8000.0, 9000.0, 8500.0]
    model_input = long_input({"aa": truth})
    channels = pd.concat([settings_frame(), settings_frame().iloc[:1].assign(channel="podcast", display_name="Podcast")])
    state = fit_markets(model_input, channels, None, None, SETTINGS)
    fits = load_fitted_markets(state, model_input, channels, None, SETTINGS)
    checks = fits["aa"].result.checks.set_index(["check_name", "channel"])
    assert checks.loc[("channel_too_new", "podcast"), "status"] == "warn"
    assert "too new to estimate" in checks.loc[("channel_too_new", "podcast"), "message"]
    assert checks.loc[("channel_too_new", "tv"), "status"] == "ok"
    alloc = optimal_allocation_table(fits, channels, SETTINGS).set_index("channel")
    podcast = alloc.loc["podcast"]
    assert podcast["optimal_weekly_spend"] == pytest.approx(podcast["current_weekly_spend"])
    assert alloc["optimal_weekly_spend"].sum() == pytest.approx(alloc["current_weekly_spend"].sum())
    from mmm import analysis as an

    roi = an.roi_interval(fits["aa"]).loc["podcast"]
    assert roi["upper"] - roi["lower"] > 0.5 * roi["estimate"]  # wide, never zero-width
