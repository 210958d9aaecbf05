"""The dashboard tests' warehouse: a real `dbt build` of the shipped demo with a few additions.

The demo data (data/demo) is copied and extended so that every section has something to show, then the
project's own `dbt build` (seeds and models; the pipeline's tests run in `make test`) writes a DuckDB
file. Nothing is hand-made: every table is what the pipeline writes, and the tests derive their expected
values from these tables. The additions:

* raw rows the data layer quarantines (negative spend, unknown currency, dates after ``as_of_date``);
* a market ``mx`` with 20 weeks of history (fewer than ``min_weeks_pooled``: not modeled, a
  'market_not_fitted' check) and no sales in 20 of them (a failed non-critical Great Expectation);
* a lift test on Canada's paid search measuring less than the model predicts, with a wide standard error (so the
  calibrated model still disagrees with it: a positive z-score: the
  model is too high);
* target modes: ``target_mroi`` for every market, and a ``target_revenue_weekly`` that the US can reach
  and Canada cannot;
* the optional media terms (off in the shipped project): one synergy pair (``SYNERGY_PAIR``) and one channel whose
  effectiveness may drift (``DRIFTING_CHANNEL``), so fct_media_terms and fct_channel_effectiveness have rows. The
  two term seeds are written into a copy of the project's dbt files in the build's work folder (dbt reads seeds
  only from the project's ``seed-paths``); the repository's own seeds stay empty;
* the plan forecast's target: ``plan_target_growth`` +15% on the same weeks last year (the spend plan and the
  control plan are the shipped seeds).
* a run history of two runs: a first build as of ``EARLIER_AS_OF`` (only what the run history needs), then
  the full build; and, for the alerts, a channel Canada started in its last five weeks (``podcast``, new since
  the earlier run) and two last Canadian weeks whose revenue is 40% below what it was (far outside the
  prediction interval, and a forecast of the newest weeks much worse than usual).

About 30 s on 2 cores, plus about 20 s for the earlier run. ``python -m dashboard.tests.demo_warehouse
out.duckdb`` writes one to look at: ``MMM_DUCKDB_PATH=out.duckdb make dashboard``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
RAW_FILES = ("raw_media_spend", "raw_sales", "raw_controls", "raw_fx_rates", "raw_lift_tests", "raw_holidays")
AS_OF = "2026-01-31"
SMALL_MARKET = "mx"
SMALL_MARKET_WEEKS = 20  # below min_weeks_pooled (26): not modeled even through the pool
SMALL_MARKET_WEEKS_WITHOUT_SALES = 18  # > 5% of all weeks: fails the non-critical "revenue > 0 in 95% of weeks"
LIFT_TEST = "lt_ca_search_20250707,ca,search,2025-07-07,2025-08-03,40000.00,20000.00,USD"
VARS = {
    "as_of_date": AS_OF,
    "target_mroi": 1.5,
    "target_revenue_weekly": {"us": 300000, "ca": 1000000},
    "plan_target_growth": 0.15,  # the plan forecast's target mode (the shipped seeds give the spend plan)
}
SPEND_DEFECTS = [
    "2024-03-05,us,search,brand,-50.00,USD,10",  # negative_spend
    "2024-03-12,us,search,brand,-75.00,USD,10",  # negative_spend
    "2024-03-05,us,display,programmatic,12.00,GBP,0",  # unknown_currency
    "2026-06-01,us,tv,national,100.00,USD,0",  # future_date
]
SALES_DEFECTS = ["2026-06-07,ca,1000.00,CAD"]  # future_date
EARLIER_AS_OF = "2025-09-28"  # the first run of the history: 13 weeks before the demo ends
NEW_CHANNEL = "podcast"
NEW_CHANNEL_SPEND = [
    f"{week:%Y-%m-%d},ca,{NEW_CHANNEL},shows,6000.00,CAD,0" for week in pd.date_range("2025-11-24", periods=5, freq="W-MON")
]
ANOMALY = [  # the last two Canadian weeks, revenue x 0.6 (a drop: no media flight can explain it away)
    ("2025-12-21,ca,457511.95,CAD", "2025-12-21,ca,274507.17,CAD"),
    ("2025-12-28,ca,514923.58,CAD", "2025-12-28,ca,308954.15,CAD"),
]


def _append(path: Path, lines: list[str]) -> None:
    text = path.read_text()
    path.write_text(text + ("" if text.endswith("\n") else "\n") + "\n".join(lines) + "\n")


def write_raw(folder: Path) -> Path:
    """The demo's raw files plus the additions above, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in RAW_FILES:
        shutil.copy(DEMO / f"{name}.csv", folder / f"{name}.csv")
    weeks = pd.date_range("2025-06-02", periods=SMALL_MARKET_WEEKS, freq="W-MON")
    sales = [
        f"{week:%Y-%m-%d},{SMALL_MARKET},{0 if i < SMALL_MARKET_WEEKS_WITHOUT_SALES else 90000 + 1000 * i:.2f},USD"
        for i, week in enumerate(weeks)
    ]
    spend = [
        f"{week:%Y-%m-%d},{SMALL_MARKET},{channel},always_on,{4000 + 100 * i + 500 * j:.2f},USD,0"
        for i, week in enumerate(weeks)
        for j, channel in enumerate(("search", "social"))
    ]
    controls = [
        f"{week:%Y-%m-%d},{SMALL_MARKET},{control},{value}"
        for week in weeks
        for control, value in (("price_index", 1.0), ("competitor_index", 1.0), ("promo_flag", 0))
    ]
    _append(folder / "raw_media_spend.csv", SPEND_DEFECTS + spend + NEW_CHANNEL_SPEND)
    raw_sales = folder / "raw_sales.csv"
    text = raw_sales.read_text()
    for before, after in ANOMALY:
        assert text.count(before) == 1, "the demo's last Canadian weeks changed: update ANOMALY"
        text = text.replace(before, after)
    raw_sales.write_text(text)
    _append(raw_sales, SALES_DEFECTS + sales)
    _append(folder / "raw_controls.csv", controls)
    _append(folder / "raw_lift_tests.csv", [LIFT_TEST])
    return folder


