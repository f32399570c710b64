"""Avocado imputation: fill the tracks a cell line lacks (Schreiber et al.).

  fit       tracks manifest + regions -> imputation model folder (model.safetensors, card.json);
            --add-cell-line adds cell lines to a fitted model (their rows only, the rest frozen);
            --cross-tracks adds a second species (zero-shot: a mark it never measured is imputed
            from the first species' measurements of it)
  predict   one imputed track as a bigWig (25-bp bins, original units, peaks beside it), or
            --all-missing: every absent (cell line, mark) + a manifest ncv features reads
  evaluate  held-out (or hidden-truth) tracks: MSE against the average-activity baseline

Ctrl-C during fit stops after the current batch and saves the model (the card says stopped);
a second Ctrl-C aborts and writes nothing. Every output is written atomically.

examples:
  ncv impute fit --tracks demo/impute/tracks.tsv --regions demo/impute/regions.bed --out avo \\
      --held-out MIX1:H3K4me3
  ncv impute fit --tracks demo/impute/tracks.tsv --loci demo/loci/GM12878.tsv --context 100 \\
      --out avo-gm --epochs 10
  ncv impute predict --model avo --cell-line GM12878 --mark DNase --out gm-dnase.bw
  ncv impute predict --model avo --all-missing --out-dir imputed
  ncv features --loci demo/loci/GM12878.tsv --genome demo/genome.fa --tracks imputed/tracks.tsv \\
      --cell-line GM12878 --out gm.parquet
  ncv impute evaluate --model avo --truth demo/impute/hidden.tsv --out scores.tsv
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NAME = "impute"
HELP = "Avocado: impute missing tracks (fit, predict, evaluate)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    fmt = argparse.RawDescriptionHelpFormatter
    _fit_arguments(sub.add_parser("fit", help="train an imputation model", formatter_class=fmt))
    _predict_arguments(sub.add_parser("predict", help="write imputed tracks as bigWig"))
    _evaluate_arguments(sub.add_parser("evaluate", help="score imputed vs measured tracks"))


def _fit_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tracks", required=True, help="tracks manifest (cell_line mark signal peaks)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--regions", help="BED of the regions to model (snapped to 25 bp)")
    where.add_argument("--loci", help="loci file: its windows plus --context are the regions")
    p.add_argument("--window", type=int, default=150, help="loci window, bp (default 150)")
    p.add_argument("--context", type=int, default=500, help="bp around each loci window (500)")
    p.add_argument("--out", required=True, help="model folder to write (replaced if a model)")
    p.add_argument("--genome", help="FASTA the tracks must agree with (optional)")
    p.add_argument("--species", default="human", help="name of the tracks' species (human)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--epochs", type=int, default=20, help="passes over the bins (default 20)")
    p.add_argument("--size", default="small", choices=["small", "paper"], help="model size")
    p.add_argument("--batch-size", type=int, default=None, help="samples per step (1024)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate (default 1e-3)")
    p.add_argument(
        "--normalize",
        default="none",
        choices=["none", "median"],
        help="none: bin means straight to arcsinh (the paper, default); median: divide each "
        "track by its median bin first (tracks whose gain varies by lab or depth)",
    )
    p.add_argument("--device", default=None, help="torch device (default: cuda if available)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument(
        "--held-out", nargs="+", default=[], metavar="CELL:MARK", help="tracks not trained on"
    )
    add = p.add_argument_group("adding cell lines to a fitted model")
    add.add_argument("--add-cell-line", nargs="+", metavar="CELL", help="new cell lines to add")
    add.add_argument("--base", help="the fitted model folder to add them to")
    cross = p.add_argument_group("a second species (joint genome axis)")
    cross.add_argument("--cross-tracks", help="the second species' tracks manifest")
    cross.add_argument("--cross-regions", help="BED of the second species' regions")
    cross.add_argument("--cross-species", default="species2", help="its name (species2)")
    cross.add_argument("--cross-genome", help="its FASTA (optional)")


def _predict_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="imputation model folder (ncv impute fit)")
    p.add_argument("--cell-line", help="cell line to impute")
    p.add_argument("--mark", help="mark to impute")
    p.add_argument("--out", help="bigWig to write (with --cell-line, --mark)")
    p.add_argument("--all-missing", action="store_true", help="every absent (cell line, mark)")
    p.add_argument("--out-dir", help="folder for --all-missing (bigWigs + tracks.tsv)")
    p.add_argument("--no-peaks", action="store_true", help="no narrowPeak beside the bigWig")
    p.add_argument("--device", default=None, help="torch device (default: cuda if available)")


def _evaluate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="imputation model folder (ncv impute fit)")
    p.add_argument("--truth", help="manifest of measured tracks the model never saw (scored)")
    p.add_argument("--track", nargs="+", default=None, metavar="CELL:MARK", help="score these")
    p.add_argument("--promoters", help="BED of promoters (first species): MSE there too")
    p.add_argument("--out", required=True, help="per-track scores (TSV, CSV or Parquet)")
    p.add_argument("--device", default=None, help="torch device (default: cuda if available)")


def parse_pairs(texts: list[str] | None) -> list[tuple[str, str]]:
    """``CELL:MARK`` texts -> (cell line, canonical mark) pairs."""
    from ncv_core.errors import NcvError
    from ncv_core.io.manifest import canonical_mark

    pairs = []
    for text in texts or []:
        cell, sep, mark = text.rpartition(":")
        if not sep or not cell or not mark:
            raise NcvError(f"expected CELL:MARK, got {text!r}")
        pairs.append((cell, canonical_mark(mark)))
    return pairs


@contextmanager
def interrupt_stops() -> Iterator[threading.Event]:
    """A stop flag that the first Ctrl-C sets (work ends cleanly); the second one aborts."""
    flag = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum, frame) -> None:  # noqa: ANN001
        if flag.is_set():
            raise KeyboardInterrupt
        flag.set()
        print("ncv impute: stopping after this batch (Ctrl-C again to abort)", file=sys.stderr)

    old = signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, old)


def _regions(path: str | None, loci: str | None, window: int, context: int) -> list:
    """The regions of ``--regions BED`` or ``--loci FILE`` (windows + context)."""
    from ncv_core.errors import NcvError
    from ncv_core.features.loci import read_loci
    from ncv_core.impute.regions import bed_regions, loci_regions

    if path is not None:
        return bed_regions(path)
    if loci is None:
        raise NcvError("give the regions: --regions BED or --loci FILE [--context BP]")
    table = read_loci(loci).table
    return loci_regions(
        table["chrom"].astype(str).tolist(), table["pos"].to_numpy(), window=window, context=context
    )


def _sources(args: argparse.Namespace) -> tuple[list, object, dict]:
    """(species sources, base (fit, card) or None, provenance) of ``ncv impute fit``."""
    from ncv_core.errors import NcvError
    from ncv_core.impute.folder import load_fit
    from ncv_core.impute.sources import species_tracks
    from ncv_core.impute.workflow import base_sources
    from ncv_core.io.manifest import read_manifest

    specs = read_manifest(args.tracks)
    prov = {"tracks": str(args.tracks), "regions": args.regions, "loci": args.loci}
    if args.add_cell_line:
        if args.base is None or args.cross_tracks or args.regions or args.loci:
            raise NcvError("--add-cell-line needs --base MODEL (its regions are the base's)")
        base = load_fit(args.base)
        mine = [s for s in specs if s.cell_line in set(args.add_cell_line)]
        absent = sorted(set(args.add_cell_line) - {s.cell_line for s in mine})
        if absent:
            raise NcvError(f"cell lines {absent} have no track in the manifest", path=args.tracks)
        species = args.species if args.species in base[1]["species"] else base[1]["species"][0]
        return base_sources(base[1], {species: mine}), base, {**prov, "base": str(args.base)}
    if args.base is not None:
        raise NcvError("--base goes with --add-cell-line CELL ...")
    regions = _regions(args.regions, args.loci, args.window, args.context)
    sources = [species_tracks(args.species, specs, regions, genome=args.genome)]
    if args.cross_tracks:
        if not args.cross_regions:
            raise NcvError("--cross-tracks needs --cross-regions BED")
        other = _regions(args.cross_regions, None, args.window, 0)
        sources.append(
            species_tracks(
                args.cross_species,
                read_manifest(args.cross_tracks),
                other,
                genome=args.cross_genome,
            )
        )
        prov.update(cross_tracks=str(args.cross_tracks), cross_regions=str(args.cross_regions))
    return sources, None, prov


def fit(args: argparse.Namespace) -> int:
    import torch

    from ncv_core.impute.folder import save_fit
    from ncv_core.impute.train import BATCH_SIZE
    from ncv_core.impute.workflow import fit_tracks
    from ncv_core.io.model_folder import check_model_target
    from ncv_core.io.tables import check_outputs
    from ncv_core.progress import TqdmProgress

    inputs = [args.tracks, args.regions, args.loci, args.genome, args.cross_tracks]
    inputs += [args.cross_regions, args.cross_genome, args.base]
    check_outputs([], inputs=inputs, folders=[args.out])
    check_model_target(args.out)  # before the training, not after it
    held = parse_pairs(args.held_out)
    sources, base, prov = _sources(args)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    with interrupt_stops() as stop, TqdmProgress(postfix_keys=("train_mse", "heldout_mse")) as bar:
        run_ = fit_tracks(
            sources,
            held_out=held,
            size=args.size,
            epochs=args.epochs,
            batch_size=args.batch_size or BATCH_SIZE,
            lr=args.lr,
            seed=args.seed,
            normalize=args.normalize,
            base=base,
            provenance=prov,
            device=args.device,
            progress=bar,
            stop=stop,
        )
    out = save_fit(run_.fit, run_.card, args.out)
    print(fit_summary(run_.card, run_.inputs.tensor, out))
    return 0


def fit_summary(card: dict, tensor, out: object) -> str:
    """One line: what was fitted on how much, and the held-out MSE against the baseline."""
    hyper = card["hyper"]
    done = len(card["history"])
    what = (
        f"fitted Avocado ({card['model']['size']}, seed {hyper['seed']}, {_n(done, 'epoch')}"
        + (", stopped early" if card["stopped"] else "")
        + f", {hyper['mode']}) on {_n(tensor.n_tracks, 'track')} of "
        f"{_n(len(tensor.cells), 'cell line')} x {_n(len(tensor.assays), 'mark')} over "
        f"{tensor.n_bins:,} bins of {len(tensor.species)} species"
    )
    return f"{what}{score_phrase(card['metrics'].get('held_out'), 'held-out')} -> {out}"


def _n(count: int, noun: str) -> str:
    """``1 epoch``, ``5 epochs``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def score_phrase(summary: dict | None, what: str) -> str:
    """``: held-out MSE 0.051 vs 0.214 for average activity (76.2% lower)``, or ``""``."""
    if not summary or summary.get("mse") is None:
        return ""
    text = f": {what + ' ' if what else ''}MSE {summary['mse']:.4f}"
    if summary.get("baseline_mse") is not None:
        text += f" vs {summary['baseline_mse']:.4f} for average activity"
        if summary.get("improvement") is not None:
            gain = 100 * summary["improvement"]
            text += f" ({abs(gain):.1f}% {'lower' if gain >= 0 else 'higher'})"
    return text


