"""Great Expectations validation of the model input (``mmm_model_input``).

The dbt Python model ``dq_validation_results`` reads ``mmm_model_input`` into pandas, calls
:func:`validate_model_input` and then :func:`raise_on_critical_failure`, so a critical failure fails
``dbt build``. GX 1.24 validates a pandas frame with an ephemeral context (no files, no network);
validating DuckDB through SQLAlchemy does not work reliably, hence pandas.

The suite works on the long model input (one row per market, week_start_date, variable_type,
variable_name). Sign and range rules that only apply to one variable type are checked on derived
columns that hold ``value`` for that type and null otherwise (GX column-map expectations skip nulls):

* ``revenue_value``  >= 0 (critical), > 0 in at least 95 % of weeks (warning)
* ``spend_value``    >= 0 (critical)
* ``holiday_value``  in [0, 7] (critical)

Ranges are also checked against the data's own history (types alone let a spend of 1e15 pass), on ratios to
robust per-series centres (:func:`prepare_frame`), with the factor of the data layer's ``implausible_value``
rule (dbt var ``implausible_value_factor``, default 100):

* ``spend_to_channel_median``   weekly spend / the median non-zero weekly spend of its market and channel
  <= factor (critical: the same bound the quarantine applies to single rows, here on the weekly totals)
* ``revenue_to_market_median``  weekly revenue / the market's median weekly revenue <= factor (critical) and
  >= 1 / factor (warning: a week with almost no revenue is possible, e.g. a closure)
* ``control_robust_z``          |control - its median| / (1.4826 x its median absolute deviation) per market
  and control <= 10 (warning; null for a control whose deviation is 0, such as a mostly-zero flag)

Each expectation carries ``meta={"critical": bool}``; non-critical failures are reported, not raised.

Inside ``dbt build`` the validation runs in a child Python process
(:func:`validate_model_input_in_child_process`, or ``python -m mmm.quality IN.pkl OUT.pkl``). It is
the same suite and the same result rows; the child only keeps GX's CPU-bound work (about 4 s, most
of it importing GX) off the dbt process, whose Python threads share one interpreter lock with the
model fit that runs at the same time.
"""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

MODEL_INPUT_COLUMNS = ["market", "week_start_date", "variable_type", "variable_name", "value"]
DEFAULT_IMPLAUSIBLE_VALUE_FACTOR = 100.0  # dbt var implausible_value_factor
CONTROL_ROBUST_Z_MAX = 10.0
VARIABLE_TYPES = ["revenue", "spend", "control", "holiday"]
CHILD_TIMEOUT_SECONDS = 900  # the validation takes seconds; a hung child must not hang `dbt build`
RESULT_COLUMNS = ["expectation_id", "expectation", "column", "success", "observed_value", "is_critical", "details"]


class DataQualityError(RuntimeError):
    """Raised when a critical expectation fails on the model input."""


def _quiet_gx() -> None:
    """No usage statistics, no progress bars, no info logging from GX (they only cost time and noise)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")
    for name in ["great_expectations", *logging.root.manager.loggerDict]:
        if name.startswith("great_expectations"):
            logging.getLogger(name).setLevel(logging.WARNING)


def _ratio_to_median(values: pd.Series, groups: list[pd.Series], positive_only: bool) -> pd.Series:
    """values / the median of their group (only positive values form the median when positive_only); null when the
    median is missing or not positive."""
    basis = values.where(values > 0) if positive_only else values
    medians = basis.groupby(groups).transform("median")
    return (values / medians.where(medians > 0)).astype(float)


def prepare_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame GX validates: the model input plus per-type value columns (null for other types) and the ratios
    to each series' own history (spend_to_channel_median, revenue_to_market_median, control_robust_z)."""
    prepared = frame.copy()
    derived = ["revenue_value", "spend_value", "holiday_value", "spend_to_channel_median", "revenue_to_market_median",
               "control_robust_z"]
    if not {"variable_type", "value", "market", "variable_name"} <= set(prepared.columns):
        for column in derived:
            prepared[column] = pd.Series(float("nan"), index=prepared.index)
        return prepared
    values = pd.to_numeric(prepared["value"], errors="coerce")
    kind = prepared["variable_type"]
    for variable_type in ("revenue", "spend", "holiday"):
        prepared[f"{variable_type}_value"] = values.where(kind == variable_type)
    spend, revenue, control = values.where(kind == "spend"), values.where(kind == "revenue"), values.where(kind == "control")
    prepared["spend_to_channel_median"] = _ratio_to_median(spend, [prepared["market"], prepared["variable_name"]], True)
    prepared["revenue_to_market_median"] = _ratio_to_median(revenue, [prepared["market"]], True)
    series = [prepared["market"], prepared["variable_name"]]
    centre = control.groupby(series).transform("median")
    deviation = (control - centre).abs()
    spread = 1.4826 * deviation.groupby(series).transform("median")
    prepared["control_robust_z"] = (deviation / spread.where(spread > 0)).astype(float)
    return prepared


