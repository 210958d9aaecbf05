"""The loss and "nothing to model" tests (macros/loss_tests.sql), run by real dbt on a scratch project.

A throwaway project uses this repository's macros folder and tiny models shaped like int_losses_measured and
mmm_data_sufficiency. One `dbt build` runs every case: a small loss is reported as a warning and passes the limit;
a channel that lost every row and a file with nothing left stop with messages naming the file, the rule and the
value; a data-check table where no market passes (or no market has sales) stops before any fit would run, naming
each market's failing checks, while one good market is enough to pass.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DBT = ROOT / ".venv" / "bin" / "dbt"

LOSS_COLUMNS = ("source_name, raw_file, scope, market, subject, raw_rows, kept_rows, lost_rows, superseded_rows, "
                "duplicate_rows, lost_rows_without_amount, kept_amount_reporting, lost_amount_reporting, lost_row_share, "
                "lost_amount_share, rules, top_lost_rule, top_lost_rule_rows, example_raw_row_id, example_reason, "
                "max_quarantined_share, is_over_limit, has_nothing_left")


def loss_row(source, scope, market, subject, raw, kept, lost, superseded=0, duplicate=0, rule="non_numeric_value",
             reason="spend ''x'' is not a number", kept_amount=1000.0, lost_amount=0.0, over=False, nothing=False) -> str:
    rules = ", ".join(f"{r} {n}" for r, n in [(rule, lost), ("conflicting_duplicate", superseded),
                                               ("duplicate_row", duplicate)] if n)
    lost_share = lost / (kept + lost) if kept + lost else "null"
    amount_share = lost_amount / (kept_amount + lost_amount) if kept_amount + lost_amount else "null"
    example = (f"'{rule}', {lost}, 7, '{reason}'" if lost else "null, null, null, null")
    return (f"('{source}', 'data/acme/{source}.csv', '{scope}', '{market}', '{subject}', {raw}, {kept}, {lost}, {superseded}, "
            f"{duplicate}, {lost}, {kept_amount}, {lost_amount}, {lost_share}, {amount_share}, '{rules}', {example}, 0.1, "
            f"{str(over).lower()}, {str(nothing).lower()})")


def values_model(rows: list[str], columns: str) -> str:
    return f"select * from (values {', '.join(rows)}) as t({columns})"


MODELS = {
    # a small loss: reported, within the limit
    "losses_small": values_model([
        loss_row("raw_sales", "file", "", "", 1248, 1245, 1, superseded=1, duplicate=1, rule="non_numeric_value",
                 reason="revenue ''n/a'' is not a number"),
        loss_row("raw_sales", "market", "us", "", 1092, 1090, 1, superseded=1, rule="non_numeric_value",
                 reason="revenue ''n/a'' is not a number"),
    ], LOSS_COLUMNS),
    # every TV row lost, and a sales file with nothing left
    "losses_large": values_model([
        loss_row("raw_media_spend", "channel", "us", "tv", 156, 0, 156, reason="spend ''#VALUE!'' is not a number",
                 kept_amount=0.0, over=True),
        loss_row("raw_sales", "file", "", "", 1248, 0, 1248, rule="unparseable_date",
                 reason="date ''02.01.2023'' is not a date", over=True, nothing=True),
        loss_row("raw_fx_rates", "file", "", "", 10, 5, 5),
    ], LOSS_COLUMNS),
    "calendar": "select * from (values ('us', date '2024-01-01'), ('ca', date '2024-01-01')) as t(market, week_start_date)",
    "empty_calendar": "select 'us' as market, date '2024-01-01' as week_start_date where 1 = 0",
    "checks_one_market_ok": """select * from (values
        ('us', 'weeks_of_history', '', 30.0, 52.0, 'fail', '30 weeks from 2024-01-01 to 2024-07-22; at least 52 are required'),
        ('ca', 'weeks_of_history', '', 156.0, 78.0, 'ok', '156 weeks'),
        ('ca', 'channel_rows_quarantined', 'tv', 0.5, 0.1, 'warn', 'half of tv lost')
        ) as t(market, check_name, channel, value, threshold, status, message)""",
    "checks_no_market_ok": """select * from (values
        ('us', 'weeks_of_history', '', 30.0, 52.0, 'fail', '30 weeks from 2024-01-01 to 2024-07-22; at least 52 are required'),
        ('ca', 'weeks_of_history', '', 40.0, 52.0, 'fail', '40 weeks from 2024-01-01 to 2024-09-30; at least 52 are required'),
        ('ca', 'weeks_without_sales', '', 1.0, 0.0, 'fail', 'weeks inside the calendar without any sales row'),
        ('uk', 'lift_test_unused', 'tv (experiment e1)', 1.0, 0.0, 'warn', 'lift test e1 names market uk')
        ) as t(market, check_name, channel, value, threshold, status, message)""",
}

SCHEMA = """
version: 2
models:
  - name: losses_small
    data_tests:
      - quarantine_is_reported:
          config: {severity: warn}
      - quarantine_within_limits:
          name: within_limits_losses_small
  - name: losses_large
    data_tests:
      - quarantine_within_limits:
          name: within_limits_losses_large
  - name: checks_one_market_ok
    data_tests:
      - a_market_can_be_modeled:
          name: can_model_one_market_ok
          arguments: {calendar: ref('calendar')}
  - name: checks_no_market_ok
    data_tests:
      - a_market_can_be_modeled:
          name: can_model_no_market_ok
          arguments: {calendar: ref('calendar')}
      - a_market_can_be_modeled:
          name: can_model_empty_calendar
          arguments: {calendar: ref('empty_calendar')}
