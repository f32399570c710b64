"""Train a model on a feature table and write a model folder (model.safetensors, card.json,
split.tsv).

Methods: ssl (the SSL_dnn paper's pseudo-labelling, default), supervised (the same network on the
labelled rows only) and noisy-student (teacher -> noisy student). Splits: paper (Table 2's design:
balanced labelled and validation sets, the rest unlabelled with hidden labels) or cv (k-fold, mean
and standard error; the saved model is then refit on all rows).

examples:
  ncv train --features gm.parquet --out models/gm
  ncv train --features gm.parquet --out models/gm-sup --method supervised --seed 3
  ncv train --features gm.parquet --out models/gm --n-labelled 550 --n-val 272
  ncv train --features annotations.tsv --out models/mine --split cv --folds 5
"""

from __future__ import annotations

import argparse
import sys

NAME = "train"
HELP = "feature table -> trained model folder (supervised, ssl, noisy-student)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--features", required=True, help="feature table (Parquet, TSV or CSV)")
    p.add_argument("--out", required=True, help="model folder to write (replaced if a model)")
    p.add_argument(
        "--method",
        default="ssl",
        choices=("supervised", "ssl", "noisy-student"),
        help="training method (default %(default)s)",
    )
    p.add_argument(
        "--model",
        default=None,
        help="architecture: ssl_dnn, deepbind, deepsea, basset, mlp (default: ssl_dnn "
        "when the table has a seq column, else mlp)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default %(default)s)")
    p.add_argument("--epochs", type=int, default=None, help="epochs per model (default 30)")
    p.add_argument(
        "--split",
        default="paper",
        choices=("paper", "cv"),
        help="paper design or k-fold CV (default %(default)s)",
    )
    p.add_argument(
        "--n-labelled",
        type=int,
        default=None,
        help="size of the balanced labelled set (default: 40%% of the minority class per class)",
    )
    p.add_argument(
        "--n-val",
        type=int,
        default=None,
        help="size of the balanced validation set (default: 20%% of the minority class per class)",
    )
    p.add_argument("--folds", type=int, default=5, help="folds of --split cv (default 5)")
    p.add_argument(
        "--label-col",
        nargs="+",
        default=["label"],
        metavar="COL",
        help="label column(s); several make a multi-task model (default label)",
    )
    p.add_argument(
        "--feature-cols",
        nargs="+",
        default=None,
        metavar="COL",
        help="feature columns to use (default: the table's feature_columns metadata, "
        "else every numeric non-reserved column)",
    )
    p.add_argument(
        "--exclude-cols",
        nargs="+",
        default=[],
        metavar="COL",
        help="columns to leave out of the features",
    )
    p.add_argument("--lr", type=float, default=None, help="learning rate (default 0.03)")
    p.add_argument(
        "--optimizer",
        default="sgd",
        choices=("sgd", "adam"),
        help="sgd (the paper, default) or adam (faster for sequence-only CNNs; try --lr 0.001)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="ssl: promote unlabelled rows whose confidence reaches this into the labelled set "
        "after every epoch (the paper: 0.95); default: no promotion (it lowered the validation "
        "AUROC on the demo data)",
    )
    p.add_argument(
        "--max-grad-norm",
        type=float,
        default=None,
        help="clip each step's gradient to this norm (default 5.0, rarely reached; it keeps an "
        "occasional SGD run from diverging); 0 turns clipping off, as in the paper",
    )
    p.add_argument(
        "--iterations", type=int, default=None, help="noisy-student: number of students (default 1)"
    )
    p.add_argument(
        "--whole-rows",
        action="store_true",
        help="draw validation rows at random instead of holding out whole chromosomes",
    )
    p.add_argument("--device", default=None, help="torch device (default: cuda if available)")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads for this run (default: torch's own choice)",
    )


def run(args: argparse.Namespace) -> int:
    import torch

    from ncv_core.io.model_folder import save_model
    from ncv_core.io.tables import read_table
    from ncv_core.progress import TqdmProgress
    from ncv_core.training import TrainConfig, train

    table, meta = read_table(args.features)
    options = {
        "lr": args.lr,
        "threshold": args.threshold,
        "iterations": args.iterations,
        "epochs": args.epochs,
    }
    if args.max_grad_norm is not None:
        options["max_grad_norm"] = args.max_grad_norm or None  # 0: no clipping
    cfg = TrainConfig(
        method=args.method,
        model=args.model,
        seed=args.seed,
        split=args.split,
        n_labelled=args.n_labelled,
        n_val=args.n_val,
        folds=args.folds,
        by_chromosome=not args.whole_rows,
        label_cols=tuple(args.label_col),
        feature_cols=None if args.feature_cols is None else tuple(args.feature_cols),
        exclude_cols=tuple(args.exclude_cols),
        optimizer=args.optimizer,
        **{k: v for k, v in options.items() if v is not None},
    )
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    with TqdmProgress(postfix_keys=("val_auroc", "alpha", "promoted")) as bar:
        result = train(
            table,
            meta=meta,
            config=cfg,
            source=str(args.features),
            progress=lambda e: bar(e) if e.get("event") == "epoch" else None,
            device=args.device,
        )
    out = save_model(result, args.out)
    print(summary_line(result.card, out), file=sys.stdout)
    return 0


def summary_line(card: dict, out: object) -> str:
    """One line: what was trained, on how much, and how well."""
    m = card["metrics"]
    arch, split = card["architecture"]["name"], card["split"]["kind"]

    def fmt(key: str) -> str:
        v = m.get(key)
        se = m.get(f"{key}_se")
        text = "undefined" if v is None else f"{v:.3f}"
        return text + (f" ± {se:.3f}" if se is not None else "")

    where = f"{card['data']['n_rows']:,} rows, {split} split"
    stopped = " (stopped early)" if card["training"].get("termination") == "stopped" else ""
    return (
        f"trained {arch} ({card['method']}, seed {card['seed']}) on {where}: "
        f"val AUROC {fmt('val_auroc')}, AUPR {fmt('val_aupr')}{stopped} -> {out}"
    )
