"""Build the feature table of a loci file: per variant, Peak/Max/Sum of every mark of the cell
line over the window, the ten nucleotide-composition features and the window's bases (``seq``).

Rows that cannot be used are written to FILE.rejected.tsv (file line, reason, row) and counted in
a one-line summary; exit status 2 when no locus is usable or an input cannot be read.

With --workers N, --scheduler ADDRESS or --cluster slurm the chunks are built by dask workers;
the table is the same (docs/CLUSTER.md).

examples:
  ncv features --loci loci.vcf.gz --genome hg19.fa --tracks tracks.tsv --cell-line K562 --out k562.parquet
  ncv features ... --workers 2
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ncv_core.cli._cluster import add_cluster_arguments, cluster_from_args, uses_cluster
from ncv_core.constants import DEFAULT_WINDOW

NAME = "features"
HELP = "loci + genome + tracks -> feature table (Parquet or TSV)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--loci", required=True, help="VCF (.vcf/.vcf.gz), BED, CSV or TSV of variant loci"
    )
    p.add_argument(
        "--genome", required=True, help="reference FASTA (an .fai index is built if missing)"
    )
    p.add_argument(
        "--tracks",
        required=True,
        help="tracks manifest (tracks.tsv: cell_line, mark, signal, peaks)",
    )
    p.add_argument(
        "--cell-line", required=True, help="cell line of the manifest whose tracks to use"
    )
    p.add_argument("--out", required=True, help="output table: FILE.parquet, FILE.tsv or FILE.csv")
    p.add_argument(
        "--window",
        type=int,
        default=DEFAULT_WINDOW,
        help="window length in bp (default %(default)s)",
    )
    p.add_argument(
        "--build", help="declared genome build (hg19, hg38, ...); checked against the FASTA"
    )
    p.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the feature cache"
    )
    p.add_argument("--chunk-size", type=int, default=50_000, help="loci per chunk (bounds memory)")
    add_cluster_arguments(p)


def run(args: argparse.Namespace) -> int:
    from ncv_core.features.build import build_features
    from ncv_core.io.tables import (
        check_outputs,
        rejected_report_path,
        table_paths,
        write_rejections,
        write_table,
    )
    from ncv_core.progress import TqdmProgress

    report = rejected_report_path(args.out)  # every output checked before any work
    check_outputs([*table_paths(args.out), report], inputs=[args.loci, args.genome, args.tracks])
    options = {
        "window": args.window,
        "build": args.build,
        "use_cache": not args.no_cache,
        "chunk_size": args.chunk_size,
    }
    if uses_cluster(args):
        from ncv_core.distributed import features_on_cluster

        work_dir = args.work_dir or Path(args.out).resolve().parent
        with cluster_from_args(args) as cluster, TqdmProgress(postfix_keys=("kept",)) as bar:
            result = features_on_cluster(
                cluster.client, args.loci, args.genome, args.tracks, args.cell_line,
                work_dir=work_dir, resources=cluster.resources, progress=bar, **options,
            )  # fmt: skip
    else:
        with TqdmProgress() as progress:
            result = build_features(
                args.loci, args.genome, args.tracks, args.cell_line, progress=progress, **options
            )
    write_table(result.table, args.out, result.meta)
    write_rejections(result.rejected, report)
    print(f"{args.loci}: {result.summary}", file=sys.stdout)
    print(
        f"wrote {args.out} ({len(result.table):,} rows x {result.table.shape[1]} columns); "
        f"rejected rows in {report}",
        file=sys.stdout,
    )
    return 0
