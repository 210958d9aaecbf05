"""The planning step's tables: what the dbt Python models of the planner and the plan forecast call.

* ``PlanningSettings``: the planning vars (``plan_*``, ``experiment_*``) as the SQL model
  ``mmm_planning_settings`` writes them (the dbt Python models cannot call ``var()``).
* ``plan_tables``: per fitted market, the plans forecast week by week (``mmm.plan_forecast``):

  - ``spend_plan``: the user's plan (seed ``spend_plan``, converted to the reporting currency by
    ``mmm_spend_plan``), when it has weeks after the market's last modeled week;
  - ``current_spend``: every channel held at its current weekly spend (mean of the last
    ``allocation_lookback_weeks`` weeks) over the same weeks: the reference "change nothing";
  - ``optimized``: the quarter budget (var ``plan_budget``; default the spend plan's total, else the
    current plan's) spread over the same weeks and channels by ``optimize_plan``, within the allocation's
    bounds (``channel_config`` multipliers of current spend, every week);
  - ``target_growth`` (when var ``plan_target_growth`` is set): the smallest budget whose optimized plan's
    expected revenue reaches (1 + growth) x the actual revenue of the same weeks a year earlier.

  The horizon is the spend plan's weeks (from the week after the last modeled week to its last week; a week
  the plan leaves out keeps current spend, and says so), else var ``plan_horizon_weeks``.
* ``experiment_plan_table`` and ``experiment_validation_table``: thin wrappers of ``mmm.experiment_plan`` and
  ``mmm.experiment_validation``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from mmm.analysis import FittedModel
from mmm.experiment_plan import ExperimentSettings, experiment_plan
from mmm.experiment_validation import experiment_validation
from mmm.plan_forecast import (
    FutureInputs,
    MediaDraws,
    PlanForecast,
    forecast_plan,
    hold_current_spend,
    next_weeks,
    optimize_plan,
)
from mmm.settings import RunSettings
from mmm.tables import allocation_bounds
from mmm.threads import single_thread_blas

Budget = float | dict[str, float] | None
YEAR = pd.Timedelta(weeks=52)


@dataclass(frozen=True)
class PlanningSettings:
    """The planning vars (README "Configuration"; defaults equal dbt_project.yml, a test keeps them so)."""

    plan_horizon_weeks: int = 13
    plan_budget: Budget = None
    plan_target_growth: float | None = None
    experiment_target_power: float = 0.8
    experiment_significance_level: float = 0.05
    experiment_max_weeks: int = 12
    experiment_max_spend_multiplier: float = 3.0

    def __post_init__(self) -> None:
        if int(self.plan_horizon_weeks) < 1:
            raise ValueError(f"plan_horizon_weeks must be at least 1, got {self.plan_horizon_weeks}")
        if self.plan_target_growth is not None and not self.plan_target_growth > -1:
            raise ValueError(f"plan_target_growth must be above -1 (a share: 0.15 = +15%), got {self.plan_target_growth}")
        self.experiments(13)  # validates the experiment settings

    def experiments(self, lookback_weeks: int) -> ExperimentSettings:
        return ExperimentSettings(self.experiment_target_power, self.experiment_significance_level,
                                  int(self.experiment_max_weeks), float(self.experiment_max_spend_multiplier),
                                  int(lookback_weeks))

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> PlanningSettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw or {}) - known)
        if unknown:
            raise ValueError(f"unknown planning setting(s) {unknown}; known: {sorted(known)}")
        values = {}
        for name, value in (raw or {}).items():
            value = _parse(value)
            if value is None:
                continue
            if name in ("plan_horizon_weeks", "experiment_max_weeks"):
                value = int(value)
            elif isinstance(value, Mapping):
                value = {str(k): float(v) for k, v in value.items() if v is not None}
            else:
                value = float(value)
            values[name] = value
        return cls(**values)

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> PlanningSettings:
        """From ``mmm_planning_settings`` (setting_name, setting_value as JSON text)."""
        return cls.from_mapping(dict(zip(table["setting_name"], table["setting_value"])))


def _parse(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("", "none", "null"):
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return json.loads(text.replace("'", '"'))
    return value


def _market_value(value, market: str):
    return value.get(market) if isinstance(value, Mapping) else value


# ---------------------------------------------------------------------- plan inputs


@dataclass
class MarketPlanInputs:
    """One market's future weeks, its spend plan (None when it has none) and notes about the plan rows."""

    weeks: pd.DatetimeIndex
    spend_plan: pd.DataFrame | None
    controls: pd.DataFrame | None
    holiday_count: np.ndarray
    notes: list[str]