def predict(args: argparse.Namespace) -> int:
    from ncv_core.errors import NcvError
    from ncv_core.impute.export import export_missing, missing_pairs, write_imputed_track
    from ncv_core.impute.folder import load_fit
    from ncv_core.io.tables import check_outputs
    from ncv_core.progress import TqdmProgress

    fit_, card = load_fit(args.model)
    # the model and every measured track (a manifest of the outputs lists them) stay untouched
    inputs = [args.model] + [r[k] for r in card["tracks"] for k in ("signal", "peaks") if r.get(k)]
    if args.all_missing:
        if args.out_dir is None or args.cell_line or args.mark or args.out:
            raise NcvError("--all-missing takes --out-dir D (and no --cell-line/--mark/--out)")
        check_outputs([], inputs=inputs, folders=[args.out_dir])
        with interrupt_stops() as stop, TqdmProgress() as bar:
            manifest = export_missing(
                fit_, card, args.out_dir, device=args.device, progress=bar, stop=stop
            )
        n = len(missing_pairs(fit_, card))
        print(
            f"imputed {_n(n, 'absent track')}; manifest with {len(card['tracks'])} measured + "
            f"{n} imputed -> {manifest}"
        )
        return 0
    if not (args.cell_line and args.mark and args.out) or args.out_dir:
        raise NcvError("give --cell-line C --mark M --out FILE.bw, or --all-missing --out-dir D")
    peaks_out = None if args.no_peaks else Path(args.out).with_suffix(".narrowPeak")
    check_outputs([args.out, peaks_out], inputs=inputs)
    bw, peaks = write_imputed_track(
        fit_,
        card,
        args.cell_line,
        parse_pairs([f"x:{args.mark}"])[0][1],
        args.out,
        peaks=not args.no_peaks,
        device=args.device,
    )
    print(f"imputed {args.cell_line} {args.mark} -> {bw}" + (f" (peaks {peaks})" if peaks else ""))
    return 0


