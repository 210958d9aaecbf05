"""Past one machine: ``mmm_fit`` and ``mmm_market_outputs`` on Spark, one market per ``applyInPandas`` group.

The markets are independent except for the pool, so the heavy work is embarrassingly parallel:

1. pooling stage 1: ``model_input.groupBy("market").applyInPandas(fit_market_frame(stage="alone"))``, each
   market on its own with wide priors (as ``tables.fit_markets``); only the first-stage results come back to
   the driver;
2. ``pooling.fit_pool`` on the driver (a few numbers per channel and parameter);
3. stage 2: the same per-market function with the pool as priors; the result is the ``mmm_fit`` table
   (``tables.FIT_COLUMNS``) as a Spark DataFrame, never collected.

The output tables: ``fit.groupBy("market").cogroup(model_input.groupBy("market")).applyInPandas(market_output_frame)``
restores each market once and writes its rows of the long ``mmm_market_outputs`` table (``outputs.COLUMNS``),
plus one row carrying the market's national ingredients as JSON. Only those come back to the driver, which
computes the cross-market rows (national summary, curves and allocation, the joint allocation) with
``outputs.national_outputs``, exactly as ``outputs.market_outputs`` does.

The per-market functions (``fit_market_frame``, ``market_output_frame``) are plain pandas in, pandas out; the
small shared inputs (channel settings, lift tests, run settings) travel with them in a context object.
The tables equal the pandas path's (``tables.fit_markets``, ``outputs.market_outputs``) number for number, wall
times aside: each market is fitted from data laid out in memory as a worker of the pandas path receives it
(``_as_in_a_worker``), and the pool sums the markets in the same order; src/tests/test_spark.py checks it.
pyspark is imported only inside the Spark-facing functions: the package does not depend on it.
"""

from __future__ import annotations

import json
import math
import pickle
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

import mmm
from mmm import checks as ck
from mmm import outputs, pooling, tables
from mmm.checks import InsufficientDataError
from mmm.fit import FitConfig, MarketData
from mmm.model import ChannelSpec
from mmm.results import SCHEMA_VERSION, FitResult
from mmm.settings import RunSettings
from mmm.threads import single_thread_blas

MarketSpecs = Callable[[str, MarketData, list[ChannelSpec]], list[ChannelSpec]]

# Spark types of the mmm_fit columns (any other column of tables.FIT_COLUMNS is text)
_FIT_TYPES = {"n_weeks": "bigint", "fit_seconds": "double", "schema_version": "bigint"}
_SPARK_TYPES = {"text": "string", "number": "double", "bool": "boolean", "date": "date"}
INGREDIENTS = "national_ingredients"  # the `output` of a market's national-ingredients row (and its JSON column)


def fit_schema() -> str:
    """The ``mmm_fit`` columns as a Spark DDL schema."""
    return ", ".join(f"{c} {_FIT_TYPES.get(c, 'string')}" for c in tables.FIT_COLUMNS)


def market_output_schema() -> str:
    """The per-market rows of ``mmm_market_outputs`` (``outputs.COLUMNS``) plus the national-ingredients JSON."""
    return ", ".join([f"{c} {_SPARK_TYPES[k]}" for c, k in outputs.COLUMNS.items()] + [f"{INGREDIENTS} string"])


# ------------------------------------------------------------------ mmm_fit


@dataclass(frozen=True)
class FitContext:
    """What every market's fit shares: channel settings, fit settings, lift tests and data checks (small frames)."""

    specs: list[ChannelSpec]
    config: FitConfig
    settings: RunSettings
    lift_tests: pd.DataFrame | None = None
    sufficiency: pd.DataFrame | None = None
    market_specs: MarketSpecs | None = None  # the refresh hook of tables.fit_markets (mmm.refresh), applied over the pool

    @classmethod
    def from_tables(cls, channel_settings: pd.DataFrame, lift_tests: pd.DataFrame | None, sufficiency: pd.DataFrame | None,
                    settings: RunSettings, interactions: pd.DataFrame | None = None,
                    time_varying: pd.DataFrame | None = None, market_specs: MarketSpecs | None = None) -> FitContext:
        config = FitConfig.from_settings(settings, **tables.media_terms_config(interactions, time_varying))
        return cls(tables.channel_specs(channel_settings), config, settings, lift_tests, sufficiency, market_specs)


