"""Orchestration: build datasets, fit every system on each (ours in-process children, peers in their venvs),
score against the truth, write the CSVs after every dataset (so a stopped run keeps what it did).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import cache, datasets, metrics, ours, venvs

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
HERE = Path(__file__).resolve().parent
LOOKBACK_WEEKS = 13  # "current" weekly spend for the capture score = trailing 13-week mean (product default)

PYMC_REVISION = 1  # bump when pymc_runner.py changes what it computes (invalidates cached PyMC fits)
MERIDIAN_REVISION = 1
MERIDIAN_LIMIT_S = 15 * 60


@dataclass
class PeerSpec:
    system: str  # cache folder and label
    venv: str
    runner: str
    config: dict
    args: list[str]
    timeout_s: int
    label: str


def pymc_spec(quick: bool) -> PeerSpec:
    draws, tune = (200, 200) if quick else (1000, 1000)
    config = {"class": "pymc_marketing.mmm.MMM", "adstock": "GeometricAdstock(l_max=8)",
              "saturation": "LogisticSaturation()", "yearly_seasonality": 2, "priors": "library defaults",
              "controls": "dataset controls + linear trend t (as in its documented example)",
              "chains": 2, "draws": draws, "tune": tune, "random_seed": 20261122, "interval": "5-95% quantiles",
              "runner_revision": PYMC_REVISION}
    label = "pymc-marketing" + ("[QUICK 200+200 draws, not default]" if quick else "")
    # quick fits live in their own cache folder, so a smoke test never replaces the real cached fits
    return PeerSpec("pymc-marketing" + ("-quick" if quick else ""), "pymc-marketing", "pymc_runner.py", config,
                    ["--draws", str(draws), "--tune", str(tune), "--chains", "2"], 60 * 60, label)


def meridian_spec(quick: bool) -> PeerSpec:
    # Meridian's user guide ("Run the model"): sample_posterior(n_chains=7, n_adapt=500, n_burnin=500, n_keep=1000)
    chains, adapt, burnin, keep = (2, 100, 100, 100) if quick else (7, 500, 500, 1000)
    config = {"class": "meridian.model.Meridian", "model_spec": "ModelSpec() defaults (ROI priors, Hill, geometric)",
              "kpi_type": "revenue", "controls": "dataset controls", "n_chains": chains, "n_adapt": adapt,
              "n_burnin": burnin, "n_keep": keep, "seed": 20261122, "interval": "5-95% quantiles",
              "runner_revision": MERIDIAN_REVISION}
    label = "meridian" + ("[QUICK 2 chains x 100, not default]" if quick else "")
    return PeerSpec("meridian" + ("-quick" if quick else ""), "meridian", "meridian_runner.py", config,
                    ["--chains", str(chains), "--adapt", str(adapt), "--burnin", str(burnin), "--keep", str(keep)],
                    MERIDIAN_LIMIT_S, label)


def _current_spend(ds: datasets.Dataset) -> np.ndarray:
    return ds.weekly[ds.channels].to_numpy(float)[-LOOKBACK_WEEKS:].mean(axis=0)


def run_ours(ds: datasets.Dataset, folder: Path, lift: bool) -> dict:
    out = folder / f"ours_{int(lift)}.json"
    cmd = [sys.executable, str(HERE / "ours.py"), "--folder", str(folder), "--lift", str(int(lift)), "--out", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        return {"status": "failed", "error": res.stderr[-2000:]}
    r = json.loads(out.read_text())
    r["status"] = "ok"
    return r


def run_peer(spec: PeerSpec, ds: datasets.Dataset, folder: Path, log) -> dict:
    python = venvs.ensure(spec.venv, log)
    out = folder / f"{spec.system}.json"
    out.unlink(missing_ok=True)
    cmd = ["nice", "-n", "10", str(python), str(HERE / spec.runner), "--folder", str(folder), "--out", str(out),
           *spec.args]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    t0 = time.time()
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=spec.timeout_s, env=env)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "error": f"did not finish within {spec.timeout_s / 60:.0f} min; stopped",
                "seconds": time.time() - t0, "timeout_s": spec.timeout_s}
    (folder / f"{spec.system}.log").write_text(res.stdout[-20000:] + "\n--- stderr ---\n" + res.stderr[-20000:])
    if res.returncode != 0 or not out.exists():
        err = [ln for ln in res.stderr.strip().splitlines() if ln.strip()]
        return {"status": "failed", "error": "\n".join(err[-5:]), "seconds": time.time() - t0}
    r = json.loads(out.read_text())
    r["status"] = "ok"
    return r


def score_result(ds: datasets.Dataset, system: str, r: dict) -> tuple[dict, pd.DataFrame]:
    """Dataset row (scores) and per-channel rows for one system's result."""
    row: dict = {"status": r.get("status", "ok"), "seconds": r.get("seconds", np.nan),
                 "peak_rss_mb": r.get("peak_rss_mb", np.nan), "error": r.get("error", "")}
    if r.get("status") != "ok":
        return row, pd.DataFrame()
    est = pd.DataFrame(r["channels"])
    sc, per = metrics.score(est, ds.truth)
    row.update(sc)
    if ds.true_responses is not None and r.get("responses"):
        try:
            cap = ours.capture(r["responses"], ds.true_responses, ds.channels, _current_spend(ds))
            row.update(capture=cap["capture"], achievable_weekly=cap["achievable_weekly"])
        except Exception as exc:  # noqa: BLE001 - a scoring failure is reported, not fatal
            row["capture_error"] = f"{type(exc).__name__}: {exc}"
    for k, v in (r.get("diagnostics") or {}).items():
        row[k] = v
    return row, per


