"""A tqdm bar per stage, fed by the core's ``progress(dict)`` callbacks."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


class TqdmProgress:
    """Callable progress sink: one bar per ``stage``, closed when the stage changes or ends.

    ``postfix_keys`` names extra keys of the progress dict shown beside the bar (e.g. ``val_auroc``).
    """

    def __init__(self, *, disable: bool | None = None, postfix_keys: tuple[str, ...] = ()) -> None:
        self.disable = (not sys.stderr.isatty()) if disable is None else disable
        self.postfix_keys = postfix_keys
        self._bar: tqdm | None = None
        self._stage: str | None = None

    def __call__(self, event: dict[str, Any]) -> None:
        stage, done, total = event.get("stage"), event.get("done", 0), event.get("total")
        if stage != self._stage:
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
