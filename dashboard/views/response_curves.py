"""Response curves: one panel per channel (curve, current spend, saturation point) and the fitted
parameters behind the curves."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import formatting as fmt
from dashboard.views.common import label

# the parameters of fct_fit_parameters shown per channel, in this order, with their meaning
PARAMETERS = {
    "roi": "ROI",
    "adstock_alpha": "Carry-over (adstock decay)",
    "adstock_theta": "Peak delay (weeks)",
    "adstock_shape": "Adstock shape",
    "adstock_scale": "Adstock scale",
    "saturation_half_saturation": "Half saturation (weekly spend)",
    "saturation_shape": "Saturation shape",
    "saturation_lam": "Saturation rate",
    "beta": "Weekly revenue at full saturation",
}
MONEY_PARAMETERS = frozenset({"saturation_half_saturation", "beta"})


@dataclass(frozen=True)
class Panel:
    channel: str
    label: str
    curve: pd.DataFrame  # the channel's fct_response_curves rows, by weekly spend
    current_spend: float | None
    saturation_spend: float | None
    caption: str


def saturation_note(curve: pd.DataFrame, current: float | None, saturation: float | None) -> str:
    """Where the channel stands against its saturation point, in words."""
    if saturation is None or pd.isna(saturation):
        return "not reached within the curve"
    if saturation <= curve["weekly_spend"].min():
        return "from the first dollar (the next $1 returns less than $1 at any spend)"
    note = fmt.money(saturation) + " per week"
    if current is not None and pd.notna(current):
        note += " (current spend is past it)" if current > saturation else " (room to grow)"
    return note


def panels(curves: pd.DataFrame, summary: pd.DataFrame, labels: dict[str, str]) -> list[Panel]:
    """One panel per channel of one market's fct_response_curves, biggest spender first (spend from
    fct_channel_summary, which also gives the current spend and the saturation point)."""
    by_channel = summary.set_index("channel") if not summary.empty else pd.DataFrame()
    channels = list(dict.fromkeys(curves["channel"].astype(str)))
    if not by_channel.empty:
        channels.sort(key=lambda c: -float(by_channel["spend"].get(c, 0.0)))
    out = []
    for channel in channels:
        curve = curves[curves["channel"] == channel].sort_values("weekly_spend").reset_index(drop=True)
        current = saturation = None
        if channel in by_channel.index:
            current = float(by_channel.at[channel, "current_weekly_spend"])
            saturation = by_channel.at[channel, "saturation_weekly_spend"]
            saturation = None if pd.isna(saturation) else float(saturation)
        elif curve["is_current_spend"].fillna(False).astype(bool).any():
            current = float(curve.loc[curve["is_current_spend"].fillna(False).astype(bool), "weekly_spend"].iloc[0])
        name = label(channel, labels)
        caption = f"**{name}**: current {fmt.money(current)} per week; saturation {saturation_note(curve, current, saturation)}."
        out.append(Panel(channel, name, curve, current, saturation, caption))
    return out


def _parameter_value(parameter: str, value: object) -> str:
    return fmt.money(value) if parameter in MONEY_PARAMETERS else fmt.number(value)


def parameters_table(parameters: pd.DataFrame, channels: list[str], labels: dict[str, str]) -> pd.DataFrame:
    """The curve parameters of `channels` (one market's fct_fit_parameters), estimate with interval,
    channels in the given order, parameters in the order of PARAMETERS."""
    rows = parameters[parameters["channel"].isin(channels) & parameters["parameter"].isin(list(PARAMETERS))]
    rank = {p: i for i, p in enumerate(PARAMETERS)}
    order = {c: i for i, c in enumerate(channels)}
    rows = rows.assign(_c=rows["channel"].map(order), _p=rows["parameter"].map(rank)).sort_values(["_c", "_p"])
    return pd.DataFrame(
        {
            "Channel": rows["channel"].map(lambda c: label(c, labels)),
            "Parameter": rows["parameter"].map(PARAMETERS),
            "Estimate": [_parameter_value(p, v) for p, v in zip(rows["parameter"], rows["estimate"])],
            "Interval": [
                f"{_parameter_value(p, lo)} – {_parameter_value(p, hi)}"
                for p, lo, hi in zip(rows["parameter"], rows["lower"], rows["upper"])
            ],
            "Name in fct_fit_parameters": rows["parameter"],
        }
    ).reset_index(drop=True)
