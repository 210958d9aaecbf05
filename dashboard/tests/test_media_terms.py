"""The optional media terms on the Channels page (fct_media_terms, fct_channel_effectiveness): the views on the tables
of the real build, whose warehouse declares one synergy pair and one drifting channel (demo_warehouse.TERM_SEEDS), and
the block in AppTest. Expected values are derived from the built tables; the readings the demo does not produce (a pair
that clearly works better together or cannibalises, a channel clearly better or worse now) are pinned on copies of the
built rows with their intervals moved."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pytest

from dashboard import charts as dashboard_charts
from dashboard import formatting as fmt
from dashboard.tests import demo_warehouse
from dashboard.tests.test_dashboard_app import chart_title, charts, open_section, rows, texts
from dashboard.views import media_terms

FITTED = ["us", "ca"]


def labels_of(tables, market: str) -> dict[str, str]:
    summary = rows(tables, "fct_channel_summary", market)
    return dict(zip(summary["channel"], summary["display_name"]))


def term_rows(tables, market: str, term_type: str) -> pd.DataFrame:
    terms = rows(tables, "fct_media_terms", market)
    return terms[terms["term_type"] == term_type].reset_index(drop=True)


def last_week(tables, market: str, channel: str) -> pd.Series:
    path = rows(tables, "fct_channel_effectiveness", market)
    return path[path["channel"] == channel].sort_values("week_start_date").iloc[-1]


def block_sentences(tables, market: str) -> list[media_terms.Sentence]:
    """What the block says for the market, through the views (the AppTest checks the section shows exactly these)."""
    labels = labels_of(tables, market)
    terms = rows(tables, "fct_media_terms", market)
    synergy = media_terms.synergy(terms, labels)
    drifting = media_terms.drifting(terms, rows(tables, "fct_channel_effectiveness", market), labels)
    return [media_terms.synergy_sentence(r) for _, r in synergy.iterrows()] + [
        media_terms.drift_sentence(r) for _, r in drifting.iterrows()
    ]


# --- the test warehouse --------------------------------------------------------------------------------------


@pytest.mark.parametrize("market", FITTED)
def test_the_test_warehouse_has_one_pair_and_one_drifting_channel(tables, market):
    synergy, drift = term_rows(tables, market, "synergy"), term_rows(tables, market, "time_varying")
    assert [tuple(r) for r in synergy[["channel_a", "channel_b"]].to_numpy()] == [demo_warehouse.SYNERGY_PAIR]
    assert list(drift["channel_a"]) == [demo_warehouse.DRIFTING_CHANNEL]
    path = rows(tables, "fct_channel_effectiveness", market)
    assert set(path["channel"]) == {demo_warehouse.DRIFTING_CHANNEL}
    assert path["week_start_date"].nunique() == rows(tables, "fct_fitted_revenue", market)["week_start_date"].nunique()


def test_the_market_not_modeled_has_no_terms(tables):
    assert rows(tables, "fct_media_terms", demo_warehouse.SMALL_MARKET).empty


# --- synergy -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("market", FITTED)
def test_synergy_pair_revenue_roi_and_reading(tables, market):
    labels = labels_of(tables, market)
    [term] = term_rows(tables, market, "synergy").itertuples()
    [row] = [r for _, r in media_terms.synergy(rows(tables, "fct_media_terms", market), labels).iterrows()]
    pair = f"{labels[term.channel_a]} & {labels[term.channel_b]}"
    expected = (
        media_terms.BETTER_TOGETHER if term.contribution_lower > 0
        else media_terms.CANNIBALISE if term.contribution_upper < 0 else media_terms.NO_SYNERGY
    )
    assert (row["pair"], row["verdict"]) == (pair, expected)
    sentence = media_terms.synergy_sentence(row)
    assert sentence.text.startswith(f"**{pair}")
    assert fmt.money_range(term.contribution_lower, term.contribution_upper) in sentence.text
    assert f"a synergy ROI of {term.roi:.3f} per $1 of their combined spend" in sentence.text
    table = media_terms.synergy_table(media_terms.synergy(rows(tables, "fct_media_terms", market), labels))
    assert table.iloc[0].to_dict() == {
        "Pair": pair,
        "Term revenue": fmt.money(term.contribution),
        "Interval": fmt.money_range(term.contribution_lower, term.contribution_upper),
        "Synergy ROI": f"{term.roi:.3f}",
        "ROI interval": f"{term.roi_lower:.3f} – {term.roi_upper:.3f}",
        "Reading": expected,
    }
    # the synergy ROI is the term's revenue per $1 of the pair's combined spend
    summary = rows(tables, "fct_channel_summary", market).set_index("channel")
    pair_spend = summary.loc[[term.channel_a, term.channel_b], "spend"].sum()
    assert term.roi == pytest.approx(term.contribution / pair_spend, rel=1e-6)


@pytest.mark.parametrize(
    ("shift", "verdict", "level", "words"),
    [
        ("above", media_terms.BETTER_TOGETHER, "success", "work better together**: running both added"),
        ("below", media_terms.CANNIBALISE, "warning", "cannibalise each other**: running both cost"),
        ("around", media_terms.NO_SYNERGY, "info", "**: no synergy the data can tell apart from none"),
    ],
)
def test_synergy_sentence_for_each_reading(tables, shift, verdict, level, words):
    """The built US row with its interval moved entirely above 0, below 0, or around 0."""
    term = term_rows(tables, "us", "synergy").iloc[0].copy()
    width = term["contribution_upper"] - term["contribution_lower"]
    size = abs(term["contribution"]) + width
    term["contribution"], term["contribution_lower"], term["contribution_upper"] = {
        "above": (size, width / 4, 2 * size),
        "below": (-size, -2 * size, -width / 4),
        "around": (size / 10, -size, size),
    }[shift]
    [row] = [r for _, r in media_terms.synergy(pd.DataFrame([term]), labels_of(tables, "us")).iterrows()]
    assert row["verdict"] == verdict
    sentence = media_terms.synergy_sentence(row)
    assert (sentence.level, sentence.term) == (level, term["term"])
    assert words in sentence.text
    if shift == "below":  # a loss is said as a positive amount lost
        assert f"cost {fmt.money(size)} of revenue" in sentence.text


# --- drift ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("market", FITTED)
def test_drift_compares_current_with_average_roi(tables, market):
    labels = labels_of(tables, market)
    [term] = term_rows(tables, market, "time_varying").itertuples()
    last = last_week(tables, market, term.channel_a)
    # the engine's definition: ROI now = average ROI x the last week's effectiveness over its average
    assert term.roi_current == pytest.approx(term.roi * last["effectiveness"], rel=1e-6)
    [row] = [r for _, r in media_terms.drifting(
        rows(tables, "fct_media_terms", market), rows(tables, "fct_channel_effectiveness", market), labels).iterrows()]
    expected = (
        media_terms.BETTER_NOW if last["effectiveness_lower"] > 1
        else media_terms.WORSE_NOW if last["effectiveness_upper"] < 1 else media_terms.NO_DRIFT
    )
    assert (row["label"], row["now"], row["verdict"]) == (labels[term.channel_a], last["effectiveness"], expected)
    sentence = media_terms.drift_sentence(row)
    assert sentence.text.startswith(f"**{labels[term.channel_a]}")
    now = f"is {fmt.ratio(term.roi_current)} ({fmt.ratio(term.roi_current_lower)} – {fmt.ratio(term.roi_current_upper)})"
    assert now in sentence.text
    assert f"against {fmt.ratio(term.roi)} on average over the modeled period" in sentence.text
    assert f"the last week's effectiveness is {last['effectiveness']:.2f}x its average" in sentence.text


@pytest.mark.parametrize(
    ("now", "verdict", "level", "words"),
    [
        ((1.3, 1.1, 1.5), media_terms.BETTER_NOW, "success", "works better now than on average**"),
        ((0.7, 0.5, 0.9), media_terms.WORSE_NOW, "warning", "works less well now than on average**"),
        ((1.0, 0.8, 1.2), media_terms.NO_DRIFT, "info", "**: no change of effectiveness the data can tell apart"),
    ],
)
def test_drift_sentence_for_each_reading(tables, now, verdict, level, words):
    """The built US path with its last week moved above, below or around the average."""
    path = rows(tables, "fct_channel_effectiveness", "us")
    last = path["week_start_date"] == path["week_start_date"].max()
    path.loc[last, ["effectiveness", "effectiveness_lower", "effectiveness_upper"]] = now
    [row] = [r for _, r in media_terms.drifting(rows(tables, "fct_media_terms", "us"), path, labels_of(tables, "us")).iterrows()]
    assert row["verdict"] == verdict
    sentence = media_terms.drift_sentence(row)
    assert sentence.level == level and words in sentence.text


def test_drift_without_effectiveness_rows_reads_the_current_roi_interval(tables):
    """An older build without fct_channel_effectiveness: the reading compares ROI now's interval with the average."""
    terms = rows(tables, "fct_media_terms", "us")
    [term] = term_rows(tables, "us", "time_varying").itertuples()
    [row] = [r for _, r in media_terms.drifting(terms, pd.DataFrame(), labels_of(tables, "us")).iterrows()]
    expected = media_terms.drift_verdict(term.roi_current_lower / term.roi, term.roi_current_upper / term.roi)
    assert pd.isna(row["now"]) and row["verdict"] == expected
    assert "x its average" not in media_terms.drift_sentence(row).text


