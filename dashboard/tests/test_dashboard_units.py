"""Units of the dashboard: number formatting, read-only table access, and the fixture's own consistency
(the AppTest assertions are only as good as the fixture they read)."""

from __future__ import annotations

import duckdb
import fixture
import formatting as fmt
import numpy as np
import pytest

import data


@pytest.mark.parametrize(
    "value, signed, expected",
    [
        (1_234_567, False, "$1.23M"),
        (-45_600, False, "-$45.6k"),
        (950, False, "$950"),
        (0, True, "$0"),
        (9_950.7, True, "+$9.95k"),
        (125_000, False, "$125k"),
        (2.5e9, False, "$2.50B"),
        (None, False, "–"),
        (float("nan"), False, "–"),
    ],
)
def test_money(value, signed, expected):
    assert fmt.money(value, signed=signed) == expected


def test_share_ratio_metric_formatting():
    assert fmt.share(0.1234) == "12.3%" and fmt.share(-0.05, signed=True) == "-5.0%"
    assert fmt.ratio(1.346) == "1.35"
    assert (
        fmt.metric_label("holdout_mape") == "Holdout MAPE"
        and fmt.metric_label("in_sample_r2") == "In-sample R²"
    )
    assert fmt.metric_label("lift_test_z:EXP-001") == "Lift test z-score: EXP-001"
    assert fmt.metric_label("cv_mape") == "Cross-validated MAPE"
    assert fmt.metric_label("ljung_box_pvalue") == "Ljung-Box p-value"
    assert (
        fmt.metric_value("sigma", 25_300) == "$25.3k" and fmt.metric_value("in_sample_nrmse", 0.05) == "0.05"
    )
    assert (
        fmt.metric_value("mape_train", 0.031) == "3.1%" and fmt.metric_value("durbin_watson", 1.84) == "1.84"
    )
    assert fmt.status("warn") == "⚠ warn" and fmt.status("other") == "other"


def test_fixture_is_consistent():
    tables = fixture.build_tables()
    fitted = tables["fct_fitted_revenue"].set_index(["market", "week_start_date"])["fitted_revenue"]
    summed = tables["fct_contributions"].groupby(["market", "week_start_date"])["contribution"].sum()
    assert np.allclose(summed.loc[fitted.index], fitted)
    summary = tables["fct_channel_summary"]
    for _, shares in summary.groupby("market"):
        assert shares["spend_share"].sum() == pytest.approx(1) and shares[
            "contribution_share"
        ].sum() == pytest.approx(1)
    for _, curve in tables["fct_response_curves"].groupby(["market", "channel"]):
        curve = curve.sort_values("weekly_spend")
        assert curve["weekly_spend"].iloc[0] == 0 and curve["expected_weekly_revenue"].iloc[0] == 0
        assert (np.diff(curve["expected_weekly_revenue"]) > 0).all() and curve["is_current_spend"].sum() == 1
        assert (curve["lower"] <= curve["expected_weekly_revenue"]).all()
        assert (curve["expected_weekly_revenue"] <= curve["upper"]).all()
    allocation = tables["fct_optimal_allocation"]
    for _, market in allocation.groupby("market"):
        assert market["optimal_weekly_spend"].sum() == pytest.approx(market["current_weekly_spend"].sum())
        assert market["expected_revenue_optimal"].sum() >= market["expected_revenue_current"].sum()
    for name in data.ALLOWED_TABLES:
        assert not tables[name].empty, name


def test_fixture_has_every_contract_column():
    tables = fixture.build_tables()
    contract = {
        "fct_fitted_revenue": "market week_start_date actual_revenue fitted_revenue fitted_lower "
        "fitted_upper is_holdout",
        "fct_contributions": "market week_start_date component component_type contribution",
        "fct_channel_summary": "market channel display_name spend contribution contribution_lower "
        "contribution_upper roi roi_lower roi_upper mroi mroi_lower mroi_upper spend_share "
        "contribution_share current_weekly_spend saturation_weekly_spend warnings",
        "fct_response_curves": "market channel weekly_spend expected_weekly_revenue lower upper mroi "
        "is_current_spend",
        "fct_optimal_allocation": "market channel current_weekly_spend optimal_weekly_spend min_weekly_spend "
        "max_weekly_spend expected_revenue_current expected_revenue_optimal "
        "expected_revenue_optimal_lower expected_revenue_optimal_upper change_pct "
        "binding_constraint",
        "fct_scenarios": "scenario_name market description spend_change revenue_change revenue_change_lower "
        "revenue_change_upper",
        "fct_diagnostics": "market metric value threshold status note",
        "fct_lift_test_calibration": "experiment_id market channel start_date end_date measured_lift "
        "measured_lift_se predicted_lift predicted_lift_lower predicted_lift_upper "
        "z_score",
    }
    for name, columns in contract.items():
        assert list(tables[name].columns) == columns.split(), name


def test_load_table_reads_only_contract_tables(monkeypatch, fixture_db):
    monkeypatch.setenv("MMM_DUCKDB_PATH", str(fixture_db))
    with pytest.raises(ValueError, match="does not read"):
        data.load_table("mmm_model_input")
    result = data.load_table("fct_scenarios")
    assert len(result.frame) == 6 and not result.is_missing
    assert data.markets() == ["us", "ca"]


def test_database_locked_by_a_writer_gives_a_readable_message(monkeypatch, tmp_path):
    db = fixture.build_fixture(tmp_path / "locked.duckdb")
    monkeypatch.setenv("MMM_DUCKDB_PATH", str(db))
    writer = duckdb.connect(str(db))  # same process: DuckDB refuses a second, read-only configuration
    try:
        with pytest.raises(data.WarehouseUnavailable, match="run `make build` first"):
            data.load_table("fct_diagnostics")
    finally:
        writer.close()


def test_default_path_is_under_the_repository(monkeypatch):
    monkeypatch.delenv("MMM_DUCKDB_PATH", raising=False)
    assert data.database_path() == data.REPO_ROOT / "warehouse" / "mmm.duckdb"
