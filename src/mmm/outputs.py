"""Every output table in one pass over the markets: what ``mmm_market_outputs`` materializes.

Each market is restored once (``tables.load_fitted_markets``: stale fits refused) and every per-market
table is derived from it, in worker processes (both cores), so the cost grows linearly with the number of
markets and the fit is restored once per build instead of once per table. The result is one long table:
a column ``output`` names the table a row belongs to (``fitted_revenue``, ``contributions``,
``channel_summary``, ...) and the other columns are the union of the tables' columns; each public mart
selects its rows and its contracted columns (models/marts). The cross-market parts are computed from
what the workers return: the joint allocation when ``budget_weekly`` is one number, and the national
rows (market ``national``) of the channel summary, the response curves and the national allocation.

``market_outputs_frame`` is the per-market function (``tables.map_fitted_markets`` runs it in worker
processes; pandas in, pandas out).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from mmm import analysis as an
from mmm import pooling, tables
from mmm.analysis import FittedModel
from mmm.optimize import optimize_allocation
from mmm.response import TabulatedResponse
from mmm.results import name_key
from mmm.settings import RunSettings

NATIONAL = "national"
GRID_POINTS = 41

# Every column of the long table and its kind, so a table with no rows (no target set, no lift test) still
# leaves its columns in place for the marts to select; src/tests/test_contracts.py checks these against the
# marts' contracts.
COLUMNS = {
    "output": "text", "market": "text", "channel": "text", "display_name": "text", "week_start_date": "date",
    "actual_revenue": "number", "fitted_revenue": "number", "fitted_lower": "number", "fitted_upper": "number",
    "is_holdout": "bool", "forecast_revenue": "number", "component": "text", "component_type": "text",
    "contribution": "number", "contribution_lower": "number", "contribution_upper": "number", "spend": "number",
    "roi": "number", "roi_lower": "number", "roi_upper": "number", "mroi": "number", "mroi_lower": "number",
    "mroi_upper": "number", "current_weekly_spend": "number", "saturation_weekly_spend": "number",
    "spend_share": "number", "contribution_share": "number", "warnings": "text", "weekly_spend": "number",
    "expected_weekly_revenue": "number", "lower": "number", "upper": "number", "is_current_spend": "bool",
    "parameter": "text", "estimate": "number", "std_error": "number", "p_value": "number", "experiment_id": "text",
    "measured_lift": "number", "measured_lift_se": "number", "predicted_lift": "number",
    "predicted_lift_lower": "number", "predicted_lift_upper": "number", "z_score": "number", "start_date": "date",
    "end_date": "date", "check_name": "text", "category": "text", "value": "number", "threshold": "number",
    "status": "text", "message": "text", "optimal_weekly_spend": "number", "min_weekly_spend": "number",
    "max_weekly_spend": "number", "expected_revenue_current": "number", "expected_revenue_optimal": "number",
    "expected_revenue_optimal_lower": "number", "expected_revenue_optimal_upper": "number", "change_pct": "number",
    "binding_constraint": "text", "weekly_budget": "number", "is_joint_over_markets": "bool",
    "optimizer_message": "text", "optimizer_success": "bool", "mode": "text", "target": "number",
    "feasible": "bool", "achieved": "number", "scenario_name": "text", "description": "text",
    "spend_change": "number", "revenue_change": "number", "revenue_change_lower": "number",
    "revenue_change_upper": "number", "revenue_change_per_spend_change": "number",
}

# The columns of each output table: what its public mart selects (src/tests/test_contracts.py checks them against
# the marts' contracts), so a reader of the long table can take one table back without the others' columns.
OUTPUT_COLUMNS = {
    "fitted_revenue": (
        "market", "week_start_date", "actual_revenue", "fitted_revenue", "fitted_lower", "fitted_upper", "is_holdout",
        "forecast_revenue"
    ),
    "contributions": (
        "market", "week_start_date", "component", "component_type", "contribution"
    ),
    "channel_summary": (
        "market", "channel", "display_name", "spend", "contribution", "contribution_lower", "contribution_upper", "roi",
        "roi_lower", "roi_upper", "mroi", "mroi_lower", "mroi_upper", "current_weekly_spend", "saturation_weekly_spend",
        "spend_share", "contribution_share", "warnings"
    ),
    "response_curves": (
        "market", "channel", "weekly_spend", "expected_weekly_revenue", "lower", "upper", "mroi", "is_current_spend"
    ),
    "optimal_allocation": (
        "market", "channel", "current_weekly_spend", "optimal_weekly_spend", "min_weekly_spend", "max_weekly_spend",
        "expected_revenue_current", "expected_revenue_optimal", "expected_revenue_optimal_lower",
        "expected_revenue_optimal_upper", "change_pct", "binding_constraint", "weekly_budget", "is_joint_over_markets",
        "optimizer_message", "optimizer_success"
    ),
    "target_budget": (
        "market", "mode", "target", "feasible", "weekly_budget", "achieved", "channel", "weekly_spend",
        "expected_weekly_revenue", "message"
    ),
    "scenarios": (
        "scenario_name", "market", "description", "spend_change", "revenue_change", "revenue_change_lower",
        "revenue_change_upper", "revenue_change_per_spend_change", "message"
    ),
    "lift_test_calibration": (
        "market", "experiment_id", "channel", "measured_lift", "measured_lift_se", "predicted_lift", "predicted_lift_lower",
        "predicted_lift_upper", "z_score", "start_date", "end_date"
    ),
    "fit_parameters": (
        "market", "channel", "parameter", "estimate", "lower", "upper", "std_error", "p_value"
    ),
    "national_allocation": (
        "market", "channel", "current_weekly_spend", "optimal_weekly_spend", "min_weekly_spend", "max_weekly_spend",
        "expected_revenue_current", "expected_revenue_optimal", "expected_revenue_optimal_lower",
        "expected_revenue_optimal_upper", "change_pct", "binding_constraint", "weekly_budget", "is_joint_over_markets",
        "optimizer_message", "optimizer_success"
    ),
    "model_checks": (
        "market", "check_name", "channel", "category", "value", "threshold", "status", "message"
    ),
}


def output_table(outputs: pd.DataFrame, output: str, national: bool = False) -> pd.DataFrame:
    """One output table (``output``, its OUTPUT_COLUMNS) taken back from the long ``mmm_market_outputs`` table,
    without the national rows unless ``national``."""
    rows = outputs.loc[outputs["output"] == output, list(OUTPUT_COLUMNS[output])]
    return (rows if national else rows[rows["market"] != NATIONAL]).reset_index(drop=True)


def _per_market_tables(fm: FittedModel, channel_settings: pd.DataFrame, lift_tests: pd.DataFrame | None,
                       scenarios: pd.DataFrame | None, settings: RunSettings, fit_row: pd.DataFrame) -> dict[str, pd.DataFrame]:
    fits = {fm.market: fm}
    out = {
        "fitted_revenue": tables.fitted_revenue_table(fits),
        "contributions": tables.contributions_table(fits),
        "channel_summary": tables.channel_summary_table(fits, channel_settings, settings),
        "response_curves": tables.response_curves_table(fits, settings),
        "fit_parameters": tables.fit_parameters_table(fits),
        "lift_test_calibration": tables.lift_test_calibration_table(fits, lift_tests),
        "model_checks": tables.model_checks_table(fits, fit_row, channel_settings, settings),
        "target_budget": tables.target_budget_table(fits, channel_settings, settings),
    }
    if not _joint(settings):
        out["optimal_allocation"] = tables.optimal_allocation_table(fits, channel_settings, settings)
    if scenarios is not None and len(scenarios):
        mine = scenarios[scenarios["market"].astype(str).str.strip().str.lower() == fm.market]
        out["scenarios"] = tables.scenarios_table(fits, mine, settings)
    return out


def _joint(settings: RunSettings) -> bool:
    return settings.budget_weekly is not None and not isinstance(settings.budget_weekly, dict)


def pool_shared_sd(fm: FittedModel, pooling_json: str | None) -> np.ndarray:
    """Per channel, the sd (log-ROI scale) of the shift the pool centre's own error gives this market's ROI; 0 without
    a pool.

    The centre is one estimate shared by every market (sd ``centre_sd`` of ``pooling.Pool``), so its error moves every
    market's ROI the same way, each by its shrinkage weight b = posterior variance / prior variance of its log ROI
    (normal-normal: the weight of the prior in the posterior mean; a small market leans on the pool, a large one
    hardly). A market's own draws hold this as independent noise; added up across markets it does not average away.
    """
    out = np.zeros(len(fm.channels))
    if not isinstance(pooling_json, str):
        return out
    table = pooling.Pool.from_json(pooling_json).table
    centre_sd = table[table["parameter"] == "roi"].set_index("channel")["centre_sd"]
    layout = fm.problem.layout
    for ci, channel in enumerate(fm.channels):
        if channel in centre_sd.index:
            k = layout.index(channel, "roi")
            weight = min(float(fm.result.cov[k, k]) / float(layout.prior_sd[k]) ** 2, 1.0)
            out[ci] = weight * float(centre_sd[channel])
    return out


def _national_ingredients(fm: FittedModel, channel_settings: pd.DataFrame, settings: RunSettings,
                          pooling_json: str | None = None) -> pd.DataFrame:
    """What the cross-market outputs need from one market, per channel: spend, contribution and its draws'
    sum, the sd of its share of the pool centre's error (``pool_shared_sd``), current spend and bounds, and the
    posterior-mean response curve on a grid (a tabulated curve)."""
    current, lower, upper = tables._bounds(fm, channel_settings, settings)
    shared = pool_shared_sd(fm, pooling_json)
    spend = fm.spend_matrix().sum(axis=0)
    contrib_draws = fm.posterior.media.sum(axis=1)  # (D, C)
    rows = []
    for ci, channel in enumerate(fm.channels):
        response = an.expected_response(fm, ci)
        top = max(4.0 * max(upper[ci], current[ci]), 1.0)
        grid = np.linspace(0.0, top, 2 * GRID_POINTS)
        draws = response.draws.revenue(grid)  # (G, D)
        rows.append(dict(channel=channel, spend=float(spend[ci]), contribution=float(fm.media[:, ci].sum()),
                         contribution_draws=contrib_draws[:, ci].astype(float), shared_sd=float(shared[ci]),
                         current=float(current[ci]),
                         lower=float(lower[ci]), upper=float(upper[ci]), grid=grid, curve_mean=draws.mean(axis=1),
                         curve_var=draws.var(axis=1)))
    return pd.DataFrame(rows)


def market_outputs_frame(fm: FittedModel, extra: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One restored market: (its rows of every output table, long; its national ingredients).

    ``extra`` = (channel settings, the market's lift tests, the market's scenarios, run settings, its mmm_fit row).
    """
    channel_settings, lift_tests, scenarios, settings, fit_row = extra
    frames = [t.assign(output=name) for name, t in
              _per_market_tables(fm, channel_settings, lift_tests, scenarios, settings, fit_row).items() if len(t)]
    ingredients = _national_ingredients(fm, channel_settings, settings, fit_row["pooling_json"].iloc[0]).assign(market=fm.market)
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), ingredients


