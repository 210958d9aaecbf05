"""Fit PyMC-Marketing's documented default MMM on one dataset (runs inside benchmarks/.venvs/pymc-marketing).

    python pymc_runner.py --folder WORK/DATASET --out result.json [--draws 1000 --tune 1000 --chains 2]

Model, as in PyMC-Marketing's MMM docstring and example notebook (0.19.x)::

    MMM(date_column="date", channel_columns=channels, control_columns=controls (+ trend "t"),
        adstock=GeometricAdstock(l_max=8), saturation=LogisticSaturation(), yearly_seasonality=2)
    fit(X, y, chains=2, draws=1000, tune=1000)

default priors, default scaling (max-abs of the target and of each channel). Its documented example adds
a linear trend column ``t`` as a control (the default model has no trend), so every dataset gets one.
Channel contributions in the original scale: posterior ``channel_contribution`` x ``target_scale``.
ROI = contribution summed over all weeks / spend; point = posterior mean, interval = 5%-95% quantiles
(90%, as ours) and the 94% HDI (PyMC's default summary interval).
Steady-state response (normalised adstock: sustained x has adstock x):
r(x) = target_scale * beta * logistic(x / channel_scale; lam) = beta' * logistic(x; lam / channel_scale).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--keep-draws", type=int, default=200, help="thinned response draws written for capture")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")

    import arviz as az
    import pymc_marketing
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    meta = json.loads((args.folder / "meta.json").read_text())
    weekly = pd.read_csv(args.folder / "weekly.csv", parse_dates=["date"])
    channels, controls = meta["channels"], list(meta["controls"])
    X = weekly.drop(columns=["revenue"])
    trend = meta.get("extra_columns", {}).get("trend")
    if trend is None:
        trend = "t"
        X[trend] = np.arange(len(X), dtype=float)
    controls = controls + [trend]
    keep = ["date"] + channels + controls
    X = X[keep]
    y = weekly["revenue"]

    model = MMM(date_column="date", channel_columns=channels, control_columns=controls,
                adstock=GeometricAdstock(l_max=8), saturation=LogisticSaturation(), yearly_seasonality=2)
    t0 = time.perf_counter()
    model.fit(X, y, chains=args.chains, draws=args.draws, tune=args.tune, random_seed=args.seed, progressbar=False)
    seconds = time.perf_counter() - t0

    idata = model.idata
    post = idata.posterior
    target_scale = float(np.asarray(idata.constant_data["target_scale"]).ravel()[0]) \
        if "target_scale" in idata.constant_data else float(model.target_scale)
    channel_scale = np.asarray(idata.constant_data["channel_scale"]).astype(float).ravel() \
        if "channel_scale" in idata.constant_data else np.asarray(model.channel_scale, float).ravel()
    if channel_scale.size == 1:
        channel_scale = np.repeat(channel_scale, len(channels))
    contrib = (post["channel_contribution"] * target_scale).sum("date")  # chain, draw, channel
    contrib = contrib.stack(sample=("chain", "draw")).transpose("sample", "channel")
    order = [list(contrib["channel"].values).index(c) for c in channels]
    cdraws = contrib.values[:, order]
    spend = weekly[channels].sum().to_numpy(float)
    roi = cdraws / spend
    rows = []
    for i, c in enumerate(channels):
        hdi = az.hdi(roi[:, i], hdi_prob=0.94)
        rows.append(dict(channel=c, roi=float(roi[:, i].mean()), roi_lower=float(np.quantile(roi[:, i], 0.05)),
                         roi_upper=float(np.quantile(roi[:, i], 0.95)), hdi94_lower=float(hdi[0]),
                         hdi94_upper=float(hdi[1]), contribution=float(cdraws[:, i].mean()),
                         contribution_lower=float(np.quantile(cdraws[:, i], 0.05)),
                         contribution_upper=float(np.quantile(cdraws[:, i], 0.95))))

    beta = post["saturation_beta"].stack(sample=("chain", "draw")).transpose("sample", "channel").values[:, order]
    lam = post["saturation_lam"].stack(sample=("chain", "draw")).transpose("sample", "channel").values[:, order]
    idx = np.linspace(0, beta.shape[0] - 1, min(args.keep_draws, beta.shape[0])).astype(int)
    responses = {c: {"kind": "logistic", "beta": [float(f"{v:.6g}") for v in target_scale * beta[idx, i]],
                     "params": {"lam": [float(f"{v:.6g}") for v in lam[idx, i] / channel_scale[i]]}}
                 for i, c in enumerate(channels)}
    summ = az.summary(idata, var_names=["saturation_beta", "saturation_lam", "adstock_alpha"], kind="diagnostics")
    divergences = int(idata.sample_stats["diverging"].sum()) if "diverging" in idata.sample_stats else -1
    out = {"channels": rows, "seconds": seconds, "responses": responses,
           "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "diagnostics": {"divergences": divergences, "max_r_hat": float(summ["r_hat"].max()),
                           "min_ess_bulk": float(summ["ess_bulk"].min())},
           "version": pymc_marketing.__version__, "target_scale": target_scale,
           "channel_scale": channel_scale.tolist(), "controls_used": controls}
    args.out.write_text(json.dumps(out))


if __name__ == "__main__":
    main()
