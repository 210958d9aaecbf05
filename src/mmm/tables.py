"""From the dbt model input to fitted markets and the output tables: what the dbt Python models call.

Flow: ``fit_markets`` fits each market once and returns the ``mmm_fit`` table, one row per market with
its ``FitResult`` as JSON (schema version and input fingerprint in their own columns).
``load_fitted_markets`` restores those results against the current input (refusing a stale or
foreign one) and every ``*_table`` function derives one output table from the restored markets. All
money is in the reporting currency.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

import mmm
from mmm import analysis as an
from mmm.analysis import FittedModel
from mmm.checks import CHECK_COLUMNS, InsufficientDataError
from mmm.engine import fit_market
from mmm.fit import FitConfig, MarketData
from mmm.model import ChannelSpec
from mmm.optimize import (
    evaluate_allocation_draws,
    max_budget_for_target_mroi,
    min_budget_for_target_revenue,
    optimize_allocation,
)
from mmm.results import SCHEMA_VERSION, FitResult
from mmm.settings import RunSettings

FIT_COLUMNS = ["market", "status", "message", "n_weeks", "fit_seconds", "schema_version", "input_fingerprint",
               "fit_result_json", "package_version", "channel_priors_json"]


def _single_thread():
    return threadpool_limits(limits=1, user_api="blas")


def channel_specs(channel_settings: pd.DataFrame) -> list[ChannelSpec]:
    """ChannelSpec per row of int_channel_settings (a bad kind raises, naming the channel and the allowed kinds)."""
    specs = []
    for r in channel_settings.sort_values("channel").itertuples():
        median = float(r.roi_prior_median) if pd.notna(r.roi_prior_median) else None
        sigma = float(r.roi_prior_sigma) if pd.notna(r.roi_prior_sigma) else 1.0
        specs.append(ChannelSpec(str(r.channel), str(r.adstock_kind), int(r.max_lag), str(r.saturation_kind), median, sigma))
    return specs


def market_data(model_input: pd.DataFrame, market: str, lift_tests: pd.DataFrame | None = None) -> MarketData:
    """Pivot the long model input of one market into the engine's MarketData."""
    rows = model_input[model_input["market"] == market]
    wide = rows.pivot_table(index="week_start_date", columns=["variable_type", "variable_name"], values="value",
                            aggfunc="sum").sort_index()
    weeks = pd.DatetimeIndex(pd.to_datetime(wide.index))

    def block(kind: str) -> pd.DataFrame | None:
        if kind not in wide.columns.get_level_values(0):
            return None
        frame = wide[kind].reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        return frame.sort_index(axis=1)

    revenue = block("revenue")
    if revenue is None:
        raise InsufficientDataError(f"market {market} has no revenue rows in mmm_model_input")
    spend = block("spend")
    holidays = block("holiday")
    tests = None
    if lift_tests is not None and len(lift_tests):
        lt = lift_tests[lift_tests["market"] == market]
        tests = pd.DataFrame({"experiment_id": lt["experiment_id"], "channel": lt["channel"],
                              "start_week": pd.to_datetime(lt["start_week_start_date"]),
                              "end_week": pd.to_datetime(lt["end_week_start_date"]),
                              "lift": lt["incremental_revenue"].astype(float),
                              "lift_se": lt["incremental_revenue_se"].astype(float)})
    return MarketData(weeks, revenue["revenue"].to_numpy(dtype=float),
                      spend if spend is not None else pd.DataFrame(index=range(len(weeks))),
                      block("control"), None if holidays is None else holidays.iloc[:, 0].to_numpy(dtype=float), tests)


def channel_priors_json(specs: list[ChannelSpec]) -> str:
    """The per-channel priors (ChannelSpec.priors) a market was fitted with, as JSON ('{}' when none)."""
    return json.dumps({s.name: {k: list(v) for k, v in sorted(s.priors.items())} for s in specs if s.priors},
                      sort_keys=True)


