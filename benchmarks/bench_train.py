"""Training speed: a full paper-schedule SSL_dnn run on GM12878-sized data (3,428 labelled loci).

Trains ``ssl`` with the defaults of ``ncv train`` (paper split 550/272, SGD lr 0.03, batches
16/32/20, alpha ramp T1=100 -> T2=600 batches, 30 epochs) on the demo's GM12878 feature table,
and ``supervised`` on the same table in the same run as the baseline; then ``ssl`` with the
paper's promotion of confident rows (``--threshold 0.95``), whose growing labelled set makes
epochs longer. Reports seconds, training examples per second (labelled + unlabelled rows in
training batches) and the ratios against supervised.

Usage: ``python benchmarks/bench_train.py [--epochs N] [--threads N] [--synthetic]``
Target (issue 3): the SSL run in <= 30 s on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ncv_core.constants import MARKS, PAPER_COUNTS, feature_columns  # noqa: E402
from ncv_core.errors import NcvWarning  # noqa: E402
from ncv_core.sequence import composition  # noqa: E402
from ncv_core.training import TrainConfig, train  # noqa: E402


def demo_table() -> tuple[pd.DataFrame, dict, str]:
    """The demo's GM12878 feature table (built and cached on first use)."""
    from ncv_core.demo import ensure_demo
    from ncv_core.features.build import build_features

    demo = ensure_demo()
    res = build_features(demo.loci["GM12878"], demo.genome, demo.tracks, "GM12878")
    return res.table, res.meta, "demo GM12878"


def synthetic_table(seed: int = 0) -> tuple[pd.DataFrame, dict, str]:
    """GM12878-sized random table (683 positives, 2,745 negatives, 43 features, 150-bp seq)."""
    rng = np.random.default_rng(seed)
    n_pos, n_neg = PAPER_COUNTS["GM12878"]
    y = rng.permutation(np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)])
    seqs = ["".join(s) for s in rng.choice(list("ACGT"), (len(y), 150))]
    cols = feature_columns(MARKS)
    epi = rng.normal(size=(len(y), 33)) + 0.8 * y[:, None] * (rng.random(33) < 0.3)
    table = pd.DataFrame(epi, columns=cols[:33])
    table = pd.concat([table, composition(seqs)], axis=1)
    table.insert(0, "label", y)
    table.insert(0, "chrom", [f"chr{i % 5 + 1}" for i in range(len(y))])
    table["seq"] = seqs
    return table, {"feature_columns": cols, "window": 150}, "synthetic GM12878-sized"


def timed(table: pd.DataFrame, meta: dict, cfg: TrainConfig) -> tuple[float, dict]:
    t0 = time.perf_counter()
    res = train(table, meta=meta, config=cfg, device="cpu")
    return time.perf_counter() - t0, res.card


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--synthetic", action="store_true", help="use a synthetic table, not the demo")
    args = p.parse_args()
    warnings.simplefilter("ignore", NcvWarning)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.synthetic:
        table, meta, name = synthetic_table()
    else:
        try:
            table, meta, name = demo_table()
        except ImportError:
            print("the demo is not available in this checkout; using a synthetic table")
            table, meta, name = synthetic_table()
    labelled = int(table["label"].notna().sum())
    print(
        f"cores: {os.cpu_count()}, torch threads: {torch.get_num_threads()}, "
        f"load average: {os.getloadavg()[0]:.2f}"
    )
    print(
        f"data: {name}, {len(table):,} rows ({labelled:,} labelled), paper split 550/272, "
        f"{args.epochs} epochs"
    )
    runs = {
        "supervised": {"method": "supervised"},
        "ssl": {"method": "ssl"},
        "ssl+promotion": {"method": "ssl", "threshold": 0.95},
    }
    base = None
    for name, opts in runs.items():
        cfg = TrainConfig(epochs=args.epochs, n_labelled=550, n_val=272, seed=0, **opts)
        seconds, card = timed(table, meta, cfg)
        tr = card["training"]
        rate = tr["n_examples"] / seconds
        base = base or (seconds, rate)
        extra = f", {tr['promoted_total']:,} promoted" if "promoted_total" in tr else ""
        print(
            f"  {name:>14}: {seconds:7.2f} s  {tr['n_batches']:6,} batches  "
            f"{tr['n_examples']:8,} examples  {rate:7,.0f} examples/s  "
            f"x{seconds / base[0]:.2f} time, x{rate / base[1]:.2f} examples/s vs supervised  "
            f"(val AUROC {card['metrics']['val_auroc']:.3f}{extra})"
        )
    print("  target: the ssl run <= 30 s on 2 cores")


if __name__ == "__main__":
    main()