def build_expectations(implausible_value_factor: float = DEFAULT_IMPLAUSIBLE_VALUE_FACTOR) -> list[Any]:
    """The expectation suite over the model input, each tagged critical or not in its meta."""
    import great_expectations as gx

    factor = float(implausible_value_factor)

    e = gx.expectations
    critical = {"critical": True}
    warning = {"critical": False}
    return [
        e.ExpectTableColumnsToMatchSet(column_set=MODEL_INPUT_COLUMNS, exact_match=False, meta=critical),
        e.ExpectTableRowCountToBeBetween(min_value=1, meta=critical),
        *[e.ExpectColumnValuesToNotBeNull(column=c, meta=critical) for c in MODEL_INPUT_COLUMNS],
        e.ExpectColumnValuesToBeInSet(column="variable_type", value_set=VARIABLE_TYPES, meta=critical),
        e.ExpectColumnDistinctValuesToContainSet(column="variable_type", value_set=["revenue", "spend"], meta=critical),
        e.ExpectCompoundColumnsToBeUnique(
            column_list=["market", "week_start_date", "variable_type", "variable_name"], meta=critical),
        e.ExpectColumnValuesToBeBetween(column="revenue_value", min_value=0, meta=critical),
        e.ExpectColumnValuesToBeBetween(column="spend_value", min_value=0, meta=critical),
        e.ExpectColumnValuesToBeBetween(column="holiday_value", min_value=0, max_value=7, meta=critical),
        e.ExpectColumnValuesToBeBetween(column="revenue_value", min_value=0, strict_min=True, mostly=0.95,
                                        meta=warning),
        # ranges against the data's own history (see the module docstring)
        e.ExpectColumnValuesToBeBetween(column="spend_to_channel_median", max_value=factor, meta=critical),
        e.ExpectColumnValuesToBeBetween(column="revenue_to_market_median", max_value=factor, meta=critical),
        e.ExpectColumnValuesToBeBetween(column="revenue_to_market_median", min_value=1.0 / factor, meta=warning),
        e.ExpectColumnValuesToBeBetween(column="control_robust_z", max_value=CONTROL_ROBUST_Z_MAX, meta=warning),
        e.ExpectColumnValuesToMatchRegex(column="market", regex=r"^[^A-Z\s](?:[^A-Z]*[^A-Z\s])?$", meta=warning),
        e.ExpectColumnValuesToMatchRegex(column="variable_name", regex=r"^[^A-Z\s](?:[^A-Z]*[^A-Z\s])?$",
                                         meta=warning),
    ]


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _observed(result: dict[str, Any]) -> str:
    """One readable observed value: the metric itself, or the count of unexpected rows."""
    if "observed_value" in result:
        return json.dumps(_jsonable(result["observed_value"]))
    if "unexpected_count" in result:
        pct = result.get("unexpected_percent") or 0.0
        return f"{result['unexpected_count']} unexpected ({pct:.2f}%)"
    return ""


