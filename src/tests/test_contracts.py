"""The marts' YAML is the one public contract: the generated doc and the pipeline's outputs agree with it (the
dashboard's side is in dashboard/tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests_support import long_input, settings_frame

from mmm import contracts, outputs, tables
from mmm.demo import simulate_market
from mmm.settings import RunSettings

# mart -> the `output` of mmm_market_outputs it selects (fct_diagnostics also unions the SQL data checks)
MARTS = {"fct_fitted_revenue": "fitted_revenue", "fct_contributions": "contributions",
         "fct_channel_summary": "channel_summary", "fct_response_curves": "response_curves",
         "fct_optimal_allocation": "optimal_allocation", "fct_target_budget": "target_budget",
         "fct_scenarios": "scenarios", "fct_lift_test_calibration": "lift_test_calibration",
         "fct_fit_parameters": "fit_parameters", "fct_national_allocation": "national_allocation",
         "fct_diagnostics": "model_checks"}
PANDAS_KIND = {"double": "fciu", "boolean": "b", "varchar": "OTU", "date": "Mm"}


@pytest.fixture(scope="module")
def long_table():
    settings = RunSettings(random_seed=3, cv_folds=0, target_mroi=1.5)
    model_input = long_input({"aa": simulate_market(51, n_weeks=110), "bb": simulate_market(52, n_weeks=110)})
    fit = tables.fit_markets(model_input, settings_frame(), None, None, settings)
    scenarios = pd.DataFrame([dict(scenario_name="more_tv", market="aa", channel="tv", change_type="percent",
                                   change_value=10, description="")])
    return outputs.market_outputs(fit, model_input, settings_frame(), None, scenarios, settings, progress=None)


def test_contracts_doc_is_generated_from_the_yaml():
    assert contracts.DOC.read_text() == contracts.render(contracts.public_tables()), (
        "docs/contracts.md is stale: run `make contracts-doc`")


def test_every_output_has_a_public_mart(long_table):
    assert set(long_table["output"]) <= set(MARTS.values()) - {"lift_test_calibration"}  # no lift tests here
    assert set(MARTS) <= set(contracts.public_tables())


@pytest.mark.parametrize("mart", sorted(MARTS))
def test_pipeline_output_has_the_contract_columns_and_types(long_table, mart):
    table = contracts.public_tables()[mart]
    rows = long_table[long_table["output"] == MARTS[mart]]
    missing = [c for c in table.column_names if c not in long_table.columns]
    if mart == "fct_lift_test_calibration":  # no lift tests in this fixture: only the columns must exist
        assert not [c for c in missing if c not in ("experiment_id", "measured_lift", "measured_lift_se",
                                                   "predicted_lift", "predicted_lift_lower", "predicted_lift_upper",
                                                   "z_score", "start_date", "end_date")], missing
        return
    assert not missing, f"{mart}: the pipeline gives no {missing}"
    assert len(rows), mart
    for col in table.columns:
        values = rows[col.name].dropna()
        if len(values):
            kind = rows[col.name].dtype.kind
            if kind == "O":
                kind = np.asarray(values.to_list()).dtype.kind
            assert kind in PANDAS_KIND[col.data_type], (
                f"{mart}.{col.name} is declared {col.data_type} but the pipeline gives dtype kind {kind!r}")
    key = list(table.grain)
    assert not rows.duplicated(key).any(), f"{mart}: duplicate {key}"
    for col in key:
        assert rows[col].notna().all(), f"{mart}: null {col}"


def test_national_rows_add_up_the_markets(long_table):
    summary = long_table[long_table["output"] == "channel_summary"]
    national = summary[summary.market == "national"].set_index("channel")
    markets = summary[summary.market != "national"].groupby("channel")[["spend", "contribution"]].sum()
    np.testing.assert_allclose(national.loc[markets.index, "spend"], markets["spend"])
    np.testing.assert_allclose(national.loc[markets.index, "contribution"], markets["contribution"])
    assert ((national["roi_lower"] <= national["roi"]) & (national["roi"] <= national["roi_upper"])).all()
    alloc = long_table[long_table["output"] == "national_allocation"]
    assert alloc["optimal_weekly_spend"].sum() == pytest.approx(alloc["current_weekly_spend"].sum(), rel=1e-6)
    assert alloc["expected_revenue_optimal"].sum() >= alloc["expected_revenue_current"].sum() - 1e-6


def test_the_long_tables_columns_cover_every_marts_contract():
    for mart, table in contracts.public_tables().items():
        if mart in MARTS:
            assert set(table.column_names) <= set(outputs.COLUMNS), (mart, set(table.column_names) - set(outputs.COLUMNS))


@pytest.mark.parametrize("mart", sorted(MARTS))
def test_output_columns_are_the_marts_contract_columns(long_table, mart):
    """outputs.OUTPUT_COLUMNS (what output_table takes back from the long table) is each mart's contract."""
    assert outputs.OUTPUT_COLUMNS[MARTS[mart]] == tuple(contracts.public_tables()[mart].column_names)
    if MARTS[mart] in set(long_table["output"]):
        table = outputs.output_table(long_table, MARTS[mart])
        assert list(table.columns) == list(outputs.OUTPUT_COLUMNS[MARTS[mart]]) and len(table)


