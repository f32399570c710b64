"""Lift loci to another genome through a UCSC chain file (liftOver semantics, local files only).

Points (VCF, CSV, TSV: 1-based ``pos``) map when exactly one chain aligns their base; BED /
narrowPeak intervals (0-based ``start``, ``end``) when one chain aligns at least --min-match of
their bases (UCSC's -minMatch, default 0.95). The output holds the input's columns with ``chrom``
and ``pos`` (or ``start``, ``end``) in the target genome, then ``source_chrom``, ``source_pos``
(``source_start``, ``source_end``) and ``strand`` (``-``: the chain maps onto the target's
reverse strand). Every row that did not map is in FILE.rejected.tsv with its reason (unknown
contig, no chain, in gap, below min match, split, duplicated, out of range). Exit status 2 when
no row maps or an input cannot be read (the report is written first).

examples:
  ncv liftover --chain hg19ToHg38.over.chain.gz --loci variants.vcf.gz --out hg38.tsv
  ncv liftover --chain demo/species/mouse_like/demo_to_mouse_like.over.chain.gz \\
      --loci peaks.narrowPeak --out mouse_peaks.tsv --min-match 0.9
"""

from __future__ import annotations

import argparse
import sys

NAME = "liftover"
HELP = "loci (points or BED intervals) -> another genome's coordinates, via a chain file"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--chain", required=True, help="UCSC chain file (FILE.over.chain[.gz])")
    p.add_argument("--loci", required=True, help="VCF, BED / narrowPeak, CSV or TSV")
    p.add_argument("--out", required=True, help="output table: FILE.tsv, FILE.csv or .parquet")
    p.add_argument(
        "--min-match",
        type=float,
        default=0.95,
        help="fraction of an interval's bases one chain must align (default %(default)s)",
    )
    p.add_argument(
        "--format", default=None, choices=("vcf", "bed", "csv", "tsv"), help="override detection"
    )


def run(args: argparse.Namespace) -> int:
    from ncv_core.errors import NcvError
    from ncv_core.features.lift_input import read_lift_input
    from ncv_core.features.liftover import lift_loci
    from ncv_core.io.tables import (
        check_outputs,
        rejected_report_path,
        table_paths,
        write_rejections,
    )
    from ncv_core.progress import TqdmProgress
    from ncv_core.rejections import summarize

    report = rejected_report_path(args.out)  # every output checked before any work
    check_outputs([*table_paths(args.out, meta=False), report], inputs=[args.loci, args.chain])
    loci = read_lift_input(args.loci, fmt=args.format)
    with TqdmProgress() as bar:
        lifted = lift_loci(loci.table, args.chain, min_match=args.min_match, progress=bar)
    rejected = sorted(loci.rejected + lifted.rejected, key=lambda r: r.line)
    write_rejections(rejected, report)
    if lifted.table.empty:
        raise NcvError(
            f"no locus lifted ({summarize(0, rejected)}); the reasons are in {report}",
            path=args.loci,
        )
    write_lifted(lifted.table, args.out)
    print(f"{args.loci} ({lifted.kind}): {summarize(len(lifted.table), rejected)}", file=sys.stdout)
    print(f"wrote {args.out} ({len(lifted.table):,} rows); rejected rows in {report}")
    return 0


def write_lifted(table, out) -> None:  # noqa: ANN001 - a DataFrame and a path
    """Write a lifted table without the reader's bookkeeping columns (``_line``, ``_raw``)."""
    from ncv_core.io.tables import write_table

    write_table(table.drop(columns=[c for c in ("_line", "_raw") if c in table.columns]), out)
