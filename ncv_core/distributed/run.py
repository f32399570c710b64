"""Running one task per chunk on a dask cluster and taking the results back in input order.

Tasks are submitted at once; the scheduler spreads them over the workers and, when a worker
dies, runs its tasks again elsewhere (``distributed.scheduler.allowed-failures`` times, 3 by
default). Results come back as small dicts (paths of the parts a task wrote, counts), in chunk
order, while later chunks are still running; the progress callback counts finished chunks as
they finish, in any order. The first failed chunk in input order raises its error, as a single
pass would have met it first; the remaining tasks are then cancelled.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from distributed import Client, as_completed
from distributed.client import FutureCancelledError

from ncv_core.errors import NcvError
from ncv_core.progress import ProgressFn, StopFlag, report, stopped


def run_ordered(
    client: Client,
    fn: Callable[..., Any],
    calls: Sequence[tuple],
    *,
    stage: str,
    resources: dict[str, float] | None = None,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
    count: Callable[[Any], dict[str, int]] | None = None,
) -> Iterator[Any]:
    """Yield ``fn(*calls[i])`` for i = 0, 1, ... while the tasks run on ``client``'s cluster.

    Parameters
    ----------
    fn : callable
        A module-level function (workers import it by name).
    calls : sequence of tuples
        The arguments of each task (small and picklable: paths, numbers, dataclasses).
    stage : str
        Progress stage name; ``done``/``total`` count finished tasks.
    resources : dict, optional
        Worker resources each task holds (e.g. ``{"GPU": 1}``).
    count : callable, optional
        Extra progress keys from a result (summed over finished tasks), e.g. ``scored``.

    Raises
    ------
    NcvError
        ``stop`` set, or a task killed its worker too often (``KilledWorker``).
    """
    run = uuid.uuid4().hex[:12]
    keys = [f"ncv-{stage}-{run}-{i}" for i in range(len(calls))]
    futures = [
        client.submit(fn, *args, key=key, pure=False, resources=resources)
        for key, args in zip(keys, calls, strict=True)
    ]
    index = {f.key: i for i, f in enumerate(futures)}
    finished: dict[int, Any] = {}
    sums: dict[str, int] = {}
    next_i = n_done = 0
    report(progress, stage, 0, len(futures))
    try:
        for fut in as_completed(futures):
            if stopped(stop):
                raise NcvError(f"{stage} was stopped")
            i = index[fut.key]
            finished[i] = fut  # until it is yielded, in order
            n_done += 1
            if fut.status == "finished" and count is not None:
                for k, v in count(fut.result()).items():
                    sums[k] = sums.get(k, 0) + v
            report(progress, stage, n_done, len(futures), **sums)
            while next_i in finished:
                yield _result(finished.pop(next_i), calls[next_i])
                next_i += 1
    finally:
        client.cancel([f for f in futures if not f.done()])


def _result(fut, args: tuple) -> Any:
    """A finished task's result; its error (a worker that kept dying: an NcvError) if it failed."""
    from distributed import KilledWorker

    try:
        return fut.result()
    except KilledWorker as exc:
        raise NcvError(
            f"a worker died each time it ran task {fut.key} ({exc}); out of memory? Give the "
            "workers more memory or use a smaller --chunk-size"
        ) from exc
    except FutureCancelledError as exc:
        raise NcvError(f"task {fut.key} was cancelled (the cluster went away?)") from exc
