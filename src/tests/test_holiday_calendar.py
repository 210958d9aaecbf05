"""raw_holidays from the holidays package: rows, merging into an existing file, and the CLI."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from mmm.holiday_calendar import COLUMNS, holiday_rows, merge_into, write_calendar


def test_us_rows_follow_the_contract():
    rows = holiday_rows("US", " US ", "2024-01-01", "2024-12-31")
    assert list(rows.columns) == COLUMNS
    assert set(rows["market"]) == {"us"}
    assert "2024-07-04" in set(rows["date"])
    assert "2024-12-25" in set(rows["date"])
    assert rows["date"].is_monotonic_increasing and rows["date"].is_unique
    assert 10 <= len(rows) <= 13


def test_range_is_inclusive_and_checked():
    rows = holiday_rows("US", "us", "2024-07-04", "2024-07-04")
    assert rows["date"].tolist() == ["2024-07-04"]
    with pytest.raises(ValueError, match="before start"):
        holiday_rows("US", "us", "2024-02-01", "2024-01-01")
    with pytest.raises(ValueError, match="no calendar"):
        holiday_rows("XX", "us", "2024-01-01", "2024-12-31")


def test_subdivision_adds_provincial_holidays():
    national = holiday_rows("CA", "ca", "2024-01-01", "2024-12-31")
    ontario = holiday_rows("CA", "ca", "2024-01-01", "2024-12-31", subdiv="ON")
    assert len(ontario) > len(national)


def test_merge_replaces_only_this_market_in_range():
    existing = pd.DataFrame({"date": ["2023-12-25", "2024-01-01", "2024-01-01"],
                             "market": ["us", "us", "ca"],
                             "holiday": ["Christmas Day", "stale name", "New Year's Day"]})
    new = holiday_rows("US", "us", "2024-01-01", "2024-01-31")
    merged = merge_into(existing, new, "us", "2024-01-01", "2024-01-31")
    assert "stale name" not in set(merged["holiday"])
    assert ("2023-12-25", "us") in set(zip(merged["date"], merged["market"]))  # outside the range: kept
    assert ("2024-01-01", "ca") in set(zip(merged["date"], merged["market"]))  # other market: kept
    assert len(merged[merged["market"] == "us"]) == 1 + len(new)


def test_write_then_rerun_is_idempotent_and_keeps_other_markets(tmp_path):
    out = tmp_path / "raw_holidays.csv"
    write_calendar(out, "US", "us", "2023-01-01", "2025-12-31")
    write_calendar(out, "CA", "ca", "2023-01-01", "2025-12-31")
    first = pd.read_csv(out, dtype=str)
    write_calendar(out, "US", "us", "2023-01-01", "2025-12-31")
    again = pd.read_csv(out, dtype=str)
    pd.testing.assert_frame_equal(first, again)
    assert set(again["market"]) == {"us", "ca"}
    write_calendar(out, "US", "us", "2024-01-01", "2024-12-31", replace=True)
    assert set(pd.read_csv(out, dtype=str)["market"]) == {"us"}


def test_cli_writes_the_file(tmp_path):
    out = tmp_path / "sub" / "raw_holidays.csv"
    completed = subprocess.run(
        [sys.executable, "-m", "mmm.holiday_calendar", "--country", "US", "--market", "us",
         "--start", "2023-01-01", "--end", "2025-12-31", "--out", str(out)],
        capture_output=True, text=True, check=True)
    assert "rows to" in completed.stdout
    frame = pd.read_csv(out, dtype=str)
    assert list(frame.columns) == COLUMNS
    assert frame["date"].min() >= "2023-01-01" and frame["date"].max() <= "2025-12-31"
    bad = subprocess.run([sys.executable, "-m", "mmm.holiday_calendar", "--country", "US", "--market", "us",
                          "--start", "2025-01-01", "--end", "2023-01-01", "--out", str(out)],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "before start" in bad.stderr
