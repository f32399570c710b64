"""ncv ssl / supervised against scikit-learn references, many seeds, the same rows for every method.

Tasks (each seed draws the split with ``ncv train``'s own paper split, and every method sees
exactly its labelled / unlabelled / validation rows):

- ``demo-{GM12878,HepG2,K562}``: the demo's feature tables (43 tabular columns), the paper's
  protocol (balanced labelled set of 40 % of the minority class per class, validation 20 %).
- ``demo60-*``: the same tables with 60 labelled rows.
- ``synth-{c1,c3,wide}``: scikit-learn ``make_classification`` (1 / 3 clusters per class; 8 / 8 /
  20 columns), every column exp-transformed (log-normal tails like -log10 p-value signal), ~9 %
  positives, 3,280 rows, 240 labelled, 120 validation, the rest unlabelled.
- ``jurkat``: the real Jurkat MPRA dev table (1,204 variants, 90 positives; shared data), the
  200-bp reference window at the variant, sequence models (``deepbind``, Adam 0.001); the
  references read log1p 4-mer counts of the same window.

Methods: ``ncv:ssl`` and ``ncv:supervised`` (``ncv_core.training.train``, default preset; ``mlp``
on the tabular tasks), ``ncv:ssl-paper`` / ``ncv:supervised-paper`` (``--preset paper``, tabular
tasks), ``ncv:ssl-robust-all`` / ``ncv:supervised-robust-all`` (``--preset robust-all``,
Jurkat: the robust recipe for the sequence network), ``ref:lr`` (LogisticRegression on signed-log1p, standardised features, labelled rows),
``ref:self-training`` (SelfTrainingClassifier(LR, threshold 0.95) on labelled + unlabelled rows),
``ref:hgb`` (HistGradientBoostingClassifier on the raw labelled rows).

Prints per task: validation AUROC mean ± SE over seeds and the seed SD per method, the paired
``ncv:ssl - ncv:supervised`` difference (mean ± SE, seeds won) and ``ncv:ssl - best reference``.

Usage::

    OMP_NUM_THREADS=1 python benchmarks/bench_ssl_reference.py [--seeds 10] [--quick]
        [--tasks demo-GM12878 synth-wide ...] [--out results.jsonl]

``--quick``: 3 seeds, one task of each kind. Goal (issue 14): on every tabular task ncv ssl >= the
best reference - 0.005, ncv ssl > ncv supervised on most, seed SD <= the LR's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ncv_core.errors import NcvWarning  # noqa: E402
from ncv_core.metrics import binary_metrics  # noqa: E402
from ncv_core.training import train  # noqa: E402

JURKAT = Path(__file__).resolve().parents[2] / "shared/data/real/mpra/jurkat_mpra_dev.tsv"
CELLS = ("GM12878", "HepG2", "K562")
SYNTH = {  # n_features, n_informative, n_redundant, clusters per class, class_sep, random state
    "synth-c1": (8, 5, 1, 1, 0.2, 12),
    "synth-c3": (8, 5, 1, 3, 0.8, 11),
    "synth-wide": (20, 6, 2, 2, 1.3, 13),
}
TASKS = (
    *[f"demo-{c}" for c in CELLS],
    *[f"demo60-{c}" for c in CELLS],
    *SYNTH,
    "jurkat",
)
QUICK_TASKS = ("demo-GM12878", "demo60-K562", "synth-wide", "jurkat")
NCV = ("ncv:ssl", "ncv:supervised")
PAPER = ("ncv:ssl-paper", "ncv:supervised-paper")
REFS = ("ref:lr", "ref:self-training", "ref:hgb")
SEQ_OPTS = {"model": "deepbind", "optimizer": "adam", "lr": 1e-3}


def demo_table(cell: str) -> tuple[pd.DataFrame, dict]:
    """A demo cell line's feature table without ``seq`` (tabular models), cached."""
    from ncv_core.demo import ensure_demo
    from ncv_core.features.build import build_features

    demo = ensure_demo()
    res = build_features(demo.loci[cell], demo.genome, demo.tracks, cell)
    return res.table.drop(columns=["seq"]), res.meta


