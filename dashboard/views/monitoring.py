"""Monitoring: the alerts of the latest build, ROI per channel over successive runs, and the backtest.

* fct_alerts: one sentence per alert, with a severity (critical, warning, info);
* fct_run_history: one row per build, market and channel. Runs that repeat an earlier state (same input and
  settings: ``same_as_run_id`` set) are not new points: the chart shows one point per state;
* fct_backtest: refits at past origins and their forecasts next to what happened.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import formatting as fmt
from dashboard.views.common import Figure, label

SEVERITY_ORDER = ("critical", "warning", "info")
SEVERITY_BOX = {"critical": "error", "warning": "warning", "info": "info"}
SEVERITY_TITLE = {"critical": "Critical", "warning": "Warning", "info": "Good to know"}


@dataclass(frozen=True)
class AlertBox:
    level: str  # st.error / st.warning / st.info by name
    text: str


def alert_counts(alerts: pd.DataFrame) -> list[Figure]:
    """One figure per severity: how many alerts the market has."""
    counts = alerts["severity"].value_counts()
    helps = {
        "critical": "Act before using this run: the model's predictions and the data disagree badly.",
        "warning": "Check before acting on the figures it names.",
        "info": "Good to know: nothing is wrong, but read the figure with it in mind.",
    }
    return [Figure(SEVERITY_TITLE[s], str(int(counts.get(s, 0))), helps[s]) for s in SEVERITY_ORDER]


def alert_boxes(alerts: pd.DataFrame) -> list[AlertBox]:
    """One box per severity (most severe first), listing each alert's sentence."""
    out = []
    for severity in SEVERITY_ORDER:
        rows = alerts[alerts["severity"] == severity]
        if rows.empty:
            continue
        lines = [f"- {message}" for message in rows["message"]]
        out.append(AlertBox(SEVERITY_BOX[severity], f"**{SEVERITY_TITLE[severity]}** ({len(rows)}):\n" + "\n".join(lines)))
    return out


def states(history: pd.DataFrame) -> pd.DataFrame:
    """One market's history without repeated states, in run order, with a `run_label` ('as of 2025-09-28')."""
    first = history[history["same_as_run_id"].isna()].copy()
    first["last_week_start_date"] = pd.to_datetime(first["last_week_start_date"])
    first["run_started_at"] = pd.to_datetime(first["run_started_at"])
    first = first.sort_values(["last_week_start_date", "run_started_at", "channel"], kind="stable")
    runs = first.drop_duplicates("run_id")[["run_id", "as_of_date"]].reset_index(drop=True)
    labels = [f"as of {pd.Timestamp(d):%Y-%m-%d}" for d in runs["as_of_date"]]
    seen: dict[str, int] = {}
    unique = []
    for text in labels:  # two states with the same as-of date (say, changed settings): number them
        seen[text] = seen.get(text, 0) + 1
        unique.append(text if seen[text] == 1 else f"{text} ({seen[text]})")
    order = dict(zip(runs["run_id"], range(len(runs))))
    first["run_order"] = first["run_id"].map(order)
    first["run_label"] = first["run_id"].map(dict(zip(runs["run_id"], unique)))
    return first.reset_index(drop=True)


