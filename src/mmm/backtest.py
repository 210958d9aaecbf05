"""Backtest: what the model would have forecast at past origins, next to what happened.

For each market, origins are taken every ``spacing`` weeks back from the last modeled week (the newest
``spacing`` weeks back, then ``2 x spacing``, ...), ``n_origins`` of them. At each origin the model is
refitted on the weeks before it only, exactly as a cross-validation fold (mmm.validation.forecast: a MAP
refit warm-started from the full fit's optimum, without the lift tests), and forecasts the next
``horizon`` weeks, or fewer when the data end sooner::

    origin o:   train = weeks [0, o),   forecast weeks o, o+1, ..., min(o + horizon, n) - 1
    horizon h of a forecast week = its position after the origin (1 = the origin's own week)

The forecast is conditional on what actually happened in the forecast weeks (spend, controls, holidays),
like every validation fold here: it measures the model, not the ability to guess next month's budget.
The refits use the configured priors, also in refresh mode (a refresh prior has seen later weeks).
Origins leaving fewer than ``min_train_weeks`` weeks to fit on are skipped.

``error_by_horizon`` summarises the table: mean absolute percentage error and bias per horizon.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from mmm.analysis import FittedModel
from mmm.model import ChannelSpec
from mmm.validation import _truncate, forecast

BACKTEST_COLUMNS = ["origin_week_start_date", "week_start_date", "horizon_weeks", "train_weeks", "actual_revenue",
                    "forecast_revenue", "forecast_error", "absolute_percentage_error"]


def origins(n_weeks: int, n_origins: int, spacing: int, min_train_weeks: int) -> list[int]:
    """Indices of the origins (first forecast week), newest first."""
    out = []
    for k in range(1, int(n_origins) + 1):
        origin = n_weeks - k * int(spacing)
        if origin < max(int(min_train_weeks), 1):
            break
        out.append(origin)
    return out


def without_priors(specs: list[ChannelSpec], added: Mapping[str, Mapping] | None) -> list[ChannelSpec]:
    """``specs`` without the per-channel priors ``added`` to them (a refresh prior): the configured priors."""
    if not added:
        return specs
    return [replace(s, priors={k: v for k, v in s.priors.items() if k not in added.get(s.name, {})}) for s in specs]


def backtest(fm: FittedModel, n_origins: int, spacing: int, horizon: int, min_train_weeks: int = 52,
             added_priors: Mapping[str, Mapping] | None = None) -> pd.DataFrame:
    """One market's backtest (BACKTEST_COLUMNS), newest origin first."""
    data = fm.data
    n = len(data.weeks)
    specs = without_priors(fm.specs, added_priors)
    actual = np.asarray(data.revenue, dtype=float)
    frames = []
    for origin in origins(n, n_origins, spacing, min_train_weeks):
        h = min(int(horizon), n - origin)
        predicted = forecast(_truncate(data, origin + h), specs, fm.config, h, initial=fm.result.z)
        observed = actual[origin:origin + h]
        frames.append(pd.DataFrame({
            "origin_week_start_date": data.weeks[origin], "week_start_date": data.weeks[origin:origin + h],
            "horizon_weeks": np.arange(1, h + 1), "train_weeks": origin, "actual_revenue": observed,
            "forecast_revenue": predicted, "forecast_error": predicted - observed,
            "absolute_percentage_error": np.abs(predicted - observed) / np.where(observed != 0, np.abs(observed), np.nan)}))
    if not frames:
        return pd.DataFrame(columns=BACKTEST_COLUMNS)
    return pd.concat(frames, ignore_index=True)[BACKTEST_COLUMNS]


def error_by_horizon(backtest_rows: pd.DataFrame) -> pd.DataFrame:
    """Per market (when present) and horizon: forecasts, mean absolute percentage error, mean error / actual."""
    keys = [k for k in ("market",) if k in backtest_rows.columns] + ["horizon_weeks"]
    if len(backtest_rows) == 0:
        return pd.DataFrame(columns=[*keys, "forecasts", "mape", "bias"])
    rows = backtest_rows.assign(relative_error=backtest_rows["forecast_error"] / backtest_rows["actual_revenue"])
    out = rows.groupby(keys).agg(forecasts=("forecast_revenue", "size"), mape=("absolute_percentage_error", "mean"),
                                 bias=("relative_error", "mean"))
    return out.reset_index()


