"""Synergy between channel pairs (optional, off by default): e.g. TV lifting branded search.

For each pair declared in ``seeds/channel_interactions.csv`` (``FitConfig.interactions``)::

    revenue[t] += s_ab[t] = kappa_ab * rho_ab * f_a[t] * f_b[t]        f_c = saturation(adstock(spend_c)) in [0, 1)
    rho_ab ~ N(0, prior_sd)                                             (shrunk toward no synergy; may be negative)
    kappa_ab = (spend_a + spend_b) / sum_t f_a f_b   at the prior centre of the saturation parameters (a constant)

so rho_ab is about the synergy's revenue per unit of the pair's spend (exactly so at the prior centre); the
reported synergy ROI is the term's revenue over the pair's spend, from the fitted term itself. rho is fitted with
every other parameter (MAP, Laplace), so every interval accounts for it. In the weekly media columns each channel
carries half of the term (its Shapley share of a product), so channel columns still sum to the media total;
``mmm.model.MediaModel.media`` explains how lift tests see it.

Budgets: a steady weekly spend x gives s_ab = kappa rho sat_a(x_a) sat_b(x_b) (``PairResponse``); the optimizer
(``optimize_with_synergy``) and the scenarios add these terms to the channels' own curves, so moving TV money
changes search's return. Channel curves, ROI and marginal ROI in the channel tables are each channel's own effect;
the synergy terms are reported on their own rows (``synergy_summary``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from mmm.transforms import apply_saturation, saturation_derivative


@dataclass(frozen=True, eq=False)
class PairResponse:
    """Steady-state synergy s(x_a, x_b) = coef * sat_a(x_a) * sat_b(x_b) of channels ``a`` and ``b`` (indexes).

    ``coef`` (= kappa rho) and the saturation parameters are scalars or posterior draws (D,); ``revenue`` and the
    partial derivatives return the mean over draws (expected revenue), ``revenue_draws`` every draw.
    """

    a: int
    b: int
    coef: float | np.ndarray
    kind_a: str
    params_a: dict
    kind_b: str
    params_b: dict

    def _parts(self, xa: float, xb: float):
        sa = apply_saturation(np.asarray(xa, float), self.kind_a, self.params_a)
        sb = apply_saturation(np.asarray(xb, float), self.kind_b, self.params_b)
        return sa, sb

    def revenue_draws(self, xa: float, xb: float) -> np.ndarray:
        sa, sb = self._parts(xa, xb)
        return np.atleast_1d(np.asarray(self.coef, float) * sa * sb)

    def revenue(self, xa: float, xb: float) -> float:
        return float(np.mean(self.revenue_draws(xa, xb)))

    def gradient(self, xa: float, xb: float) -> tuple[float, float]:
        """(d s / d x_a, d s / d x_b), mean over draws."""
        sa, sb = self._parts(xa, xb)
        da = saturation_derivative(np.asarray(xa, float), self.kind_a, self.params_a)
        db = saturation_derivative(np.asarray(xb, float), self.kind_b, self.params_b)
        coef = np.asarray(self.coef, float)
        return float(np.mean(coef * da * sb)), float(np.mean(coef * sa * db))


def pair_responses(fm, with_draws: bool = True) -> list[PairResponse]:
    """The fitted market's synergy terms as steady-state pair responses (channel indexes as in ``fm.channels``)."""
    mm = fm.problem.media_model
    out = []
    z = fm.result.draws if with_draws else fm.result.z
    sat = mm.saturation_parameters(z)
    for a, b, kappa, e in mm.synergy_terms:
        coef = kappa * np.asarray(z, float)[..., e]
        out.append(PairResponse(a, b, coef, fm.specs[a].saturation_kind, sat[a], fm.specs[b].saturation_kind, sat[b]))
    return out


def total_revenue(own: Sequence, pairs: Sequence[PairResponse], x: np.ndarray) -> float:
    """Expected weekly media revenue at allocation x: sum of the own curves plus every synergy term."""
    value = sum(float(np.mean(r.revenue(float(xc)))) for r, xc in zip(own, x))
    return value + sum(p.revenue(x[p.a], x[p.b]) for p in pairs)


def pair_draws(pairs: Sequence[PairResponse], x: np.ndarray, n_channels: int) -> np.ndarray | None:
    """(C, D) each channel's half of the synergy terms' revenue per draw at allocation x (None without pairs)."""
    if not pairs:
        return None
    draws = [p.revenue_draws(x[p.a], x[p.b]) for p in pairs]
    out = np.zeros((n_channels, max(d.size for d in draws)))
    for p, d in zip(pairs, draws):
        out[p.a] += 0.5 * d
        out[p.b] += 0.5 * d
    return out