def roi_over_runs(history: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Chart data: ROI with its interval per channel and state (states() plus the channel's `label`)."""
    data = states(history)
    names = {**dict(zip(data["channel"], data["display_name"].fillna(data["channel"]))), **labels}
    data["label"] = data["channel"].map(lambda c: label(c, names))
    return data


def runs_table(history: pd.DataFrame) -> pd.DataFrame:
    """One row per run of the market, newest first: when, which data, whether it repeats an earlier state."""
    runs = history.sort_values("run_started_at").drop_duplicates("run_id", keep="first")
    runs = runs.iloc[::-1]
    return pd.DataFrame(
        {
            "Run": runs["run_id"].str[:8],
            "Started": pd.to_datetime(runs["run_started_at"]).dt.strftime("%Y-%m-%d %H:%M"),
            "As of": pd.to_datetime(runs["as_of_date"]).dt.strftime("%Y-%m-%d"),
            "Data": [
                f"{pd.Timestamp(a):%d %b %Y} – {pd.Timestamp(b) + pd.Timedelta(days=6):%d %b %Y} ({n} weeks)"
                for a, b, n in zip(runs["first_week_start_date"], runs["last_week_start_date"], runs["n_weeks"])
            ],
            "Same as": runs["same_as_run_id"].map(lambda r: "new state" if pd.isna(r) else f"run {str(r)[:8]}"),
            "Holdout MAPE": runs["holdout_mape"].map(fmt.share),
            "Cross-validated MAPE": runs["cv_mape"].map(fmt.share),
            "Prior": runs["prior_run_id"].map(lambda r: "configured" if pd.isna(r) else f"refresh from run {str(r)[:8]}"),
            "Package": runs["package_version"],
            "Fingerprint": runs["input_fingerprint"].str[:12],
        }
    ).reset_index(drop=True)


def roi_changes(history: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame | None:
    """Latest state vs the one before, per channel (None with fewer than two states)."""
    data = roi_over_runs(history, labels)
    if data["run_order"].nunique() < 2:
        return None
    last, before = sorted(data["run_order"].unique())[-1], sorted(data["run_order"].unique())[-2]
    now = data[data["run_order"] == last].set_index("channel")
    then = data[data["run_order"] == before].set_index("channel")
    rows = []
    for channel in now.index.union(then.index):
        n = now.loc[channel] if channel in now.index else None
        t = then.loc[channel] if channel in then.index else None
        name = (n if n is not None else t)["label"]
        if n is None or t is None:
            verdict = "new channel" if t is None else "no longer modeled"
        elif t["roi_lower"] <= n["roi"] <= t["roi_upper"]:
            verdict = "within the previous interval"
        else:
            verdict = "moved outside the previous interval"
        rows.append(
            {
                "Channel": name,
                f"ROI {then['run_label'].iloc[0]}": "–" if t is None else fmt.ratio(t["roi"]),
                "Interval then": "–" if t is None else f"{fmt.ratio(t['roi_lower'])} – {fmt.ratio(t['roi_upper'])}",
                f"ROI {now['run_label'].iloc[0]}": "–" if n is None else fmt.ratio(n["roi"]),
                "Interval now": "–" if n is None else f"{fmt.ratio(n['roi_lower'])} – {fmt.ratio(n['roi_upper'])}",
                "Change": verdict,
            }
        )
    return pd.DataFrame(rows)


def backtest_forecasts(backtest: pd.DataFrame) -> pd.DataFrame:
    """Chart data: each origin's forecast (one line per origin) with an `origin` label."""
    data = backtest.copy()
    data["week_start_date"] = pd.to_datetime(data["week_start_date"])
    data["origin"] = pd.to_datetime(data["origin_week_start_date"]).dt.strftime("from %Y-%m-%d")
    return data.sort_values(["origin_week_start_date", "week_start_date"]).reset_index(drop=True)


def actual_series(backtest: pd.DataFrame) -> pd.DataFrame:
    """Actual weekly revenue over the weeks the backtest covers (one row per week)."""
    data = backtest.drop_duplicates("week_start_date")[["week_start_date", "actual_revenue"]].copy()
    data["week_start_date"] = pd.to_datetime(data["week_start_date"])
    return data.sort_values("week_start_date").reset_index(drop=True)


def error_by_horizon(backtest: pd.DataFrame) -> pd.DataFrame:
    """Per horizon: forecasts, mean absolute percentage error and bias (mean error / actual)."""
    data = backtest.assign(relative_error=backtest["forecast_error"] / backtest["actual_revenue"])
    out = data.groupby("horizon_weeks").agg(
        forecasts=("forecast_revenue", "size"),
        mape=("absolute_percentage_error", "mean"),
        bias=("relative_error", "mean"),
    )
    return out.reset_index()


def horizon_table(by_horizon: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Weeks ahead": by_horizon["horizon_weeks"].astype(int),
            "Forecasts": by_horizon["forecasts"].astype(int),
            "Mean error (MAPE)": by_horizon["mape"].map(fmt.share),
            "Bias": by_horizon["bias"].map(lambda b: fmt.share(b, signed=True)),
        }
    )


def backtest_sentence(backtest: pd.DataFrame) -> str:
    """'6 past origins: 1 week ahead the forecast was off by 2.4% on average, 13 weeks ahead by 4.1%; ...'."""
    by_h = error_by_horizon(backtest)
    first, last = by_h.iloc[0], by_h.iloc[-1]
    origins = backtest["origin_week_start_date"].nunique()
    bias = (backtest["forecast_error"].sum()) / backtest["actual_revenue"].sum()
    direction = "above" if bias > 0 else "below"
    return (
        f"{origins} past origins. {int(first['horizon_weeks'])} week ahead the forecast was off by "
        f"{fmt.share(first['mape'])} on average, {int(last['horizon_weeks'])} weeks ahead by {fmt.share(last['mape'])}; "
        f"overall the forecasts were {fmt.share(abs(bias))} {direction} what happened."
    )
