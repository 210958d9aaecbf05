"""Typed checks with one row schema and one thresholds config.

Every check the engine runs (on its input, on what the data can identify, on the quality of the fit)
returns ``Check`` rows with the same columns as the data-sufficiency checks of the SQL layer
(``mmm_data_sufficiency``): ``check_name, channel, category, value, threshold, status, message``. The
``channel`` column names the subject: '' for the market, a channel, a pair ``"a & b"``, or a lift test
``"tv (experiment lt_01)"``. Each (check_name, channel) appears once per market: a channel-level check
reports every channel (ok or not), so a check can never say ``ok`` and ``fail`` about the same thing.

Thresholds live in ``Thresholds`` (one place; override any field with ``dataclasses.replace``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

from mmm import diagnostics as dg

CHECK_COLUMNS = ["check_name", "channel", "category", "value", "threshold", "status", "message"]
STATUSES = ("ok", "warn", "fail")


class InsufficientDataError(ValueError):
    """The market cannot be fitted (too few weeks, no usable channel, no revenue)."""


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, about what, the compared numbers, and a sentence for a marketer."""

    check_name: str
    channel: str
    category: str
    value: float
    threshold: float
    status: str
    message: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"check {self.check_name}: status must be one of {STATUSES}, got {self.status!r}")


@dataclass(frozen=True)
class Thresholds:
    """Every threshold a check compares against (defaults below; the README explains the checks)."""

    # identification: what the data can and cannot separate
    min_weeks: float = 78.0  # fewer weeks of history than this: warn
    min_active_share: float = 0.25  # channel spends in fewer than this share of weeks: warn
    min_spend_share: float = 0.03  # channel's share of total media spend below this: warn
    min_mean_weekly_spend: float = 5000.0  # ... or mean weekly spend (reporting currency) below this
    vif: float = 10.0  # VIF of the transformed media design above this: warn (infinite: fail)
    spend_correlation: float = 0.8  # |corr| of two channels' weekly spend above this: warn
    spend_correlation_fail: float = 0.99  # ... and above this: fail (practically the same series)
    demand_correlation: float = 0.5  # |corr| of a channel's spend with seasonal demand above this: warn
    roi_relative_width: float = 1.5  # (upper - lower) / estimate of the ROI interval above this: warn
    roi_lower_fraction: float = 0.1  # lower <= this * estimate: cannot rule out (almost) no effect: warn
    # fit quality
    in_sample_r2: float = 0.8
    in_sample_adjusted_r2: float = 0.75
    in_sample_mape: float = 0.1
    in_sample_nrmse: float = 0.1
    holdout_mape: float = 0.15
    holdout_r2: float = 0.0
    cv_mape: float = 0.15
    cv_r2: float = 0.0
    durbin_watson_low: float = 1.5
    durbin_watson_high: float = 2.5
    ljung_box_pvalue: float = 0.05
    condition_number: float = 30.0
    decomp_rssd: float = 0.3
    lift_test_z: float = 2.0

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, float] | None) -> Thresholds:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides or {}) - known)
        if unknown:
            raise ValueError(f"unknown thresholds {unknown}; known: {sorted(known)}")
        return cls(**{**asdict(cls()), **{k: float(v) for k, v in (overrides or {}).items()}})


DEFAULT_THRESHOLDS = Thresholds()


def checks_frame(checks: Iterable[Check]) -> pd.DataFrame:
    """Checks as a table with CHECK_COLUMNS; raises if a (check_name, channel) pair appears twice."""
    frame = pd.DataFrame([asdict(c) for c in checks], columns=CHECK_COLUMNS)
    frame["value"] = frame["value"].astype(float)
    frame["threshold"] = frame["threshold"].astype(float)
    dup = frame.duplicated(["check_name", "channel"], keep=False)
    if dup.any():
        raise ValueError(f"checks reported twice: {frame.loc[dup, ['check_name', 'channel']].values.tolist()}")
    return frame


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "unbounded" if x > 0 else str(x)
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.2f}"


def lift_subject(channel: str, experiment_id: str) -> str:
    """The ``channel`` column of a lift-test check."""
    return f"{channel} (experiment {experiment_id})"


# --------------------------------------------------------------------------- input checks


