"""Fit Google Meridian with its documented defaults on one dataset (runs inside benchmarks/.venvs/meridian).

    python meridian_runner.py --folder WORK/DATASET --out result.json [--chains 7 --adapt 500 --burnin 500 --keep 1000]

As in Meridian's user guide ("Run the model"): national data (no geo column), ``kpi_type='revenue'``,
``ModelSpec()`` with every default (ROI priors, geometric adstock with max lag 8, Hill saturation, knots
default), ``sample_posterior(n_chains=7, n_adapt=500, n_burnin=500, n_keep=1000)``. The media variable is
the spend itself (these datasets have no impressions), controls are the dataset's controls. The
``sample_prior`` step of the guide is skipped (it does not change the posterior).
ROI per channel: ``Analyzer.roi()`` posterior draws (incremental revenue of switching the channel off over
the whole period / spend); point = posterior mean, interval = 5%-95% quantiles; contribution = ROI x spend.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--chains", type=int, default=7)
    ap.add_argument("--adapt", type=int, default=500)
    ap.add_argument("--burnin", type=int, default=500)
    ap.add_argument("--keep", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20261122)
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    import meridian
    from meridian.analysis import analyzer
    from meridian.data import data_frame_input_data_builder as dfb
    from meridian.model import model, spec

    meta = json.loads((args.folder / "meta.json").read_text())
    weekly = pd.read_csv(args.folder / "weekly.csv")
    channels, controls = meta["channels"], meta["controls"]
    df = weekly.rename(columns={"date": "time", "revenue": "kpi"})
    builder = dfb.DataFrameInputDataBuilder(kpi_type="revenue")
    builder = builder.with_kpi(df, kpi_col="kpi", time_col="time")
    if controls:
        builder = builder.with_controls(df, control_cols=controls, time_col="time")
    media = df[["time"] + channels].copy()
    spend_cols = [f"{c}_spend" for c in channels]
    for c, s in zip(channels, spend_cols):
        media[s] = media[c]
    builder = builder.with_media(media, media_cols=channels, media_spend_cols=spend_cols, media_channels=channels,
                                 time_col="time")
    data = builder.build()

    t0 = time.perf_counter()
    mmm = model.Meridian(input_data=data, model_spec=spec.ModelSpec())
    mmm.sample_posterior(n_chains=args.chains, n_adapt=args.adapt, n_burnin=args.burnin, n_keep=args.keep,
                         seed=args.seed)
    seconds = time.perf_counter() - t0

    an = analyzer.Analyzer(mmm)
    roi = np.asarray(an.roi(use_posterior=True))  # (chain, draw, channel)
    roi = roi.reshape(-1, roi.shape[-1])
    spend = weekly[channels].sum().to_numpy(float)
    rows = []
    for i, c in enumerate(channels):
        d = roi[:, i]
        rows.append(dict(channel=c, roi=float(d.mean()), roi_lower=float(np.quantile(d, 0.05)),
                         roi_upper=float(np.quantile(d, 0.95)), contribution=float(d.mean() * spend[i]),
                         contribution_lower=float(np.quantile(d, 0.05) * spend[i]),
                         contribution_upper=float(np.quantile(d, 0.95) * spend[i])))
    diag = {}
    try:
        rhat = an.get_rhat()
        diag["max_r_hat"] = float(max(np.nanmax(np.asarray(v)) for v in rhat.values()))
    except Exception as exc:  # noqa: BLE001 - diagnostics are optional
        diag["r_hat_error"] = str(exc)[:200]
    out = {"channels": rows, "seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "diagnostics": diag, "version": meridian.__version__}
    args.out.write_text(json.dumps(out))


if __name__ == "__main__":
    main()
