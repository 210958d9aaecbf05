"""Dated forecast of weekly revenue under a spend plan, and a quarter's budget spread over weeks and channels.

For the future weeks t = T+1 .. T+H of one market, under planned weekly spend x (H weeks x C channels)::

    revenue[t] = B[t] @ gamma + sum_c beta_c * sat_c(a_c[t]) + e[t],      e[t] ~ N(0, sigma^2)
    a_c[t]     = sum_{l=0}^{L_c} w_c[l] * x_c[t - l]      (x before T+1 is the spend already made: carry-over)

``B[t]`` is the fit's baseline design continued into the future: the intercept, the fitted linear trend
extended, Fourier seasonality of the future dates, the holidays known in those weeks and the controls (the
values given for those weeks, else each control's mean over the last ``lookback`` modeled weeks), all
standardised exactly as in the fit. ``w``, ``beta``, the saturation parameters and ``gamma`` are taken per
posterior draw (``gamma`` is the draw's baseline given its media, as in ``mmm.analysis``), so

* ``expected revenue`` is the mean over the draws of the draw's mean revenue (posterior expectation);
* the interval is a prediction interval: each draw also gets the baseline coefficients' sampling error
  and a week of noise (``sigma``), the same construction as ``fct_fitted_revenue``'s band.

``MediaDraws`` evaluates the media model of every draw on future weeks with the forms' own formulas
(``MediaModel.weights`` for the lag weights, the saturation form's ``apply`` / ``derivative``); a test keeps
it equal to the fitted ``MediaModel`` run on the extended spend. It is linear in the plan up to the
saturation, which gives ``optimize_plan`` an exact gradient: the quarter's budget is spread over weeks and
channels within per-week bounds, maximising the expected media revenue of the plan's weeks plus the
carry-over its spend leaves after them (``L`` tail weeks without further spend), so spending in the last
weeks of the quarter is not penalised for effects that land after it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from mmm.analysis import FittedModel
from mmm.model import build_baseline
from mmm.threads import single_thread_blas
from mmm.transforms import apply_saturation, saturation_derivative

WEEK = pd.Timedelta(days=7)


def next_weeks(fm: FittedModel, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` weeks right after the market's last modeled week."""
    last = pd.Timestamp(fm.data.weeks[-1])
    return pd.DatetimeIndex([last + WEEK * (h + 1) for h in range(int(horizon))])


def recent_control_levels(fm: FittedModel, lookback_weeks: int) -> pd.Series:
    """Each control's mean over the last ``lookback_weeks`` modeled weeks (the level a forecast holds it at)."""
    controls = fm.data.controls
    if controls is None or controls.shape[1] == 0:
        return pd.Series(dtype=float)
    return controls.iloc[-max(int(lookback_weeks), 1):].mean()


@dataclass(frozen=True)
class FutureInputs:
    """What a forecast needs besides the fit: the future weeks, their planned spend, controls and holidays.

    ``spend`` has one column per modeled channel (a channel not in it is planned at 0). ``controls`` holds
    the controls given for those weeks; a control or a week not given is held at its recent level.
    ``holiday_count``: holidays known in each week (None: none known).
    """

    weeks: pd.DatetimeIndex
    spend: pd.DataFrame
    controls: pd.DataFrame | None = None
    holiday_count: np.ndarray | None = None

    def __post_init__(self) -> None:
        weeks = pd.DatetimeIndex(self.weeks)
        if len(weeks) == 0:
            raise ValueError("a plan needs at least one future week")
        if len(weeks) > 1 and (np.diff(weeks.values) != np.timedelta64(7, "D")).any():
            raise ValueError("the plan's weeks must be consecutive weeks")
        if len(self.spend) != len(weeks):
            raise ValueError(f"the plan has {len(weeks)} weeks but {len(self.spend)} rows of spend")
        if (np.asarray(self.spend, dtype=float) < 0).any():
            raise ValueError("planned spend must not be negative")
        object.__setattr__(self, "weeks", weeks)

    def spend_matrix(self, channels: list[str]) -> np.ndarray:
        """(H, C) planned spend in the order of ``channels`` (0 for a channel the plan does not name)."""
        return np.column_stack([self.spend[c].to_numpy(dtype=float) if c in self.spend else np.zeros(len(self.weeks))
                                for c in channels]) if channels else np.zeros((len(self.weeks), 0))


