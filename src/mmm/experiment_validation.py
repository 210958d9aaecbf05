"""Did the model predict each lift test before it saw it? (Closing the loop between experiments and the model.)

The reported model is calibrated on every usable lift test (each is a likelihood term, ``mmm.fit``), so its
agreement with a test (``fct_lift_test_calibration``) is partly the test agreeing with itself. The honest
check is the prediction the model made *before* the test was used: for each test ``e``, the market is refitted
with only the lift tests that had finished before ``e`` started (the model as it stood when ``e`` was run; the
weekly data are the same, since the spend and revenue of the test weeks are not the experiment's result), and
that fit's predicted lift for ``e`` (switch the channel off in the test's weeks, carry-over included, per
posterior draw) is compared with the measured lift::

    z_before = (predicted_before - measured) / sqrt(se^2 + (predicted interval width / 3.29)^2)

the same z as ``fct_lift_test_calibration``: positive when the model predicted more lift than measured. The
model was right when |z_before| <= 2. Tests sharing the same earlier tests share one refit. The reported
model itself keeps every test (``predicted_lift_after``, ``z_score_after``: the calibrated agreement).
A refit is a full fit (MAP from two starts, robust weights, Laplace approximation) without cross-validation or
holdout refits, with 200 posterior draws for the predicted lift's interval.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

from mmm import analysis as an
from mmm.analysis import FittedModel
from mmm.engine import fit_market
from mmm.fit import MarketData

AGREE_Z = 2.0
REFIT_DRAWS = 200
VALIDATION_COLUMNS = [
    "market", "experiment_id", "channel", "start_date", "end_date", "measured_lift", "measured_lift_se",
    "predicted_lift_before", "predicted_lift_before_lower", "predicted_lift_before_upper", "z_score_before",
    "is_model_right", "verdict", "earlier_experiments_used", "predicted_lift_after", "z_score_after", "message",
]


def verdict(z: float) -> str:
    """'consistent' when |z| <= 2, else 'model too high' (z > 2: predicted more than measured) or 'model too low'."""
    if not np.isfinite(z):
        return "not evaluated"
    if abs(z) <= AGREE_Z:
        return "consistent"
    return "model too high" if z > 0 else "model too low"


def _with_tests(data: MarketData, experiment_ids: list[str]) -> MarketData:
    tests = None if data.lift_tests is None else data.lift_tests[data.lift_tests["experiment_id"].isin(experiment_ids)]
    return dataclasses.replace(data, lift_tests=tests if tests is not None and len(tests) else None)


def refit_before(fm: FittedModel, earlier: list[str]) -> FittedModel:
    """The market refitted with only the lift tests ``earlier``, bound to the full input (so the problem carries
    every test's switched-off spend column and ``an.lift_test_calibration`` predicts every test)."""
    # a refit only predicts the test: no validation refits, 200 posterior draws for the prediction's interval
    config = dataclasses.replace(fm.config, cv_folds=0, holdout_weeks=0, n_draws=min(fm.config.n_draws, REFIT_DRAWS),
                                 n_starts=min(fm.config.n_starts, 2))
    result = fit_market(_with_tests(fm.data, earlier), fm.specs, config, fm.market)
    return FittedModel.from_result(result, fm.data)


def validate_market(fm: FittedModel) -> pd.DataFrame:
    """One row per lift test the reported model uses (VALIDATION_COLUMNS without market)."""
    used = [lt.experiment_id for lt in fm.problem.lifts]
    if not used:
        return pd.DataFrame(columns=VALIDATION_COLUMNS[1:])
    tests = fm.data.lift_tests.set_index("experiment_id")
    after = an.lift_test_calibration(fm).set_index("experiment_id")
    refits: dict[tuple[str, ...], pd.DataFrame] = {}
    rows = []
    for exp in used:
        start = pd.Timestamp(tests.loc[exp, "start_week"])
        earlier = tuple(sorted(e for e in used if e != exp and pd.Timestamp(tests.loc[e, "end_week"]) < start))
        if earlier not in refits:
            refits[earlier] = an.lift_test_calibration(refit_before(fm, list(earlier))).set_index("experiment_id")
        before = refits[earlier].loc[exp]
        z = float(before["z_score"])
        said = verdict(z)
        text = {"consistent": "the model predicted this test before seeing it",
                "model too high": "before seeing it, the model predicted more lift than the test measured",
                "model too low": "before seeing it, the model predicted less lift than the test measured"}[said]
        rows.append(dict(
            experiment_id=exp, channel=str(before["channel"]), measured_lift=float(before["measured_lift"]),
            measured_lift_se=float(before["measured_lift_se"]), predicted_lift_before=float(before["predicted_lift"]),
            predicted_lift_before_lower=float(before["predicted_lift_lower"]),
            predicted_lift_before_upper=float(before["predicted_lift_upper"]), z_score_before=z,
            is_model_right=bool(abs(z) <= AGREE_Z), verdict=said, earlier_experiments_used=len(earlier),
            predicted_lift_after=float(after.loc[exp, "predicted_lift"]), z_score_after=float(after.loc[exp, "z_score"]),
            message=f"{text} (z = {z:+.2f}; fitted with {len(earlier)} earlier experiment(s))"))
    return pd.DataFrame(rows)


def experiment_validation(fits: Mapping[str, FittedModel], lift_tests: pd.DataFrame | None) -> pd.DataFrame:
    """Every fitted market's lift tests, predicted before and after calibration (VALIDATION_COLUMNS).

    ``lift_tests``: the converted lift tests (experiment_id, start_date, end_date) for the dates."""
    return _validation_table([_validated(fm) for fm in fits.values()], lift_tests)


def experiment_validation_from_fits(fit_table: pd.DataFrame, model_input: pd.DataFrame, channel_settings: pd.DataFrame,
                                    lift_tests: pd.DataFrame | None, settings, workers: int | None = None) -> pd.DataFrame:
    """``experiment_validation`` for the stored fits of the markets that have lift tests, each restored once in a
    worker process (the refits without each test are the cost; markets without a lift test are skipped)."""
    from mmm.tables import map_fitted_markets

    tested = set(lift_tests["market"]) if lift_tests is not None and len(lift_tests) else set()
    fits = fit_table[fit_table["market"].isin(tested)]
    frames = map_fitted_markets(fits, model_input, channel_settings, lift_tests, settings, _validated_task, None,
                                "mmm_experiment_validation", workers) if len(fits) else []
    return _validation_table(frames, lift_tests)


def _validated(fm: FittedModel) -> pd.DataFrame:
    frame = validate_market(fm)
    frame.insert(0, "market", fm.market)
    return frame


def _validated_task(fm: FittedModel, extra) -> pd.DataFrame:
    return _validated(fm)


def _validation_table(frames: list[pd.DataFrame], lift_tests: pd.DataFrame | None) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=VALIDATION_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    if lift_tests is not None and len(lift_tests):
        dates = lift_tests.set_index("experiment_id")[["start_date", "end_date"]]
        out = out.join(dates, on="experiment_id")
    else:
        out["start_date"], out["end_date"] = pd.NaT, pd.NaT
    return out[VALIDATION_COLUMNS]
