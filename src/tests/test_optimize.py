"""Known-answer and reference tests for mmm.optimize (budget allocation and target modes)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from mmm.optimize import (
    AllocationResult,
    evaluate_allocation_draws,
    max_budget_for_target_mroi,
    min_budget_for_target_revenue,
    optimize_allocation,
    optimize_allocation_global,
    project_to_budget,
)
from mmm.response import ParametricResponse, TabulatedResponse


def mm(beta: float, k: float) -> ParametricResponse:
    return ParametricResponse(beta, "michaelis_menten", {"half_saturation": k})


def hill(beta: float, k: float, shape: float) -> ParametricResponse:
    return ParametricResponse(beta, "hill", {"half_saturation": k, "shape": shape})


def mm_optimum(beta: np.ndarray, k: np.ndarray, budget: float) -> tuple[np.ndarray, float]:
    """Interior optimum for Michaelis-Menten channels r_c = b_c x / (K_c + x).

    Equal marginals b_c K_c / (K_c + x_c)^2 = lam give x_c = sqrt(b_c K_c / lam) - K_c; the budget
    sum_c x_c = B gives 1 / sqrt(lam) = (B + sum K) / sum sqrt(b K).
    """
    root = np.sqrt(beta * k)
    x = root * (budget + k.sum()) / root.sum() - k
    return x, float((root.sum() / (budget + k.sum())) ** 2)


def assert_feasible(result: AllocationResult, lower, upper, budget: float) -> None:
    """The allocation respects the bounds and budget the optimizer was GIVEN (not the ones it reports)."""
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    tol = 1e-9 * max(budget, 1.0)
    assert np.all(result.optimal >= lower - tol)
    assert np.all(result.optimal <= upper + tol)
    assert result.optimal.sum() == pytest.approx(budget, rel=1e-9, abs=1e-9)
    np.testing.assert_array_equal(result.lower, lower)
    np.testing.assert_array_equal(result.upper, upper)


def random_case(rng: np.random.Generator, n_channels: int):
    responses = []
    for _ in range(n_channels):
        kind = rng.choice(["hill", "logistic", "michaelis_menten"], p=[0.5, 0.25, 0.25])
        k = rng.uniform(10.0, 100.0)
        params = {"hill": {"half_saturation": k, "shape": rng.uniform(0.7, 3.0)},
                  "logistic": {"lam": 1.0 / k}, "michaelis_menten": {"half_saturation": k}}[kind]
        responses.append(ParametricResponse(rng.uniform(10.0, 200.0), str(kind), params))
    current = rng.uniform(5.0, 80.0, n_channels)
    lower = np.where(rng.uniform(size=n_channels) < 0.3, 0.0, current * rng.uniform(0.0, 0.8, n_channels))
    upper = current * rng.uniform(1.2, 4.0, n_channels)
    budget = rng.uniform(lower.sum(), upper.sum())
    return responses, current, lower, upper, budget


# --------------------------------------------------------------------------- known answers

@pytest.mark.parametrize("response", [mm(100.0, 30.0), ParametricResponse(80.0, "logistic", {"lam": 0.02}),
                                      hill(120.0, 40.0, 0.8)])
def test_identical_concave_channels_split_equally(response):
    result = optimize_allocation([response, response], [10.0, 90.0], [0.0, 0.0], [200.0, 200.0], 100.0)
    np.testing.assert_allclose(result.optimal, [50.0, 50.0], rtol=1e-5)
    assert result.binding == ("", "")
    assert result.success and not result.budget_adjusted
    assert result.total_revenue_optimal > result.total_revenue_current


def test_michaelis_menten_closed_form_optimum():
    beta, k = np.array([300.0, 120.0, 80.0, 200.0]), np.array([40.0, 15.0, 60.0, 25.0])
    expected, lam = mm_optimum(beta, k, 180.0)
    assert np.all(expected > 0)
    responses = [mm(b, kk) for b, kk in zip(beta, k, strict=True)]
    result = optimize_allocation(responses, np.full(4, 45.0), np.zeros(4),
                                 np.full(4, 1000.0), 180.0)
    np.testing.assert_allclose(result.optimal, expected, rtol=1e-5)
    np.testing.assert_allclose(result.marginal_optimal, lam, rtol=1e-5)
    assert result.marginal_roi == pytest.approx(lam, rel=1e-5)
    assert_feasible(result, np.zeros(4), np.full(4, 1000.0), 180.0)


def test_upper_and_lower_bounds_bind():
    # channel 0 would take far more than its upper bound 20; channel 3 would get less than its lower 30
    beta, k = np.array([500.0, 120.0, 100.0, 5.0]), np.array([40.0, 15.0, 20.0, 25.0])
    lower, upper, budget = np.array([0.0, 0.0, 0.0, 30.0]), np.array([20.0, 500.0, 500.0, 500.0]), 150.0
    unconstrained, _ = mm_optimum(beta, k, budget)
    assert unconstrained[0] > upper[0] and unconstrained[3] < lower[3]
    rest, _ = mm_optimum(beta[1:3], k[1:3], budget - upper[0] - lower[3])
    assert np.all(rest > 0)
    responses = [mm(b, kk) for b, kk in zip(beta, k, strict=True)]
    result = optimize_allocation(responses, np.full(4, 37.5), lower, upper, budget)
    np.testing.assert_allclose(result.optimal, [upper[0], *rest, lower[3]], rtol=1e-5)
    assert result.binding == ("upper", "", "", "lower")
    assert_feasible(result, lower, upper, budget)


@pytest.mark.parametrize(("budget", "side", "expected"),
                         [(30.0, "below", "lower"), (900.0, "above", "upper")])
def test_budget_outside_bounds_is_clipped_with_message(budget, side, expected):
    responses = [mm(100.0, 30.0), mm(50.0, 10.0), hill(80.0, 20.0, 2.0)]
    lower, upper = np.array([10.0, 20.0, 15.0]), np.array([100.0, 200.0, 150.0])
    result = optimize_allocation(responses, [20.0, 30.0, 25.0], lower, upper, budget)
    assert result.budget_adjusted and result.requested_budget == budget
    assert side in result.message
    np.testing.assert_allclose(result.optimal, lower if expected == "lower" else upper)
    assert result.budget == pytest.approx(result.optimal.sum())
    assert set(result.binding) == {expected}


def test_zero_beta_channel_gets_its_lower_bound():
    responses = [mm(100.0, 30.0), ParametricResponse(0.0, "hill", {"half_saturation": 10.0, "shape": 2.0}),
                 mm(60.0, 20.0)]
    result = optimize_allocation(responses, [30.0, 30.0, 30.0], [0.0, 5.0, 0.0], [300.0] * 3, 90.0)
    assert result.optimal[1] == pytest.approx(5.0, abs=1e-6)
    assert result.binding[1] == "lower"
    expected, _ = mm_optimum(np.array([100.0, 60.0]), np.array([30.0, 20.0]), 85.0)
    np.testing.assert_allclose(result.optimal[[0, 2]], expected, rtol=1e-5)


def test_fixed_channel_with_equal_bounds():
    responses = [mm(100.0, 30.0), mm(100.0, 30.0), hill(500.0, 10.0, 1.0)]
    result = optimize_allocation(responses, [20.0, 20.0, 40.0], [0.0, 0.0, 40.0], [100.0, 100.0, 40.0], 100.0)
    np.testing.assert_allclose(result.optimal, [30.0, 30.0, 40.0], rtol=1e-5)
    assert result.binding[2] == "lower"


def test_single_channel_and_all_fixed():
    single = optimize_allocation([mm(100.0, 30.0)], [10.0], [0.0], [100.0], 42.0)
    assert single.optimal[0] == pytest.approx(42.0)
    fixed = optimize_allocation([mm(100.0, 30.0), mm(5.0, 1.0)], [1.0, 2.0], [3.0, 4.0], [3.0, 4.0], 10.0)
    np.testing.assert_allclose(fixed.optimal, [3.0, 4.0])
    assert fixed.budget_adjusted and fixed.budget == 7.0


def test_s_curve_trap_escaped_by_multi_start():
    # Two Hill channels (K = 50, shape 3) with 60 to spend. The equal split (30, 30) is a stationary
    # point (equal marginals) below the inflection K ((s-1)/(s+1))^(1/s) = 39.7, so it is a local
    # *minimum* along the budget line; a local solver started there stays put. Concentrating the
    # budget in one channel is optimal: 100 * 60^3 / (60^3 + 50^3) = 63.34 versus 2 * 17.76 at (30, 30).
    responses = [hill(100.0, 50.0, 3.0), hill(100.0, 50.0, 3.0)]
    current, lower, upper, budget = np.array([30.0, 30.0]), np.zeros(2), np.full(2, 60.0), 60.0

    def negative_revenue(x):
        return -sum(float(r.revenue(xc)) for r, xc in zip(responses, x, strict=True))

    local = minimize(negative_revenue, current, method="SLSQP", bounds=[(0, 60)] * 2,
                     constraints=[{"type": "eq", "fun": lambda x: x.sum() - budget}])
    np.testing.assert_allclose(local.x, current, atol=1e-6)  # the premise: a single local solve is stuck

    best = 100.0 * 60.0**3 / (60.0**3 + 50.0**3)
    for grid_steps in (200, 0):  # with and without the dynamic-programming start
        result = optimize_allocation(responses, current, lower, upper, budget, grid_steps=grid_steps)
        assert result.total_revenue_optimal == pytest.approx(best, rel=1e-9)
        assert sorted(result.binding) == ["lower", "upper"]
    assert result.total_revenue_current == pytest.approx(2 * 100.0 * 30.0**3 / (30.0**3 + 50.0**3))


def test_projection_is_a_common_shift_clipped_to_bounds():
    rng = np.random.default_rng(5)
    for _ in range(50):
        n = int(rng.integers(1, 8))
        lower = rng.uniform(0.0, 5.0, n)
        upper = lower + rng.uniform(0.0, 10.0, n)
        budget = rng.uniform(lower.sum(), upper.sum())
        y = rng.normal(0.0, 10.0, n)
        x = project_to_budget(y, lower, upper, budget)
        assert x.sum() == pytest.approx(budget, rel=1e-12, abs=1e-12)
        assert np.all(x >= lower) and np.all(x <= upper)
        free = (x > lower + 1e-12) & (x < upper - 1e-12)
        if free.sum() >= 2:
            shift = x[free] - y[free]
            np.testing.assert_allclose(shift, shift[0], atol=1e-9)


# --------------------------------------------------------------------------- against the global reference

def test_dense_grid_reference_matches_brute_force():
    rng = np.random.default_rng(11)
    for _ in range(5):
        responses, current, lower, upper, budget = random_case(rng, 2)
        x0 = np.linspace(lower[0], upper[0], 500_001)
        x1 = budget - x0
        ok = (x1 >= lower[1]) & (x1 <= upper[1])
        brute = np.max(responses[0].revenue(x0[ok]) + responses[1].revenue(x1[ok]))
        reference = optimize_allocation_global(responses, current, lower, upper, budget, method="grid")
        # both are grids: they agree to the first-order error of a grid step where a bound binds
        assert reference.total_revenue_optimal == pytest.approx(brute, rel=1e-5)


@pytest.mark.parametrize("seed", range(36))
def test_multi_start_within_0p1_percent_of_global_grid(seed):
    rng = np.random.default_rng(1000 + seed)
    responses, current, lower, upper, budget = random_case(rng, 2 + seed % 2)
    result = optimize_allocation(responses, current, lower, upper, budget, seed=seed)
    reference = optimize_allocation_global(responses, current, lower, upper, budget, method="grid")
    assert_feasible(result, lower, upper, budget)
    assert result.total_revenue_optimal >= reference.total_revenue_optimal * (1 - 1e-3)


def trap_case(rng: np.random.Generator, n_channels: int):
    """S-curves (Hill shape 2-3) of similar size, an even current split and a budget near the
    inflection points: the even split is close to a stationary point that is not the best."""
    k = rng.uniform(40.0, 60.0, n_channels)
    responses = [hill(rng.uniform(80.0, 120.0), kk, rng.uniform(2.0, 3.0)) for kk in k]
    budget = rng.uniform(0.6, 1.6) * k.mean()
    current = np.full(n_channels, budget / n_channels)
    lower, upper = np.zeros(n_channels), np.full(n_channels, budget)
    return responses, current, lower, upper, budget


@pytest.mark.parametrize("seed", range(12))
def test_multi_start_within_0p1_percent_of_global_on_s_curve_traps(seed):
    rng = np.random.default_rng(3000 + seed)
    responses, current, lower, upper, budget = trap_case(rng, 2 + seed % 2)
    result = optimize_allocation(responses, current, lower, upper, budget, seed=seed)
    reference = optimize_allocation_global(responses, current, lower, upper, budget, method="grid")
    assert_feasible(result, lower, upper, budget)
    assert result.total_revenue_optimal >= reference.total_revenue_optimal * (1 - 1e-3)
    assert result.total_revenue_optimal >= result.total_revenue_current


@pytest.mark.parametrize("seed", range(3))
def test_multi_start_within_0p1_percent_of_differential_evolution(seed):
    rng = np.random.default_rng(2000 + seed)
    responses, current, lower, upper, budget = random_case(rng, 4)
    result = optimize_allocation(responses, current, lower, upper, budget, seed=seed)
    reference = optimize_allocation_global(responses, current, lower, upper, budget, seed=seed,
                                           method="differential_evolution")
    assert_feasible(reference, lower, upper, budget)
    assert result.total_revenue_optimal >= reference.total_revenue_optimal * (1 - 1e-3)


def test_never_worse_than_feasible_current_and_deterministic():
    rng = np.random.default_rng(7)
    for n in (1, 3, 8, 20):
        responses, current, lower, upper, _ = random_case(rng, n)
        result = optimize_allocation(responses, current, lower, upper, current.sum(), seed=3)
        assert_feasible(result, lower, upper, current.sum())
        assert result.total_revenue_optimal >= result.total_revenue_current * (1 - 1e-9)
        if n <= 8:
            again = optimize_allocation(responses, current, lower, upper, current.sum(), seed=3)
            np.testing.assert_array_equal(result.optimal, again.optimal)


def test_twenty_concave_channels_equalise_marginals():
    rng = np.random.default_rng(3)
    beta, k = rng.uniform(50.0, 300.0, 20), rng.uniform(10.0, 60.0, 20)
    budget = 900.0
    expected, lam = mm_optimum(beta, k, budget)
    assert np.all(expected > 0)
    responses = [mm(b, kk) for b, kk in zip(beta, k, strict=True)]
    result = optimize_allocation(responses, np.full(20, 45.0), np.zeros(20),
                                 np.full(20, 500.0), budget)
    np.testing.assert_allclose(result.optimal, expected, rtol=1e-4, atol=1e-6)
    assert result.marginal_roi == pytest.approx(lam, rel=1e-4)


def test_tabulated_curves_reoptimise_like_parameters():
    truths = [mm(300.0, 40.0), hill(150.0, 30.0, 2.0), ParametricResponse(100.0, "logistic", {"lam": 0.03})]
    grid = np.linspace(0.0, 300.0, 121)
    tables = [TabulatedResponse(grid, t.revenue(grid)) for t in truths]
    args = ([40.0, 40.0, 40.0], [10.0, 10.0, 10.0], [200.0, 200.0, 200.0], 120.0)
    from_tables = optimize_allocation(tables, *args)
    from_params = optimize_allocation(truths, *args)
    scored = sum(float(t.revenue(x)) for t, x in zip(truths, from_tables.optimal, strict=True))
    assert scored >= from_params.total_revenue_optimal * (1 - 1e-4)


def test_draw_responses_optimise_posterior_mean():
    # identical draws must give the point answer; the reported revenue is the posterior mean
    point = [mm(100.0, 30.0), mm(60.0, 20.0)]
    draws = [ParametricResponse(np.full(5, 100.0), "michaelis_menten", {"half_saturation": 30.0}),
             ParametricResponse(np.full(5, 60.0), "michaelis_menten", {"half_saturation": np.full(5, 20.0)})]
    args = ([30.0, 30.0], [0.0, 0.0], [300.0, 300.0], 60.0)
    np.testing.assert_allclose(optimize_allocation(draws, *args).optimal,
                               optimize_allocation(point, *args).optimal, rtol=1e-6)


def test_draws_are_stacked_and_optimised_for_their_posterior_mean():
    # channels whose draws differ (skewed ROI): the optimum is that of the posterior-mean curves
    from mmm.optimize import _Evaluator

    rng = np.random.default_rng(3)
    n_draws = 300
    draws = [ParametricResponse(rng.lognormal(np.log(200.0), 0.6, n_draws), "hill",
                                {"half_saturation": rng.uniform(20.0, 40.0, n_draws), "shape": 1.5}),
             ParametricResponse(rng.lognormal(np.log(150.0), 0.1, n_draws), "hill",
                                {"half_saturation": 25.0, "shape": rng.uniform(1.0, 2.0, n_draws)}),
             ParametricResponse(rng.lognormal(np.log(120.0), 0.3, n_draws), "michaelis_menten",
                                {"half_saturation": rng.uniform(10.0, 20.0, n_draws)})]
    x = np.array([25.0, 31.0, 12.0])
    ev = _Evaluator(draws)
    assert not ev.others  # all stacked
    np.testing.assert_allclose(ev.revenue(x), [float(np.mean(r.revenue(v))) for r, v in zip(draws, x)], rtol=1e-12)
    np.testing.assert_allclose(ev.marginal(x), [float(np.mean(r.marginal(v))) for r, v in zip(draws, x)], rtol=1e-12)
    grid = np.linspace(0.0, 200.0, 4001)
    means = [TabulatedResponse(grid, np.asarray(r.revenue(grid)).mean(axis=-1)) for r in draws]
    args = (x, 0.5 * x, 2.0 * x, float(x.sum()))
    by_draws = optimize_allocation(draws, *args)
    reference = optimize_allocation_global(means, *args)
    assert by_draws.total_revenue_optimal >= reference.total_revenue_optimal * (1 - 1e-3)
    # and it differs from optimising the curves of the median draw parameters (a skewed posterior matters)
    assert not np.allclose(by_draws.optimal, optimize_allocation(
        [ParametricResponse(np.median(r.beta), r.saturation_kind, {k: np.median(v) for k, v in r.saturation_params.items()})
         for r in draws], *args).optimal, rtol=1e-3)


# --------------------------------------------------------------------------- target modes

CHANNELS = [mm(300.0, 40.0), mm(120.0, 15.0), mm(200.0, 60.0)]
LOWER, UPPER = np.array([5.0, 5.0, 5.0]), np.array([150.0, 80.0, 150.0])


def test_min_budget_for_target_revenue_inverts_forward_optimisation():
    forward = optimize_allocation(CHANNELS, LOWER, LOWER, UPPER, 140.0)
    target = forward.total_revenue_optimal
    answer = min_budget_for_target_revenue(CHANNELS, LOWER, UPPER, target)
    assert answer.feasible and answer.budget == pytest.approx(140.0, rel=1e-4)
    assert answer.achieved >= target
    at_answer = optimize_allocation(CHANNELS, LOWER, LOWER, UPPER, answer.budget)
    assert at_answer.total_revenue_optimal >= target * (1 - 1e-9)
    short = optimize_allocation(CHANNELS, LOWER, LOWER, UPPER, answer.budget * 0.999)
    assert short.total_revenue_optimal < target


def test_min_budget_for_unreachable_and_trivial_targets():
    most = sum(float(r.revenue(u)) for r, u in zip(CHANNELS, UPPER, strict=True))
    answer = min_budget_for_target_revenue(CHANNELS, LOWER, UPPER, most * 1.01)
    assert not answer.feasible and answer.budget is None and "not reachable" in answer.message
    assert answer.achieved == pytest.approx(most)
    least = min_budget_for_target_revenue(CHANNELS, LOWER, UPPER, 1.0)
    assert least.feasible and least.budget == pytest.approx(LOWER.sum())


def test_max_budget_for_target_mroi_closed_form():
    # at multiplier t each concave channel spends clip(sqrt(b K / t) - K, lower, upper)
    beta, k = np.array([300.0, 120.0, 200.0]), np.array([40.0, 15.0, 60.0])
    for target in (1.5, 3.0):
        expected = float(np.clip(np.sqrt(beta * k / target) - k, LOWER, UPPER).sum())
        answer = max_budget_for_target_mroi(CHANNELS, LOWER, UPPER, target)
        assert answer.feasible and answer.budget == pytest.approx(expected, rel=1e-4)
        assert answer.achieved >= target
        beyond = optimize_allocation(CHANNELS, LOWER, LOWER, UPPER, answer.budget * 1.001)
        assert beyond.marginal_roi < target


def test_max_budget_for_target_mroi_edges():
    too_high = max_budget_for_target_mroi(CHANNELS, LOWER, UPPER, 100.0)  # r'(5) is at most 5.9
    assert not too_high.feasible and too_high.budget is None and "below" in too_high.message
    tiny = max_budget_for_target_mroi(CHANNELS, LOWER, UPPER, 0.01)
    assert tiny.feasible and tiny.budget == pytest.approx(UPPER.sum())


# --------------------------------------------------------------------------- intervals from draws

def test_evaluate_allocation_draws_matches_per_draw_sums():
    rng = np.random.default_rng(4)
    n_draws = 400
    responses = [
        ParametricResponse(rng.normal(300.0, 30.0, n_draws), "michaelis_menten",
                           {"half_saturation": rng.uniform(30.0, 50.0, n_draws)}),
        ParametricResponse(rng.normal(150.0, 20.0, n_draws), "hill",
                           {"half_saturation": 30.0, "shape": rng.uniform(1.0, 2.5, n_draws)}),
        mm(50.0, 10.0),  # a point response counts the same in every draw
    ]
    allocation, baseline = np.array([60.0, 40.0, 20.0]), np.array([40.0, 40.0, 40.0])
    summary = evaluate_allocation_draws(responses, allocation, level=0.8, baseline=baseline)

    def total(x, d):
        return sum(float(r.draw(d).revenue(xc)) for r, xc in zip(responses, x, strict=True))

    per_draw = np.array([total(allocation, d) for d in range(n_draws)])
    change = per_draw - np.array([total(baseline, d) for d in range(n_draws)])
    assert summary.n_draws == n_draws
    assert summary.total_mean == pytest.approx(per_draw.mean(), rel=1e-12)
    assert summary.total_lower == pytest.approx(np.quantile(per_draw, 0.1), rel=1e-12)
    assert summary.total_upper == pytest.approx(np.quantile(per_draw, 0.9), rel=1e-12)
    assert summary.change_mean == pytest.approx(change.mean(), rel=1e-10)
    assert summary.change_lower == pytest.approx(np.quantile(change, 0.1), rel=1e-10)
    assert summary.channel_lower[2] == summary.channel_upper[2] == pytest.approx(50.0 * 20.0 / 30.0)
    assert np.all(summary.channel_lower[:2] < summary.channel_mean[:2])
    assert np.all(summary.channel_mean[:2] < summary.channel_upper[:2])


def test_evaluate_allocation_draws_accepts_result_and_checks_draw_counts():
    point = [mm(100.0, 30.0), mm(60.0, 20.0)]
    result = optimize_allocation(point, [30.0, 30.0], [0.0, 0.0], [300.0, 300.0], 60.0)
    summary = evaluate_allocation_draws(point, result)
    assert summary.total_mean == pytest.approx(result.total_revenue_optimal)
    assert np.isnan(summary.change_mean)
    mismatched = [ParametricResponse(np.ones(3), "michaelis_menten", {"half_saturation": 1.0}),
                  ParametricResponse(np.ones(4), "michaelis_menten", {"half_saturation": 1.0})]
    with pytest.raises(ValueError, match="different numbers of draws"):
        evaluate_allocation_draws(mismatched, [1.0, 1.0])


def test_stacked_evaluation_matches_each_response():
    # the optimiser evaluates point responses stacked across channels; it must agree with each object
    from mmm.optimize import _Evaluator

    grids = [np.linspace(0.0, 100.0, 11), np.linspace(0.0, 250.0, 40), np.array([0.0, 5.0, 30.0, 31.0])]
    responses = [TabulatedResponse(g, 80.0 * g / (20.0 + g)) for g in grids]
    responses += [hill(90.0, 30.0, 2.5), mm(40.0, 10.0), hill(60.0, 50.0, 0.8),
                  ParametricResponse(np.array([10.0, 30.0]), "logistic", {"lam": 0.05})]
    evaluator = _Evaluator(responses)
    rng = np.random.default_rng(0)
    points = [rng.uniform(-5.0, 300.0, len(responses)) for _ in range(50)]
    points += [np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]),  # grid starts, ends and inner breakpoints
               np.array([100.0, 250.0, 31.0, 5.0, 5.0, 5.0, 5.0]),
               np.array([50.0, 125.0, 30.0, 5.0, 5.0, 5.0, 5.0])]
    for x in points:
        revenue = [float(np.mean(r.revenue(xc))) for r, xc in zip(responses, x, strict=True)]
        marginal = [float(np.mean(r.marginal(xc))) for r, xc in zip(responses, x, strict=True)]
        np.testing.assert_allclose(evaluator.revenue(x), revenue, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(evaluator.marginal(x), marginal, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_concave_problems_take_one_start_and_reach_the_global_optimum(seed):
    """Michaelis-Menten, logistic and Hill shape <= 1 are concave: the budget-grid start alone is solved (one solve
    and the polish), and it is as good as the global reference; an S-curve in the mix brings back every start."""
    rng = np.random.default_rng(4000 + seed)
    n = 2 + seed % 2
    k = rng.uniform(10.0, 100.0, n)
    responses = [mm(rng.uniform(10.0, 200.0), k[0]), ParametricResponse(rng.uniform(10.0, 200.0), "logistic",
                                                                         {"lam": 1.0 / k[1]})]
    responses += [hill(rng.uniform(10.0, 200.0), kk, rng.uniform(0.5, 1.0)) for kk in k[2:]]
    current = rng.uniform(5.0, 80.0, n)
    lower, upper = current * 0.2, current * 3.0
    budget = rng.uniform(lower.sum(), upper.sum())
    result = optimize_allocation(responses, current, lower, upper, budget, seed=seed)
    reference = optimize_allocation_global(responses, current, lower, upper, budget, method="grid")
    assert_feasible(result, lower, upper, budget)
    assert result.n_local_solves == 2 and "concave" in result.method
    assert result.total_revenue_optimal >= reference.total_revenue_optimal * (1 - 1e-6)

    s_curve = responses[:-1] + [hill(100.0, float(np.mean(upper)), 3.0)]
    mixed = optimize_allocation(s_curve, current, lower, upper, budget, seed=seed)
    assert mixed.n_local_solves > 2 and "multi-start" in mixed.method
