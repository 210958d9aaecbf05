"""A challenger that keeps the MMM honest: gradient-boosted trees on the MMM's own weekly design.

The MMM assumes each channel adds its own saturating effect, constant over time. The challenger assumes
nothing of the kind: it predicts weekly revenue from the same weekly design (each channel's carried-over
spend, i.e. its spend through the MMM's fitted adstock, plus trend, seasonality, holidays and controls)
with gradient-boosted trees, which find non-linear effects and interactions by themselves. If it
forecasts the cross-validation weeks clearly better than the MMM, the MMM is missing something the
design can explain (two channels working together, an effect that changed, a control that acts
non-linearly), and a warning row says so.

Model::

    revenue[t] ~ linear[t] + trees(X[t])
    linear     = ridge regression of revenue on X (intercept, trend, seasonality, ... and media)
    trees      = LightGBM boosting from the linear fit (init_score), shallow trees, shrinkage

The linear start lets the trees spend their splits on what a linear model misses and lets the forecast
follow a trend past the last training week (trees alone predict a flat continuation). Folds are the MMM's
rolling-origin folds (``mmm.validation.rolling_origin_cv``): each fold refits both the ridge and the trees
on the weeks before its origin.

What it reports per market (``challenger_tables``):

* out-of-sample error of both models on the same weeks (MAPE and RMSE per fold, and pooled);
* each feature's importance: permutation importance (increase of the in-sample RMSE when the feature's
  weekly values are shuffled, mean and sd over repeats) and mean |SHAP| (the linear part's exact Shapley
  values coef * (x - mean x) plus the trees' TreeSHAP from LightGBM's ``pred_contrib``);
* each channel's implied response: the partial dependence of the prediction on the channel's carried-over
  spend held at x over the last ``lookback`` weeks, minus the same at x = 0, next to the MMM's curve;
* two check rows (``mmm.checks`` schema): ``challenger_cv_mape_ratio`` = challenger / MMM pooled CV MAPE,
  ``warn`` when it is at most 0.95 and a paired test of the weekly errors is significant; and
  ``challenger_residual_structure`` = the p-value of a test of the MMM's residuals against the shapes a plain MMM
  cannot take (every channel pair's product, every channel's effect times time, baseline curvature; the MMM's design
  partialled out), calibrated by placebo: the same residuals shifted in time (``residual_structure_test``),
  ``warn`` at p <= 0.05. Both name what the residuals follow most closely.

Why two: the trees must learn a shape from ~100 weeks and prove it on 39 forecast weeks, and a moderate
interaction or drift costs the MMM little forecast accuracy (measured: the CV check fired in 0-2 of 10 seeds with a
true interaction or change). The residual test asks the sharper question on every week: does what the MMM left over
line up with one of the named shapes more than chance allows (measured: 7-10 of 10 with, 0 of 10 without;
docs/benchmarks.md).

These importances and curves are *predictive*, not causal: trees fitted to observational data credit
whatever moves with revenue (spend that follows demand, say). Budget numbers come from the MMM only.

Why LightGBM: exact TreeSHAP in C++ (``pred_contrib=True``) without the ``shap`` package (which pulls in
numba and llvmlite and takes seconds to import), boosting from an ``init_score``, deterministic
single-threaded training (``deterministic``, ``num_threads=1``), and its only dependencies (numpy, scipy)
were already pinned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mmm import checks as ck
from mmm.diagnostics import fit_metrics


@dataclass(frozen=True)
class ChallengerConfig:
    """Settings of the challenger (trees kept small: a market has 100-200 weeks)."""

    n_estimators: int = 200
    learning_rate: float = 0.05
    num_leaves: int = 4
    min_data_in_leaf: int = 15
    lambda_l2: float = 1.0
    ridge: float = 1e-2  # ridge penalty of the "ridge" start, relative to n (columns standardised)
    start: str = "mmm"  # linear start: "mmm" (the MMM's own fit) or "ridge" (a ridge refit of the design)
    permutation_repeats: int = 10
    max_ratio: float = 0.95  # "clearly better": pooled CV MAPE at most this share of the MMM's ...
    min_t: float = 1.645  # ... and the paired test of weekly errors significant (one-sided 5%)
    alpha: float = 0.05  # residual-structure test: warn when its placebo p-value is at most this
    min_shift_weeks: int = 8  # shortest circular shift of the residual used as a placebo
    seed: int = 0

    def lightgbm_params(self) -> dict:
        return {
            "objective": "regression",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            "lambda_l2": self.lambda_l2,
            "min_data_in_bin": 1,
            "max_bin": 63,
            "feature_pre_filter": False,
            "num_threads": 1,
            "deterministic": True,
            "force_row_wise": True,
            "seed": self.seed,
            "verbosity": -1,
        }


@dataclass
class Design:
    """The weekly design both models see: X (T, F) with named columns grouped into features."""

    x: np.ndarray
    columns: list[str]
    groups: dict[str, list[int]]  # feature (a channel, trend, seasonality, holidays, a control) -> columns
    channels: list[str]

    @property
    def channel_columns(self) -> list[int]:
        return [self.groups[c][0] for c in self.channels]


def design_of(problem, z: np.ndarray) -> tuple[Design, np.ndarray, float]:
    """The MMM's weekly design at parameters z, and the MMM as a linear function of it.

    Columns: each channel's carried-over, saturated spend f_c = sat_c(adstock_c(spend_c)) at z, then the
    baseline columns (trend, Fourier seasonality, holidays, controls; standardised as in the fit). The MMM's
    prediction is exactly linear in them: intercept + sum_c beta_c f_c + sum_j gamma_j B_j; returned as
    (design, coefficients, intercept).
    """
    media, beta = problem.media(z)
    c = problem.n_channels
    f = media[:, :c] / np.where(beta > 0, beta, 1.0)
    gamma = problem.gamma(media[:, :c].sum(axis=1))
    baseline = problem.baseline
    channels = [s.name for s in problem.layout.channels]
    cols, names, groups, coef = [], [], {}, []
    for ci, ch in enumerate(channels):
        groups[ch] = [len(cols)]
        cols.append(f[:, ci])
        names.append(ch)
        coef.append(float(beta[ci]))
    intercept = 0.0
    for group, idx in baseline.groups.items():
        for i in idx:
            if group == "intercept":
                intercept = float(gamma[i])
                continue
            groups.setdefault(group, []).append(len(cols))
            cols.append(baseline.design[:, i])
            names.append(baseline.columns[i])
            coef.append(float(gamma[i]))
    return Design(np.column_stack(cols), names, groups, channels), np.array(coef), intercept


@dataclass
class Challenger:
    """One fitted challenger: a linear start (the MMM's own fit, or a ridge refit) and boosted trees on top."""

    coef: np.ndarray
    intercept: float
    booster: object | None

    def linear(self, x: np.ndarray) -> np.ndarray:
        return self.intercept + x @ self.coef

    def predict(self, x: np.ndarray) -> np.ndarray:
        out = self.linear(x)
        if self.booster is not None:
            out = out + self.booster.predict(x)
        return out

    def shap(self, x: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-week Shapley values (T, F) and base value (T,): base + sum of a row = prediction.

        Linear part: coef_j (x_j - mean_j), exact for a linear model (interventional, baseline the mean of
        ``reference``). Trees: LightGBM TreeSHAP (``pred_contrib``; its last column is the trees' expected
        value).
        """
        mean = reference.mean(axis=0)
        values = (x - mean) * self.coef
        base = np.full(len(x), self.intercept + float(mean @ self.coef))
        if self.booster is not None:
            contrib = self.booster.predict(x, pred_contrib=True)
            values = values + contrib[:, :-1]
            base = base + contrib[:, -1]
        return values, base


def fit_challenger(
    x: np.ndarray,
    y: np.ndarray,
    config: ChallengerConfig = ChallengerConfig(),
    coef: np.ndarray | None = None,
    intercept: float | None = None,
) -> Challenger:
    """Boosted trees from a linear start: the given coefficients (the MMM's), else a ridge fit of x."""
    import lightgbm as lgb

    if coef is None:
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale = np.where(scale > 1e-12, scale, 1.0)
        xs = (x - mean) / scale
        n, p = xs.shape
        b = np.linalg.solve(xs.T @ xs + config.ridge * n * np.eye(p), xs.T @ (y - y.mean()))
        coef, intercept = b / scale, float(y.mean() - (mean / scale) @ b)
    model = Challenger(np.asarray(coef, float), float(intercept), None)
    if config.n_estimators > 0:
        data = lgb.Dataset(x, label=y, init_score=model.linear(x), params={"verbosity": -1})
        model.booster = lgb.train(config.lightgbm_params(), data, num_boost_round=config.n_estimators)
    return model


# ---------------------------------------------------------------------------------------- validation


@dataclass
class Folds:
    """Out-of-sample forecasts of both models on the same rolling-origin folds."""

    actual: list[np.ndarray]
    mmm: list[np.ndarray]
    challenger: list[np.ndarray]
    train_weeks: list[int]

    def table(self) -> pd.DataFrame:
        rows = []
        for k, (y, m, c, n) in enumerate(zip(self.actual, self.mmm, self.challenger, self.train_weeks), start=1):
            rows.append(
                dict(
                    fold=k,
                    train_weeks=n,
                    test_weeks=len(y),
                    mmm_mape=fit_metrics(y, m, 0)["mape"],
                    challenger_mape=fit_metrics(y, c, 0)["mape"],
                    mmm_rmse=fit_metrics(y, m, 0)["rmse"],
                    challenger_rmse=fit_metrics(y, c, 0)["rmse"],
                )
            )
        return pd.DataFrame(rows, columns=FOLD_COLUMNS)

    def pooled(self) -> dict[str, float]:
        if not self.actual:
            return {k: np.nan for k in ("mmm_mape", "challenger_mape", "mmm_rmse", "challenger_rmse")}
        y, m, c = (np.concatenate(a) for a in (self.actual, self.mmm, self.challenger))
        mm, cm = fit_metrics(y, m, 0), fit_metrics(y, c, 0)
        return {
            "mmm_mape": mm["mape"],
            "challenger_mape": cm["mape"],
            "mmm_rmse": mm["rmse"],
            "challenger_rmse": cm["rmse"],
        }

    def paired_t(self) -> float:
        """``paired_t`` over every forecast week of every fold (NaN without folds)."""
        if not self.actual:
            return float("nan")
        y, m, c = (np.concatenate(a) for a in (self.actual, self.mmm, self.challenger))
        return paired_t(y, m, c)


FOLD_COLUMNS = ["fold", "train_weeks", "test_weeks", "mmm_mape", "challenger_mape", "mmm_rmse", "challenger_rmse"]


@dataclass
class MmmFold:
    """One rolling-origin refit of the MMM: its problem (weeks up to the fold's end), MAP and forecast."""

    problem: object
    z: np.ndarray
    origin: int
    forecast: np.ndarray


def mmm_folds(fm) -> list[MmmFold]:
    """The MMM's rolling-origin refits, made exactly as ``mmm.validation.rolling_origin_cv`` makes them (same
    folds, settings and warm start; a test checks the forecasts are equal), keeping each refit's parameters
    so the challenger of a fold sees the design as that fold's MMM saw it (nothing from later weeks)."""
    from dataclasses import replace

    from mmm.fit import fit_map, prepare_problem
    from mmm.validation import _truncate

    config = fm.config
    fold_config = replace(config, n_starts=min(config.n_starts, 2), ftol=max(config.ftol, 1e-7))
    n, horizon, out = len(fm.data.weeks), int(config.cv_horizon), []
    for k in range(int(config.cv_folds), 0, -1):
        end = n - (k - 1) * horizon
        origin = end - horizon
        if origin < 52:  # rolling_origin_cv's min_train_weeks
            continue
        problem = prepare_problem(_truncate(fm.data, end), fm.specs, fold_config, holdout_weeks=horizon)
        z = fit_map(problem, fold_config, fm.result.z).z
        media, _ = problem.media(z)
        total = media[:, : problem.n_channels].sum(axis=1)
        fitted = problem.baseline.design @ problem.gamma(total) + total
        out.append(MmmFold(problem, z, origin, fitted[-horizon:]))
    return out


def cross_validate(folds: list[MmmFold], y: np.ndarray, config: ChallengerConfig) -> Folds:
    """Per MMM fold: the challenger fitted on the weeks before the origin (its design at the fold's MAP,
    started from the fold's MMM or a ridge fit), forecasting the fold's weeks."""
    actual, mmm, challenger = [], [], []
    for fold in folds:
        design, coef, intercept = design_of(fold.problem, fold.z)
        o = fold.origin
        start = (coef, intercept) if config.start == "mmm" else (None, None)
        model = fit_challenger(design.x[:o], y[:o], config, *start)
        challenger.append(model.predict(design.x[o:]))
        actual.append(y[o : o + len(fold.forecast)])
        mmm.append(fold.forecast)
    return Folds(actual, mmm, challenger, [f.origin for f in folds])


# ---------------------------------------------------------------------------------------- importance


def permutation_importance(model: Challenger, design: Design, y: np.ndarray, repeats: int, seed: int) -> pd.DataFrame:
    """Increase of RMSE when a feature's weekly values (all its columns together) are shuffled.

    importance_f = mean_r RMSE(y, f(X with feature f's rows permuted by permutation r)) - RMSE(y, f(X)),
    with the same ``repeats`` seeded permutations for every feature (Breiman 2001; scikit-learn's
    ``permutation_importance`` does the same per column). All permuted designs go through one predict call.
    """
    rng = np.random.default_rng(seed)
    perms = [rng.permutation(len(y)) for _ in range(repeats)]
    base = float(np.sqrt(np.mean((y - model.predict(design.x)) ** 2)))
    blocks = []
    for cols in design.groups.values():
        for p in perms:
            xp = design.x.copy()
            xp[:, cols] = design.x[p][:, cols]
            blocks.append(xp)
    pred = model.predict(np.vstack(blocks)).reshape(len(design.groups), repeats, len(y))
    scores = np.sqrt(np.mean((y - pred) ** 2, axis=2)) - base  # (features, repeats)
    return pd.DataFrame(
        {
            "feature": list(design.groups),
            "permutation_importance": scores.mean(axis=1),
            "permutation_importance_sd": scores.std(axis=1, ddof=1) if repeats > 1 else 0.0,
        }
    )


def shap_importance(model: Challenger, design: Design) -> pd.DataFrame:
    """Mean |SHAP| per feature over the weeks (a feature's columns summed per week first)."""
    values, _ = model.shap(design.x, design.x)
    return pd.DataFrame(
        {
            "feature": list(design.groups),
            "shap_mean_abs": [float(np.mean(np.abs(values[:, cols].sum(axis=1)))) for cols in design.groups.values()],
        }
    )


def implied_response(model: Challenger, design: Design, column: int, levels: np.ndarray, weeks: slice) -> np.ndarray:
    """Partial dependence on one design column set to each of ``levels``, relative to the first level.

    r_i = mean over ``weeks`` of f(X_t with the column set to levels[i]) - the same at levels[0]. For a
    channel, levels are its saturated carried-over spend at steady weekly spends x (0 first): a spend held at
    x every week has carried-over spend x (the adstock weights sum to 1), as in the MMM's curves.
    """
    x = design.x[weeks]
    blocks = []
    for level in np.asarray(levels, float):
        xv = x.copy()
        xv[:, column] = level
        blocks.append(xv)
    pred = model.predict(np.vstack(blocks)).reshape(len(levels), len(x)).mean(axis=1)
    return pred - pred[0]


# ---------------------------------------------------------------------------------------- diagnosis


@dataclass
class Suspect:
    kind: str  # 'interaction', 'changing_effect', 'baseline'
    subject: str  # 'tv & search', 'tv', or the baseline term
    r2: float  # share of the MMM's residual variance the probe explains


def residual_probes(features: pd.DataFrame, weeks: int) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The shapes a plain MMM cannot take, as columns (weeks, P) with their (kind, subject).

    * interaction a & b: the product of the two channels' saturated features h_a h_b (the synergy term of
      ``mmm.synergy``);
    * changing effect of c: h_c (t - mean t) / sd t, the channel's effect growing or shrinking over time (the first
      step of ``mmm.time_varying``'s drift);
    * baseline: a quadratic trend and higher-order seasonality (order 3-4), the shapes the MMM's linear trend and
      Fourier terms cannot take.
    """
    t = np.arange(weeks, dtype=float)
    t = (t - t.mean()) / max(t.std(), 1e-12)
    names = list(features.columns)
    h = features.to_numpy(dtype=float)
    labels: list[tuple[str, str]] = []
    cols: list[np.ndarray] = []
    for i, a in enumerate(names):
        for j in range(i + 1, len(names)):
            labels.append(("interaction", f"{a} & {names[j]}"))
            cols.append(h[:, i] * h[:, j])
    for i, c in enumerate(names):
        labels.append(("changing_effect", c))
        cols.append(h[:, i] * t)
    labels.append(("baseline", "trend curvature"))
    cols.append(t**2)
    day = 2 * np.pi * np.arange(weeks) * 7 / 365.25
    for k in (3, 4):
        labels += [("baseline", f"seasonality (order {k})")] * 2
        cols += [np.sin(k * day), np.cos(k * day)]
    return labels, np.column_stack(cols) if cols else np.zeros((weeks, 0))


def _orthonormal_probes(probes: np.ndarray, design: np.ndarray | None) -> np.ndarray:
    """Each probe with the intercept and the design's columns partialled out (Frisch-Waugh), scaled to unit norm;
    a probe the design already spans becomes a zero column."""
    n = len(probes)
    x = np.ones((n, 1)) if design is None else np.column_stack([np.ones(n), design])
    q, r = np.linalg.qr(x)
    q = q[:, np.abs(np.diag(r)) > 1e-10 * max(np.abs(np.diag(r)).max(), 1e-300)]
    z = probes - q @ (q.T @ probes)
    norm = np.linalg.norm(z, axis=0)
    raw = np.linalg.norm(probes - probes.mean(axis=0), axis=0)
    keep = norm > 1e-8 * np.maximum(raw, 1e-300)
    return np.where(keep, z / np.where(keep, norm, 1.0), 0.0)


def probe_r2(residual: np.ndarray, z: np.ndarray) -> np.ndarray:
    """R2 of each one-regressor fit of the centred residual(s) on unit-norm, centred probes z (weeks, P).

    r2_j = (z_j' r)^2 / r' r. ``residual`` (weeks,) gives (P,); (weeks, S) gives (S, P)."""
    r = residual - residual.mean(axis=0)
    ss = np.sum(r * r, axis=0)
    out = (z.T @ r) ** 2 / np.where(ss > 0, ss, np.inf)
    return out.T


def probe_residuals(residual: np.ndarray, features: pd.DataFrame, weeks: int,
                    design: np.ndarray | None = None) -> list[Suspect]:
    """What the MMM's residuals follow, best first: one-regressor probes (``residual_probes``), each with the
    MMM's design partialled out when ``design`` is given (only what the MMM could not take up itself counts).

    R2 of each one-regressor fit of the residual; one degree of freedom each, so they compare fairly.
    """
    labels, probes = residual_probes(features, weeks)
    if not labels:
        return []
    r2 = probe_r2(np.asarray(residual, float), _orthonormal_probes(probes, design))
    out = [Suspect(kind, subject, float(v)) for (kind, subject), v in zip(labels, r2)]
    return sorted(out, key=lambda s: -s.r2)


@dataclass
class ResidualTest:
    """The residual-structure test: the largest probe R2 and its p-value against circularly shifted residuals."""

    statistic: float  # max_j r2_j of the MMM's residual
    p_value: float  # share of placebo shifts (observed included) with a statistic at least as large; NaN if too short
    placebos: int  # number of placebo shifts
    suspects: list[Suspect] = field(default_factory=list)


def residual_structure_test(residual: np.ndarray, features: pd.DataFrame, design: np.ndarray | None = None,
                            min_shift: int = 8) -> ResidualTest:
    """Do the MMM's residuals follow a shape the MMM cannot take (an interaction, a changing effect, a baseline
    shape)? A score test over every probe of ``residual_probes`` with a placebo null from the market itself.

    Statistic S(r) = max_j r2_j(r), the best probe's R2 (design partialled out). Placebos: the residual shifted
    circularly by s weeks, r_s[t] = r[(t - s) mod T] for s = min_shift .. T - min_shift, which keeps the residual's
    own autocorrelation and the probes' shapes but breaks any link between them. p = (1 + #{s: S(r_s) >= S(r)}) /
    (1 + #shifts): under no misspecification the observed statistic is one more draw of the same distribution, so
    P(p <= alpha) <= alpha up to the resolution 1 / (1 + #shifts) (0.007 at 156 weeks). Shifts shorter than
    ``min_shift`` weeks are left out because neighbouring weeks' residuals are correlated (carry-over).
    Taking the maximum over all probes pays for the multiple comparisons inside the placebo distribution.
    """
    r = np.asarray(residual, float)
    n = len(r)
    labels, probes = residual_probes(features, n)
    if not labels:
        return ResidualTest(np.nan, np.nan, 0, [])
    z = _orthonormal_probes(probes, design)
    r2 = probe_r2(r, z)
    suspects = sorted((Suspect(k, s, float(v)) for (k, s), v in zip(labels, r2)), key=lambda s: -s.r2)
    statistic = float(r2.max())
    shifts = np.arange(min_shift, n - min_shift + 1)
    if len(shifts) < 19:  # fewer than 19 placebos cannot reach p <= 0.05
        return ResidualTest(statistic, np.nan, 0, suspects)
    index = (np.arange(n)[:, None] - shifts[None, :]) % n
    null = probe_r2(r[index], z).max(axis=1)
    p = (1.0 + float(np.sum(null >= statistic - 1e-12))) / (1.0 + len(shifts))
    return ResidualTest(statistic, p, len(shifts), suspects)


SUSPECT_TEXT = {
    "interaction": "{subject} working together (an interaction: declare the pair in seeds/channel_interactions.csv)",
    "changing_effect": "{subject}'s effect changing over time (let it drift: seeds/channel_time_varying.csv)",
    "baseline": "a missing control or a baseline shape the MMM's trend and seasonality terms miss ({subject})",
}


def paired_t(actual: np.ndarray, mmm: np.ndarray, challenger: np.ndarray, lags: int = 2) -> float:
    """Diebold-Mariano statistic of the weekly absolute percentage errors (positive: the challenger is better).

    d[t] = (|y - mmm| - |y - challenger|) / |y| over the forecast weeks; t = mean(d) / sqrt(V / n) with V the
    Bartlett-weighted (Newey-West) long-run variance of d up to ``lags`` weeks, since forecast errors of
    neighbouring weeks are correlated. NaN when fewer than 3 weeks.
    """
    y = np.asarray(actual, float)
    keep = np.abs(y) > 0
    d = (np.abs(y - mmm) - np.abs(y - challenger))[keep] / np.abs(y[keep])
    n = len(d)
    if n < 3:
        return float("nan")
    e = d - d.mean()
    v = float(e @ e) / n
    for k in range(1, min(lags, n - 1) + 1):
        v += 2.0 * (1.0 - k / (lags + 1)) * float(e[k:] @ e[:-k]) / n
    return float(d.mean() / np.sqrt(v / n)) if v > 0 else float("nan")


def challenger_check(
    pooled: dict[str, float], t_stat: float, suspects: list[Suspect], config: ChallengerConfig
) -> ck.Check:
    """``challenger_cv_mape_ratio``: warn when the challenger forecasts clearly better than the MMM.

    Clearly better: its pooled CV MAPE is at most ``max_ratio`` times the MMM's and the paired test of the
    weekly errors (``paired_t``) is significant at one-sided 5% (t >= ``min_t``).
    """
    ratio = pooled["challenger_mape"] / pooled["mmm_mape"] if pooled["mmm_mape"] > 0 else np.nan
    fires = bool(np.isfinite(ratio) and ratio <= config.max_ratio and np.isfinite(t_stat) and t_stat >= config.min_t)
    head = (
        f"The challenger (gradient-boosted trees on the same weekly design) forecasts the cross-validation weeks "
        f"with MAPE {pooled['challenger_mape']:.1%} against the MMM's {pooled['mmm_mape']:.1%} (paired t = {t_stat:.1f})"
    )
    if fires:
        top = suspects[0] if suspects else None
        missing = SUSPECT_TEXT[top.kind].format(subject=top.subject) if top else "something the design can explain"
        message = (
            f"{head}: the MMM is probably missing something. Its residuals follow {missing} most closely. "
            "Budget numbers still come from the MMM."
        )
        return ck.Check("challenger_cv_mape_ratio", "", "validation", ratio, config.max_ratio, "warn", message)
    return ck.Check(
        "challenger_cv_mape_ratio",
        "",
        "validation",
        ratio,
        config.max_ratio,
        "ok",
        f"{head}: not clearly better, so no sign the MMM misses an interaction or a change the design can explain.",
    )


def residual_check(test: ResidualTest, config: ChallengerConfig) -> ck.Check:
    """``challenger_residual_structure``: warn when the MMM's in-sample residuals follow one of the probes
    (``residual_structure_test``) more closely than in all but ``alpha`` of the placebo shifts.

    value = the placebo p-value, threshold = ``alpha``. The cross-validation comparison
    (``challenger_cv_mape_ratio``) sees only the forecast weeks; this test uses every week, so it is the more
    sensitive of the two (scripts/benchmark_challenger.py measures both)."""
    name = "challenger_residual_structure"
    if not np.isfinite(test.p_value):
        return ck.Check(name, "", "validation", np.nan, config.alpha, "ok",
                        "too few weeks for the residual-structure test")
    top = test.suspects[0] if test.suspects else None
    follows = f"{SUSPECT_TEXT[top.kind].format(subject=top.subject)}, R2 {top.r2:.0%}" if top else ""
    if test.p_value <= config.alpha:
        message = (
            f"The MMM's residuals follow {follows} more closely than in {1 - test.p_value:.0%} of "
            f"{test.placebos} placebo shifts of the same residuals (p = {test.p_value:.3f}): the MMM is probably "
            "missing it. Budget numbers still come from the MMM."
        )
        return ck.Check(name, "", "validation", test.p_value, config.alpha, "warn", message)
    return ck.Check(
        name, "", "validation", test.p_value, config.alpha, "ok",
        f"The MMM's residuals follow no interaction, changing effect or baseline shape more than chance would "
        f"(closest: {follows}; placebo p = {test.p_value:.2f}).",
    )


# ---------------------------------------------------------------------------------------- per market


@dataclass
class ChallengerReport:
    """Everything the challenger says about one market."""

    pooled: dict[str, float]
    t_stat: float
    folds: pd.DataFrame
    importance: pd.DataFrame  # feature, is_channel, permutation_importance(_sd), shap_mean_abs, shap_share
    response: pd.DataFrame  # channel, weekly_spend, challenger_weekly_revenue
    check: ck.Check  # challenger_cv_mape_ratio
    suspects: list[Suspect] = field(default_factory=list)
    residual: ResidualTest | None = None
    residual_check: ck.Check | None = None  # challenger_residual_structure

    @property
    def checks(self) -> list[ck.Check]:
        return [self.check] + ([self.residual_check] if self.residual_check is not None else [])

    @property
    def warns(self) -> bool:
        """Does any of the challenger's checks warn?"""
        return any(c.status == "warn" for c in self.checks)


def analyse_market(
    fm, spend_grids: dict[str, np.ndarray], lookback_weeks: int, config: ChallengerConfig | None = None
) -> ChallengerReport:
    """Fit, validate and explain the challenger for one fitted market (``mmm.analysis.FittedModel``).

    ``spend_grids``: per channel the weekly spends at which to give the implied response (the MMM curve's).
    """
    from mmm.transforms import apply_saturation

    config = config or ChallengerConfig(seed=int(fm.config.seed))
    y = np.asarray(fm.problem.y, dtype=float)
    folds = cross_validate(mmm_folds(fm) if fm.config.cv_folds > 0 else [], y, config)
    fold_table, pooled = folds.table(), folds.pooled()
    design, coef, intercept = design_of(fm.problem, fm.result.z)
    start = (coef, intercept) if config.start == "mmm" else (None, None)
    model = fit_challenger(design.x, y, config, *start)
    importance = permutation_importance(model, design, y, config.permutation_repeats, config.seed).merge(
        shap_importance(model, design), on="feature"
    )
    importance["is_channel"] = importance["feature"].isin(design.channels)
    media = float(importance.loc[importance["is_channel"], "shap_mean_abs"].sum())
    importance["shap_share_of_media"] = np.where(
        importance["is_channel"] & (media > 0), importance["shap_mean_abs"] / (media if media > 0 else 1.0), np.nan
    )
    weeks = slice(max(len(y) - lookback_weeks, 0), len(y))
    saturation = fm.problem.media_model.saturation_parameters(fm.result.z)
    frames = []
    for ci, ch in enumerate(design.channels):
        grid = np.asarray(spend_grids.get(ch, np.array([])), dtype=float)
        if grid.size:
            levels = apply_saturation(np.concatenate([[0.0], grid]), fm.specs[ci].saturation_kind, saturation[ci])
            curve = implied_response(model, design, design.groups[ch][0], levels, weeks)[1:]
            frames.append(pd.DataFrame({"channel": ch, "weekly_spend": grid, "challenger_weekly_revenue": curve}))
    response = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["channel", "weekly_spend", "challenger_weekly_revenue"])
    )
    residual = y - (intercept + design.x @ coef)  # the MMM's own residual (whatever the challenger's start)
    channel_features = pd.DataFrame(design.x[:, design.channel_columns], columns=design.channels)
    test = residual_structure_test(residual, channel_features, design.x, config.min_shift_weeks)
    suspects = test.suspects
    t_stat = folds.paired_t()
    if len(fold_table):
        check = challenger_check(pooled, t_stat, suspects, config)
    else:
        check = ck.Check(
            "challenger_cv_mape_ratio",
            "",
            "validation",
            np.nan,
            config.max_ratio,
            "ok",
            "cross-validation is off (cv_folds = 0): the challenger was not compared with the MMM",
        )
    return ChallengerReport(pooled, t_stat, fold_table, importance, response, check, suspects, test,
                            residual_check(test, config))


# ---------------------------------------------------------------------------------------- the dbt table

RECORD_COLUMNS = {
    "validation": [
        "fold",
        "train_weeks",
        "test_start_date",
        "test_weeks",
        "mmm_mape",
        "challenger_mape",
        "mmm_rmse",
        "challenger_rmse",
        "mape_ratio",
        "paired_t",
        "is_challenger_clearly_better",
    ],
    "importance": [
        "feature",
        "feature_type",
        "permutation_importance",
        "permutation_importance_sd",
        "shap_mean_abs",
        "shap_share_of_media",
        "mmm_contribution_share",
    ],
    "response": [
        "channel",
        "weekly_spend",
        "challenger_weekly_revenue",
        "mmm_expected_weekly_revenue",
        "mmm_lower",
        "mmm_upper",
        "is_current_spend",
    ],
    "check": ["check_name", "channel", "category", "value", "threshold", "status", "message"],
}
TABLE_COLUMNS = ["record_type", "market", *dict.fromkeys(c for cols in RECORD_COLUMNS.values() for c in cols)]


def market_records(
    fm, curves: pd.DataFrame, lookback_weeks: int, config: ChallengerConfig | None = None
) -> pd.DataFrame:
    """The challenger's records for one market: validation (one row per fold and a pooled row, fold 0),
    importance (one row per feature), response (the MMM curve's grid, ``curves`` = its mmm_response_curves rows),
    and the check row. Columns TABLE_COLUMNS (without market)."""
    grids = {ch: g["weekly_spend"].to_numpy(dtype=float) for ch, g in curves.groupby("channel", sort=False)}
    report = analyse_market(fm, grids, lookback_weeks, config)
    frames = []
    folds = report.folds.copy()
    if len(folds):
        folds["test_start_date"] = [fm.data.weeks[int(n)] for n in folds["train_weeks"]]
        folds["mape_ratio"] = folds["challenger_mape"] / folds["mmm_mape"]
        folds["paired_t"] = np.nan
        folds["is_challenger_clearly_better"] = np.nan
        pooled = dict(
            fold=0,
            train_weeks=np.nan,
            test_start_date=folds["test_start_date"].iloc[0],
            test_weeks=int(folds["test_weeks"].sum()),
            **report.pooled,
            mape_ratio=report.check.value,
            paired_t=report.t_stat,
            is_challenger_clearly_better=report.check.status == "warn",
        )
        frames.append(pd.concat([folds, pd.DataFrame([pooled])], ignore_index=True).assign(record_type="validation"))
    imp = report.importance.copy()
    imp["feature_type"] = np.where(imp["is_channel"], "channel", "baseline")
    share = fm.media.sum(axis=0)
    share = dict(zip(fm.channels, share / share.sum() if share.sum() > 0 else share))
    imp["mmm_contribution_share"] = imp["feature"].map(share)
    frames.append(imp.assign(record_type="importance"))
    if len(report.response):
        mmm = curves.rename(
            columns={
                "expected_weekly_revenue": "mmm_expected_weekly_revenue",
                "lower": "mmm_lower",
                "upper": "mmm_upper",
            }
        )
        frames.append(
            mmm.merge(report.response, on=["channel", "weekly_spend"], how="left").assign(record_type="response")
        )
    frames.append(
        pd.DataFrame(
            [
                dict(
                    record_type="check",
                    check_name=check.check_name,
                    channel=check.channel,
                    category=check.category,
                    value=check.value,
                    threshold=check.threshold,
                    status=check.status,
                    message=check.message,
                )
                for check in report.checks
            ]
        )
    )
    out = pd.concat(frames, ignore_index=True)
    return out.reindex(columns=[c for c in TABLE_COLUMNS if c != "market"])


def challenger_table(
    fits, response_curves: pd.DataFrame, lookback_weeks: int, config: ChallengerConfig | None = None
) -> pd.DataFrame:
    """``mmm_challenger``: every fitted market's records (``market_records``), columns TABLE_COLUMNS."""
    from mmm.threads import single_thread_blas

    frames = []
    with single_thread_blas():
        for market, fm in fits.items():
            curves = response_curves[response_curves["market"] == market].drop(columns="market")
            frames.append(_market_frame(fm, (curves, lookback_weeks, config)))
    return _table(frames)


def _market_frame(fm, extra) -> pd.DataFrame:
    curves, lookback_weeks, config = extra
    frame = market_records(fm, curves, lookback_weeks, config)
    frame.insert(1, "market", fm.market)
    return frame


def challenger_table_from_fits(fit_table: pd.DataFrame, model_input: pd.DataFrame, channel_settings: pd.DataFrame,
                               lift_tests: pd.DataFrame | None, response_curves: pd.DataFrame, settings,
                               workers: int | None = None) -> pd.DataFrame:
    """``challenger_table`` for the stored fits, each market restored once, in worker processes (both cores)."""
    from mmm.tables import map_fitted_markets

    extra = {m: (g.drop(columns="market"), settings.allocation_lookback_weeks, None)
             for m, g in response_curves.groupby("market", sort=False)}
    frames = map_fitted_markets(fit_table, model_input, channel_settings, lift_tests, settings, _market_frame, extra,
                                "mmm_challenger", workers)
    return _table(frames)


def _table(frames: list[pd.DataFrame]) -> pd.DataFrame:
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TABLE_COLUMNS)
    for col in ("fold", "train_weeks", "test_weeks"):
        out[col] = out[col].astype("Int64")
    for col in ("is_challenger_clearly_better", "is_current_spend"):
        out[col] = out[col].astype("boolean")
    return out[TABLE_COLUMNS]
