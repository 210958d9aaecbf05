"""The one seam between dbt Python models and the package.

A dbt Python model reads its inputs with ``dbt.ref(...)`` (dbt finds the dependencies by reading those
calls in the model file, so they stay there) and hands the relations to these helpers:

* ``frame(relation)``: the relation as pandas. On DuckDB ``dbt.ref`` returns a DuckDB relation
  (``.df()``); on Databricks/Spark a Spark DataFrame (``.toPandas()``); a pandas frame passes through.
* ``run_settings(relation)``: the ``mmm_run_settings`` rows as ``RunSettings``.
* ``output_rows(relation, output)``: one table's rows of the long ``mmm_market_outputs``, filtered in the warehouse
  (the whole long table is 1.7 GB as pandas at 1,000 markets; one of its tables is a small part of it).
* ``fitted_markets(...)``: the fits of ``mmm_fit`` restored against the current input (stale fits refused).
* ``fit_markets(...)``, ``market_outputs(...)``: the work of ``mmm_fit`` and ``mmm_market_outputs``, on Spark
  (``mmm.spark``, one market per ``applyInPandas`` group) when the model input is a Spark DataFrame (dbt on
  Databricks), else in pandas (``mmm.tables``, ``mmm.outputs``: DuckDB). ``is_spark`` tells them apart.
"""

from __future__ import annotations

import pandas as pd

from mmm.analysis import FittedModel
from mmm.settings import RunSettings


def frame(relation) -> pd.DataFrame:
    """A dbt relation (DuckDB relation, Spark DataFrame or pandas DataFrame) as pandas."""
    if isinstance(relation, pd.DataFrame):
        return relation
    if hasattr(relation, "df"):  # DuckDB
        return relation.df()
    if hasattr(relation, "toPandas"):  # Spark
        return relation.toPandas()
    raise TypeError(f"cannot read a {type(relation).__name__} as a pandas DataFrame")


def is_spark(relation) -> bool:
    """Whether ``relation`` is a Spark DataFrame (classic or Spark Connect), without importing pyspark."""
    return type(relation).__module__.startswith("pyspark.")


def _optional_frame(relation) -> pd.DataFrame | None:
    return None if relation is None else frame(relation)


def run_settings(relation) -> RunSettings:
    if isinstance(relation, RunSettings):
        return relation
    return RunSettings.from_table(frame(relation))


def output_rows(outputs, output: str, national: bool = False) -> pd.DataFrame:
    """The rows of one output table (``output``, its ``mmm.outputs.OUTPUT_COLUMNS``) of the long ``mmm_market_outputs``
    relation, without the national rows unless ``national``: filtered and projected by DuckDB or Spark before anything
    reaches pandas (a pandas frame is filtered by ``mmm.outputs.output_table``)."""
    from mmm.outputs import NATIONAL, OUTPUT_COLUMNS, output_table

    if isinstance(outputs, pd.DataFrame):
        return output_table(outputs, output, national)
    if output not in OUTPUT_COLUMNS:
        raise KeyError(f"mmm_market_outputs has no output table {output!r}")
    columns = list(OUTPUT_COLUMNS[output])
    where = f"output = '{output}'" + ("" if national else f" and market <> '{NATIONAL}'")
    if is_spark(outputs):
        rows = outputs.filter(where).select(*columns)
    else:  # DuckDB relation
        rows = outputs.filter(where).project(", ".join(f'"{c}"' for c in columns))
    return frame(rows).reset_index(drop=True)


def fitted_markets(fit, model_input, channel_settings, lift_tests, settings) -> dict[str, FittedModel]:
    """Restore the fitted markets of ``mmm_fit`` (relations as returned by ``dbt.ref``)."""
    from mmm.tables import load_fitted_markets

    return load_fitted_markets(frame(fit), frame(model_input), frame(channel_settings), frame(lift_tests),
                               run_settings(settings))


def fit_markets(model_input, channel_settings, lift_tests, sufficiency, settings, interactions=None, time_varying=None,
                **kwargs):
    """The ``mmm_fit`` table: ``mmm.spark.fit_markets_spark`` (a Spark DataFrame) when ``model_input`` is a Spark
    DataFrame, else ``mmm.tables.fit_markets`` (pandas). ``settings``: the mmm_run_settings relation or RunSettings;
    ``kwargs`` go to the function called (e.g. ``market_specs``, the refresh hook)."""
    args = (frame(channel_settings), _optional_frame(lift_tests), _optional_frame(sufficiency), run_settings(settings),
            _optional_frame(interactions), _optional_frame(time_varying))
    if is_spark(model_input):
        from mmm.spark import fit_markets_spark

        return fit_markets_spark(model_input, *args, **kwargs)
    from mmm.tables import fit_markets as fit_markets_pandas

    return fit_markets_pandas(frame(model_input), *args, **kwargs)


def market_outputs(fit, model_input, channel_settings, lift_tests, scenarios, settings, stream: bool = False, **kwargs):
    """The long ``mmm_market_outputs`` table: ``mmm.spark.market_outputs_spark`` when ``fit`` is a Spark DataFrame
    (``model_input`` must be one too); else with ``stream`` an Arrow record-batch stream, market by market, that the
    warehouse writes as it reads (``mmm.outputs.market_outputs_reader``: memory stays flat with the number of markets;
    what the model returns on DuckDB); else one pandas frame (``mmm.outputs.market_outputs``)."""
    args = (frame(channel_settings), _optional_frame(lift_tests), _optional_frame(scenarios), run_settings(settings))
    if is_spark(fit):
        from mmm.spark import market_outputs_spark

        return market_outputs_spark(fit, model_input, *args, **kwargs)
    from mmm import outputs

    build = outputs.market_outputs_reader if stream else outputs.market_outputs
    return build(frame(fit), frame(model_input), *args, **kwargs)
