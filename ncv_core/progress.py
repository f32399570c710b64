"""Progress reporting without a UI: long work calls ``progress(dict)``.

Every long-running function takes ``progress: ProgressFn | None = None``. It is called with a
dict that always holds ``stage`` (str), ``done`` (int) and ``total`` (int or None), plus
stage-specific keys (an epoch's metrics, say). The app turns these into progress bars and live
plots, the CLI into a tqdm bar. Work that can be stopped takes ``stop``, any object with an
``is_set()`` method (a ``threading.Event``), and checks it between units of work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

ProgressFn = Callable[[dict[str, Any]], None]


class StopFlag(Protocol):
    def is_set(self) -> bool: ...


def report(
    progress: ProgressFn | None, stage: str, done: int, total: int | None, **extra: Any
) -> None:
    """Call ``progress`` (when given) with the standard keys and ``extra``."""
    if progress is not None:
        progress({"stage": stage, "done": done, "total": total, **extra})


def stopped(stop: StopFlag | None) -> bool:
    """True when ``stop`` was given and is set."""
    return stop is not None and stop.is_set()
