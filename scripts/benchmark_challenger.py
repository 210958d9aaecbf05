"""Benchmark the challenger, the synergy terms and the time-varying effects against known truth (not a test).

    .venv/bin/python scripts/benchmark_challenger.py [--seeds 10] [--only detection|mamimo|synergy|drift|time]

* detection: on generator data (mmm.simulate_effects) with a true tv x search synergy, with a true change in
  TV's effectiveness, and without either, over ``--seeds`` seeds: how often the challenger's warning fires
  (target: >= 8 of 10 with, <= 1 of 10 without) and what it names; per check (cross-validation comparison,
  residual structure) and either.
* synergy: the MMM with the tv x search term declared, on data with and without a true synergy: the term's
  synergy ROI against the truth and its 90% interval's coverage; the other channels' ROI error with the term
  declared vs without it on data without synergy (it must not degrade them).
* drift: the MMM with TV's effect allowed to drift, on data with and without a true change: current vs
  average ROI against the truth and the coverage of the current ROI's interval; stable data must show no
  spurious change.
* mamimo: the same detection on a second generator, not ours: mamimo's published recipe (shared/benchmarks/README.md:
  its weekly TV, radio and banner spend; sales = 5000 + 10000 S(A(TV)) + 8000 S(A(radio)) + 14000 S(banners) +
  500 N(0, 1), S(x) = 1 - exp(-1e-4 x)) with a fresh noise draw per seed, plus a TV x banners synergy (half the
  pair's own contribution) or TV's effect drifting 0.5 -> 1.5 (the same logistic step as mmm.simulate_effects).
* time: what the challenger adds to a demo build (its dbt model, timed by `dbt build -s mmm_challenger+`).
"""

from __future__ import annotations

import argparse
import time

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
    "synergy tv x search (share 0.5)": {"synergy": ("tv", "search")},
    "synergy tv x search (share 2)": {"synergy": ("tv", "search"), "synergy_share": 2.0},
    "drift tv 0.5 -> 1.5": {"drift_channel": "tv", "drift": (0.5, 1.5)},
    "drift tv 0 -> 2": {"drift_channel": "tv", "drift": (0.0, 2.0)},
}
SYNERGY = (("tv", "search", 0.5),)
DRIFT = (("tv", 4, 0.15),)


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
            rows.append(
                dict(
                    scenario=name,
                    seed=seed,
                    mmm_cv_mape=report.pooled["mmm_mape"],
                    challenger_cv_mape=report.pooled["challenger_mape"],
                    ratio=report.check.value,
                    paired_t=report.t_stat,
                    residual_p=report.residual.p_value,
                    warns_cv=report.check.status == "warn",
                    warns_residual=report.residual_check.status == "warn",
                    warns=report.warns,
                    suspect=f"{top.kind}: {top.subject}" if top else "",
                    challenger_seconds=seconds,
                )
            )
    return pd.DataFrame(rows)


MAMIMO_SCENARIOS = {
    "none": {},
    "synergy TV x Banners (share 0.5)": {"synergy": True},
    "drift TV 0.5 -> 1.5": {"drift": True},
}


def mamimo_data(seed: int, synergy: bool = False, drift: bool = False):
    """mamimo's recipe on its published spend, a fresh noise draw per seed, optionally with a synergy or a drift."""
    import numpy as np

    from mmm.fit import MarketData
    from mmm.simulate_effects import drift_profile
    from mmm.transforms import geometric_adstock

    df = pd.read_csv(_public_folder() / "mamimo_mmm.csv")
    s = {"TV": 1 - np.exp(-1e-4 * geometric_adstock(df["TV"].to_numpy(float), 0.5, 3)),
         "Radio": 1 - np.exp(-1e-4 * geometric_adstock(df["Radio"].to_numpy(float), 0.2, 1)),
         "Banners": 1 - np.exp(-1e-4 * df["Banners"].to_numpy(float))}
    effects = {"TV": 10000 * s["TV"], "Radio": 8000 * s["Radio"], "Banners": 14000 * s["Banners"]}
    if drift:
        effects["TV"] = effects["TV"] * drift_profile(len(df), 0.5, 1.5)
    sales = 5000 + sum(effects.values()) + 500 * np.random.default_rng(seed).normal(size=len(df))
    if synergy:
        own = float(effects["TV"].sum() + effects["Banners"].sum())
        sales = sales + 0.5 * own * s["TV"] * s["Banners"] / float(np.sum(s["TV"] * s["Banners"]))
    weeks = pd.DatetimeIndex(pd.to_datetime(df["Date"]))
    return MarketData(weeks, sales, df[["TV", "Radio", "Banners"]].astype(float), None, None)


