"""Avocado training speed against this CPU's matmul ceiling, and the small size's time to quality.

1. Ceiling: float32 ``(n x n) @ (n x n)`` matmuls (n = 2048), best of several, in GFLOP/s,
   measured before and after the paper-size run (the larger counts: the CPU may be shared).
2. Paper size: ``fit_avocado(size="paper")`` on a synthetic tensor; training samples/s over the
   epochs after the first (warm-up), and the share of the ceiling those samples use. FLOPs per
   sample: the dense layers' multiply-adds, forward 2*(398*2048 + 2048*2048 + 2048*1) = 10.0
   MFLOP, times 3 for forward + backward (the input gradient is needed at every layer, the
   first included, because the embeddings train) = 30.1 MFLOP; the embedding gathers and
   scatter-adds (398 numbers), bias, ReLU and Adam add < 0.1% and are counted as zero.
3. Small size: wall time (training, sampling and the per-epoch held-out evaluation included)
   until the held-out MSE is 50% below the average-activity baseline on a synthetic low-rank
   tensor (8 cell types x 6 assays x 4,000 bins, 6 tracks held out), and the ratio at the end.

Usage: ``python benchmarks/bench_impute.py [--threads 1] [--paper-batch 8192] [--seeds 0 1]``
Goal (issue 10): paper-size training >= 30% of the ceiling. Default run < 2 minutes on 1 thread.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ncv_core.impute.evaluate import average_activity  # noqa: E402
from ncv_core.impute.model import SIZES  # noqa: E402
from ncv_core.impute.synthetic import low_rank_tensor  # noqa: E402
from ncv_core.impute.train import fit_avocado  # noqa: E402

HELD = [(f"human_c{i}", f"a{i}") for i in range(6)]


def matmul_ceiling(n: int = 2048, repeats: int = 6) -> float:
    """Best float32 matmul rate in GFLOP/s."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def train_flops_per_sample(size: str) -> float:
    """3 x the forward multiply-add FLOPs of the dense layers."""
    s = SIZES[size]
    widths = [s.n_inputs] + [s.n_nodes] * s.n_layers + [1]
    forward = sum(2 * i * o for i, o in zip(widths[:-1], widths[1:], strict=True))
    return 3.0 * forward


def paper_rate(batch: int, epochs: int, seed: int) -> float:
    """Training samples/s of the paper size, epochs after the first."""
    t = low_rank_tensor(n_cells=4, n_assays=4, n_bins=1000, seed=seed)
    fit = fit_avocado(t, size="paper", epochs=epochs, batch_size=batch, seed=seed, device="cpu")
    later = fit.history[1:]
    return sum(h["samples"] for h in later) / sum(h["seconds"] for h in later)


def small_time_to_half(seed: int, max_epochs: int) -> dict:
    """Seconds and epochs until held-out MSE < 0.5 x baseline, and the final ratio."""
    t = low_rank_tensor(n_cells=8, n_assays=6, n_bins=4000, seed=seed)
    rows = t.track_index(HELD)
    train = np.setdiff1d(np.arange(t.n_tracks), rows)
    base = np.mean([np.mean((average_activity(t, r, train) - t.signal[r]) ** 2) for r in rows])
    out: dict = {"baseline_mse": float(base)}
    t0 = time.perf_counter()

    def progress(d: dict) -> None:
        if "t50" not in out and d["heldout_mse"] < 0.5 * base:
            out.update(t50=time.perf_counter() - t0, epochs50=d["epoch"])

    fit = fit_avocado(
        t, held_out=HELD, epochs=max_epochs, seed=seed, device="cpu", progress=progress
    )
    out["seconds"] = time.perf_counter() - t0
    out["final_ratio"] = fit.history[-1]["heldout_mse"] / base
    out["samples_per_s"] = sum(h["samples"] for h in fit.history) / out["seconds"]
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--paper-batch", type=int, default=8192, help="paper used 40,000 (GPU)")
    p.add_argument("--paper-epochs", type=int, default=3)
    p.add_argument("--small-epochs", type=int, default=12)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    before = matmul_ceiling()
    flops = train_flops_per_sample("paper")
    print(f"paper size: {flops / 1e6:.2f} MFLOP per training sample (3 x dense forward)")
    for seed in args.seeds[:1]:
        rate = paper_rate(args.paper_batch, args.paper_epochs, seed)
        after = matmul_ceiling()
        ceiling = max(before, after)  # the CPU may be shared: the best rate seen is the ceiling
        print(
            f"float32 matmul ceiling (2048^3): {ceiling:.1f} GFLOP/s "
            f"(before {before:.1f}, after {after:.1f})"
        )
        share = rate * flops / 1e9 / ceiling
        print(
            f"paper size, batch {args.paper_batch}: {rate:,.0f} samples/s = "
            f"{rate * flops / 1e9:.1f} GFLOP/s = {share:.0%} of the ceiling (goal >= 30%)"
        )
    small_flops = train_flops_per_sample("small")
    for seed in args.seeds:
        r = small_time_to_half(seed, args.small_epochs)
        t50 = f"{r['t50']:.1f} s ({r['epochs50']} epochs)" if "t50" in r else "not reached"
        share = r["samples_per_s"] * small_flops / 1e9 / ceiling
        print(
            f"small size, seed {seed}: 50% below baseline after {t50}; after "
            f"{args.small_epochs} epochs ({r['seconds']:.1f} s) MSE / baseline = "
            f"{r['final_ratio']:.3f} (baseline MSE {r['baseline_mse']:.4f}); "
            f"{r['samples_per_s']:,.0f} samples/s = {share:.0%} of the ceiling"
        )


if __name__ == "__main__":
    main()