def with_channel_priors(specs: list[ChannelSpec], stored: str | None) -> list[ChannelSpec]:
    """``specs`` with the per-channel priors recorded by ``channel_priors_json`` (e.g. a refresh prior)."""
    priors = json.loads(stored) if isinstance(stored, str) and stored else {}
    return [replace(s, priors={**s.priors, **{k: tuple(v) for k, v in priors.get(s.name, {}).items()}}) for s in specs]


def fit_markets(model_input: pd.DataFrame, channel_settings: pd.DataFrame, lift_tests: pd.DataFrame | None,
                sufficiency: pd.DataFrame | None, settings: RunSettings,
                market_specs: Callable[[str, MarketData, list[ChannelSpec]], list[ChannelSpec]] | None = None) -> pd.DataFrame:
    """Fit every market once: the ``mmm_fit`` table (FIT_COLUMNS), one row per market.

    A market that fails a data-sufficiency check, or cannot be fitted, gets a row with status
    'not_fitted' and the reason instead of a fit. If no market can be fitted, the modeling step stops
    with the reasons. ``market_specs(market, data, specs)`` may return the market's channels with their
    own priors (the refresh from a previous run, mmm.refresh); those priors are recorded in
    ``channel_priors_json`` so the fit can be restored and checked against its input.
    """
    config, specs = FitConfig.from_settings(settings), channel_specs(channel_settings)
    rows = []
    for market in sorted(model_input["market"].unique()):
        failed = None
        if sufficiency is not None and len(sufficiency):
            bad = sufficiency[(sufficiency["market"] == market) & (sufficiency["status"] == "fail")]
            if len(bad):
                failed = "; ".join(bad["message"].astype(str))
        n_weeks = int(model_input.loc[model_input.market == market, "week_start_date"].nunique())
        result, fitted_specs = None, specs
        if failed is None:
            try:
                data = market_data(model_input, market, lift_tests)
                fitted_specs = market_specs(market, data, specs) if market_specs is not None else specs
                result = fit_market(data, fitted_specs, config, market)
            except InsufficientDataError as exc:
                failed = str(exc)
        rows.append(dict(market=market, status="fitted" if result else "not_fitted",
                         message=f"market {market} was not fitted: {failed}" if failed else "", n_weeks=n_weeks,
                         fit_seconds=result.fit_seconds if result else math.nan,
                         schema_version=SCHEMA_VERSION, input_fingerprint=result.input_fingerprint if result else None,
                         fit_result_json=result.to_json() if result else None, package_version=mmm.__version__,
                         channel_priors_json=channel_priors_json(fitted_specs) if result else None))
    out = pd.DataFrame(rows, columns=FIT_COLUMNS)
    if len(out) == 0 or (out["status"] != "fitted").all():
        reasons = "; ".join(out["message"]) or "mmm_model_input has no rows"
        raise InsufficientDataError(f"No market could be modeled. {reasons}")
    return out


def load_fitted_markets(fit_table: pd.DataFrame, model_input: pd.DataFrame, channel_settings: pd.DataFrame,
                        lift_tests: pd.DataFrame | None, settings: RunSettings) -> dict[str, FittedModel]:
    """Restore every fitted market of ``mmm_fit`` against the current input, without optimising.

    Refuses (StaleFitError) a result written by another schema version, or one whose input fingerprint
    differs from that of the current model input, lift tests, channel settings and fit settings (with the
    per-channel priors the fit recorded in ``channel_priors_json``, e.g. a refresh prior).
    """
    config, specs = FitConfig.from_settings(settings), channel_specs(channel_settings)
    fits = {}
    with _single_thread():
        for r in fit_table[fit_table["status"] == "fitted"].itertuples():
            result = FitResult.from_json(r.fit_result_json)
            data = market_data(model_input, r.market, lift_tests)
            result.verify_input(data, with_channel_priors(specs, getattr(r, "channel_priors_json", None)), config)
            fits[r.market] = FittedModel.from_result(result, data)
    return fits


