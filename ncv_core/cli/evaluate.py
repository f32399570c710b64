"""Evaluate a trained model on a feature table: AUROC, AUPR, accuracy, ROC and PR curves, and
the table's baseline score columns (CADD, DeepSEA, ...) on the same rows, written as JSON.

On the model's own training table only its validation rows are scored (recognised by content
hash and split.tsv), or, for a cross-validated model, every labelled row by the fold model that
did not train on it (out-of-fold); on any other table (another cell line, say) every labelled
row is.

example:
  ncv evaluate --model models/gm --features k562.parquet --out k562-metrics.json
"""

from __future__ import annotations

import argparse
import sys

NAME = "evaluate"
HELP = "model folder + feature table -> metrics JSON (AUROC, AUPR, curves, baselines)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="model folder written by ncv train")
    p.add_argument("--features", required=True, help="feature table (Parquet, TSV or CSV)")
    p.add_argument("--out", required=True, help="metrics JSON to write")
    p.add_argument(
        "--label-col", default=None, help="label column (default: the model's first label column)"
    )
    p.add_argument(
        "--rows",
        default="auto",
        choices=("auto", "validation", "out-of-fold", "all"),  # evaluate.ROWS (deferred import)
        help="rows to score (default auto: validation rows of the model's own table, out-of-fold "
        "predictions for a cv model's own table, else all)",
    )
    p.add_argument("--device", default=None, help="torch device (default: cuda if available)")


def run(args: argparse.Namespace) -> int:
    from ncv_core.evaluate import evaluate_model
    from ncv_core.io.model_folder import load_model
    from ncv_core.io.tables import check_outputs, json_ready, read_table, write_json

    check_outputs([args.out], inputs=[args.model, args.features])
    loaded = load_model(args.model, device=args.device)
    table, meta = read_table(args.features)
    result = evaluate_model(loaded, table, meta=meta, label_col=args.label_col, rows=args.rows)
    result = {"model": str(args.model), "features": str(args.features), **result}
    write_json(json_ready(result), args.out)

    def fmt(v: float | None) -> str:
        return "undefined" if v is None or v != v else f"{v:.3f}"

    print(
        f"{args.model} on {args.features} ({result['rows']} rows, n={result['n']}): "
        f"AUROC {fmt(result['auroc'])}, AUPR {fmt(result['aupr'])}, "
        f"accuracy {fmt(result['accuracy'])} -> {args.out}",
        file=sys.stdout,
    )
    return 0