def recent_windows(backtest_rows: pd.DataFrame) -> pd.DataFrame:
    """How well fits that stopped before the newest weeks forecast them, against the usual error.

    One row per origin whose forecast reaches the last week (the newest 4, 8, 12 weeks with the defaults):
    ``origin``, ``weeks`` (forecast weeks), ``error`` (their mean absolute percentage error) and ``reference``:
    the mean error of the other origins' forecasts at the same horizons (1..weeks) on weeks before the origin,
    i.e. the model's usual out-of-sample error on weeks that do not overlap the window (NaN without such rows).
    """
    columns = ["origin", "weeks", "error", "reference", "reference_forecasts"]
    types = {"weeks": int, "error": float, "reference": float, "reference_forecasts": int}
    if len(backtest_rows) == 0:
        return pd.DataFrame(columns=columns).astype(types)
    rows = backtest_rows.assign(origin=pd.to_datetime(backtest_rows["origin_week_start_date"]),
                                week=pd.to_datetime(backtest_rows["week_start_date"]))
    last = rows["week"].max()
    out = []
    for origin, window in rows.groupby("origin", sort=False):
        if window["week"].max() != last:
            continue
        weeks = len(window)
        earlier = rows[(rows["week"] < origin) & (rows["horizon_weeks"] <= weeks)]
        out.append(dict(origin=origin, weeks=weeks, error=float(window["absolute_percentage_error"].mean()),
                        reference=float(earlier["absolute_percentage_error"].mean()) if len(earlier) else float("nan"),
                        reference_forecasts=len(earlier)))
    return pd.DataFrame(out, columns=columns).astype(types).sort_values("weeks").reset_index(drop=True)


def backtest_table(fits: Mapping[str, FittedModel], fit_table: pd.DataFrame | None, n_origins: int, spacing: int,
                   horizon: int, min_train_weeks: int = 52) -> pd.DataFrame:
    """Every fitted market's backtest (market + BACKTEST_COLUMNS); ``fit_table`` (mmm_fit) names the priors a
    refresh added, which the refits leave out."""
    from mmm.threads import single_thread_blas

    added = {}
    if fit_table is not None and "channel_priors_json" in fit_table.columns:
        added = {r.market: json.loads(r.channel_priors_json) for r in fit_table.itertuples()
                 if isinstance(r.channel_priors_json, str) and r.channel_priors_json}
    frames = []
    with single_thread_blas():
        for market, fm in fits.items():
            frame = backtest(fm, n_origins, spacing, horizon, min_train_weeks, added.get(market))
            frames.append(frame.assign(market=market)[["market", *BACKTEST_COLUMNS]])
    if not frames:
        return pd.DataFrame(columns=["market", *BACKTEST_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def backtest_from_fits(fit_table: pd.DataFrame, model_input: pd.DataFrame, channel_settings: pd.DataFrame,
                       lift_tests: pd.DataFrame | None, settings, n_origins: int, spacing: int, horizon: int,
                       min_train_weeks: int = 52, workers: int | None = None) -> pd.DataFrame:
    """``backtest_table`` for the stored fits, each market restored once, in worker processes (both cores):
    the refits at past origins are the costliest part of an operations build, linear in the number of markets."""
    from mmm.tables import map_fitted_markets

    added = {}
    if "channel_priors_json" in fit_table.columns:
        added = {r.market: json.loads(r.channel_priors_json) for r in fit_table.itertuples()
                 if isinstance(r.channel_priors_json, str) and r.channel_priors_json}
    extra = {m: (n_origins, spacing, horizon, min_train_weeks, added.get(m)) for m in fit_table["market"]}
    frames = map_fitted_markets(fit_table, model_input, channel_settings, lift_tests, settings, _market_backtest, extra,
                                "mmm_backtest", workers)
    if not frames:
        return pd.DataFrame(columns=["market", *BACKTEST_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def _market_backtest(fm: FittedModel, extra: tuple) -> pd.DataFrame:
    n_origins, spacing, horizon, min_train_weeks, added = extra
    return backtest(fm, n_origins, spacing, horizon, min_train_weeks, added).assign(market=fm.market)[
        ["market", *BACKTEST_COLUMNS]]