def revenue_checks(revenue) -> list[Check]:
    """Revenue must be known and positive on average (else InsufficientDataError); non-positive weeks warn."""
    y = np.asarray(revenue, dtype=float)
    if np.isnan(y).any():
        raise InsufficientDataError(f"revenue is missing in {int(np.isnan(y).sum())} weeks")
    if y.mean() <= 0:
        raise InsufficientDataError("revenue is not positive on average; there is nothing to model")
    n_bad = int((y <= 0).sum())
    if n_bad:
        return [Check("revenue_non_positive", "", "input", n_bad, 0, "warn",
                      f"{n_bad} weeks have zero or negative revenue; check the sales data (MAPE skips them).")]
    return [Check("revenue_non_positive", "", "input", 0, 0, "ok", "Revenue is positive every week.")]


def spend_checks(spend: pd.DataFrame, channels: list[str]) -> tuple[list[str], list[Check]]:
    """Which configured channels the fit can use, and one row per channel and check saying why (not).

    A channel in the configuration with no spend column in this market is a note (``ok``): channel_config
    lists every market's channels. Missing, constant (incl. all-zero) or negative spend: ``fail``, the
    channel is left out of the fit.
    """
    usable, rows = [], []
    for ch in channels:
        if ch not in spend.columns:
            rows.append(Check("channel_not_in_market", ch, "input", math.nan, math.nan, "ok",
                              f"{ch} is in channel_config but has no spend in this market, so it is not "
                              "modeled here."))
            continue
        x = spend[ch].to_numpy(dtype=float)
        n_missing = int(np.isnan(x).sum())
        filled = np.nan_to_num(x)
        spread = float(filled.max() - filled.min())
        constant = not spread > 1e-9 * max(1.0, abs(float(np.nanmean(x))) if n_missing < len(x) else 1.0)
        rows.append(Check("channel_spend_missing", ch, "input", n_missing / len(x), 0, "fail" if n_missing else "ok",
                          f"{ch} has missing spend in {n_missing} weeks; it is left out of the fit." if n_missing
                          else f"{ch} has spend recorded for every week."))
        if constant:
            what = "zero every week" if np.allclose(filled, 0) else f"{_fmt(float(filled[0]))} every week"
            message = (f"{ch} spend is {what}, so the data contain nothing to measure its effect by; "
                       "it is left out of the fit.")
        else:
            message = f"{ch} spend varies over time."
        rows.append(Check("channel_spend_constant", ch, "input", spread, 0, "fail" if constant else "ok", message))
        negative = bool((filled < 0).any())
        rows.append(Check("channel_spend_negative", ch, "input", float(filled.min()), 0, "fail" if negative else "ok",
                          f"{ch} has negative weekly spend; it is left out of the fit." if negative
                          else f"{ch} spend is never negative."))
        if not (n_missing or constant or negative):
            usable.append(ch)
    return usable, rows


def lift_test_terms(lift_tests: pd.DataFrame | None, weeks: pd.DatetimeIndex,
                    channels: list[str]) -> tuple[list[dict], list[Check]]:
    """Usable lift tests as likelihood terms; each unusable one becomes a ``warn`` row saying why."""
    terms, rows = [], []
    if lift_tests is None or len(lift_tests) == 0:
        return terms, rows
    first, last = weeks[0], weeks[-1]
    for lt in lift_tests.itertuples():
        eid, ch = str(lt.experiment_id), str(lt.channel)
        start, end = pd.Timestamp(lt.start_week), pd.Timestamp(lt.end_week)
        mask = np.asarray((weeks >= start) & (weeks <= end))
        problem = None
        if ch not in channels:
            problem = f"lift test {eid} names channel '{ch}', which is not modeled in this market; it is not used."
        elif start < first or end > last or not mask.any():
            problem = (f"lift test {eid} runs {start:%Y-%m-%d} to {end:%Y-%m-%d}, outside the modeled weeks "
                       f"({first:%Y-%m-%d} to {last:%Y-%m-%d}); it is not used.")
        elif not (np.isfinite(lt.lift) and np.isfinite(lt.lift_se) and lt.lift_se > 0):
            problem = f"lift test {eid} has no usable result or standard error; it is not used."
        if problem:
            rows.append(Check("lift_test_unused", lift_subject(ch, eid), "lift_test", math.nan, math.nan, "warn", problem))
            continue
        terms.append(dict(experiment_id=eid, channel=ch, weeks=mask, measured=float(lt.lift), se=float(lt.lift_se)))
    return terms, rows


