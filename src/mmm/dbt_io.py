"""The one seam between dbt Python models and the package.

A dbt Python model reads its inputs with ``dbt.ref(...)`` (dbt finds the dependencies by reading those
calls in the model file, so they stay there) and hands the relations to these helpers:

* ``frame(relation)``: the relation as pandas. On DuckDB ``dbt.ref`` returns a DuckDB relation
  (``.df()``); on Databricks/Spark a Spark DataFrame (``.toPandas()``); a pandas frame passes through.
* ``run_settings(relation)``: the ``mmm_run_settings`` rows as ``RunSettings``.
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


def _is_duckdb(session) -> bool:
    try:
        import duckdb
    except ImportError:  # pragma: no cover - duckdb is a dependency of the project
        return False
    return isinstance(session, duckdb.DuckDBPyConnection)


def market_outputs(fit, model_input, channel_settings, lift_tests, scenarios, settings, session=None, **kwargs):
    """The long ``mmm_market_outputs`` table: ``mmm.spark.market_outputs_spark`` when ``fit`` is a Spark DataFrame
    (``model_input`` must be one too); else, given the dbt model's DuckDB ``session``, written market by market into a
    temporary table whose relation is returned (``mmm.outputs.write_market_outputs``: memory stays flat with the
    number of markets); else ``mmm.outputs.market_outputs`` (pandas)."""
    args = (frame(channel_settings), _optional_frame(lift_tests), _optional_frame(scenarios), run_settings(settings))
    if is_spark(fit):
        from mmm.spark import market_outputs_spark

        return market_outputs_spark(fit, model_input, *args, **kwargs)
    if session is not None and _is_duckdb(session):
        from mmm.outputs import write_market_outputs

        return write_market_outputs(session, "mmm_market_outputs__rows", frame(fit), frame(model_input), *args, **kwargs)
    from mmm.outputs import market_outputs as market_outputs_pandas

    return market_outputs_pandas(frame(fit), frame(model_input), *args, **kwargs)
