"""Which experiment to run next, how large it must be, and whether it can settle the question.

**Ranking.** A channel is worth testing when its ROI is uncertain *and* money rides on it::

    value_of_testing = sd(ROI over the posterior draws) * annual spend      (annual spend = 52 * current weekly spend)

i.e. one posterior standard deviation of the revenue a year of the channel's budget returns: the revenue at
stake in not knowing its ROI. Channels are ranked by it across markets (money is in the reporting currency).

**Designs.** For each channel with current spend, starting the week after the last modeled week, against the
counterfactual of current spend held (``mmm.plan_forecast``, per posterior draw, carry-over included):

* ``go_dark``: switch the channel off in its market for W weeks;
* ``heavy_up``: multiply its weekly spend by k (1.5, 2 or 3, up to ``max_spend_multiplier``) for W weeks;
* ``geo_holdout``: switch it off in this market while other fitted markets carry on as controls: the (at most
  ``MAX_CONTROL_MARKETS``) markets whose weekly residuals track this market's most closely (largest absolute
  correlation over their common weeks), like the donor pool of a synthetic control; all of them when there are
  fewer. Bounding the controls keeps the projection estimable (a regression on hundreds of markets' residuals
  over 156 weeks is not) and the cost linear in the number of markets.

The test measures the incremental revenue over ``n = W + L`` weeks (L = the channel's maximum carry-over lag).
Its weekly outcome is revenue net of the model's baseline; for the geo holdout, net of the control markets too
(the treated market's weekly residual minus its least-squares projection on the controls' residuals, which
removes shocks the markets share). With ``s`` the sd of that weekly outcome (the fit's residual sd for the
single-market designs), the test compares the n test weeks with n comparable weeks (two-sample t-test,
two-sided, significance ``alpha``; statsmodels ``TTestIndPower``'s formula, written out with the noncentral t of
``scipy.special`` so the few thousand evaluations a market needs cost microseconds, not milliseconds)::

    effect size d   = expected lift / (n * s)
    power           = TTestIndPower().power(d, nobs1=n, alpha, ratio=1)
                    = 1 - F(t_(1-alpha/2); 2n-2, d sqrt(n/2)) + F(t_(alpha/2); 2n-2, d sqrt(n/2))   (F: noncentral t cdf)
    MDE (total)     = the d at which power = target (root-finding) * s * n
    test se (total) = s * sqrt(2 n)
    interval shrink = 1 - 1 / sqrt(1 + var(model lift) / test se^2)   (how much the test would narrow the
                      model's interval of that lift if it were added as a lift test)

For each design the smallest W (1 .. ``max_weeks``) and, for a heavy-up, the smallest k reaching the target
power is chosen; the recommended design of a channel is the testable one with the fewest weeks, then the
lowest expected net cost (go-dark: revenue forgone minus spend saved; heavy-up: extra spend minus extra
revenue). When no design reaches the target power within ``max_weeks`` weeks, the channel is reported as
not usefully testable with the markets available, with the power the longest test would have.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special
from scipy.optimize import brentq

from mmm import analysis as an
from mmm.analysis import FittedModel
from mmm.plan_forecast import MediaDraws, next_weeks

HEAVY_UP_MULTIPLIERS = (1.5, 2.0, 3.0)
WEEKS_PER_YEAR = 52

PLAN_COLUMNS = [
    "market", "channel", "priority_rank", "value_of_testing", "roi", "roi_lower", "roi_upper", "roi_sd",
    "current_weekly_spend", "annual_spend", "test_design", "is_recommended", "is_testable", "treated_markets",
    "control_markets", "start_week_start_date", "test_weeks", "measurement_weeks", "weekly_spend_change",
    "total_spend_change", "expected_lift", "expected_lift_lower", "expected_lift_upper", "noise_sd_weekly",
    "minimum_detectable_lift", "power", "target_power", "significance_level", "interval_shrink_share",
    "expected_net_cost", "message",
]
DESIGNS = ("go_dark", "heavy_up", "geo_holdout")
MAX_CONTROL_MARKETS = 10


@dataclass(frozen=True)
class ExperimentSettings:
    """Power-analysis settings (dbt vars ``experiment_*``)."""

    target_power: float = 0.8
    significance_level: float = 0.05
    max_weeks: int = 12
    max_spend_multiplier: float = 3.0
    lookback_weeks: int = 13

    def __post_init__(self) -> None:
        if not 0 < self.target_power < 1 or not 0 < self.significance_level < 1:
            raise ValueError("experiment power and significance level must be between 0 and 1")
        if int(self.max_weeks) < 1:
            raise ValueError("experiment_max_weeks must be at least 1")
        if not self.max_spend_multiplier > 1:
            raise ValueError("experiment_max_spend_multiplier must be above 1")


def power_of(total_lift: float, noise_sd: float, n_weeks: int, alpha: float) -> float:
    """Power of the two-sample t-test to detect a total lift spread over ``n_weeks`` weeks of noise ``noise_sd``."""
    if not noise_sd > 0 or n_weeks < 1:
        return float("nan")
    d = abs(total_lift) / (n_weeks * noise_sd)
    if d == 0:
        return float(alpha)
    return _t_test_power(d, n_weeks, alpha)


def _t_test_power(d: float, n: int, alpha: float) -> float:
    """Power of the two-sided two-sample t-test, n weeks per group, standardized effect ``d`` (statsmodels'
    ``TTestIndPower().power(d, nobs1=n, alpha=alpha, ratio=1)``, same formula)."""
    df = 2.0 * n - 2.0
    if df <= 0:
        return float("nan")
    nc = d * np.sqrt(n / 2.0)
    upper, lower = special.stdtrit(df, 1.0 - alpha / 2.0), special.stdtrit(df, alpha / 2.0)
    return float(1.0 - special.nctdtr(df, nc, upper) + special.nctdtr(df, nc, lower))


def minimum_detectable_lift(noise_sd: float, n_weeks: int, alpha: float, power: float) -> float:
    """Smallest total lift over ``n_weeks`` weeks the test detects with ``power`` at significance ``alpha``."""
    if not noise_sd > 0 or n_weeks < 2 or not alpha < power < 1:
        return float("nan")
    high = 1.0
    while _t_test_power(high, n_weeks, alpha) < power:
        high *= 2.0
    d = brentq(lambda x: _t_test_power(x, n_weeks, alpha) - power, 0.0, high, xtol=1e-12, rtol=1e-12)
    return float(d) * noise_sd * n_weeks


def residuals(fm: FittedModel) -> pd.Series:
    """Weekly actual minus fitted revenue at the MAP, indexed by week."""
    media = fm.media
    fitted = fm.problem.baseline.design @ fm.baseline_coefficients(media) + media.sum(axis=1)
    return pd.Series(np.asarray(fm.problem.y) - fitted, index=pd.DatetimeIndex(fm.data.weeks))


def geo_noise_sd(treated: pd.Series, controls: list[pd.Series]) -> float:
    """Sd of the treated market's weekly residual net of its least-squares projection on the controls' residuals
    (common weeks only; degrees of freedom for the fitted coefficients)."""
    frame = pd.concat([treated.rename("y"), *[c.rename(f"x{i}") for i, c in enumerate(controls)]], axis=1).dropna()
    if len(frame) < len(controls) + 10:
        return float("nan")
    x = np.column_stack([np.ones(len(frame)), frame.drop(columns="y").to_numpy()])
    coef, *_ = np.linalg.lstsq(x, frame["y"].to_numpy(), rcond=None)
    rest = frame["y"].to_numpy() - x @ coef
    return float(np.sqrt(rest @ rest / max(len(frame) - x.shape[1], 1)))


def choose_controls(market: str, residual: Mapping[str, pd.Series], k: int = MAX_CONTROL_MARKETS) -> list[str]:
    """The other markets whose weekly residuals correlate most (in absolute value) with ``market``'s over their common
    weeks (at least 10): at most ``k``, ordered by name; the others when there are no more than ``k``."""
    return all_controls(residual, k, [market])[market]


def all_controls(residual: Mapping[str, pd.Series], k: int = MAX_CONTROL_MARKETS,
                 markets: list[str] | None = None) -> dict[str, list[str]]:
    """``choose_controls`` for each of ``markets`` (default: all), from one pairwise correlation matrix of the
    residuals (pandas, common weeks only): one pass, not one per pair."""
    names = sorted(residual)
    markets = names if markets is None else markets
    if len(names) - 1 <= k:
        return {m: [n for n in names if n != m] for m in markets}
    corr = pd.DataFrame({n: residual[n] for n in names}).corr(min_periods=10).abs()
    out = {}
    for m in markets:
        row = corr[m].drop(m).dropna()
        ranked = sorted(row.index, key=lambda n: (-row[n], n))[:k]
        out[m] = sorted(ranked)
    return out


def lift_draws(draws: MediaDraws, base_plan: np.ndarray, ci: int, weeks: int, multiplier: float,
               base_media: np.ndarray | None = None) -> np.ndarray:
    """(D,) incremental revenue of channel ``ci`` from multiplying its spend by ``multiplier`` in the first
    ``weeks`` weeks of ``base_plan`` (0 = go dark), over all weeks of ``base_plan`` (carry-over included).
    Positive: the revenue the change adds (heavy-up) or the revenue the channel brings in those weeks (go-dark).
    ``base_media``: the channel's media under a longer ``base_plan`` with the same start, if already computed
    (the media model is causal, so its first weeks are those of this plan)."""
    spend = np.asarray(base_plan, dtype=float)[:, ci]
    changed = spend.copy()
    changed[:weeks] *= multiplier
    n = len(spend)
    base = (draws.channel_media(spend, ci) if base_media is None else base_media[:, :n]).sum(axis=1)
    new = draws.channel_media(changed, ci).sum(axis=1)
    return (new - base) if multiplier > 1 else (base - new)


def roi_draws(fm: FittedModel) -> np.ndarray:
    """(D, C) ROI over the modeled period per posterior draw."""
    spend = fm.spend_matrix().sum(axis=0)
    return fm.posterior.media.sum(axis=1) / np.where(spend > 0, spend, np.nan)


def _design_row(fm: FittedModel, draws: MediaDraws, current: np.ndarray, ci: int, design: str, noise: float,
                settings: ExperimentSettings, treated: str, controls: str) -> dict:
    """The smallest test of ``design`` reaching the target power (or the longest allowed, flagged)."""
    lag = int(fm.specs[ci].max_lag)
    horizon = settings.max_weeks + lag
    base = np.tile(current, (horizon, 1))
    multipliers = [0.0]  # go dark
    if design == "heavy_up":
        multipliers = [k for k in HEAVY_UP_MULTIPLIERS if k <= settings.max_spend_multiplier + 1e-12]
        multipliers = multipliers or [settings.max_spend_multiplier]
    base_media = draws.channel_media(base[:, ci], ci)
    best = None
    for weeks in range(max(1, 2 - lag), settings.max_weeks + 1):  # the t-test needs two weeks or more
        n = weeks + lag
        for k in multipliers:
            lifts = lift_draws(draws, base[:n], ci, weeks, k, base_media)
            expected = float(lifts.mean())
            candidate = dict(weeks=weeks, k=k, n=n, lifts=lifts, expected=expected,
                             power=power_of(expected, noise, n, settings.significance_level))
            if best is None or candidate["power"] > best["power"] + 1e-12:
                best = candidate
            if candidate["power"] >= settings.target_power:
                return _finish(fm, ci, design, candidate, current, noise, settings, treated, controls, True)
    return _finish(fm, ci, design, best, current, noise, settings, treated, controls, False)


def _finish(fm: FittedModel, ci: int, design: str, c: dict, current: np.ndarray, noise: float,
            settings: ExperimentSettings, treated: str, controls: str, testable: bool) -> dict:
    lo, hi = fm.quantiles(c["lifts"])
    weekly_change = current[ci] * (c["k"] - 1.0)
    total_change = weekly_change * c["weeks"]
    se = noise * np.sqrt(2.0 * c["n"])
    var_model = float(np.var(c["lifts"]))
    shrink = 1.0 - 1.0 / np.sqrt(1.0 + var_model / se ** 2) if se > 0 else np.nan
    net_cost = c["expected"] + total_change if design != "heavy_up" else total_change - c["expected"]
    mde = minimum_detectable_lift(noise, c["n"], settings.significance_level, settings.target_power)
    what = {"go_dark": f"switch {fm.channels[ci]} off in {treated}",
            "heavy_up": f"multiply {fm.channels[ci]} spend by {c['k']:g} in {treated}",
            "geo_holdout": f"switch {fm.channels[ci]} off in {treated} with {controls} as control"}[design]
    if testable:
        message = (f"{what} for {c['weeks']} weeks (measured over {c['n']} weeks, carry-over included): the model "
                   f"expects {c['expected']:,.0f} of incremental revenue, the test detects {mde:,.0f} with "
                   f"{settings.target_power:.0%} power")
    else:
        message = (f"cannot be tested usefully with the markets available: even {what.split(' in ')[0]} for "
                   f"{c['weeks']} weeks has {c['power']:.0%} power (the model expects {c['expected']:,.0f}, the "
                   f"test detects {mde:,.0f} with {settings.target_power:.0%} power)")
    return dict(test_design=design, is_testable=testable, treated_markets=treated, control_markets=controls,
                test_weeks=c["weeks"], measurement_weeks=c["n"], weekly_spend_change=weekly_change,
                total_spend_change=total_change, expected_lift=c["expected"], expected_lift_lower=min(float(lo), c["expected"]),
                expected_lift_upper=max(float(hi), c["expected"]), noise_sd_weekly=noise, minimum_detectable_lift=mde,
                power=c["power"], interval_shrink_share=float(shrink), expected_net_cost=float(net_cost), message=message)


def _not_possible(design: str, treated: str, controls: str, noise: float, message: str) -> dict:
    return dict(test_design=design, is_testable=False, treated_markets=treated, control_markets=controls,
                noise_sd_weekly=noise, message=message)


def market_experiment_plan(fm: FittedModel, settings: ExperimentSettings,
                           controls: Mapping[str, pd.Series] | None = None) -> pd.DataFrame:
    """The candidate tests of one market's channels (PLAN_COLUMNS except priority_rank); ``controls``: the weekly
    residuals (``residuals``) of the geo holdout's control markets, by market (``choose_controls``)."""
    others = {m: r for m, r in (controls or {}).items() if m != fm.market}
    draws = MediaDraws(fm)
    current = an.current_weekly_spend(fm, settings.lookback_weeks)
    rois = roi_draws(fm)
    roi = an.roi_interval(fm)
    sigma = float(fm.result.sigma)
    start = next_weeks(fm, 1)[0]
    geo_noise, control_names = float("nan"), ", ".join(sorted(others))
    if others:
        own = residuals(fm)
        geo_noise = geo_noise_sd(own, list(others.values()))
    rows = []
    for ci, channel in enumerate(fm.channels):
        head = dict(market=fm.market, channel=channel, roi=float(roi["estimate"].iloc[ci]),
                    roi_lower=float(roi["lower"].iloc[ci]), roi_upper=float(roi["upper"].iloc[ci]),
                    roi_sd=float(np.nanstd(rois[:, ci])), current_weekly_spend=float(current[ci]),
                    annual_spend=float(current[ci] * WEEKS_PER_YEAR), start_week_start_date=start,
                    target_power=settings.target_power, significance_level=settings.significance_level)
        head["value_of_testing"] = head["roi_sd"] * head["annual_spend"]
        designs = []
        if not current[ci] > 0:
            why = (f"{channel} has no spend in the last {settings.lookback_weeks} weeks in {fm.market}: there is no "
                   "budget to switch off or scale; a launch test needs a planned spend level")
            designs = [_not_possible(d, fm.market, control_names if d == "geo_holdout" else "", sigma, why) for d in DESIGNS]
        else:
            designs.append(_design_row(fm, draws, current, ci, "go_dark", sigma, settings, fm.market, ""))
            designs.append(_design_row(fm, draws, current, ci, "heavy_up", sigma, settings, fm.market, ""))
            if not others:
                why = f"a geo holdout needs another fitted market as control; {fm.market} is the only one"
                designs.append(_not_possible("geo_holdout", fm.market, "", float("nan"), why))
            elif not geo_noise > 0:
                designs.append(_not_possible("geo_holdout", fm.market, control_names, geo_noise,
                                             "too few weeks shared with the other markets to build a control"))
            else:
                designs.append(_design_row(fm, draws, current, ci, "geo_holdout", geo_noise, settings, fm.market, control_names))
        recommended = _recommend(designs)
        for i, d in enumerate(designs):
            rows.append({**head, **d, "is_recommended": i == recommended})
    return pd.DataFrame(rows).reindex(columns=[c for c in PLAN_COLUMNS if c != "priority_rank"])