def iter_market_outputs(fit_table: pd.DataFrame, model_input: pd.DataFrame, channel_settings: pd.DataFrame,
                        lift_tests: pd.DataFrame | None, scenarios: pd.DataFrame | None, settings: RunSettings,
                        workers: int | None = None, progress: Callable[[str], None] | None = print):
    """The long table in pieces: each market's rows (typed, the columns of COLUMNS in order) as soon as the market is
    done, then the skipped markets' and the national rows. A caller that writes each piece away keeps only the
    national ingredients (a few kB a market) in memory."""
    fitted = fit_table[fit_table["status"] == "fitted"]
    norm = None if scenarios is None else scenarios["market"].astype(str).str.strip().str.lower()
    extra = {m: (channel_settings, None if lift_tests is None else lift_tests[lift_tests["market"] == m],
                 None if scenarios is None else scenarios[norm == m], settings, fitted[fitted["market"] == m])
             for m in fitted["market"]}
    ingredients = []
    for frame, ingredient in tables.imap_fitted_markets(fit_table, model_input, channel_settings, lift_tests, settings,
                                                        market_outputs_frame, extra, "mmm_market_outputs", workers,
                                                        progress):
        if len(frame):
            yield _typed(frame)[list(COLUMNS)]
        if len(ingredient):
            ingredients.append(ingredient)
    rest = []
    skipped = fit_table[fit_table["status"] != "fitted"]
    if len(skipped):
        rest.append(pd.DataFrame([dict(market=r.market, check_name="market_not_fitted", channel="", category="input",
                                       value=float(r.n_weeks), threshold=np.nan, status="fail", message=r.message,
                                       output="model_checks") for r in skipped.itertuples()]))
    if ingredients:
        rest += national_outputs(pd.concat(ingredients, ignore_index=True), channel_settings, settings)
    if rest:
        yield _typed(pd.concat(rest, ignore_index=True))[list(COLUMNS)]


