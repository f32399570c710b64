"""UI helpers shared by the Streamlit pages: session state, cached core calls, figures, jobs.

``plots`` and ``seqplots`` (figures), ``notes`` (warnings) and ``modelfiles`` (zips) are plain
Python, tested without a running app; ``state``, ``cached``, ``render``, ``sidebar`` and
``jobs`` (background training) use Streamlit. No science here: every number
shown comes from an ``ncv_core`` call.
"""
