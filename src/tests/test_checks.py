"""mmm.checks: one row schema, one thresholds config, checks that fire on constructed problems."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mmm import checks as ck
from mmm import diagnostics as dg
from mmm.settings import RunSettings


def _clean_market(n: int = 156, seed: int = 0):
    rng = np.random.default_rng(seed)
    weeks = np.arange(n)
    demand = 1e6 + 2e5 * np.sin(2 * np.pi * weeks / 52)
    spend = pd.DataFrame({c: rng.gamma(4.0, scale, size=n)
                          for c, scale in [("tv", 20000), ("search", 12000), ("social", 9000)]})
    roi = pd.DataFrame({"estimate": [1.2, 2.0, 0.9], "lower": [0.9, 1.6, 0.6], "upper": [1.6, 2.5, 1.3]},
                       index=["tv", "search", "social"])
    return spend, demand, roi


def test_clean_data_every_check_ok_and_one_row_per_check_and_subject():
    spend, demand, roi = _clean_market()
    table = ck.checks_frame(ck.identification_checks(spend, vifs=dg.vif(spend), demand=demand, roi=roi,
                                                     baseline=demand * 0.8))
    assert list(table.columns) == ck.CHECK_COLUMNS
    assert (table["status"] == "ok").all(), table[table["status"] != "ok"]
    per_channel = {"channel_rarely_active", "channel_small_spend", "vif", "spend_tracks_demand", "roi_interval_wide"}
    for check in per_channel:
        assert sorted(table.loc[table.check_name == check, "channel"]) == ["search", "social", "tv"], check
    market_level = table[~table.check_name.isin(per_channel)]
    assert set(market_level["check_name"]) == {"history_length", "spend_correlation", "baseline_negative"}
    assert (market_level["channel"] == "").all()


def test_checks_without_input_are_skipped():
    spend, _, _ = _clean_market()
    table = ck.checks_frame(ck.identification_checks(spend))
    assert not {"vif", "spend_tracks_demand", "roi_interval_wide", "baseline_negative"} & set(table["check_name"])


def test_checks_fire_on_constructed_problems():
    n = 60
    rng = np.random.default_rng(12)
    weeks = np.arange(n)
    demand = 1e6 + 3e5 * np.sin(2 * np.pi * weeks / 52)
    search = rng.gamma(4.0, 10000, size=n)
    spend = pd.DataFrame({
        "search": search,
        "social": search * 0.5 + rng.normal(scale=1500, size=n),  # tracks search
        "tv": 0.05 * (demand - 7e5) + rng.normal(scale=500, size=n),  # follows demand
        "email": np.where(weeks % 10 == 0, 3000.0, 0.0),  # rare and small
    })
    vifs = pd.Series({"search": 14.2, "social": 14.0, "tv": 1.3, "email": math.inf})
    roi = pd.DataFrame({"estimate": [2.0, 1.0, 1.5, 3.0], "lower": [1.5, 0.08, 1.0, 0.5],
                        "upper": [2.6, 1.3, 2.1, 9.0]}, index=["search", "social", "tv", "email"])
    baseline = demand - 9e5  # dips below zero in the seasonal trough
    table = ck.checks_frame(ck.identification_checks(spend, vifs=vifs, demand=demand, roi=roi, baseline=baseline))

    def fired(check):
        sub = table[(table["check_name"] == check) & (table["status"] != "ok")]
        return dict(zip(sub["channel"], sub["status"]))

    assert fired("history_length") == {"": "warn"}
    assert fired("channel_rarely_active") == {"email": "warn"}
    assert "email" in fired("channel_small_spend") and "search" not in fired("channel_small_spend")
    assert fired("vif") == {"search": "warn", "social": "warn", "email": "fail"}
    assert fired("spend_correlation") == {"search & social": "warn"}
    assert "tv" in fired("spend_tracks_demand") and "search" not in fired("spend_tracks_demand")
    # social: width 1.22 / 1.0 is fine but the lower bound is at 8% of the estimate; email: width 8.5 / 3 > 1.5
    assert fired("roi_interval_wide") == {"social": "warn", "email": "warn"}
    widths = table[table["check_name"] == "roi_interval_wide"].set_index("channel")["value"]
    assert widths["email"] == pytest.approx(8.5 / 3.0)
    assert fired("baseline_negative") == {"": "warn"}
    assert table.set_index("check_name").loc["baseline_negative", "value"] == int(np.sum(baseline < 0))
    corr_row = table[table["check_name"] == "spend_correlation"].iloc[0]
    assert corr_row["message"].startswith("search and social move together (correlation 0.")
    # a firing pairwise check has no market-level 'ok' row
    assert not ((table["check_name"] == "spend_correlation") & (table["status"] == "ok")).any()


def test_a_zero_spend_channel_fails_once_and_is_never_also_ok():
    # the defect this schema fixes: 'channel_spend_constant:email fail' next to 'channel_spend_constant ok'
    spend, _, _ = _clean_market()
    spend["email"] = 0.0
    usable, rows = ck.spend_checks(spend, ["tv", "search", "social", "email", "podcast"])
    table = ck.checks_frame(rows)
    assert usable == ["tv", "search", "social"]
    constant = table[table.check_name == "channel_spend_constant"].set_index("channel")["status"]
    assert constant.to_dict() == {"tv": "ok", "search": "ok", "social": "ok", "email": "fail"}
    assert table.set_index(["check_name", "channel"]).loc[("channel_not_in_market", "podcast"), "status"] == "ok"


def test_duplicate_check_rows_are_refused():
    row = ck.Check("vif", "tv", "identification", 2.0, 10.0, "ok", "fine")
    with pytest.raises(ValueError, match="reported twice"):
        ck.checks_frame([row, row])
    with pytest.raises(ValueError, match="status must be one of"):
        ck.Check("vif", "tv", "identification", 2.0, 10.0, "green", "fine")


def test_thresholds_are_one_config_with_overrides():
    spend, _, _ = _clean_market(n=100)
    th = ck.Thresholds.with_overrides({"min_weeks": 104})
    table = ck.checks_frame(ck.identification_checks(spend, thresholds=th))
    assert table.set_index("check_name").loc["history_length", "status"] == "warn"
    with pytest.raises(ValueError, match="unknown thresholds"):
        ck.Thresholds.with_overrides({"no_such_threshold": 1})


def test_fit_quality_checks_flag_a_bad_holdout():
    rng = np.random.default_rng(0)
    actual = 100 + rng.normal(0, 1, 60)
    fitted = actual + rng.normal(0, 0.5, 60)
    forecast = np.full(60, np.nan)
    forecast[-10:] = actual[-10:] * 0.7  # the out-of-sample forecast is 30% low
    table = ck.checks_frame(ck.fit_quality_checks(actual, fitted, 3, forecast)).set_index("check_name")
    assert table.loc["holdout_mape", "status"] == "warn" and table.loc["holdout_mape", "value"] == pytest.approx(0.3, rel=0.02)
    assert table.loc["in_sample_mape", "status"] == "ok"


def test_run_settings_defaults_are_the_dbt_vars_defaults():
    project = yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project.yml").read_text())
    dbt_vars = project["vars"]
    defaults = RunSettings()
    for name, value in vars(defaults).items():
        assert name in dbt_vars, f"{name} is a run setting but not a var in dbt_project.yml"
        assert dbt_vars[name] == value, f"{name}: dbt_project.yml says {dbt_vars[name]!r}, RunSettings {value!r}"
