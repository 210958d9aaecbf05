"""Benchmark of the data layer on about 1 million raw spend rows (not a test).

Generates a raw folder that follows the input contract: 100 markets x 3 years of daily rows x 8 channels
(search split in 2 campaigns: 9 rows per market and day, about 986,000 spend rows), daily sales, two daily
controls, weekday FX rates (half of the markets report in EUR, so the as-of FX join does real work) and a
holiday calendar. Then runs, each in a fresh process on a fresh DuckDB file:

1. ``dbt run --select +int_rows_quarantined``: reading, parsing (staging), FX conversion, quarantine rules and
   the quarantine (the int_*_checked tables and everything upstream of them)
2. ``dbt build --select <DATA_LAYER>``: the whole data layer with its tests (unit tests excluded), selected by
   folder: seeds, staging, intermediate, the SQL of the modeling step, the Great Expectations gate and the
   data-quality marts

and prints wall time, the summed model execution time reported by dbt, and the peak resident memory of the
dbt process (from the kernel's rusage of the child).

    .venv/bin/python scripts/benchmark_staging.py [--markets 100] [--years 3] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
DBT = ROOT / ".venv" / "bin" / "dbt"
CHANNELS = ["tv", "radio", "ooh", "search", "social", "display", "video", "email"]
DATA_LAYER = ["path:seeds", "staging", "intermediate", "path:models/modeling", "data_quality", "marts.data_quality"]


def generate(folder: Path, markets: int, years: int) -> dict[str, int]:
    """Write the raw CSV files with DuckDB (fast, deterministic) and return their row counts."""
    folder.mkdir(parents=True, exist_ok=True)
    days = 365 * years + 1
    con = duckdb.connect()
    con.execute("select setseed(0.42)")
    con.execute(f"""
        create table markets as
        select 'm' || lpad(cast(i as varchar), 3, '0') as market,
               case when i % 2 = 0 then 'USD' else 'EUR' end as currency
        from range({markets}) as t(i)""")
    con.execute(f"""
        create table days as
        select cast(date '2023-01-02' + cast(d as integer) as date) as day from range({days}) as t(d)""")
    channel_rows = ", ".join(f"('{c}', 'always_on')" for c in CHANNELS if c != "search")
    con.execute(f"""
        create table channels as
        select * from (values {channel_rows}, ('search', 'brand'), ('search', 'generic')) as c(channel, campaign)""")

    def copy(query: str, name: str) -> int:
        path = folder / f"{name}.csv"
        con.execute(f"copy ({query}) to '{path}' (header, delimiter ',')")
        return con.execute(f"select count(*) from read_csv('{path}')").fetchone()[0]

    counts = {
        "raw_media_spend": copy("""
            select strftime(days.day, '%Y-%m-%d') as date, markets.market, channels.channel, channels.campaign,
                   round(random() * 1000, 2) as spend, markets.currency,
                   cast(random() * 50000 as integer) as impressions
            from markets cross join days cross join channels
            order by markets.market, days.day, channels.channel, channels.campaign""", "raw_media_spend"),
        "raw_sales": copy("""
            select strftime(days.day, '%Y-%m-%d') as date, markets.market,
                   round(20000 + random() * 5000, 2) as revenue, markets.currency
            from markets cross join days order by markets.market, days.day""", "raw_sales"),
        "raw_controls": copy("""
            select strftime(days.day, '%Y-%m-%d') as date, markets.market, controls.control,
                   case when controls.control = 'promo_flag' then cast(random() < 0.1 as integer)
                        else round(0.9 + random() * 0.2, 4) end as value
            from markets cross join days
            cross join (values ('price_index'), ('promo_flag')) as controls(control)
            order by markets.market, days.day, controls.control""", "raw_controls"),
        "raw_fx_rates": copy("""
            select strftime(day, '%Y-%m-%d') as date, 'EUR' as currency, round(1.05 + random() * 0.1, 6) as rate_to_usd
            from (select cast(date '2022-12-20' + cast(d as integer) as date) as day from range(1200) as t(d))
            where isodow(day) <= 5 order by day""", "raw_fx_rates"),
        "raw_holidays": copy("""
            select strftime(day, '%Y-%m-%d') as date, markets.market, 'Holiday' as holiday
            from markets cross join days as d(day)
            where (month(day) = 1 and day(day) = 1) or (month(day) = 12 and day(day) = 25)""", "raw_holidays"),
    }
    (folder / "raw_lift_tests.csv").write_text(
        "experiment_id,market,channel,start_date,end_date,incremental_revenue,incremental_revenue_se,currency\n")
    return counts


def run_dbt(args: list[str], raw: Path, work: Path, label: str) -> dict:
    """Run dbt in a child process; wall time, dbt's model timings and the child's peak RSS."""
    database = work / f"{label}.duckdb"
    if database.exists():
        database.unlink()
    target = work / f"target_{label}"
    env = dict(os.environ, MMM_DUCKDB_PATH=str(database), DBT_PROFILES_DIR=str(ROOT),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    command = [str(DBT), *args, "--vars", json.dumps({"raw_data_path": str(raw)}),
               "--target-path", str(target), "--log-path", str(work / f"logs_{label}")]
    start = time.perf_counter()
    with open(work / f"{label}.out", "w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    results = json.loads((target / "run_results.json").read_text())
    models = [r for r in results["results"] if r["unique_id"].startswith("model.")]
    return {
        "label": label,
        "returncode": process.returncode,
        "wall_seconds": wall,
        "dbt_elapsed_seconds": results["elapsed_time"],
        "model_seconds": sum(r["execution_time"] for r in models),
        "slowest": sorted(((r["execution_time"], r["unique_id"].split(".")[-1]) for r in models), reverse=True)[:5],
        "peak_rss_mb": usage.ru_maxrss / 1024,  # Linux: kilobytes
        "nodes": len(results["results"]),
        "output": work / f"{label}.out",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markets", type=int, default=100)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated folder and DuckDB files")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="mmm_benchmark_"))
    raw = work / "raw"
    start = time.perf_counter()
    counts = generate(raw, args.markets, args.years)
    print(f"generated {', '.join(f'{k}={v:,}' for k, v in counts.items())} rows "
          f"in {time.perf_counter() - start:.1f} s ({sum(f.stat().st_size for f in raw.iterdir()) / 1e6:.0f} MB) "
          f"under {raw}")

    runs = [
        run_dbt(["run", "--select", "+int_rows_quarantined"], raw, work, "staging"),
        run_dbt(["build", "--select", *DATA_LAYER, "--exclude-resource-type", "unit_test"], raw, work,
                "data_layer"),
    ]
    failed = False
    for r in runs:
        print(f"\n[{r['label']}] exit {r['returncode']}, {r['nodes']} nodes")
        print(f"  wall time (dbt process, incl. ~5-8 s start-up and parse): {r['wall_seconds']:.1f} s")
        print(f"  dbt elapsed (run phase): {r['dbt_elapsed_seconds']:.1f} s; sum of model execution times: "
              f"{r['model_seconds']:.1f} s")
        print(f"  peak memory (max RSS of the dbt process): {r['peak_rss_mb']:.0f} MB")
        print("  slowest models: " + ", ".join(f"{name} {t:.1f} s" for t, name in r["slowest"]))
        if r["returncode"] != 0:
            failed = True
            print(f"  FAILED, see {r['output']}")
    if args.keep:
        print(f"\nkept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
