"""The experiment planner page and the Budget page's next-quarter block, run with Streamlit's AppTest against the
warehouse of a real `dbt build`; what they show is compared with figures derived from the built tables."""

from __future__ import annotations

import json

import pytest

from dashboard import formatting as fmt
from dashboard.tests.test_dashboard_app import PAGES as BASE_PAGES
from dashboard.tests.test_dashboard_app import metrics, open_section, rows, texts
from dashboard.views import plan_forecast

PAGES = {**BASE_PAGES, "experiment_plan": "sections/experiment_plan.py"}


@pytest.fixture(autouse=True)
def _pages(monkeypatch):
    import dashboard.tests.test_dashboard_app as app_tests

    monkeypatch.setattr(app_tests, "PAGES", PAGES)


def display(tables, market: str) -> dict[str, str]:
    summary = rows(tables, "fct_channel_summary", market)
    return dict(zip(summary["channel"], summary["display_name"]))


def chart_titles(at) -> list[str]:
    out = []
    for chart in at.get("vega_lite_chart"):
        title = json.loads(chart.proto.spec).get("title", "")
        out.append(title.get("text", "") if isinstance(title, dict) else str(title))
    return out


@pytest.mark.parametrize("market", ["us", "ca"])
def test_experiment_planner_page(monkeypatch, built_db, tables, market):
    at = open_section(monkeypatch, built_db, "experiment_plan", market=market)
    assert texts(at.title) == ["Experiment planner"]
    plan = rows(tables, "fct_experiment_plan", market)
    names = display(tables, market)
    best = plan[plan["is_recommended"] & plan["is_testable"]].sort_values("priority_rank").iloc[0]
    shown = metrics(at)
    assert shown["Test next"] == names[best["channel"]]
    assert shown["Expected lift"] == fmt.money(best["expected_lift"])
    assert shown["Power"] == fmt.share(best["power"])
    [success] = texts(at.success)
    assert success.startswith("**Next test: ") and f"for {int(best['test_weeks'])} week" in success
    hopeless = plan[plan["is_recommended"] & ~plan["is_testable"]]
    warnings = [w for w in texts(at.warning) if w.startswith("Cannot be tested usefully")]
    assert len(warnings) == (1 if len(hopeless) else 0)
    for channel in hopeless["channel"]:
        assert f"**{names[channel]}**" in warnings[0]
    ranking = at.dataframe[0].value
    recommended = plan[plan["is_recommended"]].sort_values("priority_rank")
    assert list(ranking["Channel"]) == [names[c] for c in recommended["channel"]]
    assert list(ranking["Testable"]) == ["✓" if t else "✗ not usefully" for t in recommended["is_testable"]]
    designs = at.dataframe[1].value
    assert len(designs) == len(plan)
    assert chart_titles(at) == ["Where a lift test is worth most"]
    # the loop closed: each lift test of the market, predicted before the model saw it
    validation = rows(tables, "fct_experiment_validation", market)
    assert len(validation), "the demo has a lift test in each market"
    right = int(validation["is_model_right"].sum())
    assert f"Before seeing them, the model predicted **{right} of {len(validation)}**" in " ".join(texts(at.markdown))
    table = at.dataframe[2].value
    assert sorted(table["Experiment"]) == sorted(validation["experiment_id"])
    misses = [w for w in texts(at.warning) if "before seeing it, the model predicted" in w]
    assert len(misses) == len(validation) - right


def test_planner_says_the_model_was_too_high_before_seeing_the_canadian_search_test(monkeypatch, built_db, tables):
    validation = tables["fct_experiment_validation"]
    off = validation[~validation["is_model_right"]]
    [market] = off["market"].unique()
    at = open_section(monkeypatch, built_db, "experiment_plan", market=market)
    [miss] = [w for w in texts(at.warning) if "before seeing it, the model predicted" in w]
    row = off.iloc[0]
    assert row["experiment_id"] in miss and "predicted more lift than the test measured" in miss
    assert f"z = {row['z_score_before']:+.2f}" in miss


def test_budget_page_shows_the_next_quarter(monkeypatch, built_db, tables):
    at = open_section(monkeypatch, built_db, "budget", market="us")
    assert "Next quarter: plans forecast week by week" in texts(at.subheader)
    summary = rows(tables, "fct_plan_summary", "us").set_index("plan_name")
    radio = at.radio(key="plan_us")
    assert radio.value == "spend_plan" and list(radio.options) == [
        plan_forecast.plan_label(p) for p in plan_forecast.plans(summary.reset_index())
    ]
    shown = metrics(at)
    assert shown["Expected revenue"] == fmt.money(summary.loc["spend_plan", "expected_revenue"])
    assert shown["Planned spend"] == fmt.money(summary.loc["spend_plan", "planned_spend"])
    assert any(m.startswith("Under **your spend plan**") for m in texts(at.markdown))
    plans_table = next(d.value for d in at.dataframe if "Plan" in d.value.columns)
    assert list(plans_table["Expected revenue"]) == [
        fmt.money(summary.loc[p, "expected_revenue"]) for p in plan_forecast.plans(summary.reset_index())
    ]
    titles = chart_titles(at)
    assert any(t.startswith("Expected weekly revenue by plan") for t in titles)
    assert "Your spend plan: weekly spend by channel" in titles
    target = summary.loc["target_growth"]
    if target["is_target_reached"]:
        assert any(s.startswith("To reach +15.0%") and fmt.money(target["planned_spend"]) in s for s in texts(at.success))
    else:
        assert any("cannot be reached" in w for w in texts(at.warning))
    # another plan: its figures replace the spend plan's
    radio.set_value("optimized").run()
    assert not at.exception
    assert metrics(at)["Expected revenue"] == fmt.money(summary.loc["optimized", "expected_revenue"])
    assert "Optimized split of the budget: weekly spend by channel" in chart_titles(at)
    allocation = rows(tables, "fct_plan_allocation", "us")
    table = next(d.value for d in at.dataframe if "Week" in d.value.columns)
    optimized = allocation[allocation["plan_name"] == "optimized"]
    assert list(table["Total"]) == [fmt.money(v) for v in optimized.groupby("week_start_date")["planned_spend"].sum()]


def test_budget_page_says_when_the_plan_tables_are_missing(monkeypatch, db_copy):
    db = db_copy(drop=("fct_plan_summary",))
    at = open_section(monkeypatch, db, "budget", market="us")
    assert any("fct_plan_summary" in w for w in texts(at.warning))
    assert "Target budgets" in texts(at.subheader)  # the rest of the page still works


def test_planner_page_with_an_empty_validation_table(monkeypatch, db_copy, tables):
    db = db_copy(empty=("fct_experiment_validation",))
    at = open_section(monkeypatch, db, "experiment_plan", market="us")
    assert any("No lift test in this market yet" in i for i in texts(at.info))
    assert metrics(at)["Test next"]
