"""Optional synergy and time-varying terms (mmm.synergy, mmm.time_varying): off means the plain model, and the
math with known answers. Recovery rates and coverage are measured in scripts/benchmark_challenger.py."""

from __future__ import annotations

import numpy as np
import pytest

from mmm.demo import CHANNELS, simulate_market
from mmm.fit import FitConfig, evaluate, prepare_problem
from mmm.model import ChannelSpec, build_layout
from mmm.optimize import optimize_allocation_global
from mmm.response import ParametricResponse
from mmm.results import FitResult
from mmm.simulate_effects import drift_profile, market_data, simulate_with_effects
from mmm.synergy import PairResponse, optimize_with_synergy, total_revenue
from mmm.time_varying import knot_basis

SPECS = [ChannelSpec(c.name, "geometric", c.max_lag, "hill") for c in CHANNELS[:4]]
TERMS = dict(time_varying=(("tv", 4, 0.15), ("radio", 3, 0.2)), interactions=(("tv", "search", 0.5), ("radio", "tv", 0.3)))


@pytest.fixture(scope="module")
def data():
    return market_data(simulate_market(5, n_weeks=110, channels=CHANNELS[:4]))


def lifts():
    w = np.zeros(110, bool)
    w[60:64] = True
    return [dict(experiment_id="x", channel="tv", weeks=w, measured=5e4, se=1e4),
            dict(experiment_id="y", channel="search", weeks=w, measured=5e4, se=1e4)]


def test_no_terms_is_the_plain_layout():
    plain, off = build_layout(SPECS), build_layout(SPECS, None, (), ())
    assert plain.names == off.names and not off.drift and not off.synergy
    np.testing.assert_array_equal(plain.slots, off.slots)
    np.testing.assert_array_equal(plain.prior_sd, off.prior_sd)


def test_a_term_naming_a_channel_not_modeled_is_skipped():
    layout = build_layout(SPECS, None, (("video", 4, 0.1),), (("tv", "video", 0.5),))
    assert not layout.drift and not layout.synergy


def test_knot_basis_interpolates_and_holds_after_the_last_training_week():
    basis = knot_basis(12, 10, 4)  # knots at weeks 0, 3, 6, 9
    delta = np.array([0.0, 0.3, 0.3, -0.3])
    path = basis @ delta
    np.testing.assert_allclose(path[[0, 3, 6, 9]], delta)
    np.testing.assert_allclose(path[1], 0.1)
    np.testing.assert_allclose(path[10:], -0.3)  # forecast weeks keep the last value
    np.testing.assert_allclose(basis.sum(axis=1), 1.0)


@pytest.mark.parametrize("terms", [dict(time_varying=TERMS["time_varying"]), dict(interactions=TERMS["interactions"]), TERMS])
def test_gradient_matches_finite_differences(data, terms):
    problem = prepare_problem(data, SPECS, FitConfig(**terms), lifts())
    z = problem.layout.prior_mean + np.random.default_rng(0).normal(0, 0.3, problem.layout.size) * problem.layout.prior_sd
    grad = evaluate(problem, z).grad
    num = np.array([(evaluate(problem, z + e * 1e-5, False).value - evaluate(problem, z - e * 1e-5, False).value) / 2e-5
                    for e in np.eye(len(z))])
    assert np.max(np.abs(num - grad)) < 1e-5 * np.max(np.abs(num))


def test_media_columns_hold_own_effects_plus_half_of_each_synergy(data):
    problem = prepare_problem(data, SPECS, FitConfig(**TERMS), lifts())
    mm = problem.media_model
    z = problem.layout.prior_mean.copy()
    z[[e for _, _, e in problem.layout.synergy]] = [0.4, -0.2]
    media, _ = mm.media(z)
    own, f, _ = mm.parts(z)
    syn = mm.synergy_effects(z)
    c = problem.n_channels
    np.testing.assert_allclose(media[:, :c].sum(axis=1), own[:, :c].sum(axis=1) + syn.sum(axis=1), rtol=1e-12)
    # the lift on tv: own effect lost plus both synergy terms tv is part of, computed directly
    lt = problem.lifts[0]
    direct = own[:, 0].sum() - own[:, lt.column].sum()
    for a, b, kappa, e in mm.synergy_terms:
        other = b if a == 0 else a if b == 0 else None
        if other is not None:
            direct += kappa * z[e] * ((f[:, 0] - f[:, lt.column]) * f[:, other]).sum()
    assert media[:, 0].sum() - media[:, lt.column].sum() == pytest.approx(direct, rel=1e-12)


