"""Feature importance of a labelled feature table (the SSL_dnn paper's Fig. 2): cross-validated
AUROC of models trained with only one feature group and with each group left out (I enhancer, II
promoter, III structural, IV heterochromatin, V gene body, VI DNase, nucleotide composition,
sequence), plus every feature's Pearson correlation with the label and its distribution per label.

Writes FILE.tsv (one row per run: group, mode only/without/all, model, AUROC +- SE over folds,
AUPR, accuracy, AUROC change against the all-features run with its paired SE), and beside it
FILE.folds.tsv (metrics per run and fold), FILE.correlation.tsv, FILE.distributions.tsv (quantiles
per feature and label) and FILE.histograms.tsv. "Only G" trains the mlp (SSL_dnn's dense head) on
G's columns; "without G" trains ssl_dnn on everything else; "only sequence" is ssl_dnn without
tabular features and "without sequence" the mlp on every feature.

examples:
  ncv ablate --features gm.parquet --out gm-ablation.tsv
  ncv ablate --features gm.parquet --out gm-ablation.tsv --method ssl --epochs 30 --kinds max
  ncv ablate --features gm.parquet --out dnase.tsv --groups VI_dnase I_enhancer --folds 3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "ablate"
HELP = "feature table -> AUROC per feature group (only / left out), correlations, distributions"

GROUP_NAMES = (
    "I_enhancer",
    "II_promoter",
    "III_structural",
    "IV_heterochromatin",
    "V_gene_body",
    "VI_dnase",
    "nucleotide",
    "sequence",
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--features", required=True, help="labelled feature table (Parquet, TSV, CSV)")
    p.add_argument("--out", required=True, help="ablation table to write (FILE.tsv)")
    p.add_argument("--folds", type=int, default=5, help="CV folds (default %(default)s)")
    p.add_argument(
        "--method",
        default="supervised",
        choices=("supervised", "ssl", "noisy-student"),
        help="training method of every run (default %(default)s; ssl is the paper's, ~2x slower)",
    )
    p.add_argument("--epochs", type=int, default=10, help="epochs per fit (default %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default %(default)s)")
    p.add_argument(
        "--groups",
        nargs="+",
        default=None,
        choices=GROUP_NAMES,
        metavar="GROUP",
        help=f"groups to ablate (default all: {' '.join(GROUP_NAMES)})",
    )
    p.add_argument(
        "--model",
        default=None,
        choices=("ssl_dnn", "mlp"),
        help="full model (default ssl_dnn when the table has seq, else mlp)",
    )
    p.add_argument(
        "--kinds",
        nargs="+",
        default=None,
        choices=("peak", "max", "sum"),
        help="keep only these kinds of mark features (the paper's Fig. 2d: max)",
    )
    p.add_argument("--label-col", default="label", help="label column (default label)")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default 0.03)")
    p.add_argument(
        "--optimizer", default="sgd", choices=("sgd", "adam"), help="optimizer (default sgd)"
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="runs trained at once, in worker processes (default: the number of CPUs)",
    )
    p.add_argument(
        "--threads", type=int, default=1, help="torch threads per run (default %(default)s)"
    )
    p.add_argument("--bins", type=int, default=30, help="histogram bins (default %(default)s)")
    p.add_argument("--device", default=None, help="torch device (default: cuda if available)")


def side_paths(out: str | Path) -> dict[str, Path]:
    """``gm.tsv`` -> ``gm.folds.tsv``, ``gm.correlation.tsv``, ``gm.distributions.tsv``, ..."""
    out = Path(out)
    stem = out.name.removesuffix(".gz").removesuffix(".tsv").removesuffix(".csv")
    names = ("folds", "correlation", "distributions", "histograms")
    return {k: out.with_name(f"{stem}.{k}.tsv") for k in names}


def run(args: argparse.Namespace) -> int:
    from ncv_core.interpret.ablation import default_jobs, group_ablation
    from ncv_core.interpret.importance import feature_importance
    from ncv_core.io.tables import check_outputs, read_table, table_paths, write_table
    from ncv_core.progress import TqdmProgress

    outputs = [*table_paths(args.out), *side_paths(args.out).values()]
    check_outputs(outputs, inputs=[args.features])
    table, meta = read_table(args.features)
    stats = feature_importance(table, meta=meta, label_col=args.label_col, bins=args.bins)
    options = {"label_cols": (args.label_col,), "optimizer": args.optimizer}
    if args.lr is not None:
        options["lr"] = args.lr
    jobs = args.jobs if args.jobs is not None else default_jobs()
    with TqdmProgress(postfix_keys=("group", "mode", "auroc")) as bar:
        result = group_ablation(
            table,
            meta=meta,
            groups=args.groups,
            folds=args.folds,
            method=args.method,
            epochs=args.epochs,
            model=args.model,
            kinds=args.kinds,
            progress=bar,
            n_jobs=jobs,
            threads=args.threads,
            device=args.device,
            seed=args.seed,
            **options,
        )
    out_meta = {"format": "ncv-ablation", "features": str(args.features), **result.settings}
    write_table(result.table, args.out, out_meta)
    paths = side_paths(args.out)
    write_table(result.folds, paths["folds"])
    write_table(stats.correlation, paths["correlation"])
    write_table(stats.summary, paths["distributions"])
    write_table(stats.histograms, paths["histograms"])
    print(summary_line(result, args.out), file=sys.stdout)
    return 0


def summary_line(result, out: object) -> str:
    """One line: the groups ranked by AUROC alone and by the AUROC lost when left out."""
    t = result.table.dropna(subset=["auroc"])
    only = t[t["mode"] == "only"].sort_values("auroc", ascending=False)
    without = t[t["mode"] == "without"].sort_values("delta_auroc")
    ranked_only = ", ".join(
        f"{g} {a:.3f}" for g, a in zip(only["group"], only["auroc"], strict=True)
    )
    ranked_out = ", ".join(
        f"{g} {d:+.3f}" for g, d in zip(without["group"], without["delta_auroc"], strict=True)
    )
    s = result.settings
    allrow = t[t["mode"] == "all"]
    head = f"all {allrow['auroc'].iloc[0]:.3f}; " if len(allrow) else ""
    return (
        f"ablation ({s['folds']}-fold CV, {s['method']}, {s['epochs']} epochs, "
        f"{s['seconds']:.0f} s): {head}only: {ranked_only or '-'}; left out: "
        f"{ranked_out or '-'} -> {out}"
    )