def _as_in_a_worker(data: MarketData) -> MarketData:
    """A market's data as a worker of the pandas path receives it: through pickle. Unpickled frames are laid out
    column by column in memory, which changes the fit's last bits and, through flat directions of the optimizer,
    its answer by up to ~1e-4; with the same layout, both paths fit the same numbers."""
    return pickle.loads(pickle.dumps(data))


def fit_market_frame(model_input: pd.DataFrame, context: FitContext, stage: str = "final",
                     pool: pooling.Pool | None = None) -> pd.DataFrame:
    """One market's ``mmm_fit`` row (``tables.FIT_COLUMNS``) from its rows of ``mmm_model_input``.

    ``stage="alone"``: the first pooling stage (wide priors, no validation); no row unless the market is fitted
    alone (a market that fails a data check, or is only fit through the pool, is not part of the pool).
    ``stage="final"``: the market's fit with ``pool``'s priors (None: unpooled), as ``tables.fit_markets`` makes it.
    """
    if stage not in ("alone", "final"):
        raise ValueError(f"stage must be 'alone' or 'final', got {stage!r}")
    if not len(model_input):
        return pd.DataFrame(columns=tables.FIT_COLUMNS)
    market = str(model_input["market"].iloc[0])
    settings = context.settings
    plan, reason = tables._market_plan(market, model_input, context.sufficiency, settings)
    n_weeks = int(model_input["week_start_date"].nunique())
    if stage == "alone":
        if plan != "fit":
            return pd.DataFrame(columns=tables.FIT_COLUMNS)
        data = _as_in_a_worker(tables.market_data(model_input, market, context.lift_tests))
        specs = pooling.stage_one_specs(context.specs)
        result = tables._fit_task((data, specs, pooling.stage_one_config(context.config), market, None))
        return _fit_row(market, n_weeks, result, None, None, specs, specs)
    if plan == "fail" or (plan == "pool_only" and pool is None):
        return _fit_row(market, n_weeks, None, reason, pool, context.specs, context.specs)
    data = tables.market_data(model_input, market, context.lift_tests)
    base = pool.market_specs(context.specs) if pool is not None else context.specs
    # the hook sees the data before pickling, as in tables.fit_markets
    final = context.market_specs(market, data, base) if context.market_specs is not None else base
    result = tables._fit_task((_as_in_a_worker(data), final, context.config, market,
                               tables._POOL_ONLY_MIN_WEEKS if plan == "pool_only" else None))
    if isinstance(result, FitResult) and plan == "pool_only":
        result.checks = ck.checks_frame([*(ck.Check(**r) for r in result.checks.to_dict("records")),
                                         ck.Check("modeled_through_pool", "", "input", n_weeks, settings.min_weeks_required,
                                                  "warn", f"market {market} has {n_weeks} weeks, too few to fit alone "
                                                  f"({settings.min_weeks_required} required); it is modeled through the "
                                                  "pool, so its estimates lean on the other markets.")])
    return _fit_row(market, n_weeks, result, None, pool, base, final)


def _fit_row(market: str, n_weeks: int, result: FitResult | str | None, failed: str | None, pool: pooling.Pool | None,
             base: list[ChannelSpec], final: list[ChannelSpec]) -> pd.DataFrame:
    """The row tables.fit_markets writes for a market (``result``: the fit, or the message of a fit that could not run)."""
    if isinstance(result, str):  # the fit raised InsufficientDataError
        result, failed = None, result
    row = dict(market=market, status="fitted" if result else "not_fitted",
               message=f"market {market} was not fitted: {failed}" if failed else "", n_weeks=n_weeks,
               fit_seconds=result.fit_seconds if result else math.nan,
               schema_version=SCHEMA_VERSION, input_fingerprint=result.input_fingerprint if result else None,
               pooling_json=pool.to_json() if pool is not None and result else None,
               fit_result_json=result.to_json() if result else None, package_version=mmm.__version__,
               channel_priors_json=tables._added_priors(base, final) if result else None)
    return _arrow_ready(pd.DataFrame([row], columns=tables.FIT_COLUMNS))


