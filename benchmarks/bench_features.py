"""Feature extraction speed: ncv_core's pipeline against the naive per-window baseline.

Two scenarios, each timed against its baseline in the same run:

1. Dense (the demo genome, a few Mb): N loci x the 11 tracks of one cell line, full pipeline
   (windows + composition + peaks + max/sum) vs the naive baseline: per locus, pyfaidx for the
   window and, per track, two pyBigWig ``stats(exact=True)`` calls (max, sum). The baseline runs on
   a subsample (it is slow) and is compared per variant.
2. Sparse (a real ENCODE bigWig, loci ~7 kb apart): max/sum of one track, pybigtools
   ``average_over_bed`` (what ncv_core uses) vs pyBigWig ``stats`` twice per window.

Usage: ``python benchmarks/bench_features.py [--n 100000] [--baseline-n 5000]``
Target (issue 2): >= 10x the naive baseline, >= 5,500 variants/s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pyBigWig
import pyfaidx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ncv_core.demo import ensure_demo  # noqa: E402
from ncv_core.errors import NcvWarning  # noqa: E402
from ncv_core.features.build import build_features  # noqa: E402
from ncv_core.io.bigwig import window_signal_stats  # noqa: E402
from ncv_core.io.genome import Genome  # noqa: E402
from ncv_core.io.manifest import read_manifest

REAL_STAT1 = (
    Path(__file__).resolve().parents[2]
    / "shared/data/real/tracks/GM12878_Stat1.chr22_1-30000000.bigWig"
)


def random_loci(genome_path: Path, n: int, seed: int, out: Path, window: int = 150) -> None:
    rng = np.random.default_rng(seed)
    with Genome(genome_path) as g:
        names = list(g.contigs)
        sizes = np.array([g.contigs[c] for c in names], dtype=np.int64)
        which = rng.choice(len(names), n, p=sizes / sizes.sum())
        pos = rng.integers(window, sizes[which] - window)
        chroms = [names[i] for i in which]
        refs = g.bases_at(chroms, pos)
    with open(out, "w") as fh:
        fh.write("chrom\tpos\tref\n")
        fh.writelines(
            f"{c}\t{p}\t{r}\n" for c, p, r in zip(chroms, pos.tolist(), refs, strict=True)
        )


def naive(genome_path: Path, manifest: Path, cell_line: str, loci: list[tuple[str, int]]) -> float:
    specs = [s for s in read_manifest(manifest) if s.cell_line == cell_line]
    t0 = time.perf_counter()
    fasta = pyfaidx.Fasta(str(genome_path), as_raw=True, strict_bounds=True)
    handles = [pyBigWig.open(str(s.signal)) for s in specs]
    for chrom, pos in loci:
        seq = fasta[chrom][pos - 76 : pos + 74]
        assert len(seq) == 150
        for bw in handles:
            bw.stats(chrom, pos - 76, pos + 74, type="max", exact=True)
            bw.stats(chrom, pos - 76, pos + 74, type="sum", exact=True)
    return time.perf_counter() - t0


def dense(n: int, baseline_n: int) -> None:
    demo = ensure_demo()
    with tempfile.TemporaryDirectory() as tmp:
        loci = Path(tmp) / "loci.tsv"
        random_loci(demo.genome, n, 0, loci)
        t0 = time.perf_counter()
        res = build_features(loci, demo.genome, demo.tracks, "GM12878", use_cache=False)
        fast = time.perf_counter() - t0
        sample = [
            (c, int(p))
            for c, p in zip(res.table.chrom[:baseline_n], res.table.pos[:baseline_n], strict=True)
        ]
        slow = naive(demo.genome, demo.tracks, "GM12878", sample)
    n_tracks = len(res.meta["marks"])
    fast_rate, slow_rate = len(res.table) / fast, len(sample) / slow
    print(f"dense: {len(res.table):,} loci x {n_tracks} tracks on the demo genome")
    print(f"  ncv_core build_features : {fast:8.2f} s  {fast_rate:10,.0f} variants/s")
    print(f"  naive baseline ({len(sample):,} loci): {slow:8.2f} s  {slow_rate:10,.0f} variants/s")
    print(f"  speed-up: {fast_rate / slow_rate:.1f}x   (target >= 10x and >= 5,500 variants/s)")


def sparse(n: int = 2000) -> None:
    if not REAL_STAT1.exists():
        print("sparse: skipped (../shared/data/real is absent)")
        return
    rng = np.random.default_rng(1)
    pos = np.sort(rng.integers(16_100_000, 29_900_000, n))
    chroms = ["chr22"] * n
    t0 = time.perf_counter()
    window_signal_stats(REAL_STAT1, chroms, pos, 150)
    fast = time.perf_counter() - t0
    bw = pyBigWig.open(str(REAL_STAT1))
    t0 = time.perf_counter()
    for p in pos.tolist():
        bw.stats("chr22", p - 76, p + 74, type="max", exact=True)
        bw.stats("chr22", p - 76, p + 74, type="sum", exact=True)
    slow = time.perf_counter() - t0
    print(
        f"sparse: {n:,} windows ~{13_800_000 // n:,} bp apart on a real ENCODE bigWig (one track)"
    )
    print(f"  pybigtools average_over_bed: {1e6 * fast / n:7.1f} us/window")
    print(f"  pyBigWig stats x2          : {1e6 * slow / n:7.1f} us/window")
    print(
        f"  speed-up: {slow / fast:.1f}x; 11 tracks -> ~{n / (11 * fast):,.0f} variants/s at this density"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="loci in the dense scenario")
    parser.add_argument(
        "--baseline-n", type=int, default=5_000, help="loci timed with the naive baseline"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore", NcvWarning)
    print(f"cores: {os.cpu_count()}")
    dense(args.n, args.baseline_n)
    sparse()


if __name__ == "__main__":
    main()
