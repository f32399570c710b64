"""SSL vs supervised on a feature table: validation AUROC per epoch over several seeds, and a plot.

Trains the same network with ``--method supervised`` and ``--method ssl`` on the paper's split
for each seed (the split, initial weights and batch order follow the seed, so both methods see
the same rows), prints the final validation AUROC per seed and the mean, writes the curves as
JSON and draws ``assets/ssl_vs_supervised.png`` (mean +- SE across seeds, per epoch).

Usage::

    python -m ncv_core demo --out /tmp/demo
    python -m ncv_core features --loci /tmp/demo/loci/GM12878.tsv --genome /tmp/demo/genome.fa \\
        --tracks /tmp/demo/tracks.tsv --cell-line GM12878 --out /tmp/gm.parquet
    python scripts/ssl_vs_supervised.py --features /tmp/gm.parquet --seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ncv_core.io.tables import read_table  # noqa: E402
from ncv_core.metrics import mean_se  # noqa: E402
from ncv_core.training import TrainConfig, train  # noqa: E402

METHODS = ("supervised", "ssl")


def run(args: argparse.Namespace) -> dict:
    table, meta = read_table(args.features)
    curves: dict = {m: {} for m in METHODS}
    for seed in args.seeds:
        for method in METHODS:
            t0 = time.perf_counter()
            res = train(
                table,
                meta=meta,
                method=method,
                seed=seed,
                epochs=args.epochs,
                n_labelled=args.n_labelled,
                n_val=args.n_val,
                **json.loads(args.options),
            )
            curves[method][seed] = {
                "val_auroc": [h["val_auroc"] for h in res.history],
                "alpha": [h.get("alpha", 0.0) for h in res.history],
                "final": res.metrics["val_auroc"],
                "seconds": time.perf_counter() - t0,
                "promoted_total": res.card["training"].get("promoted_total"),
            }
            print(
                f"seed {seed} {method:>10}: val AUROC {res.metrics['val_auroc']:.4f} "
                f"({time.perf_counter() - t0:.1f} s)",
                flush=True,
            )
    return curves


def summarise(curves: dict) -> None:
    for method in METHODS:
        finals = [c["final"] for c in curves[method].values()]
        mean, se = mean_se(finals)
        print(f"{method:>10}: mean val AUROC {mean:.4f} ± {se:.4f} over {len(finals)} seeds")
    diffs = [curves["ssl"][s]["final"] - curves["supervised"][s]["final"] for s in curves["ssl"]]
    mean, se = mean_se(diffs)
    wins = sum(d > 0 for d in diffs)
    print(f"ssl - supervised: {mean:+.4f} ± {se:.4f}; ssl better in {wins} of {len(diffs)} seeds")


def plot(curves: dict, out: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=150)
    for method, colour in zip(METHODS, ("#7f7f7f", "#d62728"), strict=True):
        runs = np.array([c["val_auroc"] for c in curves[method].values()], dtype=float)
        epochs = np.arange(1, runs.shape[1] + 1)
        mean = np.nanmean(runs, axis=0)
        se = np.nanstd(runs, axis=0, ddof=1) / np.sqrt(len(runs)) if len(runs) > 1 else 0 * mean
        label = "SSL_dnn (pseudo-labels)" if method == "ssl" else "supervised"
        ax.plot(epochs, mean, color=colour, label=f"{label}, n={len(runs)} seeds")
        ax.fill_between(epochs, mean - se, mean + se, color=colour, alpha=0.2, linewidth=0)
    alpha = np.array([c["alpha"] for c in curves["ssl"].values()], dtype=float).mean(axis=0)
    for level, text in ((0.0, "alpha > 0"), (1.0, "alpha = 1")):
        above = np.flatnonzero(alpha > level) if level == 0 else np.flatnonzero(alpha >= level)
        if len(above):
            ax.axvline(above[0] + 1, color="#d62728", linestyle=":", linewidth=1)
            ax.text(
                above[0] + 1.3, ax.get_ylim()[0], text, color="#d62728", fontsize=8, va="bottom"
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation AUROC")
    ax.set_title(title)
    ax.legend(loc="lower right", frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    print(f"wrote {out}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--features", required=True, help="feature table (e.g. the demo's GM12878)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    p.add_argument("--n-labelled", type=int, default=550)
    p.add_argument("--n-val", type=int, default=272)
    p.add_argument("--options", default="{}", help="extra train() options as JSON")
    p.add_argument("--json", type=Path, default=None, help="write the curves here")
    p.add_argument("--plot", type=Path, default=ROOT / "assets" / "ssl_vs_supervised.png")
    p.add_argument("--title", default="Demo GM12878: validation AUROC per epoch (mean ± SE)")
    args = p.parse_args()
    curves = run(args)
    summarise(curves)
    if args.json:
        args.json.write_text(json.dumps(curves, indent=1))
    plot(curves, args.plot, args.title)


if __name__ == "__main__":
    main()