def validate_model_input(frame: pd.DataFrame,
                         implausible_value_factor: float = DEFAULT_IMPLAUSIBLE_VALUE_FACTOR) -> pd.DataFrame:
    """Validate the model input with Great Expectations; one result row per expectation.

    Returns a DataFrame with columns expectation_id (type and arguments), expectation, column, success,
    observed_value (text), is_critical and details (JSON text: the expectation's arguments, up to 10
    unexpected values, any exception).
    """
    _quiet_gx()
    import great_expectations as gx

    _quiet_gx()  # GX sets its own logger levels on import
    context = gx.get_context(mode="ephemeral")
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context.variables.progress_bars = ProgressBarsConfig(globally=False)
    except Exception:  # older/newer layouts: progress bars are cosmetic
        pass
    source = context.data_sources.add_pandas("mmm")
    asset = source.add_dataframe_asset(name="mmm_model_input")
    batch_definition = asset.add_batch_definition_whole_dataframe("whole_frame")
    suite = context.suites.add(gx.ExpectationSuite(name="mmm_model_input"))
    for expectation in build_expectations(implausible_value_factor):
        suite.add_expectation(expectation)

    batch = batch_definition.get_batch(batch_parameters={"dataframe": prepare_frame(frame)})
    validation = batch.validate(suite, result_format="SUMMARY")

    rows = []
    for result in validation.results:
        config = result.expectation_config
        kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
        column = kwargs.get("column") or ", ".join(kwargs.get("column_list", []) or [])
        exception = result.exception_info or {}
        raised = exception.get("raised_exception") if isinstance(exception, dict) else False
        details = {
            "kwargs": _jsonable(kwargs),
            "partial_unexpected_list": _jsonable((result.result or {}).get("partial_unexpected_list", [])[:10]),
        }
        if raised:
            details["exception"] = exception.get("exception_message")
        rows.append({
            "expectation_id": f"{config.type}|{json.dumps(_jsonable(kwargs), sort_keys=True)}",
            "expectation": config.type,
            "column": column,
            "success": bool(result.success),
            "observed_value": _observed(result.result or {}),
            "is_critical": bool((config.meta or {}).get("critical", True)),
            "details": json.dumps(details),
        })
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def validate_model_input_in_child_process(frame: pd.DataFrame,
                                          implausible_value_factor: float = DEFAULT_IMPLAUSIBLE_VALUE_FACTOR
                                          ) -> pd.DataFrame:
    """:func:`validate_model_input` run by ``python -m mmm.quality`` in a child process (same rows).

    The frame goes to the child and the results come back as pickles in a private temporary folder.
    A child that fails raises DataQualityError with the end of its error output.
    """
    with tempfile.TemporaryDirectory(prefix="mmm_gx_") as folder:
        frame_path, results_path = Path(folder) / "model_input.pkl", Path(folder) / "results.pkl"
        frame.to_pickle(frame_path)
        try:
            child = subprocess.run([sys.executable, "-m", "mmm.quality", str(frame_path), str(results_path),
                                    repr(float(implausible_value_factor))],
                                   capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"},
                                   timeout=CHILD_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired as exc:
            raise DataQualityError(f"the Great Expectations validation process ({sys.executable} -m mmm.quality) "
                                   f"did not finish within {exc.timeout:.0f} s") from exc
        if child.returncode != 0 or not results_path.exists():
            raise DataQualityError(
                f"the Great Expectations validation process ({sys.executable} -m mmm.quality) failed "
                f"with exit code {child.returncode}:\n{child.stderr[-3000:]}")
        return pd.read_pickle(results_path)


def critical_failures(results: pd.DataFrame) -> pd.DataFrame:
    """The rows of failed critical expectations."""
    return results[(~results["success"].astype(bool)) & results["is_critical"].astype(bool)]


def raise_on_critical_failure(results: pd.DataFrame) -> None:
    """Raise DataQualityError naming every failed critical expectation (column and observed value)."""
    failed = critical_failures(results)
    if failed.empty:
        return
    lines = [f"- {r.expectation}({r.column}): observed {r.observed_value}" for r in failed.itertuples()]
    raise DataQualityError(
        f"Great Expectations: {len(failed)} critical expectation(s) failed on mmm_model_input:\n"
        + "\n".join(lines)
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m mmm.quality FRAME.pkl RESULTS.pkl [FACTOR]``: validate a pickled model input, pickle the results
    (FACTOR: the implausible_value_factor of the range checks, default 100)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3):
        print("usage: python -m mmm.quality FRAME.pkl RESULTS.pkl [IMPLAUSIBLE_VALUE_FACTOR]", file=sys.stderr)
        return 2
    factor = float(args[2]) if len(args) == 3 else DEFAULT_IMPLAUSIBLE_VALUE_FACTOR
    validate_model_input(pd.read_pickle(args[0]), factor).to_pickle(args[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