def _public_folder():
    from pathlib import Path

    here = Path(__file__).resolve().parents[1]
    for folder in (here.parent / "shared" / "benchmarks", Path("/work/shared/benchmarks")):
        if (folder / "mamimo_mmm.csv").exists():
            return folder
    raise FileNotFoundError("mamimo_mmm.csv (shared/benchmarks) not found")


def detection_mamimo(seeds: list[int]) -> pd.DataFrame:
    specs = [ChannelSpec("TV", "geometric", 3, "hill"), ChannelSpec("Radio", "geometric", 2, "hill"),
             ChannelSpec("Banners", "geometric", 2, "hill")]
    rows = []
    for name, kwargs in MAMIMO_SCENARIOS.items():
        for seed in seeds:
            data = mamimo_data(4000 + seed, **kwargs)
            fm = an.FittedModel.from_result(fit_market(data, specs, FitConfig(seed=11), "mamimo"), data)
            report = chal.analyse_market(fm, {}, LOOKBACK)
            top = report.suspects[0] if report.suspects else None
            rows.append(dict(scenario=name, seed=seed, ratio=report.check.value, paired_t=report.t_stat,
                             residual_p=report.residual.p_value, warns_cv=report.check.status == "warn",
                             warns_residual=report.residual_check.status == "warn", warns=report.warns,
                             suspect=f"{top.kind}: {top.subject}" if top else ""))
    return pd.DataFrame(rows)


def synergy_recovery(seeds: list[int]) -> pd.DataFrame:
    """tv x search declared, on data with a true synergy (share 0.5) and without; other channels' ROI error."""
    rows = []
    for seed in seeds:
        for name, kwargs in (("with synergy", {"synergy": ("tv", "search")}), ("without", {})):
            truth = simulate_with_effects(2000 + seed, **kwargs)
            true_roi = truth.market.parameters.set_index("channel")["roi"]
            fm = fitted(truth, config=FitConfig(seed=11, cv_folds=0, interactions=SYNERGY))
            term = __import__("mmm.synergy", fromlist=["x"]).synergy_summary(fm).iloc[0]
            true = truth.synergy.get("roi", 0.0)
            others = [c for c in fm.channels if c not in ("tv", "search")]
            roi = an.roi_interval(fm)
            row = dict(
                data=name,
                seed=seed,
                true_synergy_roi=true,
                synergy_roi=term["roi"],
                lower=term["roi_lower"],
                upper=term["roi_upper"],
                covered=term["roi_lower"] <= true <= term["roi_upper"],
                other_roi_err=float(((roi.loc[others, "estimate"] - true_roi[others]).abs() / true_roi[others]).mean()),
            )
            if name == "without":
                plain = fitted(truth, config=FitConfig(seed=11, cv_folds=0))
                roi0 = an.roi_interval(plain)
                row["other_roi_err_plain"] = float(
                    ((roi0.loc[others, "estimate"] - true_roi[others]).abs() / true_roi[others]).mean()
                )
            rows.append(row)
    return pd.DataFrame(rows)


def drift_recovery(seeds: list[int]) -> pd.DataFrame:
    """TV allowed to drift, on data with a true change (0.5 -> 1.5) and on stable data."""
    from mmm.time_varying import effect_summary

    rows = []
    for seed in seeds:
        for name, kwargs in (("with drift", {"drift_channel": "tv", "drift": (0.5, 1.5)}), ("stable", {})):
            truth = simulate_with_effects(3000 + seed, **kwargs)
            fm = fitted(truth, config=FitConfig(seed=11, cv_folds=0, time_varying=DRIFT))
            eff = effect_summary(fm).iloc[0]
            true_roi = float(truth.market.parameters.set_index("channel").loc["tv", "roi"])
            true_now = truth.drift.get("roi_current", true_roi)
            rows.append(
                dict(
                    data=name,
                    seed=seed,
                    true_roi=true_roi,
                    roi=eff["roi"],
                    true_roi_current=true_now,
                    roi_current=eff["roi_current"],
                    lower=eff["roi_current_lower"],
                    upper=eff["roi_current_upper"],
                    covered=eff["roi_current_lower"] <= true_now <= eff["roi_current_upper"],
                    ratio=eff["roi_current"] / eff["roi"],
                    change_flagged=not (eff["roi_current_lower"] <= eff["roi"] <= eff["roi_current_upper"]),
                )
            )
    return pd.DataFrame(rows)


