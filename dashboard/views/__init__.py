"""What each section shows, as pure functions over the frames ``dashboard.warehouse`` reads.

No Streamlit here (a test imports these modules in a fresh interpreter and checks that Streamlit is not
loaded): each function takes pandas frames and returns figures, sentences, tables or chart data, which
the section files in dashboard/sections/ render.
"""