def evaluate(args: argparse.Namespace) -> int:
    import pandas as pd

    from ncv_core.impute.folder import load_fit
    from ncv_core.impute.scoring import summarize_scores
    from ncv_core.impute.workflow import evaluate_tracks
    from ncv_core.io.tables import check_outputs, table_paths, write_table

    check_outputs(
        table_paths(args.out, meta=False), inputs=[args.model, args.truth, args.promoters]
    )
    fit_, card = load_fit(args.model)
    rows = evaluate_tracks(
        fit_,
        card,
        truth=args.truth,
        tracks=parse_pairs(args.track) if args.track else None,
        promoters=args.promoters,
        device=args.device,
    )
    summary = summarize_scores(rows)
    write_table(pd.DataFrame(rows), args.out)
    print(f"evaluated {len(rows)} tracks{score_phrase(summary, 'mean')} -> {args.out}")
    for prefix, where in (("peaks_", "in peaks"), ("promoters_", "at promoters")):
        part = {k[len(prefix) :]: v for k, v in summary.items() if k.startswith(prefix)}
        if part:
            print(f"  {where} ({part['n_tracks']} tracks){score_phrase(part, '')}")
    return 0


def run(args: argparse.Namespace) -> int:
    return {"fit": fit, "predict": predict, "evaluate": evaluate}[args.action](args)
