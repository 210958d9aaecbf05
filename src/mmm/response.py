"""Steady-state response functions: expected weekly revenue of a channel held at weekly spend x.

The model's adstock weights are normalised, so a spend held at x every week has steady-state adstock
x and the channel's expected weekly revenue is::

    r(x) = beta * saturation(x; kind, params)          r'(x) = beta * saturation'(x; kind, params)

``r'(x)`` is the marginal ROI (extra revenue per extra unit of weekly spend at spend x).

Two implementations share the interface ``revenue(x)`` / ``marginal(x)`` (vectorised):

* ``ParametricResponse`` from fitted parameters (optionally posterior draws);
* ``TabulatedResponse`` from a stored response-curve table (``fct_response_curves`` rows).

Draws broadcast in the **last** axis: a response whose parameters have shape ``(D,)`` returns, for
``x`` of shape ``S``, an array of shape ``S + (D,)`` (a scalar ``x`` gives ``(D,)``); a point response
returns shape ``S``. This follows ``mmm.saturation``'s ``(T, C)`` convention.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike
from scipy.interpolate import PchipInterpolator
from scipy.optimize import brentq

from mmm.transforms import apply_saturation, get_saturation, saturation_derivative


class Response(Protocol):
    """Anything with vectorised steady-state ``revenue(x)`` and ``marginal(x)`` (= d revenue / d x)."""

    def revenue(self, x: ArrayLike) -> np.ndarray: ...

    def marginal(self, x: ArrayLike) -> np.ndarray: ...


@dataclass(frozen=True, eq=False)
class ParametricResponse:
    """r(x) = beta * saturation(x; saturation_kind, saturation_params), r'(x) = beta * saturation'(x).

    ``beta`` and each saturation parameter are scalars (a point response) or arrays of shape ``(D,)``
    (posterior draws; scalars are shared by all draws). With draws, ``revenue(x)`` and ``marginal(x)``
    return shape ``np.shape(x) + (D,)``: draw d of ``revenue(x)[..., d]`` uses ``beta[d]`` and
    ``params[name][d]``.
    """

    beta: float | np.ndarray
    saturation_kind: str
    saturation_params: Mapping[str, float | np.ndarray]
    n_draws: int | None = field(init=False)

    def __post_init__(self) -> None:
        names = [p.name for p in get_saturation(self.saturation_kind).parameters]
        missing = [name for name in names if name not in self.saturation_params]
        if missing:
            raise ValueError(f"{self.saturation_kind} saturation needs parameters {missing}")
        params = {name: np.asarray(self.saturation_params[name], dtype=float) for name in names}
        beta = np.asarray(self.beta, dtype=float)
        object.__setattr__(self, "beta", beta)
        object.__setattr__(self, "saturation_params", params)
        object.__setattr__(self, "n_draws", _draw_count([beta, *params.values()]))

    def _x(self, x: ArrayLike) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return x if self.n_draws is None else x[..., None]

    def revenue(self, x: ArrayLike) -> np.ndarray:
        """Expected weekly revenue beta * saturation(x); shape ``np.shape(x)`` (+ ``(D,)`` with draws)."""
        return self.beta * apply_saturation(self._x(x), self.saturation_kind, self.saturation_params)

    def marginal(self, x: ArrayLike) -> np.ndarray:
        """Marginal ROI d r / d x = beta * saturation'(x); same shape as ``revenue(x)``."""
        return self.beta * saturation_derivative(self._x(x), self.saturation_kind, self.saturation_params)

    def draw(self, index: int) -> ParametricResponse:
        """The point response of posterior draw ``index`` (the response itself when it has no draws)."""
        if self.n_draws is None:
            return self
        pick = _pick(index)
        return ParametricResponse(pick(self.beta), self.saturation_kind,
                                  {name: pick(value) for name, value in self.saturation_params.items()})


@dataclass(frozen=True, eq=False)
class PosteriorMeanResponse:
    """The posterior-mean curve of a response with draws: r(x) = mean_d r_d(x), r'(x) = mean_d r_d'(x).

    A point response (no draws), for the tables and the saturation point. Budget decisions use it
    because expected revenue is what a decision should maximise: E[sum_c r_c(x_c)] = sum_c E[r_c(x_c)].
    (The optimizer treats a response with draws the same way, vectorised.)
    """

    draws: Response
    n_draws: None = field(default=None, init=False)

    def revenue(self, x: ArrayLike) -> np.ndarray:
        return self._mean(self.draws.revenue(x), x)

    def marginal(self, x: ArrayLike) -> np.ndarray:
        return self._mean(self.draws.marginal(x), x)

    @staticmethod
    def _mean(values: ArrayLike, x: ArrayLike) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        return values.mean(axis=-1) if values.ndim > np.ndim(x) else values


def _draw_count(arrays: list[np.ndarray]) -> int | None:
    sizes = {a.shape[0] for a in arrays if a.ndim == 1}
    if any(a.ndim > 1 for a in arrays) or len(sizes) > 1:
        raise ValueError("beta and saturation parameters must be scalars or arrays of one shape (D,)")
    return sizes.pop() if sizes else None


def _pick(index: int):
    return lambda value: float(value[index]) if np.ndim(value) else float(value)