def market_outputs(*args, **kwargs) -> pd.DataFrame:
    """Every output table of every market, long (see the module docstring), plus the national rows, as one pandas
    frame (``iter_market_outputs`` concatenated; arguments alike)."""
    frames = list(iter_market_outputs(*args, **kwargs))
    return _typed(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS)))


ARROW_TYPES = {"text": "string", "number": "float64", "date": "date32", "bool": "bool_"}


def arrow_schema():
    """The long table's columns (COLUMNS) as an Arrow schema."""
    import pyarrow as pa

    return pa.schema([(c, getattr(pa, ARROW_TYPES[k])()) for c, k in COLUMNS.items()])


def market_outputs_reader(*args, **kwargs):
    """``iter_market_outputs`` as an Arrow record-batch stream (arguments alike): what ``mmm_market_outputs`` returns
    on DuckDB. dbt-duckdb creates the table from it as DuckDB pulls the batches, so no market's rows are held once
    written, and no copy of the whole table is made on the way (a temporary table would be one more, uncompressed)."""
    import pyarrow as pa

    schema = arrow_schema()

    def batches():
        for frame in iter_market_outputs(*args, **kwargs):
            yield pa.RecordBatch.from_pandas(frame, schema=schema, preserve_index=False)

    return pa.RecordBatchReader.from_batches(schema, batches())


