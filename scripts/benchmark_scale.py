"""The whole `dbt build` on many markets: wall time, peak memory and time per market (issue 11; not a test).

    .venv/bin/python scripts/benchmark_scale.py [--markets 10 100 1000] [--weeks 156]

For each size, ``mmm.geos.simulate_geos`` draws the markets (8 channels, sizes tenfold apart) and their raw
files are written in the input contract (weekly spend rows per market and channel, weekly sales, three
controls, a header-only FX file; money in USD) into a temporary folder; then `dbt build` runs on them
into a fresh DuckDB file with the default settings (partial pooling included). Printed per size: wall
time of the build, peak memory (the summed proportional set size of dbt and every process it started,
sampled each second; also the largest single process's max RSS), time per market, the slowest nodes and the
nodes during which memory peaked, so the growth with the number of markets is visible. The dbt log shows the fit's progress.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
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


def _descendants(root: int) -> list[int]:
    """``root`` and every process below it (from /proc: Linux only)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _pss_mb(pid: int) -> float:
    """Proportional set size of one process: its private memory plus its share of pages shared with others (a
    forked worker's pages still shared with dbt count half in each), so summing over processes gives the memory
    the build really holds."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class MemorySampler(threading.Thread):
    """Samples, once a second, the summed PSS of a process tree (dbt, its forked workers, the Great Expectations
    child): the build's memory at that moment."""

    def __init__(self, pid: int, every: float = 1.0):
        super().__init__(daemon=True)
        self.pid, self.every, self.samples, self.stop = pid, every, [], threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            pids = _descendants(self.pid)
            self.samples.append((time.time(), sum(_pss_mb(p) for p in pids), len(pids)))
            self.stop.wait(self.every)


def _node_peaks(samples: list, results: list) -> list[tuple[float, str]]:
    """Per node, the largest tree PSS sampled while it ran (nodes run two at a time, so the figure is the build's
    memory while the node ran, not the node's own)."""
    from datetime import datetime

    def ts(s: str) -> float:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()

    peaks = []
    for r in results:
        spans = [t for t in r.get("timing", []) if t.get("name") == "execute" and t.get("started_at")]
        if spans:
            a, b = ts(spans[0]["started_at"]), ts(spans[0]["completed_at"])
            inside = [mb for t, mb, _ in samples if a <= t <= b]
            if inside:
                peaks.append((max(inside), r["unique_id"].split(".")[-1]))
    return sorted(peaks, reverse=True)


def build(raw: Path, db: Path, target: Path) -> dict:
    env = {**os.environ, "MMM_DUCKDB_PATH": str(db), "DBT_PROFILES_DIR": str(ROOT), "MMM_RAW_DATA_PATH": str(raw)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "dbt"), "build", "--target-path", str(target)], cwd=ROOT,
                                env=env, stdout=out, stderr=err, text=True)
        sampler = MemorySampler(proc.pid)
        sampler.start()
        proc.wait()
        sampler.stop.set()
        sampler.join()
        out.seek(0), err.seek(0)
        proc.stdout, proc.stderr = out.read(), err.read()
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        sys.exit(f"dbt build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    progress = [line.split("  ", 1)[-1] for line in proc.stdout.splitlines() if "markets (" in line]
    results = json.loads((target / "run_results.json").read_text())["results"]
    slow = sorted(((r["execution_time"], r["unique_id"].split(".")[-1]) for r in results), reverse=True)[:6]
    # ru_maxrss of children is the largest single child (dbt itself, or a worker / GX process it started); the
    # sampled PSS sum is the whole tree's memory
    tree = max((mb for _, mb, _ in sampler.samples), default=0.0)
    return {"wall": wall, "peak_mb": tree, "max_rss_mb": max(peak, before) / 1024, "slowest": slow,
            "progress": progress[-3:], "node_peaks": _node_peaks(sampler.samples, results)[:6]}


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
                     "peak_mb": round(res["peak_mb"]), "max_process_rss_mb": round(res["max_rss_mb"]),
                     "raw_data_s": round(gen, 1)})
        print(f"{n} markets: build {res['wall']:.1f} s ({res['wall'] / n:.3f} s per market), peak {res['peak_mb']:.0f} MB "
              f"(summed PSS of dbt and its workers; largest single process RSS {res['max_rss_mb']:.0f} MB); "
              f"raw files written in {gen:.1f} s", flush=True)
        print("  slowest nodes: " + ", ".join(f"{name} {t:.1f} s" for t, name in res["slowest"]))
        print("  memory while running: " + ", ".join(f"{name} {mb:.0f} MB" for mb, name in res["node_peaks"]))
        for line in res["progress"]:
            print(f"  dbt log: {line}")
    print()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
