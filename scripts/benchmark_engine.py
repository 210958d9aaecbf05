"""Benchmark the estimation engine against known truth (not part of the test suite).

Prints one table: per dataset, fit time (with uncertainty), peak memory, ROI mean absolute relative
error (plain and spend-weighted), 90% interval coverage, with and without lift tests, the error of
lift-tested channels, and the optimizer's capture of the achievable uplift under the true model.

    .venv/bin/python scripts/benchmark_engine.py [--seeds 10] [--coverage-seeds 20] [--quick]

Datasets: the demo generator's truth over several seeds (true parameters differ per seed), and the
public sets in ../shared/benchmarks/ (see its README): pymc_mmm_example, pymc_mmm_roas_confounder and
mamimo_mmm carry a known truth; meridian_geo (40 geos) and robyn_dt are fitted for time and scale only.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from mmm import analysis as an
from mmm.demo import CHANNELS, simulate_market, true_lift, true_marginal_roi
from mmm.engine import fit_market as fit_result
from mmm.fit import FitConfig, MarketData
from mmm.model import ChannelSpec
from mmm.transforms import geometric_adstock

BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"
DEMO_SPECS = [ChannelSpec(c.name, "geometric", c.max_lag, "hill") for c in CHANNELS]
LIFT_CHANNELS = ("tv", "social", "search")
LOOKBACK = 13


def fit_market(data: MarketData, specs: list[ChannelSpec], config: FitConfig) -> an.FittedModel:
    return an.FittedModel.from_result(fit_result(data, specs, config), data)


def roi_scores(est: pd.DataFrame, true_roi: pd.Series, spend: pd.Series) -> dict:
    est = est.set_index("channel").loc[true_roi.index]
    err = (est["roi"] - true_roi).abs() / true_roi.abs()
    w = spend.loc[true_roi.index] / spend.loc[true_roi.index].sum()
    covered = (est["roi_lower"] <= true_roi) & (true_roi <= est["roi_upper"])
    return {"roi_err": err.mean(), "roi_err_weighted": float((err * w).sum()), "coverage": covered.mean(),
            "n_channels": len(err), "n_covered": int(covered.sum()), "err_by_channel": err}


def timed_fit(data: MarketData, specs: list[ChannelSpec], config: FitConfig, measure_memory: bool = False):
    if measure_memory:
        tracemalloc.start()
    t0 = time.perf_counter()
    fit = fit_market(data, specs, config)
    summary = an.channel_summary(fit, LOOKBACK)  # part of "with uncertainty": intervals come from the draws
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20 if measure_memory else np.nan
    if measure_memory:
        tracemalloc.stop()
    return fit, summary, seconds, peak


def demo_lift_tests(truth, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 1000)
    rows = []
    for ch in LIFT_CHANNELS:
        end = truth.spend[ch].rolling(4).sum().iloc[-52:-8].idxmax()
        start = end - pd.Timedelta(weeks=3)
        lift = true_lift(truth, ch, start, end)
        rows.append(dict(experiment_id=f"lt_{ch}", channel=ch, start_week=start, end_week=end,
                         lift=lift + rng.normal(0, 0.12 * lift), lift_se=0.12 * lift))
    return pd.DataFrame(rows)


def optimizer_capture(fit, truth) -> float:
    """Share of the achievable uplift (under the true model) that the engine's allocation captures."""
    from mmm.demo import allocation_capture
    from mmm.optimize import optimize_allocation

    current = an.current_weekly_spend(fit, LOOKBACK)
    lower, upper, budget = 0.5 * current, 2.0 * current, current.sum()
    # as the pipeline does: maximise posterior expected revenue (mean over the draws)
    est = optimize_allocation(an.responses(fit, with_draws=True),
                              current, lower, upper, budget)
    return allocation_capture(truth.parameters, fit.channels, current, est.optimal, lower, upper)["capture"]


