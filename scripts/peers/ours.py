"""The ONE place the peer benchmark calls this project's engine (re-point it here when the API changes).

``fit_ours(dataset, with_lift_tests)`` fits one dataset with the product's default run settings (the
dbt vars defaults in dbt_project.yml, through ``mmm.settings.RunSettings``/``FitConfig.from_settings``:
13-week holdout check, 3 CV folds, seasonality order 2, 90% intervals, seed 20261122, 13-week lookback) and
channel settings as a `dbt build` would take them: the row of ``seeds/channel_config.csv`` for a
channel named there, else the documented defaults (geometric adstock, max lag 4, Hill, ROI prior median
1 with log-sd 1). When spend is not money (public sets with 0..1 indices) the ROI prior median is left
empty, so it is centred on the ROI implied by media driving 20% of revenue (README, "Adding a channel").

ROI, contribution and their 90% intervals are over the whole modeled period (holdout weeks included),
as the truth is. Steady-state response draws are exported for optimizer capture.

Run as a script (``python ours.py --folder F --lift 0|1 --out R.json``) it fits in a fresh process, so
its peak memory is measured the same way as the peers' (max RSS of a process that only fits).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
SYSTEM = "ours"
CHANNEL_DEFAULTS = dict(adstock_kind="geometric", max_lag=4, saturation_kind="hill", roi_prior_median=1.0,
                        roi_prior_sigma=1.0)


def version() -> str:
    import subprocess

    try:
        sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
    except Exception:  # noqa: BLE001 - outside git
        sha = "unknown"
    from importlib.metadata import version as v

    return f"mmm {v('mmm')} @ {sha}"


def run_config() -> dict:
    from mmm.settings import RunSettings

    s = RunSettings()
    return {k: getattr(s, k) for k in ("holdout_weeks", "cv_folds", "interval_level", "seasonality_order",
                                       "random_seed", "allocation_lookback_weeks", "optimizer_min_multiplier",
                                       "optimizer_max_multiplier")}


def channel_specs(channels: list[str], spend_is_money: bool):
    from mmm.model import ChannelSpec

    cfg = pd.read_csv(ROOT / "seeds" / "channel_config.csv")
    cfg["channel"] = cfg["channel"].str.strip().str.lower()
    cfg = cfg.set_index("channel")
    specs = []
    for c in channels:
        key = c.strip().lower()
        row = {k: cfg.loc[key, k] for k in CHANNEL_DEFAULTS} if key in cfg.index else dict(CHANNEL_DEFAULTS)
        median = None if not spend_is_money else float(row["roi_prior_median"])
        specs.append(ChannelSpec(c, str(row["adstock_kind"]), int(row["max_lag"]), str(row["saturation_kind"]),
                                 median, float(row["roi_prior_sigma"])))
    return specs


def fit_ours(dataset, with_lift_tests: bool) -> tuple[pd.DataFrame, dict]:
    """Fit one dataset; returns (per-channel results, info).

    Results: channel, roi, roi_lower, roi_upper, contribution, contribution_lower, contribution_upper, mroi.
    Info: seconds (fit with uncertainty and summary), responses (steady-state draws per channel), specs.
    """
    from mmm import analysis as an
    from mmm.engine import fit_market
    from mmm.fit import FitConfig, MarketData
    from mmm.settings import RunSettings

    settings = RunSettings()
    config = FitConfig.from_settings(settings)
    w = dataset.weekly
    lifts = None
    if with_lift_tests and dataset.lift_tests is not None and len(dataset.lift_tests):
        lt = dataset.lift_tests
        lifts = pd.DataFrame({"experiment_id": lt["experiment_id"], "channel": lt["channel"],
                              "start_week": pd.to_datetime(lt["start_week"]), "end_week": pd.to_datetime(lt["end_week"]),
                              "lift": lt["lift"].astype(float), "lift_se": lt["lift_se"].astype(float)})
    controls = w[dataset.controls].reset_index(drop=True) if dataset.controls else None
    data = MarketData(pd.DatetimeIndex(pd.to_datetime(w["date"])), w["revenue"].to_numpy(dtype=float),
                      w[dataset.channels].reset_index(drop=True), controls, None, lifts)
    specs = channel_specs(dataset.channels, dataset.spend_is_money)
    t0 = time.perf_counter()
    fit = an.FittedModel.from_result(fit_market(data, specs, config, "market"), data)
    summary = an.channel_summary(fit, settings.allocation_lookback_weeks)
    responses = {}
    for ci, name in enumerate(fit.channels):
        r = an.response(fit, ci, with_draws=True)
        responses[name] = {"kind": r.saturation_kind, "beta": np.asarray(r.beta).tolist(),
                           "params": {k: np.asarray(v).tolist() for k, v in r.saturation_params.items()}}
    seconds = time.perf_counter() - t0
    cols = ["channel", "roi", "roi_lower", "roi_upper", "contribution", "contribution_lower", "contribution_upper", "mroi"]
    info = {"seconds": seconds, "responses": responses, "n_lift_tests": 0 if lifts is None else len(lifts),
            "specs": [f"{s.name}:{s.adstock_kind}/{s.max_lag}/{s.saturation_kind}/roi~{s.roi_prior_median}" for s in specs]}
    return summary[cols], info


# ----------------------------------------------------------------------------- optimizer (scoring)

def response_from_draws(spec: dict):
    """A steady-state response with posterior draws (any system's export) as this project's response type."""
    from mmm.response import ParametricResponse

    return ParametricResponse(np.asarray(spec["beta"], float), spec["kind"],
                              {k: np.asarray(v, float) for k, v in spec["params"].items()})


def capture(responses: dict, true_responses: list, channels: list[str], current: np.ndarray,
            min_mult: float = 0.5, max_mult: float = 2.0) -> dict:
    """Optimizer capture under the true model for a system's posterior response draws.

    The same optimizer (this project's ``optimize_allocation``, maximising posterior expected revenue)
    is used for every system, so capture compares the response curves, not the optimizers.
    """
    from mmm.optimize import optimize_allocation

    current = np.asarray(current, float)
    lower, upper, budget = min_mult * current, max_mult * current, float(current.sum())
    est = optimize_allocation([response_from_draws(responses[c]) for c in channels], current, lower, upper, budget)
    best = optimize_allocation(true_responses, current, lower, upper, budget, n_starts=16)

    def true_rev(x):
        return float(sum(float(r.revenue(v)) for r, v in zip(true_responses, x)))

    try:
        from .metrics import capture_share
    except ImportError:  # run as a script
        from metrics import capture_share

    return {"capture": capture_share(true_rev(current), true_rev(est.optimal), true_rev(best.optimal)),
            "achievable_weekly": true_rev(best.optimal) - true_rev(current),
            "captured_weekly": true_rev(est.optimal) - true_rev(current)}


# ----------------------------------------------------------------------------- child process

def _load(folder: Path):
    from types import SimpleNamespace

    meta = json.loads((folder / "meta.json").read_text())
    lifts = pd.read_csv(folder / "lift_tests.csv") if (folder / "lift_tests.csv").exists() else None
    return SimpleNamespace(weekly=pd.read_csv(folder / "weekly.csv"), channels=meta["channels"],
                           controls=meta["controls"], spend_is_money=meta["spend_is_money"], lift_tests=lifts)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", type=Path, required=True)
    ap.add_argument("--lift", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    ds = _load(args.folder)
    res, info = fit_ours(ds, bool(args.lift))
    info["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    args.out.write_text(json.dumps({"channels": res.to_dict(orient="records"), **info}))


if __name__ == "__main__":
    sys.exit(main())
