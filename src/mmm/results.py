"""The fit result: what a market fit produced, and how it is stored and restored.

``FitResult`` is lean and typed: the channels modeled, the fit settings, the MAP and its Laplace
covariance, the posterior draws, the noise scale, the checks run at fit time, the cross-validation
folds and a few fit statistics, plus two pieces of metadata:

* ``schema_version``: the layout of the stored result. A result written by another version of the
  package is refused with a message saying to rebuild the fit, never misread;
* ``input_fingerprint``: a hash of everything the fit depended on (the market's weekly data, its lift
  tests, the channel settings and the fit settings). Restoring a result against different input (a
  partial build that paired a stale fit with new data, say) is refused with a message naming what to
  rebuild. PyMC-Marketing's ``ModelIO.load_from_idata`` guards its saved models the same way.

The stored form is one JSON document per market (``FitResult.to_json``): floats round-trip exactly, so a
restored result gives bit-identical tables. The posterior draws, nine tenths of a document when written out,
are stored only when they are not the seeded Laplace draws ``posterior_draws(z, cov, n_draws, seed, market)``;
those (every fit of ``mmm.engine.fit_market``) are drawn again on restore, identical to the bit, so the stored
fit of 1,000 markets is about 40 MB instead of 370 MB and every model that reads it needs that much less memory.
The draws' random stream depends on the seed and on the market's name (draws rule ``laplace_by_market``), so
two markets' draws are independent and the national outputs, which add the markets' draws up, get the right
width. Fits stored under the older rule ``laplace`` (one stream for every market) are still read with it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from mmm.fit import FitConfig, MarketData
from mmm.model import ChannelSpec
from mmm.transforms import Prior

SCHEMA_VERSION = 4  # 1 was the unversioned MarketFit.state() of mmm_fit_state; 3 adds the holdout forecast;
# 4 stores the draws only when they are not the seeded Laplace draws (``draws_rule``)
READABLE_VERSIONS = (3, 4)  # version 3 documents always carry their draws
LAPLACE_DRAWS = "laplace"  # one random stream for every market (fits stored before the market's name was used)
LAPLACE_MARKET_DRAWS = "laplace_by_market"  # the stream of the seed and the market's name


def name_key(name: str) -> int:
    """A stable 64-bit integer of a name (market, channel) for seeding its own random stream with the run's seed."""
    return int.from_bytes(hashlib.sha256(str(name).encode()).digest()[:8], "little")


def posterior_draws(z: np.ndarray, cov: np.ndarray, n: int, seed: int, market: str | None = None) -> np.ndarray:
    """``n`` draws from N(z, cov), deterministic in ``seed`` and ``market``.

    With ``market`` the stream is seeded by (seed, a hash of the market's name), so different markets' draws are
    independent: a national total of the markets' draws then has the spread of a sum of independent errors. Without
    it every market with the same seed and size draws the same standard normals (rule ``laplace``, read only for fits
    stored that way), which made the markets' errors move together in the national outputs.
    """
    rng = np.random.default_rng(seed + 1 if market is None else [seed + 1, name_key(market)])
    chol = np.linalg.cholesky(cov + 1e-12 * np.eye(len(z)))
    return z + rng.normal(size=(n, len(z))) @ chol.T


class StaleFitError(RuntimeError):
    """A stored fit does not belong to the input it is being restored with (or to this package version)."""


def input_fingerprint(data: MarketData, specs: list[ChannelSpec], config: FitConfig) -> str:
    """SHA-256 of everything a market's fit depends on (exact bytes of the numbers, names, settings)."""
    h = hashlib.sha256()

    def add(label: str, payload: bytes) -> None:
        h.update(label.encode() + b"\0" + len(payload).to_bytes(8, "little") + payload)

    def add_frame(label: str, frame: pd.DataFrame | None) -> None:
        if frame is None or len(frame) == 0:
            add(label, b"none")
            return
        add(label + ".columns", json.dumps([str(c) for c in frame.columns]).encode())
        for col in frame.columns:
            values = frame[col]
            if pd.api.types.is_numeric_dtype(values):
                add(f"{label}.{col}", np.ascontiguousarray(values.to_numpy(dtype=float)).tobytes())
            else:
                add(f"{label}.{col}", json.dumps([str(v) for v in values]).encode())

    add("weeks", json.dumps([str(w.date()) for w in data.weeks]).encode())
    add("revenue", np.ascontiguousarray(np.asarray(data.revenue, dtype=float)).tobytes())
    add_frame("spend", data.spend)
    add_frame("controls", data.controls)
    add("holidays", b"none" if data.holiday_count is None
        else np.ascontiguousarray(np.asarray(data.holiday_count, dtype=float)).tobytes())
    add_frame("lift_tests", None if data.lift_tests is None else data.lift_tests.astype(str))
    add("specs", json.dumps([asdict(s) for s in specs], sort_keys=True).encode())
    add("config", json.dumps(_config_dict(config), sort_keys=True).encode())
    return h.hexdigest()


def _config_dict(config: FitConfig) -> dict:
    out = {k: v for k, v in asdict(config).items() if k != "priors"}
    out["priors"] = {k: [p.mean, p.sd] for k, p in sorted(config.priors.items())}
    return out


