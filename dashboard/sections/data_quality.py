"""Data quality: quarantined rows by source and rule, Great Expectations results, every check of the
market grouped by category (problems shown, the ok ones folded away)."""

from __future__ import annotations

import streamlit as st

from dashboard import formatting as fmt
from dashboard import ui
from dashboard.views import data_quality as view
from dashboard.views.common import market_label, not_fitted_message

market = ui.header("Data quality", "Whether the input data and the model can be trusted.")

# --- quarantine -------------------------------------------------------------------------------------
st.subheader("Quarantined rows")
st.caption(
    "Raw rows that broke a rule were set aside (not modeled). Shown for every market: a row may be "
    "quarantined precisely because its market is blank or malformed."
)
quarantine = ui.load("fct_quarantined_rows")
if quarantine.is_missing:
    st.warning(quarantine.message())
elif quarantine.is_empty:
    st.success("No rows were quarantined.")
else:
    rows = quarantine.frame
    counts = view.quarantine_counts(rows)
    ui.figures([view.quarantine_figure(rows, counts)])
    st.dataframe(counts, hide_index=True, width="stretch")
    for _, group in counts.iterrows():
        plural = "s" if group["Rows"] != 1 else ""
        with st.expander(f"Examples: {group['Source']} · {group['Rule']} ({group['Rows']} row{plural})"):
            st.dataframe(view.quarantine_examples(rows, group["Source"], group["Rule"]), hide_index=True, width="stretch")

# --- Great Expectations -------------------------------------------------------------------------------
st.subheader("Great Expectations results")
validation = ui.load("fct_data_quality_results")
if validation.is_empty:
    st.warning(validation.message())
else:
    results = view.expectations(validation.frame)
    ui.figures(results.figures)
    ui.note(results.level, results.sentence)
    st.dataframe(results.table, hide_index=True, width="stretch")
    with st.expander("Expectation arguments and details"):
        st.dataframe(results.details, hide_index=True, width="stretch")

# --- checks ---------------------------------------------------------------------------------------------
st.subheader(f"Checks ({market_label(market)})")
diagnostics = ui.table_for_market("fct_diagnostics", market, stop=False)
if diagnostics is not None:
    counts = view.status_counts(diagnostics)
    st.markdown(" · ".join(f"{fmt.status(s)}: **{n}**" for s, n in counts.items()))
    ui.note(*view.checks_sentence(counts, modeled=not not_fitted_message(diagnostics, market)))
    st.caption(
        "Every check of the market (fct_diagnostics): data sufficiency from the SQL layer, then the model's "
        "checks. Problems are listed; the checks that are ok are folded under each group."
    )
    for group in view.checks_by_category(diagnostics, ui.labels(market)):
        st.markdown(view.category_line(group))
        if not group.problems.empty:
            st.dataframe(group.problems, hide_index=True, width="stretch")
        if not group.ok.empty:
            with st.expander(f"{group.title}: {len(group.ok)} ok"):
                st.dataframe(group.ok, hide_index=True, width="stretch")
