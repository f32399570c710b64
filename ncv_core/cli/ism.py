"""In-silico saturation mutagenesis of a model's window(s): every position x each of the three
other bases -> change of the predicted probability and logit (the reference base is 0).

Input: a pasted --sequence (sequence-only models), a --locus CHR:POS with --genome (and --tracks,
--cell-line for models with tabular features: those are built with the feature pipeline at the
locus and held fixed for every mutant, as the table's metadata says), or rows of a feature table
(--features TABLE --id ID).

Writes one row per (window, task, position, base): seq_index id chrom genome_pos task pos
ref_base alt_base is_ref delta_prob delta_logit importance (pos is the 0-based offset in the
window, the variant at window // 2; genome_pos is 1-based; importance is the position's minus
mean delta logit over its alternative bases, the reference letter's height in a logo), with the
metadata (reference probabilities, how tabular features were treated) in FILE.meta.json beside a
TSV. --npy FILE.npy also saves the (N, T, L, 4) delta-logit array (A,C,G,T).

examples:
  ncv ism --model models/gm --locus chr1:19899 --genome demo/genome.fa \\
          --tracks demo/tracks.tsv --cell-line GM12878 --out ism.tsv
  ncv ism --model models/gm-deepbind --sequence ACGT...(150 bases) --out ism.tsv
"""

from __future__ import annotations

import argparse
import sys

from ncv_core.cli._cluster import add_cluster_arguments, interpret_with_cluster, uses_cluster
from ncv_core.cli._inputs import add_input_arguments, input_meta, load_inputs

NAME = "ism"
HELP = "model + sequence/locus -> saturation mutagenesis table (position x base)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_input_arguments(p)
    p.add_argument("--npy", default=None, help="also save the (N, T, L, 4) delta logits here")
    p.add_argument(
        "--batch-size", type=int, default=None, help="mutant rows per forward (default: measured)"
    )
    add_cluster_arguments(p)


def run(args: argparse.Namespace) -> int:

    from ncv_core.interpret.ism import (
        DEFAULT_BATCH_SIZE,
        IMPORTANCE,
        ism_table,
        saturation_mutagenesis,
    )
    from ncv_core.io.tables import write_npy, write_table
    from ncv_core.progress import TqdmProgress

    loaded, inputs = load_inputs(args, extra_outputs=(args.npy,))
    with TqdmProgress() as bar:
        if uses_cluster(args):  # windows shared out to dask workers, the same numbers
            batch = {"batch_size": args.batch_size or DEFAULT_BATCH_SIZE}
            res = interpret_with_cluster(args, "ism", inputs, bar, **batch)
        else:
            res = saturation_mutagenesis(
                loaded.model,
                inputs.x_seq,
                inputs.x_tab,
                progress=bar,
                batch_size=args.batch_size or DEFAULT_BATCH_SIZE,
                device=args.device,
            )
    table = ism_table(res)
    s, t, p = (table[c].to_numpy() for c in ("seq_index", "task", "pos"))
    table["importance"] = res.importance[s, t, p]
    table = inputs.annotate(table)
    meta = input_meta(args, loaded, inputs) | {
        "format": "ncv-ism",
        "tabular_note": res.tabular,
        "ref_prob": res.ref_prob.tolist(),
        "ref_logit": res.ref_logit.tolist(),
        "importance": IMPORTANCE,
        "delta": "mutant minus reference; probability = sigmoid(positive logit)",
    }
    write_table(table, args.out, meta)
    if args.npy:
        write_npy(res.delta_logit, args.npy)
    print(summary_line(res, inputs, args.out), file=sys.stdout)
    return 0


def summary_line(res, inputs, out: object) -> str:
    """One line: windows, the reference probability and the most damaging substitution."""
    import numpy as np

    n, _, length, _ = res.delta_prob.shape
    k = np.unravel_index(np.argmin(res.delta_prob[0, 0]), (length, 4))
    bases = "ACGT"
    ref = res.ref_index[0, k[0]]
    worst = f"{'N' if ref < 0 else bases[ref]}>{bases[k[1]]} at offset {k[0]}"
    return (
        f"ISM of {n} window(s) x {length} bp ({inputs.kind}): p_ref {res.ref_prob[0, 0]:.3f}, "
        f"largest drop {res.delta_prob[0, 0][k]:+.3f} ({worst}); {inputs.tabular} -> {out}"
    )