def hold_current_spend(fm: FittedModel, weeks: pd.DatetimeIndex, lookback_weeks: int) -> pd.DataFrame:
    """A plan that keeps every channel at its mean weekly spend of the last ``lookback_weeks`` weeks."""
    current = fm.spend_matrix()[-max(int(lookback_weeks), 1):].mean(axis=0)
    return pd.DataFrame(np.tile(current, (len(weeks), 1)), columns=fm.channels)


class MediaDraws:
    """The media model of a fitted market at every posterior draw, evaluated on weeks after the fit.

    ``weights`` (D, L + 1, C): normalised lag weights; ``beta`` (D, C); ``saturation``: per channel the
    saturation parameters by short name, each (D,); ``history`` (T, C): the spend already made.
    """

    def __init__(self, fm: FittedModel):
        mm = fm.problem.media_model
        z = fm.result.draws
        self.channels = list(fm.channels)
        self.kinds = [s.saturation_kind for s in fm.specs]
        self.weights = np.stack([mm.weights(nat) for nat in mm.natural(z)])
        self.beta = fm.posterior.beta
        self.saturation = mm.saturation_parameters(z)
        self.history = fm.spend_matrix()
        self.max_lag = self.weights.shape[1] - 1
        # channels grouped by saturation form: one vectorised call of the form's formula per group
        self.groups = []
        for kind in dict.fromkeys(self.kinds):
            idx = np.array([ci for ci, k in enumerate(self.kinds) if k == kind])
            params = {name: np.stack([np.asarray(self.saturation[ci][name], dtype=float) for ci in idx], axis=1)[:, None, :]
                      for name in self.saturation[idx[0]]}
            self.groups.append((kind, idx, params))

    @property
    def n_draws(self) -> int:
        return self.beta.shape[0]

    def subset(self, n: int) -> MediaDraws:
        """The first ``n`` draws (the draws are a seeded random sample, so the first n are one too)."""
        out = copy.copy(self)
        out.weights, out.beta = self.weights[:n], self.beta[:n]
        out.saturation = [{k: np.asarray(v)[:n] for k, v in p.items()} for p in self.saturation]
        out.groups = [(kind, idx, {k: v[:n] for k, v in params.items()}) for kind, idx, params in self.groups]
        return out

    def _padded(self, plan: np.ndarray) -> np.ndarray:
        """The last L weeks of history (zeros before the first week), then the plan: (L + H, C)."""
        lag = self.max_lag
        past = self.history[-lag:] if lag else self.history[:0]
        pad = np.zeros((lag - len(past), self.history.shape[1]))
        return np.vstack([pad, past, np.asarray(plan, dtype=float)])

    def adstock(self, plan: np.ndarray) -> np.ndarray:
        """(D, H, C): a_c[t] = sum_l w_c[l] x_c[t - l] on the plan's weeks, the history supplying x before them."""
        plan = np.asarray(plan, dtype=float)
        h, lag = plan.shape[0], self.max_lag
        x = self._padded(plan)
        out = np.zeros((self.n_draws, h, plan.shape[1]))
        for k in range(lag + 1):
            out += self.weights[:, k, None, :] * x[lag - k: lag - k + h][None]
        return out

    def _params(self, ci: int) -> dict[str, np.ndarray]:
        return {k: np.asarray(v, dtype=float)[:, None] for k, v in self.saturation[ci].items()}

    def media(self, plan: np.ndarray) -> np.ndarray:
        """(D, H, C): each channel's weekly revenue on the plan's weeks, carry-over from the history included."""
        a = self.adstock(plan)
        out = np.empty_like(a)
        for kind, idx, params in self.groups:
            out[:, :, idx] = self.beta[:, None, idx] * apply_saturation(a[:, :, idx], kind, params)
        return out

    def channel_media(self, spend: np.ndarray, ci: int) -> np.ndarray:
        """(D, H): channel ``ci``'s weekly revenue when its spend on the plan's weeks is ``spend`` (H,)."""
        spend = np.asarray(spend, dtype=float)
        h, lag = len(spend), self.max_lag
        past = self.history[-lag:, ci] if lag else self.history[:0, ci]
        x = np.concatenate([np.zeros(lag - len(past)), past, spend])
        a = np.zeros((self.n_draws, h))
        for k in range(lag + 1):
            a += self.weights[:, k, ci, None] * x[None, lag - k: lag - k + h]
        return self.beta[:, ci, None] * apply_saturation(a, self.kinds[ci], self._params(ci))

    def media_gradient(self, plan: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean over draws of the total media revenue of the plan's weeks, and its gradient (H, C) in the plan.

        d/dx_c[s] sum_t m_c[t] = sum_{l} beta_c sat_c'(a_c[s + l]) w_c[l]   (each week's spend acts on the
        weeks from s on).
        """
        plan = np.asarray(plan, dtype=float)
        h = plan.shape[0]
        a = self.adstock(plan)
        value = 0.0
        slope = np.empty_like(a)
        for kind, idx, params in self.groups:
            beta = self.beta[:, None, idx]
            value += float(np.sum(beta * apply_saturation(a[:, :, idx], kind, params)))
            slope[:, :, idx] = beta * saturation_derivative(a[:, :, idx], kind, params)
        grad = np.zeros((h, plan.shape[1]))
        for k in range(self.max_lag + 1):
            if k >= h:
                break
            grad[: h - k] += np.mean(slope[:, k:, :] * self.weights[:, k, None, :], axis=0)
        return value / self.n_draws, grad


def future_design(fm: FittedModel, future: FutureInputs, lookback_weeks: int) -> np.ndarray:
    """(H, P): the fit's baseline design continued on the future weeks (same columns, same standardisation)."""
    data = fm.data
    n, h = len(data.weeks), len(future.weeks)
    weeks = data.weeks.append(future.weeks)
    controls = None
    if data.controls is not None:
        held = recent_control_levels(fm, lookback_weeks)
        ahead = pd.DataFrame({c: np.full(h, held[c]) for c in data.controls.columns})
        if future.controls is not None:
            for c in data.controls.columns:
                if c in future.controls:
                    given = future.controls[c].to_numpy(dtype=float)
                    ahead[c] = np.where(np.isfinite(given), given, ahead[c])
        controls = pd.concat([data.controls.reset_index(drop=True), ahead], ignore_index=True)
    holidays = None
    if data.holiday_count is not None:
        ahead = np.zeros(h) if future.holiday_count is None else np.asarray(future.holiday_count, dtype=float)
        holidays = np.concatenate([np.asarray(data.holiday_count, dtype=float), ahead])
    train = np.concatenate([fm.train, np.zeros(h, dtype=bool)])
    baseline = build_baseline(weeks, controls, holidays, fm.config.seasonality_order, train, fm.config.trend)
    if baseline.columns != fm.problem.baseline.columns:
        raise ValueError(f"the future baseline has columns {baseline.columns}, the fit {fm.problem.baseline.columns}")
    return baseline.design[n:]


