"""Data quality: quarantined rows by source and rule, Great Expectations results, diagnostics status."""

from __future__ import annotations

import common
import formatting as fmt
import pandas as pd
import streamlit as st

import data

EXAMPLES_PER_RULE = 3

market = common.header("Data quality", "Whether the input data and the model can be trusted.")

# --- quarantine -------------------------------------------------------------------------------------
st.subheader("Quarantined rows")
st.caption(
    "Raw rows that broke a rule were set aside (not used by the model). Shown for every market: raw "
    "market names are not normalised yet."
)
quarantine = data.load_table("mmm_quarantine")
if quarantine.is_missing:
    st.warning(data.missing_message(quarantine))
elif quarantine.is_empty:
    st.success("No rows were quarantined.")
else:
    rows = quarantine.frame
    source = data.first_column(rows, "source_name", "source") or "source_name"
    rule = data.first_column(rows, "rule", "rule_name") or "rule"
    counts = (
        rows.groupby([source, rule], dropna=False)
        .size()
        .rename("Rows")
        .reset_index()
        .sort_values("Rows", ascending=False)
    )
    reason = data.first_column(rows, "reason")
    if reason:
        counts["Reason"] = [
            rows.loc[(rows[source] == s) & (rows[rule] == r), reason].iloc[0]
            for s, r in zip(counts[source], counts[rule])
        ]
    st.metric(
        "Quarantined rows",
        f"{len(rows):,}",
        help=f"{counts[source].nunique()} sources, {counts[rule].nunique()} rules",
    )
    st.dataframe(counts.rename(columns={source: "Source", rule: "Rule"}), hide_index=True, width="stretch")
    for _, group in counts.iterrows():
        examples = rows[(rows[source] == group[source]) & (rows[rule] == group[rule])]
        plural = "s" if group["Rows"] != 1 else ""
        with st.expander(f"Examples: {group[source]} · {group[rule]} ({group['Rows']} row{plural})"):
            st.dataframe(
                examples.head(EXAMPLES_PER_RULE).dropna(axis=1, how="all"), hide_index=True, width="stretch"
            )

# --- Great Expectations -------------------------------------------------------------------------------
st.subheader("Great Expectations results")
validation = data.load_table("dq_validation_results")
if validation.is_empty:
    st.warning(data.missing_message(validation))
else:
    results = validation.frame
    success = data.first_column(results, "success", "is_success")
    critical = data.first_column(results, "is_critical", "critical")
    passed = results[success].fillna(False).astype(bool) if success else pd.Series(True, index=results.index)
    is_critical = (
        results[critical].fillna(False).astype(bool) if critical else pd.Series(False, index=results.index)
    )
    cols = st.columns(3)
    cols[0].metric("Expectations passed", f"{int(passed.sum())} of {len(results)}")
    cols[1].metric("Failed", f"{int((~passed).sum())}")
    cols[2].metric(
        "Critical failures",
        f"{int((~passed & is_critical).sum())}",
        help="A failed critical expectation stops the build",
    )
    if (~passed & is_critical).any():
        st.error("A critical expectation failed: the model outputs below may rest on bad data.")
    elif (~passed).any():
        st.warning(f"{int((~passed).sum())} non-critical expectation(s) failed; see the table.")
    else:
        st.success("Every expectation passed.")
    shown = results.copy()
    if success:
        shown[success] = passed.map({True: "✓ passed", False: "✗ failed"})
    order = (passed.astype(int) * 2 + (~is_critical).astype(int)).sort_values(kind="stable").index
    readable = [
        c
        for c in (
            "expectation",
            "expectation_type",
            "column",
            "column_name",
            success,
            "observed_value",
            critical,
        )
        if c and c in shown.columns
    ]
    st.dataframe(
        shown.loc[order, readable or list(shown.columns)], hide_index=True, width="stretch"
    )  # critical failures first
    if readable and len(readable) < len(shown.columns):
        with st.expander("Every column (expectation arguments and details)"):
            st.dataframe(shown.loc[order], hide_index=True, width="stretch")

# --- diagnostics --------------------------------------------------------------------------------------
st.subheader(f"Model diagnostics ({common.market_label(market)})")
diagnostics = common.table_for_market("fct_diagnostics", market, stop=False)
if diagnostics is not None:
    status = diagnostics["status"].astype(str).str.lower()
    counts = {s: int((status == s).sum()) for s in ("ok", "warn", "fail")}
    st.markdown(" · ".join(f"{fmt.status(s)}: **{n}**" for s, n in counts.items()))
    if counts["fail"]:
        st.error(f"{counts['fail']} diagnostic check(s) failed: read the model's numbers with caution.")
    elif counts["warn"]:
        st.warning(f"{counts['warn']} diagnostic check(s) need attention.")
    else:
        st.success("Every diagnostic check is ok.")
    st.dataframe(
        pd.DataFrame(
            {
                "Check": diagnostics["metric"].map(fmt.metric_label),
                "Value": [
                    fmt.metric_value(m, v) for m, v in zip(diagnostics["metric"], diagnostics["value"])
                ],
                "Threshold": [
                    fmt.metric_value(m, v) for m, v in zip(diagnostics["metric"], diagnostics["threshold"])
                ],
                "Status": diagnostics["status"].map(fmt.status),
                "Note": diagnostics.get("note", ""),
            }
        ).iloc[status.map({"fail": 0, "warn": 1}).fillna(2).argsort(kind="stable")],  # problems first
        hide_index=True,
        width="stretch",
    )

# --- data sufficiency -------------------------------------------------------------------------------
st.subheader(f"Data sufficiency ({common.market_label(market)})")
sufficiency = common.table_for_market("mmm_data_sufficiency", market, stop=False)
if sufficiency is not None:
    suff_status = sufficiency["status"].astype(str).str.lower()
    n_problems = int((suff_status != "ok").sum())
    st.markdown(
        f"**{n_problems}** of {len(sufficiency)} data checks need attention "
        "(history length, channels active in too few weeks, unconfigured channels, filled control weeks)."
    )
    st.dataframe(
        pd.DataFrame(
            {
                "Check": sufficiency["check_name"].astype(str).str.replace("_", " "),
                "Channel": sufficiency["channel"].fillna(""),
                "Value": sufficiency["value"],
                "Threshold": sufficiency["threshold"],
                "Status": sufficiency["status"].map(fmt.status),
                "Note": sufficiency["note"],
            }
        ).iloc[suff_status.map({"fail": 0, "warn": 1}).fillna(2).argsort(kind="stable")],  # problems first
        hide_index=True,
        width="stretch",
    )
