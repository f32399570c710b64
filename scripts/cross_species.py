"""Cross-species pre-training (Phan et al.) on the demo: AUROC and AUPR against the number of human
labelled positives, for supervised, pretrain + fine-tune, noisy student and pretrain + noisy
student, over several seeds (mean ± SE), and the plot ``assets/cross_species.png``.

The human data are the demo's GM12878 loci (sequence only: the 150-bp windows, a DeepBind-like
CNN). For each seed, ``train`` draws the paper split with whole chromosomes held out for
validation (136 positives + 136 negatives) and a balanced labelled set of ``n`` positives and
``n`` negatives; every other row is unlabelled (labels hidden), which is what noisy student's
teacher labels. The pseudo-labels are the labelled loci lifted to the demo's three species
(``ncv pseudo-labels``); pre-training uses only the homologs of the ``n + n`` labelled training
rows (``Pretraining(use="labelled")``: never a validation locus, a held-out chromosome or a row
whose label the split hid), so every method sees the same human labels. Epochs grow for small
sets so that each fine-tuning has about ``--steps`` optimisation steps; ``supervised x4`` trains
four times as many epochs, a control for the extra steps that pre-training takes.

Usage::

    python scripts/cross_species.py --demo /tmp/demo --seeds 0 1 2 --json /tmp/cs.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ncv_core.demo import ensure_demo  # noqa: E402
from ncv_core.demo.species import open_species  # noqa: E402
from ncv_core.features.build import build_features  # noqa: E402
from ncv_core.features.cross_species import Target, pseudo_label_species  # noqa: E402
from ncv_core.features.lift_input import read_lift_input  # noqa: E402
from ncv_core.metrics import mean_se  # noqa: E402
from ncv_core.training import train  # noqa: E402
from ncv_core.training.pretrain import Pretraining  # noqa: E402

METHODS = ("supervised", "supervised x4", "pretrain + fine-tune", "noisy student", "pretrain + NS")
COLOURS = ("#7f7f7f", "#bcbcbc", "#1f77b4", "#d62728", "#9467bd")
BASE = {"model": "deepbind", "optimizer": "adam", "lr": 1e-3, "n_val": 272}


def epochs_for(n: int, steps: int, batch: int = 16) -> int:
    """Epochs giving about ``steps`` steps on ``2 n`` labelled rows (10 to 40)."""
    return int(min(40, max(10, math.ceil(steps / math.ceil(2 * n / batch)))))


def data(demo_dir: Path, cell: str) -> tuple:
    demo = ensure_demo(demo_dir)
    feats = build_features(demo.loci[cell], demo.genome, demo.tracks, cell)
    loci = read_lift_input(demo.loci[cell]).table
    labelled = loci[loci["label"].notna()]
    sp = open_species(demo.species)
    targets = [Target(n, p.chain, p.genome) for n, p in sp.species.items()]
    pseudo = pseudo_label_species(labelled, targets, window=feats.meta["window"])
    print(pseudo.counts.to_string(index=False), flush=True)
    return feats.table, feats.meta, pseudo.table


def one_run(table, meta, pseudo, method: str, n: int, seed: int, steps: int) -> dict:
    epochs = epochs_for(n, steps)
    opts = {**BASE, "n_labelled": 2 * n, "seed": seed, "epochs": epochs}
    opts["method"] = (
        "noisy-student" if method in ("noisy student", "pretrain + NS") else "supervised"
    )
    if method == "supervised x4":
        opts["epochs"] = 4 * epochs
    pre = Pretraining.of([pseudo], ["pseudo"]) if method.startswith("pretrain") else None
    t0, c0 = time.perf_counter(), time.process_time()
    res = train(table, meta=meta, pretrain=pre, **opts)
    out = {
        "auroc": res.metrics["val_auroc"],
        "aupr": res.metrics["val_aupr"],
        "epochs": opts["epochs"],
        "seconds": round(time.perf_counter() - t0, 2),
        "cpu_seconds": round(time.process_time() - c0, 2),
        "val_chromosomes": res.card["split"]["validation_chromosomes"],
    }
    if pre is not None:
        out["n_pretrain"] = res.card["pretrain"]["n_used"]
    return out


def run(args: argparse.Namespace) -> dict:
    results: dict = {m: {str(n): {} for n in args.sizes} for m in args.methods}
    for path in args.load:  # runs of an earlier call: trained again only when missing
        for method, by_n in json.loads(path.read_text())["runs"].items():
            for n, by_seed in by_n.items():
                if method in results and n in results[method]:
                    results[method][n].update(by_seed)
    table, meta, pseudo = data(args.demo, args.cell_line)
    t_all = time.perf_counter()
    for seed in args.seeds:
        for n in args.sizes:
            for method in args.methods:
                if str(seed) in results[method][str(n)]:
                    continue
                r = one_run(table, meta, pseudo, method, n, seed, args.steps)
                results[method][str(n)][str(seed)] = r
                extra = f", {r['n_pretrain']} pseudo" if "n_pretrain" in r else ""
                print(
                    f"seed {seed} n={n:>4} {method:>20}: AUROC {r['auroc']:.3f} AUPR "
                    f"{r['aupr']:.3f} ({r['epochs']} ep{extra}, {r['seconds']:.1f} s)",
                    flush=True,
                )
    print(f"total {time.perf_counter() - t_all:.0f} s", flush=True)
    return results


def summary(results: dict) -> dict:
    """Per method and size: mean and SE of each metric, and of the paired gain over supervised."""
    out: dict = {}
    for method, by_n in results.items():
        out[method] = {}
        for n, runs in by_n.items():
            row = {}
            for metric in ("auroc", "aupr"):
                vals = [r[metric] for r in runs.values()]
                row[metric] = mean_se(vals)
                if method != "supervised" and "supervised" in results:
                    base = results["supervised"][n]
                    gain = [r[metric] - base[s][metric] for s, r in runs.items() if s in base]
                    row[f"{metric}_gain"] = mean_se(gain)
            out[method][n] = row
    return out


def print_table(summ: dict) -> None:
    sizes = list(next(iter(summ.values())))
    for metric in ("auroc", "aupr"):
        print(f"\n{metric.upper()} (mean ± SE; gain over supervised, paired by seed)")
        print(f"{'method':>22} " + " ".join(f"{'n=' + n:>22}" for n in sizes))
        for method, rows in summ.items():
            cells = []
            for n in sizes:
                m, se = rows[n][metric]
                g = rows[n].get(f"{metric}_gain")
                cells.append(f"{m:.3f}±{se:.3f}" + (f" ({g[0]:+.3f})" if g else ""))
            print(f"{method:>22} " + " ".join(f"{c:>22}" for c in cells))


def plot(summ: dict, out: Path, n_seeds: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), dpi=150)
    for ax, metric in zip(axes, ("auroc", "aupr"), strict=True):
        for method, colour in zip(METHODS, COLOURS, strict=True):
            if method not in summ:
                continue
            sizes = [int(n) for n in summ[method]]
            mean = np.array([summ[method][str(n)][metric][0] for n in sizes])
            se = np.array([summ[method][str(n)][metric][1] for n in sizes])
            style = "--" if method == "supervised x4" else "-"
            ax.errorbar(sizes, mean, yerr=se, color=colour, linestyle=style, marker="o",
                        markersize=3, capsize=2, label=method)  # fmt: skip
        ax.set_xscale("log")
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.minorticks_off()
        ax.set_xlabel("human labelled positives (and as many negatives)")
        ax.set_ylabel(f"validation {metric.upper()}")
        ax.grid(alpha=0.3)
    axes[0].legend(frameon=False, fontsize=8)
    fig.suptitle(
        f"Demo GM12878, DeepBind, held-out chromosomes: mean ± SE over {n_seeds} seeds", fontsize=10
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    print(f"wrote {out}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--demo", type=Path, required=True, help="demo folder (built if missing)")
    p.add_argument("--cell-line", default="GM12878")
    p.add_argument("--sizes", type=int, nargs="+", default=[25, 50, 100, 250, 500])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    p.add_argument("--steps", type=int, default=300, help="fine-tuning steps per size")
    p.add_argument("--json", type=Path, default=None, help="write every run's numbers here")
    p.add_argument(
        "--load", type=Path, nargs="*", default=[], help="earlier --json files: reuse their runs"
    )
    p.add_argument("--plot", type=Path, default=ROOT / "assets" / "cross_species.png")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    results = run(args)
    summ = summary(results)
    print_table(summ)
    if args.json:
        args.json.write_text(json.dumps({"runs": results, "summary": summ}, indent=1))
    n_seeds = len({s for by_n in results.values() for runs in by_n.values() for s in runs})
    plot(summ, args.plot, n_seeds)


if __name__ == "__main__":
    main()
