"""Helpers shared by the package tests."""

import pandas as pd

from mmm.demo import CHANNELS


def long_input(truths: dict) -> pd.DataFrame:
    frames = []
    for market, t in truths.items():
        w = t.weekly_frame()
        for col in w.columns.drop("week_start_date"):
            if col == "revenue":
                kind, name = "revenue", "revenue"
            elif col.startswith("spend_"):
                kind, name = "spend", col.removeprefix("spend_")
            elif col == "holiday_count":
                kind, name = "holiday", col
            else:
                kind, name = "control", col
            frames.append(pd.DataFrame({"market": market, "week_start_date": w["week_start_date"].dt.date,
                                        "variable_type": kind, "variable_name": name, "value": w[col]}))
    return pd.concat(frames, ignore_index=True)


def settings_frame() -> pd.DataFrame:
    return pd.DataFrame([dict(channel=c.name, display_name=c.display_name, adstock_kind="geometric", max_lag=c.max_lag,
                              saturation_kind="hill", min_budget_multiplier=0.5, max_budget_multiplier=2.0,
                              roi_prior_median=1.0, roi_prior_sigma=1.0) for c in CHANNELS])
