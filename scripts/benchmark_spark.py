"""Wall time of the Spark path (mmm.spark on local PySpark) against the pandas path (not a test).

    .venv/bin/python scripts/benchmark_spark.py [--markets 20] [--weeks 104] [--pooling partial] [--cores 2]

The same generated markets (``mmm.geos.simulate_geos``: eight channels, sizes tenfold apart) go through
``tables.fit_markets`` + ``outputs.market_outputs`` (forked worker processes, one per core) and through
``spark.fit_markets_spark`` + ``spark.market_outputs_spark`` on ``local[cores]`` (the outputs written to
Spark's ``noop`` sink, so every row is computed). Printed: the Spark session's start, each step's wall time on
both paths, and whether the two paths agree (statuses, and the ROI of every market's channels). Needs the
``spark`` extra (``pip install -e '.[spark]'``; ``make test`` installs it) and Java 17.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src" / "tests"))
from tests_support import long_input, settings_frame  # noqa: E402

from mmm import outputs, spark, tables  # noqa: E402
from mmm.geos import simulate_geos  # noqa: E402
from mmm.settings import RunSettings  # noqa: E402

JAVA_17 = "/usr/lib/jvm/java-17-openjdk-amd64"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markets", type=int, default=20)
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--pooling", choices=["partial", "none"], default="partial")
    ap.add_argument("--cores", type=int, default=2, help="Spark local[cores] and the pandas path's worker processes")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    warnings.filterwarnings("ignore", message="The copy keyword is deprecated")
    if not os.environ.get("JAVA_HOME") and os.path.exists(JAVA_17):
        os.environ["JAVA_HOME"] = JAVA_17
    os.environ["PYSPARK_PYTHON"] = sys.executable

    model_input = long_input(simulate_geos(args.seed, args.markets, args.weeks))
    channels = settings_frame()
    settings = RunSettings(pooling=args.pooling)
    times = {}

    t0 = time.perf_counter()
    fit = tables.fit_markets(model_input, channels, None, None, settings, workers=args.cores, progress=None)
    times["pandas: fit (mmm_fit)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    long = outputs.market_outputs(fit, model_input, channels, None, None, settings, workers=args.cores, progress=None)
    times["pandas: outputs (mmm_market_outputs)"] = time.perf_counter() - t0

    from pyspark.sql import SparkSession

    t0 = time.perf_counter()
    session = (SparkSession.builder.master(f"local[{args.cores}]").appName("mmm-benchmark-spark")
               .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    sdf = session.createDataFrame(model_input).persist()
    sdf.count()
    times["spark: session start and input"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    spark_fit = spark.fit_markets_spark(sdf, channels, None, None, settings, progress=None)
    spark_fit.count()
    times["spark: fit (mmm_fit)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    spark_long = spark.market_outputs_spark(spark_fit, sdf, channels, None, None, settings, progress=None)
    spark_long.write.format("noop").mode("overwrite").save()
    times["spark: outputs (mmm_market_outputs)"] = time.perf_counter() - t0

    ours = spark_long.filter("output = 'channel_summary'").select("market", "channel", "roi").toPandas()
    theirs = long.loc[long["output"] == "channel_summary", ["market", "channel", "roi"]]
    both = theirs.merge(ours, on=["market", "channel"], suffixes=("_pandas", "_spark"))
    statuses = spark_fit.select("market", "status").toPandas().sort_values("market")["status"].tolist()
    session.stop()

    print(f"== {args.markets} markets x {args.weeks} weeks x {channels.shape[0]} channels, pooling {args.pooling}, "
          f"{args.cores} cores (pandas: worker processes; Spark: local[{args.cores}])")
    for step, seconds in times.items():
        print(f"{step:42s} {seconds:7.1f} s")
    pandas_total = times["pandas: fit (mmm_fit)"] + times["pandas: outputs (mmm_market_outputs)"]
    spark_total = times["spark: fit (mmm_fit)"] + times["spark: outputs (mmm_market_outputs)"]
    print(f"{'pandas: fit + outputs':42s} {pandas_total:7.1f} s")
    print(f"{'spark: fit + outputs (session aside)':42s} {spark_total:7.1f} s   ({spark_total / pandas_total:.2f}x pandas)")
    print(f"statuses equal: {statuses == fit['status'].tolist()}; channel-summary ROIs compared: {len(both)} of "
          f"{len(theirs)}, max relative difference "
          f"{float(np.nanmax(np.abs(both.roi_spark - both.roi_pandas) / np.abs(both.roi_pandas))):.1e}")
    pd.set_option("display.width", 200)


if __name__ == "__main__":
    main()
