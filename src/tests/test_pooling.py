"""Partial pooling across markets (mmm.pooling through mmm.tables.fit_markets)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests_support import long_input, settings_frame

from mmm import analysis as an
from mmm import pooling
from mmm.demo import CHANNELS
from mmm.geos import simulate_geos
from mmm.settings import RunSettings
from mmm.tables import fit_markets, load_fitted_markets, optimal_allocation_table

FAST = dict(cv_folds=0, holdout_weeks=8)


def errors(fits, geos) -> pd.Series:
    out = {}
    for m, fm in fits.items():
        roi = an.roi_interval(fm)["estimate"]
        truth = geos[m].parameters.set_index("channel")
        w = truth["spend"] / truth["spend"].sum()
        out[m] = float(((roi - truth["roi"]).abs() / truth["roi"] * w).sum())
    return pd.Series(out)


@pytest.fixture(scope="module")
def geo_fits():
    geos = simulate_geos(1, 16, 156)
    model_input = long_input(geos)
    fits = {}
    for mode in ("none", "partial"):
        settings = RunSettings(pooling=mode, **FAST)
        table = fit_markets(model_input, settings_frame(), None, None, settings)
        fits[mode] = (table, load_fitted_markets(table, model_input, settings_frame(), None, settings))
    return geos, model_input, fits


def test_pooling_borrows_strength_and_the_smallest_markets_gain(geo_fits):
    # 16 markets, sizes tenfold apart, true log-ROI spread 0.35 around each channel's centre; the five smallest
    # markets gain most. (20 markets x 156 weeks over 5 seeds: scripts/benchmark_pooling.py.)
    geos, _, fits = geo_fits
    alone, pooled = errors(fits["none"][1], geos), errors(fits["partial"][1], geos)
    assert pooled.mean() < 0.9 * alone.mean(), (pooled.mean(), alone.mean())
    size = pd.Series({m: t.spend.to_numpy().sum() for m, t in geos.items()})
    small = size.sort_values().index[:5]
    assert pooled[small].mean() < 0.85 * alone[small].mean(), (pooled[small], alone[small])


def test_the_pool_centre_is_near_each_channels_true_centre_and_every_market_stores_it(geo_fits):
    geos, _, fits = geo_fits
    table, _ = fits["partial"]
    assert table["pooling_json"].notna().all() and table["pooling_json"].nunique() == 1
    pool = pooling.Pool.from_json(table["pooling_json"].iloc[0]).table.set_index(["channel", "parameter"])
    centre = pool.xs("roi", level="parameter")["centre"]
    truth = pd.Series({c.name: np.log(c.roi_median) for c in CHANNELS})
    assert (centre - truth[centre.index]).abs().mean() < 0.3, centre - truth[centre.index]
    assert (pool["spread"] > 0).all() and (pool["n_markets"] == 16).all()
    assert fits["none"][0]["pooling_json"].isna().all()


def test_a_channel_that_never_ran_in_a_market_gets_no_effect_there():
    geos = simulate_geos(2, 4, 104)
    geos["g01"].spend["radio"] = 0.0
    model_input = long_input(geos)
    settings = RunSettings(**FAST)
    table = fit_markets(model_input, settings_frame(), None, None, settings)
    fits = load_fitted_markets(table, model_input, settings_frame(), None, settings)
    assert "radio" not in fits["g01"].channels and "radio" in fits["g02"].channels
    checks = fits["g01"].result.checks.set_index(["check_name", "channel"])
    assert checks.loc[("channel_spend_constant", "radio"), "status"] == "fail"
    alloc = optimal_allocation_table(fits, settings_frame(), settings)
    assert not ((alloc.market == "g01") & (alloc.channel == "radio")).any()


def test_a_market_too_short_to_fit_alone_is_modeled_through_the_pool_with_a_warning():
    geos = simulate_geos(3, 4, 104)
    model_input = long_input(geos)
    weeks = sorted(model_input["week_start_date"].unique())
    short = model_input[(model_input.market != "g04") | model_input.week_start_date.isin(weeks[-40:])]
    sufficiency = pd.DataFrame([dict(market="g04", check_name="weeks_of_history", channel="", value=40.0, threshold=52.0,
                                     status="fail", message="40 weeks; at least 52 are required")])
    settings = RunSettings(**FAST)
    table = fit_markets(short, settings_frame(), None, sufficiency, settings).set_index("market")
    assert table.loc["g04", "status"] == "fitted"
    fits = load_fitted_markets(table.reset_index(), short, settings_frame(), None, settings)
    row = fits["g04"].result.checks.set_index("check_name").loc["modeled_through_pool"]
    assert row["status"] == "warn" and "modeled through the pool" in row["message"]
    alone = fit_markets(short, settings_frame(), None, sufficiency, RunSettings(pooling="none", **FAST))
    assert alone.set_index("market").loc["g04", "status"] == "not_fitted"  # without the pool it is not modeled
    other = sufficiency.assign(check_name="weeks_without_sales")
    failed = fit_markets(short, settings_frame(), None, other, settings).set_index("market")
    assert failed.loc["g04", "status"] == "not_fitted"  # other failures are never bypassed


def test_restoring_a_pooled_fit_checks_it_against_the_same_pool(geo_fits):
    from mmm.results import StaleFitError

    _, model_input, fits = geo_fits
    table, _ = fits["partial"]
    settings = RunSettings(pooling="partial", **FAST)
    tampered = table.copy()
    pool = pooling.Pool.from_json(tampered["pooling_json"].iloc[0])
    pool.priors["tv"]["roi"] = (pool.priors["tv"]["roi"][0] + 0.5, pool.priors["tv"]["roi"][1])
    tampered["pooling_json"] = pool.to_json()
    with pytest.raises(StaleFitError, match="different input"):
        load_fitted_markets(tampered, model_input, settings_frame(), None, settings)


def test_worker_processes_give_the_same_fits_as_one_process():
    geos = simulate_geos(4, 4, 104)
    model_input = long_input(geos)
    settings = RunSettings(**FAST)
    one = fit_markets(model_input, settings_frame(), None, None, settings)
    two = fit_markets(model_input, settings_frame(), None, None, settings, workers=2)
    pd.testing.assert_frame_equal(one.drop(columns=["fit_seconds", "fit_result_json"]),
                                  two.drop(columns=["fit_seconds", "fit_result_json"]))