def build_time(repeats: int = 3) -> pd.DataFrame:
    """``dbt build -s mmm_challenger+`` on the demo warehouse (built first by ``make build``), ``repeats`` times:
    each node's execution time from target/run_results.json. The challenger's model runs beside the other output
    models on the second thread, so its own time bounds what it adds to a build's wall time."""
    import json
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, DBT_PROFILES_DIR=str(root))
    env.setdefault("MMM_DUCKDB_PATH", str(root / "warehouse" / "mmm.duckdb"))
    rows = []
    for run in range(1, repeats + 1):
        t0 = time.perf_counter()
        subprocess.run([str(root / ".venv" / "bin" / "dbt"), "build", "--quiet", "-s", "mmm_challenger+"], cwd=root,
                       env=env, check=True)
        wall = time.perf_counter() - t0
        results = json.loads((root / "target" / "run_results.json").read_text())["results"]
        for r in results:
            rows.append(dict(run=run, node=r["unique_id"].split(".", 2)[-1], seconds=r["execution_time"],
                             status=r["status"], wall=wall))
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--only", choices=["detection", "mamimo", "synergy", "drift", "time"], default=None)
    args = ap.parse_args(argv)
    seeds = list(range(1, args.seeds + 1))
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    if args.only in (None, "detection"):
        det = detection(seeds)
        print(det.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        print()
        print(
            det.groupby("scenario")
            .agg(
                warns=("warns", "sum"),
                warns_cv=("warns_cv", "sum"),
                warns_residual=("warns_residual", "sum"),
                seeds=("warns", "size"),
                ratio_median=("ratio", "median"),
                seconds_mean=("challenger_seconds", "mean"),
            )
            .to_string()
        )
        print(flush=True)
    if args.only in (None, "mamimo"):
        mam = detection_mamimo(seeds)
        print(mam.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        print(mam.groupby("scenario").agg(warns=("warns", "sum"), warns_cv=("warns_cv", "sum"),
                                          warns_residual=("warns_residual", "sum"), seeds=("warns", "size")).to_string())
        print(flush=True)
    if args.only in (None, "synergy"):
        syn = synergy_recovery(seeds)
        print(syn.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        print(
            syn.groupby("data")
            .agg(covered=("covered", "sum"), seeds=("covered", "size"), other_roi_err=("other_roi_err", "mean"))
            .to_string()
        )
        if "other_roi_err_plain" in syn:
            print(
                "other channels' ROI error on data without synergy, plain model:",
                f"{syn['other_roi_err_plain'].mean():.4f}",
            )
        print(flush=True)
    if args.only in (None, "time"):
        bt = build_time()
        per_run = bt.groupby("run").agg(challenger_model=("seconds", lambda v: float(v[bt.loc[v.index, "node"]
                                                                                    == "mmm_challenger"].sum())),
                                        all_nodes=("seconds", "sum"), wall=("wall", "first"))
        print(bt[bt.run == 1].to_string(index=False, float_format=lambda v: f"{v:.2f}"))
        print(per_run.to_string(float_format=lambda v: f"{v:.2f}"))
        print(f"median mmm_challenger node: {per_run['challenger_model'].median():.2f} s; median of its subgraph's node "
              f"times: {per_run['all_nodes'].median():.2f} s", flush=True)
    if args.only in (None, "drift"):
        dr = drift_recovery(seeds)
        print(dr.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        print(
            dr.groupby("data")
            .agg(
                covered=("covered", "sum"),
                change_flagged=("change_flagged", "sum"),
                seeds=("covered", "size"),
                ratio_median=("ratio", "median"),
            )
            .to_string()
        )


if __name__ == "__main__":
    main()
