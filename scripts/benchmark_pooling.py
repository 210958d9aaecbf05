"""Pooling across markets against known truth (issue 11; not part of the tests).

    .venv/bin/python scripts/benchmark_pooling.py [--seeds 5] [--markets 20] [--weeks 156]

For each seed, ``mmm.geos.simulate_geos`` draws markets whose true channel parameters differ around a
common centre (log-ROI spread 0.35) and whose sizes differ about tenfold (small markets are noisier).
The same markets are fitted twice through the product path (``mmm.tables.fit_markets``): independently
(``pooling: none``) and with partial pooling (``pooling: partial``). Printed per seed and as means:

* per-market ROI error, spend-weighted within each market, then averaged over markets; the same for
  the five smallest markets; the ratio pooled / independent (target: at most 0.7);
* 90% ROI interval coverage over every market and channel;
* national ROI (all markets' contribution over all markets' spend, per channel): spend-weighted error
  and coverage of its 90% interval (as the product's national rows: the markets' independent draws added up,
  with the pool centre's error common to all of them, ``mmm.outputs.national_draws``);
* fit time of all markets and peak memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src" / "tests"))
from tests_support import long_input, settings_frame  # noqa: E402

from mmm import analysis as an  # noqa: E402
from mmm import outputs, tables  # noqa: E402
from mmm.geos import national_roi, simulate_geos  # noqa: E402
from mmm.settings import RunSettings  # noqa: E402


def score(fits: dict, geos: dict, pooling_json: str | None, seed: int) -> dict:
    rows, draws = [], {}
    for m, fm in fits.items():
        roi = an.roi_interval(fm)
        truth = geos[m].parameters.set_index("channel")
        contrib_draws = fm.posterior.media.sum(axis=1)
        shared = outputs.pool_shared_sd(fm, pooling_json)
        for i, c in enumerate(fm.channels):
            rows.append(dict(market=m, channel=c, spend=truth.loc[c, "spend"], true=truth.loc[c, "roi"],
                             est=roi.loc[c, "estimate"], lo=roi.loc[c, "lower"], hi=roi.loc[c, "upper"],
                             contribution=float(fm.media[:, i].sum())))
            draws.setdefault(c, []).append(dict(contribution_draws=contrib_draws[:, i], shared_sd=shared[i]))
    d = pd.DataFrame(rows)
    d["rel"] = (d.est - d.true).abs() / d.true
    d["covered"] = (d.lo <= d.true) & (d.true <= d.hi)
    per_market = d.groupby("market").apply(lambda g: (g.rel * g.spend / g.spend.sum()).sum(), include_groups=False)
    size = d.groupby("market").spend.sum()
    small = size.sort_values().index[:5]
    nat_true = national_roi(geos)
    spend = d.groupby("channel").spend.sum()
    nat_est = d.groupby("channel").contribution.sum() / spend
    # as the product's national channel summary (mmm.outputs): independent market draws plus the pool centre's error
    nat_draws = pd.DataFrame({c: outputs.national_draws(pd.DataFrame(v), c, seed) for c, v in draws.items()}) / spend
    lo, hi = nat_draws.quantile(0.05), nat_draws.quantile(0.95)
    lo, hi = np.minimum(lo, nat_est[lo.index]), np.maximum(hi, nat_est[hi.index])
    nat_rel = (nat_est - nat_true[nat_est.index]).abs() / nat_true[nat_est.index]
    return {"per_market": per_market.mean(), "small": per_market[small].mean(), "coverage": d.covered.mean(),
            "national": float((nat_rel * spend / spend.sum()).sum()),
            "national_coverage": float(((lo <= nat_true[lo.index]) & (nat_true[hi.index] <= hi)).mean())}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--markets", type=int, default=20)
    ap.add_argument("--weeks", type=int, default=156)
    args = ap.parse_args(argv)
    out = []
    for seed in range(1, args.seeds + 1):
        geos = simulate_geos(seed, args.markets, args.weeks)
        model_input = long_input(geos)
        row = {"seed": seed}
        for mode in ("none", "partial"):
            settings = RunSettings(pooling=mode, cv_folds=0)
            t0 = time.perf_counter()
            fit = tables.fit_markets(model_input, settings_frame(), None, None, settings)
            row[f"{mode}_seconds"] = time.perf_counter() - t0
            fits = tables.load_fitted_markets(fit, model_input, settings_frame(), None, settings)
            pooled = fit["pooling_json"].dropna()
            for k, v in score(fits, geos, pooled.iloc[0] if len(pooled) else None, settings.random_seed).items():
                row[f"{mode}_{k}"] = v
        row["ratio"] = row["partial_per_market"] / row["none_per_market"]
        row["ratio_small"] = row["partial_small"] / row["none_small"]
        out.append(row)
        print(pd.DataFrame([row]).round(3).to_string(index=False), flush=True)
    table = pd.DataFrame(out)
    pd.set_option("display.width", 220)
    print(f"\n== {args.markets} markets x {args.weeks} weeks, {args.seeds} seeds: independent (none) vs partial pooling")
    print(table.round(3).to_string(index=False))
    print("\nmeans:")
    print(table.drop(columns="seed").mean().round(3).to_string())
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
