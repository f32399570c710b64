"""Cross-species pseudo-labels (Phan et al.): lift labelled loci to other genomes and take those
genomes' windows with the source labels, for pre-training (ncv train --pretrain).

For each mapped locus, the target genome's --window bp around the lifted base (at offset
window // 2), reverse-complemented on a minus-strand chain so it reads in the source's
orientation. Repeat --chain and --target-genome (in pairs, and --species if given) for several
species: one table, ids ``<species>:<source id>``. Columns: id chrom pos label seq source_chrom
source_pos strand species (chrom/pos in the target genome). Rows that give no window are in
FILE.rejected.tsv, their reasons prefixed with the species (the lift's reasons, window off
contig end, mostly N, unknown contig). A BED of peaks has no labels: give --label 1 (or 0).

examples:
  ncv pseudo-labels --loci loci/GM12878.tsv --window 150 --out gm_pseudo.tsv \\
      --chain species/dog_like/demo_to_dog_like.over.chain.gz \\
      --target-genome species/dog_like/genome.fa \\
      --chain species/mouse_like/demo_to_mouse_like.over.chain.gz \\
      --target-genome species/mouse_like/genome.fa
  ncv pseudo-labels --loci atf3_peaks.bed --label 1 --chain hg38ToMm10.over.chain.gz \\
      --target-genome mm10.fa --window 200 --out atf3_mm10.tsv
"""

from __future__ import annotations

import argparse
import sys

NAME = "pseudo-labels"
HELP = "labelled loci + chain files + other genomes -> pseudo-labelled windows (pre-training)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--loci", required=True, help="labelled loci: VCF, BED / narrowPeak, CSV, TSV")
    p.add_argument(
        "--chain", required=True, action="append", help="chain file to a species (repeatable)"
    )
    p.add_argument(
        "--target-genome",
        required=True,
        action="append",
        help="that species' FASTA, one per --chain, in the same order",
    )
    p.add_argument(
        "--species",
        action="append",
        default=None,
        help="species names, one per --chain (default: from the chain file's name)",
    )
    p.add_argument("--window", type=int, required=True, help="window length in bp")
    p.add_argument("--out", required=True, help="output table: FILE.tsv, FILE.csv or .parquet")
    p.add_argument("--label", type=int, choices=(0, 1), help="give every locus this label")
    p.add_argument(
        "--min-match",
        type=float,
        default=0.95,
        help="intervals: fraction one chain must align (default %(default)s)",
    )
    p.add_argument(
        "--max-n-fraction",
        type=float,
        default=0.5,
        help="reject windows with more N than this (default %(default)s)",
    )
    p.add_argument(
        "--format", default=None, choices=("vcf", "bed", "csv", "tsv"), help="override detection"
    )


def targets_from_args(args: argparse.Namespace) -> list:
    """The :class:`~ncv_core.features.cross_species.Target` list of the paired options."""
    from pathlib import Path

    from ncv_core.errors import NcvError
    from ncv_core.features.cross_species import Target, species_name

    chains, genomes = args.chain, args.target_genome
    if len(chains) != len(genomes):
        raise NcvError(
            f"give one --target-genome per --chain: got {len(chains)} chain(s) and "
            f"{len(genomes)} genome(s)"
        )
    names = args.species or [species_name(c) for c in chains]
    if len(names) != len(chains):
        raise NcvError(f"give one --species per --chain: got {len(names)} for {len(chains)}")
    return [Target(n, Path(c), Path(g)) for n, c, g in zip(names, chains, genomes, strict=True)]


def run(args: argparse.Namespace) -> int:
    from ncv_core.errors import NcvError
    from ncv_core.features.cross_species import pseudo_label_species
    from ncv_core.features.lift_input import read_lift_input
    from ncv_core.io.tables import (
        check_outputs,
        rejected_report_path,
        table_paths,
        write_rejections,
        write_table,
    )
    from ncv_core.progress import TqdmProgress
    from ncv_core.rejections import summarize

    report = rejected_report_path(args.out)  # every output checked before any work
    inputs = [args.loci, *args.chain, *(args.target_genome or [])]
    check_outputs([*table_paths(args.out, meta=False), report], inputs=inputs)
    targets = targets_from_args(args)
    loci = read_lift_input(args.loci, label=args.label, fmt=args.format)
    if "label" not in loci.table.columns or loci.table["label"].isna().all():
        raise NcvError(
            "no locus has a label; give --label 0 or 1, or a labelled file", path=args.loci
        )
    with TqdmProgress() as bar:
        result = pseudo_label_species(
            loci.table,
            targets,
            window=args.window,
            min_match=args.min_match,
            max_n_fraction=args.max_n_fraction,
            progress=bar,
        )
    rejected = sorted(loci.rejected, key=lambda r: r.line) + result.rejected
    write_rejections(rejected, report)
    if result.table.empty:
        raise NcvError(f"no pseudo-labelled window; the reasons are in {report}", path=args.loci)
    write_table(result.table, args.out)
    if loci.rejected:
        print(f"{args.loci}: {len(loci.rejected):,} rows could not be read", file=sys.stdout)
    for name, res in result.by_species.items():
        print(f"{name}: {summarize(len(res.table), res.rejected)}", file=sys.stdout)
    print(f"wrote {args.out} ({len(result.table):,} windows); rejected rows in {report}")
    return 0
