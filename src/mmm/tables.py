"""From the dbt model input to fitted markets and the output tables: what the dbt Python models call.

Flow: ``fit_markets`` fits each market once and returns the ``mmm_fit`` table, one row per market with
its ``FitResult`` as JSON (schema version and input fingerprint in their own columns).
``load_fitted_markets`` restores those results against the current input (refusing a stale or
foreign one) and every ``*_table`` function derives one output table from the restored markets. All
money is in the reporting currency.
"""

from __future__ import annotations

import concurrent.futures
import json
import math
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

import mmm
from mmm import analysis as an
from mmm import checks as ck
from mmm import pooling
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
from mmm.synergy import optimize_with_synergy
from mmm.threads import single_thread_blas

FIT_COLUMNS = ["market", "status", "message", "n_weeks", "fit_seconds", "schema_version", "input_fingerprint",
               "pooling_json", "fit_result_json", "package_version", "channel_priors_json"]


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
    # pivot_table(index=week, columns=(type, name), values=value, aggfunc="sum"), at a fifth of its cost (each fit and
    # every restore of it pivots): sum per cell, missing cells NaN, columns with no cell at all dropped
    wide = (rows.groupby(["week_start_date", "variable_type", "variable_name"], sort=True)["value"].sum()
            .unstack(["variable_type", "variable_name"]).dropna(axis=1, how="all").sort_index(axis=1).sort_index())
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


def media_terms_config(interactions: pd.DataFrame | None = None, time_varying: pd.DataFrame | None = None) -> dict:
    """FitConfig overrides from the optional-term seeds (channel_interactions, channel_time_varying); {} when both are
    empty or absent, so the fit is exactly the plain model's."""
    out = {}
    if interactions is not None and len(interactions):
        out["interactions"] = tuple((str(r.channel_a).strip().lower(), str(r.channel_b).strip().lower(),
                                     float(r.prior_sd) if pd.notna(r.prior_sd) else 0.5)
                                    for r in interactions.itertuples())
    if time_varying is not None and len(time_varying):
        out["time_varying"] = tuple((str(r.channel).strip().lower(), int(r.knots) if pd.notna(r.knots) else 4,
                                     float(r.step_sd) if pd.notna(r.step_sd) else 0.15) for r in time_varying.itertuples())
    return out


def fit_markets(model_input: pd.DataFrame, channel_settings: pd.DataFrame, lift_tests: pd.DataFrame | None,
                sufficiency: pd.DataFrame | None, settings: RunSettings, interactions: pd.DataFrame | None = None,
                time_varying: pd.DataFrame | None = None, workers: int | None = None, progress=print,
                market_specs: Callable[[str, MarketData, list[ChannelSpec]], list[ChannelSpec]] | None = None) -> pd.DataFrame:
    """Fit every market once: the ``mmm_fit`` table (FIT_COLUMNS), one row per market.

    With ``pooling: partial`` and two or more markets, the markets are fitted in three stages (mmm.pooling):
    each on its own, then the shared centre and spread of each channel's parameters, then each again with
    those as its priors; the pool is stored with every market (``pooling_json``). A market whose only
    failing data check is a short history (at least ``min_weeks_pooled`` weeks) is then fitted through
    the pool, with a warning row. Any other market that fails a data-sufficiency check, or cannot be fitted,
    gets a row with status 'not_fitted' and the reason. If no market can be fitted, the modeling step stops
    with the reasons. ``workers``: processes for the per-market fits (default: one per core, at most two, the size of
    the project's machines); the tables do not depend on it. ``market_specs(market, data, specs)`` may return the
    market's channels with their own priors (the refresh from a previous run, mmm.refresh), applied over the pool's;
    the priors each market was fitted with are recorded in ``channel_priors_json`` so the fit can be restored and
    checked against its input.
    """
    config = FitConfig.from_settings(settings, **media_terms_config(interactions, time_varying))
    specs = channel_specs(channel_settings)
    markets = sorted(model_input["market"].unique())
    plan = {m: _market_plan(m, model_input, sufficiency, settings) for m in markets}
    data = {m: market_data(model_input, m, lift_tests) for m in markets if plan[m][0] != "fail"}
    runner = _Runner(workers, len(data))
    pool = None
    alone = [m for m in data if plan[m][0] == "fit"]
    if settings.pooling == "partial" and len(alone) >= 2:
        first = runner.map(_fit_task, [(data[m], pooling.stage_one_specs(specs),
                                        pooling.stage_one_config(config), m, None)
                            for m in alone],
                           Progress("mmm_fit (pooling, stage 1 of 2: each market alone)", len(alone), progress))
        pool = pooling.fit_pool([r for r in first if isinstance(r, FitResult)], specs)
    fitted = [m for m in data if plan[m][0] == "fit" or (pool is not None and plan[m][0] == "pool_only")]
    base_specs = pool.market_specs(specs) if pool else specs
    final_specs = {m: market_specs(m, data[m], base_specs) if market_specs is not None else base_specs for m in fitted}
    results = dict(zip(fitted, runner.map(_fit_task, [
        (data[m], final_specs[m], config, m,
         _POOL_ONLY_MIN_WEEKS if plan[m][0] == "pool_only" else None) for m in fitted],
        Progress("mmm_fit" + (" (pooling, stage 2 of 2: each market with the pool)" if pool else ""), len(fitted), progress))))
    runner.close()
    rows = []
    for m in markets:
        n_weeks = int(model_input.loc[model_input.market == m, "week_start_date"].nunique())
        result, failed = results.get(m), plan[m][1] if m not in results else None
        if isinstance(result, str):  # the fit raised InsufficientDataError
            result, failed = None, result
        if result is not None and plan[m][0] == "pool_only":
            result.checks = ck.checks_frame([*(ck.Check(**r) for r in result.checks.to_dict("records")),
                                             ck.Check("modeled_through_pool", "", "input", n_weeks, settings.min_weeks_required,
                                                      "warn", f"market {m} has {n_weeks} weeks, too few to fit alone "
                                                      f"({settings.min_weeks_required} required); it is modeled through the "
                                                      "pool, so its estimates lean on the other markets.")])
        rows.append(dict(market=m, status="fitted" if result else "not_fitted",
                         message=f"market {m} was not fitted: {failed}" if failed else "", n_weeks=n_weeks,
                         fit_seconds=result.fit_seconds if result else math.nan,
                         schema_version=SCHEMA_VERSION, input_fingerprint=result.input_fingerprint if result else None,
                         pooling_json=pool.to_json() if pool is not None and result else None,
                         fit_result_json=result.to_json() if result else None, package_version=mmm.__version__,
                         channel_priors_json=_added_priors(base_specs, final_specs[m]) if result else None))
    out = pd.DataFrame(rows, columns=FIT_COLUMNS)
    if len(out) == 0 or (out["status"] != "fitted").all():
        reasons = "; ".join(out["message"]) or "mmm_model_input has no rows"
        raise InsufficientDataError(f"No market could be modeled. {reasons}")
    return out


