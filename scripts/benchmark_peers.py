"""Side-by-side peer benchmark: this project's engine vs PyMC-Marketing (and Google Meridian) on data with known truth.

    .venv/bin/python scripts/benchmark_peers.py [--seeds 10] [--generators simulate pysimmmulator public]
        [--systems ours pymc-marketing meridian] [--quick] [--refit-peers] [--meridian-only public simulate_s1 ...]

Not part of `make test`; a full run takes hours of machine time (PyMC-Marketing NUTS ~3-4 min per dataset).
Every system sees the same weekly data, controls and seeds:

* ours: product default run settings (dbt vars defaults), with and without lift tests (search, social);
  always refit (seconds);
* pymc-marketing: its documented default MMM (GeometricAdstock(l_max=8), LogisticSaturation(),
  yearly_seasonality=2, default priors, 2 chains x 1000 draws + 1000 tune), in benchmarks/.venvs/;
* meridian: its documented defaults (see scripts/peers/meridian_runner.py), in benchmarks/.venvs/.

Peer fits are cached in benchmarks/results/cache/ (committed) by (system, version, config hash, dataset
fingerprint) and reused unless --refit-peers. Outputs: benchmarks/results/peers_by_dataset.csv,
peers_by_channel.csv, peers_summary.csv (``_quick`` suffix in --quick mode) and a markdown table.
See benchmarks/README.md for the metrics and what differs between systems.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import run as runner  # noqa: E402
from peers.datasets import GENERATORS  # noqa: E402

WORK = Path(__file__).resolve().parents[1] / "benchmarks" / ".venvs" / "work"  # git-ignored with the venvs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10, help="seeds per seeded generator (1..N)")
    ap.add_argument("--seed-list", type=int, nargs="+", help="explicit seeds instead of 1..N")
    ap.add_argument("--generators", nargs="+", default=list(GENERATORS), choices=GENERATORS)
    ap.add_argument("--systems", nargs="+", default=["ours", "pymc-marketing", "meridian"],
                    choices=["ours", "pymc-marketing", "meridian"])
    ap.add_argument("--meridian-only", nargs="+", default=None,
                    help="run Meridian only on these datasets (dataset names or generator names)")
    ap.add_argument("--meridian-timeout", type=float, default=None,
                    help="minutes before a Meridian fit is stopped (default 15: the limit the benchmark sets for it)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 2 seeds, peers with few draws (labelled QUICK, results in *_quick.csv)")
    ap.add_argument("--refit-peers", action="store_true", help="ignore the cache and refit every peer")
    ap.add_argument("--work", type=Path, default=WORK, help="work folder for the exchanged files")
    args = ap.parse_args(argv)
    seeds = args.seed_list or list(range(1, (2 if args.quick else args.seeds) + 1))
    t0 = time.time()
    print(f"peer benchmark: generators {args.generators}, seeds {seeds}, systems {args.systems}"
          + (" [QUICK MODE: peers with few draws, not their defaults]" if args.quick else ""))
    by_dataset, by_channel = runner.run(args.generators, seeds, args.systems, args.quick, args.refit_peers, args.work,
                               args.meridian_only, args.meridian_timeout)
    summary = runner.summarise(by_dataset)
    print("\n## Means per generator and system\n")
    print(runner.markdown(summary))
    cond = runner.by_condition(by_channel)
    if len(cond):
        import pandas as pd

        pd.set_option("display.width", 200)
        print("\n## ROI error by channel condition (relative error and signed bias over channels with true ROI >= 0.1; "
              "coverage and absolute error over all)\n")
        for name, part in cond[cond.condition != "channel"].groupby("condition", sort=False):
            print(part.pivot_table(index=["generator", "value"], columns="system", values="roi_rel_error").round(3)
                  .to_string())
            print()
        print("Per channel and condition: benchmarks/results/peers_by_condition.csv; per channel: peers_by_channel.csv")
    reused = by_dataset[by_dataset.get("reused", False) == True]  # noqa: E712
    if len(reused):
        print(f"\n{len(reused)} peer fits were REUSED from benchmarks/results/cache (same system, version, config "
              "and dataset fingerprint); --refit-peers refits them.")
    bad = by_dataset[by_dataset["status"] != "ok"]
    for r in bad.itertuples():
        print(f"- {r.dataset} / {r.system}: {r.status}: {str(r.error)[:300]}")
    print(f"\nwall time {time.time() - t0:.0f} s; CSVs in benchmarks/results/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
