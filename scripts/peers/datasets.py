"""Datasets with known truth, in one form every system reads (weekly CSV + meta JSON in a work folder).

Three sources, the same seeds for every system:

* ``simulate``: this project's broadened generator ``mmm.simulate`` (truth includes response curves, so
  optimizer capture can be scored, and switch-off lifts for lift tests on search and social);
* ``pysimmmulator``: Meta siMMMulator's Python port, run in its own venv (``pysim_runner.py``), daily
  campaign data aggregated to weekly; true ROI = its net ``channel_roi`` + 1 (revenue / spend);
* ``public``: the three sets with known truth in ``../shared/benchmarks`` (read at run time, never copied).

A dataset's ``fingerprint`` hashes exactly what a system sees (weekly data, channel and control lists,
lift tests when used), so a cached peer fit is reused only while its input is byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import venvs

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT.parent / "shared" / "benchmarks"
if not PUBLIC.exists():  # a worktree beside the main checkout: shared/ sits next to the work folders
    PUBLIC = Path("/work/shared/benchmarks")
GENERATORS = ("simulate", "pysimmmulator", "public")
PUBLIC_SETS = ("pymc_mmm_example", "pymc_mmm_roas_confounder", "mamimo_mmm")
LIFT_CHANNELS = ("search", "social")
LIFT_SE_SHARE = 0.12


@dataclass
class Dataset:
    name: str
    generator: str
    seed: int | None
    weekly: pd.DataFrame  # date, revenue, one column per channel (spend), one per control
    channels: list[str]
    controls: list[str]
    truth: pd.DataFrame  # channel, spend, true_contribution, true_roi, + condition columns
    lift_tests: pd.DataFrame | None = None  # experiment_id, channel, start_week, end_week, lift, lift_se, true_lift
    true_responses: list | None = None  # steady-state truth per channel (revenue(x), marginal(x)), for capture
    spend_is_money: bool = True  # False: spend in units (impressions, 0..1 indices): ROI priors centred on the data
    extra_columns: dict = field(default_factory=dict)  # e.g. {"trend": "t"} a column only some systems use
    notes: str = ""

    def fingerprint(self, with_lift_tests: bool = False) -> str:
        h = hashlib.sha256()
        h.update(self.weekly.to_csv(index=False, float_format="%.10g").encode())
        h.update(json.dumps({"channels": self.channels, "controls": self.controls,
                             "extra": self.extra_columns}, sort_keys=True).encode())
        if with_lift_tests and self.lift_tests is not None:
            cols = ["experiment_id", "channel", "start_week", "end_week", "lift", "lift_se"]
            h.update(self.lift_tests[cols].to_csv(index=False, float_format="%.10g").encode())
        return h.hexdigest()[:16]

    def write(self, folder: Path) -> Path:
        """weekly.csv, meta.json (and lift_tests.csv) for the peer runners."""
        folder.mkdir(parents=True, exist_ok=True)
        self.weekly.to_csv(folder / "weekly.csv", index=False, float_format="%.10g")
        meta = {"name": self.name, "channels": self.channels, "controls": self.controls,
                "extra_columns": self.extra_columns, "spend_is_money": self.spend_is_money}
        (folder / "meta.json").write_text(json.dumps(meta, indent=1))
        if self.lift_tests is not None:
            self.lift_tests.to_csv(folder / "lift_tests.csv", index=False)
        return folder


def _truth_frame(channels, spend, contribution, **conditions) -> pd.DataFrame:
    t = pd.DataFrame({"channel": list(channels), "spend": np.asarray(spend, float),
                      "true_contribution": np.asarray(contribution, float)})
    t["true_roi"] = t["true_contribution"] / t["spend"]
    t["spend_share"] = t["spend"] / t["spend"].sum()
    for k, v in conditions.items():
        t[k] = list(v)
    return t


# ----------------------------------------------------------------------------- our generator

def simulate_dataset(seed: int) -> Dataset:
    from mmm.simulate import lift_tests, simulate

    sim = simulate(seed)
    weekly = pd.DataFrame({"date": sim.weeks.strftime("%Y-%m-%d"), "revenue": np.round(sim.revenue, 2)})
    for c in sim.channels:
        weekly[c] = sim.spend[c].to_numpy()
    for c in sim.controls.columns:
        weekly[c] = sim.controls[c].to_numpy()
    t = sim.truth
    truth = _truth_frame(t.channel, t.spend, t.contribution, roi_class=t.roi_class, spend_pattern=t.spend_pattern,
                         demand_tracking=t.demand_tracking.round(3), adstock_kind=t.adstock_kind,
                         saturation_kind=t.saturation_kind)
    lifts = lift_tests(sim, LIFT_CHANNELS, LIFT_SE_SHARE)
    return Dataset(f"simulate_s{seed}", "simulate", seed, weekly, sim.channels, list(sim.controls.columns), truth,
                   lifts, sim.responses(), True,
                   notes=f"{len(sim.weeks)} weeks, {len(sim.channels)} channels, noise {sim.config['noise_share']:.1%}")


# ----------------------------------------------------------------------------- pysimmmulator

def pysim_dataset(seed: int, work: Path, log=print) -> Dataset:
    """Run pysimmmulator (own venv) for ``seed``; weekly data, truth and lift tests come back as files."""
    runner = Path(__file__).with_name("pysim_runner.py")
    revision = hashlib.sha256(runner.read_bytes()).hexdigest()[:8]  # a changed runner regenerates the data
    out = work / "pysim_raw" / revision / f"seed_{seed}"
    done = out / "weekly.csv"
    if not done.exists():
        python = venvs.ensure("pysimmmulator", log)
        out.mkdir(parents=True, exist_ok=True)
        res = subprocess.run([str(python), str(runner), "--seed", str(seed), "--out", str(out)],
                             capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"pysimmmulator seed {seed} failed:\n{res.stderr[-3000:]}")
    weekly = pd.read_csv(done)
    meta = json.loads((out / "meta.json").read_text())
    truth = pd.read_csv(out / "truth.csv")
    # its spend split: every channel but the last draws a share of the campaign total, the last gets the rest
    role = ["remainder" if c == meta["channels"][-1] else "share" for c in truth.channel]
    roi_class = np.where(truth.roi < 0.1, "near_zero", np.where(truth.roi < 0.8, "weak", "strong"))
    truth = _truth_frame(truth.channel, truth.spend, truth.contribution, roi_class=roi_class,
                         saturation_kind=truth.saturation_kind, adstock_kind=truth.adstock_kind, spend_role=role,
                         pysim_net_roi=truth.net_roi.round(4))
    lifts = pd.read_csv(out / "lift_tests.csv", parse_dates=["start_week", "end_week"])
    return Dataset(f"pysimmmulator_s{seed}", "pysimmmulator", seed, weekly, meta["channels"], meta["controls"], truth,
                   lifts if len(lifts) else None, None, True, notes=meta.get("notes", ""))


# ----------------------------------------------------------------------------- public sets

def public_dataset(name: str) -> Dataset:
    if name == "pymc_mmm_example":
        df = pd.read_csv(PUBLIC / "pymc_mmm_example.csv")
        channels = ["x1", "x2"]
        weekly = pd.DataFrame({"date": df["date_week"], "revenue": df["y"], "x1": df["x1"], "x2": df["x2"],
                               "event_1": df["event_1"], "event_2": df["event_2"], "t": df["t"].astype(float)})
        roi = pd.Series({"x1": 4968.0, "x2": 2275.0})  # contribution per unit of x (shared/benchmarks/README.md)
        spend = df[channels].sum()
        truth = _truth_frame(channels, spend, roi * spend)
        return Dataset(name, "public", None, weekly, channels, ["event_1", "event_2"], truth, spend_is_money=False,
                       extra_columns={"trend": "t"}, notes="179 weeks, 2 channels (x in 0..1), logistic truth")
    if name == "pymc_mmm_roas_confounder":
        df = pd.read_csv(PUBLIC / "pymc_mmm_roas_confounder.csv")
        channels = ["x1", "x2"]
        weekly = pd.DataFrame({"date": df["date"], "revenue": df["y"], "x1": df["x1"], "x2": df["x2"], "z": df["z"]})
        contrib = [float((df["y"] - df["y01"]).sum()), float((df["y"] - df["y02"]).sum())]
        truth = _truth_frame(channels, df[channels].sum(), contrib)
        return Dataset(name, "public", None, weekly, channels, ["z"], truth, spend_is_money=False,
                       notes="131 weeks, 2 channels; confounder z given as a control to every system")
    if name == "mamimo_mmm":
        from mmm.transforms import geometric_adstock

        df = pd.read_csv(PUBLIC / "mamimo_mmm.csv")
        channels = ["TV", "Radio", "Banners"]

        def s(x):
            return 1 - np.exp(-1e-4 * x)

        effects = {"TV": 10000 * s(geometric_adstock(df["TV"].to_numpy(), 0.5, 3)),
                   "Radio": 8000 * s(geometric_adstock(df["Radio"].to_numpy(), 0.2, 1)),
                   "Banners": 14000 * s(df["Banners"].to_numpy())}
        weekly = pd.DataFrame({"date": df["Date"], "revenue": df["Sales"]})
        for c in channels:
            weekly[c] = df[c]
        truth = _truth_frame(channels, df[channels].sum(), [effects[c].sum() for c in channels])
        return Dataset(name, "public", None, weekly, channels, [], truth, spend_is_money=True,
                       notes="200 weeks, 3 channels, no controls")
    raise ValueError(f"unknown public set {name!r}; expected one of {PUBLIC_SETS}")
