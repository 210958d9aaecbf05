"""A small, self-consistent warehouse for the dashboard tests (no dbt build needed).

Two markets (us, ca), 20 weeks (the last 4 held out), 3 channels (tv, search, social). Each channel's
steady-state weekly response is a Hill curve with shape 1::

    r(x) = beta * x / (x + K),   r'(x) = beta * K / (x + K)^2,   saturation (r' = 1): x = sqrt(beta*K) - K

Weekly channel contributions are r(spend) and, with the baseline parts, sum exactly to fitted revenue;
the channel summary, response curves and optimal allocation are derived from the same curves, so the
numbers the tests assert on can be recomputed here.

Usage: ``python dashboard/fixture.py out.duckdb`` (or ``build_fixture(path)`` from a test).
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

Z90 = 1.6448536269514722  # interval_level 0.9
N_WEEKS = 20
HOLDOUT_WEEKS = 4
FIRST_WEEK = pd.Timestamp("2024-01-01")  # a Monday

CHANNELS = {"tv": "TV", "search": "Paid search", "social": "Paid social"}

# market -> channel -> (current weekly spend, K, beta); ROI at current spend: tv 1.3, search 2.2, social 1.5
CURVES: dict[str, dict[str, tuple[float, float, float]]] = {
    "us": {
        "tv": (60_000, 60_000, 156_000),
        "search": (40_000, 80_000, 264_000),
        "social": (25_000, 40_000, 97_500),
    },
    "ca": {
        "tv": (24_000, 24_000, 49_920),
        "search": (16_000, 32_000, 105_600),
        "social": (10_000, 16_000, 39_000),
    },
}
BASELINE = {"us": 500_000.0, "ca": 200_000.0}
MIN_MULTIPLIER, MAX_MULTIPLIER = 0.5, 2.0

WARNINGS = {
    ("us", "search"): "search and social move together; their split is uncertain",
    ("us", "social"): "search and social move together; their split is uncertain",
    ("ca", "tv"): "TV spent in only 6 weeks, so its ROI interval is wide",
}


def response(beta: float, k: float, x: np.ndarray | float) -> np.ndarray:
    """Hill curve with shape 1: beta * x / (x + K)."""
    x = np.asarray(x, dtype=float)
    return beta * x / (x + k)


def marginal(beta: float, k: float, x: np.ndarray | float) -> np.ndarray:
    """Derivative of the Hill curve: beta * K / (x + K)^2."""
    x = np.asarray(x, dtype=float)
    return beta * k / (x + k) ** 2


def saturation_spend(beta: float, k: float) -> float | None:
    """Weekly spend where the marginal ROI falls to 1 (None if it is below 1 from the start)."""
    x = float(np.sqrt(beta * k) - k)
    return x if x > 0 else None


def _optimal(curves: dict[str, tuple[float, float, float]], budget: float) -> dict[str, float]:
    """Equal-marginal allocation within [0.5, 2] x current spend (bisection on the multiplier)."""

    def spend_at(lam: float) -> dict[str, float]:
        out = {}
        for ch, (cur, k, beta) in curves.items():
            x = np.sqrt(beta * k / lam) - k if lam > 0 else np.inf  # r'(x) = lam
            out[ch] = float(np.clip(x, MIN_MULTIPLIER * cur, MAX_MULTIPLIER * cur))
        return out

    lo, hi = 1e-6, 1e3
    for _ in range(200):
        mid = np.sqrt(lo * hi)
        if sum(spend_at(mid).values()) > budget:
            lo = mid
        else:
            hi = mid
    return spend_at(np.sqrt(lo * hi))


def build_tables(seed: int = 0) -> dict[str, pd.DataFrame]:
    """Every table the dashboard reads, as DataFrames."""
    rng = np.random.default_rng(seed)
    weeks = pd.date_range(FIRST_WEEK, periods=N_WEEKS, freq="7D")
    fitted_rows, contribution_rows, summary_rows, curve_rows, allocation_rows = [], [], [], [], []
    diagnostics_rows, scenario_rows = [], []
    for market, curves in CURVES.items():
        # weekly spend varies around the current level; the last 4 weeks are exactly at it
        spend = {
            ch: np.r_[cur * rng.uniform(0.6, 1.4, N_WEEKS - 4), np.full(4, cur)]
            for ch, (cur, _, _) in curves.items()
        }
        t = np.arange(N_WEEKS)
        base = BASELINE[market]
        components = {
            "intercept": np.full(N_WEEKS, base),
            "trend": base * 0.004 * t,
            "seasonality": base * 0.05 * np.sin(2 * np.pi * t / 13),
            "holidays": np.where(np.isin(t, [0, 12]), base * 0.08, 0.0),
        }
        for ch, (_, k, beta) in curves.items():
            components[ch] = response(beta, k, spend[ch])
        fitted = sum(components.values())
        sigma = 0.03 * base
        actual = fitted + rng.normal(0, sigma, N_WEEKS)
        for i, week in enumerate(weeks):
            fitted_rows.append(
                dict(
                    market=market,
                    week_start_date=week.date(),
                    actual_revenue=actual[i],
                    fitted_revenue=fitted[i],
                    fitted_lower=fitted[i] - Z90 * sigma,
                    fitted_upper=fitted[i] + Z90 * sigma,
                    is_holdout=bool(i >= N_WEEKS - HOLDOUT_WEEKS),
                )
            )
            for name, values in components.items():
                contribution_rows.append(
                    dict(
                        market=market,
                        week_start_date=week.date(),
                        component=name,
                        component_type="channel" if name in curves else "baseline",
                        contribution=float(values[i]),
                    )
                )

        total_spend = sum(spend[ch].sum() for ch in curves)
        total_contribution = sum(components[ch].sum() for ch in curves)
        for ch, (cur, k, beta) in curves.items():
            s, c = float(spend[ch].sum()), float(components[ch].sum())
            m = float(marginal(beta, k, cur))
            summary_rows.append(
                dict(
                    market=market,
                    channel=ch,
                    display_name=CHANNELS[ch],
                    spend=s,
                    contribution=c,
                    contribution_lower=0.75 * c,
                    contribution_upper=1.25 * c,
                    roi=c / s,
                    roi_lower=0.75 * c / s,
                    roi_upper=1.25 * c / s,
                    mroi=m,
                    mroi_lower=0.7 * m,
                    mroi_upper=1.3 * m,
                    spend_share=s / total_spend,
                    contribution_share=c / total_contribution,
                    current_weekly_spend=float(cur),
                    saturation_weekly_spend=saturation_spend(beta, k),
                    warnings=WARNINGS.get((market, ch), ""),
                )
            )
            grid = np.union1d(np.linspace(0, 2.5 * cur, 26), [cur])
            rev = response(beta, k, grid)
            for x, r in zip(grid, rev):
                curve_rows.append(
                    dict(
                        market=market,
                        channel=ch,
                        weekly_spend=float(x),
                        expected_weekly_revenue=float(r),
                        lower=0.8 * float(r),
                        upper=1.2 * float(r),
                        mroi=float(marginal(beta, k, x)),
                        is_current_spend=bool(np.isclose(x, cur)),
                    )
                )

        budget = sum(cur for cur, _, _ in curves.values())
        optimal = _optimal(curves, budget)
        for ch, (cur, k, beta) in curves.items():
            lo, hi, x = MIN_MULTIPLIER * cur, MAX_MULTIPLIER * cur, optimal[ch]
            r_cur, r_opt = float(response(beta, k, cur)), float(response(beta, k, x))
            binding = "lower" if np.isclose(x, lo) else ("upper" if np.isclose(x, hi) else "")
            allocation_rows.append(
                dict(
                    market=market,
                    channel=ch,
                    current_weekly_spend=float(cur),
                    optimal_weekly_spend=x,
                    min_weekly_spend=lo,
                    max_weekly_spend=hi,
                    expected_revenue_current=r_cur,
                    expected_revenue_optimal=r_opt,
                    expected_revenue_optimal_lower=0.8 * r_opt,
                    expected_revenue_optimal_upper=1.2 * r_opt,
                    change_pct=100 * (x - cur) / cur,
                    binding_constraint=binding,
                )
            )

        current_revenue = sum(float(response(b, k, c)) for c, k, b in curves.values())
        for name, description, factor in (
            ("spend_minus_10pct", "Every channel 10% lower", 0.9),
            ("spend_plus_10pct", "Every channel 10% higher", 1.1),
        ):
            new_revenue = sum(float(response(b, k, factor * c)) for c, k, b in curves.values())
            change = new_revenue - current_revenue
            scenario_rows.append(
                dict(
                    scenario_name=name,
                    market=market,
                    description=description,
                    spend_change=(factor - 1) * budget,
                    revenue_change=change,
                    revenue_change_lower=change - 0.3 * abs(change),
                    revenue_change_upper=change + 0.3 * abs(change),
                )
            )
        opt_change = (
            sum(float(response(curves[ch][2], curves[ch][1], optimal[ch])) for ch in curves) - current_revenue
        )
        scenario_rows.append(
            dict(
                scenario_name="optimal_allocation",
                market=market,
                description="Same budget, optimal split",
                spend_change=0.0,
                revenue_change=opt_change,
                revenue_change_lower=0.4 * opt_change,
                revenue_change_upper=1.6 * opt_change,
            )
        )

        holdout_mape = 0.042 if market == "us" else 0.081
        diagnostics_rows += [
            dict(
                market=market,
                metric="in_sample_r2",
                value=0.93 if market == "us" else 0.88,
                threshold=0.7,
                status="ok",
                note="Share of weekly revenue variation the model explains (training weeks)",
            ),
            dict(
                market=market,
                metric="in_sample_mape",
                value=0.031 if market == "us" else 0.044,
                threshold=0.1,
                status="ok",
                note="Mean absolute percentage error, training weeks",
            ),
            dict(
                market=market,
                metric="holdout_mape",
                value=holdout_mape,
                threshold=0.06,
                status="ok" if holdout_mape <= 0.06 else "warn",
                note="Mean absolute percentage error on the 4 held-out weeks",
            ),
            dict(
                market=market,
                metric="durbin_watson",
                value=1.84,
                threshold=1.5,
                status="ok",
                note="Residual autocorrelation (2 = none)",
            ),
        ]
        if market == "us":
            diagnostics_rows.append(
                dict(
                    market=market,
                    metric="spend_correlation:search",
                    value=0.86,
                    threshold=0.8,
                    status="warn",
                    note="search and social move together; their split is uncertain",
                )
            )

    lift = pd.DataFrame(
        [
            dict(
                experiment_id="EXP-001",
                market="us",
                channel="search",
                start_date=pd.Timestamp("2024-03-04").date(),
                end_date=pd.Timestamp("2024-03-31").date(),
                measured_lift=120_000.0,
                measured_lift_se=30_000.0,
                predicted_lift=105_000.0,
                predicted_lift_lower=80_000.0,
                predicted_lift_upper=130_000.0,
            ),
            dict(
                experiment_id="EXP-002",
                market="ca",
                channel="tv",
                start_date=pd.Timestamp("2024-02-05").date(),
                end_date=pd.Timestamp("2024-03-03").date(),
                measured_lift=20_000.0,
                measured_lift_se=8_000.0,
                predicted_lift=45_000.0,
                predicted_lift_lower=30_000.0,
                predicted_lift_upper=60_000.0,
            ),
        ]
    )
    predicted_se = (lift["predicted_lift_upper"] - lift["predicted_lift_lower"]) / (2 * Z90)
    lift["z_score"] = (lift["measured_lift"] - lift["predicted_lift"]) / np.sqrt(
        lift["measured_lift_se"] ** 2 + predicted_se**2
    )

    # the data layer's columns: source, rule and reason, then the raw record's fields as text
    quarantine = pd.DataFrame(
        [
            dict(
                source_name="raw_media_spend",
                raw_row_id=118,
                rule="negative_spend",
                reason="spend is negative",
                raw_date="2024-02-12",
                raw_market="US",
                market="us",
                raw_key="social",
                raw_amount="-1200.00",
                raw_currency="USD",
                raw_record='{"channel": "social", "spend": "-1200.00"}',
            ),
            dict(
                source_name="raw_media_spend",
                raw_row_id=119,
                rule="negative_spend",
                reason="spend is negative",
                raw_date="2024-02-13",
                raw_market="US",
                market="us",
                raw_key="social",
                raw_amount="-80.50",
                raw_currency="USD",
                raw_record='{"channel": "social", "spend": "-80.50"}',
            ),
            dict(
                source_name="raw_media_spend",
                raw_row_id=402,
                rule="unknown_channel",
                reason="channel 'tiktok' is not configured",
                raw_date="2024-03-01",
                raw_market=" ca",
                market="ca",
                raw_key="tiktok",
                raw_amount="500.00",
                raw_currency="CAD",
                raw_record='{"channel": "tiktok"}',
            ),
            dict(
                source_name="raw_sales",
                raw_row_id=9001,
                rule="future_date",
                reason="dated after the as-of date",
                raw_date="2031-01-06",
                raw_market="us",
                market="us",
                raw_key=None,
                raw_amount="91000.00",
                raw_currency="USD",
                raw_record='{"revenue": "91000.00"}',
            ),
        ]
    )
    validation = pd.DataFrame(
        [
            dict(
                expectation_id='expect_column_values_to_not_be_null|{"column": "value"}',
                expectation="expect_column_values_to_not_be_null",
                column="value",
                success=True,
                observed_value="0 unexpected (0.00%)",
                is_critical=True,
                details="{}",
            ),
            dict(
                expectation_id='expect_column_values_to_be_between|{"column": "value", "min_value": 0}',
                expectation="expect_column_values_to_be_between",
                column="value",
                success=True,
                observed_value="0 unexpected (0.00%)",
                is_critical=True,
                details="{}",
            ),
            dict(
                expectation_id='expect_column_values_to_be_in_set|{"column": "variable_type"}',
                expectation="expect_column_values_to_be_in_set",
                column="variable_type",
                success=False,
                observed_value="1 unexpected (0.03%)",
                is_critical=False,
                details='{"partial_unexpected_list": ["x"]}',
            ),
        ]
    )
    return {
        "fct_fitted_revenue": pd.DataFrame(fitted_rows),
        "fct_contributions": pd.DataFrame(contribution_rows),
        "fct_channel_summary": pd.DataFrame(summary_rows),
        "fct_response_curves": pd.DataFrame(curve_rows),
        "fct_optimal_allocation": pd.DataFrame(allocation_rows),
        "fct_scenarios": pd.DataFrame(scenario_rows),
        "fct_diagnostics": pd.DataFrame(diagnostics_rows),
        "fct_lift_test_calibration": lift,
        "mmm_quarantine": quarantine,
        "dq_validation_results": validation,
        # the data layer's sufficiency checks (models/model_input/mmm_data_sufficiency.sql)
        "mmm_data_sufficiency": pd.DataFrame(
            [
                dict(market=m, channel="", check_name="history_weeks", value=20.0, threshold=78.0,
                     status="warn", note=f"only 20 weeks of sales in {m} (78 recommended)")
                for m in ("us", "ca")
            ]
            + [
                dict(market="ca", channel="radio", check_name="channel_not_configured", value=float("nan"),
                     threshold=float("nan"), status="warn",
                     note="radio is not in channel_config; modeled with the default settings"),
                dict(market="us", channel="tv", check_name="channel_active_weeks", value=20.0, threshold=8.0,
                     status="ok", note="tv spends in 20 weeks"),
            ]
        ),
    }


def build_fixture(
    path: str | Path, seed: int = 0, skip: tuple[str, ...] = (), empty: tuple[str, ...] = ()
) -> Path:
    """Write the fixture tables to a new DuckDB file.

    `skip`: tables left out; `empty`: tables created with no rows."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    con = duckdb.connect(str(path))
    try:
        for name, frame in build_tables(seed).items():
            if name in skip:
                continue
            frame = frame.head(0) if name in empty else frame
            con.register("frame", frame)
            con.execute(f'create table "{name}" as select * from frame')
            con.unregister("frame")
    finally:
        con.close()
    return path


if __name__ == "__main__":
    print(build_fixture(sys.argv[1] if len(sys.argv) > 1 else "test-output/fixture.duckdb"))
