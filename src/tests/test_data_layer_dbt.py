"""Bad input, tested with real dbt runs of the data layer on corrupted copies of the demo folder.

Four `dbt build` runs of the data layer (selected by folder, DATA_LAYER below: seeds, staging, intermediate, the
SQL models of the modeling step, the Great Expectations gate and the data-quality marts), started together, each
on its own copy of data/demo, its own DuckDB file and its own target folder:

* ``quarantine``: every quarantine-able defect in one copy (negative spend, non-numeric spend and control
  value, unparseable date, blank market and channel, unknown currency, no FX rate, exact duplicates,
  future dates), FX rates given as Parquet, raw_holidays missing and raw_lift_tests empty. The build passes;
  every bad row is in fct_quarantined_rows with its rule and reason, and every source reconciles.
* ``fatal``: an empty required file, a header-only one, one with wrong column names and a missing one.
  The build fails naming each file and its expected columns.
* ``single_currency``: one market in the reporting currency with a header-only raw_fx_rates (no rates needed).
  The build passes.
* ``missing_week``: a market's sales miss one week. The build fails naming the market and the week.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
DBT = ROOT / ".venv" / "bin" / "dbt"
AS_OF = "2026-01-31"
RAW_FILES = ["raw_media_spend", "raw_sales", "raw_controls", "raw_fx_rates", "raw_lift_tests", "raw_holidays"]
# the data layer, by folder: everything up to the model input and its checks, without the Python fit
DATA_LAYER = ["path:seeds", "staging", "intermediate", "path:models/modeling", "data_quality", "marts.data_quality"]
CHECK_ROW_COLUMNS = ["market", "check_name", "channel", "value", "threshold", "status", "message"]


@dataclass
class DbtRun:
    name: str
    raw: Path
    database: Path
    returncode: int
    output: str

    def query(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.sql(sql).df()


def copy_demo(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in RAW_FILES:
        shutil.copy(DEMO / f"{name}.csv", folder / f"{name}.csv")
    return folder


def append_lines(path: Path, lines: list[str]) -> None:
    text = path.read_text()
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text + "\n".join(lines) + "\n")


def data_rows(path: Path) -> int:
    return len(path.read_text().splitlines()) - 1


# --- the corrupted copies ---------------------------------------------------------------------------------

SPEND_DEFECTS = [  # (raw line, expected rule, fragment of the reason)
    ("2024-03-05,us,search,brand,-50.00,USD,10", "negative_spend", "spend '-50.00' is negative"),
    ("2024-03-05,us,social,prospecting,abc,USD,0", "non_numeric_value", "spend 'abc' is not a number"),
    ("03/05/2024,us,social,prospecting,12.00,USD,0", "unparseable_date", "date '03/05/2024' is not a date"),
    ("2024-03-05,,social,prospecting,12.00,USD,0", "missing_key", "market is blank"),
    ("2024-03-05,us,  ,prospecting,12.00,USD,0", "missing_key", "channel is blank"),
    ("2024-03-05,us,display,programmatic,12.00,GBP,0", "unknown_currency", "currency GBP"),
    ("2020-01-06,ca,display,programmatic,12.00,CAD,0", "no_fx_rate", "no FX rate to convert CAD to USD on or before 2020-01-06"),
    ("2026-06-01,us,tv,national,100.00,USD,0", "future_date", f"is after as_of_date {AS_OF}"),
]
SPEND_VALID_EXTRA = [
    # a channel missing from channel_config: modeled, defaults applied, reported
    "2024-01-01,us,podcast,shows,300.00,USD,0",
    "2024-06-03,US ,Podcast ,shows,200.00,usd,0",
    # spend before the first week with sales: modeled rows, reported as outside the calendar
    "2022-06-06,us,tv,national,500.00,USD,0",
]
CONTROL_DEFECTS = [("2024-03-05,us,price_index,high", "non_numeric_value", "value 'high' is not a number")]
CONTROL_VALID_EXTRA = [  # a control missing from control_config, present in 3 weeks only
    "2024-01-01,us,weather,10", "2024-01-02,us,weather,20", "2024-01-08,us,weather,5", "2024-02-05,us,weather,1",
]
SALES_FUTURE = ("2026-06-07,ca,1000.00,CAD", "future_date", "is after as_of_date")
FX_BAD = ("2024-01-03,CAD,x", "non_numeric_value", "rate_to_usd 'x' is not a number")


def make_quarantine_copy(folder: Path) -> dict:
    """Corrupt a copy with every quarantine-able defect; return what the test expects."""
    copy_demo(folder)
    spend = folder / "raw_media_spend.csv"
    n_spend = data_rows(spend)
    first_spend_line = spend.read_text().splitlines()[1]
    append_lines(spend, [line for line, _, _ in SPEND_DEFECTS] + SPEND_VALID_EXTRA
                 + [first_spend_line, first_spend_line])
    expected = {("raw_media_spend", n_spend + i + 1): (rule, reason)
                for i, (_, rule, reason) in enumerate(SPEND_DEFECTS)}
    dup_start = n_spend + len(SPEND_DEFECTS) + len(SPEND_VALID_EXTRA) + 1
    for row_id in (dup_start, dup_start + 1):
        expected[("raw_media_spend", row_id)] = ("duplicate_row", "exact duplicate of raw row 1, which is kept")

    controls = folder / "raw_controls.csv"
    n_controls = data_rows(controls)
    append_lines(controls, [line for line, _, _ in CONTROL_DEFECTS] + CONTROL_VALID_EXTRA)
    expected[("raw_controls", n_controls + 1)] = CONTROL_DEFECTS[0][1:]

    sales = folder / "raw_sales.csv"
    n_sales = data_rows(sales)
    first_sales_line = sales.read_text().splitlines()[1]
    append_lines(sales, [SALES_FUTURE[0], first_sales_line])
    expected[("raw_sales", n_sales + 1)] = SALES_FUTURE[1:]
    expected[("raw_sales", n_sales + 2)] = ("duplicate_row", "exact duplicate of raw row 1, which is kept")

    # FX rates as Parquet (all text columns), with one bad rate appended
    fx = pd.read_csv(folder / "raw_fx_rates.csv", dtype=str)
    fx = pd.concat([fx, pd.DataFrame([FX_BAD[0].split(",")], columns=fx.columns)], ignore_index=True)
    fx.to_parquet(folder / "raw_fx_rates.parquet", index=False)
    (folder / "raw_fx_rates.csv").unlink()
    expected[("raw_fx_rates", len(fx))] = FX_BAD[1:]

    (folder / "raw_holidays.csv").unlink()      # optional and missing
    (folder / "raw_lift_tests.csv").write_text("")  # optional and empty (0 bytes)
    return expected


def make_fatal_copy(folder: Path) -> None:
    copy_demo(folder)
    (folder / "raw_sales.csv").write_text("date,market,revenue,currency\n")  # header only
    (folder / "raw_fx_rates.csv").write_text("")                          # empty (0 bytes)
    spend = folder / "raw_media_spend.csv"                                # wrong column names
    lines = spend.read_text().splitlines()
    lines[0] = "date,market,channel,campaign,amount,currency,impressions"
    spend.write_text("\n".join(lines) + "\n")
    (folder / "raw_controls.csv").unlink()                                # missing


def make_single_currency_copy(folder: Path) -> None:
    """Only the US market (all USD) and a raw_fx_rates file with its header and no rates."""
    copy_demo(folder)
    for name in ("raw_media_spend", "raw_sales", "raw_controls", "raw_holidays", "raw_lift_tests"):
        frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        frame[frame["market"] == "us"].to_csv(folder / f"{name}.csv", index=False)
    (folder / "raw_fx_rates.csv").write_text("date,currency,rate_to_usd\n")


def make_missing_week_copy(folder: Path) -> None:
    copy_demo(folder)
    sales = pd.read_csv(folder / "raw_sales.csv", dtype=str)
    dates = pd.to_datetime(sales["date"])
    in_week = (sales["market"] == "us") & (dates >= "2024-03-04") & (dates <= "2024-03-10")
    assert in_week.sum() == 7
    sales[~in_week].to_csv(folder / "raw_sales.csv", index=False)


def start_dbt(name: str, raw: Path, work: Path) -> tuple[subprocess.Popen, Path]:
    database = work / f"{name}.duckdb"
    env = dict(os.environ, MMM_DUCKDB_PATH=str(database), DBT_PROFILES_DIR=str(ROOT),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    # unit tests do not read the raw files: `make test` runs them once, on the demo
    command = [str(DBT), "build", "--select", *DATA_LAYER, "--exclude-resource-type", "unit_test",
               "--vars", json.dumps({"raw_data_path": str(raw), "as_of_date": AS_OF}),
               "--target-path", str(work / f"target_{name}"), "--log-path", str(work / f"logs_{name}")]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    return process, database


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("data_layer_dbt")
    expected = make_quarantine_copy(work / "quarantine_raw")
    make_fatal_copy(work / "fatal_raw")
    make_missing_week_copy(work / "missing_week_raw")
    make_single_currency_copy(work / "single_currency_raw")
    started = {name: start_dbt(name, work / f"{name}_raw", work)
               for name in ("quarantine", "fatal", "missing_week", "single_currency")}
    results = {}
    for name, (process, database) in started.items():
        output, _ = process.communicate(timeout=300)
        results[name] = DbtRun(name, work / f"{name}_raw", database, process.returncode, output)
    results["expected_quarantine"] = expected
    return results


# --- quarantine-able defects: the build passes, every bad row is explained ---------------------------------

def test_quarantine_build_passes(runs):
    run = runs["quarantine"]
    assert run.returncode == 0, run.output[-5000:]
    assert "optional raw file" in run.output  # missing raw_holidays / empty raw_lift_tests are logged
    assert "mmm_fit" not in run.output  # the data layer only: the Python fit (mmm_fit_state, mmm_fit) is not selected


def test_each_defect_has_its_rule_and_reason(runs):
    run = runs["quarantine"]
    quarantine = run.query("select source_name, raw_row_id, rule, reason, raw_record from fct_quarantined_rows")
    got = {(r.source_name, int(r.raw_row_id)): (r.rule, r.reason, r.raw_record) for r in quarantine.itertuples()}
    expected = runs["expected_quarantine"]
    assert set(got) == set(expected), (sorted(set(got) - set(expected)), sorted(set(expected) - set(got)))
    for key, (rule, reason_fragment) in expected.items():
        assert got[key][0] == rule, (key, got[key])
        assert reason_fragment in got[key][1], (key, got[key])


def test_quarantine_keeps_every_raw_field(runs):
    run = runs["quarantine"]
    record = run.query("""select raw_record from fct_quarantined_rows
                          where source_name = 'raw_media_spend' and rule = 'negative_spend'""")["raw_record"].iloc[0]
    assert json.loads(record) == {"date": "2024-03-05", "market": "us", "channel": "search", "campaign": "brand",
                                  "spend": "-50.00", "currency": "USD", "impressions": "10"}
    blank = run.query("""select raw_record from fct_quarantined_rows
                         where source_name = 'raw_media_spend' and reason = 'market is blank'""")["raw_record"].iloc[0]
    assert json.loads(blank)["market"] is None


def test_public_quarantine_mart_equals_the_intermediate_rows(runs):
    run = runs["quarantine"]
    differences = run.query("""select count(*) as n from (
        (select * from int_rows_quarantined except all select * from fct_quarantined_rows)
        union all
        (select * from fct_quarantined_rows except all select * from int_rows_quarantined))""")
    assert differences.n.iloc[0] == 0
    assert run.query("select count(*) as n from fct_quarantined_rows").n.iloc[0] == len(runs["expected_quarantine"])


@pytest.mark.parametrize("source, staging, checked, raw_amount, modeled_amount", [
    ("raw_media_spend", "stg_raw__media_spend", "int_media_spend_checked", "spend", "spend_original"),
    ("raw_sales", "stg_raw__sales", "int_sales_checked", "revenue", "revenue_original"),
    ("raw_controls", "stg_raw__controls", "int_controls_checked", "value", "control_value"),
    ("raw_fx_rates", "stg_raw__fx_rates", "int_fx_rates_checked", "rate_to_usd", "rate_to_usd"),
])
def test_every_raw_row_is_modeled_or_quarantined(runs, source, staging, checked, raw_amount, modeled_amount):
    run = runs["quarantine"]
    csv = run.raw / f"{source}.csv"
    raw = pd.read_csv(csv, dtype=str) if csv.exists() else pd.read_parquet(run.raw / f"{source}.parquet")
    counts = run.query(f"""
        select
            (select count(*) from {staging}) as staging_rows,
            (select count(*) from {checked}) as checked_rows,
            (select count(*) from {checked} where quarantine_rule is null) as modeled_rows,
            (select coalesce(sum({modeled_amount}), 0) from {checked} where quarantine_rule is null) as modeled_amount,
            (select count(*) from fct_quarantined_rows where source_name = '{source}') as quarantined_rows,
            (select coalesce(sum(try_cast(raw_amount as double)), 0) from fct_quarantined_rows
             where source_name = '{source}') as quarantined_amount""").iloc[0]
    assert len(raw) == counts.staging_rows == counts.checked_rows  # staging and checks are 1:1 with the file
    assert len(raw) == counts.modeled_rows + counts.quarantined_rows
    raw_total = pd.to_numeric(raw[raw_amount].str.strip(), errors="coerce").sum()
    assert raw_total == pytest.approx(counts.modeled_amount + counts.quarantined_amount, rel=1e-9)


def test_optional_sources_missing_or_empty_give_zero_rows(runs):
    run = runs["quarantine"]
    assert run.query("select count(*) as n from int_lift_tests_converted").n.iloc[0] == 0
    holidays = run.query("select sum(value) as total, count(*) as n from mmm_model_input "
                         "where variable_type = 'holiday'").iloc[0]
    assert holidays.n > 0 and holidays.total == 0


def test_unconfigured_channel_and_control_are_reported_not_dropped(runs):
    run = runs["quarantine"]
    podcast = run.query("select * from int_channel_settings where channel = 'podcast'").iloc[0]
    assert not podcast.is_configured and podcast.max_lag == 4 and podcast.adstock_kind == "geometric"
    assert podcast.min_budget_multiplier == 0.5 and podcast.max_budget_multiplier == 2.0
    weeks = run.query("select count(*) as n from int_market_weeks where market = 'us'").n.iloc[0]
    spend = run.query("""select count(*) as n, sum(value) as total from mmm_model_input
                         where market = 'us' and variable_type = 'spend' and variable_name = 'podcast'""").iloc[0]
    assert spend.n == weeks and spend.total == pytest.approx(500.0)
    checks = run.query("select * from mmm_data_sufficiency")
    assert list(checks.columns) == CHECK_ROW_COLUMNS  # the project's one check row schema
    assert checks.message.notna().all() and (checks.message != "").all()
    by_key = {(r.market, r.check_name, r.channel): r for r in checks.itertuples()}
    assert by_key[("us", "channel_not_configured", "podcast")].status == "warn"
    assert by_key[("us", "channel_active_weeks", "podcast")].status == "warn"  # 2 weeks < 8
    assert by_key[("us", "control_not_configured", "weather")].status == "warn"
    filled = by_key[("us", "control_weeks_filled", "weather")]
    assert filled.status == "warn" and filled.value == weeks - 3
    outside = by_key[("us", "spend_outside_calendar", "")]
    assert outside.status == "warn" and outside.value == pytest.approx(500.0)
    quarantined = by_key[("us", "quarantined_rows", "")]
    assert quarantined.status == "warn" and "fct_quarantined_rows" in quarantined.message
    assert by_key[("us", "weeks_of_history", "")].status == "ok"


def test_control_gaps_are_filled_with_the_market_mean(runs):
    run = runs["quarantine"]
    weather = run.query("""select week_start_date, value, is_filled from mmm_model_input
                           where market = 'us' and variable_name = 'weather' order by week_start_date""")
    observed = weather[~weather.is_filled]
    assert len(observed) == 3
    assert observed.value.tolist() == [15.0, 5.0, 1.0]
    filled = weather[weather.is_filled].value.tolist()
    assert len(filled) == len(weather) - 3 and filled == pytest.approx([7.0] * len(filled))


def test_great_expectations_results_are_materialized(runs):
    run = runs["quarantine"]
    results = run.query("select * from dq_validation_results")
    assert len(results) >= 15
    assert results[results.is_critical].success.all()
    public = run.query("select * from fct_data_quality_results order by expectation_id")
    assert len(public) == len(results)
    assert list(public.columns) == ["expectation_id", "expectation", "column_name", "success", "observed_value",
                                    "is_critical", "details"]
    assert sorted(public.column_name) == sorted(results["column"])


# --- fatal input: a clear error naming the file and the expected columns -----------------------------------

def test_fatal_files_fail_with_clear_errors(runs):
    run = runs["fatal"]
    out = run.output
    assert run.returncode != 0
    assert "Raw file empty" in out and "raw_sales.csv" in out
    assert "Expected a header row with columns: date, market, revenue, currency" in out
    assert "raw_fx_rates.csv" in out and "has no data rows" in out
    assert "Raw file has wrong columns" in out and "raw_media_spend.csv" in out
    assert "Expected columns: date, market, channel, campaign, spend, currency, impressions" in out
    assert "missing: spend" in out
    assert "Raw file missing" in out and "raw_controls.csv" in out
    assert "with columns: date, market, control, value" in out


# --- a single-currency advertiser needs no FX rates ---------------------------------------------------------

def test_single_currency_with_header_only_fx_file_builds(runs):
    run = runs["single_currency"]
    assert run.returncode == 0, run.output[-3000:]
    assert "raw_fx_rates.csv has a header and no rows: no rates" in run.output
    markets = run.query("select distinct market from mmm_model_input")
    assert list(markets["market"]) == ["us"]
    assert run.query("select count(*) as n from fct_quarantined_rows")["n"].iloc[0] == 0


# --- a missing sales week: the build fails naming the market and the week ----------------------------------

def test_missing_sales_week_fails_naming_market_and_week(runs):
    run = runs["missing_week"]
    assert run.returncode != 0
    assert "market us has no sales in the week starting 2024-03-04" in run.output
    assert "sales_have_every_week" in run.output
    stored = run.query("select market, week_start_date from main_dbt_test__audit.sales_have_every_week")
    assert stored.market.tolist() == ["us"]
    assert str(stored.week_start_date.iloc[0])[:10] == "2024-03-04"