"""


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> dict:
    project = tmp_path_factory.mktemp("loss_tests_project")
    (project / "models").mkdir()
    (project / "dbt_project.yml").write_text(
        "name: loss_tests_check\nversion: '1.0'\nconfig-version: 2\nprofile: loss_tests_check\n"
        f"macro-paths: ['{ROOT / 'macros'}']\nmodel-paths: ['models']\n"
        "dispatch:\n  - macro_namespace: mmm\n    search_order: ['loss_tests_check']\n"
        "vars:\n  reporting_currency: USD\n"
        "flags:\n  send_anonymous_usage_stats: false\n")
    (project / "profiles.yml").write_text(
        "loss_tests_check:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: '{project / 'check.duckdb'}'\n      threads: 1\n")
    for name, sql in MODELS.items():
        (project / "models" / f"{name}.sql").write_text(sql)
    (project / "models" / "_models.yml").write_text(SCHEMA)
    env = dict(os.environ, DBT_PROFILES_DIR=str(project), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    proc = subprocess.run([str(DBT), "build", "--project-dir", str(project)], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)
    run = json.loads((project / "target" / "run_results.json").read_text())["results"]
    return {"returncode": proc.returncode, "output": proc.stdout,
            "status": {r["unique_id"].split(".")[2]: r["status"] for r in run if r["unique_id"].startswith("test.")}}


def status(build: dict, prefix: str) -> str:
    [match] = [s for name, s in build["status"].items() if name.startswith(prefix)]
    return match


def test_a_small_loss_is_reported_and_within_limits(build):
    assert status(build, "quarantine_is_reported") == "warn"
    assert status(build, "within_limits_losses_small") == "pass"
    out = build["output"]
    assert ("quarantine: raw_sales (data/acme/raw_sales.csv): 3 of 1248 rows not modeled "
            "(non_numeric_value 1, conflicting_duplicate 1, duplicate_row 1): 1 lost = 0.08% of the rows (1 of them without "
            "a usable amount); 1 restated") in out
    assert "1 restated (another version of the row is modeled); 1 exact duplicates" in out
    assert ("quarantine: raw_sales (data/acme/raw_sales.csv), market us: 1 of 1091 rows lost (0.092%); "
            "most by rule non_numeric_value (1 rows), e.g. raw row 7 (file line 8): revenue 'n/a' is not a number") in out


def test_too_much_loss_stops_naming_file_scope_rule_and_value(build):
    assert status(build, "within_limits_losses_large") == "error"
    out = build["output"]
    assert "The quarantine removed too much of the input, so the build stops before mmm_model_input" in out
    assert ("Nothing to model: raw_sales (data/acme/raw_sales.csv) has 1248 rows and the quarantine kept none of them; "
            "most by rule unparseable_date (1248 rows), e.g. raw row 7 (file line 8): date '02.01.2023' is not a date.") in out
    assert ("raw_media_spend (data/acme/raw_media_spend.csv), market us, channel tv: 156 of 156 rows (100.0%) lost to the "
            "quarantine, more than var max_quarantined_share (10.0%); most by rule non_numeric_value (156 rows), e.g. raw "
            "row 7 (file line 8): spend '#VALUE!' is not a number.") in out
    assert "raw_fx_rates (data/acme/raw_fx_rates.csv): 5 of" not in out  # FX losses are reported, never stopping


def test_one_modelable_market_is_enough(build):
    assert status(build, "can_model_one_market_ok") == "pass"


def test_no_modelable_market_stops_before_the_fit_naming_each_market(build):
    assert status(build, "can_model_no_market_ok") == "error"
    out = build["output"]
    assert "No market can be modeled, so the build stops before the fit (mmm_fit)" in out
    assert ("market ca cannot be modeled: weeks_of_history: 40 weeks from 2024-01-01 to 2024-09-30; at least 52 are "
            "required; weeks_without_sales: weeks inside the calendar without any sales row") in out
    assert "market us cannot be modeled: weeks_of_history: 30 weeks" in out
    assert "market uk" not in out  # a lift test's unknown market is not a market of the calendar


def test_no_market_with_sales_stops(build):
    assert status(build, "can_model_empty_calendar") == "error"
    assert "No market has modeled sales: every raw_sales row was quarantined or the file has none" in build["output"]
