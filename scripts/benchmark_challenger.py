"""Benchmark the challenger, the synergy terms and the time-varying effects against known truth (not a test).

    .venv/bin/python scripts/benchmark_challenger.py [--seeds 10] [--only detection|synergy|drift|time]

* detection: on generator data (mmm.simulate_effects) with a true tv x search synergy, with a true change in
  TV's effectiveness, and without either, over ``--seeds`` seeds: how often the challenger's warning fires
  (target: >= 8 of 10 with, <= 1 of 10 without) and what it names.
* synergy: the MMM with the tv x search term declared, on data with and without a true synergy: the term's
  synergy ROI against the truth and its 90% interval's coverage; the other channels' ROI error with the term
  declared vs without it on data without synergy (it must not degrade them).
* drift: the MMM with TV's effect allowed to drift, on data with and without a true change: current vs
  average ROI against the truth and the coverage of the current ROI's interval; stable data must show no
  spurious change.
* time: what the challenger adds to a demo build (its dbt model, timed by `dbt build -s mmm_challenger+`).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from mmm import analysis as an
from mmm import challenger as chal
from mmm.demo import CHANNELS
from mmm.engine import fit_market
from mmm.fit import FitConfig
from mmm.model import ChannelSpec
from mmm.simulate_effects import market_data, simulate_with_effects

SPECS = [ChannelSpec(c.name, "geometric", c.max_lag, "hill") for c in CHANNELS]
LOOKBACK = 13
SCENARIOS = {
    "none": {},
    "synergy tv x search": {"synergy": ("tv", "search")},
    "drift tv 0.5 -> 1.5": {"drift_channel": "tv", "drift": (0.5, 1.5)},
}


def fitted(truth, specs=SPECS, config: FitConfig | None = None) -> an.FittedModel:
    data = market_data(truth.market)
    config = config or FitConfig(seed=11)
    return an.FittedModel.from_result(fit_market(data, specs, config, "bench"), data)


def detection(seeds: list[int]) -> pd.DataFrame:
    rows = []
    for name, kwargs in SCENARIOS.items():
        for seed in seeds:
            truth = simulate_with_effects(1000 + seed, **kwargs)
            fm = fitted(truth)
            t0 = time.perf_counter()
            report = chal.analyse_market(fm, {}, LOOKBACK)
            seconds = time.perf_counter() - t0
            top = report.suspects[0] if report.suspects else None
            rows.append(dict(scenario=name, seed=seed, mmm_cv_mape=report.pooled["mmm_mape"],
                             challenger_cv_mape=report.pooled["challenger_mape"], ratio=report.check.value,
                             paired_t=report.t_stat,
                             warns=report.check.status == "warn", suspect=f"{top.kind}: {top.subject}" if top else "",
                             challenger_seconds=seconds))
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--only", choices=["detection", "synergy", "drift", "time"], default=None)
    args = ap.parse_args(argv)
    seeds = list(range(1, args.seeds + 1))
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    if args.only in (None, "detection"):
        det = detection(seeds)
        print(det.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        print()
        print(det.groupby("scenario").agg(warns=("warns", "sum"), seeds=("warns", "size"), ratio_median=("ratio", "median"),
                                          seconds_mean=("challenger_seconds", "mean")).to_string())


if __name__ == "__main__":
    main()
