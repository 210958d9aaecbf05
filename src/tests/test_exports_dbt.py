"""Real exports, tested with real dbt builds on corrupted copies of the demo folder (the issue's cases).

Four `dbt build` runs, two at a time (the machine has 2 cores), each through scripts/dbt_lock_wait.py as `make`
runs dbt; one build carries several cases:

Phase 1
* ``demo``: the shipped demo, data layer only, while three reader processes open the DuckDB file read-only every
  ~70 ms (a dashboard or notebook). The build must complete (it waits for the readers' locks). Its model input is
  the reference the other builds are compared with, and its warehouse is the "good warehouse" of phase 2.
* ``messy``: one copy with what real exports contain, data layer only; it must build and show its loss:
  every TV spend row written as "$73,695.96"; 15 other rows as "USD 1,277.54"; 9 spend dates as 03/15/2024
  (declared with var date_format), 2024-03-15T00:00:00Z and 2024-03-15 13:45:00; all sales dated as database
  timestamps ("2023-01-02 00:00:00", "...T00:00:00Z"); one daily sales row "n/a" (a partial week); one spend row
  of 1e15; an overlapping re-export appended with restated (+1%) daily spend; a second account's email rows,
  identical but for an extra account_id column; a lift test for a market that is not in the data; raw_controls
  with a header only.
Phase 2
* ``european``: the demo as a European spreadsheet writes it (semicolons, decimal commas, '.' as thousands
  separator), data layer only; its model input must equal the demo's exactly. Two extra rows of a new channel
  (podcast) read "#N/A": with var max_quarantined_share raised to 1 (a user accepting the loss) the build passes and
  the channel is reported as lost to the quarantine, not as a channel without spend.
* ``stop``: the whole project (not only the data layer) into the demo's warehouse, with every TV row "#VALUE!" and
  every sales date day-first ("02.01.2023") without var date_format, while the readers still poll. The build must
  stop in the data layer with messages naming the file, the rule and an example value, never reach the Python fit,
  and record a failed run in fct_build_runs that leaves the public tables of the demo run in place.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
PYTHON = ROOT / ".venv" / "bin" / "python"
DBT = [str(PYTHON), str(ROOT / "scripts" / "dbt_lock_wait.py")]
AS_OF = "2026-01-31"
RAW_FILES = ["raw_media_spend", "raw_sales", "raw_controls", "raw_fx_rates", "raw_lift_tests", "raw_holidays"]
DATA_LAYER = ["path:seeds", "staging", "intermediate", "path:models/modeling", "data_quality", "marts.data_quality"]
KEY = ["market", "week_start_date", "variable_type", "variable_name"]


@dataclass
class Build:
    name: str
    raw: Path
    database: Path
    returncode: int
    output: str

    def query(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.sql(sql).df()


def read_raw(name: str) -> pd.DataFrame:
    return pd.read_csv(DEMO / f"{name}.csv", dtype=str, keep_default_na=False)


def write_raw(frame: pd.DataFrame, folder: Path, name: str, sep: str = ",") -> None:
    frame.to_csv(folder / f"{name}.csv", index=False, sep=sep)


def copy_demo(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in RAW_FILES:
        write_raw(read_raw(name), folder, name)
    return folder


# --- the corrupted copies ---------------------------------------------------------------------------------

RESTATED_WEEKS = ("2025-06-02", "2025-06-29")  # the overlapping re-export: four us weeks
DAILY_CHANNELS = ["search", "social", "display", "video", "email"]
ONE_E15 = ("us", "social", "2024-05-01")
NA_SALES = ("us", "2024-03-05")
UNKNOWN_MARKET_TEST = "lt_uk_tv_20250505,uk,tv,2025-05-05,2025-06-01,100000.00,10000.00,USD"


def money(value: str, prefix: str = "$") -> str:
    return f"{prefix}{float(value):,.2f}"


def make_messy_copy(folder: Path) -> dict:
    """Every case of real exports that must now build; returns what the tests check."""
    copy_demo(folder)
    spend = read_raw("raw_media_spend")
    spend["account_id"] = "a1"  # an extra column: two accounts in one export
    original = spend.copy()
    facts: dict = {}

    tv = spend["channel"] == "tv"
    spend.loc[tv, "spend"] = spend.loc[tv, "spend"].map(money)
    facts["tv_rows"] = spend.index[tv].tolist()

    display = spend.index[(spend["market"] == "us") & (spend["channel"] == "display")
                          & (original["spend"].astype(float) >= 1000) & (spend["date"] < "2025-01-01")][:15]
    spend.loc[display, "spend"] = spend.loc[display, "spend"].map(lambda v: money(v, "USD "))
    facts["usd_rows"] = display.tolist()

    dated = spend.index[(spend["market"] == "us") & (spend["channel"] == "search") & (spend["date"] < "2024-01-01")][100:109]
    for k, i in enumerate(dated):
        d = date.fromisoformat(spend.at[i, "date"])
        spend.at[i, "date"] = [f"{d:%m/%d/%Y}", f"{d:%Y-%m-%d}T00:00:00Z", f"{d:%Y-%m-%d} 13:45:00"][k % 3]
    facts["dated_rows"] = {int(i): original.at[i, "date"] for i in dated}
    facts["dated_raw"] = {int(i): spend.at[i, "date"] for i in dated}

    market, channel, day = ONE_E15
    big = spend.index[(spend["market"] == market) & (spend["channel"] == channel) & (spend["date"] == day)][0]
    facts["one_e15"] = {"row": int(big), "day_spend": float(original.at[big, "spend"])}
    spend.at[big, "spend"] = "1e15"

    # the re-export: every us row of four weeks again, daily channels restated +1% (weekly ones identical)
    start, end = RESTATED_WEEKS
    window = spend[(spend["market"] == "us") & (spend["date"] >= start) & (spend["date"] <= end)].copy()
    daily = window["channel"].isin(DAILY_CHANNELS)
    before = original.loc[window.index, "spend"].astype(float)
    after = (before * 1.01).round(2)
    window.loc[daily, "spend"] = after[daily].map(lambda v: f"{v:.2f}")
    changed = daily & (after != before)
    facts["restated_rows"] = int(changed.sum())
    facts["reexport_identical_rows"] = int((~changed).sum())
    facts["restated"] = window[daily][["date", "channel", "campaign", "spend"]].copy()

    # a second account: us email rows identical but for account_id
    second = original[(original["market"] == "us") & (original["channel"] == "email")].copy()
    second["account_id"] = "a2"
    facts["second_account_rows"] = len(second)

    n = len(spend)
    write_raw(pd.concat([spend, window, second], ignore_index=True), folder, "raw_media_spend")
    facts["reexport_first_row_id"] = n + 1

    sales = read_raw("raw_sales")
    stamp = {"us": "{} 00:00:00", "ca": "{}T00:00:00Z"}
    sales["date"] = [stamp[m].format(d) for m, d in zip(sales["market"], sales["date"])]
    market, day = NA_SALES
    lost = sales.index[(sales["market"] == market) & (sales["date"] == f"{day} 00:00:00")][0]
    facts["na_sales"] = {"row_id": int(lost) + 1, "revenue": float(sales.at[lost, "revenue"])}
    sales.at[lost, "revenue"] = "n/a"
    write_raw(sales, folder, "raw_sales")

    (folder / "raw_controls.csv").write_text("date,market,control,value\n")  # an advertiser without controls
    lift = (folder / "raw_lift_tests.csv").read_text().rstrip("\n") + "\n" + UNKNOWN_MARKET_TEST + "\n"
    (folder / "raw_lift_tests.csv").write_text(lift)
    return facts


def european(value: str) -> str:
    """1234.5 -> 1.234,50 (a number as a European spreadsheet writes it); blanks stay blank."""
    if value.strip() == "":
        return value
    return f"{float(value):,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def make_european_copy(folder: Path) -> None:
    """The demo exported by a European spreadsheet: semicolons, decimal commas, '.' grouping thousands."""
    folder.mkdir(parents=True)
    amounts = {"raw_media_spend": ["spend"], "raw_sales": ["revenue"], "raw_controls": ["value"],
               "raw_fx_rates": ["rate_to_usd"], "raw_lift_tests": ["incremental_revenue", "incremental_revenue_se"],
               "raw_holidays": []}
    for name, columns in amounts.items():
        frame = read_raw(name)
        for column in columns:
            # keep every digit: controls and FX rates have 4-6 decimals
            frame[column] = [v.replace(".", ",") if name in ("raw_controls", "raw_fx_rates") else european(v)
                             for v in frame[column]]
        if name == "raw_media_spend":  # a new channel whose every row is unreadable
            lost = pd.DataFrame([["2024-01-01", "us", "podcast", "shows", "#N/A", "USD", "0"],
                                 ["2024-01-08", "us", "podcast", "shows", "#N/A", "USD", "0"]], columns=frame.columns)
            frame = pd.concat([frame, lost], ignore_index=True)
        write_raw(frame, folder, name, sep=";")


def make_stop_copy(folder: Path) -> None:
    """Input the data layer must refuse with a clear error: TV unreadable, every sales date day-first."""
    copy_demo(folder)
    spend = read_raw("raw_media_spend")
    spend.loc[spend["channel"] == "tv", "spend"] = "#VALUE!"
    write_raw(spend, folder, "raw_media_spend")
    sales = read_raw("raw_sales")
    sales["date"] = [f"{d[8:10]}.{d[5:7]}.{d[:4]}" for d in sales["date"]]
    write_raw(sales, folder, "raw_sales")


# --- running the builds -----------------------------------------------------------------------------------

def start_build(name: str, raw: Path, database: Path, work: Path, select: list[str] | None,
                extra_vars: dict | None = None) -> subprocess.Popen:
    env = dict(os.environ, MMM_DUCKDB_PATH=str(database), DBT_PROFILES_DIR=str(ROOT),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false", MMM_DUCKDB_LOCK_TIMEOUT="300")
    # unit tests do not read the raw files: `make test` runs them once, on the demo
    command = [*DBT, "build", *(["--select", *select] if select else []), "--exclude-resource-type", "unit_test",
               "--vars", json.dumps({"raw_data_path": str(raw), "as_of_date": AS_OF, **(extra_vars or {})}),
               "--target-path", str(work / f"target_{name}"), "--log-path", str(work / f"logs_{name}")]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


READER = """
import sys, time, duckdb
path, stop_file, count_file = sys.argv[1:4]
opened = 0
while True:
    try:
        with open(stop_file):
            break
    except OSError:
        pass
    try:
        con = duckdb.connect(path, read_only=True)
        con.sql("select count(*) from duckdb_tables()").fetchall()
        time.sleep(0.02)  # a dashboard query holding its connection for a moment
        con.close()
        opened += 1
    except duckdb.Error:
        pass  # the build holds the lock: a reader waits for its next poll
    time.sleep(0.07)
