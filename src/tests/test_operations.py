"""Operating the model week after week: run history, refresh prior, backtest, alerts (package level; the dbt runs
are in test_operations_dbt.py)."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from tests_support import long_input, settings_frame

from mmm import alerts as al
from mmm import backtest as bt
from mmm import history as hi
from mmm import refresh as rf
from mmm import tables
from mmm.demo import simulate_market
from mmm.fit import FitConfig
from mmm.operations import OperationsSettings
from mmm.results import StaleFitError
from mmm.settings import RunSettings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = RunSettings(random_seed=3, cv_folds=0, holdout_weeks=8)
OPS = OperationsSettings()


def run_settings_table(settings: RunSettings = SETTINGS) -> pd.DataFrame:
    return pd.DataFrame({"setting_name": [f.name for f in fields(settings)],
                         "setting_value": [json.dumps(getattr(settings, f.name)) for f in fields(settings)]})


def build(model_input: pd.DataFrame, run_id: str, started: str, existing: pd.DataFrame | None = None,
          settings: RunSettings = SETTINGS, market_specs=None):
    """What one build does: fit, derive the tables, write its history rows."""
    fit = tables.fit_markets(model_input, settings_frame(), None, None, settings, market_specs=market_specs)
    fits = tables.load_fitted_markets(fit, model_input, settings_frame(), None, settings)
    summary = tables.channel_summary_table(fits, settings_frame(), settings)
    allocation = tables.optimal_allocation_table(fits, settings_frame(), settings)
    checks = tables.model_checks_table(fits, fit, settings_frame(), settings)
    fingerprints = hi.market_fingerprints(model_input, settings_frame(), None, run_settings_table(settings), OPS)
    context = {"run_id": run_id, "run_started_at": started, "as_of_date": started[:10]}
    rows = hi.history_rows(context, fit, summary, allocation, checks, model_input, fingerprints, existing=existing,
                           interval_level=settings.interval_level)
    return fit, fits, checks, hi.typed(rows)


def cut(model_input: pd.DataFrame, n_weeks: int) -> pd.DataFrame:
    weeks = sorted(model_input["week_start_date"].unique())[:n_weeks]
    return model_input[model_input["week_start_date"].isin(weeks)].reset_index(drop=True)


@pytest.fixture(scope="module")
def market():
    return long_input({"aa": simulate_market(51, n_weeks=112)})


@pytest.fixture(scope="module")
def runs(market):
    """Three builds: weeks 1..104, the same again, then weeks 1..108."""
    first = build(cut(market, 104), "r1", "2025-01-05 10:00:00")
    history = first[3]
    again = build(cut(market, 104), "r2", "2025-01-06 10:00:00", existing=history)
    history = pd.concat([history, again[3]], ignore_index=True)
    grown = build(cut(market, 108), "r3", "2025-02-02 10:00:00", existing=history)
    return {"r1": first, "r2": again, "r3": grown, "history": pd.concat([history, grown[3]], ignore_index=True)}


# ------------------------------------------------------------------------------------------ settings


def test_operations_settings_defaults_are_the_dbt_project_vars():
    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
    for f in fields(OperationsSettings):
        assert f.name in project, f"{f.name} is an operations setting but not a var in dbt_project.yml"
        assert project[f.name] == getattr(OPS, f.name), f.name
    sql = (ROOT / "models" / "history" / "mmm_operations_settings.sql").read_text()
    assert all(f"'{f.name}'" in sql for f in fields(OperationsSettings)), "mmm_operations_settings must write every var"


def test_operations_settings_read_dbt_rendered_text():
    s = OperationsSettings.from_mapping({"refresh_from_previous_run": "true", "refresh_prior_weight": "0.25",
                                         "backtest_origins": "3", "alert_recent_weeks": "null"})
    assert s.refresh_from_previous_run is True and s.refresh_prior_weight == 0.25 and s.backtest_origins == 3
    assert s.alert_recent_weeks == OPS.alert_recent_weeks
    with pytest.raises(ValueError, match="unknown operations setting"):
        OperationsSettings.from_mapping({"refresh_mode": "on"})
    with pytest.raises(ValueError, match="between 0 and 1"):
        OperationsSettings(refresh_prior_weight=2.0)
    # the refresh weight only changes the fingerprint when the refresh is on
    assert OperationsSettings(refresh_prior_weight=0.1).refresh_json() == OPS.refresh_json()
    on = OperationsSettings(refresh_from_previous_run=True)
    assert on.refresh_json() != replace(on, refresh_prior_weight=0.1).refresh_json()


# ------------------------------------------------------------------------------------------ history


def test_history_rows_one_per_market_and_channel_with_the_run_and_its_window(runs):
    rows = runs["r1"][3]
    assert list(rows.columns) == list(hi.HISTORY_COLUMNS)
    assert len(rows) == 8 and rows["channel"].is_unique and (rows["run_id"] == "r1").all()
    assert (rows["history_schema_version"] == hi.HISTORY_SCHEMA_VERSION).all()
    assert (rows["n_weeks"] == 104).all() and rows["last_week_start_date"].nunique() == 1
    assert rows["same_as_run_id"].isna().all() and rows["prior_run_id"].isna().all()
    assert (rows["roi_lower"] <= rows["roi"]).all() and (rows["roi"] <= rows["roi_upper"]).all()
    assert (rows["highest_weekly_spend"] >= rows["lowest_weekly_spend"]).all()
    assert rows["holdout_mape"].notna().all() and rows["cv_mape"].isna().all()  # cv_folds = 0
    record = json.loads(rows["posterior_json"].iloc[0])
    assert record["adstock_kind"] == "geometric" and "roi" in record["parameters"]
    assert all(len(v) == 4 for v in record["parameters"].values())


def test_the_same_input_is_the_same_state_and_new_weeks_are_a_new_one(runs):
    r1, r2, r3 = runs["r1"][3], runs["r2"][3], runs["r3"][3]
    assert (r1["input_fingerprint"] == r2["input_fingerprint"]).all()
    assert (r2["same_as_run_id"] == "r1").all()
    np.testing.assert_array_equal(r1["roi"], r2["roi"])  # same input, same numbers
    assert (r3["input_fingerprint"] != r1["input_fingerprint"]).all() and r3["same_as_run_id"].isna().all()
    assert list(hi.states(runs["history"])["run_id"].unique()) == ["r1", "r3"]


def test_the_fingerprint_covers_input_settings_and_package_version(market):
    data = cut(market, 104)
    base = hi.market_fingerprints(data, settings_frame(), None, run_settings_table(), OPS)
    changed = data.copy()
    changed.loc[changed.index[changed["variable_type"] == "revenue"][0], "value"] += 1.0
    assert hi.market_fingerprints(changed, settings_frame(), None, run_settings_table(), OPS) != base
    budget = run_settings_table(replace(SETTINGS, budget_weekly=1e5))
    assert hi.market_fingerprints(data, settings_frame(), None, budget, OPS) != base
    refresh = OperationsSettings(refresh_from_previous_run=True)
    assert hi.market_fingerprints(data, settings_frame(), None, run_settings_table(), refresh) != base
    assert hi.market_fingerprints(data, settings_frame(), None, run_settings_table(), OPS, package_version="9.9") != base
    assert hi.market_fingerprints(data, settings_frame(), None, run_settings_table(), OPS) == base


def test_the_previous_run_is_the_latest_earlier_state(runs):
    history = runs["history"]
    r3 = runs["r3"][3]
    end = r3["last_week_start_date"].iloc[0]
    previous = hi.previous_runs(history, {"aa": (r3["input_fingerprint"].iloc[0], end)})
    assert set(previous["run_id"]) == {"r2"}  # the latest run of the earlier state (r1 and r2 are one state)
    # a repeat of r1 compares with nothing earlier; a backtest at an earlier date ignores later runs
    r1 = runs["r1"][3]
    assert hi.previous_runs(history, {"aa": (r1["input_fingerprint"].iloc[0], r1["last_week_start_date"].iloc[0])}).empty
    # the refresh prior only takes a run on older data: not another state of the same weeks
    same_weeks = {"aa": ("another", end)}
    assert set(hi.previous_runs(history, same_weeks)["run_id"]) == {"r3"}
    assert set(hi.previous_runs(history, same_weeks, older_data_only=True)["run_id"]) == {"r2"}
    early = pd.Timestamp(r1["last_week_start_date"].iloc[0]) - pd.Timedelta(weeks=1)
    assert hi.previous_runs(history, {"aa": ("another", early)}).empty
    assert hi.previous_runs(None, {"aa": ("x", end)}).empty


def test_a_stored_history_of_this_version_is_appended_to():
    assert hi.plan_migration(hi.HISTORY_COLUMNS, [1, 1]) == []
    assert hi.plan_migration(hi.HISTORY_COLUMNS, []) == []  # an emptied table


def test_a_stored_history_of_an_unknown_or_newer_version_is_rejected_with_how_to_reset():
    with pytest.raises(hi.HistorySchemaError, match="no history_schema_version column.*--full-refresh"):
        hi.plan_migration(["run_id", "market", "roi"], [])
    with pytest.raises(hi.HistorySchemaError, match="schema version 7, written by a newer version"):
        hi.plan_migration(hi.HISTORY_COLUMNS, [1, 7])
    with pytest.raises(hi.HistorySchemaError, match="unknown columns: roi_median"):
        hi.plan_migration([*hi.HISTORY_COLUMNS, "roi_median"], [1])
    with pytest.raises(hi.HistorySchemaError, match="missing columns: roi_upper"):
        hi.plan_migration([c for c in hi.HISTORY_COLUMNS if c != "roi_upper"], [1])


def test_an_older_version_is_migrated_when_later_versions_only_added_columns_and_rejected_otherwise():
    v1 = ("history_schema_version", "run_id", "roi")
    additive = (hi.HistorySchema(1, v1, False), hi.HistorySchema(2, (*v1, "roi_median"), True))
    assert hi.plan_migration(v1, [1], additive) == ["roi_median"]
    assert hi.plan_migration((*v1, "roi_median"), [1, 2], additive) == []  # migrated before: old rows keep 1
    breaking = (hi.HistorySchema(1, v1, False), hi.HistorySchema(2, (*v1, "roi_median"), False))
    with pytest.raises(hi.HistorySchemaError, match="version\\(s\\) 2 changed what its columns mean"):
        hi.plan_migration(v1, [1], breaking)


# ------------------------------------------------------------------------------------------ refresh prior


def test_the_tempered_prior_counts_the_previous_data_a_times_and_the_configured_prior_once():
    # weight 0: the configured prior
    assert rf.tempered_prior(0.0, 1.0, 2.0, 0.1, 1.0, 0.0) == (0.0, 1.0)
    # data said nothing (posterior sd = its prior sd): the configured prior
    assert rf.tempered_prior(0.3, 0.8, 1.5, 0.8, 0.8, 0.5) == pytest.approx((0.3, 0.8))
    # strong data: precision 1/s0^2 + a (1/s^2 - 1/sp^2), mean pulled to the previous estimate in proportion
    mean, sd = rf.tempered_prior(0.0, 1.0, 2.0, 0.1, 1.0, 0.5)
    information = 1 / 0.1 ** 2 - 1.0
    assert sd == pytest.approx((1.0 + 0.5 * information) ** -0.5)
    assert mean == pytest.approx(0.5 * information * 2.0 / (1.0 + 0.5 * information))
    # a chain does not compound: the previous run's own (refresh) prior is taken out first
    _, sd_chained = rf.tempered_prior(0.0, 1.0, 2.0, 0.09, sd, 0.5)
    assert sd_chained > 0.09 / np.sqrt(1.5) * 0.9


def test_refresh_priors_only_for_channels_with_the_same_forms(runs):
    previous = runs["r1"][3][["market", "run_id", "channel", "posterior_json"]]
    fits = runs["r3"][1]
    specs = fits["aa"].specs
    priors = rf.refresh_priors(previous, specs, FitConfig(), 0.5)
    assert set(priors) == {s.name for s in specs} and set(priors["tv"]) == set(specs[0].parameter_names())
    changed = [replace(s, saturation_kind="logistic") if s.name == "tv" else s for s in specs]
    assert "tv" not in rf.refresh_priors(previous, changed, FitConfig(), 0.5)
    assert rf.refresh_priors(previous, specs, FitConfig(), 0.0) == {}


def test_a_refresh_fit_records_its_priors_and_is_restored_with_them(market, runs):
    previous = rf.previous_posterior(runs["r1"][3])
    hook = rf.refresh_specs(previous, FitConfig.from_settings(SETTINGS), 0.5)
    data = cut(market, 108)
    fit, fits, _, _ = build(data, "r4", "2025-02-03 10:00:00", market_specs=hook)
    stored = json.loads(fit["channel_priors_json"].iloc[0])
    assert set(stored) == set(fits["aa"].channels) and "roi" in stored["tv"]
    assert fits["aa"].specs[0].priors  # the restored fit carries them
    plain = runs["r3"][3].set_index("channel")
    width = (plain["roi_upper"] - plain["roi_lower"]).mean()
    refreshed = tables.channel_summary_table(fits, settings_frame(), SETTINGS).set_index("channel")
    # the refresh narrows the intervals, but by less than counting the old weeks twice would (1/sqrt(2))
    ratio = (refreshed["roi_upper"] - refreshed["roi_lower"]).mean() / width
    assert 1 / np.sqrt(2) < ratio < 1.0
    tampered = fit.assign(channel_priors_json="{}")
    with pytest.raises(StaleFitError, match="different input"):
        tables.load_fitted_markets(tampered, data, settings_frame(), None, SETTINGS)


# ------------------------------------------------------------------------------------------ backtest


def test_backtest_origins_step_back_from_the_last_week_and_keep_enough_history():
    assert bt.origins(100, 6, 4, 52) == [96, 92, 88, 84, 80, 76]
    assert bt.origins(60, 6, 4, 52) == [56, 52]
    assert bt.origins(50, 6, 4, 52) == []


def test_backtest_refits_forecast_the_weeks_after_each_origin(runs):
    fm = runs["r3"][1]["aa"]
    rows = bt.backtest(fm, 3, 4, 6)
    n = len(fm.data.weeks)
    assert list(rows.columns) == bt.BACKTEST_COLUMNS
    assert rows.groupby("origin_week_start_date").size().sort_index().tolist() == [6, 6, 4]  # the newest has 4 weeks
    assert set(rows["train_weeks"]) == {n - 4, n - 8, n - 12}
    first = rows[rows["train_weeks"] == n - 12]
    assert first["horizon_weeks"].tolist() == [1, 2, 3, 4, 5, 6]
    assert (pd.to_datetime(first["week_start_date"]) == fm.data.weeks[n - 12:n - 6]).all()
    np.testing.assert_allclose(first["actual_revenue"], fm.data.revenue[n - 12:n - 6])
    assert rows["absolute_percentage_error"].mean() < 0.1  # a simulated market with 2-4% noise
    by_h = bt.error_by_horizon(rows.assign(market="aa"))
    assert by_h["horizon_weeks"].tolist() == [1, 2, 3, 4, 5, 6] and by_h["forecasts"].tolist() == [3, 3, 3, 3, 2, 2]
    windows = bt.recent_windows(rows)
    assert windows["weeks"].tolist() == [4] and windows["origin"].iloc[0] == fm.data.weeks[n - 4]  # 8, 12 stop short
    assert windows["reference_forecasts"].iloc[0] == 8  # horizons 1-4 of the two earlier origins


def test_backtest_refits_leave_a_refresh_prior_out():
    from mmm.model import ChannelSpec

    specs = [ChannelSpec("tv", priors={"roi": (0.1, 0.2), "adstock_alpha": (0.0, 1.0)})]
    assert bt.without_priors(specs, {"tv": {"roi": [0.1, 0.2]}})[0].priors == {"adstock_alpha": (0.0, 1.0)}


# ------------------------------------------------------------------------------------------ alerts


def backtest_rows(newest: list[float], earlier: float = 0.04) -> pd.DataFrame:
    """Two earlier origins forecasting 4 weeks each with error ``earlier``, then the newest with ``newest``."""
    weeks = pd.date_range("2025-01-06", periods=8 + len(newest), freq="W-MON")
    frames = [pd.DataFrame({"origin_week_start_date": weeks[k], "week_start_date": weeks[k:k + 4], "horizon_weeks": range(1, 5),
                            "absolute_percentage_error": earlier}) for k in (0, 4)]
    frames.append(pd.DataFrame({"origin_week_start_date": weeks[8], "week_start_date": weeks[8:],
                                "horizon_weeks": range(1, len(newest) + 1), "absolute_percentage_error": newest}))
    return pd.concat(frames, ignore_index=True)


def checks(holdout: float = 0.04, cv: float = 0.05) -> pd.DataFrame:
    return pd.DataFrame({"check_name": ["holdout_mape", "cv_mape", "channel_too_new"], "channel": ["", "", "podcast"],
                         "value": [holdout, cv, 3.0], "threshold": [0.15, 0.15, 8.0], "status": ["ok", "ok", "warn"]})


def test_forecast_drift_fires_only_well_above_the_usual_out_of_sample_error():
    assert al.forecast_drift("aa", backtest_rows([0.09, 0.10, 0.08, 0.09]), checks()) == []  # 2.25 x usual
    [alert] = al.forecast_drift("aa", backtest_rows([0.11, 0.12, 0.10, 0.11]), checks())  # 2.75 x
    assert alert.severity == "warning" and alert.value == pytest.approx(0.11)
    assert "newest 4 weeks" in alert.message
    assert "2.7 times the error of the same forecasts on earlier weeks (4.0%)" in alert.message  # 2.749...
    assert "the build's holdout 4.0% and cross-validation 5.0% include these weeks" in alert.message
    [alert] = al.forecast_drift("aa", backtest_rows([0.2] * 4), checks())
    assert alert.severity == "critical"
    # twice a tiny error is not news
    assert al.forecast_drift("aa", backtest_rows([0.02] * 4, earlier=0.008), checks(0.005, 0.008)) == []
    # an anomaly in the newest weeks inflates the holdout too: the earlier weeks are the reference
    assert al.forecast_drift("aa", backtest_rows([0.2] * 4), checks(holdout=0.09))[0].severity == "critical"


def test_forecast_drift_looks_at_every_window_of_newest_weeks():
    # a change 8 weeks ago: the newest 4 weeks look normal to a fit that has seen the first 4 changed weeks,
    # the 8-week window does not
    weeks = pd.date_range("2025-01-06", periods=16, freq="W-MON")
    rows = pd.concat([
        pd.DataFrame({"origin_week_start_date": weeks[0], "week_start_date": weeks[0:8], "horizon_weeks": range(1, 9),
                      "absolute_percentage_error": 0.03}),
        pd.DataFrame({"origin_week_start_date": weeks[8], "week_start_date": weeks[8:16], "horizon_weeks": range(1, 9),
                      "absolute_percentage_error": 0.15}),
        pd.DataFrame({"origin_week_start_date": weeks[12], "week_start_date": weeks[12:16], "horizon_weeks": range(1, 5),
                      "absolute_percentage_error": 0.05}),
    ], ignore_index=True)
    windows = bt.recent_windows(rows)
    assert windows["weeks"].tolist() == [4, 8]
    # the 4-week window's reference includes the changed weeks 8..11 (horizons 1-4 of the origin 8 weeks back)
    assert windows["reference"].tolist() == pytest.approx([(4 * 0.03 + 4 * 0.15) / 8, 0.03])
    [alert] = al.forecast_drift("aa", rows, checks())
    assert "newest 8 weeks" in alert.message and alert.severity == "critical"


def history_frame(roi: dict[str, tuple[float, float, float]], as_of: str = "2025-01-05", **extra) -> pd.DataFrame:
    return pd.DataFrame([dict(channel=c, display_name=c.upper(), roi=r, roi_lower=lo, roi_upper=hi, as_of_date=as_of,
                              interval_level=0.9, last_week_start_date="2024-12-30", highest_weekly_spend=100.0,
                              optimal_weekly_spend=50.0, **extra) for c, (r, lo, hi) in roi.items()])


def test_a_roi_outside_the_previous_interval_is_a_warning_and_disjoint_intervals_are_critical():
    previous = history_frame({"tv": (1.2, 1.0, 1.5), "radio": (0.8, 0.5, 1.2), "search": (2.0, 1.5, 2.5)})
    current = history_frame({"tv": (1.3, 1.05, 1.6), "radio": (1.3, 1.0, 1.7), "search": (3.0, 2.6, 3.5)})
    found = {a.channel: a for a in al.roi_shifts("aa", current, previous, {"radio": "Radio"})}
    assert set(found) == {"radio", "search"}
    assert found["radio"].severity == "warning" and found["radio"].threshold == 1.2
    assert found["radio"].message.startswith("Radio's ROI moved up from 0.80 (90% interval 0.50 to 1.20, run as of 2025-01-05)")
    assert found["search"].severity == "critical" and "do not overlap" in found["search"].message


def test_new_and_vanished_channels_against_the_previous_run_or_the_too_new_check():
    previous = history_frame({"tv": (1, 1, 1), "radio": (1, 1, 1)})
    current = history_frame({"tv": (1, 1, 1), "podcast": (1, 1, 1)})
    found = {(a.alert_name, a.channel): a.severity for a in al.channel_changes("aa", current, previous, checks(), {})}
    assert found == {("new_channel", "podcast"): "info", ("vanished_channel", "radio"): "warning"}
    [alert] = al.channel_changes("aa", current, None, checks(), {"podcast": "Podcast"})
    assert alert.alert_name == "new_channel" and alert.message.startswith("Podcast started spending 3 weeks ago")


def test_spend_beyond_the_range_the_model_has_seen():
    current = history_frame({"tv": (1, 1, 1), "radio": (1, 1, 1)})
    current.loc[0, "optimal_weekly_spend"] = 150.0  # tv: above 1.1 x the highest seen (100)
    previous = history_frame({"tv": (1, 1, 1), "radio": (1, 1, 1)})
    spend = pd.DataFrame({"week_start_date": ["2024-12-30", "2025-01-06", "2025-01-06"], "channel": ["radio", "radio", "tv"],
                          "value": [500.0, 130.0, 90.0]})
    found = {(a.alert_name, a.channel): a for a in al.spend_ranges("aa", current, previous, spend, {}, "USD")}
    assert set(found) == {("recommended_spend_beyond_data", "tv"), ("spend_beyond_previous_range", "radio")}
    beyond = found[("recommended_spend_beyond_data", "tv")]
    assert "(150 USD) is above the highest weekly spend in the data (100 USD)" in beyond.message
    assert found[("spend_beyond_previous_range", "radio")].value == 130.0  # the week before the previous run's end is ignored


def test_revenue_far_outside_the_prediction_interval_in_a_recent_week():
    z90 = 1.6448536269514722
    weeks = pd.date_range("2025-01-06", periods=6, freq="W-MON")
    fitted = pd.DataFrame({"week_start_date": weeks, "fitted_revenue": 100.0, "fitted_lower": 100 - z90 * 10,
                           "fitted_upper": 100 + z90 * 10, "actual_revenue": [200.0, 100, 100, 135, 100, 40]})
    found = al.revenue_outliers("aa", fitted, 4, 0.9, "USD")
    assert [(a.week_start_date, a.severity) for a in found] == [(weeks[3], "warning"), (weeks[5], "critical")]
    assert found[0].value == pytest.approx(3.5) and "far above" in found[0].message and "far below" in found[1].message


def test_a_partial_last_week_is_said():
    window = pd.DataFrame([dict(is_last_week_complete=False, days_in_last_week=3, as_of_date="2025-01-08",
                                last_week_start_date="2025-01-06")])
    [alert] = al.partial_last_week("aa", window)
    assert alert.value == 3 and "holds at most 3 of its 7 days" in alert.message
    assert al.partial_last_week("aa", window.assign(is_last_week_complete=True)) == []


def test_the_alerts_table_compares_this_run_with_the_previous_state(runs, market):
    history = runs["history"]
    fit, fits, model_checks, rows = runs["r3"]
    fitted = tables.fitted_revenue_table(fits)
    backtest = bt.backtest_table(fits, fit, 2, 4, 4)
    out = al.alerts_table(history, "r3", backtest, model_checks, fitted, cut(market, 108), None, 4, 0.9, "USD")
    assert list(out.columns) == [*al.ALERT_COLUMNS, "run_id"] and out["alert_id"].is_unique
    assert list(out["severity"]) == sorted(out["severity"], key=al.SEVERITIES.index)
    # an alert against r1/r2 names that run's date; a repeat of r1 has nothing to compare with
    for message in out.loc[out["alert_name"] == "roi_outside_previous_interval", "message"]:
        assert "run as of 2025-01-06" in message
    repeat = al.alerts_table(history, "r2", backtest.iloc[0:0], model_checks, fitted, market, None, 4, 0.9, "USD")
    assert not repeat["alert_name"].isin(["roi_outside_previous_interval", "vanished_channel"]).any()


# ------------------------------------------------------------------------------------------ the public contract


def test_the_operations_outputs_have_the_contract_columns(runs, market):
    from mmm import contracts

    public = contracts.public_tables()
    history = runs["history"]
    fit, fits, model_checks, _ = runs["r3"]
    backtest = bt.backtest_table(fits, fit, 2, 4, 4)
    alerts = al.alerts_table(history, "r3", backtest, model_checks, tables.fitted_revenue_table(fits), cut(market, 108),
                             None, 4, 0.9, "USD")
    assert public["fct_run_history"].column_names == list(history.columns) == list(hi.HISTORY_COLUMNS)
    assert public["fct_backtest"].column_names == list(backtest.columns)
    assert public["fct_alerts"].column_names == list(alerts.columns)
    assert public["fct_run_history"].grain == ("run_id", "market", "channel")


def test_the_backtest_in_worker_processes_equals_the_one_in_process(runs, market):
    """backtest_from_fits (what mmm_backtest runs: each market restored in a worker) gives backtest_table's rows."""
    fit, fits, _, _ = runs["r3"]
    expected = bt.backtest_table(fits, fit, 2, 4, 4)
    got = bt.backtest_from_fits(fit, cut(market, 108), settings_frame(), None, SETTINGS, 2, 4, 4)
    assert len(got) == 8 and set(got["horizon_weeks"]) == {1, 2, 3, 4}
    pd.testing.assert_frame_equal(got, expected, rtol=1e-6)
