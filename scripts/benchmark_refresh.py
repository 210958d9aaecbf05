"""Benchmark refresh stability and change detection against known truth (not part of the test suite).

    .venv/bin/python scripts/benchmark_refresh.py [--seeds 6] [--origins 104 120 136] [--weight 0.25] [--quick]
                                                  [--stability-only]

Stability. For each seed (the demo generator draws its own truth per seed) and each N, the market is fitted on
weeks 1..N, then refreshed on weeks 1..N+4 in three ways:

* ``refit``: the default build, a full refit with the configured priors;
* ``refresh``: var refresh_from_previous_run, the previous run's posterior tempered into the prior
  (mmm.refresh, power-prior weight ``--weight``);
* ``naive``: the previous posterior's marginals used as the prior as they are (what "posterior becomes the
  prior" means without care: the old weeks count twice). Shown for comparison only.

Reported per mode: how often a channel's new ROI leaves the previous run's 90% interval (per channel and
overall), the mean move in units of the previous interval's width, the new intervals' width relative to the
refit's, and how often they cover the true ROI of weeks 1..N+4.

Change detection. The same markets, but from week N+1 on the largest channel's effect is multiplied by
``factor`` (0: it stops working; 2: it doubles; the weekly revenue is rebuilt from the generator's own
components). Refreshing on weeks 1..N+4 (and 1..N+13), the script reports how often the build's alerts
(mmm.alerts, with the backtest of mmm.backtest as in a build) fire: the forecast-drift alert, a recent week
outside the prediction interval, and the changed channel's ROI leaving the previous interval, with the same
alerts' false-alarm rate on the unchanged markets. Fits use holdout_weeks=13 and no cross-validation (to save
time); everything else is the build's default.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np
import pandas as pd

from mmm import alerts as al
from mmm import analysis as an
from mmm import backtest as bt
from mmm import history as hi
from mmm import refresh as rf
from mmm.demo import CHANNELS, simulate_market
from mmm.engine import fit_market
from mmm.fit import FitConfig, MarketData
from mmm.model import ChannelSpec, build_layout

SPECS = [ChannelSpec(c.name, "geometric", c.max_lag, "hill") for c in CHANNELS]
STEP = 4  # a refresh adds four weeks
LATER = 13  # and a quarter, for the change scenarios
RECENT = 4  # the alerts' newest weeks (var alert_recent_weeks)


def data_of(truth, n: int, revenue: np.ndarray | None = None) -> MarketData:
    rev = truth.revenue if revenue is None else revenue
    return MarketData(truth.weeks[:n], np.asarray(rev)[:n], truth.spend.iloc[:n].copy(), truth.controls.iloc[:n],
                      np.asarray(truth.holiday_count)[:n], None)


def changed_revenue(truth, channel: str, start: int, factor: float) -> np.ndarray:
    """Weekly revenue with ``channel``'s effect multiplied by ``factor`` from week ``start`` on (0-based)."""
    effect = truth.components[channel].to_numpy()
    out = np.asarray(truth.revenue, dtype=float).copy()
    out[start:] += (factor - 1.0) * effect[start:]
    return out


def true_roi(truth, n: int, revenue_factor: tuple[str, int, float] | None = None) -> pd.Series:
    media = truth.components[[c.name for c in CHANNELS]].iloc[:n].copy()
    if revenue_factor is not None:
        channel, start, factor = revenue_factor
        media.iloc[start:n, media.columns.get_loc(channel)] *= factor
    return media.sum() / truth.spend[[c.name for c in CHANNELS]].iloc[:n].sum()


def posterior_frame(result) -> pd.DataFrame:
    records = hi.posterior_summary(result)
    return pd.DataFrame({"market": "m", "run_id": "previous", "channel": list(records),
                         "posterior_json": [json.dumps(r) for r in records.values()]})


def naive_specs(previous, data: MarketData, config: FitConfig) -> list[ChannelSpec]:
    """The previous marginal posterior as the prior, untempered (the old weeks counted twice)."""
    layout = build_layout(previous.specs, previous.config.priors)
    sd = np.sqrt(np.diag(previous.cov))
    priors: dict[str, dict] = {}
    for i, (channel, name) in enumerate(layout.names):
        priors.setdefault(channel, {})[name] = (float(previous.z[i]), float(sd[i]))
    return [replace(s, priors=priors.get(s.name, {})) for s in SPECS]


