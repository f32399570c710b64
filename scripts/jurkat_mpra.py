"""Jurkat MPRA (real sequence): supervised vs noisy student for DeepBind- and DeepSEA-like CNNs,
AUROC/AUPR with chromosome-held-out CV, and the predicted allelic effect against the measured
log2FC among the positives.

Data: ``../shared/data/real/mpra/jurkat_mpra_dev.tsv`` (1,204 autoimmune GWAS variants tested by
MPRA in Jurkat cells, Mouri et al. 2022; 90 positives; the real 1,001-bp hg19 window in ``seq``,
the variant's first REF base at index 500). The windows are cut to ``--window`` bp around the
variant (the variant at offset window // 2, the package's convention).

Design: ``train(split="cv", folds=5)`` holds out whole chromosomes per fold (``cv_split``); in
each fold the training chromosomes give a balanced labelled set of every positive they hold (the
smallest fold's count, so all folds use the same size) and as many negatives, and the rest of
their rows are unlabelled (labels hidden): supervised trains on the labelled set, noisy student's
teacher labels the rest for its student. No cross-species pseudo-labels exist for this file (no
chain files here), so this is the Noisy Student half of Phan et al.

Allelic effect: for every positive SNV, p(alt) - p(ref) from the fold model that did not train on
it (out of fold), against the measured log2FC (Spearman and Pearson, with p-values); indels (10%)
are left out, as the package scores single-base changes.

Usage::

    python scripts/jurkat_mpra.py --seeds 0 1 2 --json /tmp/jurkat.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ncv_core.coords import substitute  # noqa: E402
from ncv_core.io.tables import read_table  # noqa: E402
from ncv_core.metrics import mean_se  # noqa: E402
from ncv_core.models.encoding import Inputs  # noqa: E402
from ncv_core.models.predict import predict_positive_logit, probability  # noqa: E402
from ncv_core.sequence import one_hot  # noqa: E402
from ncv_core.training import train  # noqa: E402
from ncv_core.training.splits import cv_split  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "real" / "mpra" / "jurkat_mpra_dev.tsv"
CENTRE = 500
MODELS = {
    "deepbind": {},
    # DeepSEA's three conv/pool layers, narrower (DeepSEA's 320/480/960 filters and 925 hidden
    # units take minutes an epoch on one CPU thread and overfit 180 labelled rows)
    "deepsea": {"channels": [64, 96, 128], "hidden": 64},
}
METHODS = ("supervised", "noisy-student")


def load(path: Path, window: int) -> pd.DataFrame:
    """The variants with ``seq`` cut to ``window`` bp and ``alt_seq`` (SNVs only, else None)."""
    table, _ = read_table(path)
    lo = CENTRE - window // 2
    full = table["seq"].astype(str)
    assert (full.str.len() == 2 * CENTRE + 1).all()
    assert (full.str[CENTRE] == table["ref"].str[0]).all()  # the first REF base at 500
    snv = (table["ref"].str.len() == 1) & (table["alt"].str.len() == 1)
    alt = [
        substitute(s, CENTRE, a)[lo : lo + window] if is_snv else None
        for s, a, is_snv in zip(full, table["alt"], snv, strict=True)
    ]
    out = table.assign(seq=full.str[lo : lo + window], alt_seq=alt)
    out["label"] = out["label"].astype("Int8")
    return out


def n_labelled(table: pd.DataFrame, folds: int, seed: int) -> int:
    """Twice the fewest positives any fold's training chromosomes hold (the split ``train``
    draws with the same seed)."""
    y = table["label"].to_numpy(dtype=np.int64)
    fold = cv_split(y, table["chrom"].to_numpy(), folds=folds, seed=seed, by_chromosome=True)
    return 2 * min(int(((fold != k) & (y == 1)).sum()) for k in range(folds))


def allelic_effects(res, table: pd.DataFrame) -> pd.DataFrame:
    """Out-of-fold p(alt) - p(ref) of the positive SNVs, with their measured log2FC."""
    fold_of = res.oof.set_index("row")["fold"]
    rows = np.flatnonzero((table["label"] == 1).to_numpy() & table["alt_seq"].notna().to_numpy())
    ref = torch.from_numpy(one_hot(table["seq"].iloc[rows].tolist()))
    alt = torch.from_numpy(one_hot(table["alt_seq"].iloc[rows].tolist()))
    folds = fold_of.loc[rows].to_numpy()
    effect = np.zeros(len(rows))
    for k in np.unique(folds):
        model, sel = res.fold_models[int(k) - 1], torch.from_numpy(folds == k)
        p_ref, p_alt = (
            probability(predict_positive_logit(model, Inputs(x[sel], None))[:, 0])
            for x in (ref, alt)
        )
        effect[folds == k] = p_alt - p_ref
    return pd.DataFrame({"row": rows, "effect": effect, "log2FC": table["log2FC"].iloc[rows]})


def one_run(table, model: str, method: str, seed: int, args) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    res = train(
        table.drop(columns=["alt_seq"]),
        model=model,
        model_kwargs=MODELS[model],
        method=method,
        split="cv",
        folds=args.folds,
        seed=seed,
        epochs=args.epochs,
        optimizer="adam",
        lr=args.lr,
        n_labelled=n_labelled(table, args.folds, seed),
    )
    eff = allelic_effects(res, table)
    rho, p_rho = stats.spearmanr(eff["effect"], eff["log2FC"])
    r, p_r = stats.pearsonr(eff["effect"], eff["log2FC"])
    m = res.metrics
    return {
        "auroc": m["val_auroc"],
        "auroc_se": m["val_auroc_se"],
        "aupr": m["val_aupr"],
        "aupr_se": m["val_aupr_se"],
        "folds": [{k: f[k] for k in ("val_auroc", "val_aupr")} for f in m["folds"]],
        "n_snv_positives": len(eff),
        "spearman": float(rho),
        "spearman_p": float(p_rho),
        "pearson": float(r),
        "pearson_p": float(p_r),
        "seconds": round(time.perf_counter() - t0, 1),
        "cpu_seconds": round(time.process_time() - c0, 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--window", type=int, default=200)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    torch.set_num_threads(1)
    table = load(args.data, args.window)
    print(f"{len(table):,} variants, {int((table['label'] == 1).sum())} positives, "
          f"window {args.window} bp", flush=True)  # fmt: skip
    runs: dict = {}
    for model in args.models:
        for method in args.methods:
            for seed in args.seeds:
                r = one_run(table, model, method, seed, args)
                runs.setdefault(f"{model} {method}", {})[str(seed)] = r
                print(
                    f"{model:>8} {method:>13} seed {seed}: AUROC {r['auroc']:.3f}±{r['auroc_se']:.3f}"
                    f" AUPR {r['aupr']:.3f}±{r['aupr_se']:.3f}; effect vs log2FC (n="
                    f"{r['n_snv_positives']}) Spearman {r['spearman']:+.3f} (p={r['spearman_p']:.2g})"
                    f" Pearson {r['pearson']:+.3f} (p={r['pearson_p']:.2g}) [{r['seconds']} s]",
                    flush=True,
                )
    print("\nmean ± SE over seeds (each seed: the mean over the CV folds)")
    for name, by_seed in runs.items():
        cells = []
        for key in ("auroc", "aupr", "spearman", "pearson"):
            mean, se = mean_se([v[key] for v in by_seed.values()])
            cells.append(f"{key} {mean:.3f}±{se:.3f}")
        print(f"{name:>24}: " + ", ".join(cells))
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