def _per_market(fits: Mapping[str, FittedModel], table, columns: list[str]) -> pd.DataFrame:
    frames = []
    with _single_thread():
        for market, fm in fits.items():
            frame = table(fm)
            frame.insert(0, "market", market)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["market", *columns])


def fit_parameters_table(fits: Mapping[str, FittedModel]) -> pd.DataFrame:
    return _per_market(fits, an.parameters, an.PARAMETER_COLUMNS)


def fitted_revenue_table(fits: Mapping[str, FittedModel]) -> pd.DataFrame:
    return _per_market(fits, an.fitted_revenue, [])


def contributions_table(fits: Mapping[str, FittedModel]) -> pd.DataFrame:
    return _per_market(fits, an.contributions, [])


def with_display_names(text: str, names: Mapping[str, str]) -> str:
    """Replace channel codes (whole words) in a sentence by their display names: 'ooh' -> 'Out of home'."""
    if not isinstance(text, str) or not text or not names:
        return text
    pattern = re.compile(r"\b(" + "|".join(re.escape(c) for c in sorted(names, key=len, reverse=True)) + r")\b")
    return pattern.sub(lambda m: names[m.group(1)], text)


def _display_names(channel_settings: pd.DataFrame | None) -> dict[str, str]:
    if channel_settings is None or len(channel_settings) == 0:
        return {}
    return {str(c): str(d) for c, d in zip(channel_settings["channel"], channel_settings["display_name"])
            if isinstance(d, str) and d and d != c}


def channel_summary_table(fits: Mapping[str, FittedModel], channel_settings: pd.DataFrame,
                          settings: RunSettings) -> pd.DataFrame:
    out = _per_market(fits, lambda fm: an.channel_summary(fm, settings.allocation_lookback_weeks), [])
    names = channel_settings.set_index("channel")["display_name"]
    out.insert(2, "display_name", out["channel"].map(names).fillna(out["channel"]))
    display = _display_names(channel_settings)
    out["warnings"] = [with_display_names(w, display) for w in out["warnings"]]
    return out


def response_curves_table(fits: Mapping[str, FittedModel], settings: RunSettings) -> pd.DataFrame:
    return _per_market(fits, lambda fm: an.response_curves(fm, settings.allocation_lookback_weeks), [])


def lift_test_calibration_table(fits: Mapping[str, FittedModel], lift_tests: pd.DataFrame | None) -> pd.DataFrame:
    """Measured vs predicted lift per test (always with start_date/end_date, also when there are no tests)."""
    out = _per_market(fits, an.lift_test_calibration, an.LIFT_COLUMNS)
    if lift_tests is not None and len(out):
        dates = lift_tests.set_index("experiment_id")[["start_date", "end_date"]]
        return out.join(dates, on="experiment_id")
    return out.assign(start_date=pd.Series(dtype="datetime64[ns]"), end_date=pd.Series(dtype="datetime64[ns]"))


def model_checks_table(fits: Mapping[str, FittedModel], fit_table: pd.DataFrame, channel_settings: pd.DataFrame | None,
                       settings: RunSettings) -> pd.DataFrame:
    """Every engine check of every fitted market (mmm.checks schema), plus a 'fail' row per market not fitted."""
    out = _per_market(fits, lambda fm: an.model_checks(fm, settings.allocation_lookback_weeks), CHECK_COLUMNS)
    display = _display_names(channel_settings)
    out["message"] = [with_display_names(m, display) for m in out["message"]]
    skipped = fit_table[fit_table["status"] != "fitted"]
    rows = [dict(market=r.market, check_name="market_not_fitted", channel="", category="input", value=float(r.n_weeks),
                 threshold=np.nan, status="fail", message=r.message) for r in skipped.itertuples()]
    return pd.concat([out, pd.DataFrame(rows, columns=out.columns)], ignore_index=True) if rows else out


# ------------------------------------------------------------------ budget allocation