SYNERGY_PAIR = ("tv", "video")  # both modeled in every fitted market; not search, whose lift test is pinned above
DRIFTING_CHANNEL = "social"
TERM_SEEDS = {  # blank prior_sd / step_sd: the engine's defaults; 3 knots keep the extra fit time small
    "channel_interactions": f"channel_a,channel_b,prior_sd\n{SYNERGY_PAIR[0]},{SYNERGY_PAIR[1]},\n",
    "channel_time_varying": f"channel,knots,step_sd\n{DRIFTING_CHANNEL},3,\n",
}
PROJECT_FILES = ("dbt_project.yml", "models", "python_models", "macros", "seeds", "tests")  # what dbt reads


def write_project(folder: Path) -> Path:
    """A copy of the project's dbt files in `folder`, with the term seeds above (the Python package `mmm` is the
    one installed, or the first on PYTHONPATH)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name, dirs_exist_ok=True)
        else:
            shutil.copy(source, folder / name)
    for seed, text in TERM_SEEDS.items():
        (folder / "seeds" / f"{seed}.csv").write_text(text)
    return folder


def build(database: Path, work: Path | None = None) -> Path:
    """Run the project's `dbt build` (seeds and models) on the extended demo into `database`."""
    database = Path(database).resolve()
    database.parent.mkdir(parents=True, exist_ok=True)
    work = Path(work or tempfile.mkdtemp(prefix="dashboard-warehouse-"))
    raw = write_raw(work / "raw")
    project = write_project(work / "project")
    dbt = Path(sys.executable).with_name("dbt")
    env = {
        **os.environ,
        "MMM_DUCKDB_PATH": str(database),
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    env.pop("MMM_RAW_DATA_PATH", None)

    def run(select: list[str], variables: dict) -> None:
        command = [
            str(dbt if dbt.exists() else "dbt"),
            "build",
            *select,
            "--exclude",
            "resource_type:test",
            "resource_type:unit_test",
            "--vars",
            json.dumps({**VARS, **variables, "raw_data_path": str(raw)}),
            "--target-path",
            str(work / "target"),  # not the project's target/: another dbt may be running there
            "--log-path",
            str(work / "logs"),
        ]
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
        if done.returncode != 0 or not database.is_file():
            raise RuntimeError(f"dbt build of the dashboard test warehouse failed:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}")

    run(["--select", "+mmm_run_history"], {"as_of_date": EARLIER_AS_OF})  # the run history's first run
    run([], {})
    return database


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m dashboard.tests.demo_warehouse OUT.duckdb")
    print(build(Path(sys.argv[1])))
