"""Optional media terms (fct_media_terms, fct_channel_effectiveness): synergy between channel pairs, channels whose
effectiveness drifts over time. Both are off unless declared in a seed; when on, they are the MMM's own estimates and
enter every budget number (the optimizer and scenarios add the synergy terms; a drifting channel's curve is at its
current effectiveness)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import formatting as fmt
from dashboard.views.common import label, market_label

HOW_TO_TURN_ON = (
    "declare a channel pair in `seeds/channel_interactions.csv` (channel_a, channel_b, prior_sd) for a synergy term, "
    "or a channel in `seeds/channel_time_varying.csv` (channel, knots, step_sd) to let its effectiveness drift, "
    "then run `make build`"
)
OFF = (
    "Optional media terms are off (the default): no synergy between channels, no drift over time. "
    f"To turn them on, {HOW_TO_TURN_ON}."
)
SYNERGY_SPLIT = (
    "A synergy term's revenue is whole here; in the channel table and the contributions it is split half and half "
    "between the two channels. Synergy ROI: the term's revenue per $1 of the pair's combined spend. The optimizer "
    "and the scenarios count the synergy when they move money."
)

EFFECTIVENESS_COLUMNS = ["channel", "week_start_date", "effectiveness", "effectiveness_lower", "effectiveness_upper"]
BETTER_TOGETHER, CANNIBALISE, NO_SYNERGY = "better together", "cannibalise", "not distinguishable"
BETTER_NOW, WORSE_NOW, NO_DRIFT = "better now", "worse now", "not distinguishable"
LEVEL = {BETTER_TOGETHER: "success", CANNIBALISE: "warning", BETTER_NOW: "success", WORSE_NOW: "warning"}


@dataclass(frozen=True)
class Sentence:
    """One term in words, with the box it goes in (``level``: success, warning or info)."""

    term: str
    level: str
    text: str


def nothing_to_show(all_terms: pd.DataFrame, market_terms: pd.DataFrame, market: str | None) -> str | None:
    """The one-line caption when the market has no optional term (the default: none declared), else None."""
    if all_terms.empty:
        return OFF
    if market_terms.empty:
        return (
            f"None of the declared optional media terms applies to market {market_label(market)} (a term naming a channel "
            f"the market does not model is skipped there). To add one, {HOW_TO_TURN_ON}."
        )
    return None


def synergy_roi(value: object) -> str:
    """A synergy ROI, revenue per $1 of the pair's spend, to three decimals (it is often a few cents)."""
    return "–" if pd.isna(value) else f"{float(value):.3f}"


def _times(value: object) -> str:
    return "–" if pd.isna(value) else f"{float(value):.2f}x"


def synergy_verdict(lower: float, upper: float) -> str:
    """Better together when the whole interval of the term's revenue is above 0, cannibalise when below, else neither."""
    if lower > 0:
        return BETTER_TOGETHER
    if upper < 0:
        return CANNIBALISE
    return NO_SYNERGY


def synergy(terms: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """The market's synergy terms with the pair in display names and the verdict, largest revenue (either sign) first."""
    rows = terms[terms["term_type"] == "synergy"]
    out = rows.assign(
        pair=[f"{label(a, labels)} & {label(b, labels)}" for a, b in zip(rows["channel_a"], rows["channel_b"])],
        verdict=[synergy_verdict(lo, hi) for lo, hi in zip(rows["contribution_lower"], rows["contribution_upper"])],
    )
    return out.sort_values("contribution", key=abs, ascending=False, kind="stable").reset_index(drop=True)


def resplit_caveat(terms: pd.DataFrame, labels: dict[str, str]) -> str | None:
    """For the Budget page's re-split from the stored curves: what it leaves out when the market has synergy terms
    (None without them)."""
    if terms.empty or not (terms["term_type"] == "synergy").any():
        return None
    pairs = ", ".join(synergy(terms, labels)["pair"])
    return (
        f"This market has synergy terms ({pairs}). The re-split here works from each channel's stored curve, which holds "
        "the channel's half of a synergy at the other channel's current spend, so it leaves out how the synergy changes "
        "when the split moves. The optimal allocation above, the scenarios and the target budgets count it: at the same "
        "budget the two splits can differ (see Channels, Optional media terms)."
    )


def synergy_sentence(row: pd.Series) -> Sentence:
    """Whether the pair works better together, cannibalises, or cannot be told apart from no synergy."""
    revenue = fmt.money(row["contribution"])
    interval = fmt.money_range(row["contribution_lower"], row["contribution_upper"])
    roi = (f"a synergy ROI of {synergy_roi(row['roi'])} per $1 of their combined spend "
           f"(interval {synergy_roi(row['roi_lower'])} – {synergy_roi(row['roi_upper'])})")
    if row["verdict"] == BETTER_TOGETHER:
        text = (f"**{row['pair']} work better together**: running both added {revenue} over the modeled period "
                f"(interval {interval}), {roi}.")
    elif row["verdict"] == CANNIBALISE:
        text = (f"**{row['pair']} cannibalise each other**: running both cost {fmt.money(-row['contribution'])} of revenue "
                f"over the modeled period (interval {interval}), {roi}.")
    else:
        text = (f"**{row['pair']}**: no synergy the data can tell apart from none. The term's revenue is {revenue} over "
                f"the modeled period, but its interval ({interval}) includes 0; {roi}.")
    return Sentence(str(row["term"]), LEVEL.get(row["verdict"], "info"), text)


def synergy_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Pair": frame["pair"],
            "Term revenue": frame["contribution"].map(fmt.money),
            "Interval": [fmt.money_range(lo, hi) for lo, hi in zip(frame["contribution_lower"], frame["contribution_upper"])],
            "Synergy ROI": frame["roi"].map(synergy_roi),
            "ROI interval": [f"{synergy_roi(lo)} – {synergy_roi(hi)}" for lo, hi in zip(frame["roi_lower"], frame["roi_upper"])],
            "Reading": frame["verdict"],
        }
    )