@dataclass
class FitResult:
    """One market's fit. ``z`` and ``draws`` are on the unconstrained scale of ``mmm.model.Layout``."""

    market: str
    specs: list[ChannelSpec]  # the channels modeled (usable ones), in layout order
    config: FitConfig
    z: np.ndarray  # (P,) MAP
    cov: np.ndarray  # (P, P) Laplace covariance at the MAP
    draws: np.ndarray  # (D, P) posterior draws
    sigma: float  # residual standard deviation of weekly revenue
    checks: pd.DataFrame  # input and identification checks (mmm.checks.CHECK_COLUMNS)
    input_fingerprint: str
    cv: pd.DataFrame | None = None  # rolling-origin cross-validation folds (mmm.validation)
    holdout_forecast: np.ndarray | None = None  # the last holdout_weeks weeks forecast by a fit without them
    week_weights: np.ndarray | None = None  # likelihood weight of each week (Student-t EM; None: all 1)
    stats: dict = field(default_factory=dict)  # objective, starts, convergence, evaluations, seconds
    schema_version: int = SCHEMA_VERSION

    @property
    def channels(self) -> list[str]:
        return [s.name for s in self.specs]

    @property
    def fit_seconds(self) -> float:
        return float(self.stats.get("fit_seconds", np.nan))

    def to_json(self) -> str:
        """The stored form (one JSON document); floats round-trip exactly."""
        cv = None
        if self.cv is not None:
            cv = self.cv.assign(test_start=self.cv["test_start"].astype(str)).to_dict(orient="list")
        rule = self.draws_rule()
        return json.dumps({
            "schema_version": SCHEMA_VERSION, "market": self.market, "input_fingerprint": self.input_fingerprint,
            "specs": [asdict(s) for s in self.specs], "config": _config_dict(self.config),
            "z": self.z.tolist(), "cov": self.cov.tolist(), "draws_rule": rule,
            "draws": None if rule else self.draws.tolist(), "sigma": self.sigma,
            "checks": self.checks.to_dict(orient="list"), "cv": cv, "stats": self.stats,
            "holdout_forecast": None if self.holdout_forecast is None else self.holdout_forecast.tolist(),
            "week_weights": None if self.week_weights is None else self.week_weights.tolist(),
        })

    @classmethod
    def from_json(cls, text: str) -> FitResult:
        """Read a stored result; refuses one written with another schema version."""
        doc = json.loads(text)
        version = doc.get("schema_version", 1)
        if version not in READABLE_VERSIONS:
            raise StaleFitError(
                f"the stored fit of market {doc.get('market', '?')} has schema version {version}, but this package "
                f"reads versions {', '.join(map(str, READABLE_VERSIONS))}: rebuild the fit (`dbt build --select mmm_fit+`).")
        config = FitConfig(**{**doc["config"], "priors": {k: Prior(*v) for k, v in doc["config"].get("priors", {}).items()}})
        z, cov = np.array(doc["z"], dtype=float), np.array(doc["cov"], dtype=float)
        rule = doc.get("draws_rule")
        if rule in (LAPLACE_DRAWS, LAPLACE_MARKET_DRAWS):
            draws = posterior_draws(z, cov, config.n_draws, config.seed, doc["market"] if rule == LAPLACE_MARKET_DRAWS else None)
        elif rule is None:
            draws = np.array(doc["draws"], dtype=float)
        else:
            raise StaleFitError(f"the stored fit of market {doc.get('market', '?')} names draws rule {rule!r}, which this "
                                "package does not know: rebuild the fit (`dbt build --select mmm_fit+`).")
        cv = pd.DataFrame(doc["cv"]) if doc.get("cv") else None
        if cv is not None:
            cv["test_start"] = pd.to_datetime(cv["test_start"])
        return cls(market=doc["market"], specs=[ChannelSpec(**s) for s in doc["specs"]],
                   config=config, z=z, cov=cov, draws=draws,
                   sigma=float(doc["sigma"]), checks=pd.DataFrame(doc["checks"]),
                   input_fingerprint=doc["input_fingerprint"], cv=cv, stats=doc.get("stats", {}),
                   holdout_forecast=None if doc.get("holdout_forecast") is None
                   else np.array(doc["holdout_forecast"], dtype=float),
                   week_weights=None if doc.get("week_weights") is None else np.array(doc["week_weights"], dtype=float),
                   schema_version=version)

    def draws_rule(self) -> str | None:
        """The rule that redraws ``draws`` exactly from ``z``, ``cov``, the seed (and the market), or None: the draws are
        then not stored."""
        n = len(self.draws)
        if n != self.config.n_draws or self.draws.ndim != 2 or self.draws.shape[1] != len(self.z):
            return None
        for rule, market in ((LAPLACE_MARKET_DRAWS, self.market), (LAPLACE_DRAWS, None)):
            try:
                if np.array_equal(self.draws, posterior_draws(self.z, self.cov, n, self.config.seed, market)):
                    return rule
            except np.linalg.LinAlgError:
                return None
        return None

    def verify_input(self, data: MarketData, requested_specs: list[ChannelSpec], config: FitConfig) -> None:
        """Raise StaleFitError unless ``data``, the channel settings and the fit settings are the ones fitted."""
        now = input_fingerprint(data, requested_specs, config)
        if now != self.input_fingerprint:
            raise StaleFitError(
                f"the stored fit of market {self.market} was made from different input (fingerprint "
                f"{self.input_fingerprint[:12]}, the input now gives {now[:12]}): the model input, lift tests, "
                "channel settings or fit settings changed since. Rebuild the fit with the outputs "
                "(`dbt build --select mmm_fit+`).")
