"""Model specification: channel settings, the parameter layout, the media function and the baseline design.

The model of weekly revenue y[t] in one market::

    y[t] = B[t] @ gamma + sum_c m_c[t] + e[t],        e[t] ~ N(0, sigma^2)
    m_c[t] = beta_c * sat_c(adstock_c(x_c)[t])
    beta_c = roi_c * sum_t x_c[t] / sum_t sat_c(adstock_c(x_c)[t])     (sums over the training weeks)

so each channel's effect is parameterised by its ROI over the training period (what practitioners
can put a prior on, as Google Meridian does) and by its adstock and saturation parameters, whose
forms, priors and links live in ``mmm.transforms`` (one class per form). B holds the baseline:
intercept, linear trend, Fourier yearly seasonality, holiday count and controls; gamma is profiled out
by ridge least squares (signed effects allowed), and sigma by its MLE.

Every nonlinear parameter lives on an unconstrained scale z; priors are normal on that scale, so the
MAP search and the Laplace approximation both work in z. Adstock weights are normalised (sum to 1),
so sustained spend x has steady-state adstock x and the half-saturation is in spend units, relative to
the channel's mean weekly spend over the training weeks (its ``reference spend``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mmm.transforms import Prior, full_name, get_adstock, get_saturation, to_natural


@dataclass(frozen=True)
class ChannelSpec:
    """Per-channel model settings (one row of ``int_channel_settings``, from the ``channel_config`` seed).

    The defaults are those ``int_channel_settings`` gives a channel missing from the seed. A ROI prior
    median of None means: centre the prior on the ROI implied by media driving 20% of revenue.
    ``priors`` sets this channel's prior of any parameter by full name, as (mean, sd) on the unconstrained
    scale (e.g. ``{"roi": (log 1.3, 0.4), "adstock_alpha": (0.2, 0.5)}``): pooling across markets and the
    refresh from a previous run use it; it wins over the ROI median/sigma and over the forms' defaults.
    """

    name: str
    adstock_kind: str = "geometric"
    max_lag: int = 4
    saturation_kind: str = "hill"
    roi_prior_median: float | None = 1.0
    roi_prior_sigma: float = 1.0
    priors: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = f"channel {self.name}"
        try:
            get_adstock(self.adstock_kind)
            get_saturation(self.saturation_kind)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        object.__setattr__(self, "priors", {str(k): (float(v[0]), float(v[1])) for k, v in dict(self.priors).items()})
        unknown = set(self.priors) - set(self.parameter_names())
        if unknown:
            raise ValueError(f"{where}: priors for unknown parameters {sorted(unknown)}; known: {self.parameter_names()}")
        if any(not sd > 0 for _, sd in self.priors.values()):
            raise ValueError(f"{where}: every prior sd must be positive, got {self.priors}")
        if int(self.max_lag) != self.max_lag or self.max_lag < 0:
            raise ValueError(f"{where}: max_lag must be a whole number of weeks >= 0, got {self.max_lag}")
        if not self.roi_prior_sigma > 0:
            raise ValueError(f"{where}: roi_prior_sigma must be positive, got {self.roi_prior_sigma}")

    def parameter_names(self) -> list[str]:
        """Full names of this channel's parameters: adstock, saturation, then ``roi``."""
        ad, sat = get_adstock(self.adstock_kind), get_saturation(self.saturation_kind)
        return ([full_name(ad.component, p.name) for p in ad.parameters]
                + [full_name(sat.component, p.name) for p in sat.parameters] + ["roi"])


ROI_LINK = "log"


@dataclass
class Layout:
    """Where each channel's parameters sit in the flat unconstrained vector z.

    Entry i is parameter ``names[i] = (channel, full name)`` with link ``links[i]`` and prior
    N(prior_mean[i], prior_sd[i]) on z[i]. ``slots[j, c]`` is the entry of channel c's j-th parameter
    (-1 when the channel has fewer): perturbing one slot moves one parameter of every channel.
    """

    channels: list[ChannelSpec]
    names: list[tuple[str, str]]
    entry_channel: np.ndarray  # (P,) channel index of each entry
    links: np.ndarray  # (P,) link name of each entry
    slots: np.ndarray  # (n_slots, C)
    prior_mean: np.ndarray
    prior_sd: np.ndarray
    # optional terms (empty when off): channel index -> its drift entries (mmm.time_varying), and per synergy
    # term (channel a, channel b, entry of its coefficient) (mmm.synergy)
    drift: dict[int, list[int]] = field(default_factory=dict)
    drift_knots: dict[int, int] = field(default_factory=dict)
    synergy: list[tuple[int, int, int]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.names)

    def index(self, channel: str, parameter: str) -> int:
        return self.names.index((channel, parameter))

    def roi_index(self) -> np.ndarray:
        return np.array([self.index(c.name, "roi") for c in self.channels])


