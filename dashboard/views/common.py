"""Shared by every section: the market list, readable market and channel names, figures."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

NOT_FITTED_CHECK = "market_not_fitted"
_LIFT_SUBJECT = re.compile(r"^(?P<channel>.*?) \((?P<experiment>experiment .*)\)$")


@dataclass(frozen=True)
class Figure:
    """One headline figure (rendered with st.metric)."""

    label: str
    value: str
    help: str | None = None
    delta: str | None = None


@dataclass(frozen=True)
class BuildStatus:
    """What the dashboard says about the build its tables come from: ``level`` error (the latest build failed),
    warning (the public tables come from different builds) or caption (all is well)."""

    level: str
    text: str


def build_status(runs: pd.DataFrame | None) -> BuildStatus | None:
    """From the run log (fct_build_runs): which build the tables shown come from, and whether the latest failed.
    None when the warehouse has no run log (an older build)."""
    if runs is None or runs.empty:
        return None
    runs = runs.sort_values("finished_at")
    latest = runs.iloc[-1]
    shown_id = latest["outputs_invocation_id"]
    shown = runs[runs["invocation_id"] == shown_id] if isinstance(shown_id, str) and shown_id else runs.iloc[0:0]
    if not (isinstance(shown_id, str) and shown_id):
        shown_text = ("The tables shown come from different builds (a build stopped half-way): `fct_build_outputs` "
                      "says which build wrote each. Rebuild with `make build`.")
    elif shown.empty:
        shown_text = f"The tables shown were written by build `{shown_id[:8]}`, no longer in the run log."
    else:
        run = shown.iloc[0]
        shown_text = f"The tables shown come from the build that finished {_when(run['finished_at'])} (`dbt {run['command']}`)."
    if latest["status"] == "failed":
        lines = [line for line in str(latest["failing_nodes"] or "").splitlines() if line.strip()]
        why = f": {lines[0]}" + (f" (and {len(lines) - 1} more)" if len(lines) > 1 else "") if lines else ""
        return BuildStatus("error", f"The latest build (`dbt {latest['command']}`, finished {_when(latest['finished_at'])}) "
                                    f"failed{why}. {shown_text}")
    if not (isinstance(shown_id, str) and shown_id):
        return BuildStatus("warning", shown_text)
    return BuildStatus("caption", shown_text)


def _when(value: object) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M UTC")


NATIONAL = "national"  # market of the rows that add all markets up (fct_channel_summary, fct_response_curves)


def markets(
    fitted: pd.DataFrame | None,
    others: list[pd.DataFrame | None],
    diagnostics: pd.DataFrame | None = None,
) -> list[str]:
    """Markets to choose from: those in fct_fitted_revenue, biggest actual revenue first, then the other
    markets of the output tables (alphabetically), then markets only the checks know (a market that
    could not be modeled: 'market_not_fitted'). The 'national' rows (all markets added up) are not a market
    to choose: they are shown next to a market's own figures where a section has them."""
    found: list[str] = [NATIONAL]  # never offered as a market
    if fitted is not None and not fitted.empty:
        by_revenue = fitted.groupby("market")["actual_revenue"].sum().sort_values(ascending=False, kind="stable")
        found += [str(m) for m in by_revenue.index]
    for frame in others:
        if frame is not None and not frame.empty:
            found += [m for m in sorted(frame["market"].dropna().astype(str).unique()) if m not in found]
    if len(found) > 1 and diagnostics is not None and not diagnostics.empty:
        not_fitted = diagnostics.loc[diagnostics["check_name"] == NOT_FITTED_CHECK, "market"].astype(str)
        found += [m for m in sorted(not_fitted.unique()) if m not in found]
    return found[1:]


def not_fitted_message(diagnostics: pd.DataFrame | None, market: str | None) -> str | None:
    """Why the market was not modeled (the message of its 'market_not_fitted' check), or None."""
    if diagnostics is None or diagnostics.empty or market is None:
        return None
    rows = diagnostics[(diagnostics["market"] == market) & (diagnostics["check_name"] == NOT_FITTED_CHECK)]
    if rows.empty:
        return None
    return str(rows["message"].iloc[0])


def market_label(market: str | None) -> str:
    """'us' -> 'US', 'canada' -> 'Canada', None -> 'all markets'."""
    if market is None:
        return "all markets"
    return market.upper() if len(market) <= 3 else market.title()


def channel_labels(summary: pd.DataFrame | None) -> dict[str, str]:
    """channel -> display name, from one market's fct_channel_summary rows."""
    if summary is None or summary.empty:
        return {}
    return {str(c): str(d) for c, d in zip(summary["channel"], summary["display_name"]) if pd.notna(d) and str(d).strip()}


def label(channel: object, labels: dict[str, str]) -> str:
    """A channel's display name (the code when it has none)."""
    return labels.get(str(channel), str(channel))


def with_labels(frame: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Add a `label` column: the channel's display name."""
    return frame.assign(label=frame["channel"].map(lambda c: label(c, labels)))


def subject_label(subject: object, labels: dict[str, str]) -> str:
    """What a check is about, in words (fct_diagnostics.channel): '' -> 'market', a channel -> its
    display name, 'a & b' -> both display names, 'tv (experiment lt_01)' -> 'TV (experiment lt_01)';
    anything else (a control) as it is."""
    text = "" if subject is None or (isinstance(subject, float) and pd.isna(subject)) else str(subject)
    if not text:
        return "market"
    if text in labels:
        return labels[text]
    if " & " in text:
        return " & ".join(label(part, labels) for part in text.split(" & "))
    match = _LIFT_SUBJECT.match(text)
    if match:
        return f"{label(match['channel'], labels)} ({match['experiment']})"
    return text


def problems_first(frame: pd.DataFrame, status_column: str = "status") -> pd.DataFrame:
    """Rows ordered fail, warn, then the rest, keeping the order within each."""
    rank = frame[status_column].astype(str).str.lower().map({"fail": 0, "warn": 1}).fillna(2)
    return frame.iloc[rank.argsort(kind="stable")].reset_index(drop=True)
