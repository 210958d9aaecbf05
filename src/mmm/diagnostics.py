"""Fit diagnostics and identification warnings for a fitted marketing mix model.

Pure functions over numpy/pandas, no state. Three groups:

* goodness of fit: :func:`fit_metrics` (R², adjusted R², MAPE, NRMSE, RMSE);
* residual checks: :func:`durbin_watson`, :func:`ljung_box_pvalue`, :func:`residual_diagnostics`;
* design checks: :func:`vif`, :func:`condition_number`, :func:`spend_correlation_pairs`,
  :func:`decomp_rssd` (Robyn's DECOMP.RSSD), :func:`hac_regression` (OLS on the transformed design
  with Newey-West standard errors);
* :func:`identification_warnings`, which turns the above into rows a marketer can read
  (check_name, channel, value, threshold, status, message).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.stattools import durbin_watson as _sm_durbin_watson
from statsmodels.tools.sm_exceptions import SingularMatrixWarning

WARNING_COLUMNS = ("check_name", "channel", "value", "threshold", "status", "message")

# Defaults for identification_warnings; override any of them with the ``thresholds`` argument.
DEFAULT_THRESHOLDS: dict[str, float] = {
    "vif": 10.0,  # VIF above this: the channel is largely explained by the other channels
    "spend_correlation": 0.8,  # |corr| of two channels' weekly spend above this
    "spend_correlation_fail": 0.99,  # ... and above this the two are practically the same series
    "demand_correlation": 0.5,  # |corr| of a channel's spend with demand/seasonality above this
    "roi_relative_width": 1.5,  # (upper - lower) / estimate above this: interval very wide
    "roi_lower_fraction": 0.1,  # lower <= this * estimate: cannot rule out (almost) no effect
    "min_weeks": 78,  # fewer weeks of history than this
    "min_active_share": 0.25,  # channel spends in fewer than this share of weeks
    "min_spend_share": 0.03,  # channel's share of total media spend below this
    "min_mean_weekly_spend": 5000.0,  # mean weekly spend (reporting currency) below this
}


def _as_1d(x, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=float).reshape(-1)
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    return arr


# ---------------------------------------------------------------------------------------------------
# Goodness of fit
# ---------------------------------------------------------------------------------------------------


def fit_metrics(actual, fitted, n_params: int) -> dict[str, float]:
    """Goodness-of-fit metrics of ``fitted`` against ``actual`` (1-d, same length n).

    With e = y - ŷ:

    * ``r2`` = 1 - Σe² / Σ(y - ȳ)²  (NaN when y is constant);
    * ``adjusted_r2`` = 1 - (1 - R²)(n - 1) / (n - p - 1), where p = ``n_params`` counts the estimated
      parameters *excluding the intercept* (the usual regression convention: the intercept is the "1" in
      n - p - 1). Pass every other estimated parameter (media coefficients, adstock and saturation
      parameters, seasonality and control coefficients) in p. NaN when n - p - 1 <= 0;
    * ``mape`` = mean(|e| / |y|) as a fraction (0.05 = 5%), over weeks with y != 0 (NaN if none);
    * ``rmse`` = sqrt(mean(e²));
    * ``nrmse`` = rmse / (max(y) - min(y)), Robyn's normalisation (NaN when y is constant).

    Non-finite pairs (NaN in either series) are dropped before computing.
    """
    y = _as_1d(actual, "actual")
    yhat = _as_1d(fitted, "fitted")
    if y.shape != yhat.shape:
        raise ValueError(f"actual has {y.size} values but fitted has {yhat.size}")
    keep = np.isfinite(y) & np.isfinite(yhat)
    y, yhat = y[keep], yhat[keep]
    n = y.size
    if n == 0:
        raise ValueError("no finite (actual, fitted) pairs")
    e = y - yhat
    sse = float(np.sum(e**2))
    tss = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - sse / tss if tss > 0 else math.nan
    dof = n - int(n_params) - 1
    adjusted_r2 = 1.0 - (1.0 - r2) * (n - 1) / dof if dof > 0 and not math.isnan(r2) else math.nan
    nonzero = y != 0
    mape = float(np.mean(np.abs(e[nonzero]) / np.abs(y[nonzero]))) if nonzero.any() else math.nan
    rmse = math.sqrt(sse / n)
    y_range = float(y.max() - y.min())
    nrmse = rmse / y_range if y_range > 0 else math.nan
    return {"r2": r2, "adjusted_r2": adjusted_r2, "mape": mape, "nrmse": nrmse, "rmse": rmse, "n": n,
            "n_params": int(n_params)}


# ---------------------------------------------------------------------------------------------------
# Residual checks
# ---------------------------------------------------------------------------------------------------


def durbin_watson(residuals) -> float:
    """Durbin-Watson statistic d = Σ_{t>=2} (e_t - e_{t-1})² / Σ e_t².

    d ≈ 2(1 - ρ̂₁): about 2 for uncorrelated residuals, towards 0 under positive autocorrelation
    (common in weekly MMM residuals: a missing slow-moving driver), towards 4 under negative.
    NaN if all residuals are zero.
    """
    e = _as_1d(residuals, "residuals")
    e = e[np.isfinite(e)]
    if e.size < 2 or not np.any(e != 0):
        return math.nan
    return float(_sm_durbin_watson(e))


def default_ljung_box_lags(n: int) -> int:
    """Default Ljung-Box lag count: min(10, n // 5) (statsmodels' current default)."""
    return int(min(10, n // 5))


def ljung_box_pvalue(residuals, lags: int | None = None) -> float:
    """p-value of the Ljung-Box test that residual autocorrelations up to ``lags`` are all zero.

    Q = n(n + 2) Σ_{k=1..h} ρ̂_k² / (n - k) ~ χ²(h) under the null, h = ``lags``
    (default min(10, n // 5)). A small p-value (say < 0.05) means the residuals are autocorrelated:
    plain OLS standard errors are then too small, hence :func:`hac_regression`.
    NaN when there are too few residuals for one lag or the residuals are constant.
    """
    e = _as_1d(residuals, "residuals")
    e = e[np.isfinite(e)]
    h = default_ljung_box_lags(e.size) if lags is None else int(lags)
    if h < 1 or e.size <= h + 1 or np.ptp(e) == 0:
        return math.nan
    from statsmodels.stats.diagnostic import acorr_ljungbox  # lazy: heavy import

    table = acorr_ljungbox(e, lags=[h], return_df=True)
    return float(table["lb_pvalue"].iloc[-1])


def residual_diagnostics(residuals, lags: int | None = None) -> dict[str, float]:
    """Convenience bundle: ``durbin_watson``, ``ljung_box_pvalue`` and the ``ljung_box_lags`` used."""
    e = _as_1d(residuals, "residuals")
    n = int(np.isfinite(e).sum())
    h = default_ljung_box_lags(n) if lags is None else int(lags)
    return {"durbin_watson": durbin_watson(e), "ljung_box_pvalue": ljung_box_pvalue(e, h),
            "ljung_box_lags": h}


# ---------------------------------------------------------------------------------------------------
# Design checks
# ---------------------------------------------------------------------------------------------------


def _numeric_frame(design: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(design, pd.DataFrame):
        design = pd.DataFrame(design)
    return design.astype(float)


def vif(design: pd.DataFrame) -> pd.Series:
    """Variance inflation factor of every column of ``design`` (pass it *without* an intercept column).

    VIF_j = 1 / (1 - R²_j), where R²_j is the R² of regressing column j on all the other columns plus
    a constant (the constant is added here and not reported). Computed by least squares on centred
    columns, which is the same regression. VIF 1 = uncorrelated with the rest; above 10 = the data
    can hardly separate this column's effect from the others'.

    Degenerate cases return ``inf`` instead of raising: a zero-variance column (nothing to separate),
    and a column that the others reproduce exactly (perfect collinearity, 1 - R²_j below 1e-12).
    Rows with any NaN are dropped first.
    """
    x = _numeric_frame(design).dropna()
    cols = list(x.columns)
    out = pd.Series(np.nan, index=pd.Index(cols, name=design.columns.name), name="vif", dtype=float)
    if x.shape[0] == 0:
        return out
    centred = x.to_numpy() - x.to_numpy().mean(axis=0)
    scale = np.sqrt(np.sum(centred**2, axis=0))
    for j, col in enumerate(cols):
        if not scale[j] > 1e-12 * max(1.0, float(np.abs(x.iloc[:, j]).max())):
            out[col] = math.inf
            continue
        target = centred[:, j] / scale[j]
        others = np.delete(centred, j, axis=1)
        others_scale = np.delete(scale, j)
        others = others[:, others_scale > 0] / others_scale[others_scale > 0]
        if others.shape[1] == 0:
            out[col] = 1.0
            continue
        coef, *_ = np.linalg.lstsq(others, target, rcond=None)
        unexplained = float(np.sum((target - others @ coef) ** 2))  # = 1 - R²_j since Σ target² = 1
        out[col] = math.inf if unexplained < 1e-12 else 1.0 / unexplained
    return out


def condition_number(design: pd.DataFrame) -> float:
    """Condition number of the design after standardising every column (pass it without an intercept).

    κ = s_max / s_min, the ratio of the largest to the smallest singular value of Z, where
    Z_ij = (x_ij - mean_j) / sd_j; equivalently sqrt(λ_max / λ_min) of the correlation matrix. Scaling
    removes the effect of units (spend in dollars vs. a 0/1 holiday flag), so κ only measures
    near-collinearity: below ~10 fine, above ~30 strong collinearity. ``inf`` if a column has zero
    variance or the columns are linearly dependent. Rows with any NaN are dropped first.
    """
    x = _numeric_frame(design).dropna().to_numpy()
    if x.size == 0:
        return math.nan
    centred = x - x.mean(axis=0)
    sd = np.sqrt(np.mean(centred**2, axis=0))
    if np.any(sd <= 1e-12 * np.maximum(1.0, np.abs(x).max(axis=0))):
        return math.inf
    s = np.linalg.svd(centred / sd, compute_uv=False)
    if s.size == 0:
        return math.nan
    if s[-1] <= s[0] * 1e-12 or x.shape[0] < x.shape[1]:
        return math.inf
    return float(s[0] / s[-1])


def decomp_rssd(effect_share, spend_share, normalize: bool = True) -> float:
    """Robyn's DECOMP.RSSD: sqrt(Σ_c (effect_share_c - spend_share_c)²) over the paid channels c.

    Distance between how the model splits the media effect and how the money was split; Robyn uses it
    as a plausibility objective (large values = the model credits channels very differently from the
    spend). Inputs are 1-d, aligned by channel (pandas Series are aligned on their index). With
    ``normalize`` (default) each input is divided by its own sum, so raw contributions and raw spend
    can be passed as well as shares; Robyn computes both shares over paid media only, so pass only the
    paid channels.
    """
    if isinstance(effect_share, pd.Series) and isinstance(spend_share, pd.Series):
        effect_share, spend_share = effect_share.align(spend_share, join="outer", fill_value=0.0)
    effect = _as_1d(effect_share, "effect_share")
    spend = _as_1d(spend_share, "spend_share")
    if effect.shape != spend.shape:
        raise ValueError(f"effect_share has {effect.size} channels but spend_share has {spend.size}")
    if normalize:
        if effect.sum() == 0 or spend.sum() == 0:
            return math.nan
        effect = effect / effect.sum()
        spend = spend / spend.sum()
    return float(np.sqrt(np.sum((effect - spend) ** 2)))


def newey_west_default_lags(n: int) -> int:
    """Newey-West rule of thumb for the HAC bandwidth: floor(4 (n / 100)^(2/9))."""
    return int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))


def _aliased_columns(x: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Boolean mask of columns involved in an exact linear dependency (non-identifiable coefficients).

    A coefficient is identifiable iff its unit vector is orthogonal to the null space of X; columns are
    scaled to unit norm first so units do not matter. Zero columns are aliased.
    """
    norms = np.sqrt(np.sum(x**2, axis=0))
    aliased = norms == 0
    scaled = x[:, ~aliased] / norms[~aliased]
    if scaled.shape[1] == 0:
        return aliased
    _, s, vt = np.linalg.svd(scaled, full_matrices=True)
    rank = int(np.sum(s > tol * s[0])) if s.size else 0
    null = vt[rank:]
    sub = np.any(np.abs(null) > 1e-8, axis=0) if null.size else np.zeros(scaled.shape[1], dtype=bool)
    out = aliased.copy()
    out[np.flatnonzero(~aliased)] = sub
    return out


def hac_regression(y, design: pd.DataFrame, maxlags: int | None = None, level: float = 0.9,
                   add_constant: bool = True) -> pd.DataFrame:
    """OLS of ``y`` on ``design`` with Newey-West (HAC) standard errors, as a tidy table.

    β̂ = X⁺y (Moore-Penrose pseudo-inverse, so a singular design does not raise), and
    Var(β̂) = (X'X)⁻¹ S (X'X)⁻¹ · n / (n - k) with S = Σ_{l=-L..L} w_l Σ_t x_t e_t e_{t-l} x_{t-l}',
    Bartlett weights w_l = 1 - |l| / (L + 1), L = ``maxlags`` (default floor(4 (n/100)^(2/9))).
    Weekly MMM residuals are usually positively autocorrelated, which makes plain OLS standard errors
    too small; HAC corrects that. Tests and intervals use Student's t with n - rank(X) degrees of freedom
    (statsmodels ``use_t=True``) and the small-sample factor n / (n - k) (``use_correction=True``).

    The design is used as given (e.g. the transformed media columns, trend, seasonality, controls);
    with ``add_constant`` a ``const`` column is prepended unless a constant column is already present.
    Rows where y or any column is NaN are dropped. Note the engine's own fit constrains media effects to
    be non-negative and uses priors; this unconstrained regression is a diagnostic report next to it.

    Returns one row per term with columns term, estimate, std_error, t_value, p_value, lower, upper
    (the ``level`` two-sided interval, default 90%), is_aliased. Terms involved in an exact linear
    dependency (perfectly collinear columns, constant columns next to the intercept) are not
    identifiable: their estimate is the minimum-norm pseudo-inverse value and their std_error,
    t_value, p_value, lower and upper are NaN.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    x = _numeric_frame(design)
    if add_constant:
        from statsmodels.tools.tools import add_constant  # lazy: statsmodels adds ~1.5 s to import

        x = add_constant(x, has_constant="skip", prepend=True)
    yy = pd.Series(_as_1d(y, "y"), index=x.index)
    keep = yy.notna().to_numpy() & x.notna().all(axis=1).to_numpy()
    yy, x = yy[keep], x[keep]
    n, k = x.shape
    if n == 0:
        raise ValueError("no complete rows in y and design")
    lags = newey_west_default_lags(n) if maxlags is None else int(maxlags)
    aliased = _aliased_columns(x.to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SingularMatrixWarning)
        warnings.simplefilter("ignore", RuntimeWarning)  # 0-dof t statistics on degenerate inputs
        from statsmodels.regression.linear_model import OLS

        res = OLS(yy, x).fit(method="pinv", cov_type="HAC",
                                cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True)
        se = np.asarray(res.bse, dtype=float)
    est = np.asarray(res.params, dtype=float)
    df = float(res.df_resid)
    se = np.where(aliased, np.nan, se)
    if df > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            t_value = est / se
        p_value = 2.0 * stats.t.sf(np.abs(t_value), df)
        q = stats.t.ppf(0.5 + level / 2.0, df)
    else:
        t_value = p_value = np.full(k, np.nan)
        q = np.nan
    return pd.DataFrame({
        "term": list(x.columns), "estimate": est, "std_error": se, "t_value": t_value, "p_value": p_value,
        "lower": est - q * se, "upper": est + q * se, "is_aliased": aliased,
    })


def spend_correlation_pairs(spend: pd.DataFrame, threshold: float = 0.8) -> pd.DataFrame:
    """Pairs of channels whose weekly spend has Pearson |corr| > ``threshold``.

    ``spend`` has one column per channel, one row per week. Returns columns channel_a, channel_b,
    correlation (signed), sorted by |correlation| descending, channel_a before channel_b in column
    order. Channels with constant spend have no defined correlation and never appear.
    """
    x = _numeric_frame(spend)
    cols = list(x.columns)
    corr = x.corr().to_numpy()
    rows = []
    for i in range(len(cols)):
        for j in range(i + 1, len(cols)):
            r = corr[i, j]
            if np.isfinite(r) and abs(r) > threshold:
                rows.append((cols[i], cols[j], float(r)))
    out = pd.DataFrame(rows, columns=["channel_a", "channel_b", "correlation"])
    order = np.argsort(-out["correlation"].abs().to_numpy(), kind="stable")
    return out.iloc[order].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------
# Identification warnings
# ---------------------------------------------------------------------------------------------------


def _row(check: str, channel: str, value: float, threshold: float, status: str, message: str) -> dict:
    return {"check_name": check, "channel": channel, "value": float(value), "threshold": float(threshold),
            "status": status, "message": message}


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "unbounded" if x > 0 else str(x)
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.2f}"


def identification_warnings(
    spend: pd.DataFrame,
    vifs: pd.Series | Mapping[str, float] | None = None,
    demand=None,
    roi: pd.DataFrame | None = None,
    baseline=None,
    n_weeks: int | None = None,
    thresholds: Mapping[str, float] | None = None,
    interval_level: float = 0.9,
) -> pd.DataFrame:
    """Plain-language checks of what the data can and cannot identify, one row per finding.

    Inputs (all but ``spend`` optional; a check whose input is missing is skipped and emits no row):

    * ``spend``: weekly spend, one column per channel (rows = weeks of the fitted market);
    * ``vifs``: VIF per channel (from :func:`vif` on the transformed media design);
    * ``demand``: a demand/seasonality series of the same length (e.g. the fitted baseline or its
      seasonality component) to detect spend that follows demand (possible reverse causation);
    * ``roi``: DataFrame indexed by channel with columns estimate, lower, upper (the ROI interval at
      ``interval_level``);
    * ``baseline``: the fitted baseline (revenue without media) per week;
    * ``n_weeks``: weeks of history (default: rows of ``spend``);
    * ``thresholds``: overrides of :data:`DEFAULT_THRESHOLDS`.

    Checks and their status (``value`` / ``threshold`` columns hold the compared numbers):

    ============================ ======================================================================
    check_name                   fires when
    ============================ ======================================================================
    history_length               n_weeks < min_weeks (78): warn
    channel_spend_missing        a channel's spend has NaN weeks: fail, value = share of NaN weeks
                                 (NaN weeks count as zero spend in the checks below)
    channel_spend_constant       a channel's spend never varies (all zero or constant): fail, per
                                 channel (its effect cannot be estimated; the engine drops it)
    channel_rarely_active        share of weeks with spend > 0 below min_active_share (0.25): warn
    channel_small_spend          share of total media spend < min_spend_share (3%) or mean weekly spend
                                 < min_mean_weekly_spend (5,000, reporting currency): warn,
                                 value = spend share
    vif                          VIF > 10: warn; infinite VIF (perfectly collinear): fail
    spend_correlation            |corr| of two channels' spend > 0.8: warn, > 0.99: fail; one row per
                                 pair, channel = "a & b"
    spend_tracks_demand          |corr(spend, demand)| > 0.5: warn
    roi_interval_wide            (upper - lower) / estimate > 1.5, or lower <= 0.1 * estimate (the
                                 interval cannot rule out a near-zero return), or estimate <= 0: warn,
                                 value = relative width (inf when estimate <= 0)
    baseline_negative            baseline < 0 in any week: warn, value = number of negative weeks
    ============================ ======================================================================

    Complete checklist: every check that was evaluated and did not fire for any channel yields one row
    with channel '' and status 'ok', so a dashboard can list every check with a green tick. A check that
    fires yields only its warn/fail rows (channel-level checks one row per affected channel; the
    market-level checks history_length and baseline_negative have channel '').

    Returns a DataFrame with columns check_name, channel, value, threshold, status, message; rows in the
    order of the table above.
    """
    th = dict(DEFAULT_THRESHOLDS)
    if thresholds:
        unknown = set(thresholds) - set(th)
        if unknown:
            raise ValueError(f"unknown thresholds {sorted(unknown)}; known: {sorted(th)}")
        th.update({k: float(v) for k, v in thresholds.items()})
    x = _numeric_frame(spend)
    channels = [str(c) for c in x.columns]
    x.columns = channels
    rows: list[dict] = []

    def ok(check: str, threshold: float, message: str, value: float = math.nan) -> None:
        rows.append(_row(check, "", value, threshold, "ok", message))

    # history length
    weeks = int(x.shape[0] if n_weeks is None else n_weeks)
    if weeks < th["min_weeks"]:
        rows.append(_row("history_length", "", weeks, th["min_weeks"], "warn",
                         f"The model has only {weeks} weeks of data (at least {th['min_weeks']:.0f} "
                         "recommended, i.e. a year and a half); seasonality and media effects are hard to "
                         "tell apart, so expect wide ranges."))
    else:
        ok("history_length", th["min_weeks"], f"{weeks} weeks of data is enough history.", weeks)

    # spend missing / constant
    missing_share = x.isna().mean()
    found = False
    for c in channels:
        if missing_share[c] > 0:
            found = True
            rows.append(_row("channel_spend_missing", c, missing_share[c], 0.0, "fail",
                             f"{c} has missing spend in {missing_share[c]:.0%} of weeks; fix the source data "
                             "before trusting its results."))
    if not found:
        ok("channel_spend_missing", 0.0, "Every channel has spend recorded for every week.", 0.0)

    filled = x.fillna(0.0)
    spread = filled.max() - filled.min()
    constant = [c for c in channels if not spread[c] > 0]
    for c in constant:
        level_txt = "zero" if filled[c].abs().max() == 0 else f"{_fmt(float(filled[c].iloc[0]))} every week"
        rows.append(_row("channel_spend_constant", c, float(spread[c]), 0.0, "fail",
                         f"{c} spend is {level_txt}, so the data contain nothing to measure its effect by; "
                         "it is left out of the model."))
    if not constant:
        ok("channel_spend_constant", 0.0, "Every channel's spend varies over time.")

    # rarely active
    active_share = (filled > 0).mean()
    found = False
    for c in channels:
        if c not in constant and active_share[c] < th["min_active_share"]:
            found = True
            rows.append(_row("channel_rarely_active", c, active_share[c], th["min_active_share"], "warn",
                             f"{c} spends in only {active_share[c]:.0%} of weeks; with so few active weeks "
                             "its effect is hard to measure, so its results are uncertain."))
    if not found:
        ok("channel_rarely_active", th["min_active_share"], "Every channel is active in enough weeks.")

    # small spend
    total = float(filled.to_numpy().sum())
    found = False
    for c in channels:
        if c in constant:
            continue
        share = float(filled[c].sum()) / total if total > 0 else math.nan
        mean_weekly = float(filled[c].mean())
        if share < th["min_spend_share"] or mean_weekly < th["min_mean_weekly_spend"]:
            found = True
            rows.append(_row("channel_small_spend", c, share, th["min_spend_share"], "warn",
                             f"{c} is a small channel ({share:.1%} of media spend, about "
                             f"{_fmt(mean_weekly)} a week); its effect is small next to the normal "
                             "week-to-week swings in sales, so the model cannot pin it down and its ROI "
                             "range is wide."))
    if not found:
        ok("channel_small_spend", th["min_spend_share"], "Every channel spends enough to be measured.")

    # VIF
    if vifs is not None:
        v = pd.Series(vifs, dtype=float)
        v.index = v.index.map(str)
        found = False
        for c, val in v.items():
            if np.isinf(val):
                found = True
                rows.append(_row("vif", c, val, th["vif"], "fail",
                                 f"{c} is an exact combination of other channels in the data; the model "
                                 "cannot give it a separate effect at all."))
            elif val > th["vif"]:
                found = True
                rows.append(_row("vif", c, val, th["vif"], "warn",
                                 f"{c} is largely predictable from the other channels (VIF {val:.1f}); the "
                                 "model cannot tell its effect apart from theirs, so its share is "
                                 "uncertain."))
        if not found:
            ok("vif", th["vif"], "No channel's spend pattern is explained by the other channels.",
               float(v.max()) if len(v) else math.nan)

    # pairwise spend correlation
    pairs = spend_correlation_pairs(filled[[c for c in channels if c not in constant]],
                                    th["spend_correlation"])
    for a, b, r in pairs.itertuples(index=False):
        status = "fail" if abs(r) > th["spend_correlation_fail"] else "warn"
        direction = "move together" if r > 0 else "move in opposite directions"
        rows.append(_row("spend_correlation", f"{a} & {b}", r, th["spend_correlation"], status,
                         f"{a} and {b} {direction} (correlation {r:.2f}); the model cannot tell their "
                         "effects apart, so their split is uncertain."))
    if pairs.empty:
        ok("spend_correlation", th["spend_correlation"], "No two channels' spend moves in lockstep.")

    # spend tracking demand
    if demand is not None:
        d = pd.Series(_as_1d(demand, "demand"))
        if d.size != x.shape[0]:
            raise ValueError(f"demand has {d.size} weeks but spend has {x.shape[0]}")
        found = False
        for c in channels:
            if c in constant or not np.ptp(d.dropna().to_numpy()) > 0:
                continue
            r = float(pd.Series(filled[c].to_numpy()).corr(d))
            if np.isfinite(r) and abs(r) > th["demand_correlation"]:
                found = True
                rows.append(_row("spend_tracks_demand", c, r, th["demand_correlation"], "warn",
                                 f"{c} spend rises and falls with seasonal demand (correlation {r:.2f}); "
                                 "part of the sales credited to it may be sales that would have happened "
                                 "anyway, so its ROI may be overstated."))
        if not found:
            ok("spend_tracks_demand", th["demand_correlation"],
               "No channel's spend simply follows seasonal demand.")

    # ROI interval width
    if roi is not None:
        missing = {"estimate", "lower", "upper"} - set(roi.columns)
        if missing:
            raise ValueError(f"roi is missing columns {sorted(missing)}")
        found = False
        for c, rec in roi.iterrows():
            est, lo, hi = float(rec["estimate"]), float(rec["lower"]), float(rec["upper"])
            width = (hi - lo) / est if est > 0 else math.inf
            if width > th["roi_relative_width"] or lo <= th["roi_lower_fraction"] * est:
                found = True
                rows.append(_row("roi_interval_wide", str(c), width, th["roi_relative_width"], "warn",
                                 f"{c}'s return is poorly determined: the {interval_level:.0%} range for its "
                                 f"ROI runs from {_fmt(lo)} to {_fmt(hi)} around {_fmt(est)}; treat it as a "
                                 "rough guide and consider a lift test."))
        if not found:
            ok("roi_interval_wide", th["roi_relative_width"],
               "Every channel's ROI range is reasonably narrow.")

    # negative baseline
    if baseline is not None:
        b = _as_1d(baseline, "baseline")
        n_neg = int(np.sum(b < 0))
        if n_neg > 0:
            rows.append(_row("baseline_negative", "", n_neg, 0.0, "warn",
                             f"The baseline (sales without media) is negative in {n_neg} of {b.size} weeks, "
                             "which is impossible; the model is giving media more credit than there were "
                             "sales in those weeks, so media effects are likely overstated."))
        else:
            ok("baseline_negative", 0.0, "The baseline (sales without media) is positive every week.", 0)

    return pd.DataFrame(rows, columns=list(WARNING_COLUMNS))
