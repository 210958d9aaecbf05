"""Synthetic advertiser with known ground truth (the demo data and the engine's first test bed).

Each seed draws its own true parameters (adstock decay, half-saturation, Hill shape, ROI, baseline,
noise), so the engine is tested against many different truths, not one. The generating process is
defined on the weekly grain in the reporting currency (USD)::

    revenue[t] = intercept + trend[t] + seasonality[t] + holidays[t] + controls[t]
                 + sum_c beta_c * hill(geometric_adstock(spend_c)[t]; K_c, s_c) + noise[t]

and is then written out as raw files that follow the input contract: daily rows for digital
channels and for US sales, weekly rows for TV/radio/out-of-home and Canadian sales (dated on the
Sunday that ends the week), Canadian money in CAD converted with weekday FX rates, long-format
controls, holidays from the ``holidays`` package, and two lift tests.

Run ``python -m mmm.demo --seed 7 --out data/demo`` to write the demo folder.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mmm.transforms import geometric_adstock, hill, hill_derivative


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    display_name: str
    cadence: str  # "daily" or "weekly" raw rows
    weekly_spend_usd: float  # typical weekly spend in the US market
    pattern: str  # "always_on", "flighted", "bursty"
    alpha_range: tuple[float, float]
    max_lag: int
    roi_median: float  # centre of the per-seed ROI draw
    campaigns: tuple[str, ...] = ("always_on",)


CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec("tv", "TV", "weekly", 60_000, "flighted", (0.4, 0.8), 8, 1.3, ("national",)),
    ChannelSpec("radio", "Radio", "weekly", 15_000, "flighted", (0.2, 0.6), 6, 1.0, ("drive_time",)),
    ChannelSpec("ooh", "Out of home", "weekly", 12_000, "flighted", (0.3, 0.7), 6, 0.8, ("billboards",)),
    ChannelSpec("search", "Paid search", "daily", 40_000, "always_on", (0.0, 0.3), 4, 2.2, ("brand", "generic")),
    ChannelSpec("social", "Paid social", "daily", 25_000, "always_on", (0.1, 0.4), 4, 1.5, ("prospecting",)),
    ChannelSpec("display", "Display", "daily", 15_000, "bursty", (0.1, 0.5), 4, 0.8, ("programmatic",)),
    ChannelSpec("video", "Online video", "daily", 20_000, "bursty", (0.2, 0.6), 6, 1.2, ("youtube",)),
    ChannelSpec("email", "Email", "daily", 3_000, "always_on", (0.0, 0.3), 3, 4.0, ("newsletter",)),
)


@dataclass(frozen=True)
class MarketSpec:
    name: str
    currency: str
    country: str
    spend_scale: float
    sales_cadence: str  # "daily" or "weekly"


MARKETS: tuple[MarketSpec, ...] = (
    MarketSpec("us", "USD", "US", 1.0, "daily"),
    MarketSpec("ca", "CAD", "CA", 0.3, "weekly"),
)

# Signal-to-noise of the simulated advertiser (see README, "Demo data"): noise sd as a share of
# mean revenue, media's share of revenue, and how much always-on budgets move between planning cycles.
NOISE_SHARE_RANGE = (0.02, 0.04)
MEDIA_SHARE_RANGE = (0.25, 0.4)
ALWAYS_ON_LEVEL_SIGMA = 0.5

CONTROL_AGGREGATION = {"price_index": "mean", "promo_flag": "max", "competitor_index": "mean"}


@dataclass
class MarketTruth:
    """Weekly data and true parameters of one market (money in USD)."""

    market: str
    weeks: pd.DatetimeIndex
    spend: pd.DataFrame  # weeks x channels
    revenue: np.ndarray
    controls: pd.DataFrame  # weeks x controls (weekly aggregates)
    holiday_count: np.ndarray
    parameters: pd.DataFrame  # one row per channel
    components: pd.DataFrame  # weeks x components (baseline parts and channels); sums to revenue - noise
    noise: np.ndarray
    lift_tests: list[dict] = field(default_factory=list)

    def weekly_frame(self) -> pd.DataFrame:
        """The weekly model input of this market as one wide frame."""
        frame = pd.DataFrame({"week_start_date": self.weeks, "revenue": self.revenue})
        for c in self.spend.columns:
            frame[f"spend_{c}"] = self.spend[c].to_numpy()
        for c in self.controls.columns:
            frame[c] = self.controls[c].to_numpy()
        frame["holiday_count"] = self.holiday_count
        return frame


def _fourier(weeks: pd.DatetimeIndex, order: int) -> np.ndarray:
    day = weeks.day_of_year.to_numpy(dtype=float)
    cols = []
    for k in range(1, order + 1):
        cols += [np.sin(2 * np.pi * k * day / 365.25), np.cos(2 * np.pi * k * day / 365.25)]
    return np.column_stack(cols)


def _spend_pattern(rng: np.random.Generator, spec: ChannelSpec, n: int, demand: np.ndarray) -> np.ndarray:
    """A weekly spend series with mean about 1 (scaled later)."""
    if spec.pattern == "always_on":
        # budget changes every few weeks (planning cycles), demand tracking, weekly jitter
        tracking = rng.uniform(0.0, 0.5) if spec.name == "search" else rng.uniform(0.0, 0.2)
        levels, t = np.empty(n), 0
        while t < n:
            run = int(rng.integers(4, 14))
            levels[t:t + run] = rng.lognormal(0.0, ALWAYS_ON_LEVEL_SIGMA)
            t += run
        x = levels * (1.0 + tracking * demand) * rng.lognormal(0.0, 0.2, n)
    elif spec.pattern == "flighted":
        on = np.zeros(n, dtype=bool)
        t = int(rng.integers(0, 4))
        while t < n:
            run = int(rng.integers(2, 7))
            on[t:t + run] = True
            t += run + int(rng.integers(1, 6))
        x = on * rng.lognormal(0.0, 0.3, n) * (1.0 + 0.3 * rng.uniform(-1, 1, n))
    else:  # bursty
        x = rng.gamma(1.5, 1.0, n)
        bursts = rng.random(n) < 0.12
        x = x + bursts * rng.gamma(3.0, 1.0, n)
    x = np.clip(x, 0.0, None)
    return x / x.mean()


def _holiday_dates(country: str, years: list[int]) -> pd.DataFrame:
    import holidays as holidays_lib

    cal = holidays_lib.country_holidays(country, years=years)
    return pd.DataFrame({"date": pd.to_datetime(list(cal.keys())), "holiday": list(cal.values())}).sort_values("date")


def holiday_counts(country: str, weeks: pd.DatetimeIndex) -> tuple[np.ndarray, pd.DataFrame]:
    """Number of public holidays in each Monday-start week, and the holiday rows themselves."""
    years = sorted({d.year for d in weeks} | {weeks[-1].year + 1})
    rows = _holiday_dates(country, years)
    end = weeks[-1] + pd.Timedelta(days=6)
    rows = rows[(rows["date"] >= weeks[0]) & (rows["date"] <= end)].reset_index(drop=True)
    week_of = rows["date"] - pd.to_timedelta(rows["date"].dt.day_of_week, unit="D")
    counts = week_of.value_counts()
    return np.array([counts.get(w, 0) for w in weeks], dtype=float), rows


def simulate_market(seed: int, market: str = "us", n_weeks: int = 156, start: str = "2023-01-02",
                    spend_scale: float = 1.0, country: str = "US",
                    channels: tuple[ChannelSpec, ...] = CHANNELS) -> MarketTruth:
    """Draw one market's true parameters and weekly data (USD). Deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    weeks = pd.date_range(start, periods=n_weeks, freq="W-MON")
    n = n_weeks
    fourier = _fourier(weeks, 2)
    demand = fourier @ rng.normal(0, 0.5, fourier.shape[1])
    demand = demand / (np.abs(demand).max() + 1e-9)

    spend = {}
    for spec in channels:
        level = spec.weekly_spend_usd * spend_scale * rng.uniform(0.7, 1.3)
        spend[spec.name] = np.round(_spend_pattern(rng, spec, n, demand) * level, 2)
    spend = pd.DataFrame(spend, index=weeks)

    params, media = [], {}
    for spec in channels:
        x = spend[spec.name].to_numpy()
        alpha = rng.uniform(*spec.alpha_range)
        ad = geometric_adstock(x, alpha, spec.max_lag)
        k = rng.uniform(0.5, 2.0) * ad.mean()
        shape = rng.uniform(0.8, 2.2)
        roi = spec.roi_median * float(np.exp(rng.normal(0.0, 0.35)))
        sat = hill(ad, k, shape)
        beta = roi * x.sum() / sat.sum()
        media[spec.name] = beta * sat
        params.append(dict(market=market, channel=spec.name, adstock_kind="geometric", alpha=alpha,
                           max_lag=spec.max_lag, saturation_kind="hill", half_saturation=k, shape=shape,
                           beta=beta))
    media = pd.DataFrame(media, index=weeks)
    media_total = media.to_numpy().sum(axis=1)

    media_share = rng.uniform(*MEDIA_SHARE_RANGE)
    base_level = media_total.mean() * (1 - media_share) / media_share
    t = np.arange(n) / n
    trend = base_level * rng.uniform(-0.1, 0.25) * t
    seasonality = base_level * (fourier @ rng.normal(0, 0.05, fourier.shape[1]))
    counts, _ = holiday_counts(country, weeks)
    holidays_part = base_level * rng.uniform(0.02, 0.06) * counts

    price = np.round(1.0 + np.cumsum(rng.normal(0, 0.01, n)) + rng.normal(0, 0.01, n), 4)
    price = price - (price.mean() - 1.0)
    promo = np.zeros(n)
    promo[rng.choice(n, size=n // 8, replace=False)] = 1.0
    competitor = np.round(100 + np.cumsum(rng.normal(0, 2.0, n)), 2)
    price_part = -base_level * rng.uniform(0.5, 1.5) * (price - 1.0)
    promo_part = base_level * rng.uniform(0.04, 0.1) * promo
    comp_part = -base_level * rng.uniform(0.0, 0.03) * (competitor - competitor.mean()) / (competitor.std() + 1e-9)

    components = pd.DataFrame({"intercept": np.full(n, base_level), "trend": trend, "seasonality": seasonality,
                               "holidays": holidays_part, "price_index": price_part, "promo_flag": promo_part,
                               "competitor_index": comp_part}, index=weeks)
    components = pd.concat([components, media], axis=1)
    expected = components.to_numpy().sum(axis=1)
    noise = rng.normal(0, rng.uniform(*NOISE_SHARE_RANGE) * expected.mean(), n)
    revenue = np.round(expected + noise, 2)
    controls = pd.DataFrame({"price_index": price, "promo_flag": promo, "competitor_index": competitor}, index=weeks)

    parameters = pd.DataFrame(params)
    parameters["spend"] = spend.sum().to_numpy()
    parameters["contribution"] = media.sum().to_numpy()
    parameters["roi"] = parameters["contribution"] / parameters["spend"]
    return MarketTruth(market, weeks, spend, revenue, controls, counts, parameters, components, noise)


def true_marginal_roi(parameters: pd.DataFrame, channel: str, weekly_spend: float) -> float:
    p = parameters.set_index("channel").loc[channel]
    return float(p["beta"] * hill_derivative(weekly_spend, p["half_saturation"], p["shape"]))


def true_responses(parameters: pd.DataFrame, channels) -> list:
    """The true steady-state response of each channel (a ``ParametricResponse``, for the optimizer)."""
    from mmm.response import ParametricResponse

    p = parameters.set_index("channel")
    return [ParametricResponse(float(p.loc[c, "beta"]), "hill", {"half_saturation": float(p.loc[c, "half_saturation"]),
                                                                 "shape": float(p.loc[c, "shape"])}) for c in channels]


def allocation_capture(parameters: pd.DataFrame, channels, current, proposed, lower, upper) -> dict:
    """Score a proposed weekly allocation under the true model: the share of the achievable uplift it captures.

    The achievable uplift is true revenue at the true optimum (same budget as ``current``, same bounds,
    found by ``optimize_allocation`` with 16 starts) minus true revenue at ``current``. Returns
    achievable, captured (weekly revenue, reporting currency) and capture = captured / achievable
    (1.0 when nothing can be gained).
    """
    from mmm.optimize import optimize_allocation

    responses = true_responses(parameters, channels)
    current, proposed = np.asarray(current, float), np.asarray(proposed, float)

    def revenue(x: np.ndarray) -> float:
        return float(sum(r.revenue(v) for r, v in zip(responses, x)))

    best = optimize_allocation(responses, current, lower, upper, float(current.sum()), n_starts=16)
    achievable = revenue(best.optimal) - revenue(current)
    captured = revenue(proposed) - revenue(current)
    return {"achievable": achievable, "captured": captured,
            "capture": captured / achievable if achievable > 1e-9 * max(revenue(current), 1.0) else 1.0,
            "true_optimal": best.optimal}


def true_lift(truth: MarketTruth, channel: str, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """True incremental revenue of ``channel`` over weeks [start, end] vs switching it off then (carry-over included)."""
    p = truth.parameters.set_index("channel").loc[channel]
    x = truth.spend[channel].to_numpy()
    off = x.copy()
    in_window = (truth.weeks >= start) & (truth.weeks <= end)
    off[in_window] = 0.0
    on_rev = p["beta"] * hill(geometric_adstock(x, p["alpha"], int(p["max_lag"])), p["half_saturation"], p["shape"])
    off_rev = p["beta"] * hill(geometric_adstock(off, p["alpha"], int(p["max_lag"])), p["half_saturation"], p["shape"])
    return float(np.sum(on_rev - off_rev))


def fx_rates(rng: np.random.Generator, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """Weekday FX rates (units of USD per unit of currency) for CAD and EUR, a gentle random walk."""
    days = pd.bdate_range(first - pd.Timedelta(days=10), last)
    rows = []
    for currency, start_rate in (("CAD", 0.74), ("EUR", 1.08)):
        walk = start_rate * np.exp(np.cumsum(rng.normal(0, 0.003, len(days))))
        rows.append(pd.DataFrame({"date": days, "currency": currency, "rate_to_usd": np.round(walk, 6)}))
    return pd.concat(rows, ignore_index=True)


def _asof_rate(fx: pd.DataFrame, currency: str, dates: pd.Series) -> np.ndarray:
    if currency == "USD":
        return np.ones(len(dates))
    table = fx[fx["currency"] == currency].sort_values("date")
    idx = np.searchsorted(table["date"].to_numpy(), dates.to_numpy(), side="right") - 1
    return table["rate_to_usd"].to_numpy()[idx]


def _split_days(rng: np.random.Generator, weekly: np.ndarray, weeks: pd.DatetimeIndex, profile=None):
    """Split weekly totals into 7 daily rows (Mon..Sun) with random day weights."""
    base = np.ones(7) if profile is None else np.asarray(profile, dtype=float)
    w = rng.dirichlet(base * 30, size=len(weeks))
    dates = (weeks.values[:, None] + np.arange(7) * np.timedelta64(1, "D")).ravel()
    return pd.to_datetime(dates), (weekly[:, None] * w).ravel()


@dataclass
class Advertiser:
    """The demo advertiser: every market's weekly truth and the raw files built from it."""

    seed: int
    markets: dict[str, MarketTruth]
    raw: dict[str, pd.DataFrame]
    truth_lift_tests: pd.DataFrame


def simulate_advertiser(seed: int = 7, n_weeks: int = 156, start: str = "2023-01-02") -> Advertiser:
    """All markets plus raw files (money in each market's currency) and two lift tests."""
    rng = np.random.default_rng([seed, 1])
    markets = {m.name: simulate_market(seed * 100 + i, m.name, n_weeks, start, m.spend_scale, m.country)
               for i, m in enumerate(MARKETS)}
    first = markets["us"].weeks[0]
    last = markets["us"].weeks[-1] + pd.Timedelta(days=6)
    fx = fx_rates(rng, first, last)

    spend_rows, sales_rows, control_rows, holiday_rows = [], [], [], []
    for m in MARKETS:
        truth = markets[m.name]
        weeks = truth.weeks
        sunday = weeks + pd.Timedelta(days=6)
        for spec in CHANNELS:
            usd = truth.spend[spec.name].to_numpy()
            if spec.cadence == "weekly":
                dates, amounts, campaigns = sunday if m.name == "ca" else weeks, usd, [spec.campaigns[0]] * len(weeks)
                frames = [(pd.Series(dates), amounts, campaigns)]
            else:
                frames = []
                shares = rng.dirichlet(np.full(len(spec.campaigns), 5.0)) if len(spec.campaigns) > 1 else [1.0]
                for campaign, share in zip(spec.campaigns, shares):
                    dates, amounts = _split_days(rng, usd * share, weeks)
                    frames.append((pd.Series(dates), amounts, [campaign] * len(dates)))
            for dates, amounts, campaigns in frames:
                rate = _asof_rate(fx, m.currency, dates)
                local = np.round(amounts / rate, 2)
                impressions = np.round(amounts * rng.uniform(20, 80)).astype(int)
                spend_rows.append(pd.DataFrame({
                    "date": dates.dt.strftime("%Y-%m-%d"), "market": m.name, "channel": spec.name,
                    "campaign": campaigns, "spend": local, "currency": m.currency,
                    "impressions": np.where(local > 0, impressions, 0)}))
        if m.sales_cadence == "daily":
            dates, amounts = _split_days(rng, truth.revenue, weeks, profile=[1.0, 0.95, 0.95, 1.0, 1.15, 1.3, 1.1])
            dates = pd.Series(dates)
        else:
            dates, amounts = pd.Series(sunday), truth.revenue
        rate = _asof_rate(fx, m.currency, dates)
        sales_rows.append(pd.DataFrame({"date": dates.dt.strftime("%Y-%m-%d"), "market": m.name,
                                        "revenue": np.round(amounts / rate, 2), "currency": m.currency}))
        days = pd.Series(pd.date_range(weeks[0], last))
        week_idx = (np.arange(len(days)) // 7)
        price_daily = np.round(truth.controls["price_index"].to_numpy()[week_idx] + 0.0, 4)
        promo_daily = truth.controls["promo_flag"].to_numpy()[week_idx]
        # a promotion runs on some days of its week: the weekly max is still 1
        promo_daily = promo_daily * (rng.random(len(days)) < 0.7)
        promo_daily[::7] = truth.controls["promo_flag"].to_numpy()  # at least Monday when the week has a promo
        control_rows.append(pd.DataFrame({"date": days.dt.strftime("%Y-%m-%d"), "market": m.name,
                                          "control": "price_index", "value": price_daily}))
        control_rows.append(pd.DataFrame({"date": days.dt.strftime("%Y-%m-%d"), "market": m.name,
                                          "control": "promo_flag", "value": promo_daily.astype(int)}))
        control_rows.append(pd.DataFrame({"date": weeks.strftime("%Y-%m-%d"), "market": m.name,
                                          "control": "competitor_index",
                                          "value": truth.controls["competitor_index"].to_numpy()}))
        _, hol = holiday_counts(m.country, weeks)
        holiday_rows.append(pd.DataFrame({"date": hol["date"].dt.strftime("%Y-%m-%d"), "market": m.name,
                                          "holiday": hol["holiday"]}))

    # two switch-off experiments, each over the 4-week window of the last year where the channel spent most
    lift_rows, truth_lifts = [], []
    for exp_id, mk, ch in (("lt_us_social", "us", "social"), ("lt_ca_tv", "ca", "tv")):
        truth = markets[mk]
        rolling = truth.spend[ch].rolling(4).sum().iloc[-52:-8]
        end_week = rolling.idxmax()
        start_ts, end_ts = end_week - pd.Timedelta(weeks=3), end_week + pd.Timedelta(days=6)
        exp_id = f"{exp_id}_{start_ts:%Y%m%d}"
        s, e = f"{start_ts:%Y-%m-%d}", f"{end_ts:%Y-%m-%d}"
        lift = true_lift(truth, ch, start_ts, end_ts - pd.Timedelta(days=6))
        se = max(0.12 * abs(lift), 1.0)
        measured = lift + rng.normal(0, se)
        currency = "CAD" if mk == "ca" else "USD"
        rate = float(_asof_rate(fx, currency, pd.Series([end_ts]))[0])
        lift_rows.append(dict(experiment_id=exp_id, market=mk, channel=ch, start_date=s, end_date=e,
                              incremental_revenue=round(measured / rate, 2),
                              incremental_revenue_se=round(se / rate, 2), currency=currency))
        truth_lifts.append(dict(experiment_id=exp_id, market=mk, channel=ch, true_incremental_revenue_usd=lift,
                                measured_usd=measured, se_usd=se))

    fx_out = fx.assign(date=fx["date"].dt.strftime("%Y-%m-%d"))
    raw = {
        "raw_media_spend": pd.concat(spend_rows, ignore_index=True),
        "raw_sales": pd.concat(sales_rows, ignore_index=True),
        "raw_controls": pd.concat(control_rows, ignore_index=True),
        "raw_fx_rates": fx_out[["date", "currency", "rate_to_usd"]],
        "raw_lift_tests": pd.DataFrame(lift_rows),
        "raw_holidays": pd.concat(holiday_rows, ignore_index=True),
    }
    return Advertiser(seed, markets, raw, pd.DataFrame(truth_lifts))


def channel_config() -> pd.DataFrame:
    """The demo's channel_config seed: per channel settings the model reads."""
    rows = []
    for spec in CHANNELS:
        rows.append(dict(channel=spec.name, display_name=spec.display_name, adstock_kind="geometric",
                         max_lag=spec.max_lag, saturation_kind="hill", min_budget_multiplier=0.5,
                         max_budget_multiplier=2.0, roi_prior_median=1.0, roi_prior_sigma=1.0))
    return pd.DataFrame(rows)


def write_demo(folder: str | Path, seed: int = 7) -> Advertiser:
    """Write the raw files and the ground truth (``truth/``) of the demo advertiser to ``folder``."""
    folder = Path(folder)
    (folder / "truth").mkdir(parents=True, exist_ok=True)
    adv = simulate_advertiser(seed)
    for name, frame in adv.raw.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    params = pd.concat([t.parameters for t in adv.markets.values()], ignore_index=True)
    params.to_csv(folder / "truth" / "truth_channels.csv", index=False)
    weekly = []
    for mk, t in adv.markets.items():
        comp = t.components.copy()
        comp.insert(0, "noise", t.noise)
        comp.insert(0, "revenue", t.revenue)
        comp.insert(0, "market", mk)
        weekly.append(comp.rename_axis("week_start_date").reset_index())
    pd.concat(weekly, ignore_index=True).to_csv(folder / "truth" / "truth_weekly.csv", index=False)
    adv.truth_lift_tests.to_csv(folder / "truth" / "truth_lift_tests.csv", index=False)
    (folder / "truth" / "README.md").write_text(
        f"Ground truth of the demo advertiser (seed {seed}), money in USD. Written by `python -m mmm.demo`.\n\n"
        "- truth_channels.csv: per market and channel the true adstock (geometric, normalised weights, alpha, "
        "max_lag), Hill saturation (half_saturation in USD of weekly adstocked spend, shape), beta (USD of weekly "
        "revenue at full saturation), total spend, contribution and ROI over the 156 weeks.\n"
        "- truth_weekly.csv: per market and week the revenue, the noise and every component (they sum to revenue).\n"
        "- truth_lift_tests.csv: true and measured incremental revenue of each lift test.\n")
    (folder / "truth" / "generator.json").write_text(json.dumps({"seed": seed, "module": "mmm.demo"}))
    return adv


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="data/demo")
    args = parser.parse_args(argv)
    adv = write_demo(args.out, args.seed)
    print(f"wrote demo advertiser seed={args.seed} to {args.out}: "
          + ", ".join(f"{k} {len(v)} rows" for k, v in adv.raw.items()))


if __name__ == "__main__":
    main()