@pytest.mark.parametrize("market", FITTED)
def test_effectiveness_path_and_chart(tables, market):
    channel = demo_warehouse.DRIFTING_CHANNEL
    built = rows(tables, "fct_channel_effectiveness", market)
    built = built[built["channel"] == channel].sort_values("week_start_date")
    path = media_terms.effectiveness_path(rows(tables, "fct_channel_effectiveness", market), channel)
    assert list(path.columns) == ["week_start_date", "effectiveness", "lower", "upper"]
    assert path["week_start_date"].is_monotonic_increasing and len(path) == len(built)
    assert list(path["effectiveness"]) == list(built["effectiveness"])
    assert (path["lower"] <= path["effectiveness"]).all() and (path["effectiveness"] <= path["upper"]).all()
    spec = dashboard_charts.effectiveness_path(path, "Paid social: effectiveness over time").to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert marks == ["area", "rule", "line"]
    assert spec["layer"][1]["encoding"]["y"] == {"datum": 1.0}  # the average


def test_nothing_to_show_says_off_or_not_for_this_market(tables):
    terms = tables["fct_media_terms"]
    off = media_terms.nothing_to_show(terms.iloc[0:0], terms.iloc[0:0], "us")
    assert off == media_terms.OFF
    assert "seeds/channel_interactions.csv" in off and "seeds/channel_time_varying.csv" in off
    other = media_terms.nothing_to_show(terms, terms[terms["market"] == "fr"], "fr")
    assert other.startswith("None of the declared optional media terms applies to market FR")
    assert media_terms.nothing_to_show(terms, rows(tables, "fct_media_terms", "us"), "us") is None