IDENTITY_LINK = "identity"  # a signed coefficient (a synergy term's): natural value = z


def build_layout(channels: list[ChannelSpec], priors: dict[str, Prior] | None = None, time_varying: tuple = (),
                 interactions: tuple = ()) -> Layout:
    """Entries for every channel's parameters; ``priors`` overrides a form's default prior by full name.

    Optional terms (empty = off, and the layout is then exactly the plain model's): ``time_varying``
    ((channel, knots, step_sd), ...) adds, after the channel's ROI, ``knots - 1`` entries ``effect_drift_k``: the
    log change of its effectiveness from knot k - 1 to knot k, prior N(0, step_sd) (a random walk);
    ``interactions`` ((channel_a, channel_b, prior_sd), ...) adds one entry ``synergy_roi`` per pair, owned by
    no channel (identity link, prior N(0, prior_sd): shrunk toward no synergy). Pairs or drifting channels not
    modeled in the market are skipped.
    """
    priors = priors or {}
    names, links, owner, means, sds = [], [], [], [], []
    index = {c.name: i for i, c in enumerate(channels)}
    drifting = {index[c]: (int(k), float(sd)) for c, k, sd in time_varying if c in index and int(k) >= 2}
    n_slots = max(len(c.parameter_names()) + (drifting[i][0] - 1 if i in drifting else 0) for i, c in enumerate(channels))
    slots = -np.ones((n_slots, len(channels)), dtype=int)
    drift: dict[int, list[int]] = {}
    for ci, ch in enumerate(channels):
        forms = [get_adstock(ch.adstock_kind), get_saturation(ch.saturation_kind)]
        entries = [(full_name(f.component, p.name), p.link, p.prior) for f in forms for p in f.parameters]
        roi_median = ch.roi_prior_median if ch.roi_prior_median is not None else 1.0
        entries.append(("roi", ROI_LINK, Prior(float(np.log(roi_median)), float(ch.roi_prior_sigma))))
        for j, (name, link, prior) in enumerate(entries):
            prior = priors.get(name, prior)
            if name in ch.priors:
                prior = Prior(*ch.priors[name])
            slots[j, ci] = len(names)
            names.append((ch.name, name))
            links.append(link)
            owner.append(ci)
            means.append(prior.mean)
            sds.append(prior.sd)
        if ci in drifting:
            knots, step_sd = drifting[ci]
            for k in range(1, knots):
                slots[len(entries) + k - 1, ci] = len(names)
                drift.setdefault(ci, []).append(len(names))
                names.append((ch.name, f"effect_drift_{k}"))
                links.append("log")  # natural value: the effectiveness ratio from knot k - 1 to knot k
                owner.append(ci)
                means.append(0.0)
                sds.append(step_sd)
    synergy = []
    for a, b, sd in interactions:
        if a in index and b in index and a != b:
            synergy.append((index[a], index[b], len(names)))
            names.append((f"{a} x {b}", "synergy_roi"))
            links.append(IDENTITY_LINK)
            owner.append(-1)
            means.append(0.0)
            sds.append(float(sd))
    return Layout(channels, names, np.array(owner), np.array(links), slots, np.array(means), np.array(sds), drift,
                  {ci: drifting[ci][0] for ci in drift}, synergy)


@dataclass
class MediaInputs:
    """Spend columns the media function transforms: the channels, then one switched-off copy per lift test."""

    spend: np.ndarray  # (T, K) columns
    column_channel: np.ndarray  # (K,) channel index of each column
    train: np.ndarray  # (T,) bool, weeks used for fitting
    reference_spend: np.ndarray  # (C,) mean weekly spend per channel over the training weeks
    train_spend_total: np.ndarray  # (C,)


def media_inputs(spend: np.ndarray, train: np.ndarray, extra_columns: np.ndarray | None = None,
                 extra_channel: np.ndarray | None = None) -> MediaInputs:
    c = spend.shape[1]
    cols = spend if extra_columns is None else np.column_stack([spend, extra_columns])
    chan = np.arange(c) if extra_channel is None else np.concatenate([np.arange(c), extra_channel])
    total = spend[train].sum(axis=0)
    ref = np.where(total > 0, total / max(train.sum(), 1), 1.0)
    return MediaInputs(cols, chan.astype(int), train, ref, total)