def build(generator: str, seeds: list[int], work: Path, log) -> list:
    """Dataset builders, lazily (a pysimmmulator dataset needs its venv)."""
    if generator == "simulate":
        return [(f"simulate_s{s}", lambda s=s: datasets.simulate_dataset(s)) for s in seeds]
    if generator == "pysimmmulator":
        return [(f"pysimmmulator_s{s}", lambda s=s: datasets.pysim_dataset(s, work, log)) for s in seeds]
    if generator == "public":
        return [(n, lambda n=n: datasets.public_dataset(n)) for n in datasets.PUBLIC_SETS]
    raise ValueError(generator)


def run(generators: list[str], seeds: list[int], systems: list[str], quick: bool, refit_peers: bool, work: Path,
        meridian_only: list[str] | None = None, meridian_timeout_min: float | None = None,
        log=print) -> tuple[pd.DataFrame, pd.DataFrame]:
    peers = {"pymc-marketing": pymc_spec(quick), "meridian": meridian_spec(quick)}
    if meridian_timeout_min:  # the time limit is not part of the cache key: a fit that finishes is the same fit
        peers["meridian"].timeout_s = int(meridian_timeout_min * 60)
    versions: dict[str, str] = {}
    ours_version, ours_config = ours.version(), ours.run_config()
    rows, per_rows = [], []
    suffix = "_quick" if quick else ""
    for gen in generators:
        for name, make in build(gen, seeds, work, log):
            try:
                ds = make()
            except Exception as exc:  # noqa: BLE001
                log(f"[{name}] dataset could not be built: {exc}")
                rows.append(dict(generator=gen, dataset=name, system="(dataset)", status="failed", error=str(exc)))
                continue
            folder = ds.write(work / "datasets" / name)
            log(f"\n[{name}] {ds.notes}")
            base = dict(generator=gen, dataset=name, seed=ds.seed, n_weeks=len(ds.weekly), notes=ds.notes)
            results = []
            if "ours" in systems:
                for lift in (False, True):
                    if lift and ds.lift_tests is None:
                        continue
                    r = run_ours(ds, folder, lift)
                    label = "ours+lift" if lift else "ours"
                    results.append((label, r, dict(version=ours_version, config=json.dumps(ours_config),
                                                   reused=False, lift_tests=r.get("n_lift_tests", 0))))
            for sysname in ("pymc-marketing", "meridian"):  # names of --systems; spec.system is the cache folder
                if sysname not in systems:
                    continue
                if sysname == "meridian" and meridian_only and not any(name == m or gen == m for m in meridian_only):
                    continue
                spec = peers[sysname]
                if sysname not in versions:
                    venvs.ensure(spec.venv, log)
                    versions[sysname] = venvs.installed_version(spec.venv)
                version, fp = versions[sysname], ds.fingerprint(with_lift_tests=False)
                entry = None if refit_peers else cache.load(spec.system, version, spec.config, name, fp)
                if entry is not None and entry["result"]["status"] == "timeout" \
                        and entry["result"].get("timeout_s", 0) < spec.timeout_s:
                    entry = None  # stopped under a shorter limit than now allowed: try again
                reused = entry is not None
                if reused:
                    r = entry["result"]
                    log(f"  {spec.label}: REUSED cached fit from {entry['created']} "
                        f"({r.get('seconds', float('nan')):.0f} s when fitted; {r['status']})")
                else:
                    log(f"  {spec.label}: fitting (nice -n 10) ...")
                    r = run_peer(spec, ds, folder, log)
                    cache.store(spec.system, version, spec.config, name, fp, r)
                    log(f"  {spec.label}: {r['status']} in {r.get('seconds', float('nan')):.0f} s"
                        + (f" ({r.get('error', '')[:300]})" if r["status"] != "ok" else ""))
                results.append((spec.label, r, dict(version=version, config=json.dumps(spec.config), reused=reused,
                                                    lift_tests=0)))
            for label, r, extra in results:
                row, per = score_result(ds, label, r)
                rows.append({**base, "system": label, **extra, **row})
                if len(per):
                    per.insert(0, "system", label)
                    per.insert(0, "dataset", name)
                    per.insert(0, "generator", gen)
                    per_rows.append(per)
                if row["status"] == "ok":
                    log(f"  {label:<14} roi_err {row['roi_error']:.3f}  weighted {row['roi_error_weighted']:.3f}  "
                        f"share_err {row['contribution_share_error']:.3f}  coverage {row['coverage']:.2f}  "
                        f"width {row['rel_width']:.2f}  capture {row.get('capture', float('nan')):.3f}  "
                        f"{row['seconds']:.1f} s  {row['peak_rss_mb']:.0f} MB")
            write_outputs(pd.DataFrame(rows), _concat(per_rows), suffix)
    return pd.DataFrame(rows), _concat(per_rows)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