def test_roi_stays_the_average_roi_under_drift(data):
    problem = prepare_problem(data, SPECS, FitConfig(time_varying=(("tv", 4, 0.15),)))
    z = problem.layout.prior_mean.copy()
    z[problem.layout.drift[0]] = [0.3, 0.3, 0.3]  # effectiveness rising
    media, _ = problem.media(z)
    spend = data.spend["tv"].to_numpy().sum()
    assert media[:, 0].sum() / spend == pytest.approx(np.exp(z[problem.layout.index("tv", "roi")]), rel=1e-12)
    w = problem.media_model.effectiveness(z)[:, 0]
    assert w[-1] / w[0] == pytest.approx(np.exp(0.9))


def test_fit_config_with_terms_round_trips_through_the_stored_fit(data):
    config = FitConfig(**TERMS)
    result = FitResult("m", SPECS, config, np.zeros(3), np.eye(3), np.zeros((2, 3)), 1.0,
                       __import__("pandas").DataFrame(columns=["check_name"]), "x")
    back = FitResult.from_json(result.to_json()).config
    assert back == config and back.interactions == TERMS["interactions"]


def test_pair_response_gradient_and_the_optimizer_moves_money_for_synergy():
    hill = {"half_saturation": 1.0, "shape": 1.0}
    own = [ParametricResponse(2.0, "hill", hill), ParametricResponse(2.0, "hill", hill)]
    pair = PairResponse(0, 1, 6.0, "hill", hill, "hill", hill)
    ga, gb = pair.gradient(1.0, 3.0)
    eps = 1e-6
    assert ga == pytest.approx((pair.revenue(1 + eps, 3) - pair.revenue(1 - eps, 3)) / (2 * eps), rel=1e-6)
    assert gb == pytest.approx((pair.revenue(1, 3 + eps) - pair.revenue(1, 3 - eps)) / (2 * eps), rel=1e-6)
    # a third channel with a better own curve: without synergy it takes money from the pair, with it less so
    own3 = [*own, ParametricResponse(3.0, "hill", hill)]
    current, lower, upper = np.array([2.0, 2.0, 2.0]), np.zeros(3), np.full(3, 6.0)
    plain = optimize_with_synergy(own3, [], current, lower, upper, 6.0)
    with_pair = optimize_with_synergy(own3, [pair], current, lower, upper, 6.0)
    assert with_pair.optimal[2] < plain.optimal[2]
    # known answer: a dense grid over the budget line
    grid = np.linspace(0, 6, 601)
    best = max(((a, b) for a in grid for b in grid if a + b <= 6), key=lambda ab: total_revenue(
        own3, [pair], np.array([ab[0], ab[1], 6 - ab[0] - ab[1]])))
    assert total_revenue(own3, [pair], with_pair.optimal) >= total_revenue(own3, [pair], np.array([*best, 6 - sum(best)])) - 1e-6
    assert optimize_allocation_global(own3, current, lower, upper, 6.0).optimal[2] == pytest.approx(plain.optimal[2], abs=1e-3)


def test_generator_adds_the_declared_terms():
    t = simulate_with_effects(7, synergy=("tv", "search"), drift_channel="radio", drift=(0.5, 1.5))
    base = simulate_market(7)
    added = t.market.revenue - base.revenue
    radio = t.market.components["radio"].to_numpy() - base.components["radio"].to_numpy()
    np.testing.assert_allclose(added, t.market.components["tv x search"].to_numpy() + radio, atol=0.011)
    assert t.synergy["contribution"] == pytest.approx(0.5 * (base.components["tv"].sum() + base.components["search"].sum()))
    assert drift_profile(156, 0.5, 1.5)[0] < 0.6 and drift_profile(156, 0.5, 1.5)[-1] > 1.4