def market_plan_inputs(fm: FittedModel, spend_plan: pd.DataFrame | None, control_plan: pd.DataFrame | None,
                       holidays: pd.DataFrame | None, run: RunSettings, horizon: int) -> MarketPlanInputs:
    """The future weeks and inputs of one market from the planning models' rows (see ``plan_tables``)."""
    market, last = fm.market, pd.Timestamp(fm.data.weeks[-1])
    notes: list[str] = []
    rows = _rows(spend_plan, market)
    plan = None
    if len(rows):
        unconverted = int(rows["unconverted_rows"].sum())
        if unconverted:
            notes.append(f"{unconverted} spend plan row(s) have a currency without an FX rate and are left out")
        past = rows[rows["week_start_date"] <= last]
        if len(past):
            notes.append(f"{past['week_start_date'].nunique()} planned week(s) up to {last:%Y-%m-%d} are already "
                         "modeled and are left out")
        unknown = sorted(set(rows["channel"]) - set(fm.channels))
        if unknown:
            notes.append(f"channel(s) {', '.join(unknown)} are not modeled in {market}; their planned spend is left out")
        rows = rows[(rows["week_start_date"] > last) & rows["channel"].isin(fm.channels)]
    if len(rows):
        end = rows["week_start_date"].max()
        weeks = next_weeks(fm, int(round((end - last) / pd.Timedelta(days=7))))
        wide = rows.pivot_table(index="week_start_date", columns="channel", values="spend", aggfunc="sum")
        wide = wide.reindex(index=weeks, columns=fm.channels).astype(float)
        gaps = wide.isna().all(axis=1)
        current = hold_current_spend(fm, weeks, run.allocation_lookback_weeks).set_index(weeks)
        wide[gaps] = current[gaps]
        if gaps.any():
            notes.append(f"{int(gaps.sum())} week(s) without plan rows keep current spend: "
                         + ", ".join(f"{w:%Y-%m-%d}" for w in weeks[gaps.to_numpy()]))
        missing = [c for c in fm.channels if c not in set(rows["channel"])]
        if missing:
            notes.append(f"the plan has no spend for {', '.join(missing)}: planned at 0")
        plan = wide.fillna(0.0).reset_index(drop=True)
    else:
        weeks = next_weeks(fm, horizon)
    controls = None
    given = _rows(control_plan, market)
    if len(given) and fm.data.controls is not None:
        wide = given.pivot_table(index="week_start_date", columns="control", values="control_value", aggfunc="mean")
        wide = wide.reindex(index=weeks, columns=list(fm.data.controls.columns))
        if wide.notna().any().any():
            controls = wide.reset_index(drop=True)
    hol = _rows(holidays, market)
    counts = hol.set_index("week_start_date")["holiday_count"] if len(hol) else pd.Series(dtype=float)
    holiday_count = np.array([float(counts.get(w, 0.0)) for w in weeks])
    return MarketPlanInputs(weeks, plan, controls, holiday_count, notes)


def _rows(frame: pd.DataFrame | None, market: str) -> pd.DataFrame:
    if frame is None or len(frame) == 0:
        return pd.DataFrame(columns=["market", "week_start_date"])
    out = frame[frame["market"] == market].copy()
    out["week_start_date"] = pd.to_datetime(out["week_start_date"])
    return out


# ---------------------------------------------------------------------- the plan tables

CHANNEL_WEEK_COLUMNS = ["channel", "planned_spend", "min_weekly_spend", "max_weekly_spend", "expected_media_revenue"]
WEEK_COLUMNS = ["week_number", "week_planned_spend", "expected_revenue", "revenue_lower", "revenue_upper",
                "week_expected_media_revenue", "week_media_revenue_lower", "week_media_revenue_upper",
                "expected_carryover_revenue", "expected_baseline_revenue", "holiday_count", "revenue_same_week_last_year"]
PLAN_COLUMNS = ["first_week_start_date", "last_week_start_date", "n_weeks", "plan_planned_spend", "plan_expected_revenue",
                "plan_revenue_lower", "plan_revenue_upper", "plan_expected_media_revenue", "plan_media_revenue_lower",
                "plan_media_revenue_upper", "plan_expected_carryover_revenue", "revenue_change_vs_current",
                "revenue_change_vs_current_lower", "revenue_change_vs_current_upper", "revenue_same_weeks_last_year",
                "growth_vs_last_year", "target_growth", "is_target_reached", "message"]