class MediaModel:
    """The media part of the model: f[t, k] = sat(adstock(x_k))[t] for every spend column, and beta.

    Channels are grouped by form so one call of the form's vectorised formula transforms a whole group;
    this is the hot path of the fit (hundreds of calls per start). The formulas are the forms' own
    (``mmm.transforms``): nothing is re-implemented here.
    """

    def __init__(self, layout: Layout, inputs: MediaInputs, weeks: pd.DatetimeIndex | None = None):
        self.layout, self.inputs = layout, inputs
        chans = layout.channels
        self.max_lags = np.array([ch.max_lag for ch in chans], dtype=float)
        lmax = int(self.max_lags.max())
        self.lags = np.arange(lmax + 1, dtype=float)[:, None]
        self.lag_mask = (self.lags <= self.max_lags[None, :]).astype(float)
        self.col = inputs.column_channel
        # lagged[k, t, l] = x[t - l, k] (0 before the first week): adstock is then one batched product per call
        x = np.asarray(inputs.spend, dtype=float)
        self.lagged = np.zeros((x.shape[1], x.shape[0], lmax + 1))
        for lag in range(min(lmax + 1, x.shape[0])):
            self.lagged[:, lag:, lag] = x[: x.shape[0] - lag].T
        self.roi_idx = layout.roi_index()
        self.entry_ref = inputs.reference_spend[layout.entry_channel]
        self.entry_lag = self.max_lags[layout.entry_channel]
        self.identity = np.flatnonzero(layout.links == IDENTITY_LINK)
        self.adstock_groups = self._groups("adstock_kind", get_adstock)
        self.saturation_groups = self._groups("saturation_kind", get_saturation)
        self.has_terms = bool(layout.drift or layout.synergy)
        self.synergy_terms: list[tuple[int, int, float, int]] = []  # (channel a, channel b, kappa, entry)
        if self.has_terms:
            from mmm.time_varying import knot_basis

            n_train = int(inputs.train.sum())
            self.drift_basis = {ci: knot_basis(len(inputs.train), n_train, k) for ci, k in layout.drift_knots.items()}
            f0 = self.features(layout.prior_mean)  # kappa: the pair's spend over sum f_a f_b at the prior centre
            for a, b, e in layout.synergy:
                denom = float((f0[inputs.train, a] * f0[inputs.train, b]).sum())
                spend = float(inputs.train_spend_total[a] + inputs.train_spend_total[b])
                self.synergy_terms.append((a, b, spend / denom if denom > 0 else 0.0, e))

    def _groups(self, attribute: str, lookup) -> list[tuple]:
        chans = self.layout.channels
        out = []
        for kind in dict.fromkeys(getattr(ch, attribute) for ch in chans):
            form = lookup(kind)
            idx = np.array([i for i, ch in enumerate(chans) if getattr(ch, attribute) == kind])
            entries = {p.name: np.array([self.layout.index(chans[i].name, full_name(form.component, p.name))
                                         for i in idx]) for p in form.parameters}
            cols = np.flatnonzero(np.isin(self.col, idx))
            pos = np.searchsorted(idx, self.col[cols])  # column -> position within the group
            out.append((form, idx, entries, cols, pos))
        return out

    def natural(self, z: np.ndarray) -> np.ndarray:
        """Natural value of every entry of z (z may be (P,) or draws (D, P))."""
        nat = to_natural(z, self.layout.links, self.entry_ref, self.entry_lag)
        if len(self.identity):
            nat[..., self.identity] = np.asarray(z, dtype=float)[..., self.identity]
        return nat

    def weights(self, nat: np.ndarray) -> np.ndarray:
        """Normalised lag weights (L + 1, C) of every channel, from natural parameter values (P,)."""
        w_all = np.zeros((self.lags.shape[0], len(self.layout.channels)))
        for form, idx, entries, _, _ in self.adstock_groups:
            w = form.weights({p: nat[e] for p, e in entries.items()}, self.lags, self.max_lags[idx])
            w = w * self.lag_mask[:, idx]
            w_all[:, idx] = w / np.maximum(w.sum(axis=0, keepdims=True), 1e-300)
        return w_all

    def adstock(self, w_col: np.ndarray) -> np.ndarray:
        """a[..., t, k] = sum_l w[l, ..., k] x[t - l, k] for lag weights (L + 1, K) or per draw (L + 1, D, K): the causal
        convolution of ``transforms.convolve_lags`` as a batched matrix product over the precomputed lags."""
        if w_col.ndim == 2:
            return np.matmul(self.lagged, w_col.T[:, :, None])[:, :, 0].T
        return np.matmul(self.lagged, w_col.transpose(2, 0, 1)).transpose(2, 1, 0)

    def features(self, z: np.ndarray) -> np.ndarray:
        """f[t, k] for every spend column at unconstrained parameters z (P,)."""
        nat = self.natural(z)
        adstocked = self.adstock(self.weights(nat)[:, self.col])
        f = np.empty_like(adstocked)
        for form, _, entries, cols, pos in self.saturation_groups:
            f[:, cols] = form.apply(adstocked[:, cols], {p: nat[e][pos] for p, e in entries.items()})
        return f

    def effectiveness(self, z: np.ndarray) -> np.ndarray:
        """w[t, c]: each channel's effectiveness multiplier (1 for a channel without drift; mmm.time_varying)."""
        w = np.ones((len(self.inputs.train), len(self.layout.channels)))
        for ci, entries in self.layout.drift.items():
            w[:, ci] = np.exp(self.drift_basis[ci] @ np.concatenate([[0.0], np.cumsum(np.asarray(z, float)[entries])]))
        return w

    def parts(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(own effect of every spend column (T, K), saturated feature f (T, K), beta (C,)) with the optional terms.

        own_k = beta_c w_c f_k (c the column's channel), beta_c = roi_c * (training spend of c) / sum_train w_c f_c,
        so roi_c stays the channel's own ROI over the training weeks whatever its effectiveness path.
        """
        f = self.features(z)
        w = self.effectiveness(z)[:, self.col]
        c = len(self.layout.channels)
        fsum = (w * f)[self.inputs.train, :c].sum(axis=0)
        roi = np.exp(np.asarray(z, float)[self.roi_idx])
        beta = np.where(fsum > 0, roi * self.inputs.train_spend_total / np.where(fsum > 0, fsum, 1.0), 0.0)
        return f * w * beta[self.col], f, beta

    def partners(self) -> dict[int, list[tuple[int, float, int]]]:
        """channel -> [(the other channel of a synergy term, kappa, the term's entry)]."""
        out: dict[int, list[tuple[int, float, int]]] = {}
        for a, b, kappa, e in self.synergy_terms:
            out.setdefault(a, []).append((b, kappa, e))
            out.setdefault(b, []).append((a, kappa, e))
        return out

    def synergy_effects(self, z: np.ndarray, f: np.ndarray | None = None) -> np.ndarray:
        """s[t, j] = kappa_j rho_j f_a f_b of every synergy term j (T, S)."""
        f = self.features(z) if f is None else f
        z = np.asarray(z, float)
        return np.column_stack([kappa * z[e] * f[:, a] * f[:, b] for a, b, kappa, e in self.synergy_terms]) \
            if self.synergy_terms else np.zeros((f.shape[0], 0))

    def media(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weekly media effect m[t, k] of every spend column, and beta per channel.

        beta_c = roi_c * (training spend of c) / (sum over training weeks of f_c).

        With optional terms (``parts``): a synergy term s_ab is split equally between the columns of a and b (each
        channel's Shapley share of a product term), so the channels' columns still sum to the total media effect;
        a lift test's switched-off copy of a holds own_off + kappa rho f_off f_b - s_ab / 2, so that the column
        difference is the lift, the synergy the switched-off weeks lose included.
        """
        if self.has_terms:
            own, f, beta = self.parts(z)
            z = np.asarray(z, float)
            for a, b, kappa, e in self.synergy_terms:
                s = kappa * z[e] * f[:, a] * f[:, b]
                own[:, a] += 0.5 * s
                own[:, b] += 0.5 * s
                for k in np.flatnonzero(self.col == a)[1:]:
                    own[:, k] += kappa * z[e] * f[:, k] * f[:, b] - 0.5 * s
                for k in np.flatnonzero(self.col == b)[1:]:
                    own[:, k] += kappa * z[e] * f[:, a] * f[:, k] - 0.5 * s
            return own, beta
        f = self.features(z)
        c = len(self.layout.channels)
        fsum = f[self.inputs.train, :c].sum(axis=0)
        roi = np.exp(z[self.roi_idx])
        beta = np.where(fsum > 0, roi * self.inputs.train_spend_total / np.where(fsum > 0, fsum, 1.0), 0.0)
        return f * beta[self.col], beta

    def media_draws(self, zs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``media`` for many parameter vectors at once: zs (D, P) -> (media (D, T, K), beta (D, C)).

        Vectorised over the draws (one numpy pass per lag and form instead of one ``media`` call per draw);
        with optional terms (synergy, drift) it falls back to one call per draw.
        """
        zs = np.atleast_2d(np.asarray(zs, dtype=float))
        if self.has_terms:
            out = [self.media(z) for z in zs]
            return np.array([m for m, _ in out]), np.array([b for _, b in out])
        nat = self.natural(zs)  # (D, P)
        n_draws, c = len(zs), len(self.layout.channels)
        lags = self.lags[:, :, None]  # (L + 1, 1, 1)
        w_all = np.zeros((self.lags.shape[0], n_draws, c))
        for form, idx, entries, _, _ in self.adstock_groups:
            w = form.weights({p: nat[:, e] for p, e in entries.items()}, lags, self.max_lags[idx])
            w = w * self.lag_mask[:, None, idx]
            w_all[:, :, idx] = w / np.maximum(w.sum(axis=0, keepdims=True), 1e-300)
        adstocked = self.adstock(w_all[:, :, self.col])  # (D, T, K)
        f = np.empty_like(adstocked)
        for form, _, entries, cols, pos in self.saturation_groups:
            f[:, :, cols] = form.apply(adstocked[:, :, cols], {p: nat[:, e][:, pos][:, None, :] for p, e in entries.items()})
        fsum = f[:, self.inputs.train, :c].sum(axis=1)  # (D, C)
        roi = np.exp(zs[:, self.roi_idx])
        beta = np.where(fsum > 0, roi * self.inputs.train_spend_total / np.where(fsum > 0, fsum, 1.0), 0.0)
        return f * beta[:, None, self.col], beta

    def channel_parameters(self, z: np.ndarray) -> list[dict[str, float | np.ndarray]]:
        """Per channel: {full parameter name: natural value} (arrays of shape (D,) when z is (D, P))."""
        nat = self.natural(z)
        out = [{} for _ in self.layout.channels]
        for i, (channel, name) in enumerate(self.layout.names):
            if self.layout.entry_channel[i] >= 0:  # synergy terms belong to no channel
                out[self.layout.entry_channel[i]][name] = nat[..., i]
        return out

    def saturation_parameters(self, z: np.ndarray) -> list[dict[str, float | np.ndarray]]:
        """Per channel: the saturation form's parameters by short name (for ``mmm.response``)."""
        nat = self.natural(z)
        out = []
        for ch in self.layout.channels:
            form = get_saturation(ch.saturation_kind)
            out.append({p.name: nat[..., self.layout.index(ch.name, full_name(form.component, p.name))]
                        for p in form.parameters})
        return out


@dataclass
class Baseline:
    """Baseline design B (columns standardised except the intercept) and its component groups."""

    design: np.ndarray  # (T, P)
    columns: list[str]
    groups: dict[str, list[int]] = field(default_factory=dict)  # component -> column indexes


def fourier_terms(weeks: pd.DatetimeIndex, order: int) -> pd.DataFrame:
    """sin/cos(2 pi k day_of_year / 365.25), k = 1..order."""
    day = np.asarray(weeks.day_of_year, dtype=float)
    cols = {}
    for k in range(1, order + 1):
        cols[f"sin_{k}"] = np.sin(2 * np.pi * k * day / 365.25)
        cols[f"cos_{k}"] = np.cos(2 * np.pi * k * day / 365.25)
    return pd.DataFrame(cols, index=weeks)


def build_baseline(weeks: pd.DatetimeIndex, controls: pd.DataFrame | None, holiday_count: np.ndarray | None,
                   seasonality_order: int, train: np.ndarray, trend: bool = True) -> Baseline:
    """Intercept, trend (weeks since start / 52), Fourier seasonality, holidays, controls.

    Columns other than the intercept are centred and scaled on the training weeks; columns constant
    over the training weeks are dropped (they cannot be estimated).
    """
    n = len(weeks)
    parts: list[tuple[str, str, np.ndarray]] = [("intercept", "intercept", np.ones(n))]
    if trend:
        parts.append(("trend", "trend", np.arange(n) / 52.0))
    for name, col in fourier_terms(weeks, seasonality_order).items():
        parts.append(("seasonality", name, col.to_numpy()))
    if holiday_count is not None:
        parts.append(("holidays", "holiday_count", np.asarray(holiday_count, float)))
    if controls is not None:
        for name in controls.columns:
            parts.append((str(name), str(name), controls[name].to_numpy(dtype=float)))
    cols, names, groups = [], [], {}
    for group, name, x in parts:
        if group != "intercept":
            sd = x[train].std()
            if not np.isfinite(sd) or sd < 1e-12:
                continue
            x = (x - x[train].mean()) / sd
        groups.setdefault(group, []).append(len(cols))
        cols.append(x)
        names.append(name)
    return Baseline(np.column_stack(cols), names, groups)
