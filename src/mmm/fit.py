"""Maximum a posteriori fit of one market, with lift-test calibration.

Negative log posterior in the unconstrained parameters z (see ``mmm.model``)::

    J(z) = n/2 * log Q(z)                                 (Gaussian likelihood, sigma and gamma profiled)
         + sum_e (lift_e(z) - measured_e)^2 / (2 se_e^2)  (one term per lift test)
         + sum_i (z_i - mu_i)^2 / (2 sd_i^2)              (normal priors on the unconstrained scale)

    Q(z) = min_gamma |u - B gamma|^2 + lambda n |gamma_{-0}|^2 = u' (I - P) u,  u = y - sum_c m_c(z)

on the training weeks. lift_e is the model's incremental revenue for switching channel c off in the
test's weeks (every week after included, so carry-over counts). Because each channel's effect depends
only on its own parameters, the gradient needs one media evaluation per parameter *slot* (all
channels perturbed at once) instead of one per parameter: dJ/dz_i = -(n/Q) r . dm_c/dz_i + ...
The search is L-BFGS-B from several starts (the prior centre plus seeded draws); the best wins.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from mmm.model import (
    Baseline,
    ChannelSpec,
    Layout,
    MediaInputs,
    MediaModel,
    build_baseline,
    build_layout,
    media_inputs,
)
from mmm.settings import RunSettings
from mmm.transforms import Prior

_DEFAULTS = RunSettings()


@dataclass(frozen=True)
class FitConfig:
    """Settings of a market fit: the user-facing ones default to ``RunSettings`` (= the dbt vars), the
    rest are engine internals."""

    seasonality_order: int = _DEFAULTS.seasonality_order
    holdout_weeks: int = _DEFAULTS.holdout_weeks  # the last weeks forecast by a refit without them (validation)
    interval_level: float = _DEFAULTS.interval_level
    seed: int = _DEFAULTS.random_seed
    cv_folds: int = _DEFAULTS.cv_folds  # rolling-origin folds (each a MAP refit), scored on the weeks after each origin
    cv_horizon: int = _DEFAULTS.cv_horizon
    trend: bool = True
    n_starts: int = 4
    n_draws: int = 500
    ridge: float = 1e-4  # baseline ridge, relative (columns are standardised)
    max_iter: int = 400
    agreement_tol: float = 1e-3  # stop multi-start once two starts agree this closely (in log posterior)
    ftol: float = 1e-10  # L-BFGS-B relative tolerance on the objective
    priors: dict[str, Prior] = field(default_factory=dict)  # overrides of a form's default prior, by full name
    huber_c: float | None = 3.0  # weeks beyond this many robust sds get Huber weights (None: plain Gaussian)
    robust_iterations: int = 4  # reweighting rounds
    # optional media terms, off by default (empty): ((channel, knots, step_sd), ...) lets a channel's effect drift
    # (mmm.time_varying); ((channel_a, channel_b, prior_sd), ...) adds a synergy term per pair (mmm.synergy)
    time_varying: tuple = ()
    interactions: tuple = ()

    def __post_init__(self) -> None:
        # stored results give lists: keep hashable, comparable tuples
        object.__setattr__(self, "time_varying", tuple((str(c), int(k), float(sd)) for c, k, sd in self.time_varying))
        object.__setattr__(self, "interactions", tuple((str(a), str(b), float(sd)) for a, b, sd in self.interactions))

    @classmethod
    def from_settings(cls, settings: RunSettings, **overrides) -> FitConfig:
        """The fit settings a build uses: its run settings plus engine defaults (or ``overrides``)."""
        return cls(seasonality_order=settings.seasonality_order, holdout_weeks=settings.holdout_weeks,
                   interval_level=settings.interval_level, seed=settings.random_seed, cv_folds=settings.cv_folds,
                   cv_horizon=settings.cv_horizon, **overrides)


@dataclass
class MarketData:
    """One market's weekly model input (money in the reporting currency)."""

    weeks: pd.DatetimeIndex
    revenue: np.ndarray
    spend: pd.DataFrame  # weeks x channels
    controls: pd.DataFrame | None = None  # weeks x controls
    holiday_count: np.ndarray | None = None
    lift_tests: pd.DataFrame | None = None  # experiment_id, channel, start_week, end_week, lift, lift_se