PLAN_FORECAST_COLUMNS = ["market", "plan_name", "week_start_date", *CHANNEL_WEEK_COLUMNS, *WEEK_COLUMNS, *PLAN_COLUMNS]
PLAN_ORDER = ("spend_plan", "current_spend", "optimized", "target_growth")


def _last_year(fm: FittedModel, weeks: pd.DatetimeIndex) -> np.ndarray:
    actual = pd.Series(np.asarray(fm.data.revenue, dtype=float), index=pd.DatetimeIndex(fm.data.weeks))
    return np.array([float(actual.get(w - YEAR, np.nan)) for w in weeks])


def _future(inputs: MarketPlanInputs, spend: pd.DataFrame) -> FutureInputs:
    return FutureInputs(inputs.weeks, spend, inputs.controls, inputs.holiday_count)


@dataclass
class _Plan:
    name: str
    spend: pd.DataFrame
    forecast: PlanForecast
    notes: list[str]
    target: float | None = None
    reached: bool | None = None


def market_plans(fm: FittedModel, inputs: MarketPlanInputs, channel_settings: pd.DataFrame, run: RunSettings,
                 planning: PlanningSettings) -> list[_Plan]:
    """The plans of one market (``PLAN_ORDER``), each forecast on the same weeks with the same draws."""
    draws = MediaDraws(fm)
    lookback = run.allocation_lookback_weeks
    h = len(inputs.weeks)
    current, lower, upper = allocation_bounds(fm, channel_settings, run)
    lower_w, upper_w = np.tile(lower, (h, 1)), np.tile(upper, (h, 1))

    def forecast(spend: pd.DataFrame) -> PlanForecast:
        return forecast_plan(fm, _future(inputs, spend), lookback, draws)

    held = hold_current_spend(fm, inputs.weeks, lookback)
    plans = []
    if inputs.spend_plan is not None:
        plans.append(_Plan("spend_plan", inputs.spend_plan, forecast(inputs.spend_plan), list(inputs.notes)))
    plans.append(_Plan("current_spend", held, forecast(held),
                       [] if inputs.spend_plan is not None else list(inputs.notes)))
    reference = inputs.spend_plan if inputs.spend_plan is not None else held
    budget = _market_value(planning.plan_budget, fm.market)
    budget = float(reference.to_numpy().sum()) if budget is None else float(budget)
    start = reference.to_numpy(dtype=float)
    best = optimize_plan(draws, budget, lower_w, upper_w, start)
    spend = pd.DataFrame(best.spend, columns=fm.channels)
    notes = [f"the budget of {budget:,.0f} spread over {h} weeks within each channel's bounds"]
    if best.message:
        notes.append(best.message)
    plans.append(_Plan("optimized", spend, forecast(spend), notes))
    growth = planning.plan_target_growth
    if growth is not None:
        plans.append(_target_plan(fm, inputs, draws, forecast, lower_w, upper_w, start, float(growth)))
    return plans