def _bounds(fm: FittedModel, channel_settings: pd.DataFrame, settings: RunSettings) -> tuple[np.ndarray, ...]:
    """Current weekly spend and the allocation's bounds; a channel too new to estimate keeps its spend."""
    cfg = channel_settings.set_index("channel")
    current = an.current_weekly_spend(fm, settings.allocation_lookback_weeks)
    lo = np.array([_setting(cfg, c, "min_budget_multiplier", settings.optimizer_min_multiplier) for c in fm.channels])
    hi = np.array([_setting(cfg, c, "max_budget_multiplier", settings.optimizer_max_multiplier) for c in fm.channels])
    checks = fm.result.checks
    too_new = set(checks.loc[(checks["check_name"] == "channel_too_new") & (checks["status"] != "ok"), "channel"])
    fixed = np.array([c in too_new for c in fm.channels])
    lo, hi = np.where(fixed, 1.0, lo), np.where(fixed, 1.0, hi)
    return current, current * lo, current * hi


def _setting(cfg: pd.DataFrame, channel: str, column: str, default: float) -> float:
    if channel in cfg.index and pd.notna(cfg.loc[channel, column]):
        return float(cfg.loc[channel, column])
    return float(default)


def _market_value(value, market: str):
    """A setting given as one number or as {market: number}; None when not set for ``market``."""
    if isinstance(value, Mapping):
        return value.get(market)
    return value


def optimal_allocation_table(fits: Mapping[str, FittedModel], channel_settings: pd.DataFrame,
                             settings: RunSettings) -> pd.DataFrame:
    """Optimal weekly allocation per market (or jointly over markets when budget_weekly is one number).

    Defaults: current = mean weekly spend of the trailing lookback weeks; budget = sum of current;
    bounds = multipliers of current from channel_config (else the optimizer_*_multiplier vars). The
    optimizer maximises posterior expected revenue (the mean over the draws).
    """
    budget_setting = settings.budget_weekly
    joint = budget_setting is not None and not isinstance(budget_setting, Mapping)
    groups = [list(fits)] if joint else [[m] for m in fits]
    frames = []
    with _single_thread():
        for markets in groups:
            members = [(m, ci) for m in markets for ci in range(len(fits[m].channels))]
            current, lower, upper = (np.concatenate(parts) for parts in
                                     zip(*[_bounds(fits[m], channel_settings, settings) for m in markets]))
            budget = _market_value(budget_setting, markets[0]) if not joint else budget_setting
            budget = current.sum() if budget is None else float(budget)
            draws = [an.response(fits[m], ci, with_draws=True) for m, ci in members]
            result = optimize_allocation(draws, current, lower, upper, budget, seed=settings.random_seed)
            ev = evaluate_allocation_draws(draws, result.optimal, level=settings.interval_level)
            frames.append(pd.DataFrame({
                "market": [m for m, _ in members], "channel": [fits[m].channels[ci] for m, ci in members],
                "current_weekly_spend": current, "optimal_weekly_spend": result.optimal,
                "min_weekly_spend": lower, "max_weekly_spend": upper,
                "expected_revenue_current": result.revenue_current, "expected_revenue_optimal": result.revenue_optimal,
                "expected_revenue_optimal_lower": np.minimum(ev.channel_lower, result.revenue_optimal),
                "expected_revenue_optimal_upper": np.maximum(ev.channel_upper, result.revenue_optimal),
                "change_pct": result.change_pct, "binding_constraint": list(result.binding),
                "weekly_budget": result.budget, "is_joint_over_markets": joint,
                "optimizer_message": result.message, "optimizer_success": result.success}))
    return pd.concat(frames, ignore_index=True)


TARGET_COLUMNS = ["market", "mode", "target", "feasible", "weekly_budget", "achieved", "channel", "weekly_spend",
                  "expected_weekly_revenue", "message"]


