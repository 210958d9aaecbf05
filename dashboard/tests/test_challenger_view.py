"""The challenger page's verdict (dashboard.views.challenger.verdict): which check's sentence it shows."""

from __future__ import annotations

import pandas as pd

from dashboard.views import challenger

POOLED = pd.DataFrame([dict(fold=0, test_weeks=39, mmm_mape=0.05, challenger_mape=0.051, mape_ratio=1.02, paired_t=-0.4,
                            is_challenger_clearly_better=False)])


def diagnostics(residual_status: str, cv_status: str = "ok") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "check_name": ["challenger_cv_mape_ratio", "challenger_residual_structure"],
            "status": [cv_status, residual_status],
            "message": ["cv sentence", "residual sentence"],
        }
    )


def test_verdict_shows_the_residual_warning_when_the_forecasts_tie():
    out = challenger.verdict(POOLED, diagnostics("warn"))
    assert out.level == "warning" and out.text == "residual sentence"


def test_verdict_is_green_when_neither_check_warns():
    out = challenger.verdict(POOLED, diagnostics("ok"))
    assert out.level == "success" and "holds up" in out.text


def test_verdict_prefers_the_cross_validation_warning():
    clearly = POOLED.assign(is_challenger_clearly_better=True)
    assert challenger.verdict(clearly, diagnostics("warn", "warn")).text == "cv sentence"


def test_verdict_without_folds_still_shows_the_residual_warning():
    assert challenger.verdict(POOLED.iloc[0:0], diagnostics("warn")).level == "warning"
    assert challenger.verdict(POOLED.iloc[0:0], diagnostics("ok")).level == "info"