def test_market_outputs_streamed_market_by_market_into_duckdb_equal_the_pandas_table(long_table):
    """What mmm_market_outputs does on DuckDB (dbt_io.market_outputs with stream=True, materialized by dbt-duckdb as a
    registered Arrow stream): the rows DuckDB writes market by market are the pandas table's rows, typed alike."""
    import duckdb

    from mmm import dbt_io

    settings = RunSettings(random_seed=3, cv_folds=0, target_mroi=1.5)
    model_input = long_input({"aa": simulate_market(51, n_weeks=110), "bb": simulate_market(52, n_weeks=110)})
    fit = tables.fit_markets(model_input, settings_frame(), None, None, settings)
    scenarios = pd.DataFrame([dict(scenario_name="more_tv", market="aa", channel="tv", change_type="percent",
                                   change_value=10, description="")])
    con = duckdb.connect().cursor()
    stream = dbt_io.market_outputs(fit, model_input, settings_frame(), None, scenarios, settings, stream=True,
                                   progress=None)
    con.register("stream", stream)  # as dbt-duckdb's materialize does with what a python model returns
    con.execute("create table written as select * from stream")
    got = con.execute("select * from written").df()
    assert list(got.columns) == list(outputs.COLUMNS) and len(got) == len(long_table)
    expected = long_table.reset_index(drop=True).copy()
    for frame in (got, expected):  # wall time of each fit, not a result
        frame.loc[frame["check_name"] == "fit_seconds", "value"] = np.nan
        frame.loc[frame["parameter"] == "fit_seconds", "estimate"] = np.nan
    for col, kind in outputs.COLUMNS.items():
        if kind == "number":
            np.testing.assert_allclose(got[col].astype(float), expected[col].astype(float), rtol=1e-9, equal_nan=True,
                                       err_msg=col)
        elif kind == "text":
            assert got[col].fillna("").astype(str).tolist() == expected[col].fillna("").astype(str).tolist(), col
        elif kind == "bool":
            assert got[col].astype("boolean").fillna(False).tolist() == expected[col].astype("boolean").fillna(False).tolist()
        else:
            as_us = [pd.to_datetime(x).astype("datetime64[us]") for x in (got[col], expected[col])]
            assert as_us[0].equals(as_us[1]), col


@pytest.mark.parametrize("output, national", [("channel_summary", False), ("channel_summary", True),
                                              ("model_checks", False), ("response_curves", False)])