@dataclass
class PlanForecast:
    """Per posterior draw (D) and future week (H): the expected revenue, its media and baseline parts and a
    simulated revenue (with the baseline's sampling error and the weekly noise)."""

    weeks: pd.DatetimeIndex
    spend: np.ndarray  # (H, C)
    media: np.ndarray  # (D, H, C)
    carryover: np.ndarray  # (D, H): media revenue from the spend made before the plan alone
    baseline: np.ndarray  # (D, H)
    simulated: np.ndarray  # (D, H)
    level: float

    @property
    def expected(self) -> np.ndarray:
        """(D, H): each draw's mean revenue (baseline plus media)."""
        return self.baseline + self.media.sum(axis=2)

    def interval(self, a: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
        lo = (1 - self.level) / 2
        return np.quantile(a, lo, axis=axis), np.quantile(a, 1 - lo, axis=axis)

    def weekly(self) -> pd.DataFrame:
        """One row per future week: planned spend, expected revenue with its prediction interval, parts."""
        expected = self.expected.mean(axis=0)
        lo, hi = self.interval(self.simulated)
        media = self.media.sum(axis=2)
        m_lo, m_hi = self.interval(media)
        return pd.DataFrame({
            "week_start_date": self.weeks, "week_number": np.arange(1, len(self.weeks) + 1),
            "planned_spend": self.spend.sum(axis=1), "expected_revenue": expected,
            "revenue_lower": np.minimum(lo, expected), "revenue_upper": np.maximum(hi, expected),
            "expected_media_revenue": media.mean(axis=0),
            "media_revenue_lower": np.minimum(m_lo, media.mean(axis=0)),
            "media_revenue_upper": np.maximum(m_hi, media.mean(axis=0)),
            "expected_carryover_revenue": self.carryover.mean(axis=0),
            "expected_baseline_revenue": self.baseline.mean(axis=0)})

    def total(self) -> dict[str, float]:
        """The plan's weeks together: spend, expected revenue and its prediction interval (sums per draw)."""
        expected = float(self.expected.sum(axis=1).mean())
        lo, hi = self.interval(self.simulated.sum(axis=1))
        media = self.media.sum(axis=(1, 2))
        m_lo, m_hi = self.interval(media)
        return {"planned_spend": float(self.spend.sum()), "expected_revenue": expected,
                "revenue_lower": min(float(lo), expected), "revenue_upper": max(float(hi), expected),
                "expected_media_revenue": float(media.mean()), "media_revenue_lower": min(float(m_lo), float(media.mean())),
                "media_revenue_upper": max(float(m_hi), float(media.mean())),
                "expected_carryover_revenue": float(self.carryover.sum(axis=1).mean())}


def baseline_coefficient_draws(fm: FittedModel, seed_offset: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Per draw: the baseline coefficients given the draw's media (D, P), and those plus their sampling error."""
    gammas = fm.problem.gamma(fm.posterior.media.sum(axis=2))
    bt = fm.problem.weighted_design()
    a_inv = np.linalg.inv(bt.T @ bt + fm.problem.ridge_penalty)
    sigma = fm.result.sigma
    chol = np.linalg.cholesky(sigma ** 2 * 0.5 * (a_inv + a_inv.T) + 1e-12 * np.eye(gammas.shape[1]))
    rng = np.random.default_rng(fm.config.seed + seed_offset)
    return gammas, gammas + rng.normal(size=gammas.shape) @ chol.T


def forecast_plan(fm: FittedModel, future: FutureInputs, lookback_weeks: int, draws: MediaDraws | None = None,
                  seed_offset: int = 3) -> PlanForecast:
    """The dated forecast of ``future`` (see the module docstring). Deterministic in the fit's seed."""
    draws = draws or MediaDraws(fm)
    plan = future.spend_matrix(fm.channels)
    media = draws.media(plan)
    carryover = draws.media(np.zeros_like(plan)).sum(axis=2)
    design = future_design(fm, future, lookback_weeks)
    gammas, gammas_sampled = baseline_coefficient_draws(fm, seed_offset)
    baseline = gammas @ design.T
    rng = np.random.default_rng(fm.config.seed + seed_offset + 1)
    simulated = gammas_sampled @ design.T + media.sum(axis=2) + rng.normal(0.0, fm.result.sigma, baseline.shape)
    return PlanForecast(future.weeks, plan, media, carryover, baseline, simulated, fm.level)


# ---------------------------------------------------------------------- spreading a quarter's budget


@dataclass
class PlanOptimum:
    """A quarter's budget spread over weeks and channels."""

    spend: np.ndarray  # (H, C)
    budget: float
    objective_start: float  # expected media revenue (plan weeks + carry-over tail) of the starting plan
    objective: float  # the same at the optimum
    success: bool
    message: str


def optimize_plan(draws: MediaDraws, budget: float, lower: np.ndarray, upper: np.ndarray,
                  start: np.ndarray | None = None, max_iter: int = 300, ftol: float = 1e-6,
                  n_draws: int | None = 200) -> PlanOptimum:
    """Spread ``budget`` over the plan's weeks and channels, maximising expected media revenue.

    maximise  mean_d sum_{t < H + L} sum_c m_c[t]   over x (H, C)
    subject to  sum x = budget,  lower <= x <= upper  (per week and channel; (C,) bounds apply to every week)

    The weeks H .. H + L - 1 have no spend of their own: they collect the carry-over of the plan's spend.
    The expectation is taken over the first ``n_draws`` posterior draws (a seeded sample; all when None), which
    keeps an evaluation at a few milliseconds; the forecast of the result uses every draw.
    SLSQP with the exact gradient, from ``start`` (default: the budget spread in proportion to the upper
    bounds' midpoints), rescaled into the bounds. A budget outside the sum of the bounds is clipped to it and
    said in the message.
    """
    if n_draws is not None and n_draws < draws.n_draws:
        draws = draws.subset(n_draws)
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    h = int(start.shape[0]) if start is not None else None
    if lower.ndim == 2:
        h = lower.shape[0]
    if h is None:
        raise ValueError("give per-week bounds (H, C) or a start plan (H, C)")
    c = len(draws.channels)
    lower = np.broadcast_to(lower, (h, c)).astype(float)
    upper = np.broadcast_to(upper, (h, c)).astype(float)
    if (lower > upper + 1e-9).any():
        raise ValueError("a lower bound is above its upper bound")
    message = ""
    lo_total, hi_total = float(lower.sum()), float(upper.sum())
    if budget < lo_total - 1e-9 or budget > hi_total + 1e-9:
        clipped = min(max(budget, lo_total), hi_total)
        message = (f"budget {budget:,.0f} is outside what the bounds allow ({lo_total:,.0f} to {hi_total:,.0f}); "
                   f"spread {clipped:,.0f} instead")
        budget = clipped
    tail = np.zeros((draws.max_lag, c))
    scale = np.maximum(upper, 1e-9)  # variables are shares of each bound: u = x / upper
    free = upper - lower > 1e-9 * np.maximum(upper, 1.0)

    def to_plan(u: np.ndarray) -> np.ndarray:
        x = lower.copy()
        x[free] = u * scale[free]
        return x

    x0 = _start_plan(lower, upper, budget, start)
    norm = max(budget, 1.0)

    def fun(u):
        x = np.vstack([to_plan(u), tail])
        value, grad = draws.media_gradient(x)
        return -value / norm, -(grad[:h][free] * scale[free]) / norm

    if not free.any():
        value, _ = draws.media_gradient(np.vstack([lower, tail]))
        return PlanOptimum(lower.copy(), float(lower.sum()), value, value, True, message or "every bound is fixed")
    u0 = x0[free] / scale[free]
    bounds = list(zip(lower[free] / scale[free], upper[free] / scale[free]))
    fixed_total = float(lower[~free].sum())
    constraint = {"type": "eq", "fun": lambda u: (float(u @ scale[free]) + fixed_total - budget) / norm,
                  "jac": lambda u: scale[free] / norm}
    start_value = -fun(u0)[0] * norm
    with single_thread_blas():  # SLSQP's small dense algebra: threads only add hand-offs
        res = optimize.minimize(fun, u0, jac=True, method="SLSQP", bounds=bounds, constraints=[constraint],
                                options={"maxiter": max_iter, "ftol": ftol})
    u = np.clip(res.x, [b[0] for b in bounds], [b[1] for b in bounds])
    best = to_plan(u)
    value = -fun(u)[0] * norm
    if value < start_value:  # never return worse than where it started
        best, value = x0, start_value
    ok = bool(res.success) or abs(float(best.sum()) - budget) <= 1e-6 * norm
    text = "; ".join(m for m in (message, "" if res.success else f"optimizer: {res.message}") if m)
    return PlanOptimum(best, budget, start_value, value, ok, text)


def _start_plan(lower: np.ndarray, upper: np.ndarray, budget: float, start: np.ndarray | None) -> np.ndarray:
    """A feasible plan summing to ``budget``: ``start`` (or the bounds' midpoints) moved toward the bound
    that closes the gap (a convex combination with ``lower`` or ``upper``)."""
    x = (lower + upper) / 2 if start is None else np.clip(np.asarray(start, dtype=float), lower, upper)
    total = float(x.sum())
    if total > budget:
        t = (total - budget) / max(total - float(lower.sum()), 1e-300)
        x = x + t * (lower - x)
    elif total < budget:
        t = (budget - total) / max(float(upper.sum()) - total, 1e-300)
        x = x + t * (upper - x)
    return np.clip(x, lower, upper)
