"""Pooled vs independent fits on Google Meridian's public 40-geo simulated set (issue 11; not part of the tests).

    .venv/bin/python scripts/benchmark_meridian_geo.py [--geos 40] [--cv-folds 0]

The set (../shared/benchmarks/meridian_geo_all_channels.csv: 40 geos x 156 weeks, 5 paid channels, two controls
and a promotion flag; revenue = conversions x revenue per conversion) publishes no true ROI, so this is a scale
and behaviour check, not an accuracy score. The geos are fitted through the product path
(``mmm.tables.fit_markets``) twice: independently (``pooling: none``) and with partial pooling
(``pooling: partial``). Printed per channel:

* the spread of the geos' ROIs (interquartile range and the 5th-95th percentile range): pooling should pull
  noisy geos toward the shared centre, so the spread shrinks;
* the mean 90% interval width relative to the ROI;
* how far the small geos move compared with the large ones (mean |log pooled ROI - log independent ROI| for the
  smallest and largest quarter of geos by spend): a small geo has less signal, so it should borrow more;
* the share of geos whose pooled ROI lies outside their own independent 90% interval;
* the national ROI (all geos' contribution over all geos' spend) of both fits;
* wall time of each fit of all geos and the process's peak memory.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mmm import analysis as an
from mmm import tables
from mmm.settings import RunSettings

DATA = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "meridian_geo_all_channels.csv"
CHANNELS = [f"channel{i}" for i in range(5)]
CONTROLS = {"competitor_sales_control": "competitor_sales", "sentiment_score_control": "sentiment", "Promo": "promo"}


def long_input(df: pd.DataFrame) -> pd.DataFrame:
    """The geo set in the model input's long shape (market, week_start_date, variable_type, variable_name, value)."""
    df = df.assign(market=df["geo"].str.lower(), week_start_date=pd.to_datetime(df["time"]).dt.date,
                   revenue=df["conversions"] * df["revenue_per_conversion"])
    parts = [df[["market", "week_start_date"]].assign(variable_type="revenue", variable_name="revenue", value=df["revenue"])]
    for i, channel in enumerate(CHANNELS):
        parts.append(df[["market", "week_start_date"]].assign(variable_type="spend", variable_name=channel,
                                                             value=df[f"Channel{i}_spend"].astype(float)))
    for column, name in CONTROLS.items():
        parts.append(df[["market", "week_start_date"]].assign(variable_type="control", variable_name=name,
                                                             value=df[column].astype(float)))
    return pd.concat(parts, ignore_index=True)


def channel_settings() -> pd.DataFrame:
    return pd.DataFrame([dict(channel=c, display_name=c.title(), adstock_kind="geometric", max_lag=6, saturation_kind="hill",
                              min_budget_multiplier=0.5, max_budget_multiplier=2.0, roi_prior_median=1.0,
                              roi_prior_sigma=1.0) for c in CHANNELS])


def fit(model_input: pd.DataFrame, pooling: str, cv_folds: int) -> tuple[pd.DataFrame, float]:
    settings = RunSettings(pooling=pooling, cv_folds=cv_folds)
    t0 = time.perf_counter()
    table = tables.fit_markets(model_input, channel_settings(), None, None, settings, progress=None)
    seconds = time.perf_counter() - t0
    fits = tables.load_fitted_markets(table, model_input, channel_settings(), None, settings)
    rows = []
    for market, fm in fits.items():
        roi = an.roi_interval(fm)
        spend = fm.spend_matrix().sum(axis=0)
        for i, channel in enumerate(fm.channels):
            rows.append(dict(market=market, channel=channel, spend=float(spend[i]), contribution=float(fm.media[:, i].sum()),
                             roi=roi.loc[channel, "estimate"], lower=roi.loc[channel, "lower"], upper=roi.loc[channel, "upper"]))
    return pd.DataFrame(rows), seconds


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--geos", type=int, default=40)
    ap.add_argument("--cv-folds", type=int, default=0, help="cross-validation folds per fit (0 saves time; ROIs unchanged)")
    args = ap.parse_args(argv)
    df = pd.read_csv(DATA)
    geos = sorted(df["geo"].unique(), key=lambda g: int(g.removeprefix("Geo")))[: args.geos]
    model_input = long_input(df[df["geo"].isin(geos)])
    print(f"Meridian 40-geo set: {len(geos)} geos x {model_input['week_start_date'].nunique()} weeks x {len(CHANNELS)} channels "
          f"(no published truth: behaviour and scale only)")
    alone, t_alone = fit(model_input, "none", args.cv_folds)
    pooled, t_pooled = fit(model_input, "partial", args.cv_folds)
    both = alone.merge(pooled, on=["market", "channel", "spend"], suffixes=("_alone", "_pooled"))
    both = both[both["spend"] > 0]
    size = both.groupby("market")["spend"].sum()
    small, large = size.sort_values().index[: len(size) // 4], size.sort_values().index[-(len(size) // 4):]
    both["move"] = np.abs(np.log(both["roi_pooled"]) - np.log(both["roi_alone"]))
    both["outside"] = (both["roi_pooled"] < both["lower_alone"]) | (both["roi_pooled"] > both["upper_alone"])
    rows = []
    for channel, g in both.groupby("channel"):
        row = dict(channel=channel, geos=len(g))
        for kind in ("alone", "pooled"):
            r = g[f"roi_{kind}"]
            row[f"IQR {kind}"] = r.quantile(0.75) - r.quantile(0.25)
            row[f"P5-P95 {kind}"] = r.quantile(0.95) - r.quantile(0.05)
            row[f"width/ROI {kind}"] = ((g[f"upper_{kind}"] - g[f"lower_{kind}"]) / r).mean()
            row[f"national {kind}"] = g[f"contribution_{kind}"].sum() / g["spend"].sum()
        row["move small"] = g.loc[g["market"].isin(small), "move"].mean()
        row["move large"] = g.loc[g["market"].isin(large), "move"].mean()
        row["outside own interval"] = g["outside"].mean()
        rows.append(row)
    table = pd.DataFrame(rows).set_index("channel")
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(table.round(3).to_string())
    print(f"\nall channels: geo ROI IQR {table['IQR alone'].mean():.3f} -> {table['IQR pooled'].mean():.3f}, "
          f"width/ROI {table['width/ROI alone'].mean():.2f} -> {table['width/ROI pooled'].mean():.2f}, "
          f"|log move| smallest quarter {both.loc[both['market'].isin(small), 'move'].mean():.3f} vs largest "
          f"{both.loc[both['market'].isin(large), 'move'].mean():.3f}, pooled ROI outside its own independent 90% interval "
          f"in {both['outside'].mean():.1%} of geo-channels")
    usage = resource.getrusage
    peak = usage(resource.RUSAGE_SELF).ru_maxrss / 1024 + usage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"fit of all geos: independent {t_alone:.0f} s, pooled {t_pooled:.0f} s (two stages); peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