def test_output_rows_filtered_by_duckdb_equal_the_pandas_selection(long_table, output, national):
    """dbt_io.output_rows on the DuckDB relation (what mmm_alerts, mmm_challenger and mmm_run_history read) gives the
    rows and columns output_table takes from the pandas frame, without the national rows unless asked."""
    import duckdb

    from mmm import dbt_io

    con = duckdb.connect()
    con.register("long_frame", long_table)
    con.execute("create table long_table as select * from long_frame")
    got = dbt_io.output_rows(con.table("long_table"), output, national)
    expected = outputs.output_table(long_table, output, national)
    assert list(got.columns) == list(outputs.OUTPUT_COLUMNS[output]) and len(got) == len(expected) > 0
    assert (got["market"] == outputs.NATIONAL).any() == (national and output == "channel_summary")
    pd.testing.assert_frame_equal(got.astype(str), expected.astype(str))
    with pytest.raises(KeyError, match="no output table 'nope'"):
        dbt_io.output_rows(con.table("long_table"), "nope")


def test_national_draws_add_the_pool_centres_shared_error():
    """Independent market draws add up to sd sqrt(M) sigma; the pool centre's error, common to every market, adds a
    shared part (mean kept); without a pool (shared_sd 0) the sum is the plain sum."""
    rng = np.random.default_rng(0)
    m, d = 20, 4000
    draws = [100.0 + 10.0 * rng.normal(size=d) for _ in range(m)]
    g = pd.DataFrame({"contribution_draws": draws, "shared_sd": 0.0})
    plain = outputs.national_draws(g, "tv", seed=1)
    np.testing.assert_allclose(plain, np.sum(draws, axis=0))
    assert plain.std() == pytest.approx(10.0 * np.sqrt(m), rel=0.05)
    pooled = outputs.national_draws(g.assign(shared_sd=0.1), "tv", seed=1)
    # each market's contribution moves by about 10% together: sd of the common part 0.1 * 100 * M
    assert pooled.std() == pytest.approx(np.sqrt((10.0 * np.sqrt(m)) ** 2 + (0.1 * 100.0 * m) ** 2), rel=0.06)
    assert pooled.mean() == pytest.approx(plain.mean(), rel=0.01)
    np.testing.assert_array_equal(pooled, outputs.national_draws(g.assign(shared_sd=0.1), "tv", seed=1))


def test_pool_shared_sd_is_how_far_the_market_follows_the_centre():
    """pool_shared_sd says each market's log ROI moves with the pool centre by b = posterior / prior variance. Checked
    against the fit itself: refitting market aa with one channel's prior mean moved by 0.05 moves that channel's MAP by
    about b * 0.05 (measured 0.03-0.61 across channels; within 0.15 of b each, the Laplace curvature being local);
    0 without a pool."""
    import dataclasses

    from mmm import engine, pooling

    settings = RunSettings(random_seed=3, cv_folds=0, target_mroi=1.5)
    model_input = long_input({"aa": simulate_market(51, n_weeks=110), "bb": simulate_market(52, n_weeks=110)})
    fit = tables.fit_markets(model_input, settings_frame(), None, None, settings, progress=None)
    fm = tables.load_fitted_markets(fit, model_input, settings_frame(), None, settings)["aa"]
    text = fit["pooling_json"].iloc[0]
    centre = pooling.Pool.from_json(text).table.query("parameter == 'roi'").set_index("channel")["centre_sd"]
    shared = outputs.pool_shared_sd(fm, text)
    np.testing.assert_array_equal(outputs.pool_shared_sd(fm, None), 0.0)
    roi = fm.problem.layout.roi_index()
    weights, moved = [], []
    for ci, spec in enumerate(fm.result.specs):
        assert 0 < shared[ci] <= centre[spec.name]
        mean, sd = spec.priors["roi"]
        specs = [dataclasses.replace(s, priors={**s.priors, "roi": (mean + 0.05, sd)}) if s is spec else s
                 for s in fm.result.specs]
        refit = engine.fit_market(fm.data, specs, fm.result.config, "aa")
        weights.append(shared[ci] / centre[spec.name])
        moved.append((refit.z[roi[ci]] - fm.result.z[roi[ci]]) / 0.05)
    np.testing.assert_allclose(moved, weights, atol=0.15)
    assert np.corrcoef(moved, weights)[0, 1] > 0.9
