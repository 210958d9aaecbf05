"""The whole `dbt build` on many markets: wall time, peak memory and time per market (issue 11; not a test).

    .venv/bin/python scripts/benchmark_scale.py [--markets 10 100 1000] [--weeks 156]

For each size, ``mmm.geos.simulate_geos`` draws the markets (8 channels, sizes tenfold apart) and their raw
files are written in the input contract (weekly spend rows per market and channel, weekly sales, three
controls, a header-only FX file; money in USD) into a temporary folder; then `dbt build` runs on them
into a fresh DuckDB file with the default settings (partial pooling included). Printed per size: wall
time of the build, peak memory (max RSS of dbt and the processes it started), time per market, and the
slowest nodes, so the growth with the number of markets is visible. The dbt log shows the fit's progress.
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

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CONTROLS = ("price_index", "promo_flag", "competitor_index")


def write_raw(folder: Path, n_markets: int, n_weeks: int, seed: int = 1) -> None:
    """Raw input files for ``n_markets`` markets (built from mmm.geos, one market at a time)."""
    from mmm.geos import simulate_geos

    folder.mkdir(parents=True, exist_ok=True)
    spend_rows, sales_rows, control_rows = [], [], []
    for market, truth in simulate_geos(seed, n_markets, n_weeks).items():
        dates = truth.weeks.strftime("%Y-%m-%d")
        for channel in truth.spend.columns:
            spend_rows.append(pd.DataFrame({"date": dates, "market": market, "channel": channel, "campaign": "all",
                                            "spend": np.round(truth.spend[channel].to_numpy(), 2), "currency": "USD",
                                            "impressions": ""}))
        sales_rows.append(pd.DataFrame({"date": dates, "market": market, "revenue": np.round(truth.revenue, 2),
                                        "currency": "USD"}))
        for control in CONTROLS:
            control_rows.append(pd.DataFrame({"date": dates, "market": market, "control": control,
                                              "value": truth.controls[control].to_numpy()}))
    pd.concat(spend_rows).to_csv(folder / "raw_media_spend.csv", index=False)
    pd.concat(sales_rows).to_csv(folder / "raw_sales.csv", index=False)
    pd.concat(control_rows).to_csv(folder / "raw_controls.csv", index=False)
    (folder / "raw_fx_rates.csv").write_text("date,currency,rate_to_usd\n")


def build(raw: Path, db: Path, target: Path) -> dict:
    env = {**os.environ, "MMM_DUCKDB_PATH": str(db), "DBT_PROFILES_DIR": str(ROOT), "MMM_RAW_DATA_PATH": str(raw)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "dbt"), "build", "--target-path", str(target)], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        sys.exit(f"dbt build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    progress = [line.split("  ", 1)[-1] for line in proc.stdout.splitlines() if "markets (" in line]
    results = json.loads((target / "run_results.json").read_text())["results"]
    slow = sorted(((r["execution_time"], r["unique_id"].split(".")[-1]) for r in results), reverse=True)[:6]
    # ru_maxrss of children is the largest single child (dbt itself, or a worker / GX process it started)
    return {"wall": wall, "peak_mb": max(peak, before) / 1024, "slowest": slow, "progress": progress[-3:]}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markets", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--weeks", type=int, default=156)
    args = ap.parse_args(argv)
    rows = []
    for n in args.markets:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            t0 = time.perf_counter()
            write_raw(tmp / "raw", n, args.weeks)
            gen = time.perf_counter() - t0
            res = build(tmp / "raw", tmp / "scale.duckdb", tmp / "target")
        rows.append({"markets": n, "build_wall_s": round(res["wall"], 1), "per_market_s": round(res["wall"] / n, 3),
                     "peak_mb": round(res["peak_mb"]), "raw_data_s": round(gen, 1)})
        print(f"{n} markets: build {res['wall']:.1f} s ({res['wall'] / n:.3f} s per market), peak {res['peak_mb']:.0f} MB; "
              f"raw files written in {gen:.1f} s", flush=True)
        print("  slowest nodes: " + ", ".join(f"{name} {t:.1f} s" for t, name in res["slowest"]))
        for line in res["progress"]:
            print(f"  dbt log: {line}")
    print()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