def _added_priors(base: list[ChannelSpec], final: list[ChannelSpec]) -> str:
    """channel_priors_json of the priors in ``final`` that ``base`` (channel_config and the pool) does not already hold."""
    given = {s.name: s.priors for s in base}
    return channel_priors_json([replace(s, priors={k: v for k, v in s.priors.items() if given.get(s.name, {}).get(k) != v})
                                for s in final])


_POOL_ONLY_MIN_WEEKS = 20  # a market fitted through the pool needs this many weeks on top of its baseline terms


def _market_plan(market: str, model_input: pd.DataFrame, sufficiency: pd.DataFrame | None,
                 settings: RunSettings) -> tuple[str, str | None]:
    """('fit', None), ('pool_only', reason) for a history only too short to fit alone, or ('fail', reason)."""
    if sufficiency is None or not len(sufficiency):
        return "fit", None
    bad = sufficiency[(sufficiency["market"] == market) & (sufficiency["status"] == "fail")]
    if not len(bad):
        return "fit", None
    reason = "; ".join(bad["message"].astype(str))
    n_weeks = int(model_input.loc[model_input.market == market, "week_start_date"].nunique())
    if set(bad["check_name"]) == {"weeks_of_history"} and n_weeks >= settings.min_weeks_pooled:
        return "pool_only", reason
    return "fail", reason


def _fit_task(args) -> FitResult | str:
    """One market's fit (a top-level function, so worker processes can run it); an error message if it cannot be fitted."""
    data, specs, config, market, min_train_weeks = args
    try:
        return fit_market(data, specs, config, market, min_train_weeks=min_train_weeks)
    except InsufficientDataError as exc:
        return str(exc)