def _target_plan(fm, inputs, draws, forecast, lower_w, upper_w, start, growth: float) -> _Plan:
    """The smallest budget whose optimized plan's expected revenue reaches (1 + growth) x last year's same weeks.

    Expected revenue rises with the budget (more spend never lowers a channel's revenue) and flattens as channels
    saturate, so the budget is found by regula falsi (Illinois) on [smallest, largest budget the bounds allow],
    each step an ``optimize_plan`` warm-started from the previous plan, until the revenue is within 0.1% of the
    target or the bracket within 0.5% of the bounds' range.
    """
    last_year = _last_year(fm, inputs.weeks)
    if not np.isfinite(last_year).all():
        held = pd.DataFrame(start, columns=fm.channels)
        return _Plan("target_growth", held, forecast(held),
                     ["not evaluated: some of the plan's weeks have no modeled week a year earlier to grow from"],
                     None, False)
    target = (1.0 + growth) * float(last_year.sum())
    warm = {"plan": start}

    def solve(budget: float) -> tuple[pd.DataFrame, PlanForecast, float]:
        best = optimize_plan(draws, budget, lower_w, upper_w, warm["plan"])
        warm["plan"] = best.spend
        spend = pd.DataFrame(best.spend, columns=fm.channels)
        fc = forecast(spend)
        return spend, fc, float(fc.expected.sum(axis=1).mean())

    lo, hi = float(lower_w.sum()), float(upper_w.sum())
    s_hi, fc_hi, r_hi = solve(hi)
    if r_hi < target:
        return _Plan("target_growth", s_hi, fc_hi,
                     [f"+{growth:.0%} on last year is out of reach within the channels' bounds: the largest budget they "
                      f"allow ({hi:,.0f}) is expected to bring {r_hi / float(last_year.sum()) - 1.0:+.1%}"], target, False)
    s_lo, fc_lo, r_lo = solve(lo)
    if r_lo >= target:
        return _Plan("target_growth", s_lo, fc_lo, [f"+{growth:.0%} on last year is reached at the smallest budget "
                                                    f"the bounds allow ({lo:,.0f})"], target, True)
    span, side = hi - lo, 0
    for _ in range(20):
        if hi - lo <= 0.005 * span or abs(r_hi - target) <= 1e-3 * target:
            break
        mid = hi - (r_hi - target) * (hi - lo) / (r_hi - r_lo)
        mid = min(max(mid, lo + 0.01 * (hi - lo)), hi - 0.01 * (hi - lo))
        s_mid, fc_mid, r_mid = solve(mid)
        if r_mid >= target:
            hi, s_hi, fc_hi, r_hi = mid, s_mid, fc_mid, r_mid
            r_lo = r_lo if side != 1 else target + (r_lo - target) / 2  # Illinois: halve the stale end
            side = 1
        else:
            lo, r_lo = mid, r_mid
            r_hi = r_hi if side != -1 else target + (r_hi - target) / 2
            side = -1
    return _Plan("target_growth", s_hi, fc_hi, [f"the smallest budget expected to bring +{growth:.0%} on last year's "
                                                f"same weeks: {float(s_hi.to_numpy().sum()):,.0f}"], target, True)


def plan_forecast_table(fits: Mapping[str, FittedModel], spend_plan: pd.DataFrame | None,
                        control_plan: pd.DataFrame | None, holidays: pd.DataFrame | None, channel_settings: pd.DataFrame,
                        run: RunSettings, planning: PlanningSettings) -> pd.DataFrame:
    """Every market's plans in one table (``PLAN_FORECAST_COLUMNS``), one row per plan, week and channel.

    Channel-level columns (``CHANNEL_WEEK_COLUMNS``) vary by row; the week's (``WEEK_COLUMNS``: the forecast of
    the week, all channels together) repeat over its channels and the plan's (``PLAN_COLUMNS``: totals over the
    plan's weeks, intervals of the sums per draw) over its rows, so one computation feeds the three public marts
    (fct_plan_allocation, fct_plan_forecast, fct_plan_summary), which select their grain from it.
    ``revenue_change_vs_current`` is per draw: the plan's expected revenue minus the current-spend plan's.
    """
    frames = []
    with single_thread_blas():
        for fm in fits.values():
            frames += market_plan_frames(fm, (spend_plan, control_plan, holidays, channel_settings, run, planning))
    return _plan_table(frames)


def plan_forecast_from_fits(fit_table: pd.DataFrame, model_input: pd.DataFrame, lift_tests: pd.DataFrame | None,
                            spend_plan: pd.DataFrame | None, control_plan: pd.DataFrame | None,
                            holidays: pd.DataFrame | None, channel_settings: pd.DataFrame, run: RunSettings,
                            planning: PlanningSettings, workers: int | None = None) -> pd.DataFrame:
    """``plan_forecast_table`` for the stored fits, each market restored once, in worker processes (both cores)."""
    from mmm.tables import map_fitted_markets

    extra = (spend_plan, control_plan, holidays, channel_settings, run, planning)
    done = map_fitted_markets(fit_table, model_input, channel_settings, lift_tests, run, market_plan_frames,
                              {m: extra for m in fit_table["market"]}, "mmm_plan_forecast", workers)
    return _plan_table([f for frames in done for f in frames])