SUMMARY_COLS = ["roi_error", "roi_error_weighted", "near_zero_abs_error", "contribution_share_error", "media_total_ratio",
                "coverage", "rel_width",
                "coverage_hdi94", "rel_width_hdi94", "capture", "seconds", "peak_rss_mb"]


def summarise(by_dataset: pd.DataFrame) -> pd.DataFrame:
    ok = by_dataset[by_dataset["status"] == "ok"].copy()
    if ok.empty:
        return pd.DataFrame()
    cols = [c for c in SUMMARY_COLS if c in ok]
    g = ok.groupby(["generator", "system"], sort=False)
    out = g[cols].mean()
    out.insert(0, "n_datasets", g.size())
    failed = by_dataset[by_dataset["status"] != "ok"].groupby(["generator", "system"]).size()
    out.insert(1, "n_failed", failed.reindex(out.index).fillna(0).astype(int))
    out["n_channels"] = g["n_channels"].sum()
    # coverage pooled over channels = mean of per-dataset coverage weighted by channel count
    out["coverage"] = (ok["coverage"] * ok["n_channels"]).groupby([ok.generator, ok.system], sort=False).sum() \
        / out["n_channels"]
    if "capture" in ok:  # capture has long negative tails (an allocation worse than current): the median too
        out.insert(out.columns.get_loc("capture") + 1, "capture_median", g["capture"].median())
    out["version"] = g["version"].first()
    out["config"] = g["config"].first()
    return out.reset_index()