def _arrow_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects: PySpark 4.3 cannot write pandas 3's Arrow-backed ``str`` columns back to
    Spark ("Cannot convert pyarrow.lib.ChunkedArray to pyarrow.lib.Array")."""
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.StringDtype):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def _grouped(fn, **bound):
    """``fn`` with its shared inputs bound, as the one-frame function ``applyInPandas`` calls (a plain closure: Spark
    inspects its arguments, which it cannot do for a functools.partial)."""
    def run(frame):
        return fn(frame, **bound)

    return run


def _cogrouped(fn, **bound):
    def run(left, right):
        return fn(left, right, **bound)

    return run


def _by_market(sdf, n_markets: int):
    """``sdf`` hash-partitioned by market into as many partitions as markets: adaptive query execution would
    otherwise merge the small shuffle partitions of a few kilobytes of input into one task, and every market
    would be fitted one after another on one core. An explicit partition count is never merged."""
    return sdf.repartition(max(int(n_markets), 1), "market")


def fit_markets_spark(model_input, channel_settings: pd.DataFrame, lift_tests: pd.DataFrame | None,
                      sufficiency: pd.DataFrame | None, settings: RunSettings, interactions: pd.DataFrame | None = None,
                      time_varying: pd.DataFrame | None = None, market_specs: MarketSpecs | None = None,
                      progress: Callable[[str], None] | None = print):
    """``tables.fit_markets`` on Spark: ``model_input`` a Spark DataFrame (mmm_model_input), the rest pandas.

    Returns the ``mmm_fit`` table as a Spark DataFrame (persisted: it is computed once, and the check that some
    market could be modeled reads it). Raises InsufficientDataError, as the pandas path, when none could.
    """
    context = FitContext.from_tables(channel_settings, lift_tests, sufficiency, settings, interactions, time_varying,
                                     market_specs)
    markets = sorted(str(r[0]) for r in model_input.select("market").distinct().collect())
    if not markets:
        raise InsufficientDataError("No market could be modeled. mmm_model_input has no rows")
    groups = _by_market(model_input, len(markets)).groupBy("market")
    say = progress or (lambda _: None)
    pool = None
    if settings.pooling == "partial":
        say(f"mmm_fit on Spark (pooling, stage 1 of 2: each of {len(markets)} markets alone)")
        first = (groups.applyInPandas(_grouped(fit_market_frame, context=context, stage="alone"), fit_schema())
                 .select("market", "status", "fit_result_json").toPandas().sort_values("market"))
        if len(first) >= 2:  # the markets fitted alone; the pool sums over them in market order, as the pandas path
            pool = pooling.fit_pool([FitResult.from_json(j) for j in first.loc[first["status"] == "fitted", "fit_result_json"]],
                                    context.specs)
    say("mmm_fit on Spark" + (" (pooling, stage 2 of 2: each market with the pool)" if pool else ""))
    out = groups.applyInPandas(_grouped(fit_market_frame, context=context, stage="final", pool=pool),
                               fit_schema()).persist()
    status = out.select("market", "status", "message").toPandas().sort_values("market")
    if (status["status"] != "fitted").all():
        out.unpersist()
        raise InsufficientDataError(f"No market could be modeled. {'; '.join(status['message'])}")
    return out


# ------------------------------------------------------------------ mmm_market_outputs


@dataclass(frozen=True)
class OutputContext:
    """What every market's outputs share: channel settings, lift tests, budget scenarios and run settings."""

    channel_settings: pd.DataFrame
    lift_tests: pd.DataFrame | None
    scenarios: pd.DataFrame | None
    settings: RunSettings


