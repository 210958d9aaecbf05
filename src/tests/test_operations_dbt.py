"""Operating the model week after week, with real `dbt build` runs of the project on the shipped demo.

One warehouse gets three builds on growing data (the demo cut at three as-of dates), then a fourth that repeats
the third: the run history keeps all four runs, the repeat shares the third's fingerprint (same state), and the
alerts and backtest of the last build are filled. A copy then gets a build in refresh mode (the previous run's
posterior as the prior), another copy a history table of another schema version (rejected, then reset with
--full-refresh). Two more builds on their own files check the as-of errors (before the data, too early to fit).

Only what the operations tables need is selected (the modeling step and its data layer; not the Great
Expectations gate nor the unit tests); about 2-3 minutes on 2 cores.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DBT = ROOT / ".venv" / "bin" / "dbt"
AS_OF = ["2025-06-29", "2025-09-28", "2025-12-28"]  # Sundays: each build ends on a whole week
SELECT = ["+fct_run_history", "+fct_alerts", "+fct_backtest"]


def dbt(work: Path, database: Path, args: list[str], variables: dict, wait: bool = True):
    env = dict(os.environ, MMM_DUCKDB_PATH=str(database), DBT_PROFILES_DIR=str(ROOT), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    env.pop("MMM_RAW_DATA_PATH", None)
    name = database.parent.name
    command = [str(DBT), *args, "--vars", json.dumps({"raw_data_path": str(ROOT / "data" / "demo"), **variables}),
               "--target-path", str(work / f"target_{name}"), "--log-path", str(work / f"logs_{name}")]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if not wait:
        return process
    output, _ = process.communicate(timeout=600)
    return process.returncode, output


def build(work: Path, database: Path, variables: dict, extra: list[str] = ()) -> str:
    code, output = dbt(work, database, ["build", "--select", *SELECT, "--exclude", "resource_type:unit_test", *extra],
                       variables)
    assert code == 0, output[-6000:]
    return output


def copy_path(work: Path, name: str) -> Path:
    """A warehouse file of its own. Always named mmm.duckdb: DuckDB names the catalog after the file, and the
    views of a copied warehouse refer to that name."""
    folder = work / name
    folder.mkdir(exist_ok=True)
    return folder / "mmm.duckdb"


def query(database: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(sql).df()


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("operations_dbt")


@pytest.fixture(scope="module")
def early(work) -> dict:
    """Builds up to the model window with as-of dates before the data and too early to fit (started first, so
    they run while the main warehouse builds)."""
    started = {name: dbt(work, copy_path(work, name), ["build", "--select", "+mmm_model_window",
                                                         "--exclude", "resource_type:unit_test"], {"as_of_date": as_of},
                         wait=False)
               for name, as_of in (("before_data", "2022-06-30"), ("too_early", "2023-06-30"))}
    return started


@pytest.fixture(scope="module")
def warehouse(work, early) -> Path:
    database = copy_path(work, "history")
    for as_of in AS_OF:
        build(work, database, {"as_of_date": as_of})
    build(work, database, {"as_of_date": AS_OF[-1]})  # the same input again
    return database


@pytest.fixture(scope="module")
def history(warehouse) -> pd.DataFrame:
    return query(warehouse, "select * from fct_run_history order by run_started_at, market, channel")


def test_three_builds_on_growing_data_leave_three_runs_and_a_repeat(history):
    runs = history.drop_duplicates("run_id")[["run_id", "as_of_date", "run_started_at"]].reset_index(drop=True)
    assert len(runs) == 4 and runs["run_started_at"].is_monotonic_increasing
    assert [f"{d:%Y-%m-%d}" for d in runs["as_of_date"]] == [*AS_OF, AS_OF[-1]]
    per_run = history.groupby("run_id", sort=False).agg(markets=("market", "nunique"), rows=("channel", "size"),
                                                        last_week=("last_week_start_date", "max"))
    assert (per_run["markets"] == 2).all() and (per_run["rows"] == 16).all()
    # each build modeled the data up to its as-of date, and no further
    assert [f"{d:%Y-%m-%d}" for d in per_run["last_week"]] == ["2025-06-23", "2025-09-22", "2025-12-22", "2025-12-22"]
    states = history.drop_duplicates(["market", "input_fingerprint"])
    assert states.groupby("market")["input_fingerprint"].nunique().tolist() == [3, 3]


def test_the_same_input_again_is_the_same_state_not_a_change(history):
    third, fourth = list(history.drop_duplicates("run_id")["run_id"])[2:]
    a = history[history["run_id"] == third].reset_index(drop=True)
    b = history[history["run_id"] == fourth].reset_index(drop=True)
    assert (a["input_fingerprint"] == b["input_fingerprint"]).all()
    assert (b["same_as_run_id"] == third).all() and a["same_as_run_id"].isna().all()
    pd.testing.assert_series_equal(a["roi"], b["roi"])


def test_the_history_mart_is_the_internal_history_and_typed(warehouse):
    assert query(warehouse, "select count(*) as n from (select run_id, market, channel, roi from mmm_run_history "
                            "except select run_id, market, channel, roi from fct_run_history)")["n"].iloc[0] == 0


def test_the_last_build_fills_alerts_and_backtest_for_its_run(warehouse, history):
    last = history["run_id"].iloc[-1]
    backtest = query(warehouse, "select * from fct_backtest")
    assert set(backtest["market"]) == {"us", "ca"} and backtest["horizon_weeks"].max() == 13
    assert pd.to_datetime(backtest["week_start_date"]).max() == pd.Timestamp("2025-12-22")
    alerts = query(warehouse, "select * from fct_alerts")
    assert (alerts["run_id"] == last).all()
    # the repeat compares with the second state, never with itself
    assert "run as of 2025-12-28" not in " ".join(alerts["message"])


def test_the_modeling_window_ends_at_the_as_of_date(warehouse):
    window = query(warehouse, "select * from mmm_model_window order by market")
    assert (window["last_week_start_date"] == pd.Timestamp("2025-12-22")).all()
    assert window["is_last_week_complete"].all() and window["is_as_of_date_set"].all()
    assert (window["future_sales_rows"] == 0).all()  # the demo ends on 2025-12-28


def test_refresh_mode_starts_from_the_previous_run(work, warehouse, history):
    database = copy_path(work, "refresh")
    shutil.copy(warehouse, database)
    build(work, database, {"as_of_date": AS_OF[-1], "refresh_from_previous_run": True})
    refreshed = query(database, "select * from fct_run_history order by run_started_at, market, channel")
    last = refreshed[refreshed["run_id"] == refreshed["run_id"].iloc[-1]]
    second = list(history.drop_duplicates("run_id")["run_id"])[1]
    # a new state (the refresh settings are part of the fingerprint) whose prior is the previous state's posterior
    assert last["same_as_run_id"].isna().all() and (last["prior_run_id"] == second).all()
    priors = query(database, "select market, channel_priors_json from mmm_fit")
    assert all(json.loads(p) for p in priors["channel_priors_json"])
    plain = history[history["run_id"] == history["run_id"].iloc[-1]].set_index(["market", "channel"])
    new = last.set_index(["market", "channel"])
    ratio = ((new["roi_upper"] - new["roi_lower"]) / (plain["roi_upper"] - plain["roi_lower"])).median()
    assert 0.7 < ratio < 1.0  # narrower, but not as if the old weeks counted twice


def test_a_history_of_another_schema_version_is_rejected_and_full_refresh_resets_it(work, warehouse):
    database = copy_path(work, "schema")
    shutil.copy(warehouse, database)
    with duckdb.connect(str(database)) as con:
        con.execute("update mmm_run_history set history_schema_version = 99")
    step = ["build", "--select", "mmm_run_context", "mmm_run_history", "--exclude", "resource_type:unit_test"]
    code, output = dbt(work, database, step, {"as_of_date": AS_OF[-1]})
    assert code != 0 and "schema version 99, written by a newer version of the package" in output
    with duckdb.connect(str(database)) as con:
        con.execute("alter table mmm_run_history drop column history_schema_version")
    code, output = dbt(work, database, step, {"as_of_date": AS_OF[-1]})
    assert code != 0 and "has no history_schema_version column" in output and "--full-refresh" in output
    code, output = dbt(work, database, [*step, "--full-refresh"], {"as_of_date": AS_OF[-1]})
    assert code == 0, output[-4000:]
    assert query(database, "select count(distinct run_id) as n from mmm_run_history")["n"].iloc[0] == 1


def test_an_as_of_date_before_the_data_or_too_early_to_fit_stops_with_a_clear_message(early):
    outputs = {}
    for name, process in early.items():
        output, _ = process.communicate(timeout=600)
        outputs[name] = (process.returncode, output)
    code, output = outputs["before_data"]
    assert code != 0 and "as_of_date 2022-06-30 is before the first sales row (dated 2023-01-02)" in output
    code, output = outputs["too_early"]
    assert code != 0 and "as_of_date 2023-06-30 is too early to fit" in output
    assert "The earliest as_of_date that gives a market enough weeks is 2023-12-31" in output