def synth_table(name: str) -> tuple[pd.DataFrame, dict]:
    """A fixed heavy-tailed make_classification table (the seed draws only the split)."""
    from sklearn.datasets import make_classification

    n_feat, n_inf, n_red, clusters, sep, state = SYNTH[name]
    x, y = make_classification(
        n_samples=3280,
        n_features=n_feat,
        n_informative=n_inf,
        n_redundant=n_red,
        n_clusters_per_class=clusters,
        weights=[0.91],
        class_sep=sep,
        flip_y=0.02,
        random_state=state,
    )
    x = np.exp(x * np.random.default_rng(state).uniform(0.8, 1.4, size=n_feat))
    table = pd.DataFrame(x, columns=[f"f{j}" for j in range(n_feat)])
    table["label"] = pd.array(y, dtype="Int8")
    return table, {}


def jurkat_table() -> tuple[pd.DataFrame, dict]:
    """The Jurkat dev table with the 200-bp window centred on the variant as ``seq``."""
    from ncv_core.io.tables import read_table

    table, _ = read_table(JURKAT)
    table = table.copy()
    table["seq"] = table["seq"].astype(str).str.slice(400, 600)
    return table[["id", "chrom", "pos", "label", "seq"]], {"window": 200}


def kmer_features(seqs: list[str], k: int = 4) -> np.ndarray:
    """``(N, 4**k)`` k-mer counts of each sequence (k-mers with N skipped)."""
    index = {"A": 0, "C": 1, "G": 2, "T": 3}
    out = np.zeros((len(seqs), 4**k))
    for i, s in enumerate(seqs):
        codes = [index.get(b, -1) for b in s.upper()]
        for j in range(len(codes) - k + 1):
            win = codes[j : j + k]
            if min(win) >= 0:
                out[i, int(np.dot(win, 4 ** np.arange(k)[::-1]))] += 1
    return out


