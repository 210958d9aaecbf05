"""From the dbt model input to fitted markets and the output tables (the dbt Python models call these).

Flow: ``fit_markets`` fits each market once and returns one row per market with its state as JSON
(table ``mmm_fit_state``); every output model calls ``restore_fits`` on that table, which rebuilds the
fits without optimising again, then one ``*_table`` function. All money is in the reporting currency.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from contextlib import contextmanager

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from mmm.engine import InsufficientDataError, MarketFit, fit_market, restore_market
from mmm.fit import FitConfig, MarketData
from mmm.model import ChannelSpec
from mmm.optimize import (
    evaluate_allocation_draws,
    max_budget_for_target_mroi,
    min_budget_for_target_revenue,
    optimize_allocation,
)

DEFAULT_SETTINGS = {
    "holdout_weeks": 13, "interval_level": 0.9, "seasonality_order": 2, "random_seed": 20261122,
    "allocation_lookback_weeks": 13, "budget_weekly": None, "optimizer_min_multiplier": 0.5,
    "optimizer_max_multiplier": 2.0, "target_revenue_weekly": None, "target_mroi": None,
    "min_weeks_required": 52, "cv_folds": 3,
}


@contextmanager
def _single_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _parse(value):
    """dbt renders vars into configs as text; turn 'null', numbers and JSON back into Python values."""
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("", "none", "null"):
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            try:
                return json.loads(text.replace("'", '"'))
            except json.JSONDecodeError:
                return text
    return value


def run_settings(raw: Mapping | None) -> dict:
    """Run settings from dbt vars (passed through the model config), defaults filled in."""
    out = dict(DEFAULT_SETTINGS)
    for k, v in (raw or {}).items():
        out[k] = _parse(v)
    return out


def settings_from_table(table: pd.DataFrame) -> dict:
    """Run settings from the mmm_run_settings model (setting_name, setting_value as JSON text)."""
    return run_settings(dict(zip(table["setting_name"], table["setting_value"])))


def fit_config(settings: Mapping) -> FitConfig:
    return FitConfig(seasonality_order=int(settings["seasonality_order"]), holdout_weeks=int(settings["holdout_weeks"]),
                     interval_level=float(settings["interval_level"]), seed=int(settings["random_seed"]),
                     cv_folds=int(settings["cv_folds"]), cv_horizon=max(int(settings["holdout_weeks"]), 4))


def channel_specs(channel_settings: pd.DataFrame) -> list[ChannelSpec]:
    """ChannelSpec per row of int_channel_settings."""
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


def fit_markets(model_input: pd.DataFrame, channel_settings: pd.DataFrame, lift_tests: pd.DataFrame | None,
                sufficiency: pd.DataFrame | None, settings: Mapping) -> pd.DataFrame:
    """Fit every market; one row each: market, status ('fitted' / 'not_fitted'), message, state_json.

    A market that fails a data-sufficiency check, or cannot be fitted, gets a row with the reason
    instead of a fit. If no market can be fitted at all, the modeling step stops with the reasons.
    """
    settings = run_settings(settings)
    config, specs = fit_config(settings), channel_specs(channel_settings)
    rows = []
    for market in sorted(model_input["market"].unique()):
        failed = None
        if sufficiency is not None and len(sufficiency):
            bad = sufficiency[(sufficiency["market"] == market) & (sufficiency["status"] == "fail")]
            if len(bad):
                failed = "; ".join(bad["note"].astype(str))
        state, seconds, n_weeks = None, math.nan, int(model_input.loc[model_input.market == market, "week_start_date"].nunique())
        if failed is None:
            try:
                data = market_data(model_input, market, lift_tests)
                fit = fit_market(data, specs, config, market, int(settings["allocation_lookback_weeks"]))
                state, seconds = json.dumps(fit.state()), fit.fit_seconds
            except InsufficientDataError as exc:
                failed = str(exc)
        rows.append(dict(market=market, status="fitted" if state else "not_fitted",
                         message=f"market {market} was not fitted: {failed}" if failed else "",
                         n_weeks=n_weeks, fit_seconds=seconds, state_json=state))
    out = pd.DataFrame(rows, columns=["market", "status", "message", "n_weeks", "fit_seconds", "state_json"])
    if len(out) == 0 or (out["status"] != "fitted").all():
        reasons = "; ".join(out["message"]) or "mmm_model_input has no rows"
        raise InsufficientDataError(f"No market could be modeled. {reasons}")
    return out


_RESTORED: dict[tuple[str, int], MarketFit] = {}


def _content_hash(frame: pd.DataFrame | None) -> int:
    if frame is None or len(frame) == 0:
        return 0
    return int(pd.util.hash_pandas_object(frame.astype(str), index=False).sum())


def restore_fits(fit_state: pd.DataFrame, model_input: pd.DataFrame,
                 lift_tests: pd.DataFrame | None) -> dict[str, MarketFit]:
    """Rebuild every fitted market from mmm_fit_state (no optimisation).

    The output models of one build all restore the same fits; within a process the rebuilt fit (and
    its posterior draws) is reused when the state and the input are identical (keyed by their content),
    so the draws are computed once per build instead of once per table.
    """
    fits = {}
    inputs_key = hash((_content_hash(model_input), _content_hash(lift_tests)))
    with _single_thread():
        for r in fit_state[fit_state["status"] == "fitted"].itertuples():
            key = (r.state_json, inputs_key)
            if key not in _RESTORED:
                if len(_RESTORED) > 32:
                    _RESTORED.clear()
                _RESTORED[key] = restore_market(json.loads(r.state_json), market_data(model_input, r.market, lift_tests))
            fits[r.market] = _RESTORED[key]
    return fits


def _per_market(fits: Mapping[str, MarketFit], method: str, columns: list[str] | None = None) -> pd.DataFrame:
    frames = []
    with _single_thread():
        for market, fit in fits.items():
            frame = getattr(fit, method)()
            frame.insert(0, "market", market)
            frames.append(frame)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["market"] + (columns or []))
    return out


def fit_parameters_table(fits) -> pd.DataFrame:
    return _per_market(fits, "parameters")


def fitted_table(fits) -> pd.DataFrame:
    return _per_market(fits, "fitted")


def contributions_table(fits) -> pd.DataFrame:
    return _per_market(fits, "contributions")


def with_display_names(text: str, names: Mapping[str, str]) -> str:
    """Replace channel codes (whole words) in a sentence by their display names: 'ooh' -> 'Out of home'."""
    if not isinstance(text, str) or not text:
        return text
    pattern = re.compile(r"\b(" + "|".join(re.escape(c) for c in sorted(names, key=len, reverse=True)) + r")\b")
    return pattern.sub(lambda m: names[m.group(1)], text) if names else text


def _display_names(channel_settings: pd.DataFrame | None) -> dict[str, str]:
    if channel_settings is None or len(channel_settings) == 0:
        return {}
    return {str(c): str(d) for c, d in zip(channel_settings["channel"], channel_settings["display_name"])
            if isinstance(d, str) and d and d != c}


def channel_summary_table(fits, channel_settings: pd.DataFrame) -> pd.DataFrame:
    out = _per_market(fits, "channel_summary")
    names = channel_settings.set_index("channel")["display_name"]
    out.insert(2, "display_name", out["channel"].map(names).fillna(out["channel"]))
    display = _display_names(channel_settings)
    out["warnings"] = [with_display_names(w, display) for w in out["warnings"]]
    return out


def response_curves_table(fits) -> pd.DataFrame:
    return _per_market(fits, "response_curves")


def lift_test_calibration_table(fits, lift_tests: pd.DataFrame | None) -> pd.DataFrame:
    """Measured vs predicted lift per test (always with start_date/end_date, also when there are no tests)."""
    out = _per_market(fits, "lift_test_calibration")
    if lift_tests is not None and len(out):
        dates = lift_tests.set_index("experiment_id")[["start_date", "end_date"]]
        return out.join(dates, on="experiment_id")
    return out.assign(start_date=pd.Series(dtype="datetime64[ns]"), end_date=pd.Series(dtype="datetime64[ns]"))


def diagnostics_table(fits, fit_state: pd.DataFrame, channel_settings: pd.DataFrame | None = None) -> pd.DataFrame:
    """Diagnostics of fitted markets, plus a 'fail' row for each market that could not be fitted."""
    out = _per_market(fits, "diagnostics")
    display = _display_names(channel_settings)
    if len(out):
        out["note"] = [with_display_names(n, display) for n in out["note"]]
    skipped = fit_state[fit_state["status"] != "fitted"]
    rows = [dict(market=r.market, metric="market_not_fitted", value=float(r.n_weeks), threshold=np.nan,
                 status="fail", note=r.message) for r in skipped.itertuples()]
    return pd.concat([out, pd.DataFrame(rows)], ignore_index=True) if rows else out


# ------------------------------------------------------------------ budget allocation

def _bounds(fit: MarketFit, channel_settings: pd.DataFrame, settings: Mapping) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cfg = channel_settings.set_index("channel")
    current = fit.current_weekly_spend()
    lo_mult = np.array([_setting(cfg, c, "min_budget_multiplier", settings["optimizer_min_multiplier"]) for c in fit.channels])
    hi_mult = np.array([_setting(cfg, c, "max_budget_multiplier", settings["optimizer_max_multiplier"]) for c in fit.channels])
    return current, current * lo_mult, current * hi_mult


def _setting(cfg: pd.DataFrame, channel: str, column: str, default) -> float:
    if channel in cfg.index and pd.notna(cfg.loc[channel, column]):
        return float(cfg.loc[channel, column])
    return float(default)


def _budget_for(market: str, settings: Mapping, current_total: float) -> float | None:
    budget = settings.get("budget_weekly")
    if isinstance(budget, Mapping):
        return float(budget[market]) if market in budget and budget[market] is not None else current_total
    return None if budget is None else float(budget)


def optimal_allocation_table(fits: Mapping[str, MarketFit], channel_settings: pd.DataFrame, settings: Mapping) -> pd.DataFrame:
    """Optimal weekly allocation per market (or jointly over markets when budget_weekly is one number).

    Defaults: current = mean weekly spend of the trailing lookback weeks; budget = sum of current;
    bounds = multipliers of current from channel_config (else the optimizer_*_multiplier vars).
    """
    settings = run_settings(settings)
    joint = settings.get("budget_weekly") is not None and not isinstance(settings.get("budget_weekly"), Mapping)
    groups = [list(fits)] if joint else [[m] for m in fits]
    frames = []
    with _single_thread():
        for markets in groups:
            members = [(m, ci) for m in markets for ci in range(len(fits[m].channels))]
            current, lower, upper = (np.concatenate(parts) for parts in
                                     zip(*[_bounds(fits[m], channel_settings, settings) for m in markets]))
            budget = float(settings["budget_weekly"]) if joint else _budget_for(markets[0], settings, current.sum())
            budget = current.sum() if budget is None else budget
            # the draws: the optimizer maximises posterior expected revenue (mean over draws)
            draws = [fits[m].response(ci, with_draws=True) for m, ci in members]
            result = optimize_allocation(draws, current, lower, upper, budget, seed=int(settings["random_seed"]))
            level = float(settings["interval_level"])
            ev = evaluate_allocation_draws(draws, result.optimal, level=level)
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


def target_budget_table(fits: Mapping[str, MarketFit], channel_settings: pd.DataFrame, settings: Mapping) -> pd.DataFrame:
    """Target modes (vars target_revenue_weekly / target_mroi): the budget that meets each target per market."""
    settings = run_settings(settings)
    cols = ["market", "mode", "target", "feasible", "weekly_budget", "achieved", "channel", "weekly_spend",
            "expected_weekly_revenue", "message"]
    rows = []
    with _single_thread():
        for market, fit in fits.items():
            _, lower, upper = _bounds(fit, channel_settings, settings)
            responses = [fit.response(ci, with_draws=True) for ci in range(len(fit.channels))]  # expected revenue
            for mode, target, solve in (("target_revenue", settings.get("target_revenue_weekly"), min_budget_for_target_revenue),
                                        ("target_mroi", settings.get("target_mroi"), max_budget_for_target_mroi)):
                if target is None:
                    continue
                tgt = float(target[market]) if isinstance(target, Mapping) else float(target)
                res = solve(responses, lower, upper, tgt)
                for ci, ch in enumerate(fit.channels):
                    rows.append(dict(market=market, mode=mode, target=tgt, feasible=res.feasible,
                                     weekly_budget=res.budget, achieved=res.achieved, channel=ch,
                                     weekly_spend=res.allocation.optimal[ci],
                                     expected_weekly_revenue=res.allocation.revenue_optimal[ci], message=res.message))
    return pd.DataFrame(rows, columns=cols)


def scenarios_table(fits: Mapping[str, MarketFit], scenarios: pd.DataFrame, settings: Mapping) -> pd.DataFrame:
    """Predicted weekly revenue change of each budget scenario (seed budget_scenarios), with an interval.

    Each scenario row changes one channel's current weekly spend by ``change_value``: an amount
    (change_type 'absolute') or a percentage ('percent'); a scenario may span several rows (e.g. move
    50,000 from tv to search). Spend never goes below zero. Rows naming an unknown market or channel
    are reported in ``message`` and the scenario is not evaluated for that market.
    """
    settings = run_settings(settings)
    level = float(settings["interval_level"])
    cols = ["scenario_name", "market", "description", "spend_change", "revenue_change", "revenue_change_lower",
            "revenue_change_upper", "revenue_change_per_spend_change", "message"]
    rows = []
    if scenarios is None or len(scenarios) == 0:
        return pd.DataFrame(columns=cols)
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
            fit = fits[market]
            unknown = sorted(set(g["channel"]) - set(fit.channels))
            if unknown:
                rows.append(dict(scenario_name=name, market=market, description=description,
                                 message=f"unknown channel(s) {', '.join(unknown)} in market {market}; scenario not evaluated"))
                continue
            current = fit.current_weekly_spend()
            new = current.copy()
            for r in g.itertuples():
                ci = fit.channels.index(r.channel)
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
            draws = [fit.response(ci, with_draws=True) for ci in range(len(fit.channels))]
            ev = evaluate_allocation_draws(draws, new, level=level, baseline=current)
            point = ev.change_mean  # expected (posterior-mean) change
            spend_change = float(new.sum() - current.sum())
            rows.append(dict(scenario_name=name, market=market, description=description, spend_change=spend_change,
                             revenue_change=point, revenue_change_lower=min(ev.change_lower, point),
                             revenue_change_upper=max(ev.change_upper, point),
                             revenue_change_per_spend_change=point / spend_change if abs(spend_change) > 1e-9 else np.nan,
                             message="spend would go below zero for some channel; clipped at zero" if clipped else ""))
    return pd.DataFrame(rows, columns=cols)