def fit(data: MarketData, specs: list[ChannelSpec], config: FitConfig):
    result = fit_market(data, specs, config, "m")
    fm = an.FittedModel.from_result(result, data)
    return result, fm, an.roi_interval(fm)


def refresh_fits(data: MarketData, previous, config: FitConfig, weight: float, modes: tuple[str, ...]) -> dict:
    out = {}
    for mode in modes:
        if mode == "refit":
            specs = SPECS
        elif mode == "refresh":
            specs = rf.refresh_specs(posterior_frame(previous), config, weight)("m", data, SPECS)
        else:
            specs = naive_specs(previous, data, config)
        out[mode] = fit(data, specs, config)
    return out


def alerts_of(fm, roi_now: pd.DataFrame, roi_before: pd.DataFrame, channel: str) -> dict[str, bool]:
    """Which of the build's alerts fire for this refit (the backtest as a build makes it)."""
    rows = bt.backtest(fm, 6, STEP, 13, 52, None).assign(market="m")  # the build's default backtest
    fitted = an.fitted_revenue(fm)
    held = fitted[fitted["forecast_revenue"].notna()]
    holdout_mape = float((np.abs(held["forecast_revenue"] - held["actual_revenue"]) / held["actual_revenue"]).mean())
    checks = pd.DataFrame({"check_name": ["holdout_mape"], "channel": [""], "value": [holdout_mape], "threshold": [0.15],
                           "status": ["ok"]})
    drift = bool(al.forecast_drift("m", rows, checks))
    windows = bt.recent_windows(rows)
    windows = windows[(windows["error"] - windows["reference"]) >= al.DEFAULT_ALERT_THRESHOLDS.forecast_error_margin]
    drift_ratio = float((windows["error"] / windows["reference"]).max()) if len(windows) else 0.0
    outlier = bool(al.revenue_outliers("m", fitted, RECENT, fm.level, "USD"))
    r, lo, hi_ = roi_now.loc[channel, "estimate"], roi_before.loc[channel, "lower"], roi_before.loc[channel, "upper"]
    return {"drift": drift, "outlier": outlier, "roi": not (lo <= r <= hi_), "any": drift or outlier or not (lo <= r <= hi_),
            "drift_ratio": drift_ratio}


def stability(seeds: list[int], origins: list[int], weight: float, modes: tuple[str, ...], n_weeks: int):
    rows, alert_rows = [], []
    for seed in seeds:
        truth = simulate_market(seed, n_weeks=n_weeks)
        config = FitConfig(holdout_weeks=13, cv_folds=0, seed=seed)
        for n in origins:
            previous, _, before = fit(data_of(truth, n), SPECS, config)
            now = refresh_fits(data_of(truth, n + STEP), previous, config, weight, modes)
            truth_roi = true_roi(truth, n + STEP)
            width = now["refit"][2]["upper"] - now["refit"][2]["lower"]
            for mode, (_, fm, roi) in now.items():
                for ch in roi.index:
                    rows.append(dict(seed=seed, n=n, mode=mode, channel=ch,
                                     left=not (before.loc[ch, "lower"] <= roi.loc[ch, "estimate"] <= before.loc[ch, "upper"]),
                                     move=abs(roi.loc[ch, "estimate"] - before.loc[ch, "estimate"])
                                     / (before.loc[ch, "upper"] - before.loc[ch, "lower"]),
                                     width_ratio=(roi.loc[ch, "upper"] - roi.loc[ch, "lower"]) / width.loc[ch],
                                     covered=roi.loc[ch, "lower"] <= truth_roi[ch] <= roi.loc[ch, "upper"]))
                if mode != "naive":
                    top = truth.parameters.set_index("channel")["contribution"].idxmax()
                    alert_rows.append(dict(seed=seed, n=n, mode=mode, change="none", weeks=STEP,
                                           **alerts_of(fm, roi, before, top)))
            print(f"  seed {seed} N={n}: done", flush=True)
    return pd.DataFrame(rows), pd.DataFrame(alert_rows)