def drift_verdict(lower: float, upper: float) -> str:
    """From the interval of the last week's effectiveness relative to the average (1 = average)."""
    if lower > 1:
        return BETTER_NOW
    if upper < 1:
        return WORSE_NOW
    return NO_DRIFT


def drifting(terms: pd.DataFrame, effectiveness: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """The market's drifting channels with display names, the last week's effectiveness (``now``, ``now_lower``,
    ``now_upper``; from fct_channel_effectiveness) and the verdict. Without effectiveness rows for a channel the verdict
    compares the current ROI's interval with the average ROI instead."""
    rows = terms[terms["term_type"] == "time_varying"].reset_index(drop=True)
    effectiveness = effectiveness.reindex(columns=EFFECTIVENESS_COLUMNS)  # none read: no columns
    last = effectiveness.sort_values("week_start_date").groupby("channel").tail(1).set_index("channel")
    out = rows.assign(
        channel=rows["channel_a"],
        label=[label(c, labels) for c in rows["channel_a"]],
        now=rows["channel_a"].map(last["effectiveness"]).astype(float),
        now_lower=rows["channel_a"].map(last["effectiveness_lower"]).astype(float),
        now_upper=rows["channel_a"].map(last["effectiveness_upper"]).astype(float),
    )
    out["verdict"] = [
        drift_verdict(r.now_lower, r.now_upper) if pd.notna(r.now)
        else drift_verdict(r.roi_current_lower / r.roi, r.roi_current_upper / r.roi)
        for r in out.itertuples()
    ]
    return out


def drift_sentence(row: pd.Series) -> Sentence:
    """The channel's current ROI next to its average ROI, and whether it works better or worse now."""
    current = (f"its ROI at the last week's effectiveness is {fmt.ratio(row['roi_current'])} "
               f"({fmt.ratio(row['roi_current_lower'])} – {fmt.ratio(row['roi_current_upper'])})")
    average = f"{fmt.ratio(row['roi'])} on average over the modeled period"
    now = (f"; the last week's effectiveness is {_times(row['now'])} its average ({_times(row['now_lower'])} – "
           f"{_times(row['now_upper'])})" if pd.notna(row["now"]) else "")
    if row["verdict"] == BETTER_NOW:
        text = f"**{row['label']} works better now than on average**: {current}, against {average}{now}."
    elif row["verdict"] == WORSE_NOW:
        text = f"**{row['label']} works less well now than on average**: {current}, against {average}{now}."
    else:
        text = (f"**{row['label']}**: no change of effectiveness the data can tell apart from none: {current}, against "
                f"{average}{now}.")
    return Sentence(str(row["term"]), LEVEL.get(row["verdict"], "info"), text)


def effectiveness_path(effectiveness: pd.DataFrame, channel: str) -> pd.DataFrame:
    """One channel's effectiveness week by week (1 = its average) with the interval, for a line and a band."""
    effectiveness = effectiveness.reindex(columns=EFFECTIVENESS_COLUMNS)
    rows = effectiveness[effectiveness["channel"] == channel].sort_values("week_start_date")
    return pd.DataFrame(
        {
            "week_start_date": pd.to_datetime(rows["week_start_date"]),
            "effectiveness": rows["effectiveness"].astype(float),
            "lower": rows["effectiveness_lower"].astype(float),
            "upper": rows["effectiveness_upper"].astype(float),
        }
    ).reset_index(drop=True)
