"""Progress reporting without a UI: long work calls ``progress(dict)``.

Every long-running function takes ``progress: ProgressFn | None = None``. It is called with a
dict that always holds ``stage`` (str), ``done`` (int) and ``total`` (int or None), plus
stage-specific keys (an epoch's metrics, say). The app turns these into progress bars and live
plots, the CLI (and ``verbose=True``) into a tqdm bar on stderr (:class:`TqdmProgress`). Work that can be stopped takes ``stop``, any object with an
``is_set()`` method (a ``threading.Event``), and checks it between units of work.
"""

from __future__ import annotations

import sys
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


class TqdmProgress:
    """Callable progress sink: one bar per ``stage``, closed when the stage changes or ends.

    ``postfix_keys`` names extra keys of the progress dict shown beside the bar (e.g. ``val_auroc``).
    """

    def __init__(self, *, disable: bool | None = None, postfix_keys: tuple[str, ...] = ()) -> None:
        self.disable = (not sys.stderr.isatty()) if disable is None else disable
        self.postfix_keys = postfix_keys
        self._bar: Any = None
        self._stage: str | None = None

    def __call__(self, event: dict[str, Any]) -> None:
        stage, done, total = event.get("stage"), event.get("done", 0), event.get("total")
        if stage != self._stage:
            from tqdm import tqdm  # only when a bar is drawn

            self.close()
            self._stage = stage
            self._bar = tqdm(
                total=total,
                desc=str(stage),
                disable=self.disable,
                file=sys.stderr,
                leave=False,
                dynamic_ncols=True,
            )
        assert self._bar is not None
        if total is not None and self._bar.total != total:
            self._bar.total = total
        self._bar.n = done
        post = {k: event[k] for k in self.postfix_keys if event.get(k) is not None}
        if post:
            self._bar.set_postfix(
                {k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in post.items()},
                refresh=False,
            )
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
            self._stage = None

    def __enter__(self) -> TqdmProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress_or_bar(progress: ProgressFn | None, verbose: bool) -> ProgressFn | None:
    """``progress``, or a :class:`TqdmProgress` bar on stderr when ``verbose`` and none was given."""
    if progress is not None or not verbose:
        return progress
    return TqdmProgress(disable=False)