# --- the Channels page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("market", FITTED)
def test_channels_page_shows_the_optional_media_terms(monkeypatch, built_db, tables, market):
    at = open_section(monkeypatch, built_db, "channels", market=market)
    assert "Optional media terms" in texts(at.subheader)
    boxes = {"success": texts(at.success), "warning": texts(at.warning), "info": texts(at.info)}
    for sentence in block_sentences(tables, market):
        assert sentence.text in boxes[sentence.level], sentence.term
    labels = labels_of(tables, market)
    [term] = term_rows(tables, market, "synergy").itertuples()
    table = next(d.value for d in at.dataframe if "Pair" in d.value.columns)
    assert table.iloc[0]["Pair"] == f"{labels[term.channel_a]} & {labels[term.channel_b]}"
    assert table.iloc[0]["Term revenue"] == fmt.money(term.contribution)
    assert table.iloc[0]["Interval"] == fmt.money_range(term.contribution_lower, term.contribution_upper)
    title = f"{labels[demo_warehouse.DRIFTING_CHANNEL]}: effectiveness over time"
    [chart] = [c for c in at.get("vega_lite_chart") if chart_title(json.loads(c.proto.spec)) == title]
    [dataset] = chart.proto.datasets
    shown = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
    path = media_terms.effectiveness_path(rows(tables, "fct_channel_effectiveness", market), demo_warehouse.DRIFTING_CHANNEL)
    assert len(shown) == len(path) and list(shown["effectiveness"]) == list(path["effectiveness"])
    assert media_terms.SYNERGY_SPLIT in texts(at.caption)


def test_channels_page_says_the_terms_are_off(monkeypatch, db_copy):
    db = db_copy(empty=("fct_media_terms", "fct_channel_effectiveness"))
    at = open_section(monkeypatch, db, "channels", market="us")
    assert "Optional media terms" in texts(at.subheader)
    assert media_terms.OFF in texts(at.caption)
    assert not any("effectiveness over time" in chart_title(s) for s in charts(at))
    assert not any("Pair" in d.value.columns for d in at.dataframe)


def test_channels_page_without_the_terms_table(monkeypatch, db_copy):
    at = open_section(monkeypatch, db_copy(drop=("fct_media_terms",)), "channels", market="us")
    assert "Table `fct_media_terms` does not exist in the warehouse: run `make build` first." in texts(at.warning)
    assert "Channel table" in texts(at.subheader)  # the rest of the page still works