def change_detection(seeds: list[int], origins: list[int], weight: float, factors: list[float], n_weeks: int):
    rows = []
    for seed in seeds:
        truth = simulate_market(seed, n_weeks=n_weeks)
        config = FitConfig(holdout_weeks=13, cv_folds=0, seed=seed)
        top = truth.parameters.set_index("channel")["contribution"].idxmax()
        for n in origins:
            previous, _, before = fit(data_of(truth, n), SPECS, config)
            for factor in factors:
                revenue = changed_revenue(truth, top, n, factor)
                for extra in (STEP, LATER):
                    if n + extra > n_weeks:
                        continue
                    now = refresh_fits(data_of(truth, n + extra, revenue), previous, config, weight, ("refit", "refresh"))
                    for mode, (_, fm, roi) in now.items():
                        rows.append(dict(seed=seed, n=n, mode=mode, change=f"x{factor:g}", weeks=extra, channel=top,
                                         **alerts_of(fm, roi, before, top)))
            print(f"  seed {seed} N={n}: done", flush=True)
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--origins", type=int, nargs="+", default=[104, 120, 136])
    ap.add_argument("--weight", type=float, default=0.25, help="refresh_prior_weight")
    ap.add_argument("--factors", type=float, nargs="+", default=[0.0, 2.0])
    ap.add_argument("--quick", action="store_true", help="2 seeds, one N")
    ap.add_argument("--stability-only", action="store_true", help="skip the change scenarios")
    args = ap.parse_args()
    seeds = list(range(301, 301 + (2 if args.quick else args.seeds)))
    origins = args.origins[:1] if args.quick else args.origins
    n_weeks = max(origins) + LATER
    t0 = time.perf_counter()
    print(f"Refresh benchmark: seeds {seeds}, N in {origins}, refresh adds {STEP} weeks, weight a = {args.weight}")

    print("\nStability (no change in the truth): fitting weeks 1..N, then 1..N+4")
    stab, false_alarms = stability(seeds, origins, args.weight, ("refit", "refresh", "naive"), n_weeks)
    per_channel = stab.pivot_table(index="channel", columns="mode", values="left", aggfunc="mean")
    per_channel = per_channel[["refit", "refresh", "naive"]]
    overall = stab.groupby("mode").agg(left=("left", "mean"), move=("move", "mean"), width=("width_ratio", "mean"),
                                       covered=("covered", "mean"), n=("left", "size")).loc[["refit", "refresh", "naive"]]
    print("\nShare of channel refreshes whose new ROI leaves the previous run's 90% interval, per channel:")
    print((100 * per_channel).round(1).to_string(float_format=lambda x: f"{x:.1f}%"))
    print("\nOverall (move: |new - previous ROI| / previous interval width; width: interval width / refit's;"
          " covered: the new interval holds the true ROI of weeks 1..N+4):")
    print(overall.to_string(formatters={"left": "{:.1%}".format, "move": "{:.3f}".format, "width": "{:.2f}".format,
                                        "covered": "{:.1%}".format}))

    if args.stability_only:
        return
    print(f"\nChange detection: from week N+1 the largest channel's effect is multiplied by {args.factors}")
    changes = change_detection(seeds, origins, args.weight, args.factors, n_weeks)
    table = pd.concat([false_alarms, changes], ignore_index=True)
    summary = table.groupby(["change", "weeks", "mode"])[["drift", "outlier", "roi", "any"]].mean()
    print("\nShare of refreshes on which each alert fires (drift: forecast_drift; outlier: a recent week outside the "
          "prediction interval; roi: the changed channel's ROI outside the previous interval; change none = false alarms):")
    print(summary.to_string(float_format=lambda x: f"{100 * x:.0f}%"))
    ratios = table.assign(**{f">= {r:g}x": table["drift_ratio"] >= r for r in (2.0, 2.5, 3.0)})
    by_ratio = ratios.groupby(["change", "weeks", "mode"])[[f">= {r:g}x" for r in (2.0, 2.5, 3.0)]].mean()
    print("\nThe drift alert at other thresholds (share of refreshes whose worst window's error is at least this many "
          "times the usual error; 2.5x is the default warning, 3x critical):")
    print(by_ratio.to_string(float_format=lambda x: f"{100 * x:.0f}%"))
    print(f"\n{len(stab) // 8 + len(changes)} refits in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
