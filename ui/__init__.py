"""UI helpers shared by the Streamlit pages: session state, cached core calls, figures, jobs.

``figures`` (plotly figures of core results), ``notes`` (warnings), ``modelfiles`` (zips) and
``batch`` are plain Python, tested without a running app; ``dataset``, ``state`` (the session),
``cached`` (``st.cache_*`` wrappers of core calls), ``render``, ``sidebar``, ``frame`` and ``jobs``
(background training) use Streamlit. No science here: every number shown comes from an
``ncv_core`` call.
"""
