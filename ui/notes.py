"""Collect the core's warnings (``NcvWarning``) per thread, so a page can show them.

``warnings.catch_warnings`` swaps process-wide state and is not safe while several sessions (and
training threads) run at once. Instead, :func:`install` routes ``NcvWarning`` to a collector of
the current thread when one is open (:func:`collect`), and to the usual output otherwise.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from ncv_core.errors import NcvWarning

_local = threading.local()
_installed = threading.Lock()
_fallback = warnings.showwarning  # where everything else goes: the handler found at install()


def _show(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    sink = getattr(_local, "sink", None)
    if sink is not None and issubclass(category, NcvWarning):
        text = str(message)
        if text not in sink:
            sink.append(text)
        return
    _fallback(message, category, filename, lineno, file, line)


def install() -> None:
    """Route ``NcvWarning`` through :func:`collect` (idempotent). Shows every occurrence."""
    global _fallback
    with _installed:
        if warnings.showwarning is not _show:
            _fallback = warnings.showwarning
            warnings.showwarning = _show
            warnings.filterwarnings("always", category=NcvWarning)


@contextmanager
def collect() -> Iterator[list[str]]:
    """Collect this thread's ``NcvWarning`` messages (deduplicated, in order) into a list."""
    install()
    previous = getattr(_local, "sink", None)
    _local.sink = sink = []
    try:
        yield sink
    finally:
        _local.sink = previous