def target_budget_table(fits: Mapping[str, FittedModel], channel_settings: pd.DataFrame,
                        settings: RunSettings) -> pd.DataFrame:
    """Target modes (vars target_revenue_weekly / target_mroi): the budget that meets each target per market."""
    rows = []
    with _single_thread():
        for market, fm in fits.items():
            _, lower, upper = _bounds(fm, channel_settings, settings)
            draws = an.responses(fm, with_draws=True)  # expected revenue = mean over the draws
            for mode, target, solve in (("target_revenue", settings.target_revenue_weekly, min_budget_for_target_revenue),
                                        ("target_mroi", settings.target_mroi, max_budget_for_target_mroi)):
                target = _market_value(target, market)
                if target is None:
                    continue
                res = solve(draws, lower, upper, float(target))
                for ci, ch in enumerate(fm.channels):
                    rows.append(dict(market=market, mode=mode, target=float(target), feasible=res.feasible,
                                     weekly_budget=res.budget, achieved=res.achieved, channel=ch,
                                     weekly_spend=res.allocation.optimal[ci],
                                     expected_weekly_revenue=res.allocation.revenue_optimal[ci], message=res.message))
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


SCENARIO_COLUMNS = ["scenario_name", "market", "description", "spend_change", "revenue_change", "revenue_change_lower",
                    "revenue_change_upper", "revenue_change_per_spend_change", "message"]


def scenarios_table(fits: Mapping[str, FittedModel], scenarios: pd.DataFrame | None, settings: RunSettings) -> pd.DataFrame:
    """Predicted weekly revenue change of each budget scenario (seed budget_scenarios), with an interval.

    Each scenario row changes one channel's current weekly spend by ``change_value``: an amount
    (change_type 'absolute') or a percentage ('percent'); a scenario may span several rows (e.g. move
    50,000 from tv to search). Spend never goes below zero. Rows naming an unknown market or channel
    are reported in ``message`` and the scenario is not evaluated for that market.
    """
    rows = []
    if scenarios is None or len(scenarios) == 0:
        return pd.DataFrame(columns=SCENARIO_COLUMNS)
    sc = scenarios.copy()
    sc["market"] = sc["market"].astype(str).str.strip().str.lower()
    sc["channel"] = sc["channel"].astype(str).str.strip().str.lower()
    with _single_thread():
        for (name, market), g in sc.groupby(["scenario_name", "market"], sort=True):
            description = "; ".join(dict.fromkeys(g["description"].dropna().astype(str)))
            if market not in fits:
                rows.append(dict(scenario_name=name, market=market, description=description,
                                 message=f"market '{market}' has no fitted model; scenario not evaluated"))
                continue
            fm = fits[market]
            unknown = sorted(set(g["channel"]) - set(fm.channels))
            if unknown:
                rows.append(dict(scenario_name=name, market=market, description=description,
                                 message=f"unknown channel(s) {', '.join(unknown)} in market {market}; scenario not evaluated"))
                continue
            current = an.current_weekly_spend(fm, settings.allocation_lookback_weeks)
            new = current.copy()
            for r in g.itertuples():
                ci = fm.channels.index(r.channel)
                kind = str(r.change_type).strip().lower()
                if kind == "percent":
                    new[ci] = new[ci] * (1 + float(r.change_value) / 100.0)
                elif kind == "absolute":
                    new[ci] = new[ci] + float(r.change_value)
                else:
                    raise ValueError(f"budget_scenarios: scenario '{name}' row for {r.channel} has change_type "
                                     f"'{r.change_type}'; expected 'absolute' or 'percent'")
            clipped = (new < 0).any()
            new = np.maximum(new, 0.0)
            ev = evaluate_allocation_draws(an.responses(fm, with_draws=True), new, level=settings.interval_level,
                                           baseline=current)
            point = ev.change_mean  # expected (posterior-mean) change
            spend_change = float(new.sum() - current.sum())
            rows.append(dict(scenario_name=name, market=market, description=description, spend_change=spend_change,
                             revenue_change=point, revenue_change_lower=min(ev.change_lower, point),
                             revenue_change_upper=max(ev.change_upper, point),
                             revenue_change_per_spend_change=point / spend_change if abs(spend_change) > 1e-9 else np.nan,
                             message="spend would go below zero for some channel; clipped at zero" if clipped else ""))
    return pd.DataFrame(rows, columns=SCENARIO_COLUMNS)
