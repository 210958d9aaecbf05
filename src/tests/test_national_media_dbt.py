"""National media: a channel bought nationally (raw_media_spend rows with market `all`) is split across the markets.

Two real `dbt build` runs of the data layer up to mmm_model_input (seeds, staging, intermediate, the SQL models of
the modeling step; no Great Expectations gate, no fit), started together, each on a scratch copy of the project (its
own seeds/national_media_weights.csv) and the same scratch copy of data/demo, in which

* tv is bought nationally: the US tv rows become rows of market ` All ` (any case, spaces: still national), Canada's
  tv rows are removed; one national row more has a spend that does not parse (quarantined like any spend row), one
  is dated before the first week with sales (outside every calendar);
* ooh is bought nationally and locally: Canada's ooh rows (in CAD) are copied as rows of market `all`, the local
  us and ca ooh rows stay.

``split``: the seed gives ooh the weights us 3, ca 1 and leaves tv to the default rule (revenue share). The build
passes; tv follows the markets' revenue shares, ooh the seed's 75% / 25% on top of the markets' own ooh spend, and
the money of every national row is in the model input exactly once.
``bad_weights``: the seed gives tv only zero weights, names a market without sales for ooh and a channel that is not
bought nationally. The build stops before mmm_model_input, and the output names each channel and why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
DBT = ROOT / ".venv" / "bin" / "dbt"
AS_OF = "2026-01-31"
RAW_FILES = ["raw_media_spend", "raw_sales", "raw_controls", "raw_fx_rates", "raw_lift_tests", "raw_holidays"]
PROJECT_PARTS = ["dbt_project.yml", "profiles.yml", "macros", "models", "python_models", "seeds", "tests"]
SELECTION = ["path:seeds", "staging", "intermediate", "path:models/modeling"]
BAD_ROW = "2024-03-05,all,tv,national,abc,USD,0"
OUTSIDE_ROW = "2022-06-06,ALL,tv,national,500.00,USD,0"
SEEDS = {
    "split": "channel,market,weight\nooh,us,3\nOOH , CA,1\n",
    "bad_weights": "channel,market,weight\ntv,us,0\ntv,ca,0\nooh,uk,1\npodcast,us,1\n",
}


@dataclass
class Build:
    returncode: int
    output: str
    database: Path
    results: dict[str, str]

    def query(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.sql(sql).df()


def make_raw(folder: Path) -> pd.DataFrame:
    """The demo with tv national and ooh national + local; returns the national rows as written."""
    folder.mkdir(parents=True)
    for name in RAW_FILES:
        shutil.copy(DEMO / f"{name}.csv", folder / f"{name}.csv")
    spend = pd.read_csv(DEMO / "raw_media_spend.csv", dtype=str, keep_default_na=False)
    us_tv = (spend["market"] == "us") & (spend["channel"] == "tv")
    ca_tv = (spend["market"] == "ca") & (spend["channel"] == "tv")
    national_tv = spend[us_tv].assign(market=" All ")
    national_ooh = spend[(spend["market"] == "ca") & (spend["channel"] == "ooh")].assign(market="all")
    out = pd.concat([spend[~us_tv & ~ca_tv], national_tv, national_ooh], ignore_index=True)
    out.to_csv(folder / "raw_media_spend.csv", index=False)
    with (folder / "raw_media_spend.csv").open("a") as handle:
        handle.write(BAD_ROW + "\n" + OUTSIDE_ROW + "\n")
    return pd.concat([national_tv, national_ooh], ignore_index=True)


def copy_project(project: Path, seed_text: str) -> None:
    project.mkdir(parents=True)
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, project / part, ignore=shutil.ignore_patterns("target", "logs"))
        else:
            shutil.copy(source, project / part)
    (project / "seeds" / "national_media_weights.csv").write_text(seed_text)


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("national_media")
    national = make_raw(work / "raw")
    started = {}
    for name, seed_text in SEEDS.items():
        project = work / f"project_{name}"
        copy_project(project, seed_text)
        database = work / f"{name}.duckdb"
        env = dict(os.environ, MMM_DUCKDB_PATH=str(database), DBT_PROFILES_DIR=str(project),
                   DBT_SEND_ANONYMOUS_USAGE_STATS="false")
        command = [str(DBT), "build", "--select", *SELECTION, "--exclude-resource-type", "unit_test",
                   "--vars", json.dumps({"raw_data_path": str(work / "raw"), "as_of_date": AS_OF}),
                   "--target-path", str(work / f"target_{name}"), "--log-path", str(work / f"logs_{name}")]
        process = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True)
        started[name] = (process, database)
    out: dict = {"national_rows": national}
    for name, (process, database) in started.items():
        output, _ = process.communicate(timeout=600)
        run_results = work / f"target_{name}" / "run_results.json"
        results = {}
        if run_results.exists():
            results = {r["unique_id"].split(".")[2]: r["status"] for r in json.loads(run_results.read_text())["results"]}
        out[name] = Build(process.returncode, output, database, results)
    return out


def weekly_index(frame):
    """The same index type whatever resolution DuckDB and pandas give dates."""
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index)).as_unit("ns")
    return frame


def spend_input(build: Build, channel: str) -> pd.DataFrame:
    """Weekly spend of a channel per market in mmm_model_input: one column per market, indexed by week."""
    frame = build.query(f"""
        select market, week_start_date, value from mmm_model_input
        where variable_type = 'spend' and variable_name = '{channel}'
    """)
    return weekly_index(frame.pivot(index="week_start_date", columns="market", values="value"))


def revenue_shares(build: Build) -> pd.Series:
    revenue = build.query("""
        select market, sum(value) as revenue from mmm_model_input where variable_type = 'revenue' group by market
    """).set_index("market")["revenue"]
    return revenue / revenue.sum()


# --- the split build --------------------------------------------------------------------------------------

def test_split_build_passes(builds):
    build = builds["split"]
    assert build.returncode == 0, build.output[-6000:]
    for test in ("national_spend_can_be_split", "national_spend_is_conserved", "assert_model_input_totals_match_modeled_rows",
                 "national_media_weights_is_valid"):
        assert build.results.get(test) == "pass", (test, build.results)
    reconciled = [v for k, v in build.results.items() if k.startswith("reconciles_with_quarantine")]
    assert reconciled and set(reconciled) == {"pass"}


def test_national_rows_follow_the_same_rules_as_other_spend(builds):
    build = builds["split"]
    rows = build.query("""
        select market, channel, quarantine_rule, quarantine_reason from int_media_spend_checked
        where lower(trim(raw_market)) = 'all'
    """)
    assert set(rows["market"]) == {"all"}
    quarantined = rows[rows["quarantine_rule"].notna()]
    assert list(quarantined["quarantine_rule"]) == ["non_numeric_value"]
    assert "spend 'abc' is not a number" in quarantined["quarantine_reason"].iloc[0]
    listed = build.query("select rule, market from int_rows_quarantined where source_name = 'raw_media_spend'")
    assert ("non_numeric_value", "all") in set(zip(listed["rule"], listed["market"]))


def test_tv_is_split_by_revenue_share_over_the_whole_calendar(builds):
    build = builds["split"]
    shares = revenue_shares(build)
    weights = build.query("select * from int_national_spend_weights where channel = 'tv'").set_index("market")
    assert set(weights["weight_source"]) == {"revenue_share"}
    assert set(weights.index) == {"us", "ca"}
    for market in ("us", "ca"):
        assert weights.loc[market, "weight"] == pytest.approx(shares[market], rel=1e-9)

    national = builds["national_rows"]
    tv = national[national["channel"] == "tv"]
    weekly = weekly_index(tv["spend"].astype(float).groupby(tv["date"]).sum())  # USD, dated on the weeks' Mondays
    split = spend_input(build, "tv")
    assert set(split.columns) == {"us", "ca"}  # no market named `all`
    for market in ("us", "ca"):
        expected = weekly.reindex(split.index, fill_value=0.0) * shares[market]
        np.testing.assert_allclose(split[market].to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-6)


def test_ooh_follows_the_seed_on_top_of_local_spend(builds):
    build = builds["split"]
    weights = build.query("select * from int_national_spend_weights where channel = 'ooh'").set_index("market")
    assert set(weights["weight_source"]) == {"seed"}
    assert weights.loc["us", "weight"] == pytest.approx(0.75) and weights.loc["ca", "weight"] == pytest.approx(0.25)

    # the national ooh rows are copies of Canada's (CAD), converted like them: per week, national = Canada's own
    local = build.query("""
        select market, week_start_date, sum(spend_reporting) as spend from int_media_spend_checked
        where quarantine_rule is null and channel = 'ooh' group by market, week_start_date
    """).pivot(index="week_start_date", columns="market", values="spend")
    split = spend_input(build, "ooh")
    local = weekly_index(local).reindex(split.index).fillna(0.0)
    assert local["all"].sum() > 0
    np.testing.assert_allclose(split["us"].to_numpy(), (local["us"] + 0.75 * local["all"]).to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(split["ca"].to_numpy(), (local["ca"] + 0.25 * local["all"]).to_numpy(), rtol=1e-9)


def test_national_money_in_equals_money_out(builds):
    build = builds["split"]
    national = builds["national_rows"]
    tv_raw = national.loc[national["channel"] == "tv", "spend"].astype(float).sum()  # the valid rows, all in USD
    assert spend_input(build, "tv").to_numpy().sum() == pytest.approx(tv_raw, rel=1e-12)
    totals = build.query("""
        select
            (select sum(spend_reporting) from int_media_spend_checked where quarantine_rule is null and market = 'all'
                and week_start_date >= (select min(week_start_date) from int_market_weeks)) as money_in,
            (select sum(national_spend_reporting) from int_spend_weekly) as money_out
    """)
    assert totals["money_out"].iloc[0] == pytest.approx(totals["money_in"].iloc[0], rel=1e-12)


def test_split_and_outside_spend_are_reported(builds):
    checks = builds["split"].query("select * from mmm_data_sufficiency where check_name = 'national_spend_split'")
    assert set(zip(checks["market"], checks["channel"])) == {("us", "tv"), ("ca", "tv"), ("us", "ooh"), ("ca", "ooh")}
    assert checks["message"].str.contains("bought nationally").all()
    outside = builds["split"].query("""
        select * from mmm_data_sufficiency where market = 'all' and check_name = 'spend_outside_calendar'
    """)
    assert len(outside) == 1 and outside["status"].iloc[0] == "warn" and outside["value"].iloc[0] == pytest.approx(500.0)


# --- the bad-weights build --------------------------------------------------------------------------------

def test_bad_weights_stop_the_build_naming_each_channel(builds):
    build = builds["bad_weights"]
    assert build.returncode != 0
    for part in (
        "A channel bought nationally cannot be split across the markets",
        "channel 'tv' is bought nationally (market all in raw_media_spend) but seeds/national_media_weights.csv gives"
        " none of the markets with modeled sales a weight above 0",
        "seeds/national_media_weights.csv line 4: channel 'ooh' cannot be split to market 'uk', which has no modeled sales"
        " (markets: ca, us)",
        "seeds/national_media_weights.csv line 5: channel 'podcast' has no national spend",
    ):
        assert part in build.output, (part, build.output[-6000:])
    assert "Traceback" not in build.output
    assert build.results.get("mmm_model_input") == "skipped"
    assert build.results.get("int_spend_weekly") == "skipped"
