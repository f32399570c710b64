"""One cluster run of ``bench_score.py --workers``, in its own process: prints a JSON line.

Worker processes are spawned and import this file as their main module, so it imports nothing
heavy at the top (as ``python -m ncv_core`` does not): start-up is what ``ncv score --workers``
pays.

Usage: ``python benchmarks/_cluster_child.py N --model DIR --vcf FILE --out FILE [--overhead K]
[--background N] [--chunk-size N]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import warnings
from pathlib import Path


def _noop(i: int) -> int:
    return i


def _peak_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _cpu_s() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workers", type=int)
    for name in ("--model", "--vcf", "--out"):
        parser.add_argument(name, required=True)
    parser.add_argument("--overhead", type=int, default=0)
    parser.add_argument("--background", type=int, default=0)
    parser.add_argument("--chunk-size", type=int, default=20_000)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from ncv_core.demo import ensure_demo
    from ncv_core.distributed import open_cluster, score_on_cluster
    from ncv_core.distributed.run import run_ordered
    from ncv_core.errors import NcvWarning
    from ncv_core.io.model_folder import load_model

    warnings.simplefilter("ignore", NcvWarning)
    demo = ensure_demo()
    model = load_model(args.model, device="cpu")
    t0 = time.perf_counter()
    with open_cluster(workers=args.workers) as cluster:
        up = time.perf_counter()
        done = score_on_cluster(
            cluster.client,
            model,
            args.vcf,
            demo.genome,
            demo.tracks,
            "GM12878",
            args.out,
            background=args.background,
            chunk_size=args.chunk_size,
        )
        end = time.perf_counter()
        rss = cluster.client.run(_peak_rss_kb)
        cpu = cluster.client.run(_cpu_s)
        per_task = None
        if args.overhead:
            t = time.perf_counter()
            calls = [(i,) for i in range(args.overhead)]
            got = list(run_ordered(cluster.client, _noop, calls, stage="noop"))
            assert got == list(range(args.overhead))
            per_task = (time.perf_counter() - t) / args.overhead
    result = {
        "scored": done.n_scored,
        "total_s": end - t0,
        "scoring_s": end - up,
        "worker_mb": sorted(v / 1024 for v in rss.values()),
        "client_mb": _peak_rss_kb() / 1024,
        "worker_cpu_s": sum(cpu.values()),
        "client_cpu_s": _cpu_s(),
        "per_task_s": per_task,
        "load": os.getloadavg(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