def national_outputs(ingredients: pd.DataFrame, channel_settings: pd.DataFrame, settings: RunSettings) -> list[pd.DataFrame]:
    """Cross-market outputs from the markets' ingredients: the joint allocation when the budget is one number,
    and, with two or more markets, national channel summary and response curves and the national allocation."""
    out = []
    curves = [TabulatedResponse(r.grid, np.maximum.accumulate(np.maximum(r.curve_mean - r.curve_mean[0], 0.0)))
              for r in ingredients.itertuples()]
    if _joint(settings):
        out.append(_allocation(ingredients, curves, float(settings.budget_weekly), settings, "optimal_allocation", joint=True))
    if ingredients["market"].nunique() >= 2:
        out.append(_national_summary(ingredients, channel_settings, settings))
        out.append(_national_curves(ingredients, settings.interval_level))
        budget = float(ingredients["current"].sum()) if not _joint(settings) else float(settings.budget_weekly)
        out.append(_allocation(ingredients, curves, budget, settings, "national_allocation", joint=True))
    return out


def _allocation(ingredients: pd.DataFrame, curves: list, budget: float, settings: RunSettings, output: str,
                joint: bool) -> pd.DataFrame:
    current, lower, upper = (ingredients[c].to_numpy(float) for c in ("current", "lower", "upper"))
    if len(curves) <= 200:
        result = optimize_allocation(curves, current, lower, upper, budget, seed=settings.random_seed)
        optimal, message, success = result.optimal, result.message, result.success
        binding, budget_used = result.binding, result.budget
    else:  # many markets x channels: dual decomposition on the tabulated curves
        optimal, message = dual_allocation(curves, lower, upper, budget)
        success, budget_used = True, float(optimal.sum())
        span = np.maximum(upper - lower, 1e-12)
        binding = tuple("lower" if o <= lo + 1e-6 * s else "upper" if o >= up - 1e-6 * s else ""
                        for o, lo, up, s in zip(optimal, lower, upper, span))
    rev_now = np.array([float(c.revenue(x)) for c, x in zip(curves, current)])
    rev_opt = np.array([float(c.revenue(x)) for c, x in zip(curves, optimal)])
    # interval: independent markets, normal approximation from each curve's draw variance at the optimum
    var = np.array([float(np.interp(x, r.grid, r.curve_var)) for r, x in zip(ingredients.itertuples(), optimal)])
    half = _z(settings.interval_level) * np.sqrt(var)
    change = np.where(current > 0, (optimal - current) / np.where(current > 0, current, 1.0) * 100.0, np.nan)
    return pd.DataFrame({
        "output": output, "market": ingredients["market"].to_numpy(), "channel": ingredients["channel"].to_numpy(),
        "current_weekly_spend": current, "optimal_weekly_spend": optimal, "min_weekly_spend": lower,
        "max_weekly_spend": upper, "expected_revenue_current": rev_now, "expected_revenue_optimal": rev_opt,
        "expected_revenue_optimal_lower": rev_opt - half, "expected_revenue_optimal_upper": rev_opt + half,
        "change_pct": change, "binding_constraint": list(binding), "weekly_budget": budget_used,
        "is_joint_over_markets": joint, "optimizer_message": message, "optimizer_success": success})