@dataclass
class LiftTerm:
    experiment_id: str
    channel: int  # channel index
    column: int  # spend column holding the switched-off copy
    measured: float
    se: float
    weeks: np.ndarray  # bool mask of the test weeks


@dataclass
class Problem:
    """Everything the objective needs, precomputed once per fit."""

    y: np.ndarray  # (T,) revenue, all weeks
    train: np.ndarray  # (T,) bool
    baseline: Baseline
    layout: Layout
    inputs: MediaInputs
    lifts: list[LiftTerm]
    hat: np.ndarray  # (P, n_train): gamma = hat @ (sqrt_w * u), the weighted ridge least squares
    ridge_penalty: np.ndarray  # (P, P)
    media_model: MediaModel
    sqrt_w: np.ndarray  # (n_train,) square roots of the weeks' likelihood weights (1 = Gaussian; see robust_weights)

    def media(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(media effect of every spend column (T, K), beta (C,)) at z."""
        return self.media_model.media(z)

    def weighted_design(self) -> np.ndarray:
        """The baseline design of the training weeks, rows scaled by the square-root weights."""
        return self.sqrt_w[:, None] * self.baseline.design[self.train]

    def gamma(self, media_total: np.ndarray) -> np.ndarray:
        """Baseline coefficients given the total media effect per week (T,) or per draw and week (D, T)."""
        u = self.y[self.train] - np.asarray(media_total)[..., self.train]
        return (u * self.sqrt_w) @ self.hat.T

    @property
    def n_channels(self) -> int:
        return len(self.layout.channels)


def prepare_problem(data: MarketData, specs: list[ChannelSpec], config: FitConfig,
                    lift_terms: list[dict] | None = None, holdout_weeks: int = 0,
                    weights: np.ndarray | None = None) -> Problem:
    """Build the baseline design, the parameter layout and the media inputs for ``specs``.

    ``lift_terms``: validated lift tests as dicts (experiment_id, channel, weeks mask, measured, se).
    ``holdout_weeks``: the last weeks left out of the likelihood (only the validation refits use it; the
    reported model is fitted on every week).
    ``weights``: a likelihood weight per training week (default 1: Gaussian errors; see robust_weights).
    """
    n = len(data.weeks)
    train = np.ones(n, dtype=bool)
    if holdout_weeks > 0:
        train[n - holdout_weeks:] = False
    baseline = build_baseline(data.weeks, data.controls, data.holiday_count, config.seasonality_order, train,
                              config.trend)
    layout = build_layout(specs, config.priors, config.time_varying, config.interactions)
    names = [s.name for s in specs]
    x = data.spend[names].to_numpy(dtype=float)
    lifts, extra, extra_chan = [], [], []
    for i, lt in enumerate(lift_terms or []):
        c = names.index(lt["channel"])
        off = x[:, c].copy()
        off[lt["weeks"]] = 0.0
        extra.append(off)
        extra_chan.append(c)
        lifts.append(LiftTerm(lt["experiment_id"], c, len(names) + i, float(lt["measured"]), float(lt["se"]),
                              lt["weeks"]))
    inputs = media_inputs(x, train, np.column_stack(extra) if extra else None,
                          np.array(extra_chan) if extra else None)
    sqrt_w = np.sqrt(np.ones(int(train.sum())) if weights is None else np.asarray(weights, dtype=float))
    bt = sqrt_w[:, None] * baseline.design[train]
    penalty = np.eye(bt.shape[1]) * config.ridge * train.sum()
    penalty[0, 0] = 0.0
    hat = np.linalg.solve(bt.T @ bt + penalty, bt.T)
    return Problem(np.asarray(data.revenue, float), train, baseline, layout, inputs, lifts, hat, penalty,
                   MediaModel(layout, inputs, data.weeks), sqrt_w)


@dataclass
class Evaluation:
    value: float
    grad: np.ndarray
    media: np.ndarray  # (T, K)
    residual: np.ndarray  # (n_train,)
    q: float
    lift_pred: np.ndarray


def _lift_predictions(problem: Problem, media: np.ndarray) -> np.ndarray:
    return np.array([media[:, lt.channel].sum() - media[:, lt.column].sum() for lt in problem.lifts])


def media_derivatives(problem: Problem, z: np.ndarray, media: np.ndarray,
                      step: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Derivatives the objective needs, with one media evaluation per parameter slot.

    Returns d(total media on training weeks)/dz, shape (P, n_train), and d(lift_e)/dz, shape (P, E).
    Slot j perturbs the j-th parameter of every channel at once: channel c's columns only depend on
    channel c's parameters, so their change is that parameter's partial derivative. The ROI derivative
    is exact: d m_c / d log roi_c = m_c.
    """
    if problem.layout.synergy:
        return _media_derivatives_with_synergy(problem, z, step)
    layout = problem.layout
    c = problem.n_channels
    train = problem.train
    dtotal = np.zeros((layout.size, int(train.sum())))
    lift_ch = np.array([lt.channel for lt in problem.lifts], dtype=int)
    lift_col = np.array([lt.column for lt in problem.lifts], dtype=int)
    dlift = np.zeros((layout.size, len(problem.lifts)))
    roi_idx = layout.roi_index()
    is_roi = np.zeros(layout.size, dtype=bool)
    is_roi[roi_idx] = True

    def record(entries: np.ndarray, chans: np.ndarray, dm: np.ndarray) -> None:
        dtotal[entries] = dm[train][:, chans].T
        if len(lift_ch):
            sums = dm.sum(axis=0)
            per_lift = sums[lift_ch] - sums[lift_col]  # (E,)
            owner = {int(ch): int(e) for ch, e in zip(chans, entries)}
            for k, ch in enumerate(lift_ch):
                if int(ch) in owner:
                    dlift[owner[int(ch)], k] = per_lift[k]

    for j in range(layout.slots.shape[0]):
        chans = np.flatnonzero((layout.slots[j] >= 0) & ~is_roi[np.maximum(layout.slots[j], 0)])
        if not len(chans):
            continue
        entries = layout.slots[j, chans]
        zp = z.copy()
        zp[entries] += step
        mp, _ = problem.media(zp)
        record(entries, chans, (mp - media) / step)
    record(roi_idx, np.arange(c), media)
    return dtotal, dlift


def _media_derivatives_with_synergy(problem: Problem, z: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """``media_derivatives`` when the model has synergy terms (``Layout.synergy``): still one evaluation per slot.

    A synergy term s_ab = kappa_ab rho_ab f_a f_b depends on two channels' parameters, so the slot trick is applied
    to each channel's own effect and saturated feature f_c (both depend on that channel only), and the terms'
    derivatives follow by the product rule: d s_ab / d z_(a,j) = kappa_ab rho_ab f_b df_a/dz_(a,j). Lift k of
    channel c (column k its switched-off copy) is sum_t [own_c - own_k + sum_(pairs c,o) kappa rho (f_c - f_k) f_o].
    """
    layout, mm = problem.layout, problem.media_model
    train = problem.train
    own, f, _ = mm.parts(z)
    rho = mm.natural(z)
    dtotal = np.zeros((layout.size, int(train.sum())))
    dlift = np.zeros((layout.size, len(problem.lifts)))
    partners = mm.partners()  # channel -> [(other channel, kappa, entry)]
    roi_idx = layout.roi_index()
    is_roi = np.zeros(layout.size, dtype=bool)
    is_roi[roi_idx] = True

    def lift_own(d_own: np.ndarray, lt) -> float:
        return float(d_own[:, lt.channel].sum() - d_own[:, lt.column].sum())

    for j in range(layout.slots.shape[0]):
        chans = np.flatnonzero((layout.slots[j] >= 0) & ~is_roi[np.maximum(layout.slots[j], 0)])
        if not len(chans):
            continue
        entries = layout.slots[j, chans]
        zp = z.copy()
        zp[entries] += step
        own_p, f_p, _ = mm.parts(zp)
        d_own, d_f = (own_p - own) / step, (f_p - f) / step
        for c, e in zip(chans, entries):
            total = d_own[:, c].copy()
            for o, kappa, se in partners.get(int(c), []):
                total += kappa * rho[se] * f[:, o] * d_f[:, c]
            dtotal[e] = total[train]
            for k, lt in enumerate(problem.lifts):
                if lt.channel == c:
                    value = lift_own(d_own, lt)
                    for o, kappa, se in partners.get(int(c), []):
                        value += kappa * rho[se] * float(((d_f[:, c] - d_f[:, lt.column]) * f[:, o]).sum())
                    dlift[e, k] = value
                else:
                    for o, kappa, se in partners.get(int(lt.channel), []):
                        if o == c:
                            dlift[e, k] += kappa * rho[se] * float(((f[:, lt.channel] - f[:, lt.column]) * d_f[:, c]).sum())
    for c, e in enumerate(roi_idx):  # own effects scale with roi: d own / d log roi = own
        dtotal[e] = own[train, c]
        for k, lt in enumerate(problem.lifts):
            if lt.channel == c:
                dlift[e, k] = lift_own(own, lt)
    for a, b, kappa, e in mm.synergy_terms:  # linear in rho
        dtotal[e] = kappa * (f[:, a] * f[:, b])[train]
        for k, lt in enumerate(problem.lifts):
            for c, o in ((a, b), (b, a)):
                if lt.channel == c:
                    dlift[e, k] += kappa * float(((f[:, c] - f[:, lt.column]) * f[:, o]).sum())
    return dtotal, dlift


def evaluate(problem: Problem, z: np.ndarray, with_grad: bool = True) -> Evaluation:
    """Negative log posterior J(z) and its gradient."""
    layout = problem.layout
    media, _ = problem.media(z)
    c = problem.n_channels
    u = problem.sqrt_w * (problem.y[problem.train] - media[problem.train, :c].sum(axis=1))
    bt = problem.weighted_design()
    r = u - bt @ (problem.hat @ u)
    q = max(float(u @ r), 1e-300)
    n = len(u)
    dz = (z - layout.prior_mean) / layout.prior_sd
    lift_pred = _lift_predictions(problem, media)
    lift_res = np.array([(p - lt.measured) / lt.se for p, lt in zip(lift_pred, problem.lifts)])
    value = 0.5 * n * np.log(q) + 0.5 * float(dz @ dz) + 0.5 * float(lift_res @ lift_res)
    grad = np.zeros(layout.size)
    if with_grad:
        dtotal, dlift = media_derivatives(problem, z, media)
        grad = -(n / q) * ((dtotal * problem.sqrt_w) @ r) + dz / layout.prior_sd
        if len(problem.lifts):
            grad += dlift @ (lift_res / np.array([lt.se for lt in problem.lifts]))
    return Evaluation(value, grad, media, r, q, lift_pred)


@dataclass
class MapResult:
    z: np.ndarray
    value: float
    start_values: list[float]
    converged: bool
    n_evaluations: int
    seconds: float


def fit_map(problem: Problem, config: FitConfig, initial: np.ndarray | None = None) -> MapResult:
    """Multi-start L-BFGS-B on J(z) within prior mean +- 5 sd; deterministic in ``config.seed``.

    Starts: the prior centre, then seeded draws around it (or only ``initial``, when given).
    After two or more starts, the search stops
    as soon as the two best optima agree (within ``agreement_tol``); otherwise all ``n_starts`` run.
    """
    layout = problem.layout
    rng = np.random.default_rng(config.seed)
    lo = layout.prior_mean - 5 * layout.prior_sd
    hi = layout.prior_mean + 5 * layout.prior_sd
    if initial is not None:  # a warm start (e.g. cross-validation folds start from the full fit's optimum)
        starts = [np.asarray(initial, dtype=float)]
    else:
        starts = [layout.prior_mean.copy()]
    for _ in range(max(config.n_starts, 1) - 1 if initial is None else 0):
        starts.append(layout.prior_mean + rng.normal(0, 0.8, layout.size) * layout.prior_sd)
    t0 = time.perf_counter()
    best, values, n_eval, converged = None, [], 0, False

    def fun(z):
        ev = evaluate(problem, z)
        return ev.value, ev.grad

    for z0 in starts:
        if len(values) >= 2 and abs(sorted(values)[1] - best.fun) < config.agreement_tol:
            break  # two starts reached the same optimum: more starts would not change the answer
        res = optimize.minimize(fun, np.clip(z0, lo, hi), jac=True, method="L-BFGS-B",
                                bounds=list(zip(lo, hi)), options={"maxiter": config.max_iter, "ftol": config.ftol})
        values.append(float(res.fun))
        n_eval += res.nfev
        if best is None or res.fun < best.fun:
            best = res
            converged = bool(res.success)
    return MapResult(best.x, float(best.fun), values, converged, n_eval, time.perf_counter() - t0)


def laplace_covariance(problem: Problem, z: np.ndarray) -> tuple[np.ndarray, float]:
    """Gauss-Newton Laplace approximation of the posterior covariance of z at the MAP.

    H = J' (I - P) J / sigma^2 + sum_e g_e g_e' / se_e^2 + diag(1 / sd^2), with J = d(total media)/dz on
    the training weeks, (I - P) the baseline residual maker (gamma integrated out), g_e = d lift_e / dz and
    sigma^2 = Q / (n - p_baseline - C) (degrees of freedom for what the fit spent).
    """
    layout = problem.layout
    c = problem.n_channels
    ev = evaluate(problem, z, with_grad=False)
    dtotal, dlift = media_derivatives(problem, z, ev.media)
    j = dtotal.T * problem.sqrt_w[:, None]  # (n_train, P), weighted rows
    bt = problem.weighted_design()
    j_res = j - bt @ (problem.hat @ j)
    n = problem.train.sum()
    dof = max(n - bt.shape[1] - c, 1)
    sigma2 = ev.q / dof
    h = j.T @ j_res / sigma2 + np.diag(1.0 / layout.prior_sd ** 2)
    for k, lt in enumerate(problem.lifts):
        h += np.outer(dlift[:, k], dlift[:, k]) / lt.se ** 2
    h = 0.5 * (h + h.T)
    try:
        cov = np.linalg.inv(h)
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(h)
    cov = 0.5 * (cov + cov.T)
    w, v = np.linalg.eigh(cov)
    cov = (v * np.clip(w, 1e-12, None)) @ v.T
    return cov, float(np.sqrt(sigma2))


def huber_weights(residual: np.ndarray, c: float) -> np.ndarray:
    """IRLS weights of Huber's loss: 1 within c robust standard deviations, c / |r / s| beyond (s = 1.4826 MAD).

    Iterating fit -> weights -> refit minimises Huber's loss: a week far off the model (a corrupted day, a
    missed promotion) pulls on the estimates linearly instead of quadratically. With c = 3 a week of
    Gaussian noise is reweighted with probability 0.3%, so clean data give the Gaussian fit; on 8 demo
    seeds with one week cut by a seventh (a missing day), 0 of 192 channel ROIs left their clean-data 90%
    interval, against 2 of 192 for the Gaussian fit (measured for issue 12).
    """
    s = 1.4826 * float(np.median(np.abs(residual - np.median(residual))))
    z = np.abs(residual) / max(s, 1e-300)
    return np.minimum(1.0, c / np.maximum(z, 1e-300))