def optimize_with_synergy(
    responses: Sequence,
    pairs: Sequence[PairResponse],
    current,
    lower,
    upper,
    budget: float,
    seed: int = 0,
    n_starts: int = 8,
):
    """Maximise sum_c r_c(x_c) + sum_pairs s_ab(x_a, x_b) subject to sum x = budget, lower <= x <= upper.

    Multi-start SLSQP with analytic gradients from: the separable optimum (synergy ignored), the current
    allocation, the current shares scaled to the budget, an equal split and seeded random feasible points; never
    worse than the current allocation when that is feasible. Returns ``mmm.optimize.AllocationResult`` whose
    per-channel revenues are the channels' own curves; ``message`` gives the synergy's revenue at the optimum.
    """
    from mmm.optimize import _is_feasible, _prepare, _result, optimize_allocation, project_to_budget

    setup = _prepare(responses, current, lower, upper, budget)
    lo, up, b = setup.lower, setup.upper, setup.budget
    separable = optimize_allocation(responses, current, lower, upper, budget, seed=seed, n_starts=n_starts)
    scale = max(b / len(lo), 1e-12)
    value_scale = max(abs(total_revenue(responses, pairs, separable.optimal)), 1e-12)

    def fun(z):
        return -total_revenue(responses, pairs, z * scale) / value_scale

    def jac(z):
        x = np.maximum(z * scale, 1e-9 * scale)
        g = np.array([float(np.mean(r.marginal(float(xc)))) for r, xc in zip(responses, x)])
        for p in pairs:
            ga, gb = p.gradient(x[p.a], x[p.b])
            g[p.a] += ga
            g[p.b] += gb
        return -g * scale / value_scale

    finite_up = np.where(np.isfinite(up), up, b)
    rng = np.random.default_rng(seed)
    starts = [separable.optimal, setup.current, np.full(len(lo), b / len(lo))]
    if setup.current.sum() > 0:
        starts.append(setup.current * b / setup.current.sum())
    starts += [rng.uniform(lo, finite_up) for _ in range(n_starts)]
    best, best_value, solves, success = (
        separable.optimal,
        total_revenue(responses, pairs, separable.optimal),
        0,
        separable.success,
    )
    bounds = list(zip(lo / scale, np.where(np.isfinite(up), up / scale, None)))
    cons = [{"type": "eq", "fun": lambda z: np.array([z.sum() - b / scale]), "jac": lambda z: np.ones((1, z.size))}]
    for x0 in starts:
        x0 = project_to_budget(np.asarray(x0, float), lo, up, b)
        res = minimize(
            fun,
            x0 / scale,
            jac=jac,
            bounds=bounds,
            constraints=cons,
            method="SLSQP",
            options={"maxiter": 300, "ftol": 1e-12},
        )
        solves += 1
        x = project_to_budget(np.asarray(res.x, float) * scale, lo, up, b)
        value = total_revenue(responses, pairs, x)
        if value > best_value:
            best, best_value, success = x, value, bool(res.success)
    method = f"SLSQP multi-start with synergy terms ({solves} local solves)"
    if _is_feasible(setup.current, setup) and total_revenue(responses, pairs, setup.current) > best_value:
        best = setup.current.copy()
        method += "; kept the current allocation"
    synergy_now = sum(p.revenue(setup.current[p.a], setup.current[p.b]) for p in pairs)
    synergy_opt = sum(p.revenue(best[p.a], best[p.b]) for p in pairs)
    message = (
        f"includes synergy terms: their expected weekly revenue is {synergy_now:,.0f} now and "
        f"{synergy_opt:,.0f} at the optimum (not in the channels' own revenue columns)"
    )
    return _result(setup, best, success, method, message, solves)


def synergy_summary(fm) -> pd.DataFrame:
    """Per synergy term: its revenue over the modeled period and its synergy ROI (revenue / the pair's spend),
    MAP estimate with the interval over the posterior draws, and the fitted coefficient rho with its prior sd."""
    mm = fm.problem.media_model
    spend = fm.spend_matrix().sum(axis=0)
    point = mm.synergy_effects(fm.result.z).sum(axis=0)
    draws = np.array([mm.synergy_effects(zd).sum(axis=0) for zd in fm.result.draws]) if len(mm.synergy_terms) else None
    rows = []
    for j, (a, b, kappa, e) in enumerate(mm.synergy_terms):
        lo, hi = fm.quantiles(draws[:, j])
        pair_spend = float(spend[a] + spend[b])
        est = float(point[j])
        rows.append(
            dict(
                term=f"{fm.channels[a]} x {fm.channels[b]}",
                term_type="synergy",
                channel_a=fm.channels[a],
                channel_b=fm.channels[b],
                contribution=est,
                contribution_lower=min(float(lo), est),
                contribution_upper=max(float(hi), est),
                roi=est / pair_spend,
                roi_lower=min(float(lo), est) / pair_spend,
                roi_upper=max(float(hi), est) / pair_spend,
                roi_current=np.nan,
                roi_current_lower=np.nan,
                roi_current_upper=np.nan,
                knots=None,
                prior_sd=float(fm.problem.layout.prior_sd[e]),
            )
        )
    return pd.DataFrame(rows)