def _z(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2.0))


def dual_allocation(curves: list, lower: np.ndarray, upper: np.ndarray, budget: float,
                    grid_points: int = 201) -> tuple[np.ndarray, str]:
    """Maximise sum_i r_i(x_i) s.t. sum x = budget, lower <= x <= upper, for many (market, channel) curves.

    Dual decomposition: for a price lam, each x_i(lam) = argmax over a grid of [lower_i, upper_i] of
    r_i(x) - lam x (separable, so thousands of curves cost one vectorised pass); bisect lam until the
    spend matches the budget, then spread the last gap over the curves with the best marginal return.
    Optimal for concave curves; for S-shaped ones it finds the optimum of their concave envelope.
    """
    budget = float(np.clip(budget, lower.sum(), upper.sum()))
    grids = lower[:, None] + (upper - lower)[:, None] * np.linspace(0.0, 1.0, grid_points)[None, :]
    values = np.array([c.revenue(g) for c, g in zip(curves, grids)])

    def spend_at(lam: float) -> np.ndarray:
        best = np.argmax(values - lam * grids, axis=1)
        return grids[np.arange(len(grids)), best]

    lo_lam, hi_lam = 0.0, 1.0
    while spend_at(hi_lam).sum() > budget and hi_lam < 1e6:
        hi_lam *= 2.0
    for _ in range(60):
        mid = 0.5 * (lo_lam + hi_lam)
        if spend_at(mid).sum() > budget:
            lo_lam = mid
        else:
            hi_lam = mid
    x = spend_at(hi_lam)
    gap = budget - x.sum()
    if gap > 0:  # hand the rest to the curves with the highest marginal return, within their bounds
        slope = np.array([float(c.marginal(v)) for c, v in zip(curves, x)])
        for i in np.argsort(-slope):
            add = min(gap, upper[i] - x[i])
            x[i] += add
            gap -= add
            if gap <= 1e-9:
                break
    return x, f"dual decomposition over {len(curves)} market-channel curves (price of a unit of budget {hi_lam:.4g})"


def _national_summary(ingredients: pd.DataFrame, channel_settings: pd.DataFrame, settings: RunSettings) -> pd.DataFrame:
    lo_q, hi_q = (1 - settings.interval_level) / 2, (1 + settings.interval_level) / 2
    names = channel_settings.set_index("channel")["display_name"] if len(channel_settings) else pd.Series(dtype=str)
    rows = []
    for channel, g in ingredients.groupby("channel", sort=True):
        spend = g["spend"].sum()
        contrib = g["contribution"].sum()
        draws = national_draws(g, channel, settings.random_seed)
        lo, hi = np.quantile(draws, [lo_q, hi_q])
        lo, hi = min(lo, contrib), max(hi, contrib)
        safe = spend if spend > 0 else np.nan
        rows.append(dict(output="channel_summary", market=NATIONAL, channel=channel,
                         display_name=str(names.get(channel, channel)), spend=spend, contribution=contrib,
                         contribution_lower=lo, contribution_upper=hi, roi=contrib / safe, roi_lower=lo / safe,
                         roi_upper=hi / safe, current_weekly_spend=g["current"].sum(),
                         warnings=f"national: {g['market'].nunique()} markets added up"))
    out = pd.DataFrame(rows)
    out["spend_share"] = out["spend"] / out["spend"].sum()
    out["contribution_share"] = out["contribution"] / out["contribution"].sum()
    return out


