"""What many small chunks cost on a dask cluster: one VCF scored with several ``--chunk-size``.

Each size runs in a child process (``_cluster_child.py``, a LocalCluster of ``--workers``
workers): end-to-end seconds, worker and client CPU seconds, peak RSS per worker.

Usage: ``python benchmarks/bench_cluster_chunks.py [--n 100000] [--workers 2]
[--chunk-sizes 20000,1000]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_score import write_vcf  # noqa: E402

from ncv_core.demo import ensure_demo  # noqa: E402
from ncv_core.errors import NcvWarning  # noqa: E402
from ncv_core.features.build import build_features  # noqa: E402
from ncv_core.io.model_folder import save_model  # noqa: E402
from ncv_core.training import train  # noqa: E402

KEYS = ("scored", "total_s", "scoring_s", "worker_cpu_s", "client_cpu_s", "worker_mb", "load")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-sizes", default="20000,1000")
    args = parser.parse_args()
    warnings.simplefilter("ignore", NcvWarning)
    demo = ensure_demo()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        res = build_features(demo.loci["GM12878"], demo.genome, demo.tracks, "GM12878")
        model = train(res.table, meta=res.meta, method="supervised", epochs=2, seed=0)
        save_model(model, tmp / "model")
        write_vcf(demo.genome, args.n, 0, tmp / "v.vcf")
        for size in [int(s) for s in args.chunk_sizes.split(",")]:
            cmd = [sys.executable, str(ROOT / "benchmarks" / "_cluster_child.py"),
                   str(args.workers), "--model", str(tmp / "model"), "--vcf", str(tmp / "v.vcf"),
                   "--out", str(tmp / f"s{size}.parquet"), "--chunk-size", str(size)]  # fmt: skip
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            if proc.returncode != 0:
                raise SystemExit(proc.stderr)
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"--chunk-size {size}: " + json.dumps({k: r[k] for k in KEYS}), flush=True)


if __name__ == "__main__":
    main()
