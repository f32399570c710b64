"""Write the built-in simulated demo data set: a small genome, 33 tracks and labelled loci.

Three cell lines (GM12878, HepG2, K562) x 11 marks of bigWig signal and narrowPeak calls over a
6-Mb genome, and per cell line a loci table with the paper's Table 1 counts plus unlabelled loci.
truth.json holds what the simulation hid (planted motifs, every locus's class). The same seed
gives byte-identical files. Without --out, the demo is built once into the cache folder the app
uses ($NCV_DEMO_DIR, else the cache folder: $NCV_CACHE_DIR, $XDG_CACHE_HOME/ncv-explorer or
~/.cache/ncv-explorer) and reused after.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

NAME = "demo"
HELP = "write the built-in simulated demo data set (genome, tracks, labelled loci)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="folder to write (created; demo files in it are overwritten); "
        "default: build once into the cache folder and reuse it",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--impute-panel",
        action="store_true",
        help="also write DIR/impute/: 8 cell lines with tracks missing on purpose and a second "
        "species, for ncv impute (docs/IMPUTATION.md)",
    )


def run(args: argparse.Namespace) -> int:
    from ncv_core.demo import build_demo, ensure_demo
    from ncv_core.demo.build import STAMP
    from ncv_core.io.manifest import read_manifest
    from ncv_core.io.tables import check_outputs, read_table
    from ncv_core.progress import TqdmProgress

    if args.out is not None:  # the folder must take files before the simulation starts
        check_outputs([Path(args.out) / STAMP])
    start = time.perf_counter()
    with TqdmProgress() as bar:
        if args.out is None:
            paths = ensure_demo(seed=args.seed, progress=bar)
        else:
            paths = build_demo(args.out, args.seed, progress=bar)
    counts = []
    for cell, path in paths.loci.items():
        label = read_table(path)[0]["label"]
        n_pos, n_neg = int((label == 1).sum()), int((label == 0).sum())
        counts.append(f"{cell} {n_pos}+/{n_neg}-/{int(label.isna().sum())}?")
    n_tracks = len(read_manifest(paths.tracks))
    print(
        f"demo (seed {args.seed}): {n_tracks} tracks, loci {', '.join(counts)} "
        f"in {paths.root} ({time.perf_counter() - start:.1f} s)"
    )
    if args.impute_panel:
        from ncv_core.demo.impute_panel import ensure_impute_panel

        with TqdmProgress() as bar:
            panel = ensure_impute_panel(paths, args.seed, progress=bar)
        n_measured, n_hidden = len(read_manifest(panel.tracks)), len(read_manifest(panel.hidden))
        print(
            f"imputation panel: {n_measured} measured + {n_hidden} hidden tracks of 8 cell "
            f"lines, and a second species, in {panel.root}"
        )
    return 0
