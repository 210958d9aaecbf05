"""Drift and anomaly alerts: when the model's predictions stop matching reality, say so in a sentence.

Each alert has a severity (``critical``, ``warning``, ``info``), the number it is about, the threshold it
crossed and a plain sentence for a marketer. One build can raise:

* ``forecast_drift`` (market): fits that stopped before the newest weeks (the backtest origins whose forecasts
  reach the last week: the newest 4, 8 and 12 weeks with the defaults, mmm.backtest.recent_windows) forecast
  them with an error at least ``forecast_error_ratio`` times (critical: ``forecast_error_ratio_critical``) and
  ``forecast_error_margin`` above the same forecasts' error on the weeks before: the model's usual out-of-sample
  error, measured where it does not overlap the newest weeks (the holdout and the last cross-validation fold end
  on the last week, so a change there inflates them too; they are quoted in the sentence).
* ``roi_outside_previous_interval`` (channel): this run's ROI estimate is outside the previous run's interval
  (critical when the two intervals do not even overlap). The previous run is the previous *state* of the
  history (mmm.history.previous_runs): a rebuild of the same input never alerts against itself.
* ``recommended_spend_beyond_data`` (channel): the recommended weekly spend is above the highest weekly spend
  in the data by more than ``spend_range_tolerance``: the response curve there is extrapolated.
* ``spend_beyond_previous_range`` (channel): a week since the previous run spent more than anything that run
  had seen: its curve, and its forecast of that week, were extrapolated.
* ``new_channel`` / ``vanished_channel`` (channel): a channel modeled now but not in the previous run (or, with
  no previous run, one that started within the holdout weeks), or modeled then but not now.
* ``revenue_outside_prediction_interval`` (week): in one of the newest ``alert_recent_weeks`` weeks, actual
  revenue is at least ``revenue_z`` prediction standard deviations from the fitted value (critical from
  ``revenue_z_critical``); the standard deviation is read off the prediction interval (half-width / z of the
  interval level). Beyond 3 sd a week is that far off by chance about 3 times in 1,000.
* ``partial_last_week`` (market): the as-of date falls inside the last modeled week, so that week holds only
  some of its days and looks low.

Thresholds are the fields of ``AlertThresholds``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from mmm.backtest import recent_windows

ALERT_COLUMNS = ["alert_id", "market", "alert_name", "channel", "week_start_date", "severity", "value", "threshold",
                 "message"]
SEVERITIES = ("critical", "warning", "info")


@dataclass(frozen=True)
class AlertThresholds:
    """Every threshold an alert compares against."""

    # newest weeks' MAPE this many times the usual out-of-sample MAPE: warning. Measured (make benchmark-refresh,
    # 18 unchanged and 36 changed simulated refreshes): 2.0 gave 11% false alarms, 2.5 none, still catching 72-78%
    # of a halved-or-doubled channel effect 4 weeks after it began
    forecast_error_ratio: float = 2.5
    forecast_error_ratio_critical: float = 3.0  # ... this many times: critical
    forecast_error_margin: float = 0.02  # ... and at least this much above it (2 points of MAPE)
    revenue_z: float = 3.0  # a recent week this many prediction sds from the fitted value: warning
    revenue_z_critical: float = 5.0  # ... this many: critical
    spend_range_tolerance: float = 0.1  # spend more than 10% above the highest weekly spend seen


DEFAULT_ALERT_THRESHOLDS = AlertThresholds()


@dataclass(frozen=True)
class Alert:
    market: str
    alert_name: str
    channel: str
    week_start_date: pd.Timestamp | None
    severity: str
    value: float
    threshold: float
    message: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"alert {self.alert_name}: severity must be one of {SEVERITIES}, got {self.severity!r}")


def money(x: float, currency: str) -> str:
    return f"{x:,.0f} {currency}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _name(names: Mapping[str, str], channel: str) -> str:
    return names.get(channel, channel)


def _date(x) -> str:
    return f"{pd.Timestamp(x):%Y-%m-%d}"


# ------------------------------------------------------------------------------------------------ alerts


def forecast_drift(market: str, backtest_rows: pd.DataFrame, checks: pd.DataFrame,
                   th: AlertThresholds = DEFAULT_ALERT_THRESHOLDS) -> list[Alert]:
    """The newest weeks' forecast error against the model's usual out-of-sample error (one market's rows).

    For each window of newest weeks a backtest origin forecast to the end (mmm.backtest.recent_windows: 4, 8,
    12 weeks with the defaults), the error is compared with the same forecasts' error (same horizons) on weeks
    before the window. The holdout and cross-validation MAPE are quoted, not used as the yardstick: the holdout
    and the last cross-validation fold end on the last week, so a change in the newest weeks inflates them too
    and would hide itself. The window with the largest ratio is reported.
    """
    windows = recent_windows(backtest_rows)
    windows = windows[np.isfinite(windows["reference"]) & (windows["reference"] > 0)]
    windows = windows.assign(ratio=windows["error"] / windows["reference"])
    firing = windows[(windows["ratio"] >= th.forecast_error_ratio)
                     & (windows["error"] - windows["reference"] >= th.forecast_error_margin)]
    if firing.empty:
        return []
    w = firing.loc[firing["ratio"].idxmax()]
    level = checks[checks["channel"].fillna("") == ""].drop_duplicates("check_name").set_index("check_name")["value"]
    validation = {name: float(level[name]) for name in ("holdout_mape", "cv_mape") if name in level and np.isfinite(level[name])}
    named = " and ".join(f"{'holdout' if k == 'holdout_mape' else 'cross-validation'} {_pct(v)}" for k, v in validation.items())
    severity = "critical" if w["ratio"] >= th.forecast_error_ratio_critical else "warning"
    threshold = th.forecast_error_ratio * float(w["reference"])
    return [Alert(market, "forecast_drift", "", None, severity, float(w["error"]), threshold,
                  f"A fit that stopped before the newest {int(w['weeks'])} weeks (from {_date(w['origin'])}) forecast them "
                  f"with an average error of {_pct(w['error'])}, {w['ratio']:.1f} times the error of the same forecasts on "
                  f"earlier weeks ({_pct(w['reference'])})" + (f"; the build's {named} include these weeks" if named else "")
                  + ": something the model does not know about changed recently (a channel's effect, prices, tracking, "
                  "a market shock) or the newest data are incomplete. Check the newest weeks before acting on this run.")]


def roi_shifts(market: str, current: pd.DataFrame, previous: pd.DataFrame, names: Mapping[str, str]) -> list[Alert]:
    """Channels whose ROI left the previous run's interval (history rows of one market)."""
    if previous is None or len(previous) == 0:
        return []
    prev = previous.set_index("channel")
    when = _date(previous["as_of_date"].iloc[0])
    level = float(previous["interval_level"].iloc[0]) if "interval_level" in previous else 0.9
    out = []
    for r in current.itertuples():
        if r.channel not in prev.index or not np.isfinite(r.roi):
            continue
        p = prev.loc[r.channel]
        lo, hi = float(p["roi_lower"]), float(p["roi_upper"])
        if lo <= r.roi <= hi:
            continue
        disjoint = r.roi_lower > hi or r.roi_upper < lo
        direction = "up" if r.roi > hi else "down"
        out.append(Alert(
            market, "roi_outside_previous_interval", r.channel, None, "critical" if disjoint else "warning", float(r.roi),
            hi if r.roi > hi else lo,
            f"{_name(names, r.channel)}'s ROI moved {direction} from {float(p['roi']):.2f} ({level:.0%} interval "
            f"{lo:.2f} to {hi:.2f}, run as of {when}) to {r.roi:.2f}, outside that interval"
            + (" (the two intervals do not overlap)" if disjoint else "")
            + ": more than a few new weeks normally move it. Check what changed (the channel's spend, data corrections, "
            "settings) before acting on the new figure."))
    return out


def channel_changes(market: str, current: pd.DataFrame, previous: pd.DataFrame | None, checks: pd.DataFrame,
                    names: Mapping[str, str]) -> list[Alert]:
    """New and vanished channels against the previous run (without one: channels too new to estimate)."""
    now = set(current["channel"])
    out = []
    if previous is not None and len(previous):
        before = set(previous["channel"])
        when = _date(previous["as_of_date"].iloc[0])
        prev_names = dict(zip(previous["channel"], previous["display_name"].fillna(previous["channel"])))
        for ch in sorted(now - before):
            out.append(Alert(market, "new_channel", ch, None, "info", 1.0, 0.0,
                             f"{_name(names, ch)} is modeled for the first time (not in the run as of {when}): its ROI "
                             "rests on its first weeks of spend and leans on the prior; read it as a first estimate."))
        for ch in sorted(before - now):
            out.append(Alert(market, "vanished_channel", ch, None, "warning", 1.0, 0.0,
                             f"{_name(prev_names, ch)} was modeled in the run as of {when} but not in this one (no usable "
                             "spend now): if it still spends, its spend rows are missing; if it stopped, its past "
                             "revenue is now part of the baseline."))
        return out
    too_new = checks[(checks["check_name"] == "channel_too_new") & (checks["status"] != "ok")]
    for r in too_new.itertuples():
        if r.channel in now:
            out.append(Alert(market, "new_channel", r.channel, None, "info", float(r.value), float(r.threshold),
                             f"{_name(names, r.channel)} started spending {int(r.value)} weeks ago: too new to estimate, "
                             "so its ROI is mostly the prior's guess and the budget allocation keeps its spend unchanged."))
    return out


def spend_ranges(market: str, current: pd.DataFrame, previous: pd.DataFrame | None, spend: pd.DataFrame,
                 names: Mapping[str, str], currency: str, th: AlertThresholds = DEFAULT_ALERT_THRESHOLDS) -> list[Alert]:
    """Recommended spend above the data's range; weeks since the previous run above that run's range.

    ``spend``: the market's weekly spend (week_start_date, channel, value)."""
    out = []
    factor = 1.0 + th.spend_range_tolerance
    for r in current.itertuples():
        top = float(r.highest_weekly_spend)
        if np.isfinite(r.optimal_weekly_spend) and r.optimal_weekly_spend > factor * top:
            out.append(Alert(
                market, "recommended_spend_beyond_data", r.channel, None, "warning", float(r.optimal_weekly_spend), factor * top,
                f"The recommended weekly spend on {_name(names, r.channel)} ({money(r.optimal_weekly_spend, currency)}) is "
                f"above the highest weekly spend in the data ({money(top, currency)}): the response curve there is "
                "extrapolated from lower spend, so the gain it promises is an assumption, not a measurement. Move "
                "toward it in steps, or test it."))
    if previous is None or len(previous) == 0 or spend is None or len(spend) == 0:
        return out
    prev = previous.set_index("channel")
    since = pd.Timestamp(previous["last_week_start_date"].iloc[0])
    when = _date(previous["as_of_date"].iloc[0])
    new_weeks = spend[pd.to_datetime(spend["week_start_date"]) > since]
    for channel, rows in new_weeks.groupby("channel"):
        if channel not in prev.index or not np.isfinite(prev.loc[channel, "highest_weekly_spend"]):
            continue
        top = float(prev.loc[channel, "highest_weekly_spend"])
        peak = rows.loc[rows["value"].idxmax()]
        if peak["value"] > factor * top:
            out.append(Alert(
                market, "spend_beyond_previous_range", channel, None, "info", float(peak["value"]), factor * top,
                f"{_name(names, channel)} spent {money(peak['value'], currency)} in the week of "
                f"{_date(peak['week_start_date'])}, above the highest weekly spend the run as of {when} had seen "
                f"({money(top, currency)}): that run's curve was extrapolated there; this run has now seen it."))
    return out


def revenue_outliers(market: str, fitted: pd.DataFrame, recent_weeks: int, interval_level: float, currency: str,
                     th: AlertThresholds = DEFAULT_ALERT_THRESHOLDS) -> list[Alert]:
    """Newest weeks whose revenue is far outside the prediction interval (one market's fitted revenue)."""
    rows = fitted.sort_values("week_start_date").tail(int(recent_weeks))
    z_level = NormalDist().inv_cdf(0.5 + interval_level / 2)
    out = []
    for r in rows.itertuples():
        sd = (r.fitted_upper - r.fitted_lower) / (2 * z_level)
        if not sd > 0:
            continue
        z = (r.actual_revenue - r.fitted_revenue) / sd
        if abs(z) < th.revenue_z:
            continue
        out.append(Alert(
            market, "revenue_outside_prediction_interval", "", pd.Timestamp(r.week_start_date),
            "critical" if abs(z) >= th.revenue_z_critical else "warning", float(z), th.revenue_z if z > 0 else -th.revenue_z,
            f"Revenue in the week of {_date(r.week_start_date)} was {money(r.actual_revenue, currency)}, far "
            f"{'above' if z > 0 else 'below'} the model's {money(r.fitted_revenue, currency)} ({interval_level:.0%} "
            f"prediction interval {money(r.fitted_lower, currency)} to {money(r.fitted_upper, currency)}; "
            f"{abs(z):.1f} standard deviations). Check that week's data (a missing or doubled day, a late file) or "
            "an event the model does not know about (a promotion, an outage, a competitor's move)."))
    return out


def partial_last_week(market: str, window: pd.DataFrame) -> list[Alert]:
    """The as-of date falls inside the last modeled week (one market's mmm_model_window row)."""
    if window is None or len(window) == 0:
        return []
    w = window.iloc[0]
    if bool(w["is_last_week_complete"]):
        return []
    days = int(w["days_in_last_week"])
    return [Alert(market, "partial_last_week", "", pd.Timestamp(w["last_week_start_date"]), "warning", float(days), 7.0,
                  f"The as-of date {_date(w['as_of_date'])} falls inside the last modeled week (from "
                  f"{_date(w['last_week_start_date'])}), so that week holds at most {days} of its 7 days of daily rows "
                  "and its revenue and spend look low. Use an as_of_date on the last day of a week, or read the last "
                  "week with care.")]


# ------------------------------------------------------------------------------------------------ the table


def alerts_frame(alerts: list[Alert]) -> pd.DataFrame:
    """Alerts as a table (ALERT_COLUMNS), most severe first."""
    rows = [asdict(a) for a in alerts]
    frame = pd.DataFrame(rows, columns=ALERT_COLUMNS[1:])
    frame.insert(0, "alert_id", [
        ":".join([a.market, a.alert_name, a.channel, "" if a.week_start_date is None else _date(a.week_start_date)])
        for a in alerts])
    frame["week_start_date"] = pd.to_datetime(frame["week_start_date"])
    frame["value"] = frame["value"].astype(float)
    frame["threshold"] = frame["threshold"].astype(float)
    order = frame["severity"].map({s: i for i, s in enumerate(SEVERITIES)})
    frame = frame.iloc[np.lexsort((frame["alert_id"].to_numpy(), order.to_numpy()))].reset_index(drop=True)
    if frame["alert_id"].duplicated().any():
        raise ValueError(f"alerts raised twice: {frame.loc[frame['alert_id'].duplicated(), 'alert_id'].tolist()}")
    return frame


def market_alerts(market: str, current: pd.DataFrame, previous: pd.DataFrame | None, backtest_rows: pd.DataFrame,
                  checks: pd.DataFrame, fitted: pd.DataFrame, spend: pd.DataFrame | None, window: pd.DataFrame | None,
                  recent_weeks: int, interval_level: float, currency: str,
                  th: AlertThresholds = DEFAULT_ALERT_THRESHOLDS) -> list[Alert]:
    """Every alert of one market. ``current`` / ``previous``: the history rows of this run and of the
    previous run (None: no previous run)."""
    names = dict(zip(current["channel"], current["display_name"].fillna(current["channel"])))
    return [
        *forecast_drift(market, backtest_rows, checks, th),
        *revenue_outliers(market, fitted, recent_weeks, interval_level, currency, th),
        *roi_shifts(market, current, previous, names),
        *channel_changes(market, current, previous, checks, names),
        *spend_ranges(market, current, previous, spend, names, currency, th),
        *partial_last_week(market, window),
    ]


def alerts_table(history: pd.DataFrame, run_id: str, backtest_rows: pd.DataFrame, checks: pd.DataFrame,
                 fitted: pd.DataFrame, model_input: pd.DataFrame, window: pd.DataFrame | None, recent_weeks: int,
                 interval_level: float, currency: str, th: AlertThresholds = DEFAULT_ALERT_THRESHOLDS) -> pd.DataFrame:
    """Every alert of this build (``run_id``) for every market it fitted: ALERT_COLUMNS plus run_id.

    ``history``: the run history including this build's rows; the rest are read per market.
    """
    from mmm.history import previous_runs

    this_run = history[history["run_id"] == run_id]
    earlier = history[history["run_id"] != run_id]
    spend = model_input[model_input["variable_type"] == "spend"].rename(columns={"variable_name": "channel"})
    alerts: list[Alert] = []
    for market, current in this_run.groupby("market", sort=True):
        current = current.sort_values("channel")
        previous = previous_runs(earlier, {market: (current["input_fingerprint"].iloc[0],
                                                    current["last_week_start_date"].iloc[0])})
        alerts += market_alerts(
            market, current, previous if len(previous) else None,
            backtest_rows[backtest_rows["market"] == market], checks[checks["market"] == market],
            fitted[fitted["market"] == market], spend[spend["market"] == market][["week_start_date", "channel", "value"]],
            None if window is None else window[window["market"] == market], recent_weeks, interval_level, currency, th)
    return alerts_frame(alerts).assign(run_id=run_id)
