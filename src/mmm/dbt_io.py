"""The one seam between dbt Python models and the package.

A dbt Python model reads its inputs with ``dbt.ref(...)`` (dbt finds the dependencies by reading those
calls in the model file, so they stay there) and hands the relations to these helpers:

* ``frame(relation)``: the relation as pandas. On DuckDB ``dbt.ref`` returns a DuckDB relation
  (``.df()``); on Databricks/Spark a Spark DataFrame (``.toPandas()``); a pandas frame passes through.
* ``run_settings(relation)``: the ``mmm_run_settings`` rows as ``RunSettings``.
* ``fitted_markets(...)``: the fits of ``mmm_fit`` restored against the current input (stale fits refused).
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


def run_settings(relation) -> RunSettings:
    return RunSettings.from_table(frame(relation))


def fitted_markets(fit, model_input, channel_settings, lift_tests, settings) -> dict[str, FittedModel]:
    """Restore the fitted markets of ``mmm_fit`` (relations as returned by ``dbt.ref``)."""
    from mmm.tables import load_fitted_markets

    return load_fitted_markets(frame(fit), frame(model_input), frame(channel_settings), frame(lift_tests),
                               run_settings(settings))