open(count_file, "w").write(str(opened))
"""


class Readers:
    """Three processes opening the DuckDB file read-only every ~70 ms until stopped."""

    def __init__(self, database: Path, work: Path, count: int = 3):
        self.stop_file = work / "readers.stop"
        self.count_files = [work / f"reader_{i}.count" for i in range(count)]
        self.processes = [subprocess.Popen([str(PYTHON), "-c", READER, str(database), str(self.stop_file), str(f)])
                          for f in self.count_files]

    def stop(self) -> list[int]:
        self.stop_file.write_text("stop")
        for process in self.processes:
            process.wait(timeout=60)
        return [int(f.read_text()) for f in self.count_files]


def finish(name: str, process: subprocess.Popen, raw: Path, database: Path) -> Build:
    output, _ = process.communicate(timeout=1200)
    return Build(name, raw, database, process.returncode, output)


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("exports_dbt")
    facts = make_messy_copy(work / "messy_raw")
    make_european_copy(work / "european_raw")
    make_stop_copy(work / "stop_raw")
    demo_db = work / "demo.duckdb"
    duckdb.connect(str(demo_db)).close()  # the file exists, so the readers hold real locks from the start
    readers = Readers(demo_db, work)
    time.sleep(0.5)

    # phase 1: the demo under readers, and the messy copy
    started = {
        "demo": (start_build("demo", DEMO, demo_db, work, DATA_LAYER), DEMO, demo_db),
        "messy": (start_build("messy", work / "messy_raw", work / "messy.duckdb", work, DATA_LAYER,
                              {"date_format": {"raw_media_spend": "%m/%d/%Y"}}), work / "messy_raw", work / "messy.duckdb"),
    }
    results = {name: finish(name, *item) for name, item in started.items()}
    if results["demo"].returncode == 0:
        results["demo_model_input"] = results["demo"].query(f"select * from mmm_model_input order by {', '.join(KEY)}")
        results["demo_runs"] = results["demo"].query("select * from fct_build_runs")

    # phase 2: the European copy, and the bad data into the demo's (good) warehouse, readers still polling
    started = {
        "european": (start_build("european", work / "european_raw", work / "european.duckdb", work, DATA_LAYER,
                                 {"max_quarantined_share": 1}),
                     work / "european_raw", work / "european.duckdb"),
        "stop": (start_build("stop", work / "stop_raw", demo_db, work, None), work / "stop_raw", demo_db),
    }
    results.update({name: finish(name, *item) for name, item in started.items()})
    results["reads"] = readers.stop()
    results["facts"] = facts
    return results


def model_input(build: Build) -> pd.DataFrame:
    return build.query(f"select * from mmm_model_input order by {', '.join(KEY)}")


def spend_of(frame: pd.DataFrame, market: str, channel: str) -> pd.Series:
    rows = frame[(frame["market"] == market) & (frame["variable_type"] == "spend") & (frame["variable_name"] == channel)]
    return rows.set_index(pd.to_datetime(rows["week_start_date"]))["value"]


def quarantine(build: Build, source: str) -> pd.DataFrame:
    return build.query(f"select * from fct_quarantined_rows where source_name = '{source}' order by raw_row_id")


# --- readers and builds coexist ----------------------------------------------------------------------------

def test_builds_complete_while_three_readers_poll_the_file(builds):
    demo = builds["demo"]
    assert demo.returncode == 0, demo.output[-5000:]
    assert "Conflicting lock" not in builds["stop"].output  # the second build under readers failed on data, not locks
    assert all(n > 0 for n in builds["reads"]), builds["reads"]  # the readers really opened the file


# --- messy exports build, and say what they lost -----------------------------------------------------------

def test_messy_exports_build_and_show_their_loss(builds):
    messy = builds["messy"]
    assert messy.returncode == 0, messy.output[-6000:]
    out = messy.output
    assert "quarantine_is_reported" in out and "WARN=" in out and "WARN=0" not in out
    assert "quarantine: raw_sales (" in out and "rows not modeled (non_numeric_value 1)" in out
    assert "revenue 'n/a' is not a number" in out
    assert "quarantine: raw_media_spend (" in out and "implausible_value 1" in out
    assert f"{builds['facts']['restated_rows']} restated (another version of the row is modeled)" in out
    assert "market us, channel social: 1 of 1092 rows lost" in out
    assert "has columns outside the contract: account_id" in out
    assert "raw_controls.csv has a header and no rows" in out


def test_tv_spend_written_with_currency_symbols_is_modeled(builds):
    """The issue's headline case: "$1,234.50" quarantined all of TV; now TV equals the demo's, in both markets."""
    messy, demo = model_input(builds["messy"]), builds["demo_model_input"]
    for market in ("us", "ca"):
        pd.testing.assert_series_equal(spend_of(messy, market, "tv"), spend_of(demo, market, "tv"))
    tv = quarantine(builds["messy"], "raw_media_spend").query("raw_key == 'tv'")
    assert set(tv.rule) == {"duplicate_row"}  # only the re-export's identical weekly TV rows


def test_currency_symbols_and_export_dates_parse(builds):
    facts = builds["facts"]
    checked = builds["messy"].query("select * from int_media_spend_checked")
    by_id = checked.set_index("raw_row_id")
    demo_spend = read_raw("raw_media_spend")
    for i in facts["usd_rows"]:
        row = by_id.loc[i + 1]
        assert row.raw_spend.startswith("USD ") and pd.isna(row.quarantine_rule)
        assert row.spend_original == float(demo_spend.at[i, "spend"])
    for i, iso in facts["dated_rows"].items():
        row = by_id.loc[i + 1]
        assert row.raw_date == facts["dated_raw"][i]
        assert str(row.spend_date)[:10] == iso and pd.isna(row.quarantine_rule), (row.raw_date, row.spend_date)
    # the three shapes are there: 03/15/2023 (var date_format), ...T00:00:00Z and ... 13:45:00
    assert all(any(mark in r for r in facts["dated_raw"].values()) for mark in ("/", "T00:00:00Z", " 13:45:00"))
    sales = builds["messy"].query("select count(*) as n, count(sales_date) as parsed from stg_raw__sales").iloc[0]
    assert sales.n == sales.parsed == 1248  # "2023-01-02 00:00:00" and "2023-01-08T00:00:00Z"


def test_an_implausible_spend_is_quarantined_and_its_day_imputed(builds):
    facts = builds["facts"]["one_e15"]
    rows = quarantine(builds["messy"], "raw_media_spend").set_index("raw_row_id")
    row = rows.loc[facts["row"] + 1]
    assert row.rule == "implausible_value"
    assert "spend '1e15'" in row.reason and "is more than 100 times the median weekly spend of social in us" in row.reason
    week = pd.Timestamp("2024-04-29")
    demo_week = spend_of(builds["demo_model_input"], "us", "social")[week]
    messy = model_input(builds["messy"])
    got = messy[(messy.market == "us") & (messy.variable_name == "social") & (pd.to_datetime(messy.week_start_date) == week)]
    # the lost day is imputed from the week's other six days, not modeled as a dip
    assert got["value"].iloc[0] == pytest.approx((demo_week - facts["day_spend"]) * 7 / 6, rel=1e-9)
    assert bool(got["is_filled"].iloc[0])
    checks = builds["messy"].query("select * from mmm_data_sufficiency where check_name = 'spend_partial_weeks'")
    assert ("us", "social") in set(zip(checks.market, checks.channel))


def test_a_restated_reexport_keeps_the_later_version(builds):
    facts = builds["facts"]
    rows = quarantine(builds["messy"], "raw_media_spend")
    conflicting = rows[rows.rule == "conflicting_duplicate"]
    assert len(conflicting) == facts["restated_rows"]
    assert conflicting.reason.str.contains(r"^restated: raw row \d+ has the same date, market, channel and campaign").all()
    kept = conflicting.reason.str.extract(r"raw row (\d+)")[0].astype(int)
    assert (kept >= facts["reexport_first_row_id"]).all()  # the kept rows are the re-export's
    duplicates = rows[(rows.rule == "duplicate_row") & (rows.raw_row_id >= facts["reexport_first_row_id"])]
    assert len(duplicates) == facts["reexport_identical_rows"]
    restated = facts["restated"]
    restated["week"] = pd.to_datetime(restated["date"]).dt.to_period("W-SUN").dt.start_time
    expected = restated[restated.channel == "video"].groupby("week")["spend"].apply(lambda s: s.astype(float).sum())
    video = spend_of(model_input(builds["messy"]), "us", "video")
    for week, value in expected.items():
        assert video[week] == pytest.approx(value, rel=1e-9)


def test_two_accounts_identical_rows_are_both_kept(builds):
    messy, demo = model_input(builds["messy"]), builds["demo_model_input"]
    email, demo_email = spend_of(messy, "us", "email"), spend_of(demo, "us", "email")
    early = email.index < pd.Timestamp(RESTATED_WEEKS[0])
    pd.testing.assert_series_equal(email[early], 2 * demo_email[early], check_exact=False, rtol=1e-12)
    record = json.loads(quarantine(builds["messy"], "raw_media_spend").raw_record.iloc[0])
    assert record["account_id"] in ("a1", "a2")  # the extra column is in the quarantine's raw record
    checks = builds["messy"].query("select * from mmm_data_sufficiency where check_name = 'source_extra_columns'")
    assert checks.channel.tolist() == ["raw_media_spend"] and "account_id" in checks.message.iloc[0]


def test_a_lost_daily_sales_row_is_imputed_not_a_dip(builds):
    facts = builds["facts"]["na_sales"]
    rows = quarantine(builds["messy"], "raw_sales")
    assert rows.rule.tolist() == ["non_numeric_value"] and rows.raw_row_id.tolist() == [facts["row_id"]]
    messy = model_input(builds["messy"])
    demo = builds["demo_model_input"]
    week = pd.Timestamp("2024-03-04")

    def revenue(frame):
        rows = frame[(frame.market == "us") & (frame.variable_type == "revenue")]
        return rows.set_index(pd.to_datetime(rows.week_start_date))

    got, want = revenue(messy), revenue(demo)
    assert got.loc[week, "value"] == pytest.approx((want.loc[week, "value"] - facts["revenue"]) * 7 / 6, rel=1e-9)
    assert bool(got.loc[week, "is_filled"])
    others = got.index != week
    pd.testing.assert_series_equal(got.loc[others, "value"], want.loc[others, "value"])
    check = builds["messy"].query("select * from mmm_data_sufficiency where check_name = 'sales_partial_weeks'")
    assert check.market.tolist() == ["us"] and "2024-03-04: 6 days" in check.message.iloc[0]


def test_header_only_controls_and_an_unknown_lift_test_market(builds):
    messy = builds["messy"]
    assert messy.query("select count(*) as n from mmm_model_input where variable_type = 'control'").n.iloc[0] == 0
    check = messy.query("select * from mmm_data_sufficiency where check_name = 'lift_test_unused'")
    assert check[["market", "channel", "status"]].values.tolist() == [["uk", "tv (experiment lt_uk_tv_20250505)", "warn"]]
    assert "names market 'uk', which has no modeled sales; it is not used" in check.message.iloc[0]


def test_great_expectations_passes_on_the_cleaned_input(builds):
    results = builds["messy"].query("select * from fct_data_quality_results")
    assert results[results.is_critical].success.all()
    assert "spend_to_channel_median" in set(results.column_name)


# --- a European spreadsheet export ---------------------------------------------------------------------------

def test_semicolons_and_decimal_commas_give_the_demo_model_input(builds):
    build = builds["european"]
    assert build.returncode == 0, build.output[-5000:]
    marks = build.query("select distinct decimal_mark from stg_raw__media_spend").decimal_mark.tolist()
    assert marks == ["comma"]
    pd.testing.assert_frame_equal(model_input(build), builds["demo_model_input"])
    assert build.query("select rule from fct_quarantined_rows").rule.tolist() == ["non_numeric_value"] * 2


def test_a_channel_whose_every_row_was_lost_is_reported_as_such(builds):
    check = builds["european"].query("""select * from mmm_data_sufficiency
                                        where check_name = 'channel_rows_quarantined'""")
    assert check[["market", "channel", "status", "value"]].values.tolist() == [["us", "podcast", "warn", 1.0]]
    message = check.message.iloc[0]
    assert message.startswith("2 of 2 rows of podcast in us were lost to the quarantine (non_numeric_value 2)")
    assert "missing from the model (it did not spend nothing)" in message and "spend '#N/A' is not a number" in message


# --- input the data layer must refuse: a clear error first, never a Python traceback ------------------------

def test_too_much_loss_stops_the_build_naming_file_rule_and_value(builds):
    stop = builds["stop"]
    out = stop.output
    assert stop.returncode != 0
    assert "quarantine_within_limits" in out
    assert "Nothing to model: raw_sales (" in out and "raw_sales.csv) has 1248 rows and the quarantine kept none" in out
    assert "most by rule unparseable_date (1248 rows), e.g. raw row 1 (file line 2): date '02.01.2023' is not a date" in out
    assert "day-first or month-first dates need var date_format" in out
    assert "raw_media_spend.csv), market us, channel tv: 156 of 156 rows (100.0%)" in out
    assert "more than var max_quarantined_share (10.0%)" in out
    assert "spend '#VALUE!' is not a number" in out
    assert "Traceback" not in out and "InsufficientDataError" not in out
    assert "SKIP relation main.mmm_fit" in out or "SKIP" in out.split("mmm_fit")[1][:200]


def test_a_failed_rebuild_is_recorded_and_leaves_one_run_in_the_public_tables(builds):
    """The issue's "rebuild on bad data into a good warehouse": the public tables stay the demo run's, and the run
    log says the latest run failed and which run the tables belong to."""
    demo_run = builds["demo_runs"]
    assert demo_run.status.tolist() == ["success"]
    runs = builds["stop"].query("select * from fct_build_runs order by finished_at")
    assert runs.invocation_id.iloc[0] == demo_run.invocation_id.iloc[0]
    latest = runs.iloc[-1]
    assert latest.status == "failed" and latest.error_count > 0 and latest.skipped_count > 0
    assert "quarantine_within_limits" in latest.failing_nodes and "Nothing to model: raw_sales" in latest.failing_nodes
    assert latest.rebuilt_public_tables == ""
    assert latest.outputs_invocation_id == demo_run.invocation_id.iloc[0]
    # what the dashboard says over this warehouse: the latest build failed, the tables are the demo run's
    from dashboard import warehouse
    from dashboard.views.common import build_status

    status = build_status(warehouse.read_table(builds["stop"].database, "fct_build_runs").frame)
    assert status.level == "error" and "failed: " in status.text and "quarantine_within_limits" in status.text
    finished = pd.Timestamp(demo_run.finished_at.iloc[0]).strftime("%Y-%m-%d %H:%M UTC")
    assert f"The tables shown come from the build that finished {finished}" in status.text
    outputs = builds["stop"].query("select * from fct_build_outputs")
    assert set(outputs.table_name) == {"fct_quarantined_rows", "fct_data_quality_results"}
    assert set(outputs.invocation_id) == {demo_run.invocation_id.iloc[0]}
    # the model input and the public quarantine are the demo run's (the build stopped before them)
    pd.testing.assert_frame_equal(model_input(builds["stop"]), builds["demo_model_input"])
    assert builds["stop"].query("select count(*) as n from fct_quarantined_rows").n.iloc[0] == 0
