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
from pathlib import Path

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
    from ncv_core.cli._progress import TqdmProgress
    from ncv_core.errors import NcvError
    from ncv_core.features import rejected_report_path
    from ncv_core.loci_formats import detect_format, open_text
    from ncv_core.modelio import load_model
    from ncv_core.rejections import raise_if_unusable, summarize, write_rejections
    from ncv_core.score import iter_scores
    from ncv_core.score_io import output_kind, score_names, write_annotated_vcf, write_table_stream

    kind = output_kind(args.out)
    if args.chunk_size < 1:
        raise NcvError(f"--chunk-size must be positive, got {args.chunk_size}")
    if kind == "vcf":
        with open_text(args.loci) as fh:
            if detect_format(args.loci, fh) != "vcf":
                raise NcvError(
                    "a VCF output needs a VCF input; use .tsv or .parquet", path=args.out
                )
    model = load_model(args.model, device=args.device)
    rejected: list = []

    def chunks():
        for chunk in iter_scores(
            model,
            args.loci,
            args.genome,
            args.tracks,
            args.cell_line,
            chunk_size=args.chunk_size,
            batch_size=args.batch_size,
            progress=progress,
        ):
            rejected.extend(chunk.rejected)
            yield chunk

    with TqdmProgress(postfix_keys=("scored",)) as progress:
        if kind == "vcf":
            n = write_annotated_vcf(
                args.loci,
                chunks(),
                args.out,
                names=score_names(model.label_columns),
                model_name=model.card["architecture"]["name"],
            )
        else:
            n = write_table_stream((c.scores for c in chunks() if len(c.scores)), args.out)
    report = rejected_report_path(args.out)
    write_rejections(rejected, report)
    if n == 0:
        Path(args.out).unlink(missing_ok=True)
        raise_if_unusable(0, rejected, args.loci)
    print(f"{args.loci}: {summarize(n, rejected).replace('kept', 'scored', 1)}")
    print(f"wrote {args.out}; rows that could not be scored in {report}")
    return 0