def bench_demo(seeds: list[int], config: FitConfig, with_capture: bool = True) -> tuple[list[dict], pd.DataFrame]:
    rows, per_channel = [], []
    for seed in seeds:
        truth = simulate_market(seed)
        spend = truth.spend.sum()
        true_roi = truth.parameters.set_index("channel")["roi"]
        for calibrated in (False, True):
            lifts = demo_lift_tests(truth, seed) if calibrated else None
            data = MarketData(truth.weeks, truth.revenue, truth.spend, truth.controls, truth.holiday_count, lifts)
            fit, summary, secs, peak = timed_fit(data, DEMO_SPECS, config, measure_memory=(seed == seeds[0]))
            sc = roi_scores(summary, true_roi, spend)
            tested = sc["err_by_channel"][list(LIFT_CHANNELS)].mean()
            s = summary.set_index("channel")
            true_mroi = [true_marginal_roi(truth.parameters, ch, s.loc[ch, "current_weekly_spend"]) for ch in s.index]
            mroi_covered = ((s["mroi_lower"] <= true_mroi) & (true_mroi <= s["mroi_upper"])).sum()
            row = dict(dataset=f"demo seed {seed}", lift_tests=calibrated, seconds=secs, peak_mb=peak,
                       roi_err=sc["roi_err"], roi_err_weighted=sc["roi_err_weighted"], coverage=sc["coverage"],
                       tested_channels_err=tested, n_channels=sc["n_channels"], n_covered=sc["n_covered"],
                       n_mroi_covered=int(mroi_covered))
            if with_capture and not calibrated:
                try:
                    row["optimizer_capture"] = optimizer_capture(fit, truth)
                except ImportError:
                    row["optimizer_capture"] = np.nan
            rows.append(row)
            for ch, e in sc["err_by_channel"].items():
                per_channel.append(dict(seed=seed, lift_tests=calibrated, channel=ch, err=e))
    return rows, pd.DataFrame(per_channel)


def _weekly(df: pd.DataFrame, date_col: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(df[date_col]))


def bench_pymc_example(config: FitConfig) -> dict:
    df = pd.read_csv(BENCH / "pymc_mmm_example.csv")
    data = MarketData(_weekly(df, "date_week"), df["y"].to_numpy(), df[["x1", "x2"]],
                      df[["event_1", "event_2"]], None)
    specs = [ChannelSpec(c, "geometric", 7, "hill", None, 1.0) for c in ("x1", "x2")]
    fit, summary, secs, _ = timed_fit(data, specs, config)
    truth = pd.Series({"x1": 4968.0, "x2": 2275.0})
    sc = roi_scores(summary, truth, df[["x1", "x2"]].sum())
    return dict(dataset="pymc_mmm_example", lift_tests=False, seconds=secs, **_pick(sc))


def bench_pymc_confounder(config: FitConfig) -> list[dict]:
    df = pd.read_csv(BENCH / "pymc_mmm_roas_confounder.csv")
    truth = pd.Series({"x1": 93.388, "x2": 171.409})
    out = []
    for label, controls in (("with z", df[["z"]]), ("without z (confounded)", None)):
        data = MarketData(_weekly(df, "date"), df["y"].to_numpy(), df[["x1", "x2"]], controls, None)
        specs = [ChannelSpec(c, "geometric", 4, "hill", None, 1.0) for c in ("x1", "x2")]
        fit, summary, secs, _ = timed_fit(data, specs, config)
        sc = roi_scores(summary, truth, df[["x1", "x2"]].sum())
        out.append(dict(dataset=f"pymc_roas_confounder {label}", lift_tests=False, seconds=secs, **_pick(sc)))
    return out


def bench_mamimo(config: FitConfig) -> dict:
    df = pd.read_csv(BENCH / "mamimo_mmm.csv")

    def s(x):
        return 1 - np.exp(-1e-4 * x)

    effects = {"TV": 10000 * s(geometric_adstock(df["TV"].to_numpy(), 0.5, 3)),
               "Radio": 8000 * s(geometric_adstock(df["Radio"].to_numpy(), 0.2, 1)),
               "Banners": 14000 * s(df["Banners"].to_numpy())}
    spend = df[["TV", "Radio", "Banners"]].sum()
    truth = pd.Series({k: v.sum() / spend[k] for k, v in effects.items()})
    data = MarketData(_weekly(df, "Date"), df["Sales"].to_numpy(), df[["TV", "Radio", "Banners"]], None, None)
    specs = [ChannelSpec("TV", "geometric", 3, "hill"), ChannelSpec("Radio", "geometric", 2, "hill"),
             ChannelSpec("Banners", "geometric", 2, "hill")]
    fit, summary, secs, _ = timed_fit(data, specs, config)
    return dict(dataset="mamimo_mmm", lift_tests=False, seconds=secs, **_pick(roi_scores(summary, truth, spend)))


def bench_meridian_geo(config: FitConfig, max_geos: int) -> dict:
    df = pd.read_csv(BENCH / "meridian_geo_all_channels.csv")
    channels = [f"Channel{i}_spend" for i in range(5)]
    df["revenue"] = df["conversions"] * df["revenue_per_conversion"]
    t0, n, failed = time.perf_counter(), 0, 0
    for _, g in list(df.groupby("geo"))[:max_geos]:
        g = g.sort_values("time")
        data = MarketData(_weekly(g, "time"), g["revenue"].to_numpy(), g[channels].reset_index(drop=True),
                          g[["competitor_sales_control", "sentiment_score_control", "Promo"]].reset_index(drop=True))
        try:
            an.channel_summary(fit_market(data, [ChannelSpec(c, "geometric", 6, "hill", None, 1.0) for c in channels], config),
                               LOOKBACK)
            n += 1
        except ValueError:
            failed += 1
    secs = time.perf_counter() - t0
    return dict(dataset=f"meridian_geo ({n} geos fitted, {failed} failed; no truth)", lift_tests=False,
                seconds=secs / max(n, 1), total_seconds=secs)


