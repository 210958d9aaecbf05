"""Known-answer tests for mmm.response (steady-state response functions and saturation points)."""

from __future__ import annotations

import numpy as np
import pytest

from mmm.response import ParametricResponse, TabulatedResponse, saturation_point

KINDS = [
    ("hill", {"half_saturation": 40.0, "shape": 0.7}),
    ("hill", {"half_saturation": 40.0, "shape": 1.0}),
    ("hill", {"half_saturation": 40.0, "shape": 3.0}),
    ("logistic", {"lam": 0.03}),
    ("michaelis_menten", {"half_saturation": 25.0}),
]


def closed_form(kind: str, params: dict, beta: float, x: np.ndarray) -> np.ndarray:
    """The saturation formulas written out independently of mmm.transforms."""
    if kind == "hill":
        k, s = params["half_saturation"], params["shape"]
        return beta * x**s / (x**s + k**s)
    if kind == "logistic":
        lam = params["lam"]
        return beta * (1 - np.exp(-lam * x)) / (1 + np.exp(-lam * x))
    return beta * x / (params["half_saturation"] + x)


@pytest.mark.parametrize(("kind", "params"), KINDS)
def test_parametric_revenue_matches_closed_form(kind, params):
    x = np.array([0.0, 1.0, 10.0, 40.0, 150.0, 1000.0])
    response = ParametricResponse(250.0, kind, params)
    expected = closed_form(kind, params, 250.0, x)
    np.testing.assert_allclose(response.revenue(x), expected, rtol=1e-12, atol=1e-12)
    assert response.revenue(0.0) == 0.0


@pytest.mark.parametrize(("kind", "params"), KINDS)
def test_parametric_marginal_is_the_derivative(kind, params):
    response = ParametricResponse(250.0, kind, params)
    x = np.array([0.5, 5.0, 30.0, 40.0, 90.0, 400.0])
    h = 1e-5 * x
    numeric = (closed_form(kind, params, 250.0, x + h) - closed_form(kind, params, 250.0, x - h)) / (2 * h)
    np.testing.assert_allclose(response.marginal(x), numeric, rtol=1e-6)


def test_parametric_draws_broadcast_in_last_axis():
    beta = np.array([100.0, 200.0, 300.0])
    shape = np.array([0.8, 1.5, 3.0])
    response = ParametricResponse(beta, "hill", {"half_saturation": 50.0, "shape": shape})
    assert response.n_draws == 3
    assert response.revenue(20.0).shape == (3,)
    x = np.array([[0.0, 10.0], [50.0, 500.0]])
    out = response.revenue(x)
    assert out.shape == (2, 2, 3)
    for d in range(3):
        expected = closed_form("hill", {"half_saturation": 50.0, "shape": shape[d]}, beta[d], x)
        np.testing.assert_allclose(out[..., d], expected, rtol=1e-12)
        np.testing.assert_allclose(response.marginal(x)[..., d], response.draw(d).marginal(x), rtol=1e-12)
    assert response.draw(1).n_draws is None


def test_parametric_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown saturation_kind"):
        ParametricResponse(1.0, "linear", {})
    with pytest.raises(ValueError, match="needs parameters"):
        ParametricResponse(1.0, "hill", {"half_saturation": 1.0})
    with pytest.raises(ValueError, match="one shape"):
        ParametricResponse(np.ones(3), "michaelis_menten", {"half_saturation": np.ones(4)})


def mm_table(n: int = 61, top: float = 300.0) -> tuple[np.ndarray, np.ndarray, ParametricResponse]:
    truth = ParametricResponse(500.0, "michaelis_menten", {"half_saturation": 60.0})
    grid = np.linspace(0.0, top, n)
    return grid, truth.revenue(grid), truth


def test_tabulated_interpolates_a_smooth_curve():
    grid, revenue, truth = mm_table()
    table = TabulatedResponse(grid, revenue)
    x = np.linspace(0.0, 300.0, 1001)
    np.testing.assert_allclose(table.revenue(grid), revenue, rtol=1e-12, atol=1e-12)
    assert np.max(np.abs(table.revenue(x) - truth.revenue(x))) < 1e-3 * revenue[-1]
    inner = x[(x > 10) & (x < 290)]
    np.testing.assert_allclose(table.marginal(inner), truth.marginal(inner), rtol=2e-2)


def test_tabulated_marginal_is_derivative_of_revenue():
    grid, revenue, _ = mm_table(n=13)
    table = TabulatedResponse(grid, revenue)
    x = np.array([3.0, 37.0, 111.0, 299.0, 320.0, 600.0])
    numeric = (table.revenue(x + 1e-4) - table.revenue(x - 1e-4)) / 2e-4
    np.testing.assert_allclose(table.marginal(x), numeric, rtol=1e-5)


def test_tabulated_extrapolates_linearly_with_last_slope():
    grid, revenue, _ = mm_table(n=31)
    table = TabulatedResponse(grid, revenue)
    slope = float(table.marginal(300.0))
    assert slope > 0
    for extra in (1.0, 100.0, 1000.0):
        assert table.revenue(300.0 + extra) == pytest.approx(revenue[-1] + slope * extra, rel=1e-12)
        assert table.marginal(300.0 + extra) == pytest.approx(slope, rel=1e-12)
    assert table.revenue(-5.0) == 0.0 and table.marginal(-5.0) == 0.0


