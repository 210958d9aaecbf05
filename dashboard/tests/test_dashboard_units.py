"""Units of the dashboard: number formatting and the read-only warehouse access."""

from __future__ import annotations

import duckdb
import pytest

from dashboard import formatting as fmt
from dashboard import warehouse


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


def test_share_ratio_status():
    assert fmt.share(0.1234) == "12.3%" and fmt.share(-0.05, signed=True) == "-5.0%"
    assert fmt.ratio(1.346) == "1.35" and fmt.ratio(None) == "–"
    assert fmt.status("warn") == "⚠ warn" and fmt.status("other") == "other"


@pytest.mark.parametrize(
    "check_name, label",
    [
        ("holdout_mape", "Holdout MAPE"),
        ("in_sample_r2", "In-sample R²"),
        ("in_sample_adjusted_r2", "In-sample adjusted R²"),
        ("cv_mape", "Cross-validated MAPE"),
        ("ljung_box_pvalue", "Ljung-Box p-value"),
        ("durbin_watson", "Durbin-Watson"),
        ("lift_test_z", "Lift test z-score"),
        ("vif", "VIF"),
        ("weeks_of_history", "Weeks of history"),
    ],
)
def test_check_label(check_name, label):
    assert fmt.check_label(check_name) == label


def test_check_value_by_kind():
    assert fmt.check_value("holdout_mape", 0.081) == "8.1%"
    assert fmt.check_value("channel_small_spend", 0.021) == "2.1%"
    assert fmt.check_value("spend_outside_calendar", 25_300) == "$25.3k"
    assert fmt.check_value("durbin_watson", 1.84) == "1.84" and fmt.check_value("weeks_of_history", 156.0) == "156"
    assert fmt.check_value("holdout_r2", float("nan")) == "–"


def test_database_path(monkeypatch, tmp_path):
    monkeypatch.delenv("MMM_DUCKDB_PATH", raising=False)
    assert warehouse.database_path() == warehouse.REPO_ROOT / "warehouse" / "mmm.duckdb"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MMM_DUCKDB_PATH", "w/x.duckdb")
    assert warehouse.database_path() == tmp_path / "w" / "x.duckdb"
    with pytest.raises(warehouse.WarehouseUnavailable, match="No warehouse file at .*run `make build` first"):
        warehouse.check_database()


def test_missing_empty_and_stale_tables(db_copy):
    db = db_copy(
        drop=("fct_scenarios",),
        empty=("fct_target_budget",),
        sql=("alter table fct_diagnostics drop column message",),
    )
    missing = warehouse.read_table(db, "fct_scenarios")
    assert missing.is_missing and missing.message() == (
        "Table `fct_scenarios` does not exist in the warehouse: run `make build` first."
    )
    empty = warehouse.read_table(db, "fct_target_budget")
    assert empty.is_empty and not empty.is_missing and "is empty" in empty.message()
    stale = warehouse.read_table(db, "fct_diagnostics")
    assert stale.is_missing and stale.missing_columns == ("message",)
    assert "has no column `message`" in stale.message() and "older build" in stale.message()


def test_locked_database_gives_a_readable_message(db_copy):
    db = db_copy()
    writer = duckdb.connect(str(db))  # same process: DuckDB refuses a second, read-only configuration
    try:
        with pytest.raises(warehouse.WarehouseUnavailable, match="run `make build` first"):
            warehouse.read_table(db, "fct_diagnostics")
    finally:
        writer.close()


def test_reading_leaves_the_file_unchanged(db_copy):
    db = db_copy()
    before = db.read_bytes()
    for name in ("fct_fitted_revenue", "fct_diagnostics", "fct_quarantined_rows"):
        assert not warehouse.read_table(db, name).is_empty
    assert db.read_bytes() == before