def recency_checks(spend: pd.DataFrame, weeks: pd.DatetimeIndex, recent_weeks: int) -> list[Check]:
    """A channel that first spent within the last ``recent_weeks`` weeks is too new to estimate.

    Its ROI is then little more than the prior's guess: the check says so, and the allocation keeps the
    channel's spend where it is (mmm.tables) instead of moving money on a guess.
    """
    rows = []
    for ch in spend.columns:
        active = np.flatnonzero(np.nan_to_num(spend[ch].to_numpy(dtype=float)) > 0)
        if not len(active):
            continue
        weeks_since = len(weeks) - int(active[0])
        new = weeks_since <= recent_weeks
        rows.append(Check("channel_too_new", str(ch), "input", weeks_since, recent_weeks, "warn" if new else "ok",
                          f"{ch} first spent in the week of {weeks[active[0]]:%Y-%m-%d}, {weeks_since} weeks ago: too new "
                          "to estimate, so its ROI is mostly the prior's guess and the budget allocation keeps its "
                          "spend unchanged." if new else f"{ch} has spent for {weeks_since} weeks."))
    return rows


# --------------------------------------------------------------------------- identification


def identification_checks(spend: pd.DataFrame, vifs: pd.Series | Mapping[str, float] | None = None, demand=None,
                          roi: pd.DataFrame | None = None, baseline=None, n_weeks: int | None = None,
                          thresholds: Thresholds = DEFAULT_THRESHOLDS, interval_level: float = 0.9) -> list[Check]:
    """What the data can and cannot identify, in sentences a marketer can read.

    ``spend``: weekly spend of the modeled channels (columns); ``vifs``: VIF per channel of the transformed
    media design; ``demand``: the fitted seasonality (spend following it may be reverse causation); ``roi``:
    DataFrame by channel with estimate, lower, upper; ``baseline``: revenue without media per week. A check
    whose input is not given is skipped. Channel-level checks give one row per channel; the pairwise
    correlation check gives one row per correlated pair, or one market-level ``ok`` row when none is.

    ======================= ===================================================================
    check_name              fires when
    ======================= ===================================================================
    history_length          fewer than min_weeks (78) weeks: warn
    channel_rarely_active   spend > 0 in fewer than min_active_share (25%) of weeks: warn
    channel_small_spend     < min_spend_share (3%) of media spend or < min_mean_weekly_spend a week: warn
    vif                     VIF > 10: warn; infinite (an exact combination of others): fail
    spend_correlation       |corr| of two channels' spend > 0.8: warn, > 0.99: fail
    spend_tracks_demand     |corr(spend, seasonal demand)| > 0.5: warn
    roi_interval_wide       (upper - lower) / estimate > 1.5, lower <= 0.1 x estimate, or estimate <= 0: warn
    baseline_negative       the baseline is negative in some week: warn
    ======================= ===================================================================
    """
    th = thresholds
    x = spend.astype(float).fillna(0.0)
    x.columns = [str(c) for c in x.columns]
    channels = list(x.columns)
    rows: list[Check] = []
    cat = "identification"

    weeks = int(x.shape[0] if n_weeks is None else n_weeks)
    short = weeks < th.min_weeks
    rows.append(Check("history_length", "", cat, weeks, th.min_weeks, "warn" if short else "ok",
                      f"The model has only {weeks} weeks of data (at least {th.min_weeks:.0f} recommended, i.e. a "
                      "year and a half); seasonality and media effects are hard to tell apart, so expect wide "
                      "ranges." if short else f"{weeks} weeks of data is enough history."))

    active = (x > 0).mean()
    total = float(x.to_numpy().sum())
    for c in channels:
        rare = active[c] < th.min_active_share
        rows.append(Check("channel_rarely_active", c, cat, float(active[c]), th.min_active_share, "warn" if rare else "ok",
                          f"{c} spends in only {active[c]:.0%} of weeks; with so few active weeks its effect is hard "
                          "to measure, so its results are uncertain." if rare
                          else f"{c} spends in {active[c]:.0%} of weeks."))
        share = float(x[c].sum()) / total if total > 0 else math.nan
        mean_weekly = float(x[c].mean())
        small = share < th.min_spend_share or mean_weekly < th.min_mean_weekly_spend
        rows.append(Check("channel_small_spend", c, cat, share, th.min_spend_share, "warn" if small else "ok",
                          f"{c} is a small channel ({share:.1%} of media spend, about {_fmt(mean_weekly)} a week); its "
                          "effect is small next to the normal week-to-week swings in sales, so the model cannot pin "
                          "it down and its ROI range is wide." if small
                          else f"{c} spends enough to be measured ({share:.1%} of media spend)."))

    if vifs is not None:
        v = pd.Series(vifs, dtype=float)
        v.index = v.index.map(str)
        for c, val in v.items():
            if np.isinf(val):
                status, msg = "fail", (f"{c} is an exact combination of other channels in the data; the model cannot "
                                       "give it a separate effect at all.")
            elif val > th.vif:
                status, msg = "warn", (f"{c} is largely predictable from the other channels (VIF {val:.1f}); the "
                                       "model cannot tell its effect apart from theirs, so its share is uncertain.")
            else:
                status, msg = "ok", f"{c}'s spend pattern is not explained by the other channels (VIF {val:.1f})."
            rows.append(Check("vif", c, cat, val, th.vif, status, msg))

    pairs = dg.spend_correlation_pairs(x, th.spend_correlation)
    for a, b, r in pairs.itertuples(index=False):
        direction = "move together" if r > 0 else "move in opposite directions"
        rows.append(Check("spend_correlation", f"{a} & {b}", cat, r, th.spend_correlation,
                          "fail" if abs(r) > th.spend_correlation_fail else "warn",
                          f"{a} and {b} {direction} (correlation {r:.2f}); the model cannot tell their effects "
                          "apart, so their split is uncertain."))
    if pairs.empty:
        rows.append(Check("spend_correlation", "", cat, math.nan, th.spend_correlation, "ok",
                          "No two channels' spend moves in lockstep."))

    if demand is not None:
        d = pd.Series(np.asarray(demand, dtype=float).reshape(-1))
        if d.size != x.shape[0]:
            raise ValueError(f"demand has {d.size} weeks but spend has {x.shape[0]}")
        if np.ptp(d.dropna().to_numpy()) > 0:
            for c in channels:
                r = float(pd.Series(x[c].to_numpy()).corr(d))
                tracks = np.isfinite(r) and abs(r) > th.demand_correlation
                rows.append(Check("spend_tracks_demand", c, cat, r, th.demand_correlation, "warn" if tracks else "ok",
                                  f"{c} spend rises and falls with seasonal demand (correlation {r:.2f}); part of the "
                                  "sales credited to it may be sales that would have happened anyway, so its ROI may "
                                  "be overstated." if tracks else f"{c} spend does not simply follow seasonal demand."))

    if roi is not None:
        missing = {"estimate", "lower", "upper"} - set(roi.columns)
        if missing:
            raise ValueError(f"roi is missing columns {sorted(missing)}")
        for c, rec in roi.iterrows():
            est, lo, hi = float(rec["estimate"]), float(rec["lower"]), float(rec["upper"])
            width = (hi - lo) / est if est > 0 else math.inf
            wide = width > th.roi_relative_width or lo <= th.roi_lower_fraction * est
            rows.append(Check("roi_interval_wide", str(c), cat, width, th.roi_relative_width, "warn" if wide else "ok",
                              f"{c}'s return is poorly determined: the {interval_level:.0%} range for its ROI runs "
                              f"from {_fmt(lo)} to {_fmt(hi)} around {_fmt(est)}; treat it as a rough guide and "
                              "consider a lift test." if wide
                              else f"{c}'s ROI range ({_fmt(lo)} to {_fmt(hi)}) is reasonably narrow."))

    if baseline is not None:
        b = np.asarray(baseline, dtype=float).reshape(-1)
        n_neg = int(np.sum(b < 0))
        rows.append(Check("baseline_negative", "", cat, n_neg, 0.0, "warn" if n_neg else "ok",
                          f"The baseline (sales without media) is negative in {n_neg} of {b.size} weeks, which is "
                          "impossible; the model is giving media more credit than there were sales in those weeks, "
                          "so media effects are likely overstated." if n_neg
                          else "The baseline (sales without media) is positive every week."))
    return rows


