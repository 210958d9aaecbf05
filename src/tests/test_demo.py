"""The demo generator: deterministic per seed, different truth per seed, internally consistent truth."""

import numpy as np
import pandas as pd

from mmm.demo import CHANNELS, simulate_advertiser, simulate_market, true_lift, write_demo

CONTRACT = {
    "raw_media_spend": ["date", "market", "channel", "campaign", "spend", "currency", "impressions"],
    "raw_sales": ["date", "market", "revenue", "currency"],
    "raw_controls": ["date", "market", "control", "value"],
    "raw_fx_rates": ["date", "currency", "rate_to_usd"],
    "raw_lift_tests": ["experiment_id", "market", "channel", "start_date", "end_date", "incremental_revenue",
                       "incremental_revenue_se", "currency"],
    "raw_holidays": ["date", "market", "holiday"],
}


def test_same_seed_same_data_and_other_seed_other_truth():
    a, b, c = simulate_market(5), simulate_market(5), simulate_market(6)
    np.testing.assert_array_equal(a.revenue, b.revenue)
    pd.testing.assert_frame_equal(a.parameters, b.parameters)
    assert not np.allclose(a.parameters["roi"], c.parameters["roi"])
    assert not np.allclose(a.parameters["alpha"], c.parameters["alpha"])


def test_components_and_noise_add_up_to_revenue_and_roi_is_contribution_over_spend():
    t = simulate_market(11)
    total = t.components.to_numpy().sum(axis=1) + t.noise
    np.testing.assert_allclose(total, t.revenue, atol=0.01)
    p = t.parameters.set_index("channel")
    for ch in p.index:
        assert t.components[ch].sum() / t.spend[ch].sum() == np.float64(p.loc[ch, "roi"])
    assert len(p) == len(CHANNELS)


def test_lift_of_switching_off_everything_equals_total_contribution():
    t = simulate_market(3)
    lift = true_lift(t, "tv", t.weeks[0], t.weeks[-1])
    assert np.isclose(lift, t.components["tv"].sum())


def test_raw_files_follow_the_contract_and_money_converts_back(tmp_path):
    adv = write_demo(tmp_path, seed=3)
    for name, cols in CONTRACT.items():
        frame = pd.read_csv(tmp_path / f"{name}.csv")
        assert list(frame.columns) == cols, name
        assert len(frame) > 0
    sales = pd.read_csv(tmp_path / "raw_sales.csv")
    assert set(sales.market) == {"us", "ca"} and set(sales.currency) == {"USD", "CAD"}
    us = sales[sales.market == "us"]["revenue"].sum()
    np.testing.assert_allclose(us, adv.markets["us"].revenue.sum(), rtol=1e-6)
    assert (tmp_path / "truth" / "truth_channels.csv").exists()


def test_advertiser_has_two_lift_tests_with_positive_standard_errors():
    adv = simulate_advertiser(2)
    lt = adv.raw["raw_lift_tests"]
    assert len(lt) == 2 and (lt["incremental_revenue_se"] > 0).all()
    assert set(lt["channel"]) == {"social", "tv"}


def test_allocation_capture_is_one_at_the_true_optimum_and_zero_at_current():
    from mmm.demo import allocation_capture

    truth = simulate_market(3)
    channels = list(truth.parameters["channel"])
    current = truth.spend[channels].iloc[-13:].mean().to_numpy()
    lower, upper = 0.5 * current, 2.0 * current
    at_current = allocation_capture(truth.parameters, channels, current, current, lower, upper)
    assert at_current["achievable"] > 0 and at_current["capture"] == 0.0
    optimum = at_current["true_optimal"]
    assert np.isclose(optimum.sum(), current.sum()) and np.all(optimum >= lower - 1e-6) and np.all(optimum <= upper + 1e-6)
    assert allocation_capture(truth.parameters, channels, current, optimum, lower, upper)["capture"] == 1.0
    # moving budget the wrong way (best channel to its floor, its budget to the worst one) loses revenue
    worse = current.copy()
    gain, loss = int(np.argmax(optimum - current)), int(np.argmin(optimum - current))
    shift = 0.5 * current[gain]
    worse[gain] -= shift
    worse[loss] += shift
    assert allocation_capture(truth.parameters, channels, current, worse, lower, upper)["capture"] < 0