def test_tabulated_is_monotone_without_overshoot():
    # a step-like table: an unconstrained cubic spline overshoots 1 and dips below 0 here
    grid = np.arange(8.0)
    revenue = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    table = TabulatedResponse(grid, revenue)
    x = np.linspace(-1.0, 12.0, 5001)
    r = table.revenue(x)
    assert np.all(np.diff(r) >= -1e-12)
    assert r.min() >= 0.0 and table.revenue(7.0) <= 1.0 + 1e-12
    assert np.all(table.marginal(x) >= 0.0)


def test_tabulated_sorts_and_validates():
    grid, revenue, _ = mm_table(n=11)
    shuffled = np.random.default_rng(0).permutation(11)
    table = TabulatedResponse(grid[shuffled], revenue[shuffled])
    np.testing.assert_allclose(table.revenue(grid), revenue, rtol=1e-12)
    with pytest.raises(ValueError, match="non-decreasing"):
        TabulatedResponse([0.0, 1.0, 2.0], [0.0, 2.0, 1.0])
    with pytest.raises(ValueError, match="start at spend 0"):
        TabulatedResponse([1.0, 2.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="revenue 0 at spend 0"):
        TabulatedResponse([0.0, 2.0], [1.0, 3.0])
    with pytest.raises(ValueError, match="duplicate"):
        TabulatedResponse([0.0, 1.0, 1.0], [0.0, 1.0, 1.0])


def test_tabulated_draws_shape():
    grid = np.linspace(0.0, 200.0, 21)
    curves = np.stack([b * grid / (50.0 + grid) for b in (100.0, 150.0)], axis=1)
    table = TabulatedResponse(grid, curves)
    assert table.n_draws == 2
    assert table.revenue(70.0).shape == (2,)
    assert table.revenue(np.array([10.0, 250.0, 400.0])).shape == (3, 2)
    assert table.marginal(np.array([-1.0, 10.0, 250.0])).shape == (3, 2)
    np.testing.assert_allclose(table.revenue(grid), curves, rtol=1e-12)


def test_saturation_point_michaelis_menten_closed_form():
    # beta K / (K + x)^2 = t  =>  x = sqrt(beta K / t) - K
    beta, k = 500.0, 60.0
    response = ParametricResponse(beta, "michaelis_menten", {"half_saturation": k})
    for t in (1.0, 2.0, 0.5):
        expected = np.sqrt(beta * k / t) - k
        assert saturation_point(response, 0.0, 1000.0, t) == pytest.approx(expected, rel=1e-9)


def test_saturation_point_logistic_closed_form():
    # beta lam / 2 (1 - tanh^2(lam x / 2)) = t  =>  x = (2 / lam) artanh(sqrt(1 - 2 t / (beta lam)))
    beta, lam = 400.0, 0.02
    response = ParametricResponse(beta, "logistic", {"lam": lam})
    expected = 2 / lam * np.arctanh(np.sqrt(1 - 2 * 1.0 / (beta * lam)))
    assert saturation_point(response, 0.0, 2000.0) == pytest.approx(expected, rel=1e-9)


def test_saturation_point_s_curve_takes_downward_crossing():
    # Hill with shape 3: the marginal ROI starts at 0, rises above 1, peaks, then falls below 1
    response = ParametricResponse(100.0, "hill", {"half_saturation": 50.0, "shape": 3.0})
    x = np.linspace(0.0, 400.0, 400_001)
    m = response.marginal(x)
    assert m[1] < 1.0 and m.max() > 1.0
    expected = x[np.flatnonzero(m >= 1.0)[-1]]  # brute force on a fine grid
    found = saturation_point(response, 0.0, 400.0)
    assert found == pytest.approx(expected, abs=2e-3)
    assert found > x[np.argmax(m)]
    assert float(response.marginal(found)) == pytest.approx(1.0, rel=1e-8)


def test_saturation_point_edge_cases():
    response = ParametricResponse(500.0, "michaelis_menten", {"half_saturation": 60.0})
    assert saturation_point(response, 0.0, 50.0) is None  # marginal still above 1 at the end
    weak = ParametricResponse(10.0, "michaelis_menten", {"half_saturation": 60.0})  # r'(0) = 1/6
    assert saturation_point(weak, 5.0, 50.0) == 5.0


def test_saturation_point_of_table_matches_parametric():
    grid, revenue, truth = mm_table(n=301, top=600.0)
    table = TabulatedResponse(grid, revenue)
    assert saturation_point(table, 0.0, 600.0) == pytest.approx(saturation_point(truth, 0.0, 600.0), rel=2e-3)


def test_posterior_mean_response_is_the_mean_of_the_draws_and_a_point_response():
    from mmm.response import PosteriorMeanResponse

    rng = np.random.default_rng(11)
    draws = ParametricResponse(rng.lognormal(np.log(100.0), 0.5, 200), "hill",
                               {"half_saturation": rng.uniform(20.0, 40.0, 200), "shape": 1.4})
    mean = PosteriorMeanResponse(draws)
    x = np.array([0.0, 10.0, 30.0, 90.0])
    np.testing.assert_allclose(mean.revenue(x), np.asarray(draws.revenue(x)).mean(axis=-1), rtol=1e-12)
    h = 1e-4
    np.testing.assert_allclose(mean.marginal(30.0), (mean.revenue(30.0 + h) - mean.revenue(30.0 - h)) / (2 * h), rtol=1e-6)
    assert mean.revenue(x).shape == x.shape and mean.n_draws is None
    # right-skewed draws of the ROI: the mean curve lies above the curve of the median draw
    median = ParametricResponse(float(np.median(draws.beta)), "hill", {"half_saturation": 30.0, "shape": 1.4})
    assert mean.revenue(30.0) > median.revenue(30.0)
    assert saturation_point(mean, 0.0, 500.0, 1.0) is not None
