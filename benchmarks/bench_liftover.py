"""Liftover speed: ``lift_loci`` against pyliftover, in the same run, on a demo species' chain.

The chain is by default the demo's ``mouse_like`` species (``ncv_core.demo.species``: 16% substitutions,
indels, 40% unaligned, one inversion), built into a temporary folder from the cached demo. The
points are uniform over the demo genome (seeded). Timed:

- ``lift_loci``: table in, lifted table and rejection records (with reasons) out;
- the ``liftover`` package alone (``ChainFile.query`` per point), the mapping ``lift_loci`` uses;
- pyliftover (``LiftOver.convert_coordinate`` per point), a pure-Python chain walker;
- ``lift_loci`` on 200-bp intervals (UCSC minMatch rule; every base mapped), which pyliftover
  does not do.

Also checks that ``lift_loci`` and pyliftover agree on every point. Loading times are reported
separately from mapping times.

Usage: ``python benchmarks/bench_liftover.py [--n 100000] [--intervals 10000] [--seed 0]
[--species mouse_like] [--repeat 3]`` (times are the best of ``--repeat`` runs).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import liftover
import numpy as np
import pandas as pd
from pyliftover import LiftOver

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ncv_core.demo import ensure_demo  # noqa: E402
from ncv_core.demo.species import DEFAULT_SPECIES, build_species  # noqa: E402
from ncv_core.features.liftover import lift_loci  # noqa: E402
from ncv_core.io.chain_files import open_chain  # noqa: E402


def random_points(contigs: dict[str, int], n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = list(contigs)
    sizes = np.array([contigs[c] for c in names], dtype=np.int64)
    which = rng.choice(len(names), n, p=sizes / sizes.sum())
    return pd.DataFrame({"chrom": np.array(names)[which], "pos": rng.integers(1, sizes[which] + 1)})


def timed(fn, repeat: int = 1):
    """The result of ``fn()`` and its best wall time over ``repeat`` runs (the machine is shared)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--intervals", type=int, default=10_000)
    ap.add_argument("--width", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--species", default="mouse_like", choices=[s.name for s in DEFAULT_SPECIES])
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = ap.parse_args()
    demo = ensure_demo()
    with tempfile.TemporaryDirectory() as tmp:
        spec = next(s for s in DEFAULT_SPECIES if s.name == args.species)
        built, t_build = timed(lambda: build_species(demo, tmp, seed=0, species=(spec,)))
        chain_path = built.species[spec.name].chain
        print(f"species built in {t_build:.1f} s: {chain_path.name}")
        index, t_open = timed(lambda: open_chain(chain_path))
        lib, t_lib_open = timed(lambda: liftover.ChainFile(str(chain_path)))
        pyl, t_pyl_open = timed(lambda: LiftOver(str(chain_path)))
        print(
            f"open: open_chain {t_open * 1e3:.0f} ms (liftover + headers), liftover alone "
            f"{t_lib_open * 1e3:.0f} ms, pyliftover {t_pyl_open * 1e3:.0f} ms"
        )
        points = random_points(index.source_contigs, args.n, args.seed)
        chroms, pos0 = points["chrom"].tolist(), (points["pos"] - 1).tolist()
        r = args.repeat
        result, t_ours = timed(lambda: lift_loci(points, index), r)
        _, t_raw = timed(lambda: [lib.query(c, p) for c, p in zip(chroms, pos0, strict=True)], r)
        ref, t_ref = timed(
            lambda: [pyl.convert_coordinate(c, p) for c, p in zip(chroms, pos0, strict=True)], r
        )
        report_points(args.n, result, ref, t_ours, t_raw, t_ref)
        peaks = random_points(index.source_contigs, args.intervals, args.seed + 1)
        size = peaks["chrom"].map(index.source_contigs).to_numpy()
        start = np.minimum(peaks.pop("pos").to_numpy() - 1, size - args.width)
        peaks["start"], peaks["end"] = start, start + args.width
        iv, t_iv = timed(lambda: lift_loci(peaks, index), r)
        print(
            f"intervals ({args.width} bp): {args.intervals / t_iv:,.0f} intervals/s "
            f"({args.intervals * args.width / t_iv:,.0f} bases/s); mapped {len(iv.table):,}, "
            f"rejected {len(iv.rejected):,}"
        )


def report_points(n, result, ref, t_ours, t_raw, t_ref) -> None:
    theirs = {
        i: (m[0][0], m[0][1] + 1, m[0][2])
        for i, m in enumerate(ref)
        if m is not None and len(m) == 1
    }
    ours = result.table
    mine = list(zip(ours["chrom"], ours["pos"], ours["strand"], strict=True))
    agree = mine == [theirs[i] for i in sorted(theirs)]
    print(f"points: {n:,}, mapped {len(ours):,}, rejected {len(result.rejected):,}")
    print(f"  lift_loci            {n / t_ours:>12,.0f} loci/s ({t_ours:.2f} s)")
    print(f"  liftover.query loop  {n / t_raw:>12,.0f} loci/s ({t_raw:.2f} s)")
    print(f"  pyliftover loop      {n / t_ref:>12,.0f} loci/s ({t_ref:.2f} s)")
    print(f"  ratio lift_loci / pyliftover: {t_ref / t_ours:.1f}x")
    print(f"  ratio liftover / pyliftover:  {t_ref / t_raw:.1f}x")
    print(f"  lift_loci agrees with pyliftover on every point: {agree}")


if __name__ == "__main__":
    main()
