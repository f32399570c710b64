"""Score variants under a trained model: the predicted probability that the locus is functional
with the reference allele and with the alternative allele, and the change.

Output columns: chrom pos ref alt id label p_ref p_alt diff logit_diff log2fc (one set per task
for multi-task models). The alternative window is the reference window with the one base replaced;
the locus's epigenetic features (Peak/Max/Sum per mark) are the same for both alleles, the
nucleotide-composition features are recomputed. Streams in chunks (bounded memory), so a
genome-wide VCF works. Rows that cannot be scored go to FILE.rejected.tsv.

Output format by extension: .tsv/.csv/.parquet, or .vcf/.vcf.gz (the input VCF with NCV_* INFO
fields added; BGZF-compressed for .gz, so tabix can index it) when the input is a VCF.

example:
  ncv score --model models/gm --loci variants.vcf.gz --genome demo/genome.fa \\
            --tracks demo/tracks.tsv --cell-line GM12878 --out scored.vcf.gz
"""

from __future__ import annotations

import argparse

NAME = "score"
HELP = "score variants (ref vs alt) under a model: TSV, Parquet or annotated VCF"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="model folder (model.safetensors + card.json)")
    p.add_argument(
        "--loci", required=True, help="VCF, BED, CSV or TSV of variants (with ALT alleles)"
    )
    p.add_argument("--genome", required=True, help="reference FASTA of the model's genome build")
    p.add_argument("--tracks", required=True, help="tracks manifest (tracks.tsv)")
    p.add_argument(
        "--cell-line", required=True, help="cell line of the manifest whose tracks to use"
    )
    p.add_argument(
        "--out", required=True, help="FILE.tsv, FILE.csv, FILE.parquet, FILE.vcf or FILE.vcf.gz"
    )
    p.add_argument(
        "--chunk-size", type=int, default=20_000, help="variants per chunk (default %(default)s)"
    )
    p.add_argument(
        "--batch-size", type=int, default=2048, help="rows per forward pass (default %(default)s)"
    )
    p.add_argument(
        "--device", default=None, help="torch device (default: cuda if available, else cpu)"
    )


def run(args: argparse.Namespace) -> int:
    from ncv_core.io.model_folder import load_model
    from ncv_core.io.scores import output_kind
    from ncv_core.progress import TqdmProgress
    from ncv_core.score import score_file

    output_kind(args.out)  # an unknown extension fails before the model is loaded
    model = load_model(args.model, device=args.device)
    with TqdmProgress(postfix_keys=("scored",)) as progress:
        done = score_file(
            model,
            args.loci,
            args.genome,
            args.tracks,
            args.cell_line,
            args.out,
            chunk_size=args.chunk_size,
            batch_size=args.batch_size,
            progress=progress,
        )
    print(f"{args.loci}: {done.summary}")
    print(f"wrote {args.out}; rows that could not be scored in {done.report}")
    return 0
