"""A broader simulator of one market's weekly data with known truth (benchmark material, not the demo).

``mmm.demo`` writes the shipped demo advertiser and must stay byte-identical; this module is the harder
test bed for comparing estimators. Every seed draws its own configuration:

* 104-156 weeks, 6-8 channels (search, social and TV always, the others drawn from a pool);
* carry-over: geometric, Weibull (CDF or PDF, as Robyn defines them) or delayed (peaked), with
  normalised lag weights, so a spend held at x every week has steady-state adstock x;
* saturation: Hill (S-shaped or concave) or logistic (``tanh(lam x / 2)``, PyMC-Marketing's curve);
* true ROI drawn per channel, with at least one channel well below 1 ("weak", 0.2-0.7) and one with
  almost no effect ("near_zero", 0.0-0.05); the rest lognormal around 1.5;
* spend that follows seasonal demand (search always, others sometimes), always-on budgets that move
  between planning cycles, flighted channels with on/off bursts that overlap (a shared flight
  calendar), bursty channels;
* baseline: intercept, trend, yearly seasonality (the same demand that drives the demand-following
  spend), a price index (negative effect) and a promotion flag (positive effect);
* noise with a standard deviation of 4-6% of mean revenue; media drive 20-40% of revenue.

The truth is additive in channels, so a channel's contribution (revenue with it minus revenue without
it, every week, carry-over included) is exactly its weekly media component, and::

    revenue = baseline (intercept + trend + seasonality + price + promo) + sum of contributions + noise
    true ROI = contribution / spend, both summed over the whole simulated period

``Simulation.response(channel)`` is the true steady-state response (expected weekly revenue of a spend
held at x every week: ``beta * saturation(x)``), ``Simulation.lift(channel, start, end)`` the true
incremental revenue of a switch-off test over weeks [start, end] (later weeks included, for carry-over),
and ``lift_tests`` turns those into measured lifts with noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mmm.transforms import adstock_weights, apply_saturation, convolve_lags, saturation_derivative

WEEKS_RANGE = (104, 156)
N_CHANNELS_RANGE = (6, 8)
NOISE_SHARE_RANGE = (0.04, 0.06)
MEDIA_SHARE_RANGE = (0.2, 0.4)
START = "2023-01-02"


@dataclass(frozen=True)
class Archetype:
    """How a kind of channel typically spends and carries over (the draws per seed vary around it)."""

    name: str
    weekly_spend: float  # typical weekly spend (money)
    patterns: tuple[str, ...]  # spend patterns this channel may get: demand, always_on, flighted, bursty
    max_lag: int
    adstock_kinds: tuple[str, ...]


POOL: tuple[Archetype, ...] = (
    Archetype("search", 40_000, ("demand",), 4, ("geometric",)),
    Archetype("social", 25_000, ("always_on", "demand"), 4, ("geometric", "weibull_cdf")),
    Archetype("tv", 60_000, ("flighted",), 8, ("geometric", "weibull_cdf", "weibull_pdf", "delayed")),
    Archetype("radio", 15_000, ("flighted",), 6, ("geometric", "delayed", "weibull_cdf")),
    Archetype("ooh", 12_000, ("flighted",), 6, ("geometric", "weibull_pdf", "delayed")),
    Archetype("display", 15_000, ("bursty", "always_on"), 4, ("geometric", "weibull_cdf")),
    Archetype("video", 20_000, ("flighted", "bursty"), 6, ("geometric", "delayed", "weibull_pdf")),
    Archetype("email", 3_000, ("always_on",), 3, ("geometric",)),
    Archetype("podcast", 8_000, ("flighted", "bursty"), 6, ("geometric", "delayed")),
    Archetype("affiliate", 10_000, ("demand", "always_on"), 3, ("geometric",)),
)
ALWAYS = ("search", "social", "tv")
ROI_CLASSES = ("strong", "weak", "near_zero")


class TrueResponse:
    """True steady-state response r(x) = beta * saturation(x): ``revenue(x)`` and ``marginal(x)`` (vectorised)."""

    def __init__(self, beta: float, saturation_kind: str, saturation_params: dict):
        self.beta, self.saturation_kind = float(beta), saturation_kind
        self.saturation_params = {k: float(v) for k, v in saturation_params.items()}

    def revenue(self, x) -> np.ndarray:
        return self.beta * apply_saturation(np.asarray(x, dtype=float), self.saturation_kind, self.saturation_params)

    def marginal(self, x) -> np.ndarray:
        return self.beta * saturation_derivative(np.asarray(x, dtype=float), self.saturation_kind,
                                                 self.saturation_params)


@dataclass
class Simulation:
    """Weekly data of one market and its truth (money in one currency)."""

    seed: int
    weeks: pd.DatetimeIndex
    spend: pd.DataFrame  # weeks x channels
    revenue: np.ndarray
    controls: pd.DataFrame  # weeks x (price_index, promo_flag)
    components: pd.DataFrame  # weeks x (baseline parts, then one column per channel); sums to revenue - noise
    noise: np.ndarray
    truth: pd.DataFrame  # one row per channel: configuration, spend, contribution, roi, conditions
    config: dict = field(default_factory=dict)

    @property
    def channels(self) -> list[str]:
        return list(self.spend.columns)

    def _row(self, channel: str) -> pd.Series:
        return self.truth.set_index("channel").loc[channel]

    def media_effect(self, channel: str, spend: np.ndarray | None = None) -> np.ndarray:
        """Weekly revenue the channel adds for a spend series (default: its actual spend)."""
        r = self._row(channel)
        x = self.spend[channel].to_numpy(dtype=float) if spend is None else np.asarray(spend, dtype=float)
        w = adstock_weights(r["adstock_kind"], r["adstock_params"], int(r["max_lag"]))
        return r["beta"] * apply_saturation(convolve_lags(x, w), r["saturation_kind"], r["saturation_params"])

    def response(self, channel: str) -> TrueResponse:
        r = self._row(channel)
        return TrueResponse(r["beta"], r["saturation_kind"], r["saturation_params"])

    def responses(self, channels=None) -> list[TrueResponse]:
        return [self.response(c) for c in (channels or self.channels)]

    def lift(self, channel: str, start, end) -> float:
        """True incremental revenue of ``channel`` for a switch-off of weeks [start, end] (carry-over included)."""
        x = self.spend[channel].to_numpy(dtype=float)
        off = x.copy()
        off[(self.weeks >= pd.Timestamp(start)) & (self.weeks <= pd.Timestamp(end))] = 0.0
        return float(np.sum(self.media_effect(channel, x) - self.media_effect(channel, off)))

    def weekly_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame({"week_start_date": self.weeks, "revenue": self.revenue})
        for c in self.channels:
            frame[f"spend_{c}"] = self.spend[c].to_numpy()
        for c in self.controls.columns:
            frame[c] = self.controls[c].to_numpy()
        return frame


def _fourier(weeks: pd.DatetimeIndex, order: int = 2) -> np.ndarray:
    day = weeks.day_of_year.to_numpy(dtype=float)
    cols = []
    for k in range(1, order + 1):
        cols += [np.sin(2 * np.pi * k * day / 365.25), np.cos(2 * np.pi * k * day / 365.25)]
    return np.column_stack(cols)


def _flight_calendar(rng: np.random.Generator, n: int) -> np.ndarray:
    """On/off bursts: runs of 2-6 weeks on, 1-6 off."""
    on = np.zeros(n, dtype=bool)
    t = int(rng.integers(0, 4))
    while t < n:
        run = int(rng.integers(2, 7))
        on[t:t + run] = True
        t += run + int(rng.integers(1, 7))
    return on


def _spend_series(rng: np.random.Generator, pattern: str, n: int, demand: np.ndarray,
                  shared_flights: np.ndarray) -> tuple[np.ndarray, float]:
    """A weekly spend series with mean 1, and how strongly it follows demand (0 = not at all)."""
    tracking = 0.0
    if pattern in ("demand", "always_on"):
        tracking = rng.uniform(0.5, 1.0) if pattern == "demand" else rng.uniform(0.0, 0.15)
        levels, t = np.empty(n), 0
        sigma = 0.2 if pattern == "demand" else 0.45
        while t < n:
            run = int(rng.integers(4, 14))
            levels[t:t + run] = rng.lognormal(0.0, sigma)
            t += run
        x = levels * np.clip(1.0 + tracking * demand, 0.05, None) * rng.lognormal(0.0, 0.15, n)
    elif pattern == "flighted":
        # half the time share the advertiser's campaign calendar (flights overlap), else an own calendar
        # that is partly merged with the shared one
        own = _flight_calendar(rng, n)
        share = rng.uniform(0.3, 0.9)
        on = np.where(rng.random(n) < share, shared_flights, own)
        x = on * rng.lognormal(0.0, 0.3, n)
    else:  # bursty
        x = rng.gamma(1.5, 1.0, n) + (rng.random(n) < 0.12) * rng.gamma(3.0, 1.0, n)
    x = np.clip(x, 0.0, None)
    return x / x.mean(), tracking


def _adstock_params(rng: np.random.Generator, kind: str, max_lag: int) -> dict:
    if kind == "geometric":
        return {"alpha": float(rng.uniform(0.1, 0.7))}
    if kind == "weibull_cdf":
        return {"shape": float(rng.uniform(0.5, 2.5)), "scale": float(rng.uniform(0.1, 0.5))}
    if kind == "weibull_pdf":
        return {"shape": float(rng.uniform(1.5, 4.0)), "scale": float(rng.uniform(0.1, 0.4))}
    if kind == "delayed":
        return {"alpha": float(rng.uniform(0.3, 0.8)), "theta": float(rng.uniform(1.0, min(3.0, max_lag - 1)))}
    raise ValueError(kind)


def _roi_classes(rng: np.random.Generator, names: list[str]) -> dict[str, str]:
    """At least one 'near_zero' and one 'weak' channel, never search or social (they get the lift tests)."""
    others = [c for c in names if c not in ("search", "social")]
    picks = rng.permutation(others)
    classes = {c: "strong" for c in names}
    classes[picks[0]] = "near_zero"
    classes[picks[1]] = "weak"
    for c in names:  # a further weak channel now and then, search and social included
        if classes[c] == "strong" and rng.random() < 0.15:
            classes[c] = "weak"
    return classes


def _true_roi(rng: np.random.Generator, roi_class: str) -> float:
    if roi_class == "near_zero":
        return float(rng.uniform(0.0, 0.05))
    if roi_class == "weak":
        return float(rng.uniform(0.2, 0.7))
    return float(np.clip(1.5 * np.exp(rng.normal(0.0, 0.45)), 0.8, 5.0))


def simulate(seed: int, n_weeks: int | None = None, n_channels: int | None = None,
             noise_share: float | None = None) -> Simulation:
    """Draw one market's configuration and weekly data. Deterministic in ``seed`` (and the overrides)."""
    rng = np.random.default_rng([seed, 20261202])
    n = int(n_weeks or rng.integers(WEEKS_RANGE[0], WEEKS_RANGE[1] + 1))
    n_ch = int(n_channels or rng.integers(N_CHANNELS_RANGE[0], N_CHANNELS_RANGE[1] + 1))
    weeks = pd.date_range(START, periods=n, freq="W-MON")
    fourier = _fourier(weeks)
    demand = fourier @ rng.normal(0, 0.5, fourier.shape[1])
    demand = demand / (np.abs(demand).max() + 1e-9)  # in [-1, 1]

    pool = {a.name: a for a in POOL}
    extra = [a.name for a in POOL if a.name not in ALWAYS]
    names = list(ALWAYS) + list(rng.choice(extra, size=n_ch - len(ALWAYS), replace=False))
    classes = _roi_classes(rng, names)
    shared_flights = _flight_calendar(rng, n)

    spend, rows, media = {}, [], {}
    for name in names:
        arch = pool[name]
        pattern = str(rng.choice(arch.patterns))
        shape, tracking = _spend_series(rng, pattern, n, demand, shared_flights)
        x = np.round(shape * arch.weekly_spend * rng.uniform(0.6, 1.5), 2)
        spend[name] = x
        kind = str(rng.choice(arch.adstock_kinds))
        ad_params = _adstock_params(rng, kind, arch.max_lag)
        ad = convolve_lags(x, adstock_weights(kind, ad_params, arch.max_lag))
        active_mean = float(ad[ad > 0].mean())
        if rng.random() < 0.5:
            sat_kind = "hill"
            sat_params = {"half_saturation": float(rng.uniform(0.5, 2.0) * active_mean),
                          "shape": float(rng.uniform(0.7, 2.5))}
        else:
            sat_kind = "logistic"
            sat_params = {"lam": float(rng.uniform(0.5, 3.0) / active_mean)}
        sat = apply_saturation(ad, sat_kind, sat_params)
        roi = _true_roi(rng, classes[name])
        beta = roi * x.sum() / sat.sum()
        media[name] = beta * sat
        rows.append(dict(channel=name, roi_class=classes[name], spend_pattern=pattern, demand_tracking=tracking,
                         flighted=pattern == "flighted", adstock_kind=kind, adstock_params=ad_params,
                         max_lag=arch.max_lag, saturation_kind=sat_kind, saturation_params=sat_params, beta=beta))
    spend = pd.DataFrame(spend, index=weeks)
    media = pd.DataFrame(media, index=weeks)
    media_total = media.to_numpy().sum(axis=1)

    media_share = rng.uniform(*MEDIA_SHARE_RANGE)
    base_level = media_total.mean() * (1 - media_share) / media_share
    t = np.arange(n) / n
    trend = base_level * rng.uniform(-0.1, 0.25) * t
    seasonality = base_level * rng.uniform(0.08, 0.2) * demand
    price = 1.0 + np.cumsum(rng.normal(0, 0.01, n)) + rng.normal(0, 0.01, n)
    price = np.round(price - (price.mean() - 1.0), 4)
    promo = np.zeros(n)
    promo[rng.choice(n, size=n // 8, replace=False)] = 1.0
    price_part = -base_level * rng.uniform(0.5, 1.5) * (price - 1.0)
    promo_part = base_level * rng.uniform(0.04, 0.1) * promo
    components = pd.DataFrame({"intercept": np.full(n, base_level), "trend": trend, "seasonality": seasonality,
                               "price_index": price_part, "promo_flag": promo_part}, index=weeks)
    components = pd.concat([components, media], axis=1)
    expected = components.to_numpy().sum(axis=1)
    noise_share = float(noise_share if noise_share is not None else rng.uniform(*NOISE_SHARE_RANGE))
    noise = rng.normal(0, noise_share * expected.mean(), n)
    revenue = expected + noise
    controls = pd.DataFrame({"price_index": price, "promo_flag": promo}, index=weeks)

    truth = pd.DataFrame(rows)
    truth["spend"] = spend.sum().to_numpy()
    truth["contribution"] = media.sum().to_numpy()
    truth["roi"] = truth["contribution"] / truth["spend"]
    truth["spend_share"] = truth["spend"] / truth["spend"].sum()
    truth["contribution_share"] = truth["contribution"] / truth["contribution"].sum()
    config = dict(seed=seed, n_weeks=n, n_channels=n_ch, noise_share=noise_share, media_share=float(media_share),
                  base_level=float(base_level))
    return Simulation(seed, weeks, spend, revenue, controls, components, noise, truth, config)


def lift_tests(sim: Simulation, channels=("search", "social"), se_share: float = 0.12, weeks: int = 4,
               seed: int | None = None) -> pd.DataFrame:
    """Switch-off experiments with a measured lift = truth + noise (standard error ``se_share`` of the truth).

    Each runs over the ``weeks``-week window of the last year (before the final 8 weeks) where the channel
    spent most. Columns: experiment_id, channel, start_week, end_week (Mondays), lift, lift_se, true_lift.
    """
    rng = np.random.default_rng([sim.seed if seed is None else seed, 1000])
    rows = []
    for ch in channels:
        if ch not in sim.channels:
            continue
        rolling = sim.spend[ch].rolling(weeks).sum().iloc[-52:-8]
        end = rolling.idxmax()
        start = end - pd.Timedelta(weeks=weeks - 1)
        true = sim.lift(ch, start, end)
        se = max(se_share * abs(true), 1.0)
        rows.append(dict(experiment_id=f"lt_{ch}_{start:%Y%m%d}", channel=ch, start_week=start, end_week=end,
                         lift=true + rng.normal(0, se), lift_se=se, true_lift=true))
    return pd.DataFrame(rows, columns=["experiment_id", "channel", "start_week", "end_week", "lift", "lift_se",
                                       "true_lift"])