@dataclass(frozen=True, eq=False)
class TabulatedResponse:
    """Response interpolated from a tabulated curve (spend_grid[i], revenue[i]).

    * Inside the grid: r(x) = P(x), P the monotone piecewise-cubic Hermite interpolant (PCHIP,
      Fritsch-Carlson), which is non-decreasing wherever the data are and has a continuous slope.
    * Above the last grid point g_n: r(x) = P(g_n) + P'(g_n) (x - g_n), linear with the last slope
      (P'(g_n) >= 0, so the curve never decreases).
    * Below the first grid point (spend 0): r(x) = P(g_0), slope 0 (negative spend is not a spend).

    ``marginal(x)`` is the derivative of that function. ``revenue`` may also be ``(G, D)`` (draws in the
    last axis); the results then have shape ``np.shape(x) + (D,)``. The grid must start at spend 0 with
    revenue 0 and revenue must be non-decreasing (rounding noise below 1e-9 of the range is tolerated).
    """

    spend_grid: np.ndarray
    revenue_grid: np.ndarray
    _interpolant: PchipInterpolator = field(init=False, repr=False)
    _slope: PchipInterpolator = field(init=False, repr=False)
    _last_slope: np.ndarray = field(init=False, repr=False)

    def __init__(self, spend_grid: ArrayLike, revenue: ArrayLike) -> None:
        grid, values = _validated_table(spend_grid, revenue)
        interpolant = PchipInterpolator(grid, values, axis=0, extrapolate=False)
        object.__setattr__(self, "spend_grid", grid)
        object.__setattr__(self, "revenue_grid", values)
        object.__setattr__(self, "_interpolant", interpolant)
        object.__setattr__(self, "_slope", interpolant.derivative())
        object.__setattr__(self, "_last_slope", np.maximum(self._slope(grid[-1]), 0.0))

    @property
    def n_draws(self) -> int | None:
        return self.revenue_grid.shape[1] if self.revenue_grid.ndim == 2 else None

    def piecewise_coefficients(self) -> np.ndarray:
        """PCHIP coefficients c, shape (4, G - 1) (or (4, G - 1, D) with draws).

        On [g_i, g_(i+1)]: P(x) = sum_m c[m, i] (x - g_i)^(3 - m).
        """
        return self._interpolant.c

    def _parts(self, x: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        x = np.asarray(x, dtype=float)
        lo, hi = self.spend_grid[0], self.spend_grid[-1]
        inside = np.clip(x, lo, hi)
        extra = np.maximum(x - hi, 0.0)
        if self.n_draws is not None:
            extra = extra[..., None]
        return x, inside, extra, self._last_slope

    def revenue(self, x: ArrayLike) -> np.ndarray:
        """r(x): PCHIP inside the grid, linear with the last slope beyond it, flat below spend 0."""
        _, inside, extra, last_slope = self._parts(x)
        return self._interpolant(inside) + last_slope * extra

    def marginal(self, x: ArrayLike) -> np.ndarray:
        """r'(x): PCHIP derivative inside the grid, the last slope above it, 0 below spend 0."""
        x, inside, _, last_slope = self._parts(x)
        slope = np.maximum(self._slope(inside), 0.0)
        above, below = x > self.spend_grid[-1], x < self.spend_grid[0]
        if self.n_draws is not None:
            above, below = above[..., None], below[..., None]
        return np.where(above, last_slope, np.where(below, 0.0, slope))


def _validated_table(spend_grid: ArrayLike, revenue: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    grid = np.asarray(spend_grid, dtype=float)
    values = np.asarray(revenue, dtype=float)
    if grid.ndim != 1 or values.shape[:1] != grid.shape or values.ndim > 2 or grid.size < 2:
        raise ValueError("spend_grid must be (G,) with G >= 2 and revenue (G,) or (G, D)")
    if not (np.all(np.isfinite(grid)) and np.all(np.isfinite(values))):
        raise ValueError("response table contains non-finite values")
    order = np.argsort(grid, kind="stable")
    grid, values = grid[order], values[order]
    if np.any(np.diff(grid) <= 0):
        raise ValueError("spend_grid has duplicate spend levels")
    if grid[0] != 0.0:
        raise ValueError(f"response table must start at spend 0, starts at {grid[0]}")
    scale = max(float(np.max(np.abs(values))), 1e-300)
    if np.any(np.abs(values[0]) > 1e-9 * scale):
        raise ValueError("response table must have revenue 0 at spend 0")
    if np.any(np.diff(values, axis=0) < -1e-9 * scale):
        raise ValueError("response table revenue must be non-decreasing in spend")
    values = np.maximum.accumulate(values - values[0], axis=0)
    return grid, values


def saturation_point(response: Response, lo: float, hi: float, mroi_threshold: float = 1.0,
                     n_grid: int = 4097) -> float | None:
    """Weekly spend in [lo, hi] where the marginal ROI r'(x) falls below ``mroi_threshold``.

    Returns the largest x with r'(x) = threshold crossed downward (r' >= threshold just left of x and
    below it just right), which for S-shaped Hill curves (r' rises, then falls) is the crossing after
    the peak. Found on a grid of ``n_grid`` points, then refined with Brent's method.

    * ``None`` if r'(hi) >= threshold: the marginal ROI has not fallen below it by ``hi``;
    * ``lo`` if r'(x) < threshold on the whole grid: spending is never worth it at the margin.

    ``response`` must be a point response (no draws); use ``ParametricResponse.draw`` per draw.
    """
    if not hi > lo:
        raise ValueError(f"need hi > lo, got lo={lo}, hi={hi}")
    grid = np.linspace(lo, hi, n_grid)
    excess = np.asarray(response.marginal(grid), dtype=float) - mroi_threshold
    if excess.shape != grid.shape:
        raise ValueError("saturation_point needs a point response (no draws)")
    if excess[-1] >= 0.0:
        return None
    above = np.flatnonzero(excess >= 0.0)
    if above.size == 0:
        return float(lo)
    i = int(above[-1])

    def gap(x: float) -> float:
        return float(response.marginal(x)) - mroi_threshold

    return float(brentq(gap, grid[i], grid[i + 1], xtol=1e-12 * max(hi - lo, 1.0)))
