"""Budget allocation over channels with steady-state response functions (see ``mmm.response``).

The allocation problem for channels c = 1..C with responses r_c and weekly budget B::

    maximise  R(x) = sum_c r_c(x_c)    subject to  sum_c x_c = B,   lower_c <= x_c <= upper_c

The responses may be S-shaped (Hill with shape > 1), so R is not concave and a local solver can stop
at a poor stationary point: ``optimize_allocation`` runs SLSQP from several starts (the current
allocation, the current shares scaled to the budget, an equal split, the middle of the box, the
optimum of R on a budget grid found by dynamic programming, and seeded random feasible points),
polishes the best and never returns something worse than the current allocation when that is
feasible. ``optimize_allocation_global`` is an independent reference (dense grid or differential
evolution) used by the tests. Responses with posterior draws are optimised for their posterior mean
revenue (mean over draws).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import differential_evolution, minimize

from mmm.response import ParametricResponse, Response, TabulatedResponse

# SciPy >= 1.15's SLSQP calls LAPACK, and multi-threaded OpenBLAS makes these tiny problems 10-30x slower on a busy
# machine (scipy/scipy#22438): the solves run single-threaded (mmm.threads)
from mmm.threads import single_thread_blas
from mmm.transforms import apply_saturation, saturation_derivative

_ATOL = 1e-9  # relative tolerance used for feasibility and bound checks


@dataclass(frozen=True, eq=False)
class AllocationResult:
    """An allocation x of the weekly budget over channels (arrays in the order of ``responses``).

    * ``optimal``: x, feasible: lower <= x <= upper and sum(x) = ``budget`` (to rounding);
    * ``budget``: the budget used; ``requested_budget`` the one asked for. If it was outside
      [sum(lower), sum(upper)] it is clipped into that range, ``budget_adjusted`` is True and
      ``message`` says so;
    * ``binding``: per channel 'lower' / 'upper' when x_c sits on that bound (within 1e-6 of the
      channel's range; a channel with lower == upper reports 'lower'), else '';
    * ``revenue_current`` / ``revenue_optimal``: per-channel expected weekly revenue r_c(x_c) at the
      current and the optimal allocation; ``marginal_optimal``: r_c'(x_c) at the optimum;
    * ``marginal_roi``: revenue of the last unit of budget, min_c r_c'(x_c) over channels above their
      lower bound (at an interior optimum all of these equal the Lagrange multiplier); when every
      channel is at its lower bound, the best next unit, max_c r_c'(x_c) over channels below upper;
    * ``success``: the local solver converged for the returned point (or it is a trivially fixed
      allocation); ``method`` describes how it was found.
    """

    optimal: np.ndarray
    current: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    budget: float
    requested_budget: float
    budget_adjusted: bool
    binding: tuple[str, ...]
    revenue_current: np.ndarray
    revenue_optimal: np.ndarray
    marginal_optimal: np.ndarray
    marginal_roi: float
    success: bool
    method: str
    message: str
    n_local_solves: int

    @property
    def total_revenue_current(self) -> float:
        """sum_c r_c(current_c)."""
        return float(np.sum(self.revenue_current))

    @property
    def total_revenue_optimal(self) -> float:
        """sum_c r_c(optimal_c)."""
        return float(np.sum(self.revenue_optimal))

    @property
    def change_pct(self) -> np.ndarray:
        """100 (optimal - current) / current per channel (NaN where current is 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.current != 0, 100.0 * (self.optimal - self.current) / self.current, np.nan)


@dataclass(frozen=True, eq=False)
class TargetBudgetResult:
    """Answer of a target mode: the budget, its optimal allocation and the value reached.

    ``feasible`` is False when no budget in [sum(lower), sum(upper)] meets the target; ``budget`` is
    then None and ``allocation`` is the closest attempt (see ``message``). ``achieved`` is the total
    expected revenue (revenue target) or the marginal ROI (mROI target) at ``budget``.
    """

    target: float
    budget: float | None
    feasible: bool
    achieved: float
    allocation: AllocationResult
    message: str


@dataclass(frozen=True, eq=False)
class DrawEvaluation:
    """Expected weekly revenue of an allocation under posterior draws, with equal-tailed intervals.

    For draw d: R_d = sum_c r_{c,d}(x_c); means are over draws and the interval is the
    ((1 - level) / 2, (1 + level) / 2) quantiles. With a ``baseline`` allocation b, the change
    R_d(x) - R_d(b) is summarised per draw (paired draws), else the change fields are NaN.
    """

    level: float
    n_draws: int
    channel_mean: np.ndarray
    channel_lower: np.ndarray
    channel_upper: np.ndarray
    total_mean: float
    total_lower: float
    total_upper: float
    total_draws: np.ndarray
    change_mean: float
    change_lower: float
    change_upper: float


# --------------------------------------------------------------------------- evaluation of R(x)

class _Evaluator:
    """Per-channel point revenue and marginal for a fixed list of responses, vectorised over channels.

    Point parametric responses are stacked by saturation kind (one numpy call per kind), parametric
    responses with draws by kind and number of draws (one call, then the mean over draws), and point
    tabulated responses into one ``_TableStack``; any other response is called per channel and
    averaged over draws.
    """

    def __init__(self, responses: Sequence[Response]) -> None:
        self.n = len(responses)
        self.groups: list[tuple[np.ndarray, Callable, Callable]] = []
        self.others: list[tuple[int, Response]] = []
        by_kind: dict[tuple[str, int | None], list[int]] = {}
        tables: list[int] = []
        for i, response in enumerate(responses):
            if isinstance(response, ParametricResponse):
                by_kind.setdefault((response.saturation_kind, response.n_draws), []).append(i)
            elif isinstance(response, TabulatedResponse) and response.n_draws is None:
                tables.append(i)
            else:
                self.others.append((i, response))
        for (kind, n_draws), idx in by_kind.items():
            self.groups.append((np.array(idx), *_stacked_parametric([responses[i] for i in idx], kind, n_draws)))
        if tables:
            stack = _TableStack([responses[i] for i in tables])
            self.groups.append((np.array(tables), stack.revenue, stack.marginal))

    def _apply(self, x: np.ndarray, which: int) -> np.ndarray:
        out = np.empty(self.n)
        for group in self.groups:
            out[group[0]] = group[which](x[group[0]])
        for i, response in self.others:
            out[i] = float(np.mean(response.revenue(x[i]) if which == 1 else response.marginal(x[i])))
        return out

    def revenue(self, x: np.ndarray) -> np.ndarray:
        return self._apply(x, 1)

    def marginal(self, x: np.ndarray) -> np.ndarray:
        return self._apply(x, 2)


def _stacked_parametric(members: list[ParametricResponse], kind: str, n_draws: int | None = None) -> tuple[Callable, Callable]:
    """r(x) = beta * saturation(x) and r'(x) for several responses of one kind at once, x of shape (n,).

    Row c holds channel c's ``n_draws`` draws (one column for point responses; a scalar parameter is
    shared by all draws), so one numpy call evaluates every channel and the mean over the draw axis is
    exactly the mean of each response's ``revenue`` and ``marginal``.
    """
    width = n_draws or 1
    beta = np.stack([np.broadcast_to(m.beta, (width,)) for m in members])
    names = members[0].saturation_params.keys()
    params = {name: np.stack([np.broadcast_to(m.saturation_params[name], (width,)) for m in members])
              for name in names}
    return (lambda x: (beta * apply_saturation(x[:, None], kind, params)).mean(axis=1),
            lambda x: (beta * saturation_derivative(x[:, None], kind, params)).mean(axis=1))


class _TableStack:
    """Several point ``TabulatedResponse`` evaluated at once (one spend per table), same formulas.

    Each PCHIP piece i of table c is P(x) = sum_m coef[m, c, i] (x - b[c, i])^(3 - m); grids of
    different lengths are padded with +inf breakpoints, so the piece index is the number of interior
    breakpoints <= x.
    """

    def __init__(self, tables: list[TabulatedResponse]) -> None:
        width = max(t.spend_grid.size for t in tables)
        self.breaks = np.full((len(tables), width), np.inf)
        self.coef = np.zeros((4, len(tables), width - 1))
        for c, table in enumerate(tables):
            pieces = table.spend_grid.size - 1
            self.breaks[c, : pieces + 1] = table.spend_grid
            self.coef[:, c, :pieces] = table.piecewise_coefficients()
        self.last = np.array([t.spend_grid[-1] for t in tables])
        self.value_last = np.array([t.revenue_grid[-1] for t in tables])
        self.slope_last = np.array([float(t.marginal(t.spend_grid[-1])) for t in tables])
        self.rows = np.arange(len(tables))
        self.pieces = np.array([t.spend_grid.size - 2 for t in tables])

    def _locate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        inside = np.clip(x, 0.0, self.last)
        piece = np.minimum((self.breaks[:, 1:] <= inside[:, None]).sum(axis=1), self.pieces)
        return piece, inside - self.breaks[self.rows, piece]

    def revenue(self, x: np.ndarray) -> np.ndarray:
        piece, dx = self._locate(x)
        c = self.coef[:, self.rows, piece]
        inside = ((c[0] * dx + c[1]) * dx + c[2]) * dx + c[3]
        return np.where(x > self.last, self.value_last + self.slope_last * (x - self.last), inside)

    def marginal(self, x: np.ndarray) -> np.ndarray:
        piece, dx = self._locate(x)
        c = self.coef[:, self.rows, piece]
        inside = np.maximum((3.0 * c[0] * dx + 2.0 * c[1]) * dx + c[2], 0.0)
        return np.where(x > self.last, self.slope_last, np.where(x < 0.0, 0.0, inside))


def _curve(response: Response, xs: np.ndarray) -> np.ndarray:
    """Point revenue of one response on a spend grid (posterior mean over draws, if any)."""
    values = np.asarray(response.revenue(xs), dtype=float)
    return values.mean(axis=-1) if values.ndim > xs.ndim else values


# --------------------------------------------------------------------------- problem set-up

@dataclass(frozen=True, eq=False)
class _Setup:
    responses: tuple[Response, ...]
    current: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    budget: float
    requested_budget: float
    budget_adjusted: bool
    message: str
    free: np.ndarray  # indices of channels with lower < upper
    free_budget: float  # budget left for the free channels
    free_upper: np.ndarray  # upper bounds of free channels tightened by what the others must get


def _prepare(responses: Sequence[Response], current: ArrayLike, lower: ArrayLike, upper: ArrayLike,
             budget: float) -> _Setup:
    n = len(responses)
    cur, lo, up = (np.broadcast_to(np.asarray(a, dtype=float), (n,)).copy() for a in (current, lower, upper))
    if n == 0:
        raise ValueError("need at least one channel")
    if not (np.all(np.isfinite(lo)) and np.all(lo >= 0) and np.all(up >= lo)) or np.any(np.isnan(up)):
        raise ValueError("bounds must satisfy 0 <= lower <= upper (upper may be inf)")
    if not np.isfinite(budget):
        raise ValueError(f"budget must be finite, got {budget}")
    used = float(np.clip(budget, lo.sum(), up.sum()))
    adjusted = not np.isclose(used, budget, rtol=_ATOL, atol=0.0)
    message = _budget_message(budget, used, lo.sum(), up.sum()) if adjusted else ""
    used = used if adjusted else float(budget)
    free = np.flatnonzero(up > lo)
    free_budget = used - float(lo.sum() - lo[free].sum())
    # no free channel can take more than the free budget minus the others' lower bounds
    slack = free_budget - (lo[free].sum() - lo[free])
    free_upper = np.minimum(up[free], np.maximum(slack, lo[free]))
    return _Setup(tuple(responses), cur, lo, up, used, float(budget), adjusted, message, free,
                  free_budget, free_upper)


def _budget_message(requested: float, used: float, lo_sum: float, up_sum: float) -> str:
    side = "below the sum of the lower bounds" if requested < lo_sum else "above the sum of the upper bounds"
    return (f"budget {requested:,.2f} is {side} ({lo_sum if requested < lo_sum else up_sum:,.2f}); "
            f"the allocation uses {used:,.2f}")


def project_to_budget(y: ArrayLike, lower: ArrayLike, upper: ArrayLike, budget: float) -> np.ndarray:
    """Euclidean projection onto {lower <= x <= upper, sum x = budget}: x = clip(y + t, lower, upper).

    S(t) = sum clip(y + t, lower, upper) is piecewise linear and non-decreasing with breakpoints at
    lower - y and upper - y; t solves S(t) = budget by interpolation between breakpoints (budget is
    assumed to lie in [sum lower, sum upper]; otherwise the nearest end is returned).
    """
    y, lo, up = (np.asarray(a, dtype=float) for a in (y, lower, upper))
    breaks = np.unique(np.concatenate([lo - y, up - y]))
    breaks = breaks[np.isfinite(breaks)]
    sums = np.clip(y[None, :] + breaks[:, None], lo, up).sum(axis=1)
    i = int(np.searchsorted(sums, budget))
    if i == 0:
        t = breaks[0]
    elif i >= breaks.size:
        t = breaks[-1]
    else:
        t = breaks[i - 1] + (budget - sums[i - 1]) * (breaks[i] - breaks[i - 1]) / (sums[i] - sums[i - 1])
    return np.clip(y + t, lo, up)


def _is_feasible(x: np.ndarray, setup: _Setup) -> bool:
    tol = _ATOL * max(abs(setup.budget), 1.0)
    return bool(np.all(x >= setup.lower - tol) and np.all(x <= setup.upper + tol)
                and abs(x.sum() - setup.budget) <= tol)


# --------------------------------------------------------------------------- starts

def _grid_start(responses: Sequence[Response], lo: np.ndarray, up: np.ndarray, budget: float,
                n_steps: int) -> tuple[np.ndarray, bool]:
    """Global maximiser of sum r_c on the lattice x_c = lo_c + k_c h, sum k_c = n_steps, and whether every
    r_c is concave on the lattice (no second difference above rounding), i.e. on all the spend it can get.

    h = (budget - sum lo) / n_steps; dynamic programming over channels,
    best_c(j) = max_{k <= min(j, K_c)} best_{c-1}(j - k) + r_c(lo_c + k h), O(C n_steps^2).
    """
    extra = budget - lo.sum()
    if extra <= 0:
        return lo.copy(), True
    concave = True
    h = extra / n_steps
    best = np.full(n_steps + 1, -np.inf)
    best[0] = 0.0
    choices = []
    rows = np.arange(n_steps + 1)[:, None]
    for c, response in enumerate(responses):
        k = np.arange(int(min(np.floor((up[c] - lo[c]) / h + 1e-9), n_steps)) + 1)
        curve = _curve(response, lo[c] + k * h)
        if k.size > 2:
            concave &= bool(np.diff(curve, 2).max() <= 1e-10 * max(float(np.abs(curve).max()), 1e-300))
        prev = rows - k[None, :]
        cand = np.where(prev >= 0, best[np.maximum(prev, 0)] + curve[None, :], -np.inf)
        choices.append(np.argmax(cand, axis=1))
        best = cand[rows[:, 0], choices[-1]]
    j = int(np.flatnonzero(np.isfinite(best))[-1])
    x = lo.copy()
    for c in range(len(responses) - 1, -1, -1):
        k_c = int(choices[c][j])
        x[c] = lo[c] + k_c * h
        j -= k_c
    return project_to_budget(x, lo, up, budget), concave


def _starts(setup: _Setup, seed: int, n_starts: int, grid_steps: int) -> tuple[list[tuple[str, np.ndarray]], bool]:
    """The budget-grid start alone when every free response is concave on the spend it can get (a concave
    objective on a convex set: the local optimum from any start is the global one), else every start."""
    lo, up, budget = setup.lower[setup.free], setup.free_upper, setup.free_budget
    if grid_steps > 0:
        grid, concave = _grid_start([setup.responses[i] for i in setup.free], lo, up, budget, grid_steps)
        if concave:
            return [("budget grid", grid)], True
    cur = setup.current[setup.free]
    proposals = [("current", cur)]
    if cur.sum() > 0:
        proposals.append(("current shares", cur * budget / cur.sum()))
    finite_up = np.where(np.isfinite(up), up, budget)
    proposals += [("equal split", np.full(lo.size, budget / lo.size)), ("box middle", (lo + finite_up) / 2)]
    if grid_steps > 0:
        proposals.append(("budget grid", grid))
    rng = np.random.default_rng(seed)
    proposals += [(f"random {i}", rng.uniform(lo, finite_up)) for i in range(n_starts)]
    starts: list[tuple[str, np.ndarray]] = []
    for name, y in proposals:
        x = project_to_budget(y, lo, up, budget)
        if all(np.max(np.abs(x - s)) > 1e-9 * max(budget, 1.0) for _, s in starts):
            starts.append((name, x))
    return starts, False


# --------------------------------------------------------------------------- local solver

@dataclass(frozen=True)
class _Local:
    x: np.ndarray
    value: float
    success: bool


def _local_solve(ev: _Evaluator, x0: np.ndarray, lo: np.ndarray, up: np.ndarray, budget: float,
                 scale: float, value_scale: float, ftol: float) -> _Local:
    """SLSQP in scaled variables z = x / scale on -R(x) / value_scale, then projected to feasibility."""
    tiny = 1e-9 * scale  # Hill slopes with shape < 1 are infinite at 0: evaluate just above it

    def fun(z: np.ndarray) -> float:
        return -float(ev.revenue(z * scale).sum()) / value_scale

    def jac(z: np.ndarray) -> np.ndarray:
        return -ev.marginal(np.maximum(z * scale, tiny)) * scale / value_scale

    constraint = {"type": "eq", "fun": lambda z: np.array([z.sum() - budget / scale]),
                  "jac": lambda z: np.ones((1, z.size))}
    bounds = list(zip(lo / scale, np.where(np.isfinite(up), up / scale, None), strict=True))
    try:
        res = minimize(fun, x0 / scale, jac=jac, bounds=bounds, constraints=[constraint], method="SLSQP",
                       options={"maxiter": 300, "ftol": ftol})
        z, success = np.asarray(res.x, dtype=float), bool(res.success)
    except (ValueError, FloatingPointError):
        z, success = x0 / scale, False
    if not np.all(np.isfinite(z)):
        z, success = x0 / scale, False
    x = project_to_budget(z * scale, lo, up, budget)
    return _Local(x, float(ev.revenue(x).sum()), success)


def _multi_start(setup: _Setup, seed: int, n_starts: int, grid_steps: int) -> tuple[_Local, str, int, bool]:
    lo, up, budget = setup.lower[setup.free], setup.free_upper, setup.free_budget
    ev = _Evaluator([setup.responses[i] for i in setup.free])
    scale = max(budget / lo.size, 1e-12)
    value_scale = max(float(ev.revenue(np.where(np.isfinite(up), up, budget)).sum()), 1e-12)
    best, best_name, solves = None, "", 0
    starts, concave = _starts(setup, seed, n_starts, grid_steps)
    for name, x0 in starts:
        start = _Local(x0, float(ev.revenue(x0).sum()), False)
        local = _local_solve(ev, x0, lo, up, budget, scale, value_scale, ftol=1e-10)
        solves += 1
        for candidate in (local, start):
            if best is None or candidate.value > best.value:
                best, best_name = candidate, name
    polished = _local_solve(ev, best.x, lo, up, budget, scale, value_scale, ftol=1e-14)
    solves += 1
    if polished.value >= best.value:
        best = _Local(polished.x, polished.value, polished.success or best.success)
    return best, best_name, solves, concave


# --------------------------------------------------------------------------- results

def _full(setup: _Setup, x_free: np.ndarray) -> np.ndarray:
    x = setup.lower.copy()
    x[setup.free] = x_free
    return x


def _values(responses: Sequence[Response], x: np.ndarray, kind: str) -> np.ndarray:
    return np.array([float(np.mean(getattr(r, kind)(xc))) for r, xc in zip(responses, x, strict=True)])


def _binding(x: np.ndarray, lo: np.ndarray, up: np.ndarray, scale: float) -> tuple[str, ...]:
    tol = 1e-6 * np.where(np.isfinite(up - lo) & (up > lo), up - lo, scale) + 1e-12 * scale
    return tuple("lower" if xc - lc <= t else "upper" if uc - xc <= t else ""
                 for xc, lc, uc, t in zip(x, lo, up, tol, strict=True))


def _marginal_roi(x: np.ndarray, marginal: np.ndarray, lo: np.ndarray, up: np.ndarray, scale: float) -> float:
    tol = 1e-6 * scale
    above = x - lo > tol
    if above.any():
        return float(marginal[above].min())
    below_upper = up - x > tol
    return float(marginal[below_upper].max()) if below_upper.any() else 0.0


def _result(setup: _Setup, x: np.ndarray, success: bool, method: str, message: str,
            n_solves: int) -> AllocationResult:
    marginal = _values(setup.responses, x, "marginal")
    scale = max(abs(setup.budget), 1e-12) / x.size
    note = "; ".join(m for m in (setup.message, message) if m)
    return AllocationResult(
        optimal=x, current=setup.current, lower=setup.lower, upper=setup.upper, budget=setup.budget,
        requested_budget=setup.requested_budget, budget_adjusted=setup.budget_adjusted,
        binding=_binding(x, setup.lower, setup.upper, scale),
        revenue_current=_values(setup.responses, setup.current, "revenue"),
        revenue_optimal=_values(setup.responses, x, "revenue"), marginal_optimal=marginal,
        marginal_roi=_marginal_roi(x, marginal, setup.lower, setup.upper, scale), success=success,
        method=method, message=note, n_local_solves=n_solves)


def _trivial(setup: _Setup) -> AllocationResult | None:
    """The allocation when the free budget leaves no choice (no free channel, or budget at an end)."""
    lo, up = setup.lower[setup.free], setup.free_upper
    if setup.free.size == 0 or setup.free_budget <= lo.sum() or setup.free_budget >= up.sum():
        x_free = lo if setup.free.size == 0 else project_to_budget(lo, lo, up, setup.free_budget)
        return _result(setup, _full(setup, x_free), True, "fixed by the bounds", "", 0)
    return None


# --------------------------------------------------------------------------- public API

def optimize_allocation(responses: Sequence[Response], current: ArrayLike, lower: ArrayLike,
                        upper: ArrayLike, budget: float, seed: int = 0, n_starts: int = 8,
                        grid_steps: int = 200) -> AllocationResult:
    """Maximise R(x) = sum_c r_c(x_c) subject to sum_c x_c = budget and lower <= x <= upper.

    Multi-start SLSQP (analytic gradients r_c', scaled variables) from: the current allocation, the
    current shares times the budget, an equal split, the middle of the box, the maximiser of R on a
    lattice of ``grid_steps`` budget steps (dynamic programming; 0 disables it) and ``n_starts``
    uniform random points from ``np.random.default_rng(seed)``; every start is projected onto the
    feasible set first. When every free response is concave on the spend the lattice gives it (no
    second difference above rounding), the problem is concave and the budget-grid start alone is
    solved. The best point (a solved one or a start) is polished with a tighter
    tolerance and projected onto the feasible set again. If ``current`` is feasible and better, it
    is returned instead (``method`` says so). A budget outside [sum(lower), sum(upper)] is clipped
    into it (``budget_adjusted``). Channels with lower == upper are fixed. Deterministic for a seed.
    """
    setup = _prepare(responses, current, lower, upper, budget)
    trivial = _trivial(setup)
    if trivial is not None:
        return trivial
    with single_thread_blas():
        best, start_name, solves, concave = _multi_start(setup, seed, n_starts, grid_steps)
    x = _full(setup, best.x)
    method = (f"SLSQP from the budget-grid start ({solves} local solves; every response concave on its range)"
              if concave else f"SLSQP multi-start ({solves} local solves; best from the {start_name} start)")
    current_value = float(_values(setup.responses, setup.current, "revenue").sum())
    optimal_value = float(_values(setup.responses, x, "revenue").sum())
    if _is_feasible(setup.current, setup) and current_value > optimal_value:
        return _result(setup, setup.current.copy(), best.success, method + "; kept the current allocation",
                       "no allocation found better than the current one", solves)
    message = "" if best.success else "the local solver did not report convergence; best feasible point kept"
    return _result(setup, x, best.success, method, message, solves)


def optimize_allocation_global(responses: Sequence[Response], current: ArrayLike, lower: ArrayLike,
                               upper: ArrayLike, budget: float, seed: int = 0, method: str = "auto",
                               grid_points: int = 2001) -> AllocationResult:
    """Reference global maximiser of R(x) on the same feasible set (slow; for tests and checks).

    * ``method="grid"`` (up to 3 free channels): R evaluated on a dense grid; with two free channels
      x_1 takes 100 ``grid_points`` values in its range and x_2 = B - x_1; with three, (x_1, x_2) take
      ``grid_points`` values each (x_3 = B - x_1 - x_2, kept when within its bounds).
    * ``method="differential_evolution"``: over z in [0, 1]^C with x = project(lower + z (upper -
      lower)), which maps the box onto the feasible set, so the budget equality always holds.
    * ``"auto"``: grid for at most 3 free channels, else differential evolution.
    """
    setup = _prepare(responses, current, lower, upper, budget)
    trivial = _trivial(setup)
    if trivial is not None:
        return trivial
    lo, up, free_budget = setup.lower[setup.free], setup.free_upper, setup.free_budget
    free_responses = [setup.responses[i] for i in setup.free]
    if method == "auto":
        method = "grid" if setup.free.size <= 3 else "differential_evolution"
    if method == "grid":
        x_free = _dense_grid(free_responses, lo, up, free_budget, grid_points)
    elif method == "differential_evolution":
        x_free = _differential_evolution(free_responses, lo, up, free_budget, seed)
    else:
        raise ValueError(f"unknown method {method!r}; expected 'auto', 'grid' or 'differential_evolution'")
    return _result(setup, _full(setup, x_free), True, method, "", 0)


def _dense_grid(responses: Sequence[Response], lo: np.ndarray, up: np.ndarray, budget: float,
                n: int) -> np.ndarray:
    if lo.size == 1:
        return np.array([budget])
    if lo.size > 3:
        raise ValueError("the dense grid handles at most 3 free channels")
    # one free axis with two channels: afford a finer grid
    axes = [np.linspace(lo[c], up[c], n if lo.size == 3 else 100 * n) for c in range(lo.size - 1)]
    mesh = np.meshgrid(*axes, indexing="ij") if lo.size == 3 else axes
    points = [m.ravel() for m in mesh]
    last = budget - np.sum(points, axis=0)
    keep = (last >= lo[-1]) & (last <= up[-1])
    points = [p[keep] for p in points] + [last[keep]]
    total = sum(_curve(r, p) for r, p in zip(responses, points, strict=True))
    i = int(np.argmax(total))
    return project_to_budget(np.array([p[i] for p in points]), lo, up, budget)


def _differential_evolution(responses: Sequence[Response], lo: np.ndarray, up: np.ndarray,
                            budget: float, seed: int) -> np.ndarray:
    ev = _Evaluator(responses)
    width = np.where(np.isfinite(up), up, budget) - lo

    def to_x(z: np.ndarray) -> np.ndarray:
        return project_to_budget(lo + z * width, lo, up, budget)

    res = differential_evolution(lambda z: -float(ev.revenue(to_x(z)).sum()), [(0.0, 1.0)] * lo.size,
                                 seed=seed, tol=1e-12, atol=0.0, maxiter=3000, popsize=40, polish=False)
    return to_x(res.x)


def min_budget_for_target_revenue(responses: Sequence[Response], lower: ArrayLike, upper: ArrayLike,
                                  target_revenue: float, seed: int = 0, n_starts: int = 8,
                                  rtol: float = 1e-6) -> TargetBudgetResult:
    """Smallest budget B in [sum(lower), sum(upper)] whose optimal allocation reaches the target.

    R*(B) = max {sum r_c(x_c): sum x = B, lower <= x <= upper} is non-decreasing in B (responses never
    decrease), so B* = min {B: R*(B) >= target} is found by bisection to ``rtol`` of the budget range;
    the returned budget reaches the target. Infeasible when R*(sum(upper)) < target.
    """
    lo, up = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    b_lo, b_hi = _budget_range(lo, up)

    def solve(b: float) -> AllocationResult:
        return optimize_allocation(responses, lo, lo, up, b, seed=seed, n_starts=n_starts)

    at_hi = solve(b_hi)
    if at_hi.total_revenue_optimal < target_revenue:
        return TargetBudgetResult(target_revenue, None, False, at_hi.total_revenue_optimal, at_hi,
                                  f"target revenue {target_revenue:,.2f} is not reachable: the most the "
                                  f"bounds allow is {at_hi.total_revenue_optimal:,.2f} at budget {b_hi:,.2f}")
    at_lo = solve(b_lo)
    if at_lo.total_revenue_optimal >= target_revenue:
        return TargetBudgetResult(target_revenue, b_lo, True, at_lo.total_revenue_optimal, at_lo,
                                  "the lower bounds alone reach the target")
    budget, result = _bisect(lambda b: solve(b), lambda r: r.total_revenue_optimal >= target_revenue,
                             good=(b_hi, at_hi), bad=b_lo, tol=rtol * (b_hi - b_lo))
    return TargetBudgetResult(target_revenue, budget, True, result.total_revenue_optimal, result, "")


def max_budget_for_target_mroi(responses: Sequence[Response], lower: ArrayLike, upper: ArrayLike,
                               target_mroi: float, seed: int = 0, n_starts: int = 8, n_scan: int = 17,
                               rtol: float = 1e-6) -> TargetBudgetResult:
    """Largest budget B in [sum(lower), sum(upper)] whose optimal allocation has marginal ROI >= target.

    m(B) = ``marginal_roi`` of the optimal allocation at B (the revenue of the last unit of budget;
    for concave responses the Lagrange multiplier, non-increasing in B). m is scanned on ``n_scan``
    budgets; the last scanned budget with m >= target and the next one bracket the answer, refined
    by bisection to ``rtol`` of the budget range. S-shaped responses can make m rise before it falls:
    the scan returns the largest crossing it resolves. Infeasible when m < target at every scanned
    budget; B = sum(upper) when m >= target there.
    """
    lo, up = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    b_lo, b_hi = _budget_range(lo, up)

    def solve(b: float) -> AllocationResult:
        return optimize_allocation(responses, lo, lo, up, b, seed=seed, n_starts=n_starts)

    budgets = np.linspace(b_lo, b_hi, n_scan)
    results = [solve(b) for b in budgets]
    ok = [r.marginal_roi >= target_mroi for r in results]
    if ok[-1]:
        return TargetBudgetResult(target_mroi, b_hi, True, results[-1].marginal_roi, results[-1],
                                  "the upper bounds limit the budget before the marginal ROI "
                                  "reaches the target")
    if not any(ok):
        best = max(results, key=lambda r: r.marginal_roi)
        return TargetBudgetResult(target_mroi, None, False, best.marginal_roi, best,
                                  f"marginal ROI stays below {target_mroi:g} at every budget in "
                                  f"[{b_lo:,.2f}, {b_hi:,.2f}] (highest {best.marginal_roi:.4g})")
    k = int(np.flatnonzero(ok)[-1])
    budget, result = _bisect(solve, lambda r: r.marginal_roi >= target_mroi, good=(budgets[k], results[k]),
                             bad=budgets[k + 1], tol=rtol * (b_hi - b_lo))
    return TargetBudgetResult(target_mroi, budget, True, result.marginal_roi, result, "")


def _budget_range(lo: np.ndarray, up: np.ndarray) -> tuple[float, float]:
    if not np.all(np.isfinite(up)):
        raise ValueError("target modes need finite upper bounds")
    return float(lo.sum()), float(up.sum())


def _bisect(solve: Callable[[float], AllocationResult], meets: Callable[[AllocationResult], bool],
            good: tuple[float, AllocationResult], bad: float, tol: float) -> tuple[float, AllocationResult]:
    """Move ``good`` (a budget meeting the target) towards ``bad`` until they are within ``tol``."""
    good_b, good_r = good
    while abs(good_b - bad) > tol:
        mid = 0.5 * (good_b + bad)
        result = solve(mid)
        if meets(result):
            good_b, good_r = mid, result
        else:
            bad = mid
    return float(good_b), good_r


def evaluate_allocation_draws(draw_responses: Sequence[Response], allocation: AllocationResult | ArrayLike,
                              level: float = 0.9, baseline: ArrayLike | None = None,
                              interactions: Sequence = ()) -> DrawEvaluation:
    """Posterior summary of the expected weekly revenue of an allocation (see ``DrawEvaluation``).

    ``allocation`` is an ``AllocationResult`` (its ``optimal`` is used) or spend per channel. Each
    response returns () or (D,) values at a scalar spend; point responses count the same in every
    draw. ``baseline`` (e.g. the current allocation) adds the paired change in total revenue.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    x = allocation.optimal if isinstance(allocation, AllocationResult) else np.asarray(allocation, float)
    draws = _draw_matrix(draw_responses, x, interactions)
    q = [(1.0 - level) / 2.0, (1.0 + level) / 2.0]
    channel_q = np.quantile(draws, q, axis=1)
    total = draws.sum(axis=0)
    total_q = np.quantile(total, q)
    change = np.full(3, np.nan)
    if baseline is not None:
        diff = total - _draw_matrix(draw_responses, np.asarray(baseline, float), interactions).sum(axis=0)
        change = np.array([diff.mean(), *np.quantile(diff, q)])
    return DrawEvaluation(level, draws.shape[1], draws.mean(axis=1), channel_q[0], channel_q[1],
                          float(total.mean()), float(total_q[0]), float(total_q[1]), total,
                          float(change[0]), float(change[1]), float(change[2]))


def _draw_matrix(responses: Sequence[Response], x: np.ndarray, interactions: Sequence = ()) -> np.ndarray:
    """(C, D) revenue per channel and draw at spend x (point responses broadcast over draws); with synergy terms
    (``mmm.synergy.PairResponse``) each channel also carries half of each term it is part of."""
    values = [np.atleast_1d(np.asarray(r.revenue(float(xc)), dtype=float))
              for r, xc in zip(responses, x, strict=True)]
    sizes = {v.size for v in values if v.size > 1}
    if len(sizes) > 1:
        raise ValueError(f"responses carry different numbers of draws: {sorted(sizes)}")
    n_draws = sizes.pop() if sizes else 1
    out = np.stack([np.broadcast_to(v, (n_draws,)) for v in values])
    if interactions:
        from mmm.synergy import pair_draws

        out = out + pair_draws(interactions, x, len(responses))
    return out