def _recommend(designs: list[dict]) -> int:
    """Index of the recommended design: testable first, then fewest weeks, then lowest net cost; if none is
    testable, the most powerful."""
    def key(i: int):
        d = designs[i]
        power = d.get("power", np.nan)
        if d["is_testable"]:
            return (0, d["test_weeks"], d["expected_net_cost"])
        return (1, -(power if np.isfinite(power) else -1.0), 0.0)
    return min(range(len(designs)), key=key)


def experiment_plan(fits: Mapping[str, FittedModel], settings: ExperimentSettings) -> pd.DataFrame:
    """Every fitted market's candidate tests, ranked by value of testing across markets (PLAN_COLUMNS)."""
    residual = {m: residuals(fm) for m, fm in fits.items()}
    controls = all_controls(residual)
    return rank_plan([market_experiment_plan(fm, settings, {c: residual[c] for c in controls[m]}) for m, fm in fits.items()])


def rank_plan(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The markets' candidate tests in one table, ranked by value of testing across markets (PLAN_COLUMNS)."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=PLAN_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    value = out.groupby(["market", "channel"], sort=False)["value_of_testing"].first()
    ranks = value.rank(ascending=False, method="first").astype(int)
    out.insert(2, "priority_rank", [int(ranks[(m, c)]) for m, c in zip(out["market"], out["channel"])])
    return out.sort_values(["priority_rank", "is_recommended", "test_design"], ascending=[True, False, True],
                           kind="stable").reset_index(drop=True)[PLAN_COLUMNS]