# --------------------------------------------------------------------------- fit quality


def fit_quality_checks(actual, fitted, n_params: int, forecast=None, cv: pd.DataFrame | None = None,
                       thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[Check]:
    """In-sample accuracy (every week), holdout and cross-validation accuracy, residual autocorrelation.

    ``forecast`` holds the out-of-sample forecast on the holdout weeks and NaN elsewhere.
    """
    th = thresholds
    actual, fitted = np.asarray(actual, float), np.asarray(fitted, float)
    rows: list[Check] = []
    ins = dg.fit_metrics(actual, fitted, n_params)
    n_train = len(actual)
    for key, low_is_bad in (("r2", True), ("adjusted_r2", True), ("mape", False), ("nrmse", False)):
        name = f"in_sample_{key}"
        v, t = ins[key], getattr(th, name)
        bad = v < t if low_is_bad else v > t
        rows.append(Check(name, "", "fit", v, t, "warn" if bad else "ok", f"{key} in sample, on all {n_train} weeks"))
    held = np.isfinite(np.asarray(forecast, float)) if forecast is not None else np.zeros(len(actual), bool)
    if held.any():
        out = dg.fit_metrics(actual[held], np.asarray(forecast, float)[held], 0)
        for key, low_is_bad in (("mape", False), ("r2", True)):
            name = f"holdout_{key}"
            v, t = out[key], getattr(th, name)
            bad = v < t if low_is_bad else v > t
            rows.append(Check(name, "", "validation", v, t, "warn" if bad else "ok",
                              f"{key} of the last {int(held.sum())} weeks, forecast by a fit on the weeks before them"))
    if cv is not None and len(cv):
        for key, low_is_bad in (("mape", False), ("r2", True)):
            name = f"cv_{key}"
            v, t = float(cv[key].mean()), getattr(th, name)
            bad = v < t if low_is_bad else v > t
            rows.append(Check(name, "", "validation", v, t, "warn" if bad else "ok",
                              f"mean {key} over {len(cv)} rolling-origin folds"))
    res = dg.residual_diagnostics(actual - fitted)
    dw = res["durbin_watson"]
    rows.append(Check("durbin_watson", "", "fit", dw, th.durbin_watson_low,
                      "warn" if dw < th.durbin_watson_low or dw > th.durbin_watson_high else "ok",
                      "about 2 when residuals are not autocorrelated"))
    lb = res["ljung_box_pvalue"]
    rows.append(Check("ljung_box_pvalue", "", "fit", lb, th.ljung_box_pvalue, "warn" if lb < th.ljung_box_pvalue else "ok",
                      "small p: residuals are autocorrelated, some weekly pattern is not modeled"))
    return rows


def design_checks(transformed_design: pd.DataFrame, contribution_share: pd.Series, spend_share: pd.Series,
                  thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[Check]:
    """Collinearity of the media design as a whole, and Robyn's DECOMP.RSSD."""
    th = thresholds
    cond = dg.condition_number(transformed_design)
    rssd = dg.decomp_rssd(contribution_share, spend_share)
    return [
        Check("condition_number", "", "design", cond, th.condition_number, "warn" if cond > th.condition_number else "ok",
              "of the standardised media design; large means channels move together"),
        Check("decomp_rssd", "", "design", rssd, th.decomp_rssd, "warn" if rssd > th.decomp_rssd else "ok",
              "distance between effect shares and spend shares (Robyn's DECOMP.RSSD)"),
    ]


def lift_test_agreement_checks(calibration: pd.DataFrame, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> list[Check]:
    """|z| of each lift test used: measured vs predicted lift (see analysis.lift_test_calibration)."""
    rows = []
    for lt in calibration.itertuples():
        z = float(lt.z_score)
        rows.append(Check("lift_test_z", lift_subject(lt.channel, lt.experiment_id), "lift_test", z, thresholds.lift_test_z,
                          "warn" if abs(z) > thresholds.lift_test_z else "ok",
                          f"{lt.channel}: predicted lift {lt.predicted_lift:,.0f} vs measured {lt.measured_lift:,.0f}"))
    return rows


def info(check_name: str, value: float, message: str) -> Check:
    """A number reported for information (status ok, no threshold)."""
    return Check(check_name, "", "run", value, math.nan, "ok", message)
