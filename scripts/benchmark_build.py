"""Time the whole demo `dbt build` into a fresh DuckDB file and break it down (not part of the tests).

    .venv/bin/python scripts/benchmark_build.py [--runs 2]

Prints wall time per run, and from target/run_results.json the time spent in Python models, SQL
models, seeds and tests, plus the overhead of dbt itself (start-up, parsing, scheduling). Then scores
the built `fct_optimal_allocation` under the demo's true model (data/demo/truth): the share of the
achievable weekly uplift that the recommended allocation captures, per market and over both.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(db: Path) -> dict:
    env = {**os.environ, "MMM_DUCKDB_PATH": str(db), "DBT_PROFILES_DIR": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "dbt"), "build", "--quiet"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"dbt build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    results = json.loads((ROOT / "target" / "run_results.json").read_text())["results"]
    buckets: dict[str, float] = {}
    slowest = []
    for r in results:
        uid = r["unique_id"]
        kind = uid.split(".")[0]
        if kind == "model":
            kind = "model"
        buckets[kind] = buckets.get(kind, 0.0) + r["execution_time"]
        slowest.append((r["execution_time"], uid))
    return {"wall": wall, "buckets": buckets, "slowest": sorted(slowest, reverse=True)[:8],
            "elapsed": json.loads((ROOT / "target" / "run_results.json").read_text())["elapsed_time"]}


def demo_capture(db: Path) -> None:
    """Capture of the achievable uplift by the build's allocation, scored under the demo truth."""
    import duckdb
    import pandas as pd

    from mmm.demo import allocation_capture

    truth = pd.read_csv(ROOT / "data" / "demo" / "truth" / "truth_channels.csv")
    with duckdb.connect(str(db), read_only=True) as con:
        allocation = con.sql("select * from fct_optimal_allocation order by market, channel").df()
    achievable = captured = 0.0
    for market, a in allocation.groupby("market"):
        score = allocation_capture(truth[truth.market == market], list(a.channel), a.current_weekly_spend,
                                   a.optimal_weekly_spend, a.min_weekly_spend, a.max_weekly_spend)
        achievable, captured = achievable + score["achievable"], captured + score["captured"]
        print(f"  {market}: achievable uplift {score['achievable']:,.0f}/week, captured {score['captured']:,.0f}/week"
              f" = {score['capture']:.3f}")
    print(f"  both markets: {captured / achievable:.3f} of the achievable uplift")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            db = Path(tmp) / "bench.duckdb"  # same path each run, as `make build` does (partial parsing applies)
            db.unlink(missing_ok=True)
            res = one_run(db)
            print(f"run {i + 1}: dbt build wall {res['wall']:.1f} s (dbt's own elapsed {res['elapsed']:.1f} s; "
                  f"start-up and parse {res['wall'] - res['elapsed']:.1f} s)")
            print("  node time summed over threads: " + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(res["buckets"].items())))
            print("  slowest nodes: " + ", ".join(f"{uid.split('.')[-1]} {t:.2f} s" for t, uid in res["slowest"][:5]))
        print("optimizer capture on the demo truth (fct_optimal_allocation scored under data/demo/truth):")
        demo_capture(db)
    print(f"peak RSS of dbt (children): {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
