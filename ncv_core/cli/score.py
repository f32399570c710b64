"""Score variants under trained models: the predicted probability that the locus is functional
with the reference allele and with the alternative allele, the change, and how that change
compares with random SNVs near the loci.

Output columns: chrom pos ref alt id label p_ref p_alt diff logit_diff log2fc p_ref_percentile
diff_percentile notes (one set per task for multi-task models; <model>_p_ref ... with several
--model). SNVs, MNVs and indels up to half the window are scored: multi-base variants are
left-aligned and trimmed against the genome (as bcftools norm does; the notes column says when a
row was rewritten), and the alternative window is cut from the alt haplotype so both windows
have the model's length. The locus's epigenetic features (Peak/Max/Sum per mark) are the same
for both alleles, the composition features are recomputed. Identical variants are scored once
and reported on every row (notes: duplicate, conflicting labels). Streams in chunks (bounded
memory), so a genome-wide VCF works. Rows that cannot be scored go to FILE.rejected.tsv.

Sequence-only models (deepbind, deepsea, basset) need no --tracks or --cell-line. --sequences
TABLE scores a table of sequences (an MPRA library: id, seq, ref, alt, optional offset = 0-based
index of REF's first base in seq, default len(seq)//2) instead of loci on a genome.

The background (default 10,000 random SNVs within 10 kb of the first chunk's loci, seed 0;
--background 0 turns it off) gives diff_percentile: the percentage of random SNVs with a smaller
|p_alt - p_ref|. Output format by extension: .tsv/.csv/.parquet (metadata in FILE.meta.json or
the Parquet schema), or .vcf/.vcf.gz (the input VCF with NCV_* INFO fields; BGZF for .gz, so
tabix can index it) when the input is a VCF. See docs/SCORING.md.

examples:
  ncv score --model models/gm --loci variants.vcf.gz --genome demo/genome.fa \\
            --tracks demo/tracks.tsv --cell-line GM12878 --out scored.vcf.gz
  ncv score --model models/deepbind --model models/basset --loci variants.vcf \\
            --genome demo/genome.fa --rc-average --out scored.tsv
  ncv score --model models/deepbind --sequences library.tsv --out library-scores.tsv
  ncv score ... --out scored.parquet --workers 2
  ncv score ... --out scored.vcf.gz --cluster slurm --cluster-config slurm.yaml

With --workers N, --scheduler ADDRESS or --cluster slurm the chunks are scored by dask workers
and the outputs are the same files, byte for byte (docs/CLUSTER.md).
"""

from __future__ import annotations

import argparse

from ncv_core.cli._cluster import add_cluster_arguments, cluster_scoring, uses_cluster

NAME = "score"
HELP = "score variants (ref vs alt) under models: TSV, Parquet or annotated VCF"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        required=True,
        action="append",
        help="model folder (model.safetensors + card.json); repeat for several models",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--loci", help="VCF, BED, CSV or TSV of variants (with ALT alleles)")
    src.add_argument(
        "--sequences", help="table of sequences: id, seq, ref, alt[, offset, label] (MPRA)"
    )
    p.add_argument("--genome", default=None, help="reference FASTA (with --loci)")
    p.add_argument(
        "--tracks", default=None, help="tracks manifest (only for models with track features)"
    )
    p.add_argument("--cell-line", default=None, help="cell line of the manifest (with --tracks)")
    p.add_argument(
        "--out", required=True, help="FILE.tsv, FILE.csv, FILE.parquet, FILE.vcf or FILE.vcf.gz"
    )
    p.add_argument(
        "--rc-average",
        action="store_true",
        help="average each prediction over the window and its reverse complement",
    )
    p.add_argument(
        "--background",
        type=int,
        default=10_000,
        metavar="N",
        help="random SNVs near the loci for the percentiles (default %(default)s; 0: none)",
    )
    p.add_argument(
        "--no-background", action="store_true", help="no background (same as --background 0)"
    )
    p.add_argument("--background-seed", type=int, default=0, help="seed (default %(default)s)")
    p.add_argument(
        "--background-flank",
        type=int,
        default=10_000,
        help="bases around a locus to draw from (default %(default)s)",
    )
    p.add_argument(
        "--max-len",
        type=int,
        default=None,
        help="longest allele scored after normalisation (default: half the window)",
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
    add_cluster_arguments(p)


def run(args: argparse.Namespace) -> int:
    from ncv_core.io.model_folder import load_model
    from ncv_core.io.scores import output_kind
    from ncv_core.io.tables import check_outputs, rejected_report_path
    from ncv_core.progress import TqdmProgress
    from ncv_core.score import score_file
    from ncv_core.scoring.top import rank_column

    output_kind(args.out)  # an unknown extension fails before the model is loaded
    source = args.sequences or args.loci
    check_outputs(  # every file written, before the models are loaded
        [args.out, rejected_report_path(args.out)],
        inputs=[source, args.genome, args.tracks, *args.model],
    )
    on_cluster = uses_cluster(args)  # the workers load their own copies; here only the cards
    models = [load_model(m, device="cpu" if on_cluster else args.device) for m in args.model]
    background = 0 if args.no_background else args.background
    with cluster_scoring(args) as engine, TqdmProgress(postfix_keys=("scored",)) as progress:
        done = score_file(
            models if len(models) > 1 else models[0],
            source,
            args.genome,
            args.tracks,
            args.cell_line,
            args.out,
            chunk_size=args.chunk_size,
            batch_size=args.batch_size,
            progress=progress,
            rc_average=args.rc_average,
            background=background,
            background_seed=args.background_seed,
            background_flank=args.background_flank,
            max_len=args.max_len,
            sequences=args.sequences is not None,
            top=5,
            engine=engine,
        )
    print(f"{source}: {done.summary}")
    if done.background is not None:
        bg = done.background
        print(f"background: {bg.n:,} random SNVs {bg.where} (seed {bg.seed}, flank {bg.flank:,})")
    if len(done.top):
        diff = rank_column(done.top.columns)
        shown = ", ".join(
            f"{i} {d:+.3f}" for i, d in zip(done.top["id"], done.top[diff], strict=True)
        )
        print(f"largest |{diff}|: {shown}")
    print(f"wrote {args.out}; rows that could not be scored in {done.report}")
    return 0
