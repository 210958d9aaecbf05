"""The planning step's tables (mmm.planning): settings, spend-plan handling, the plans, and the public contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from tests_support import long_input, settings_frame

from mmm import contracts, tables
from mmm.demo import simulate_market
from mmm.experiment_plan import PLAN_COLUMNS
from mmm.experiment_validation import VALIDATION_COLUMNS
from mmm.planning import (
    PLAN_FORECAST_COLUMNS,
    PlanningSettings,
    experiment_plan_from_fits,
    experiment_plan_table,
    plan_forecast_table,
)
from mmm.settings import RunSettings

RUN = RunSettings(random_seed=3, cv_folds=0)
ROOT = Path(__file__).resolve().parents[2]
# the marts' columns that the SQL renames from the wide Python output (models/marts/planning/fct_plan_*.sql)
RENAMED = {
    "fct_plan_forecast": {"planned_spend": "week_planned_spend", "expected_media_revenue": "week_expected_media_revenue",
                          "media_revenue_lower": "week_media_revenue_lower",
                          "media_revenue_upper": "week_media_revenue_upper"},
    "fct_plan_summary": {c: f"plan_{c}" for c in ("planned_spend", "expected_revenue", "revenue_lower", "revenue_upper",
                                                  "expected_media_revenue", "media_revenue_lower", "media_revenue_upper",
                                                  "expected_carryover_revenue")},
    "fct_plan_allocation": {},
}


@pytest.fixture(scope="module")
def stored():
    model_input = long_input({"aa": simulate_market(51, n_weeks=120), "bb": simulate_market(52, n_weeks=120, spend_scale=0.3)})
    return tables.fit_markets(model_input, settings_frame(), None, None, RUN), model_input


@pytest.fixture(scope="module")
def fits(stored):
    fit, model_input = stored
    return tables.load_fitted_markets(fit, model_input, settings_frame(), None, RUN)


def spend_plan_rows(fits, market="aa", weeks=6, skip_week=None) -> pd.DataFrame:
    fm = fits[market]
    last = pd.Timestamp(fm.data.weeks[-1])
    current = fm.spend_matrix()[-13:].mean(axis=0)
    rows = []
    for h in range(1, weeks + 1):
        if h == skip_week:
            continue
        for ci, c in enumerate(fm.channels):
            if c == "email":
                continue  # left out of the plan: planned at 0
            spend = current[ci] * (2.0 if c == "tv" else 1.0)
            rows.append(dict(market=market, week_start_date=last + pd.Timedelta(weeks=h), channel=c, spend=spend,
                             plan_rows=1, unconverted_rows=0))
    rows.append(dict(market=market, week_start_date=last, channel="tv", spend=1e6, plan_rows=1, unconverted_rows=0))
    rows.append(dict(market=market, week_start_date=last + pd.Timedelta(weeks=1), channel="podcast", spend=5.0,
                     plan_rows=1, unconverted_rows=0))
    rows.append(dict(market=market, week_start_date=last + pd.Timedelta(weeks=2), channel="radio", spend=0.0,
                     plan_rows=2, unconverted_rows=2))
    return pd.DataFrame(rows).groupby(["market", "week_start_date", "channel"], as_index=False).sum()


def test_planning_settings_match_the_dbt_vars():
    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
    for name, value in vars(PlanningSettings()).items():
        assert name in project, f"{name} is a planning setting but not a var in dbt_project.yml"
        assert project[name] == value, f"{name}: dbt_project.yml says {project[name]!r}, PlanningSettings {value!r}"
    sql = (ROOT / "models" / "planning" / "mmm_planning_settings.sql").read_text()
    assert all(f"'{name}'" in sql for name in vars(PlanningSettings())), "mmm_planning_settings must list every var"


def test_planning_settings_from_the_settings_table():
    table = pd.DataFrame({"setting_name": ["plan_budget", "plan_target_growth", "experiment_max_weeks", "plan_horizon_weeks"],
                          "setting_value": ['{"aa": 1000000}', "0.15", "8", "null"]})
    s = PlanningSettings.from_table(table)
    assert s.plan_budget == {"aa": 1e6} and s.plan_target_growth == 0.15 and s.experiment_max_weeks == 8
    assert s.plan_horizon_weeks == 13
    with pytest.raises(ValueError, match="unknown planning setting"):
        PlanningSettings.from_mapping({"plan_budgett": 3})
    with pytest.raises(ValueError):
        PlanningSettings(experiment_target_power=0.0)


def test_tables_give_the_contract_columns(fits):
    public = contracts.public_tables()
    wide = plan_forecast_table(fits, None, None, None, settings_frame(), RUN, PlanningSettings())
    assert list(wide.columns) == PLAN_FORECAST_COLUMNS
    for mart, renamed in RENAMED.items():
        missing = [c for c in public[mart].column_names if renamed.get(c, c) not in wide.columns]
        assert not missing, f"{mart}: {missing} not in mmm_plan_forecast"
    assert public["fct_experiment_plan"].column_names == PLAN_COLUMNS
    assert public["fct_experiment_validation"].column_names == VALIDATION_COLUMNS
    plan = experiment_plan_table(fits, RUN, PlanningSettings())
    assert list(plan.columns) == PLAN_COLUMNS


def test_without_a_spend_plan_the_horizon_var_gives_the_weeks(fits):
    wide = plan_forecast_table(fits, None, None, None, settings_frame(), RUN, PlanningSettings(plan_horizon_weeks=5))
    assert set(wide["plan_name"]) == {"current_spend", "optimized"}
    for market, fm in fits.items():
        weeks = sorted(wide.loc[wide["market"] == market, "week_start_date"].unique())
        assert len(weeks) == 5 and weeks[0] == pd.Timestamp(fm.data.weeks[-1]) + pd.Timedelta(weeks=1)
        current = wide[(wide["market"] == market) & (wide["plan_name"] == "current_spend")]
        now = fm.spend_matrix()[-RUN.allocation_lookback_weeks:].mean(axis=0)
        np.testing.assert_allclose(current.groupby("channel", sort=False)["planned_spend"].mean()[fm.channels], now)


def test_a_spend_plan_is_forecast_and_what_it_leaves_out_is_said(fits):
    plan = spend_plan_rows(fits, skip_week=4)
    wide = plan_forecast_table(fits, plan, None, None, settings_frame(), RUN, PlanningSettings())
    aa = wide[wide["market"] == "aa"]
    assert set(aa["plan_name"]) == {"spend_plan", "current_spend", "optimized"}
    assert set(wide.loc[wide["market"] == "bb", "plan_name"]) == {"current_spend", "optimized"}
    sp = aa[aa["plan_name"] == "spend_plan"]
    fm = fits["aa"]
    weeks = sorted(sp["week_start_date"].unique())
    assert len(weeks) == 6 and weeks[0] == pd.Timestamp(fm.data.weeks[-1]) + pd.Timedelta(weeks=1)
    message = sp["message"].iloc[0]
    assert "1 planned week(s) up to" in message  # the row dated in the last modeled week
    assert "podcast" in message and "not modeled" in message
    assert "2 spend plan row(s) have a currency without an FX rate" in message
    assert "1 week(s) without plan rows keep current spend" in message
    assert "the plan has no spend for email" in message
    spend = sp.pivot_table(index="week_start_date", columns="channel", values="planned_spend")
    now = pd.Series(fm.spend_matrix()[-13:].mean(axis=0), index=fm.channels)
    assert (spend["email"].drop(weeks[3]) == 0).all()
    np.testing.assert_allclose(spend.loc[weeks[3], fm.channels], now[fm.channels])  # the gap week keeps current spend
    np.testing.assert_allclose(spend["tv"].drop(weeks[3]), 2 * now["tv"])
    # the optimizer spreads the spend plan's total by default
    opt = aa[aa["plan_name"] == "optimized"]
    assert opt["planned_spend"].sum() == pytest.approx(sp["planned_spend"].sum(), rel=1e-6)
    assert (opt["planned_spend"] >= opt["min_weekly_spend"] - 1e-6).all()
    assert (opt["planned_spend"] <= opt["max_weekly_spend"] + 1e-6).all()
    # more TV than now brings more revenue than now, the difference per draw has an interval around it
    summary = aa.drop_duplicates("plan_name").set_index("plan_name")
    assert summary.loc["spend_plan", "plan_expected_media_revenue"] > summary.loc["current_spend", "plan_expected_media_revenue"]
    assert summary.loc["current_spend", "revenue_change_vs_current"] == 0
    assert (summary["revenue_change_vs_current_lower"] <= summary["revenue_change_vs_current"]).all()
    assert summary.loc["optimized", "revenue_change_vs_current"] >= summary.loc["spend_plan", "revenue_change_vs_current"]


def test_plan_totals_are_the_sums_of_the_weeks(fits):
    wide = plan_forecast_table(fits, spend_plan_rows(fits), None, None, settings_frame(), RUN, PlanningSettings())
    weeks = wide.drop_duplicates(["market", "plan_name", "week_start_date"])
    for (_, _), g in weeks.groupby(["market", "plan_name"]):
        assert g["plan_expected_revenue"].iloc[0] == pytest.approx(g["expected_revenue"].sum(), rel=1e-9)
        assert g["plan_planned_spend"].iloc[0] == pytest.approx(g["week_planned_spend"].sum(), rel=1e-9)
        assert g["plan_revenue_lower"].iloc[0] <= g["plan_expected_revenue"].iloc[0] <= g["plan_revenue_upper"].iloc[0]
        assert (g["revenue_lower"] <= g["expected_revenue"]).all() and (g["expected_revenue"] <= g["revenue_upper"]).all()
    channel_sum = wide.groupby(["market", "plan_name", "week_start_date"])["expected_media_revenue"].sum()
    week_media = weeks.set_index(["market", "plan_name", "week_start_date"])["week_expected_media_revenue"]
    np.testing.assert_allclose(channel_sum.loc[week_media.index], week_media, rtol=1e-9)


def test_a_quarter_budget_per_market(fits):
    budget = {"aa": 2_000_000.0}
    wide = plan_forecast_table(fits, None, None, None, settings_frame(), RUN, PlanningSettings(plan_budget=budget))
    opt = wide[wide["plan_name"] == "optimized"].groupby("market")["planned_spend"].sum()
    now = wide[wide["plan_name"] == "current_spend"].groupby("market")["planned_spend"].sum()
    assert opt["aa"] == pytest.approx(min(2e6, 2 * now["aa"]), rel=1e-6)
    assert opt["bb"] == pytest.approx(now["bb"], rel=1e-6)  # no budget given for bb: its current spend


def test_target_growth_finds_the_smallest_budget_or_says_it_is_out_of_reach(fits):
    one = {"aa": fits["aa"]}
    base = plan_forecast_table(one, None, None, None, settings_frame(), RUN, PlanningSettings())
    now = base[base["plan_name"] == "current_spend"].iloc[0]
    growth = float(now["growth_vs_last_year"]) + 0.02  # 2 points more than keeping current spend
    wide = plan_forecast_table(one, None, None, None, settings_frame(), RUN, PlanningSettings(plan_target_growth=growth))
    row = wide[wide["plan_name"] == "target_growth"].iloc[0]
    assert row["is_target_reached"], row["message"]
    assert row["target_growth"] == pytest.approx(growth)
    assert row["plan_expected_revenue"] >= (1 + growth) * row["revenue_same_weeks_last_year"] * (1 - 1e-9)
    assert row["growth_vs_last_year"] == pytest.approx(growth, abs=0.002)
    # minimal: the optimizer's best plan for a budget 2% smaller falls short of the target
    smaller = 0.98 * row["plan_planned_spend"]
    check = plan_forecast_table(one, None, None, None, settings_frame(), RUN, PlanningSettings(plan_budget=smaller))
    assert check[check["plan_name"] == "optimized"].iloc[0]["growth_vs_last_year"] < growth
    far = plan_forecast_table(fits, None, None, None, settings_frame(), RUN, PlanningSettings(plan_target_growth=3.0))
    rows = far[far["plan_name"] == "target_growth"].drop_duplicates("market")
    assert (~rows["is_target_reached"].astype(bool)).all()
    assert rows["message"].str.contains("out of reach within the channels' bounds").all()
    upper = far[far["plan_name"] == "target_growth"].groupby("market")["max_weekly_spend"].sum()
    spent = far[far["plan_name"] == "target_growth"].groupby("market")["planned_spend"].sum()
    np.testing.assert_allclose(spent, upper, rtol=1e-6)


def test_the_experiment_plan_in_worker_processes_equals_the_one_in_process(stored, fits):
    """experiment_plan_from_fits (what mmm_experiment_plan runs: residuals, then designs, each market restored in a
    worker) gives experiment_plan_table's rows."""
    fit, model_input = stored
    expected = experiment_plan_table(fits, RUN, PlanningSettings())
    got = experiment_plan_from_fits(fit, model_input, settings_frame(), None, RUN, PlanningSettings())
    assert (got["test_design"] == "geo_holdout").any() and set(got["control_markets"].dropna()) >= {"aa", "bb"}
    pd.testing.assert_frame_equal(got, expected, rtol=1e-6)
