"""The marts' YAML is the one public contract: the generated doc, the pipeline's outputs and the dashboard
agree with it (the dashboard's side is in dashboard/tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests_support import long_input, settings_frame

from mmm import contracts, tables
from mmm.demo import simulate_market
from mmm.settings import RunSettings

# mart -> the package function behind the Python model it selects from
OUTPUTS = {
    "fct_fitted_revenue": lambda f, s: tables.fitted_revenue_table(f),
    "fct_contributions": lambda f, s: tables.contributions_table(f),
    "fct_channel_summary": lambda f, s: tables.channel_summary_table(f, settings_frame(), s),
    "fct_response_curves": lambda f, s: tables.response_curves_table(f, s),
    "fct_optimal_allocation": lambda f, s: tables.optimal_allocation_table(f, settings_frame(), s),
    "fct_target_budget": lambda f, s: tables.target_budget_table(f, settings_frame(), s),
    "fct_scenarios": lambda f, s: tables.scenarios_table(f, pd.DataFrame([dict(
        scenario_name="more_tv", market="aa", channel="tv", change_type="percent", change_value=10, description="")]), s),
    "fct_lift_test_calibration": lambda f, s: tables.lift_test_calibration_table(f, None),
    "fct_fit_parameters": lambda f, s: tables.fit_parameters_table(f),
}
PANDAS_KIND = {"double": "fc iu", "boolean": "b", "varchar": "OT", "date": "Mm"}


@pytest.fixture(scope="module")
def outputs():
    settings = RunSettings(random_seed=3, cv_folds=0, target_mroi=1.5)
    model_input = long_input({"aa": simulate_market(51, n_weeks=110)})
    fit = tables.fit_markets(model_input, settings_frame(), None, None, settings)
    fits = tables.load_fitted_markets(fit, model_input, settings_frame(), None, settings)
    out = {mart: make(fits, settings) for mart, make in OUTPUTS.items()}
    out["fct_diagnostics"] = tables.model_checks_table(fits, fit, settings_frame(), settings)
    return out


def test_contracts_doc_is_generated_from_the_yaml():
    assert contracts.DOC.read_text() == contracts.render(contracts.public_tables()), (
        "docs/contracts.md is stale: run `make contracts-doc`")


def test_every_model_output_is_covered_by_a_public_mart():
    assert set(OUTPUTS) | {"fct_diagnostics"} <= set(contracts.public_tables())


@pytest.mark.parametrize("mart", sorted([*OUTPUTS, "fct_diagnostics"]))
def test_pipeline_output_columns_and_types_are_the_contract(outputs, mart):
    table = contracts.public_tables()[mart]
    frame = outputs[mart]
    expected = table.column_names
    assert list(frame.columns) == expected, f"{mart}: pipeline gives {list(frame.columns)}"
    for col in table.columns:
        values = frame[col.name].dropna()
        if len(values):
            kind = np.asarray(values.to_list()).dtype.kind if frame[col.name].dtype == object else frame[col.name].dtype.kind
            assert kind in PANDAS_KIND[col.data_type] or (col.data_type == "varchar" and kind == "U"), (
                f"{mart}.{col.name} is declared {col.data_type} but the pipeline gives dtype kind {kind!r}")
