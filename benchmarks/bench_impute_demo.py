"""Avocado on the demo's imputation panel: held-out MSE against the average-activity baseline,
zero-shot in the second species, and what an imputed DNase gives the variant model.

1. MSE: ``fit_tracks`` on ``impute/tracks.tsv`` over ``impute/regions.bed`` (10 x 50 kb, 20,000
   bins), scored on the 13 hidden tracks (``impute/hidden.tsv``), per seed and normalisation.
2. Zero-shot: the same plus the second species (``impute/species2``, which never measured
   H3K27ac), scored on its hidden H3K27ac tracks (leave-one-out baseline).
3. Variant model: GM12878's DNase is absent from the panel. Fit over GM12878's loci windows
   +- ``--context`` bp, impute every absent track (``export_missing``), then train the default
   variant model (ssl_dnn, ssl, the paper split; same seed and split) on GM12878's features with
   the measured DNase (the demo's manifest), without DNase (the panel's manifest) and with the
   imputed DNase (the exported manifest); validation AUROC of each.

Usage: ``python benchmarks/bench_impute_demo.py --out /tmp/bench-impute [--seeds 0 1 2]
[--parts mse zero-shot auroc]``. One torch thread. Several minutes per seed and part on 1 CPU.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ncv_core.demo import ensure_demo  # noqa: E402
from ncv_core.demo.impute_panel import ensure_impute_panel  # noqa: E402
from ncv_core.features.build import build_features  # noqa: E402
from ncv_core.features.loci import read_loci  # noqa: E402
from ncv_core.impute.export import export_missing  # noqa: E402
from ncv_core.impute.regions import bed_regions, loci_regions  # noqa: E402
from ncv_core.impute.scoring import summarize_scores  # noqa: E402
from ncv_core.impute.sources import species_tracks  # noqa: E402
from ncv_core.impute.workflow import evaluate_tracks, fit_tracks  # noqa: E402
from ncv_core.io.manifest import read_manifest  # noqa: E402
from ncv_core.training import train  # noqa: E402


def _bed(path: Path) -> list:
    return bed_regions(path)


def _summary(rows: list[dict], prefix: str = "") -> dict:
    groups = {
        "all": rows,
        "mixtures": [r for r in rows if r["cell_line"].startswith("MIX")],
        "demo_lines": [r for r in rows if not r["cell_line"].startswith(("MIX", "S2_"))],
    }
    return {k: summarize_scores(v) for k, v in groups.items() if v}


def mse_part(panel, seed: int, epochs: int, normalize: str) -> dict:
    src = species_tracks("human", read_manifest(panel.tracks), _bed(panel.regions))
    t0 = time.perf_counter()
    run = fit_tracks([src], epochs=epochs, seed=seed, normalize=normalize, device="cpu")
    seconds = time.perf_counter() - t0
    rows = evaluate_tracks(run.fit, run.card, truth=panel.hidden, promoters=panel.promoters)
    return {"seconds": seconds, "history": run.card["history"], **_summary(rows), "rows": rows}


def zero_shot_part(panel, seed: int, epochs: int, normalize: str) -> dict:
    s2 = panel.species2
    sources = [
        species_tracks("human", read_manifest(panel.tracks), _bed(panel.regions)),
        species_tracks("species2", read_manifest(s2 / "tracks.tsv"), _bed(s2 / "regions.bed")),
    ]
    run = fit_tracks(sources, epochs=epochs, seed=seed, normalize=normalize, device="cpu")
    rows = evaluate_tracks(run.fit, run.card, truth=s2 / "hidden.tsv")
    return {"summary": summarize_scores(rows), "rows": rows}


def _auroc(demo, tracks: Path, seed: int, epochs: int) -> float:
    feats = build_features(demo.loci["GM12878"], demo.genome, tracks, "GM12878", use_cache=False)
    result = train(feats.table, meta=feats.meta, seed=seed, epochs=epochs, device="cpu")
    return float(result.card["metrics"]["val_auroc"])


def auroc_part(demo, panel, out: Path, args, seed: int) -> dict:
    loci = read_loci(demo.loci["GM12878"]).table
    regions = loci_regions(loci["chrom"].tolist(), loci["pos"].to_numpy(), context=args.context)
    src = species_tracks("human", read_manifest(panel.tracks), regions)
    t0 = time.perf_counter()
    run = fit_tracks([src], epochs=args.epochs, seed=seed, normalize=args.normalize, device="cpu")
    folder = out / f"imputed-seed{seed}"
    manifest = export_missing(run.fit, run.card, folder)
    fit_seconds = time.perf_counter() - t0
    return {
        "n_bins": run.inputs.tensor.n_bins,
        "fit_seconds": fit_seconds,
        "measured": _auroc(demo, demo.tracks, seed, args.train_epochs),
        "absent": _auroc(demo, panel.tracks, seed, args.train_epochs),
        "imputed": _auroc(demo, manifest, seed, args.train_epochs),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=5, help="Avocado epochs")
    p.add_argument("--train-epochs", type=int, default=30, help="variant-model epochs")
    p.add_argument("--context", type=int, default=100)
    p.add_argument("--normalize", default="median", choices=["none", "median"])
    p.add_argument("--parts", nargs="+", default=["mse", "zero-shot", "auroc"])
    args = p.parse_args()
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    demo = ensure_demo(args.out / "demo")
    panel = ensure_impute_panel(demo)
    results: dict = {"args": {k: str(v) for k, v in vars(args).items()}}
    for seed in args.seeds:
        if "mse" in args.parts:
            for norm in ("median", "none"):
                r = mse_part(panel, seed, args.epochs, norm)
                results[f"mse/{norm}/seed{seed}"] = r
                print(f"mse {norm} seed {seed}:", {k: r[k] for k in ("all", "mixtures", "demo_lines")},
                      f"{r['seconds']:.0f} s", flush=True)  # fmt: skip
        if "zero-shot" in args.parts:
            r = zero_shot_part(panel, seed, args.epochs, args.normalize)
            results[f"zero-shot/seed{seed}"] = r
            print(f"zero-shot seed {seed}:", r["summary"], flush=True)
        if "auroc" in args.parts:
            r = auroc_part(demo, panel, args.out, args, seed)
            results[f"auroc/seed{seed}"] = r
            print(f"auroc seed {seed}:", r, flush=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1, default=float))
    if "auroc" in args.parts:
        keys = ("measured", "absent", "imputed")
        vals = np.array([[results[f"auroc/seed{s}"][k] for k in keys] for s in args.seeds])
        m, se = (
            vals.mean(0),
            vals.std(0, ddof=1) / np.sqrt(len(vals)) if len(vals) > 1 else 0 * vals[0],
        )
        print(
            "val AUROC mean ± SE:",
            {k: f"{a:.3f} ± {b:.3f}" for k, a, b in zip(keys, m, se, strict=True)},
        )


if __name__ == "__main__":
    main()
