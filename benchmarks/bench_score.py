"""End-to-end variant scoring speed and memory: ``ncv score`` on 100k simulated variants.

The variants are a VCF of random single-base changes on the demo genome; the model is SSL_dnn
(trained for two epochs on the demo's GM12878 table: speed does not depend on the weights).
``ncv score`` runs in a child process so its peak RSS can be read. The baseline, timed in the
same run on a subsample, scores one variant at a time: pyfaidx window + two pyBigWig
``stats(exact=True)`` per track + composition, then one forward pass for the reference and one
for the alternative.

With ``--workers 1,2`` the same VCF is then scored on a dask LocalCluster of 1 and of 2 worker
processes (``score_on_cluster``, what ``ncv score --workers N`` runs), each in a child process:
end-to-end time (cluster start, model loading, index pass, scoring, assembly), the time once the
cluster is up, the peak RSS of each worker and of the client, and that the Parquet output is
byte-identical to the single process's. ``--overhead N`` also times N no-op tasks through the
engine's task runner on the largest cluster (the scheduler's cost per task).

Usage: ``python benchmarks/bench_score.py [--n 100000] [--baseline-n 1000] [--workers 1,2]
[--overhead 2000]``
Target (issue 4): >= 3,300 variants/s end to end (1M in <= 5 min) and <= 2 GB RSS on 2 cores.
Target (issue 12, 1M variants, 2 cores): 2 workers >= 1.7x one worker and >= 6,000 variants/s,
<= 1 GB RSS per worker.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pyfaidx
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ncv_core.demo import ensure_demo  # noqa: E402
from ncv_core.errors import NcvWarning  # noqa: E402
from ncv_core.features.build import build_features  # noqa: E402
from ncv_core.io.genome import Genome  # noqa: E402
from ncv_core.io.manifest import read_manifest  # noqa: E402
from ncv_core.io.model_folder import load_model, save_model  # noqa: E402
from ncv_core.sequence import composition  # noqa: E402
from ncv_core.training import train  # noqa: E402


def write_vcf(genome_path: Path, n: int, seed: int, out: Path) -> None:
    rng = np.random.default_rng(seed)
    with Genome(genome_path) as g:
        names = list(g.contigs)
        sizes = np.array([g.contigs[c] for c in names], dtype=np.int64)
        which = rng.choice(len(names), n, p=sizes / sizes.sum())
        pos = rng.integers(200, sizes[which] - 200)
        order = np.lexsort((pos, which))
        chroms, pos = [names[i] for i in which[order]], pos[order]
        refs = g.bases_at(chroms, pos)
    shift = rng.integers(1, 4, n)
    with open(out, "w") as fh:
        fh.write("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for i, (c, p, r) in enumerate(zip(chroms, pos.tolist(), refs, strict=True)):
            alt = "ACGT"[("ACGT".index(r) + int(shift[i])) % 4] if r in "ACGT" else "A"
            fh.write(f"{c}\t{p}\tv{i}\t{r}\t{alt}\t.\t.\t.\n")


def naive(model_dir: Path, demo, vcf: Path, n: int) -> float:
    model = load_model(model_dir, device="cpu")
    specs = [s for s in read_manifest(demo.tracks) if s.cell_line == "GM12878"]
    rows = pd.read_csv(vcf, sep="\t", comment="#", header=None, nrows=n).to_numpy()
    t0 = time.perf_counter()
    fasta = pyfaidx.Fasta(str(demo.genome), as_raw=True, strict_bounds=True)
    bws = [(s, pyBigWig.open(str(s.signal))) for s in specs]
    for chrom, pos, _, _ref, alt, *_ in rows:
        seq = fasta[chrom][pos - 76 : pos + 74]
        feats = {}
        for spec, bw in bws:
            feats[f"{spec.mark}_max"] = (
                bw.stats(chrom, pos - 76, pos + 74, type="max", exact=True)[0] or 0.0
            )
            feats[f"{spec.mark}_sum"] = (
                bw.stats(chrom, pos - 76, pos + 74, type="sum", exact=True)[0] or 0.0
            )
            feats[f"{spec.mark}_peak"] = 0.0
        for s in (seq, seq[:75] + alt + seq[76:]):
            row = pd.DataFrame([{**feats, **composition([s]).iloc[0].to_dict(), "seq": s}])
            with torch.inference_mode():
                model.positive_logit(row)
    return time.perf_counter() - t0


def _score_help() -> str:
    """``ncv score --help`` (older versions have no ``--background``)."""
    cmd = [sys.executable, "-m", "ncv_core", "score", "--help"]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout


def run_workers(args, tmp: Path, n_workers: list[int], single_rate: float) -> None:
    """Each cluster size in a child process; print its line and check the output is identical."""
    reference = (tmp / "scores.parquet").read_bytes()
    rates = {}
    for w in n_workers:
        out = tmp / f"scores-{w}.parquet"
        cmd = [sys.executable, str(ROOT / "benchmarks" / "_cluster_child.py"), str(w),
               "--model", str(tmp / "model"),
               "--vcf", str(tmp / "variants.vcf"), "--out", str(out),
               "--overhead", str(args.overhead if w == max(n_workers) else 0),
               "--background", str(args.background)]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            raise SystemExit(proc.stderr)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        rates[w] = r["scored"] / r["total_s"]
        same = out.read_bytes() == reference
        print(
            f"  {w} worker{'s' if w > 1 else ' '} (end to end):      {r['total_s']:7.1f} s  "
            f"{rates[w]:8,.0f} variants/s  ({r['scored'] / r['scoring_s']:,.0f}/s once up)  "
            f"peak RSS per worker {', '.join(f'{m:,.0f}' for m in r['worker_mb'])} MB, "
            f"client {r['client_mb']:,.0f} MB; CPU workers {r['worker_cpu_s']:,.0f} s + client "
            f"{r['client_cpu_s']:,.0f} s ({r['scored'] / r['worker_cpu_s']:,.0f} variants per "
            f"worker CPU-second); load {r['load'][0]:.2f}; "
            f"{'identical' if same else 'DIFFERENT'} Parquet"
        )
        if r["per_task_s"] is not None:
            print(f"  scheduler overhead: {r['per_task_s'] * 1e3:.2f} ms per task "
                  f"({args.overhead:,} no-op tasks on {w} workers)")  # fmt: skip
    if 1 in rates and len(rates) > 1:
        top = max(rates)
        print(f"  {top} workers / 1 worker: {rates[top] / rates[1]:.2f}x; "
              f"/ single process: {rates[top] / single_rate:.2f}x "
              "(target >= 1.7x, >= 6,000 variants/s, <= 1 GB per worker)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--baseline-n", type=int, default=1_000)
    parser.add_argument(
        "--background", type=int, default=0, help="ncv score's random-SNV background (default 0)"
    )
    parser.add_argument("--workers", default=None, help="cluster sizes to compare, e.g. 1,2")
    parser.add_argument("--overhead", type=int, default=0, help="no-op tasks to time")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    warnings.simplefilter("ignore", NcvWarning)
    demo = ensure_demo()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        res = build_features(demo.loci["GM12878"], demo.genome, demo.tracks, "GM12878")
        save_model(
            train(res.table, meta=res.meta, method="supervised", epochs=2, seed=0), tmp / "model"
        )
        vcf = tmp / "variants.vcf"
        write_vcf(demo.genome, args.n, 0, vcf)
        cmd = [
            sys.executable,
            "-m",
            "ncv_core",
            "score",
            "--model",
            str(tmp / "model"),
            "--loci",
            str(vcf),
            "--genome",
            str(demo.genome),
            "--tracks",
            str(demo.tracks),
            "--cell-line",
            "GM12878",
            "--out",
            str(tmp / "scores.parquet"),
            *(["--background", str(args.background)] if "--background" in _score_help() else []),
        ]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        fast = time.perf_counter() - t0
        use = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_s = use.ru_utime + use.ru_stime
        if proc.returncode != 0:
            raise SystemExit(proc.stderr)
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        scored = len(pd.read_parquet(tmp / "scores.parquet"))
        slow = naive(tmp / "model", demo, vcf, args.baseline_n)
        fast_rate = scored / fast
        if args.workers:
            print(f"  single process (ncv score): {fast:7.1f} s  {fast_rate:8,.0f} variants/s  "
                  f"peak RSS {rss_mb:,.0f} MB; CPU {cpu_s:,.0f} s "
                  f"({scored / cpu_s:,.0f} variants per CPU-second); "
                  f"load {os.getloadavg()[0]:.2f}")  # fmt: skip
            run_workers(args, tmp, [int(w) for w in args.workers.split(",")], fast_rate)
    fast_rate, slow_rate = scored / fast, args.baseline_n / slow
    print(
        f"cores: {os.cpu_count()}; model ssl_dnn; {scored:,} variants scored ({args.n:,} in the VCF)"
    )
    print(
        f"  ncv score (process, end to end): {fast:7.1f} s  {fast_rate:8,.0f} variants/s  peak RSS {rss_mb:,.0f} MB"
    )
    print(
        f"  naive, one variant at a time ({args.baseline_n:,}): {slow:7.1f} s  {slow_rate:8,.0f} variants/s"
    )
    print(
        f"  speed-up {fast_rate / slow_rate:.1f}x; 1M variants ~{1e6 / fast_rate / 60:.1f} min "
        "(target >= 3,300 variants/s, <= 2 GB)"
    )


if __name__ == "__main__":
    main()
