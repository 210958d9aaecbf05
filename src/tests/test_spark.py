"""The Spark path (mmm.spark through mmm.dbt_io) gives the pandas path's tables, on a real local Spark.

Four generated markets (three with 104 weeks, one with 40: too short to fit alone, so it goes through the pool,
or is not fitted without one), four channels, a lift test and a budget scenario; pooling partial and none (the
latter with one budget over all markets: the joint allocation on the driver). One SparkSession for the module.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (test-only extra: pip install -e '.[spark]'; "
                                      "`make test` installs it)")

from mmm import dbt_io, outputs, pooling, spark, tables  # noqa: E402
from mmm.demo import CHANNELS, simulate_market, true_lift  # noqa: E402
from mmm.settings import RunSettings  # noqa: E402

# PySpark 4.3 warns that pandas 3 is not fully supported (the one gap that bit, text columns written back from
# applyInPandas, mmm.spark works around) and uses a pandas 3-deprecated keyword
pytestmark = [pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]
JAVA_17 = "/usr/lib/jvm/java-17-openjdk-amd64"
# Both paths fit each market from data laid out alike (mmm.spark._as_in_a_worker) in one thread: the numbers agree to
# the last bit (measured); the tolerance only spares the test a summation order changed in some later edit.
RTOL = 1e-9
MODES = {"partial": RunSettings(pooling="partial", cv_folds=2, holdout_weeks=8),
         "none": RunSettings(pooling="none", cv_folds=0, holdout_weeks=8, budget_weekly=150_000.0)}


def _java() -> str | None:
    if not os.environ.get("JAVA_HOME") and os.path.exists(f"{JAVA_17}/bin/java"):
        os.environ["JAVA_HOME"] = JAVA_17
    home = os.environ.get("JAVA_HOME")
    return f"{home}/bin/java" if home and os.path.exists(f"{home}/bin/java") else shutil.which("java")


@pytest.fixture(scope="module")
def session():
    if _java() is None:
        pytest.skip("no java binary (Spark needs Java 17: set JAVA_HOME)")
    os.environ["PYSPARK_PYTHON"] = sys.executable  # else the workers start the system python3, without pandas
    from pyspark.sql import SparkSession

    s = (SparkSession.builder.master("local[2]").appName("mmm-test-spark").config("spark.ui.enabled", "false")
         .config("spark.driver.host", "127.0.0.1").config("spark.sql.shuffle.partitions", "4").getOrCreate())
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()


def _long(truth) -> pd.DataFrame:
    w = truth.weekly_frame()
    kinds = {"revenue": ("revenue", "revenue"), "holiday_count": ("holiday", "holiday_count")}
    frames = []
    for col in w.columns.drop("week_start_date"):
        kind, name = kinds.get(col, ("spend", col.removeprefix("spend_")) if col.startswith("spend_") else ("control", col))
        frames.append(pd.DataFrame({"market": truth.market, "week_start_date": w["week_start_date"].dt.date,
                                    "variable_type": kind, "variable_name": name, "value": w[col]}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def case():
    channels = CHANNELS[:4]
    truths = {m: simulate_market(700 + i, m, 104, spend_scale=scale, channels=channels)
              for i, (m, scale) in enumerate([("g01", 0.5), ("g02", 1.0), ("g03", 2.0), ("g04", 0.8)])}
    model_input = pd.concat([_long(t) for t in truths.values()], ignore_index=True)
    weeks = sorted(model_input["week_start_date"].unique())
    model_input = model_input[(model_input["market"] != "g04") | model_input["week_start_date"].isin(weeks[-40:])]
    model_input = model_input.reset_index(drop=True)
    sufficiency = pd.DataFrame([dict(market="g04", check_name="weeks_of_history", channel="", value=40.0,
                                     threshold=52.0, status="fail", message="40 weeks; at least 52 are required")])
    channel_settings = pd.DataFrame([dict(channel=c.name, display_name=c.display_name, adstock_kind="geometric",
                                          max_lag=c.max_lag, saturation_kind="hill", min_budget_multiplier=0.5,
                                          max_budget_multiplier=2.0, roi_prior_median=1.0, roi_prior_sigma=1.0)
                                     for c in channels])
    start, end = truths["g02"].weeks[60], truths["g02"].weeks[63]
    lift = true_lift(truths["g02"], "search", start, end)
    lift_tests = pd.DataFrame([dict(market="g02", experiment_id="exp_search_g02", channel="search",
                                    start_week_start_date=start.date(), end_week_start_date=end.date(),
                                    incremental_revenue=lift, incremental_revenue_se=0.1 * lift,
                                    start_date=start.date(), end_date=(end + pd.Timedelta(days=6)).date())])
    scenarios = pd.DataFrame([dict(scenario_name="more_tv", market="g01", channel="tv", change_type="percent",
                                   change_value=10.0, description="TV +10%")])
    return dict(model_input=model_input, channel_settings=channel_settings, lift_tests=lift_tests,
                sufficiency=sufficiency, scenarios=scenarios)


@pytest.fixture(scope="module", params=list(MODES))
def paths(request, session, case):
    """Both paths on the same input: (mode, pandas fit, pandas outputs, Spark fit, Spark outputs) as pandas."""
    settings = MODES[request.param]
    c = case
    fit = tables.fit_markets(c["model_input"], c["channel_settings"], c["lift_tests"], c["sufficiency"], settings,
                             progress=None)
    long = outputs.market_outputs(fit, c["model_input"], c["channel_settings"], c["lift_tests"], c["scenarios"], settings,
                                  progress=None)
    model_input = session.createDataFrame(c["model_input"])
    spark_fit = dbt_io.fit_markets(model_input, c["channel_settings"], c["lift_tests"], c["sufficiency"], settings,
                                   progress=None)
    spark_long = dbt_io.market_outputs(spark_fit, model_input, c["channel_settings"], c["lift_tests"], c["scenarios"],
                                       settings, progress=None)
    assert dbt_io.is_spark(spark_fit) and dbt_io.is_spark(spark_long) and not dbt_io.is_spark(fit)
    return request.param, fit, long, spark_fit.toPandas(), spark_long.toPandas()


def _close(a, b, what: str) -> None:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(float(np.nanmax(np.abs(a))) if a.size and np.isfinite(a).any() else 0.0, 1e-12)
    np.testing.assert_allclose(b, a, rtol=RTOL, atol=RTOL * scale, equal_nan=True, err_msg=what)


def test_the_fit_table_equals_the_pandas_paths(paths):
    mode, fit, _, spark_fit, _ = paths
    assert list(spark_fit.columns) == tables.FIT_COLUMNS
    spark_fit = spark_fit.sort_values("market").reset_index(drop=True)
    # the fingerprint hashes the market's data, channel settings and priors (the pool's too): the same fit problem
    exact = ["market", "status", "message", "n_weeks", "schema_version", "input_fingerprint", "package_version",
             "channel_priors_json"]
    pd.testing.assert_frame_equal(spark_fit[exact], fit[exact], check_dtype=False)
    expected_status = {"partial": ["fitted"] * 4, "none": ["fitted"] * 3 + ["not_fitted"]}[mode]
    assert spark_fit["status"].tolist() == expected_status  # g04 goes through the pool or is not fitted
    assert (spark_fit["fit_seconds"].isna() == fit["fit_seconds"].isna()).all()
    assert (spark_fit["pooling_json"].isna() == fit["pooling_json"].isna()).all()
    if mode == "partial":
        ours, theirs = (pooling.Pool.from_json(j) for j in (spark_fit["pooling_json"].iloc[0], fit["pooling_json"].iloc[0]))
        assert ours.priors.keys() == theirs.priors.keys()
        for channel, parameters in theirs.priors.items():
            assert parameters.keys() == ours.priors[channel].keys()
            _close(list(parameters.values()), list(ours.priors[channel].values()), f"pool priors of {channel}")
    for ours, theirs in zip(spark_fit["fit_result_json"], fit["fit_result_json"]):
        if theirs is None or (isinstance(theirs, float) and np.isnan(theirs)):
            assert ours is None or (isinstance(ours, float) and np.isnan(ours))
            continue
        ours, theirs = json.loads(ours), json.loads(theirs)
        assert ours["specs"] == theirs["specs"] and ours["config"] == theirs["config"]
        assert ours["checks"]["check_name"] == theirs["checks"]["check_name"]
        assert ours["checks"]["status"] == theirs["checks"]["status"]
        for key in ("z", "cov", "draws", "sigma"):
            _close(theirs[key], ours[key], f"{theirs['market']}: {key}")


def test_the_market_outputs_equal_the_pandas_paths(paths):
    mode, _, long, _, spark_long = paths
    assert list(spark_long.columns) == list(outputs.COLUMNS)
    assert len(spark_long) == len(long)
    # rows of a market keep their order within each output on both paths
    theirs = long.sort_values(["output", "market"], kind="stable").reset_index(drop=True)
    ours = spark_long.sort_values(["output", "market"], kind="stable").reset_index(drop=True)
    for frame in (theirs, ours):  # wall time of each fit, not a result
        frame.loc[frame["check_name"] == "fit_seconds", "value"] = np.nan
        frame.loc[frame["parameter"] == "fit_seconds", "estimate"] = np.nan
    for col, kind in outputs.COLUMNS.items():
        if kind == "number":
            for output in theirs["output"].unique():
                rows = theirs["output"] == output
                _close(theirs.loc[rows, col], ours.loc[rows, col], f"{output}.{col}")
        elif kind == "date":
            pd.testing.assert_series_equal(pd.to_datetime(ours[col]), pd.to_datetime(theirs[col]), check_dtype=False,
                                           obj=col)
        elif kind == "bool":
            pd.testing.assert_series_equal(ours[col].astype("boolean"), theirs[col].astype("boolean"), obj=col)
        else:
            assert ours[col].fillna("").astype(str).tolist() == theirs[col].fillna("").astype(str).tolist(), col
    summary = ours[ours["output"] == "channel_summary"]
    assert (summary["market"] == outputs.NATIONAL).any() and summary["roi"].notna().all()
    if mode == "none":  # one budget over all markets: the joint allocation, computed on the driver
        allocation = ours[ours["output"] == "optimal_allocation"]
        assert allocation["is_joint_over_markets"].all() and set(allocation["market"]) == {"g01", "g02", "g03"}
        assert ((ours["output"] == "model_checks") & (ours["check_name"] == "market_not_fitted")).sum() == 1
    else:
        assert (ours["output"] == "lift_test_calibration").sum() == 1 and (ours["output"] == "scenarios").sum() == 1


def test_the_per_market_functions_are_pandas_in_pandas_out_without_spark(case):
    settings = MODES["none"]
    c = case
    fit = tables.fit_markets(c["model_input"], c["channel_settings"], c["lift_tests"], c["sufficiency"], settings,
                             progress=None)
    context = spark.FitContext.from_tables(c["channel_settings"], c["lift_tests"], c["sufficiency"], settings)
    g02 = c["model_input"][c["model_input"]["market"] == "g02"]
    row = spark.fit_market_frame(g02, context)
    assert list(row.columns) == tables.FIT_COLUMNS and row["status"].tolist() == ["fitted"]
    assert row["input_fingerprint"].iloc[0] == fit.set_index("market").loc["g02", "input_fingerprint"]
    assert spark.fit_market_frame(g02, context, stage="alone")["status"].tolist() == ["fitted"]
    g04 = c["model_input"][c["model_input"]["market"] == "g04"]
    assert spark.fit_market_frame(g04, context)["status"].tolist() == ["not_fitted"]
    assert len(spark.fit_market_frame(g04, context, stage="alone")) == 0  # not part of the pool
    rows = spark.market_output_frame(row, g02, spark.OutputContext(c["channel_settings"], c["lift_tests"], None, settings))
    carrier = rows[rows["output"] == spark.INGREDIENTS]
    assert len(carrier) == 1 and set(rows.loc[rows["output"] != spark.INGREDIENTS, "market"]) == {"g02"}
    ingredients = spark.ingredients_from_json(carrier[spark.INGREDIENTS].iloc[0])
    assert sorted(ingredients["channel"]) == sorted(ch.name for ch in CHANNELS[:4])
    assert len(spark.market_output_frame(fit[fit["market"] == "g04"], g04, spark.OutputContext(
        c["channel_settings"], None, None, settings))) == 0


def test_the_refresh_hook_runs_with_each_market_on_spark_too(session, case):
    # mmm_fit passes the refresh hook (mmm.refresh.refresh_specs, a closure over the previous posterior) as
    # market_specs: on Spark it travels to the executors with the per-market function and gives the same priors
    def hook(market, data, specs):
        tight = {"g01": (0.2, 0.3), "g02": (-0.1, 0.3)}.get(market)
        return [dataclasses.replace(s, priors={**s.priors, "roi": tight}) if tight and s.name == "tv" else s for s in specs]

    settings = RunSettings(pooling="none", cv_folds=0, holdout_weeks=8)
    c = case
    three = c["model_input"][c["model_input"]["market"] != "g04"]
    fit = tables.fit_markets(three, c["channel_settings"], None, None, settings, progress=None, market_specs=hook)
    spark_fit = dbt_io.fit_markets(session.createDataFrame(three), c["channel_settings"], None, None, settings,
                                   progress=None, market_specs=hook).toPandas().sort_values("market").reset_index(drop=True)
    columns = ["market", "status", "input_fingerprint", "channel_priors_json"]
    pd.testing.assert_frame_equal(spark_fit[columns], fit[columns], check_dtype=False)
    assert json.loads(spark_fit["channel_priors_json"].iloc[0]) == {"tv": {"roi": [0.2, 0.3]}}
    assert json.loads(spark_fit["channel_priors_json"].iloc[2]) == {}
