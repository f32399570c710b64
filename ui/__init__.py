"""UI helpers shared by the Streamlit pages: session state, cached core calls, figures, jobs.

Only ``state``, ``cached``, ``render`` and ``jobs`` use Streamlit; ``plots``, ``notes`` and
``modelfiles`` are plain Python (tested without a running app). No science here: every number
shown comes from an ``ncv_core`` call.
"""
