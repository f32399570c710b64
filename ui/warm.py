"""Precompute the slow views in the background, so pages open fast (issue 15: <= 3 s).

``app.py`` calls :func:`warm` on every run. Once per server and per (model, data set) it starts a
thread that fills the same ``st.cache_data`` entries the pages read: for a sequence CNN first the
filter PWMs and the influence of every filter on the page's default 100 sequences (side by side,
1.3 s each on the demo's DeepBind), then the JASPAR matrices (2.6 s to parse, once per server)
and the best JASPAR match of the 8 most influential filters; then the random-SNV background of
Variant lookup's percentiles (5 s on the demo); the JASPAR matrices last for a model without
filters. A page that asks for an entry while the thread computes it
waits for that one computation (Streamlit's per-key compute lock) instead of starting its own.

Only a running server warms (AppTest and scripts have no Streamlit runtime); ``NCV_WARM=0``
turns it off.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from streamlit.runtime import Runtime

from ui import cached
from ui.dataset import DataSet, file_stamp
from ui.jobs import one_torch_thread

log = logging.getLogger(__name__)

INFLUENCE_SEQS = 100  # the Filter motifs page's default
LOGOS = 8  # the Filter motifs page's default number of logos (and TomTom matches)
DISTANCE = "pearson"  # the page's default TomTom column similarity

_started: set[tuple] = set()
_lock = threading.Lock()


class _QuietWarmThread(logging.Filter):
    """Drop Streamlit's "missing ScriptRunContext" warning from the warming thread (it calls
    cached functions outside a script run on purpose), and only from it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not threading.current_thread().name.startswith("ncv-warm")


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
    _QuietWarmThread()
)


def warm(path: Path | None, data: DataSet) -> threading.Thread | None:
    """Start the background precomputation for ``path`` on ``data`` (once each); the thread."""
    if os.environ.get("NCV_WARM", "1") == "0" or not Runtime.exists():
        return None
    key = (None if path is None else (str(path), file_stamp(path)), data.key())
    with _lock:
        if key in _started:
            return None
        _started.add(key)
    thread = threading.Thread(target=_work, args=(path, data), name="ncv-warm", daemon=True)
    thread.start()
    return thread


def _one_thread(fn, *args):
    with one_torch_thread():
        return fn(*args)


def _filters(path: Path, data: DataSet) -> None:
    """The Filter motifs page's views: PWMs and influence side by side, then the matches."""
    with ThreadPoolExecutor(2, thread_name_prefix="ncv-warm") as pool:  # independent
        motifs = pool.submit(_one_thread, cached.motifs_of_filters, path, data)
        infl = pool.submit(_one_thread, cached.influence, path, data, INFLUENCE_SEQS)
        fm, (influence, _) = motifs.result(), infl.result()
    order = abs(influence.mean_delta_prob[:, 0]).argsort()[::-1][:LOGOS]
    cached.jaspar()  # the matrices the matches need (parsed once per server)
    cached.filter_matches(path, data, DISTANCE, [int(i) for i in order])
    log.info("warmed the filter views of %s (%d filters)", path.name, len(fm.pwms))


def _work(path: Path | None, data: DataSet) -> None:
    try:
        with one_torch_thread():
            if path is not None and hasattr(cached.model(path).model, "filter_conv"):
                _filters(path, data)
            if path is not None:
                cached.background(path, data)  # Variant lookup's percentiles (10,000 SNVs)
            cached.jaspar()  # last for a model without filters: only Filter motifs reads it
    except Exception:  # a view that fails here fails again, visibly, on its page
        log.debug("warming %s failed", path, exc_info=True)