def market_plan_frames(fm: FittedModel, extra: tuple) -> list[pd.DataFrame]:
    """One market's plans (rows of ``plan_forecast_table``)."""
    spend_plan, control_plan, holidays, channel_settings, run, planning = extra
    market = fm.market
    frames = []
    inputs = market_plan_inputs(fm, spend_plan, control_plan, holidays, run, planning.plan_horizon_weeks)
    plans = market_plans(fm, inputs, channel_settings, run, planning)
    _, lower, upper = allocation_bounds(fm, channel_settings, run)
    last_year = _last_year(fm, inputs.weeks)
    ly = float(last_year.sum()) if np.isfinite(last_year).all() else np.nan
    reference = next(p for p in plans if p.name == "current_spend").forecast.expected.sum(axis=1)
    n_weeks, n_channels = len(inputs.weeks), len(fm.channels)
    for plan in plans:
        fc = plan.forecast
        week = fc.weekly().rename(columns={
            "planned_spend": "week_planned_spend", "expected_media_revenue": "week_expected_media_revenue",
            "media_revenue_lower": "week_media_revenue_lower", "media_revenue_upper": "week_media_revenue_upper"})
        week["holiday_count"] = inputs.holiday_count
        week["revenue_same_week_last_year"] = last_year
        total = fc.total()
        change = fc.expected.sum(axis=1) - reference
        c_lo, c_hi = fc.interval(change)
        totals = dict(
            first_week_start_date=inputs.weeks[0], last_week_start_date=inputs.weeks[-1], n_weeks=n_weeks,
            **{f"plan_{k}": v for k, v in total.items()},
            revenue_change_vs_current=float(change.mean()),
            revenue_change_vs_current_lower=min(float(c_lo), float(change.mean())),
            revenue_change_vs_current_upper=max(float(c_hi), float(change.mean())),
            revenue_same_weeks_last_year=ly,
            growth_vs_last_year=total["expected_revenue"] / ly - 1.0 if ly > 0 else np.nan,
            target_growth=planning.plan_target_growth if plan.name == "target_growth" else np.nan,
            is_target_reached=plan.reached, message="; ".join(plan.notes))
        frame = pd.DataFrame({
            "market": market, "plan_name": plan.name,
            "week_start_date": np.repeat(inputs.weeks, n_channels), "channel": np.tile(fm.channels, n_weeks),
            "planned_spend": fc.spend.ravel(), "min_weekly_spend": np.tile(lower, n_weeks),
            "max_weekly_spend": np.tile(upper, n_weeks), "expected_media_revenue": fc.media.mean(axis=0).ravel()})
        frame = frame.join(week.drop(columns="week_start_date").set_index(np.arange(n_weeks)),
                           on=np.repeat(np.arange(n_weeks), n_channels))
        for k, v in totals.items():
            frame[k] = v
        frames.append(frame)
    return frames


def _plan_table(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=PLAN_FORECAST_COLUMNS)
    out = pd.concat(frames, ignore_index=True)[PLAN_FORECAST_COLUMNS]
    out["is_target_reached"] = out["is_target_reached"].astype("boolean")
    return out


def experiment_plan_table(fits: Mapping[str, FittedModel], run: RunSettings, planning: PlanningSettings) -> pd.DataFrame:
    with single_thread_blas():
        return experiment_plan(fits, planning.experiments(run.allocation_lookback_weeks))


def experiment_plan_from_fits(fit_table: pd.DataFrame, model_input: pd.DataFrame, channel_settings: pd.DataFrame,
                              lift_tests: pd.DataFrame | None, run: RunSettings, planning: PlanningSettings,
                              workers: int | None = None) -> pd.DataFrame:
    """``experiment_plan_table`` for the stored fits in two passes over worker processes (each market restored once
    per pass, never all at once): every market's weekly residuals, then each market's designs with the residuals of
    its control markets (``experiment_plan.choose_controls``). Linear in the number of markets."""
    from mmm import experiment_plan as ep
    from mmm.tables import map_fitted_markets

    fitted = fit_table.loc[fit_table["status"] == "fitted", "market"].tolist()
    residual = dict(zip(fitted, map_fitted_markets(fit_table, model_input, channel_settings, lift_tests, run, _residuals,
                                                   None, "mmm_experiment_plan (residuals)", workers)))
    settings = planning.experiments(run.allocation_lookback_weeks)
    controls = ep.all_controls(residual)
    extra = {m: (settings, {c: residual[c] for c in controls[m]}) for m in fitted}
    return ep.rank_plan(map_fitted_markets(fit_table, model_input, channel_settings, lift_tests, run, _market_plan, extra,
                                           "mmm_experiment_plan", workers))


def _residuals(fm: FittedModel, extra) -> pd.Series:
    from mmm.experiment_plan import residuals

    return residuals(fm)


def _market_plan(fm: FittedModel, extra: tuple) -> pd.DataFrame:
    from mmm.experiment_plan import market_experiment_plan

    settings, controls = extra
    return market_experiment_plan(fm, settings, controls)


def experiment_validation_table(fits: Mapping[str, FittedModel], lift_tests: pd.DataFrame | None) -> pd.DataFrame:
    with single_thread_blas():
        return experiment_validation(fits, lift_tests)

