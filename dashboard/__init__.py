"""The marketing mix dashboard (Streamlit), as a package.

* ``reads``: the one declaration of what the dashboard reads (public mart -> columns).
* ``warehouse``: read-only access to the DuckDB file; refuses any table or column not declared.
* ``views``: what each section shows (figures, sentences, tables, chart data), pure functions over
  pandas frames, tested without Streamlit.
* ``charts``, ``formatting``, ``reoptimize``: Altair charts, readable numbers, the budget re-split from
  the stored response curves (``mmm.optimize``, ``mmm.response``).
* ``ui``, ``app.py``, ``sections/``: the Streamlit layer (``make dashboard`` runs ``streamlit run
  dashboard/app.py``); the section files only call ``views`` and render.
"""
