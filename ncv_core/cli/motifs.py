"""Basset-style motifs of a sequence CNN's first-layer filters, matched to JASPAR.

For each first-layer filter: the PWM of the windows of the feature table whose activation exceeds
0.5 x the filter's maximum (Basset's rule), its information content and number of sites; TomTom
matches against JASPAR 2026 CORE vertebrates (pyjaspar's bundled database, offline) and any MEME
file given, with p- and q-values, orientation and offset; the influence of each filter (its
output replaced by its mean activation: change of the predicted probability, per task) and a
clustering of the filters by influence.

Writes into the output folder: filters.meme (the PWMs), filters.tsv (one row per filter, with
its best match and influence), tomtom.tsv (best matches per filter), influence.tsv,
clusters.tsv, logos.tsv (letter heights: probability x information content) and report.json.
Needs a model with 1-D first-layer filters (deepbind, deepsea, basset); ssl_dnn's (1,4) Conv2d
filters read one base row at a time and give no PWMs.

examples:
  ncv motifs --model models/gm-deepbind --features gm.parquet --out motifs/gm
  ncv motifs --model models/gm-deepbind --features gm.parquet --out motifs/gm \\
             --motifs my_motifs.meme --distance euclidean
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "motifs"
HELP = "model + feature table -> filter PWMs (MEME), TomTom matches vs JASPAR, influence"

JASPAR_NAME = "JASPAR CORE vertebrates"
OUTPUTS = (
    "filters.meme",
    "filters.tsv",
    "tomtom.tsv",
    "influence.tsv",
    "clusters.tsv",
    "logos.tsv",
    "report.json",
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="model folder of a sequence CNN")
    p.add_argument("--features", required=True, help="feature table whose windows are scanned")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--motifs", default=None, help="a MEME file of motifs to match besides JASPAR")
    p.add_argument(
        "--distance",
        default="pearson",
        choices=("pearson", "euclidean"),
        help="TomTom column similarity: pearson (Basset's, default) or euclidean (memelite's)",
    )
    p.add_argument("--no-jaspar", action="store_true", help="match only the --motifs file")
    p.add_argument(
        "--jaspar-release",
        default=None,
        help="pyjaspar release (default: the latest bundled, JASPAR2026)",
    )
    p.add_argument("--matches", type=int, default=5, help="matches kept per filter (default 5)")
    p.add_argument(
        "--max-q", type=float, default=0.05, help="q-value of a significant match (default 0.05)"
    )
    p.add_argument(
        "--influence-rows",
        type=int,
        default=1000,
        help="windows used for filter influence (default %(default)s; 0 skips it, -1 uses all)",
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="site threshold as a fraction of each filter's maximum (Basset: 0.5)",
    )
    p.add_argument("--seed", type=int, default=0, help="seeds the influence subset")
    p.add_argument("--device", default=None, help="torch device (default: cuda if available)")


def run(args: argparse.Namespace) -> int:
    from ncv_core.errors import NcvError
    from ncv_core.interpret.filter_report import filter_report, require_filters
    from ncv_core.io.model_folder import load_model
    from ncv_core.io.motif_files import jaspar_motifs, read_meme, write_meme
    from ncv_core.io.tables import check_outputs, read_table, write_json, write_table
    from ncv_core.progress import TqdmProgress

    out = Path(args.out)
    check_outputs([out / name for name in OUTPUTS], inputs=[args.model, args.features, args.motifs])
    loaded = load_model(args.model, device=args.device)
    require_filters(loaded.model, loaded.card["architecture"]["name"])
    table, meta = read_table(args.features)
    x_seq, x_tab = loaded.encode(table, meta)
    databases = {}
    if not args.no_jaspar:
        motifs = jaspar_motifs(release=args.jaspar_release)
        databases[f"{args.jaspar_release or _latest()} {JASPAR_NAME}".strip()] = motifs
    if args.motifs:
        databases[Path(args.motifs).name] = read_meme(args.motifs)
    if not databases:
        raise NcvError("nothing to match against: --no-jaspar needs --motifs FILE.meme")
    rows = None if args.influence_rows < 0 else args.influence_rows
    with TqdmProgress() as bar:
        rep = filter_report(
            loaded.model, x_seq, x_tab, databases=databases, distance=args.distance,
            n_matches=args.matches, max_q=args.max_q, influence_rows=rows,
            threshold=args.threshold, progress=bar, device=args.device, random_state=args.seed,
        )  # fmt: skip
    write_meme(rep.motifs, out / "filters.meme")
    write_table(rep.summary, out / "filters.tsv")
    write_table(rep.matches, out / "tomtom.tsv")
    write_table(rep.influence, out / "influence.tsv")
    write_table(rep.clusters, out / "clusters.tsv")
    write_table(rep.logos, out / "logos.tsv")
    info = {"model": str(args.model), "features": str(args.features), **rep.settings}
    write_json(info, out / "report.json")
    print(summary_line(rep, out), file=sys.stdout)
    return 0


def _latest() -> str:
    from pyjaspar import JASPAR_LATEST_RELEASE

    return JASPAR_LATEST_RELEASE


def summary_line(rep, out: object) -> str:
    """One line: filters with sites, filters with a significant match, the best-matched motifs."""
    s = rep.summary
    with_sites = int((s["n_sites"] > 0).sum())
    sig = rep.matches[rep.matches["significant"]] if len(rep.matches) else rep.matches
    n_filters_sig = sig["query"].nunique() if len(sig) else 0
    best = sig.groupby("target_name")["q_value"].min().sort_values().head(8) if len(sig) else None
    named = ", ".join(f"{k} (q {v:.1e})" for k, v in best.items()) if best is not None else "-"
    return (
        f"{len(s)} filters, {with_sites} with sites, {n_filters_sig} with a match at q < "
        f"{rep.settings['max_q']} ({rep.settings['distance']}): {named} -> {out}"
    )