def bench_robyn(config: FitConfig) -> dict:
    df = pd.read_csv(BENCH / "robyn_dt_simulated_weekly.csv")
    channels = ["tv_S", "ooh_S", "print_S", "facebook_S", "search_S"]
    controls = pd.DataFrame({"competitor_sales_B": df["competitor_sales_B"],
                             "events": (df["events"].astype(str) != "na").astype(float), "newsletter": df["newsletter"]})
    data = MarketData(_weekly(df, "DATE"), df["revenue"].to_numpy(), df[channels], controls, None)
    fit, summary, secs, peak = timed_fit(data, [ChannelSpec(c, "geometric", 8, "hill") for c in channels], config,
                                         measure_memory=True)
    r2 = an.model_checks(fit, LOOKBACK).set_index("check_name").loc["in_sample_r2", "value"]
    return dict(dataset=f"robyn_dt (no truth; in-sample R2 {r2:.2f})", lift_tests=False, seconds=secs, peak_mb=peak)


def _pick(sc: dict) -> dict:
    return {k: sc[k] for k in ("roi_err", "roi_err_weighted", "coverage", "n_channels", "n_covered")}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10, help="demo seeds for error and time")
    ap.add_argument("--coverage-seeds", type=int, default=20, help="demo seeds for interval coverage")
    ap.add_argument("--geos", type=int, default=40)
    ap.add_argument("--quick", action="store_true", help="3 seeds, 5 geos")
    ap.add_argument("--noise", type=float, nargs=2, metavar=("LOW", "HIGH"),
                    help="demo noise sd as a share of revenue (default 0.02 0.04): shows how error scales with signal")
    ap.add_argument("--skip-public", action="store_true", help="only the demo seeds")
    args = ap.parse_args(argv)
    if args.quick:
        args.seeds, args.coverage_seeds, args.geos = 3, 3, 5
    if args.noise:
        import mmm.demo as demo

        demo.NOISE_SHARE_RANGE = tuple(args.noise)
    config = FitConfig(holdout_weeks=0, cv_folds=0)  # fit on every week: ROI is scored over the whole period
    pd.set_option("display.width", 200)

    seeds = list(range(101, 101 + max(args.seeds, args.coverage_seeds)))
    demo_rows, per_channel = bench_demo(seeds, config)
    demo = pd.DataFrame(demo_rows)
    print(f"\n== Demo generator truth: one market, 156 weeks x 8 channels, {len(seeds)} seeds (true parameters differ per seed)")
    print(demo.drop(columns=["n_channels", "n_covered", "n_mroi_covered"]).round(3).to_string(index=False))
    err_seeds = demo[demo.dataset.isin([f"demo seed {s}" for s in seeds[: args.seeds]])]
    print(f"\nMeans over the first {args.seeds} seeds:")
    print(err_seeds.groupby("lift_tests")[["seconds", "roi_err", "roi_err_weighted", "tested_channels_err",
                                           "optimizer_capture"]].mean().round(3).to_string())
    cov = demo.groupby("lift_tests")[["n_covered", "n_channels", "n_mroi_covered"]].sum()
    print(f"\n90% ROI interval coverage over {len(seeds)} datasets: "
          + ", ".join(f"{'with' if k else 'without'} lift tests {r.n_covered}/{r.n_channels} = {r.n_covered / r.n_channels:.1%}"
                      for k, r in cov.iterrows()))
    print("90% marginal-ROI interval coverage (at current weekly spend): "
          + ", ".join(f"{'with' if k else 'without'} lift tests {r.n_mroi_covered}/{r.n_channels} = "
                      f"{r.n_mroi_covered / r.n_channels:.1%}" for k, r in cov.iterrows()))
    print("\nMean ROI error by channel (without / with lift tests):")
    print(per_channel.groupby(["channel", "lift_tests"])["err"].mean().unstack().round(3).to_string())
    print(f"peak memory of one fit (tracemalloc): {demo.peak_mb.dropna().max():.1f} MB")

    if args.skip_public:
        return
    public = [bench_pymc_example(config), *bench_pymc_confounder(config), bench_mamimo(config),
              bench_robyn(config), bench_meridian_geo(config, args.geos)]
    print("\n== Public datasets (../shared/benchmarks)")
    print(pd.DataFrame(public).round(3).to_string(index=False))
    print(f"\nprocess peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