def market_output_frame(fit_row: pd.DataFrame, model_input: pd.DataFrame, context: OutputContext) -> pd.DataFrame:
    """One market's rows of ``mmm_market_outputs`` (``market_output_schema``) from its ``mmm_fit`` row and model input.

    The market is restored once (a stale fit is refused) and ``outputs.market_outputs_frame`` derives every
    per-market table; one more row (``output`` = 'national_ingredients') carries what the cross-market rows
    need from it, as JSON. A market not fitted has no rows here (the driver writes its model-checks row).
    """
    columns = [*outputs.COLUMNS, INGREDIENTS]
    fitted = fit_row[fit_row["status"] == "fitted"]
    if not len(fitted):
        return pd.DataFrame(columns=columns)
    market = str(fitted["market"].iloc[0])
    lift_tests = None if context.lift_tests is None else context.lift_tests[context.lift_tests["market"] == market]
    scenarios = context.scenarios
    if scenarios is not None:
        scenarios = scenarios[scenarios["market"].astype(str).str.strip().str.lower() == market]
    with single_thread_blas():
        fm = tables.load_fitted_markets(fitted, model_input, context.channel_settings, lift_tests, context.settings)[market]
        rows, ingredients = outputs.market_outputs_frame(fm, (context.channel_settings, lift_tests, scenarios,
                                                              context.settings, fitted))
    carrier = pd.DataFrame({"output": [INGREDIENTS], "market": [market], INGREDIENTS: [ingredients_to_json(ingredients)]})
    out = outputs._typed(pd.concat([rows, carrier], ignore_index=True) if len(rows) else carrier)
    for col, kind in outputs.COLUMNS.items():  # Arrow writes Spark dates from datetime.date values
        if kind == "date":
            out[col] = [v.date() if pd.notna(v) else None for v in out[col]]
    return _arrow_ready(out[columns])


def ingredients_to_json(ingredients: pd.DataFrame) -> str:
    """A market's national ingredients (scalars and arrays per channel) as JSON; floats round-trip exactly."""
    return json.dumps({c: [v.tolist() if isinstance(v, np.ndarray) else (v.item() if isinstance(v, np.generic) else v)
                           for v in ingredients[c]] for c in ingredients.columns})


def ingredients_from_json(text: str) -> pd.DataFrame:
    doc = json.loads(text)
    out = pd.DataFrame({c: v for c, v in doc.items()})
    for c in ("contribution_draws", "grid", "curve_mean", "curve_var"):
        out[c] = [np.asarray(v, dtype=float) for v in doc[c]]
    return out


def market_outputs_spark(fit, model_input, channel_settings: pd.DataFrame, lift_tests: pd.DataFrame | None,
                         scenarios: pd.DataFrame | None, settings: RunSettings,
                         progress: Callable[[str], None] | None = print):
    """``outputs.market_outputs`` on Spark: ``fit`` (mmm_fit) and ``model_input`` Spark DataFrames, the rest pandas.

    The per-market rows stay distributed; the national ingredients are collected and the cross-market rows
    (and the model-checks row of every market not fitted) computed on the driver and appended.
    """
    from pyspark.sql import functions as F

    context = OutputContext(channel_settings, lift_tests, scenarios, settings)
    n_markets = fit.count()
    say = progress or (lambda _: None)
    say(f"mmm_market_outputs on Spark: {n_markets} markets")
    per_market = (_by_market(fit, n_markets).groupBy("market")
                  .cogroup(_by_market(model_input, n_markets).groupBy("market"))
                  .applyInPandas(_cogrouped(market_output_frame, context=context), market_output_schema())
                  .persist())
    collected = (per_market.filter(F.col("output") == INGREDIENTS).select("market", INGREDIENTS).toPandas()
                 .sort_values("market"))
    # the same order as the pandas path (the markets of mmm_fit, which fit_markets writes sorted)
    ingredients = [ingredients_from_json(j).assign(market=m) for m, j in zip(collected["market"], collected[INGREDIENTS])]
    ingredients = pd.concat(ingredients, ignore_index=True) if ingredients else pd.DataFrame()
    skipped = fit.filter(F.col("status") != "fitted").select("market", "n_weeks", "message").toPandas().sort_values("market")
    frames = [pd.DataFrame([dict(market=r.market, check_name="market_not_fitted", channel="", category="input",
                                 value=float(r.n_weeks), threshold=np.nan, status="fail", message=r.message,
                                 output="model_checks") for r in skipped.itertuples()])] if len(skipped) else []
    if len(ingredients):
        frames += outputs.national_outputs(ingredients, channel_settings, settings)
    rows = per_market.filter(F.col("output") != INGREDIENTS).drop(INGREDIENTS)
    if not frames:
        return rows
    driver = outputs._typed(pd.concat(frames, ignore_index=True))[list(outputs.COLUMNS)]
    for col, kind in outputs.COLUMNS.items():
        if kind == "date":
            driver[col] = [v.date() if pd.notna(v) else None for v in driver[col]]
    schema = ", ".join(f"{c} {_SPARK_TYPES[k]}" for c, k in outputs.COLUMNS.items())
    return rows.unionByName(fit.sparkSession.createDataFrame(driver, schema=schema))