class Progress:
    """Progress of a long step in the dbt log: markets done out of the total and the time left (printed
    at most every 10% or 15 seconds; dbt shows what a Python model prints)."""

    def __init__(self, step: str, total: int, sink=print):
        self.step_name, self.total, self.sink = step, total, sink
        self.done, self.t0, self.last = 0, time.perf_counter(), 0.0

    def step(self, result):
        self.done += 1
        now = time.perf_counter() - self.t0
        if self.sink is not None and self.total >= 10 and (
                self.done == self.total or now - self.last >= 15.0 or self.done % max(1, self.total // 10) == 0):
            self.last = now
            left = now / self.done * (self.total - self.done)
            self.sink(f"{self.step_name}: {self.done}/{self.total} markets ({self.done / self.total:.0%}), "
                      f"{_duration(now)} elapsed, about {_duration(left)} left")
        return result


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class _Runner:
    """Maps a per-market task over forked worker processes.

    The fits always run in workers, even with one: a fit in a forked worker and one in the parent process can
    differ in the last bits (the optimizer then moves ~1e-4 along flat directions), so always using workers
    makes the tables the same whatever the number of cores. ``workers=0`` runs in this process (debugging).
    """

    def __init__(self, workers: int | None, n_tasks: int):
        workers = workers if workers is not None else min(os.cpu_count() or 1, 2)
        workers = min(workers, max(n_tasks, 1))
        self.executor = None
        if workers >= 1:
            self.executor = concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))

    def map(self, fn, items: list, progress: Progress | None = None) -> list:
        return list(self.imap(fn, items, progress))

    def imap(self, fn, items: list, progress: Progress | None = None):
        """The results one at a time, in order, as the workers finish them (a caller that writes each away keeps
        only a few in memory)."""
        if self.executor is None:
            with single_thread_blas():
                for x in items:
                    r = fn(x)
                    yield progress.step(r) if progress else r
            return
        for r in self.executor.map(fn, items, chunksize=max(1, min(8, len(items) // 64))):
            yield progress.step(r) if progress else r

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown()


def load_fitted_markets(fit_table: pd.DataFrame, model_input: pd.DataFrame, channel_settings: pd.DataFrame,
                        lift_tests: pd.DataFrame | None, settings: RunSettings) -> dict[str, FittedModel]:
    """Restore every fitted market of ``mmm_fit`` against the current input, without optimising.

    Refuses (StaleFitError) a result written by another schema version, or one whose input fingerprint
    differs from that of the current model input, lift tests, channel settings and fit settings (with the
    per-channel priors the fit recorded in ``channel_priors_json``, e.g. a refresh prior).
    """
    config, specs = FitConfig.from_settings(settings), channel_specs(channel_settings)
    fits = {}
    with single_thread_blas():
        for r in fit_table[fit_table["status"] == "fitted"].itertuples():
            result = FitResult.from_json(r.fit_result_json)
            data = market_data(model_input, r.market, lift_tests)
            pooled = getattr(r, "pooling_json", None)
            market_specs = pooling.Pool.from_json(pooled).market_specs(specs) if isinstance(pooled, str) else specs
            market_specs = with_channel_priors(market_specs, getattr(r, "channel_priors_json", None))  # e.g. a refresh prior
            # the optional terms (seeds channel_interactions / channel_time_varying) are read by mmm_fit, which dbt
            # rebuilds when they change; the restore takes them from the stored fit
            terms = {k: getattr(result.config, k) for k in ("interactions", "time_varying") if getattr(result.config, k)}
            result.verify_input(data, market_specs, replace(config, **terms) if terms else config)
            fits[r.market] = FittedModel.from_result(result, data)
    return fits


def map_fitted_markets(fit_table: pd.DataFrame, model_input: pd.DataFrame, channel_settings: pd.DataFrame,
                       lift_tests: pd.DataFrame | None, settings: RunSettings, fn, extra: Mapping | None = None,
                       step: str = "markets", workers: int | None = None, progress=print) -> list:
    """``fn(fitted_market, extra[market])`` for every fitted market, each restored once (stale fits refused), in
    worker processes: the per-market work of an output model, linear in the number of markets on both cores.
    ``fn`` must be a module-level function (workers import it). Results in the order of ``fit_table``."""
    return list(imap_fitted_markets(fit_table, model_input, channel_settings, lift_tests, settings, fn, extra, step, workers,
                                    progress))


def imap_fitted_markets(fit_table: pd.DataFrame, model_input: pd.DataFrame, channel_settings: pd.DataFrame,
                        lift_tests: pd.DataFrame | None, settings: RunSettings, fn, extra: Mapping | None = None,
                        step: str = "markets", workers: int | None = None, progress=print):
    """``map_fitted_markets`` as a generator: each market's result as soon as it is done, in the order of
    ``fit_table``."""
    fitted = fit_table[fit_table["status"] == "fitted"]
    by_market = dict(tuple(model_input.groupby("market", sort=False)))
    tasks = [(fn, m, fitted[fitted["market"] == m], by_market[m], channel_settings,
              None if lift_tests is None else lift_tests[lift_tests["market"] == m], settings,
              None if extra is None else extra.get(m)) for m in fitted["market"]]
    runner = _Runner(workers, len(tasks))
    try:
        yield from runner.imap(_map_task, tasks, Progress(step, len(tasks), progress))
    finally:
        runner.close()


def _map_task(args):
    fn, market, fit_row, model_input, channel_settings, lift_tests, settings, extra = args
    fits = load_fitted_markets(fit_row, model_input, channel_settings, lift_tests, settings)
    with single_thread_blas():
        return fn(fits[market], extra)


def _per_market(fits: Mapping[str, FittedModel], table, columns: list[str]) -> pd.DataFrame:
    frames = []
    with single_thread_blas():
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


def allocation_bounds(fm: FittedModel, channel_settings: pd.DataFrame,
                      settings: RunSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Current weekly spend per channel and the optimizer's lower and upper bounds (the planner uses them too)."""
    return _bounds(fm, channel_settings, settings)


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
    with single_thread_blas():
        for markets in groups:
            members = [(m, ci) for m in markets for ci in range(len(fits[m].channels))]
            current, lower, upper = (np.concatenate(parts) for parts in
                                     zip(*[_bounds(fits[m], channel_settings, settings) for m in markets]))
            budget = _market_value(budget_setting, markets[0]) if not joint else budget_setting
            budget = current.sum() if budget is None else float(budget)
            draws = [an.response(fits[m], ci, with_draws=True) for m, ci in members]
            pairs = _pairs(fits, markets)
            if pairs:  # synergy terms make the channels' returns depend on each other (mmm.synergy)
                result = optimize_with_synergy(draws, pairs, current, lower, upper, budget, seed=settings.random_seed)
            else:
                result = optimize_allocation(draws, current, lower, upper, budget, seed=settings.random_seed)
            ev = evaluate_allocation_draws(draws, result.optimal, level=settings.interval_level, interactions=pairs)
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


def _pairs(fits: Mapping[str, FittedModel], markets: list[str]) -> list:
    """The synergy terms of ``markets`` as pair responses, channel indexes into the markets' channels in order."""
    from mmm.synergy import PairResponse, pair_responses

    out, offset = [], 0
    for m in markets:
        for p in pair_responses(fits[m]) if fits[m].problem.layout.synergy else []:
            out.append(PairResponse(p.a + offset, p.b + offset, p.coef, p.kind_a, p.params_a, p.kind_b, p.params_b))
        offset += len(fits[m].channels)
    return out


MEDIA_TERM_COLUMNS = ["market", "term", "term_type", "channel_a", "channel_b", "contribution", "contribution_lower",
                      "contribution_upper", "roi", "roi_lower", "roi_upper", "roi_current", "roi_current_lower",
                      "roi_current_upper", "knots", "prior_sd"]


def media_terms_table(fits: Mapping[str, FittedModel]) -> pd.DataFrame:
    """The optional terms of every market: each synergy term and each drifting channel (mmm.synergy,
    mmm.time_varying); no rows when none is declared."""
    from mmm.synergy import synergy_summary
    from mmm.time_varying import effect_summary

    out = _per_market(fits, lambda fm: pd.concat([synergy_summary(fm), effect_summary(fm)], ignore_index=True), [])
    out = out.reindex(columns=MEDIA_TERM_COLUMNS)
    out["knots"] = out["knots"].astype("Int64")
    return out


EFFECTIVENESS_COLUMNS = ["market", "channel", "week_start_date", "effectiveness", "effectiveness_lower",
                         "effectiveness_upper"]


def channel_effectiveness_table(fits: Mapping[str, FittedModel]) -> pd.DataFrame:
    """Week by week effectiveness of every drifting channel relative to its average (mmm.time_varying)."""
    from mmm.time_varying import weekly_effectiveness

    return _per_market(fits, weekly_effectiveness, EFFECTIVENESS_COLUMNS[1:]).reindex(columns=EFFECTIVENESS_COLUMNS)


TARGET_COLUMNS = ["market", "mode", "target", "feasible", "weekly_budget", "achieved", "channel", "weekly_spend",
                  "expected_weekly_revenue", "message"]


def target_budget_table(fits: Mapping[str, FittedModel], channel_settings: pd.DataFrame,
                        settings: RunSettings) -> pd.DataFrame:
    """Target modes (vars target_revenue_weekly / target_mroi): the budget that meets each target per market."""
    rows = []
    with single_thread_blas():
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
    with single_thread_blas():
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
                                           baseline=current, interactions=_pairs(fits, [market]))
            point = ev.change_mean  # expected (posterior-mean) change
            spend_change = float(new.sum() - current.sum())
            rows.append(dict(scenario_name=name, market=market, description=description, spend_change=spend_change,
                             revenue_change=point, revenue_change_lower=min(ev.change_lower, point),
                             revenue_change_upper=max(ev.change_upper, point),
                             revenue_change_per_spend_change=point / spend_change if abs(spend_change) > 1e-9 else np.nan,
                             message="spend would go below zero for some channel; clipped at zero" if clipped else ""))
    return pd.DataFrame(rows, columns=SCENARIO_COLUMNS)
