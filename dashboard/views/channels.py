"""Channels: warnings in plain words, ROI intervals straddling 1, the channel table."""

from __future__ import annotations

import pandas as pd

from dashboard import formatting as fmt
from dashboard.views.common import with_labels


def ordered(summary: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """One market's fct_channel_summary with display names, biggest spend first."""
    return with_labels(summary, labels).sort_values("spend", ascending=False, kind="stable").reset_index(drop=True)


def warnings(summary: pd.DataFrame) -> list[tuple[list[str], str]]:
    """(channels, sentence) per distinct warning. A warning is kept whole: it may itself contain '; '
    ("search and social move together; their split is uncertain"), and the same text often sits on two
    channels, so it is shown once naming both. `summary` needs the `label` column (``ordered``)."""
    sentences: dict[str, list[str]] = {}
    for text, name in zip(summary["warnings"], summary["label"]):
        text = "" if pd.isna(text) else str(text).strip().rstrip(".")
        if text:
            sentences.setdefault(text, []).append(name)
    return [(names, sentence) for sentence, names in sentences.items()]


def warning_sentence(channels: list[str], sentence: str) -> str:
    return f"**{' and '.join(channels)}**: {sentence[:1].upper() + sentence[1:]}."


def uncertain_payback(summary: pd.DataFrame, warned: set[str]) -> list[str]:
    """A note per channel without a warning whose ROI interval straddles 1 (the data cannot tell whether
    it pays back); a channel with a warning already has it said."""
    notes = []
    for _, row in summary[~summary["label"].isin(warned)].iterrows():
        if pd.notna(row["roi_lower"]) and pd.notna(row["roi_upper"]) and row["roi_lower"] < 1 < row["roi_upper"]:
            notes.append(
                f"**{row['label']}**: the data cannot tell whether it pays back; each $1 returns between "
                f"${row['roi_lower']:.2f} and ${row['roi_upper']:.2f}."
            )
    return notes


def channel_table(summary: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Channel": summary["label"],
            "Spend": summary["spend"].map(fmt.money),
            "Contribution": summary["contribution"].map(fmt.money),
            "Contribution interval": [
                fmt.money_range(lo, hi) for lo, hi in zip(summary["contribution_lower"], summary["contribution_upper"])
            ],
            "ROI": summary["roi"].map(fmt.ratio),
            "ROI interval": [f"{fmt.ratio(lo)} – {fmt.ratio(hi)}" for lo, hi in zip(summary["roi_lower"], summary["roi_upper"])],
            "Marginal ROI": summary["mroi"].map(fmt.ratio),
            "Spend share": summary["spend_share"].map(fmt.share),
            "Contribution share": summary["contribution_share"].map(fmt.share),
            "Current weekly spend": summary["current_weekly_spend"].map(fmt.money),
        }
    )