def references(x: np.ndarray, y: np.ndarray, part: np.ndarray, seed: int) -> dict[str, float]:
    """Validation AUROC of the scikit-learn references on rows ``part`` of ``x`` ``(N, F)``."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.semi_supervised import SelfTrainingClassifier

    lab, unl, val = (np.flatnonzero(part == p) for p in ("labelled", "unlabelled", "validation"))
    t = np.nan_to_num(np.sign(x) * np.log1p(np.abs(x)))
    fit_rows = np.concatenate([lab, unl])
    mu, sd = t[fit_rows].mean(0), t[fit_rows].std(0)
    z = (t - mu) / np.where(sd > 0, sd, 1.0)
    out = {}
    lr = LogisticRegression(max_iter=5000).fit(z[lab], y[lab])
    out["ref:lr"] = lr.predict_proba(z[val])[:, 1]
    y_st = np.where(part[fit_rows] == "labelled", y[fit_rows], -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        st = SelfTrainingClassifier(LogisticRegression(max_iter=5000), threshold=0.95)
        out["ref:self-training"] = st.fit(z[fit_rows], y_st).predict_proba(z[val])[:, 1]
    hgb = HistGradientBoostingClassifier(random_state=seed).fit(x[lab], y[lab])
    out["ref:hgb"] = hgb.predict_proba(x[val])[:, 1]
    return {k: float(binary_metrics(y[val], v)["auroc"]) for k, v in out.items()}


def run_task(name: str, table: pd.DataFrame, meta: dict, seed: int) -> list[dict]:
    """Every method on one task and seed: rows ``{task, seed, method, auroc, seconds}``."""
    opts: dict = {"seed": seed}
    if name.startswith("demo60"):
        opts["n_labelled"] = 60
    elif name.startswith("synth"):
        opts.update(n_labelled=240, n_val=120)
    seq_task = name == "jurkat"
    opts.update(SEQ_OPTS if seq_task else {"model": "mlp"})
    methods = {
        "ncv:supervised": {"method": "supervised"},
        "ncv:ssl": {"method": "ssl"},
    }
    if seq_task:  # the robust recipe is not the default for sequence networks: measure it
        methods.update(
            {
                "ncv:supervised-robust-all": {"method": "supervised", "preset": "robust-all"},
                "ncv:ssl-robust-all": {"method": "ssl", "preset": "robust-all"},
            }
        )
    else:
        methods.update(
            {
                "ncv:supervised-paper": {"method": "supervised", "preset": "paper"},
                "ncv:ssl-paper": {"method": "ssl", "preset": "paper"},
            }
        )
    rows, part = [], None
    for method, kw in methods.items():
        t0 = time.perf_counter()
        res = train(table, meta=meta, **opts, **kw)
        p = res.split["part"].to_numpy()
        if part is None:
            part = p
        assert (p == part).all(), f"{name} seed {seed}: {method} saw other rows"
        rows.append(_row(name, seed, method, res.metrics["val_auroc"], t0))
    y = pd.to_numeric(table["label"], errors="coerce").fillna(-1).to_numpy().astype(int)
    if seq_task:
        x = kmer_features(table["seq"].tolist())
    else:
        x = table[list(res.scaler.columns)].to_numpy(dtype=np.float64)
    t0 = time.perf_counter()
    for method, auroc in references(x, y, part, seed).items():
        rows.append(_row(name, seed, method, auroc, t0))
    return rows


def _row(task: str, seed: int, method: str, auroc: float, t0: float) -> dict:
    return {
        "task": task,
        "seed": seed,
        "method": method,
        "auroc": auroc,
        "seconds": round(time.perf_counter() - t0, 2),
    }


def summarize(df: pd.DataFrame) -> str:
    """The markdown tables: per task x method mean ± SE (SD), paired differences."""
    lines = ["| task | method | val AUROC mean ± SE | seed SD | s/run |", "|---|---|---|---|---|"]
    for task, sub in df.groupby("task", sort=False):
        for method, m in sub.groupby("method", sort=False):
            a = m["auroc"].to_numpy()
            se = a.std(ddof=1) / np.sqrt(len(a)) if len(a) > 1 else float("nan")
            sd = a.std(ddof=1) if len(a) > 1 else float("nan")
            lines.append(
                f"| {task} | {method} | {a.mean():.3f} ± {se:.3f} | {sd:.3f} | "
                f"{m['seconds'].mean():.1f} |"
            )
    lines += [
        "",
        "| task | seeds | ssl - supervised (paired) | ssl wins | ssl - best ref | best ref | "
        "SD ssl / SD lr |",
        "|---|---|---|---|---|---|---|",
    ]
    for task, sub in df.groupby("task", sort=False):
        wide = sub.pivot(index="seed", columns="method", values="auroc")
        d = wide["ncv:ssl"] - wide["ncv:supervised"]
        refs = [r for r in REFS if r in wide]
        best = max(refs, key=lambda r: wide[r].mean())
        gap = wide["ncv:ssl"].mean() - wide[best].mean()
        se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
        ratio = wide["ncv:ssl"].std(ddof=1) / wide["ref:lr"].std(ddof=1)
        lines.append(
            f"| {task} | {len(d)} | {d.mean():+.4f} ± {se:.4f} | {int((d > 0).sum())}/{len(d)} | "
            f"{gap:+.4f} | {best} | {ratio:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 (default 10)")
    ap.add_argument("--quick", action="store_true", help="3 seeds, one task of each kind")
    ap.add_argument("--tasks", nargs="+", choices=TASKS, default=None)
    ap.add_argument("--out", default=None, help="also write every run as JSON lines here")
    ap.add_argument("--summarize", default=None, help="only print the tables of a --out file")
    args = ap.parse_args()
    if args.summarize:
        print(summarize(pd.read_json(args.summarize, lines=True)))
        return
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    warnings.simplefilter("ignore", NcvWarning)
    tasks = args.tasks or (QUICK_TASKS if args.quick else TASKS)
    seeds = range(3 if args.quick and args.seeds == 10 else args.seeds)
    if "jurkat" in tasks and not JURKAT.exists():
        print(f"skipping jurkat: {JURKAT} not found", file=sys.stderr)
        tasks = tuple(t for t in tasks if t != "jurkat")
    rows: list[dict] = []
    out = open(args.out, "a") if args.out else None  # noqa: SIM115 (appended run by run)
    t0 = time.perf_counter()
    for task in tasks:
        table, meta = _load(task)
        for seed in seeds:
            got = run_task(task, table, meta, seed)
            rows += got
            if out:
                out.writelines(json.dumps(r) + "\n" for r in got)
                out.flush()
            brief = " ".join(f"{r['method'].split(':')[1]} {r['auroc']:.3f}" for r in got)
            print(f"{task} seed {seed}: {brief} ({time.perf_counter() - t0:.0f} s)", flush=True)
    print(summarize(pd.DataFrame(rows)))


def _load(task: str) -> tuple[pd.DataFrame, dict]:
    if task == "jurkat":
        return jurkat_table()
    if task in SYNTH:
        return synth_table(task)
    return demo_table(task.split("-", 1)[1])


if __name__ == "__main__":
    main()
