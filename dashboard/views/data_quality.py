"""Data quality: quarantined raw rows, the Great Expectations results, and every check of the market
(fct_diagnostics) grouped by category, problems shown and the ok ones folded away."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.views.common import Figure, problems_first, subject_label
from dashboard.views.overview import checks_table

EXAMPLES_PER_RULE = 3
# fct_diagnostics.category, in the order shown, with a title and what the checks ask
CATEGORIES = {
    "data": ("Data sufficiency", "enough weeks, channels active often enough, controls filled, rows quarantined"),
    "input": ("Model input", "revenue and spend usable by the fit; markets that could not be modeled"),
    "identification": ("Identification", "whether the data can tell the channels' effects apart"),
    "fit": ("Fit in sample", "how well the model reproduces the weeks it was fitted on"),
    "validation": ("Out of sample", "how well it forecasts weeks it did not see (holdout, cross-validation)"),
    "design": ("Media design", "how much the channels' transformed spend moves together"),
    "lift_test": ("Lift tests", "whether the model agrees with the experiments"),
    "run": ("Run", "information about the fit"),
}
STATUSES = ("fail", "warn", "ok")


# --- quarantine ---------------------------------------------------------------------------------------


def quarantine_counts(rows: pd.DataFrame) -> pd.DataFrame:
    """Quarantined rows per source and rule, most first, with one example reason."""
    grouped = rows.groupby(["source_name", "rule"], dropna=False)
    counts = grouped.size().rename("Rows").reset_index()
    counts["Example reason"] = grouped["reason"].first().to_numpy()
    counts = counts.sort_values(["Rows", "source_name", "rule"], ascending=[False, True, True], kind="stable")
    return counts.rename(columns={"source_name": "Source", "rule": "Rule"}).reset_index(drop=True)


def quarantine_examples(rows: pd.DataFrame, source: str, rule: str, n: int = EXAMPLES_PER_RULE) -> pd.DataFrame:
    """Up to `n` quarantined rows of one source and rule: file line, market, reason, the raw record."""
    picked = rows[(rows["source_name"] == source) & (rows["rule"] == rule)].sort_values("raw_row_id").head(n)
    return pd.DataFrame(
        {
            "File line": (picked["raw_row_id"] + 1).astype("Int64"),
            "Market": picked["market"].fillna(""),
            "Reason": picked["reason"],
            "Raw record": picked["raw_record"],
        }
    ).reset_index(drop=True)


def quarantine_figure(rows: pd.DataFrame, counts: pd.DataFrame) -> Figure:
    return Figure(
        "Quarantined rows",
        f"{len(rows):,}",
        f"{counts['Source'].nunique()} source(s), {counts['Rule'].nunique()} rule(s)",
    )


# --- Great Expectations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expectations:
    figures: list[Figure]
    level: str  # error / warning / success
    sentence: str
    table: pd.DataFrame  # readable columns, critical failures first
    details: pd.DataFrame  # with the expectation's arguments


def expectations(results: pd.DataFrame) -> Expectations:
    """Counts and tables of fct_data_quality_results."""
    passed = results["success"].fillna(False).astype(bool)
    critical = results["is_critical"].fillna(False).astype(bool)
    failed, critical_failed = int((~passed).sum()), int((~passed & critical).sum())
    figures = [
        Figure("Expectations passed", f"{int(passed.sum())} of {len(results)}"),
        Figure("Failed", f"{failed}"),
        Figure("Critical failures", f"{critical_failed}", "A failed critical expectation stops the build"),
    ]
    if critical_failed:
        level, sentence = "error", "A critical expectation failed: the model outputs may rest on bad data."
    elif failed:
        level, sentence = "warning", f"{failed} non-critical expectation(s) failed; see the table."
    else:
        level, sentence = "success", "Every expectation passed."
    order = (passed.astype(int) * 2 + (~critical).astype(int)).sort_values(kind="stable").index
    shown = results.loc[order]
    table = pd.DataFrame(
        {
            "Expectation": shown["expectation"].str.removeprefix("expect_").str.replace("_", " "),
            "Column": shown["column_name"].fillna(""),
            "Result": shown["success"].map({True: "✓ passed", False: "✗ failed"}),
            "Observed": shown["observed_value"].fillna(""),
            "Critical": shown["is_critical"].map({True: "yes", False: "no (warning)"}),
        }
    ).reset_index(drop=True)
    details = table[["Expectation", "Column"]].assign(Details=shown["details"].fillna("").to_numpy())
    return Expectations(figures, level, sentence, table, details)


# --- checks ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryChecks:
    category: str
    title: str
    about: str
    counts: dict[str, int]  # fail / warn / ok
    problems: pd.DataFrame  # warn and fail checks, fails first
    ok: pd.DataFrame  # the checks that are ok


def status_counts(checks: pd.DataFrame) -> dict[str, int]:
    status = checks["status"].astype(str).str.lower()
    return {s: int((status == s).sum()) for s in STATUSES}


def checks_sentence(counts: dict[str, int], modeled: bool = True) -> tuple[str, str]:
    """(level, sentence) for all of a market's checks."""
    if counts["fail"] and not modeled:
        return "error", f"{counts['fail']} check(s) failed: the market could not be modeled."
    if counts["fail"]:
        return "error", f"{counts['fail']} check(s) failed: read the model's numbers for this market with caution."
    if counts["warn"]:
        return "warning", f"{counts['warn']} check(s) need attention."
    return "success", "Every check is ok."


def checks_by_category(diagnostics: pd.DataFrame, labels: dict[str, str]) -> list[CategoryChecks]:
    """One market's fct_diagnostics grouped by category (order of CATEGORIES, unknown ones after)."""
    known = [c for c in CATEGORIES if c in set(diagnostics["category"])]
    other = sorted(set(diagnostics["category"].dropna().astype(str)) - set(CATEGORIES))
    out = []
    for category in known + other:
        rows = diagnostics[diagnostics["category"] == category]
        rows = problems_first(rows.sort_values(["check_name", "channel"], kind="stable"))
        status = rows["status"].astype(str).str.lower()
        subject = rows["channel"].map(lambda s: subject_label(s, labels))
        table = checks_table(rows, subject)
        title, about = CATEGORIES.get(category, (category.replace("_", " ").capitalize(), ""))
        is_problem = status.isin(["warn", "fail"]).to_numpy()
        out.append(
            CategoryChecks(
                category,
                title,
                about,
                status_counts(rows),
                table[is_problem].reset_index(drop=True),
                table[~is_problem].reset_index(drop=True),
            )
        )
    return out


def category_line(group: CategoryChecks) -> str:
    """'**Identification**: 2 warn, 31 ok — whether the data can tell ...'."""
    parts = [f"{n} {s}" for s, n in group.counts.items() if n]
    about = f" — {group.about}" if group.about else ""
    return f"**{group.title}**: {', '.join(parts)}{about}"
