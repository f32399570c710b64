"""Attributions of a model's positive logit to every position x base of its window(s), on the
one-hot sequence: Integrated Gradients (ig), DeepLIFT (deeplift), DeepLIFT with dinucleotide-
shuffled references (deeplift_shap), the signed gradient (saliency) or input x gradient.

Same inputs as ncv ism (--sequence, --locus with --genome/--tracks/--cell-line, or --features
TABLE --id ID); tabular features, when the model has them, are held fixed and get no attribution.
Writes one row per (window, position, base): seq_index id chrom genome_pos pos ref_base base
is_ref attribution, and in the metadata the logits, baseline logits and the convergence delta
sum(attributions) - (logit - baseline logit) of ig / deeplift (0 for an exact method).

examples:
  ncv attribute --model models/gm --locus chr1:19899 --genome demo/genome.fa \\
                --tracks demo/tracks.tsv --cell-line GM12878 --method ig --out ig.tsv
  ncv attribute --model models/gm-deepbind --features gm.parquet --id GM12878_17 \\
                --method deeplift_shap --out shap.tsv
"""

from __future__ import annotations

import argparse
import sys

from ncv_core.cli._cluster import add_cluster_arguments, interpret_with_cluster, uses_cluster
from ncv_core.cli._inputs import add_input_arguments, input_meta, load_inputs

NAME = "attribute"
HELP = "model + sequence/locus -> attributions per position x base (ig, deeplift, saliency)"

METHODS = ("ig", "deeplift", "deeplift_shap", "saliency", "input_x_gradient")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_input_arguments(p)
    p.add_argument("--method", required=True, choices=METHODS, help="attribution method")
    p.add_argument("--task", type=int, default=0, help="output to explain (default 0)")
    p.add_argument(
        "--baseline",
        default="zeros",
        choices=("zeros", "uniform"),
        help="ig / deeplift reference: all zeros or 0.25 per base (default zeros)",
    )
    p.add_argument("--steps", type=int, default=50, help="ig integration steps (default 50)")
    p.add_argument("--shuffles", type=int, default=20, help="deeplift_shap references (default 20)")
    p.add_argument("--seed", type=int, default=0, help="seeds the shuffled references")
    add_cluster_arguments(p)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ncv_core.interpret.attribution import attribute, attribution_table
    from ncv_core.io.tables import write_table
    from ncv_core.progress import TqdmProgress

    loaded, inputs = load_inputs(args)
    options = {"method": args.method, "task": args.task, "baseline": args.baseline,
               "n_steps": args.steps, "n_shuffles": args.shuffles, "random_state": args.seed}  # fmt: skip
    with TqdmProgress() as bar:
        if uses_cluster(args):  # windows shared out to dask workers, the same numbers
            res = interpret_with_cluster(args, "attribute", inputs, bar, **options)
        else:
            res = attribute(
                loaded.model,
                inputs.x_seq,
                inputs.x_tab,
                progress=bar,
                device=args.device,
                **options,
            )
    table = inputs.annotate(attribution_table(res))

    def finite(a: np.ndarray) -> list:
        return [float(v) if np.isfinite(v) else None for v in a]

    meta = input_meta(args, loaded, inputs) | {
        "format": "ncv-attribution",
        "method": res.method,
        "task": res.task,
        "baseline": args.baseline if args.method in ("ig", "deeplift") else None,
        "tabular_note": res.tabular,
        "logit": finite(res.logit),
        "baseline_logit": finite(res.baseline_logit),
        "convergence_delta": finite(res.delta),
    }
    write_table(table, args.out, meta)
    print(summary_line(res, inputs, args.out), file=sys.stdout)
    return 0


def summary_line(res, inputs, out: object) -> str:
    """One line: method, windows, logit and, for ig/deeplift, the convergence delta."""
    import numpy as np

    n = res.attributions.shape[0]
    text = f"{res.method} of {n} window(s) ({inputs.kind}): logit {res.logit[0]:+.3f}"
    if np.isfinite(res.delta).any():
        gap = res.logit - res.baseline_logit
        rel = np.abs(res.delta) / np.maximum(np.abs(gap), 1e-12)
        text += (
            f", baseline logit {res.baseline_logit[0]:+.3f}, convergence delta "
            f"{res.delta[0]:+.2e} (max |delta| {np.abs(res.delta).max():.2e}, "
            f"{100 * rel.max():.2f}% of |logit - baseline|)"
        )
    return f"{text} -> {out}"
