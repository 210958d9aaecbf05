"""Simulate one dataset with pysimmmulator (runs inside benchmarks/.venvs/pysimmmulator).

    python pysim_runner.py --seed 3 --out FOLDER

Writes FOLDER/weekly.csv (date, revenue, spend per channel, control promo), meta.json, truth.csv,
lift_tests.csv and raw/ (this project's raw input contract, for `dbt build --vars '{raw_data_path: ...}'`).

The configuration varies with the seed: 2 or 3 years, 4-7 channels, campaign length, CPM and its noise,
CVR and its noise, adstock (geometric per day, or Weibull PDF/CDF), saturation (``hill`` or ``scurve``,
both x * S(x) in this package: S-shaped, then linear), baseline level, seasonality, trend, noise, and a
promotion (an additive exogenous factor) that every system gets as a control.

Pitfalls handled (read in the package source, 0.6.2):
* every channel is declared under ``channels_impressions``: a clicks-only channel gets zero clicks;
* its ``channel_roi`` is net, (revenue - spend) / spend: the true revenue ROI here is revenue from the
  channel's conversions / spend (= net + 1, checked);
* the saturation's inflection is a share of the maximum of the adstocked series (``scurve``: a quantile of
  its range [min, max]), so it depends on the data. The lift-test counterfactual is the package's own
  adstock applied to the switched-off impressions, with the saturation curve held at the factual data and
  the same realised CPM and CVR noise (recomputing the inflection on the switched-off series would move the
  curve on every day; for ``scurve`` the new minimum of 0 even made some "lifts" negative);
* its baseline is misaligned (``consolidate_dataframe`` assigns the daily baseline series to rows indexed
  by campaign id): every day of campaign k gets the baseline of day k, so the "yearly" sine becomes one
  slow partial wave over the whole period, the trend is compressed to its first n_campaigns days, the
  baseline noise is one draw per campaign (weekly noise = 7 daily errors, not sqrt(7)), and an exogenous
  factor on day k lifts all of campaign k. The data are kept as the package makes them; the promotion
  control is the flag that actually entered revenue, and the noise level is calibrated for it;
* the run is done twice with the same seed: once to measure media revenue, then with the baseline level
  set so that media drive the drawn share of revenue (the baseline draws come first and their number does
  not depend on the level, so both runs draw the same spend and media).
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd

POOL = ["search", "social", "tv", "display", "video", "radio", "ooh"]
START = "2023/01/02"  # a Monday: weeks start on Mondays
LIFT_CHANNELS = ("search", "social")
LIFT_SE_SHARE = 0.12


def draw_config(seed: int) -> tuple[dict, dict]:
    rng = np.random.default_rng([seed, 7])
    years = int(rng.choice([2, 3]))
    n_ch = int(rng.integers(4, 8))
    channels = ["search", "social"] + list(rng.choice(POOL[2:], size=n_ch - 2, replace=False))
    freq = int(rng.choice([7, 7, 14]))
    rpc = float(rng.uniform(40, 120))
    weekly_budget = float(rng.uniform(80_000, 200_000))
    # spend proportions for all channels but the last (the last gets the remainder)
    props, left = {}, 1.0
    for c in channels[:-1]:
        hi = min(left / 2, rng.uniform(0.1, 0.4))
        lo = hi * rng.uniform(0.2, 0.7)
        props[c] = {"min": float(lo), "max": float(hi)}
        left -= (lo + hi) / 2
    cpm = {c: float(rng.uniform(3, 30)) for c in channels}
    cpm_noise = {c: {"loc": 0.0, "scale": float(cpm[c] * rng.uniform(0.05, 0.3))} for c in channels}
    cvr_noise = {c: {"loc": 0.0, "scale": float(rng.uniform(0.01, 0.1))} for c in channels}
    adstock, saturation, target_roi = {}, {}, {}
    for c in channels:
        kind = str(rng.choice(["geometric", "weibull"]))
        if kind == "geometric":
            adstock[c] = {"type": "geometric", "params": {"lambda": float(rng.uniform(0.3, 0.9))}}
        else:
            adstock[c] = {"type": "weibull", "params": {"shape": float(rng.uniform(0.8, 3.0)),
                                                        "scale": float(rng.uniform(2.0, 15.0)),
                                                        "adstock_type": str(rng.choice(["pdf", "cdf"]))}}
        saturation[c] = {"type": str(rng.choice(["hill", "scurve"])),
                         "params": {"alpha": float(rng.uniform(1.0, 3.0)), "gamma": float(rng.uniform(0.2, 0.7))}}
        target_roi[c] = float(np.exp(rng.normal(np.log(1.5), 0.6)))
    weak = str(rng.choice(channels[2:]))
    target_roi[weak] = float(rng.uniform(0.2, 0.7))
    # CVR that would give about the target ROI at a saturation factor of 0.5
    gain = {c: 1.0 / (1.0 - adstock[c]["params"]["lambda"]) if adstock[c]["type"] == "geometric" else 1.0
            for c in channels}  # its geometric adstock is not normalised: steady state x / (1 - lambda)
    cvr = {c: float(min(0.9, target_roi[c] / (rpc * 1000.0 / cpm[c] * 0.5 * gain[c]))) for c in channels}
    # pysimmmulator 0.6.2 reads the baseline by campaign number, not by day (see module doc): the baseline of
    # every day of campaign k is the baseline series at day k. A promotion on day k therefore lifts the whole
    # of campaign k, so promotions are set on days 2..n_campaigns-2 and the control is the campaign's flag.
    n_campaigns = years * 365 // freq
    promo_k = sorted(rng.choice(np.arange(2, n_campaigns - 1), size=max(4, n_campaigns // 10), replace=False))
    promo_dates = [str((pd.Timestamp("2023-01-02") + pd.Timedelta(days=int(k))).date()) for k in promo_k]
    draws = dict(media_share=float(rng.uniform(0.2, 0.4)), noise_share=float(rng.uniform(0.03, 0.06)),
                 season_share=float(rng.uniform(0.05, 0.15)), trend_share=float(rng.uniform(-0.05, 0.25)),
                 promo_share=float(rng.uniform(0.05, 0.15)), weak_channel=weak)
    config = {
        "basic_params": {"years": years, "channels_clicks": [], "channels_impressions": channels,
                         "frequency_of_campaigns": freq, "start_date": START, "true_cvr": cvr, "revenue_per_conv": rpc},
        "baseline_params": {"base_p": 10_000, "trend_p": 0, "temp_var": 1, "temp_coef_mean": 0, "temp_coef_sd": 1,
                            "error_std": 10, "exogenous_factors": [{"dates": promo_dates, "impact": 0.0,
                                                                    "type": "additive"}]},
        "ad_spend_params": {"campaign_spend_mean": weekly_budget * freq / 7,
                            "campaign_spend_std": weekly_budget * freq / 7 * float(rng.uniform(0.2, 0.5)),
                            "max_min_proportion_on_each_channel": props},
        "media_params": {"true_cpm": cpm, "true_cpc": {}, "noisy_cpm_cpc": cpm_noise},
        "cvr_params": {"noisy_cvr": cvr_noise},
        "adstock_params": {"adstock": adstock, "saturation": saturation},
        "output_params": {"aggregation_level": "daily"},
    }
    return config, draws


def simulate(config: dict, seed: int):
    from pysimmmulator.load_parameters import create_all_parameters
    from pysimmmulator.simulate import Simulate

    sim = Simulate(random_seed=seed)
    params = create_all_parameters(config)
    sim.basic_params = params["basic_params"]
    sim.total_population = None
    baseline = sim.simulate_baseline(params["baseline_params"])
    spend_df = sim.simulate_ad_spend(baseline_sales_df=baseline, params=params["ad_spend_params"])
    spend_df = sim.simulate_media(spend_df=spend_df, params=params["media_params"])
    spend_df = sim.simulate_cvr(spend_df=spend_df, params=params["cvr_params"])
    media = sim.simulate_decay_returns(spend_df=spend_df, params=params["adstock_params"])
    media = sim.calculate_conversions(mmm_df=media)
    full = sim.consolidate_dataframe(mmm_df=media.copy(), baseline_sales_df=baseline)
    roi = sim.calculate_channel_roi(mmm_df=full)
    return sim, params, baseline, media, full, roi


def _saturate_fixed(x: np.ndarray, kind: str, alpha: float, gamma: float, factual: np.ndarray) -> np.ndarray:
    """The package's ``hill_saturation`` / ``scurve_saturation`` (x * S(x)) with the inflection computed once
    from the *factual* adstocked series, so the same curve applies to a counterfactual series."""
    if kind == "hill":
        inflection = gamma * np.max(factual) if gamma <= 1.0 else gamma
    else:  # scurve: gamma is a quantile of the range [min, max] of the factual series
        inflection = np.quantile(np.linspace(np.min(factual), np.max(factual), num=100), gamma)
    return x ** alpha / (x ** alpha + inflection ** alpha) * x


def channel_conversions(sim, params, media: pd.DataFrame, channel: str, off_days: np.ndarray | None) -> np.ndarray:
    """Daily conversions of ``channel`` from the package's adstock and its saturation curve fixed at the factual
    data, with the impressions of ``off_days`` set to zero (None: the factual conversions)."""
    df = media[["date", f"{channel}_impressions"]].copy()
    factual = media[f"{channel}_impressions_adstocked"].to_numpy()
    if off_days is not None:
        df.loc[off_days, f"{channel}_impressions"] = 0.0
    ad = params["adstock_params"]
    df = sim._simulate_decay(mmm_df=df, adstock_config={channel: ad.adstock[channel]})
    sat = ad.saturation[channel]
    x = df[f"{channel}_impressions_adstocked"].to_numpy()
    return _saturate_fixed(x, sat["type"], sat["params"]["alpha"], sat["params"]["gamma"], factual) \
        * media[f"{channel}_cvr"].to_numpy()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    import logging
    import warnings

    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    import pysimmmulator  # noqa: F401

    config, draws = draw_config(args.seed)
    channels = config["basic_params"]["channels_impressions"]
    rpc = config["basic_params"]["revenue_per_conv"]
    # pass 1: media revenue at this seed; pass 2: baseline sized for the drawn media share
    _, _, _, _, full, _ = simulate(copy.deepcopy(config), args.seed)
    media_daily = float(full["total_revenue_from_ads"].mean())
    base_rev = media_daily * (1 - draws["media_share"]) / draws["media_share"]
    base_p = base_rev / rpc
    bp = config["baseline_params"]
    bp["base_p"] = base_p
    bp["trend_p"] = draws["trend_share"] * base_p
    bp["temp_coef_mean"] = draws["season_share"] * base_p
    bp["temp_coef_sd"] = 0.1 * draws["season_share"] * base_p
    # the baseline error is one daily draw per campaign, held for the campaign's days (the same quirk), so a
    # week's noise is 7 x one daily error: sd_day = noise_share x weekly revenue / 7
    bp["error_std"] = draws["noise_share"] * (base_rev + media_daily) / rpc
    bp["exogenous_factors"][0]["impact"] = draws["promo_share"] * base_p
    sim, params, baseline, media, full, roi = simulate(config, args.seed)

    days = pd.DataFrame({"date": pd.to_datetime(full["date"]).to_numpy(), "revenue": full["total_revenue"].to_numpy()})
    # the promotion as it entered revenue: the additive impact of the baseline day the campaign reads
    effective = baseline["additive_impact"].reindex(media.index).to_numpy() > 0
    days["promo"] = effective[: len(days)].astype(float)
    for c in channels:
        days[c] = full[f"{c}_spend"].to_numpy()
        days[f"conv_{c}"] = full[f"{c}_conversions"].to_numpy()
    days["week"] = days["date"] - pd.to_timedelta(days["date"].dt.weekday, unit="D")
    counts = days.groupby("week")["date"].transform("size")
    days = days[counts == 7].reset_index(drop=True)  # complete Monday-Sunday weeks only
    weekly = days.groupby("week").agg({"revenue": "sum", **{c: "sum" for c in channels}, "promo": "mean"})
    weekly = weekly.reset_index().rename(columns={"week": "date"})
    weekly["date"] = weekly["date"].dt.strftime("%Y-%m-%d")
    weekly = weekly[["date", "revenue", *channels, "promo"]].round({"revenue": 2, **{c: 2 for c in channels}, "promo": 4})
    args.out.mkdir(parents=True, exist_ok=True)
    weekly.to_csv(args.out / "weekly.csv", index=False)

    kept = len(days)
    rows = []
    for c in channels:
        spend = float(days[c].sum())
        contrib = float(rpc * days[f"conv_{c}"].sum())
        rows.append(dict(channel=c, spend=spend, contribution=contrib, roi=contrib / spend, net_roi=roi[c],
                         saturation_kind=config["adstock_params"]["saturation"][c]["type"] + "(x*S(x))",
                         adstock_kind=config["adstock_params"]["adstock"][c]["type"]))
    truth = pd.DataFrame(rows)
    truth.to_csv(args.out / "truth.csv", index=False)

    # lift tests: 4-week switch-off of search and social at the highest-spend window of the last year before
    # the final 8 weeks; counterfactual = the package's transforms with the saturation curve held at the factual
    # data (its inflection depends on the series' max, and for scurve its min: recomputing it on the switched-off
    # series would move the curve for every day and could even make the lift negative)
    lifts = []
    lrng = np.random.default_rng([args.seed, 1000])
    media = media.reset_index(drop=True)
    date_all = pd.to_datetime(media["date"])
    w = weekly.assign(d=pd.to_datetime(weekly["date"]))
    for c in LIFT_CHANNELS:
        factual = channel_conversions(sim, params, media, c, None)
        assert np.allclose(factual, media[f"{c}_conversions"].to_numpy(), rtol=1e-9, atol=1e-9), c
        cand = [(float(w[c].iloc[i:i + 4].sum()), w["d"].iloc[i], w["d"].iloc[i + 3])
                for i in range(max(0, len(w) - 52), len(w) - 8 - 3)]
        _, start, end = max(cand, key=lambda t: t[0])
        off = np.asarray((date_all >= start) & (date_all <= end + pd.Timedelta(days=6)))
        true = float(rpc * (factual - channel_conversions(sim, params, media, c, off))[:kept].sum())
        se = LIFT_SE_SHARE * abs(true)
        lifts.append(dict(experiment_id=f"lt_{c}_{start:%Y%m%d}", channel=c, start_week=start.strftime("%Y-%m-%d"),
                          end_week=end.strftime("%Y-%m-%d"), lift=true + lrng.normal(0, se), lift_se=se, true_lift=true))
    pd.DataFrame(lifts, columns=["experiment_id", "channel", "start_week", "end_week", "lift", "lift_se",
                                 "true_lift"]).to_csv(args.out / "lift_tests.csv", index=False)

    write_raw(args.out / "raw", days, channels, pd.DataFrame(lifts))
    check = {c: abs(r["roi"] - (r["net_roi"] + 1)) for r in rows for c in [r["channel"]]}
    meta = {"channels": channels, "controls": ["promo"], "seed": args.seed, "draws": draws,
            "config": config, "roi_vs_net_plus_one_max_abs_diff": max(check.values()),
            "notes": (f"{len(weekly)} weeks, {len(channels)} channels, campaigns of "
                      f"{config['basic_params']['frequency_of_campaigns']} days, noise {draws['noise_share']:.1%}")}
    (args.out / "meta.json").write_text(json.dumps(meta, indent=1, default=str))


def write_raw(folder: Path, days: pd.DataFrame, channels: list[str], lifts: pd.DataFrame) -> None:
    """This project's raw input contract (README, 'Bring your own data'), daily rows, one market, USD."""
    folder.mkdir(parents=True, exist_ok=True)
    d = days["date"].dt.strftime("%Y-%m-%d")
    spend = pd.concat([pd.DataFrame({"date": d, "market": "sim", "channel": c, "campaign": "pysim",
                                     "spend": days[c].round(2), "currency": "USD", "impressions": 0})
                       for c in channels], ignore_index=True)
    spend.to_csv(folder / "raw_media_spend.csv", index=False)
    pd.DataFrame({"date": d, "market": "sim", "revenue": days["revenue"].round(2), "currency": "USD"}).to_csv(
        folder / "raw_sales.csv", index=False)
    pd.DataFrame({"date": d, "market": "sim", "control": "promo", "value": days["promo"]}).to_csv(
        folder / "raw_controls.csv", index=False)
    pd.DataFrame(columns=["date", "currency", "rate_to_usd"]).to_csv(folder / "raw_fx_rates.csv", index=False)
    pd.DataFrame(columns=["date", "market", "holiday"]).to_csv(folder / "raw_holidays.csv", index=False)
    if len(lifts):
        end = (pd.to_datetime(lifts["end_week"]) + pd.Timedelta(days=6)).dt.strftime("%Y-%m-%d")
        pd.DataFrame({"experiment_id": lifts["experiment_id"], "market": "sim", "channel": lifts["channel"],
                      "start_date": lifts["start_week"], "end_date": end,
                      "incremental_revenue": lifts["lift"].round(2), "incremental_revenue_se": lifts["lift_se"].round(2),
                      "currency": "USD"}).to_csv(folder / "raw_lift_tests.csv", index=False)


if __name__ == "__main__":
    main()
