"""Readable numbers: money as $1.2M / $45.6k / $950, shares as 12.3%, ratios as 1.35x."""

from __future__ import annotations

import math
import re

CURRENCY_SYMBOL = "$"  # money is in the reporting currency (dbt var `reporting_currency`, default USD)


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def money(value: object, signed: bool = False) -> str:
    """Money with a k/M/B suffix: 1234567 -> '$1.23M', -45600 -> '-$45.6k', 950 -> '$950'."""
    if _is_missing(value):
        return "–"
    amount = float(value)  # type: ignore[arg-type]
    sign = "-" if amount < 0 else ("+" if signed and amount > 0 else "")
    size = abs(amount)
    for divisor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= divisor:
            scaled = size / divisor
            digits = 2 if scaled < 10 else (1 if scaled < 100 else 0)
            return f"{sign}{CURRENCY_SYMBOL}{scaled:.{digits}f}{suffix}"
    return f"{sign}{CURRENCY_SYMBOL}{size:,.0f}"


def money_range(lower: object, upper: object, signed: bool = False) -> str:
    """'$1.10M – $1.45M' (an interval)."""
    return f"{money(lower, signed)} – {money(upper, signed)}"


def share(value: object, signed: bool = False) -> str:
    """A fraction as a percentage: 0.123 -> '12.3%'."""
    if _is_missing(value):
        return "–"
    return f"{float(value) * 100:{'+' if signed else ''}.1f}%"  # type: ignore[arg-type]


def ratio(value: object) -> str:
    """Return per dollar spent: 1.346 -> '1.35'."""
    if _is_missing(value):
        return "–"
    return f"{float(value):.2f}"  # type: ignore[arg-type]


def number(value: object) -> str:
    """A plain figure with sensible precision (diagnostics mix R², percentages and counts)."""
    if _is_missing(value):
        return "–"
    amount = float(value)  # type: ignore[arg-type]
    if amount == int(amount) and abs(amount) < 1e6:
        return f"{int(amount):,}"
    if abs(amount) >= 100:
        return f"{amount:,.0f}"
    return f"{amount:.3g}" if abs(amount) < 1 else f"{amount:.2f}"


STATUS_ICON = {"ok": "✓", "warn": "⚠", "fail": "✗"}  # plain symbols: no emoji font needed


def status(value: object) -> str:
    """'ok' -> '✓ ok' (unknown statuses are shown as they are)."""
    text = "" if value is None else str(value)
    icon = STATUS_ICON.get(text.lower())
    return f"{icon} {text}" if icon else text


TOKENS = {
    "r2": "R²",
    "mape": "MAPE",
    "nrmse": "NRMSE",
    "rmse": "RMSE",
    "vif": "VIF",
    "rssd": "RSSD",
    "roi": "ROI",
    "mroi": "marginal ROI",
    "cv": "cross-validated",
    "z": "z-score",
    "pvalue": "p-value",
    "decomp": "DECOMP",
}
PHRASES = {"in sample": "in-sample", "durbin watson": "Durbin-Watson", "ljung box": "Ljung-Box"}

# how a check's value reads (fct_diagnostics.check_name); any other check is a plain figure
PERCENT_CHECKS = frozenset(
    {
        "in_sample_mape",
        "holdout_mape",
        "cv_mape",
        "channel_small_spend",
        "channel_rarely_active",
        "channel_spend_missing",
    }
)
MONEY_CHECKS = frozenset({"spend_outside_calendar", "channel_spend_negative", "channel_spend_constant", "sigma"})


def check_label(check_name: str) -> str:
    """A check's name in words: 'holdout_mape' -> 'Holdout MAPE', 'in_sample_r2' -> 'In-sample R²',
    'lift_test_z' -> 'Lift test z-score', 'weeks_of_history' -> 'Weeks of history'."""
    words = [TOKENS.get(word, word) for word in re.split(r"[_\s]+", str(check_name)) if word]
    text = " ".join(words)
    for phrase, replacement in PHRASES.items():
        text = text.replace(phrase, replacement)
    return text[:1].upper() + text[1:]


def check_value(check_name: str, value: object) -> str:
    """A check's value (or threshold) as it reads best: percentages for error rates and shares stored
    as fractions, money for amounts, plain figures otherwise."""
    name = str(check_name)
    if name in PERCENT_CHECKS:
        return share(value)
    if name in MONEY_CHECKS:
        return money(value)
    return number(value)
