"""Fit PyMC-Marketing on the same demo seeds as our engine (a comparison, not part of the product or tests).

PyMC-Marketing is not a dependency of this project. To reproduce:

    .venv/bin/python scripts/compare_pymc_marketing.py export --seeds 101 102 --folder /tmp/pymcbench
    python3 -m venv /tmp/pymcenv && /tmp/pymcenv/bin/pip install pymc-marketing==0.19.2
    /tmp/pymcenv/bin/python scripts/compare_pymc_marketing.py fit --seeds 101 102 --folder /tmp/pymcbench

`fit` uses MMM(GeometricAdstock(l_max=8), HillSaturation) with the same controls, a linear trend and
yearly Fourier order 2, NUTS with 2 chains x 1000 draws (1000 tune), and, as PyMC-Marketing's docs
recommend, each channel's beta prior scaled by its spend share (``--default-priors`` to turn that off).
It prints per seed the fit time, ROI mean absolute relative error (plain and spend-weighted) and 90%
interval coverage, computed like scripts/benchmark_engine.py.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd


def export(seeds: list[int], folder: Path) -> None:
    from mmm.demo import simulate_market

    folder.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        truth = simulate_market(seed)
        truth.weekly_frame().to_csv(folder / f"weekly_{seed}.csv", index=False)
        truth.parameters.to_csv(folder / f"truth_{seed}.csv", index=False)


def fit(seed: int, folder: Path, default_priors: bool) -> dict:
    from pymc_extras.prior import Prior
    from pymc_marketing.mmm import MMM, GeometricAdstock, HillSaturation

    weekly = pd.read_csv(folder / f"weekly_{seed}.csv", parse_dates=["week_start_date"])
    truth = pd.read_csv(folder / f"truth_{seed}.csv")
    channels = [c for c in weekly.columns if c.startswith("spend_")]
    x = weekly.drop(columns=["revenue"]).rename(columns={"week_start_date": "date"})
    x["trend"] = np.arange(len(x), dtype=float)
    controls = ["price_index", "promo_flag", "competitor_index", "holiday_count", "trend"]
    saturation = HillSaturation()
    if not default_priors:
        share = (x[channels].sum() / x[channels].sum().sum()).to_numpy()
        saturation = HillSaturation(priors={"beta": Prior("HalfNormal", sigma=len(channels) * share, dims="channel"),
                                            "slope": Prior("HalfNormal", sigma=1.5, dims="channel"),
                                            "kappa": Prior("HalfNormal", sigma=1.5, dims="channel")})
    model = MMM(date_column="date", channel_columns=channels, control_columns=controls,
                adstock=GeometricAdstock(l_max=8), saturation=saturation, yearly_seasonality=2)
    t0 = time.time()
    model.fit(x, weekly["revenue"], chains=2, draws=1000, tune=1000, random_seed=seed, progressbar=False,
              target_accept=0.9, cores=2)
    seconds = time.time() - t0
    contributions = model.compute_channel_contribution_original_scale()  # chain, draw, date, channel
    spend = x[channels].sum().to_numpy()
    roi_draws = contributions.sum("date").stack(s=("chain", "draw")).transpose("s", "channel").values / spend
    roi = roi_draws.mean(axis=0)
    lower, upper = np.quantile(roi_draws, 0.05, axis=0), np.quantile(roi_draws, 0.95, axis=0)
    true_roi = truth.set_index("channel").loc[[c.removeprefix("spend_") for c in channels], "roi"].to_numpy()
    err = np.abs(roi - true_roi) / true_roi
    return {"seed": seed, "seconds": round(seconds, 1), "roi_err": round(float(err.mean()), 3),
            "roi_err_weighted": round(float((err * spend / spend.sum()).sum()), 3),
            "coverage": float(((lower <= true_roi) & (true_roi <= upper)).mean()),
            "err_by_channel": dict(zip([c.removeprefix("spend_") for c in channels], err.round(3).tolist()))}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=["export", "fit"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[101, 102])
    ap.add_argument("--folder", type=Path, default=Path("/tmp/pymcbench"))
    ap.add_argument("--default-priors", action="store_true")
    args = ap.parse_args(argv)
    if args.step == "export":
        export(args.seeds, args.folder)
        return
    for seed in args.seeds:
        try:
            print(json.dumps(fit(seed, args.folder, args.default_priors)))
        except Exception as exc:  # a sampler failure is a result worth printing, not a crash of the comparison
            print(json.dumps({"seed": seed, "failed": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}))


if __name__ == "__main__":
    main()