CONDITIONS = ["roi_class", "spend_pattern", "adstock_kind", "saturation_kind", "spend_role", "channel"]


def by_condition(by_channel: pd.DataFrame) -> pd.DataFrame:
    """Per generator, system and channel condition: mean relative ROI error and signed bias (channels with true
    ROI >= 0.1), coverage, and for near-zero channels the mean absolute error; to find what a system misses."""
    if by_channel.empty:
        return pd.DataFrame()
    frames = []
    for cond in CONDITIONS:
        if cond not in by_channel:
            continue
        d = by_channel.dropna(subset=[cond])
        big = d[~d["near_zero"].astype(bool)]
        g = big.groupby(["generator", "system", cond])
        out = pd.DataFrame({"n": d.groupby(["generator", "system", cond]).size(),
                            "roi_rel_error": g["roi_rel_error"].mean(), "roi_rel_error_median": g["roi_rel_error"].median(),
                            "roi_rel_bias": g["roi_rel_bias"].mean(),
                            "coverage": d.groupby(["generator", "system", cond])["covered"].mean(),
                            "abs_error": d.groupby(["generator", "system", cond])["roi_abs_error"].mean()})
        out = out.reset_index().rename(columns={cond: "value"})
        out.insert(2, "condition", cond)
        frames.append(out)
    return pd.concat(frames, ignore_index=True)


def write_outputs(by_dataset: pd.DataFrame, by_channel: pd.DataFrame, suffix: str = "") -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    by_dataset.to_csv(RESULTS / f"peers_by_dataset{suffix}.csv", index=False, float_format="%.5g")
    if len(by_channel):
        by_channel.to_csv(RESULTS / f"peers_by_channel{suffix}.csv", index=False, float_format="%.5g")
        by_condition(by_channel).to_csv(RESULTS / f"peers_by_condition{suffix}.csv", index=False, float_format="%.4g")
    summ = summarise(by_dataset)
    if len(summ):
        summ.to_csv(RESULTS / f"peers_summary{suffix}.csv", index=False, float_format="%.5g")


def markdown(summary: pd.DataFrame) -> str:
    if summary.empty:
        return "(no results)"
    head = ("| generator | system | datasets | ROI error | ROI error (spend-wt) | near-zero abs error | "
            "contribution-share error | media total / true | 90% coverage | width / true ROI | 94% HDI coverage | "
            "94% HDI width / true ROI | capture mean (median) | fit s | peak MB |")
    lines = [head, "|" + "---|" * 15]

    def f(v, p=3):
        return "" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.{p}f}"

    for r in summary.to_dict(orient="records"):
        n = f"{r['n_datasets']}" + (f" (+{r['n_failed']} failed)" if r.get("n_failed") else "")
        cap = f(r.get("capture")) + (f" ({f(r.get('capture_median'))})" if f(r.get("capture_median")) else "")
        lines.append(f"| {r['generator']} | {r['system']} | {n} | {f(r.get('roi_error'))} | "
                     f"{f(r.get('roi_error_weighted'))} | {f(r.get('near_zero_abs_error'))} | "
                     f"{f(r.get('contribution_share_error'))} | {f(r.get('media_total_ratio'), 2)} | "
                     f"{f(r.get('coverage'), 2)} | {f(r.get('rel_width'), 2)} | {f(r.get('coverage_hdi94'), 2)} | "
                     f"{f(r.get('rel_width_hdi94'), 2)} | {cap} | {f(r.get('seconds'), 1)} | "
                     f"{f(r.get('peak_rss_mb'), 0)} |")
    return "\n".join(lines)