def national_draws(g: pd.DataFrame, channel: str, seed: int) -> np.ndarray:
    """Draws of a channel's national contribution: the markets' draws (independent, results.posterior_draws) added up,
    each times exp(s_m d - s_m^2 / 2) for one shared standard normal d per draw (seeded by the seed and the channel):
    the pool centre's error, common to every market (``pool_shared_sd``; mean-preserving, 0 without a pool)."""
    draws = np.vstack(g["contribution_draws"].to_list())  # (markets, D)
    shared = g["shared_sd"].to_numpy(float)[:, None]
    if np.any(shared > 0):
        d = np.random.default_rng([int(seed), name_key(channel)]).normal(size=draws.shape[1])
        draws = draws * np.exp(shared * d[None, :] - 0.5 * shared ** 2)
    return draws.sum(axis=0)


def _national_curves(ingredients: pd.DataFrame, level: float, n_points: int = GRID_POINTS) -> pd.DataFrame:
    """National curve of a channel: sum over markets of r_m(x * share_m), share_m the market's share of the
    channel's current national spend; band from the markets' curve variances plus the square of the pool centre's
    shared error (sum_m s_m r_m, ``pool_shared_sd``), normal approximation."""
    frames = []
    for channel, g in ingredients.groupby("channel", sort=True):
        total = g["current"].sum()
        shares = g["current"].to_numpy() / total if total > 0 else np.full(len(g), 1.0 / len(g))
        grid = np.unique(np.concatenate([np.linspace(0.0, 3.0 * max(total, 1.0), n_points), [total]]))
        mean = np.zeros_like(grid)
        var = np.zeros_like(grid)
        slope = np.zeros_like(grid)
        common = np.zeros_like(grid)  # the pool centre's error, shared by the markets (``pool_shared_sd``)
        for r, s in zip(g.itertuples(), shares):
            x = grid * s
            market_mean = np.interp(x, r.grid, r.curve_mean)
            mean += market_mean
            var += np.interp(x, r.grid, r.curve_var)
            common += r.shared_sd * market_mean
            slope += s * np.interp(x, r.grid, np.gradient(r.curve_mean, r.grid))
        mean = np.maximum.accumulate(np.maximum(mean - mean[0], 0.0))
        half = _z(level) * np.sqrt(var + common ** 2)
        frames.append(pd.DataFrame({"output": "response_curves", "market": NATIONAL, "channel": channel,
                                    "weekly_spend": grid, "expected_weekly_revenue": mean,
                                    "lower": np.maximum.accumulate(np.maximum(mean - half, 0.0)),
                                    "upper": np.maximum.accumulate(mean + half),
                                    "mroi": np.maximum(slope, 0.0), "is_current_spend": np.isclose(grid, total)}))
    return pd.concat(frames, ignore_index=True)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column of COLUMNS, with one dtype each (extra columns kept as they are)."""
    out = frame.copy()
    for col, kind in COLUMNS.items():
        values = out[col] if col in out.columns else pd.Series([None] * len(out), index=out.index, dtype=object)
        if kind == "number":
            out[col] = pd.to_numeric(values, errors="coerce").astype(float)
        elif kind == "bool":
            out[col] = values.astype("boolean")
        elif kind == "date":
            out[col] = pd.to_datetime(values)
        else:
            out[col] = values.astype(object).where(values.notna(), None)
    return out[list(COLUMNS) + [c for c in out.columns if c not in COLUMNS]]

