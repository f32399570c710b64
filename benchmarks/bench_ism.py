"""Benchmark of in-silico saturation mutagenesis: sequences/s and the fraction of the FLOP ceiling.

Measures, in one run on this machine:

- the model's FLOPs per forward of one sequence (``torch.utils.flop_counter``: 2 x multiply-adds
  of every convolution and matrix product; element-wise work is not counted);
- the machine's float32 ``torch.matmul`` GFLOP/s on 2,048 x 2,048 matrices (best of several short
  trials, taken between the timed rounds);
- ISM through :func:`ncv_core.interpret.ism.saturation_mutagenesis` (batches spanning sequences;
  fastISM-style partial recomputation where the model allows it), the same with full forwards
  (``partial=False``, reported as ``full``) and a naive baseline (one forward of the 451 rows of
  each sequence: the reference and its 450 mutants), alternated in rounds so all see the same
  load on a shared machine;
- sequences/s and rows/s of each, the fraction of the matmul ceiling reached
  (rows/s x FLOPs per row / ceiling; for partial recomputation this is the *effective* fraction:
  the FLOPs of a full forward per mutant, of which it computes only part) and the ratios
  ISM / naive and ISM / full. On a shared machine the load
  changes during the run, so each round's fraction is also taken against the ceiling measured
  right after it (``*_fraction_per_round_*``); the CPU seconds of the process are reported too.

The model is a standalone Basset-like CNN (3 conv layers with batch norm, ReLU and max-pool, 2
fully connected layers) unless ``--model-factory module:function`` names a callable returning a
contract model (a registry model, once the models land) for windows of ``--length`` bp.

    python benchmarks/bench_ism.py                       # 1,000 sequences of 150 bp
    python benchmarks/bench_ism.py --sweep               # also rows/s per batch size
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ncv_core.interpret._partial import PartialISM  # noqa: E402
from ncv_core.interpret.ism import (  # noqa: E402
    DEFAULT_BATCH_SIZE,
    model_logit_fn,
    saturation_mutagenesis,
)


class BassetLike(nn.Module):
    """Basset-like CNN for short windows, following the model contract (sigmoid head)."""

    head, uses_seq, uses_tab, n_tab = "sigmoid", True, False, 0

    def __init__(self, seq_len: int = 150, n_tasks: int = 3, width: int = 128) -> None:
        super().__init__()
        self.seq_len, self.n_tasks = seq_len, n_tasks
        self.filter_conv = nn.Conv1d(4, width, 19, padding=9)
        self.bn1, self.filter_act, self.pool1 = nn.BatchNorm1d(width), nn.ReLU(), nn.MaxPool1d(3)
        self.conv2 = nn.Conv1d(width, width, 11, padding=5)
        self.bn2, self.act2, self.pool2 = nn.BatchNorm1d(width), nn.ReLU(), nn.MaxPool1d(4)
        self.conv3 = nn.Conv1d(width, width, 7, padding=3)
        self.bn3, self.act3, self.pool3 = nn.BatchNorm1d(width), nn.ReLU(), nn.MaxPool1d(4)
        n_flat = width * (seq_len // 3 // 4 // 4)
        self.fc1, self.act4, self.drop = nn.Linear(n_flat, 256), nn.ReLU(), nn.Dropout(0.3)
        self.fc2 = nn.Linear(256, n_tasks)

    def forward(self, x_seq: torch.Tensor, x_tab: torch.Tensor | None = None) -> torch.Tensor:
        h = self.pool1(self.filter_act(self.bn1(self.filter_conv(x_seq))))
        h = self.pool2(self.act2(self.bn2(self.conv2(h))))
        h = self.pool3(self.act3(self.bn3(self.conv3(h))))
        return self.fc2(self.drop(self.act4(self.fc1(h.flatten(1)))))


def build_model(factory: str | None, length: int) -> nn.Module:
    """The standalone model, or ``module:function`` called with ``seq_len=length``."""
    if factory is None:
        torch.manual_seed(0)
        return BassetLike(seq_len=length).eval()
    module, func = factory.split(":")
    return getattr(importlib.import_module(module), func)(seq_len=length).eval()


def flops_per_row(model: nn.Module, length: int) -> int:
    """FLOPs of one forward of one sequence (2 x multiply-adds of conv and matmul ops)."""
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(torch.zeros(1, 4, length), None)
    return int(counter.get_total_flops())


def matmul_gflops(n: int = 2048, trials: int = 5) -> float:
    """Best float32 ``torch.matmul`` GFLOP/s over ``trials`` short trials."""
    a, b, c = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
    torch.matmul(a, b, out=c)
    best = 0.0
    for _ in range(trials):
        start = time.perf_counter()
        for _ in range(3):
            torch.matmul(a, b, out=c)
        best = max(best, 3 * 2 * n**3 / (time.perf_counter() - start) / 1e9)
    return best


def naive_ism(model: nn.Module, x: torch.Tensor) -> None:
    """Baseline: per sequence, one forward of its 451 rows (reference + every mutant)."""
    f = model_logit_fn(model, device="cpu")
    length = x.shape[2]
    for n in range(x.shape[0]):
        ref = x[n].argmax(0)
        pos = torch.arange(length).repeat_interleave(3)
        alt = (ref[pos] + torch.arange(1, 4).repeat(length)) % 4
        batch = x[n].repeat(1 + 3 * length, 1, 1)
        rows = torch.arange(1, 1 + 3 * length)
        batch[rows, :, pos] = 0.0
        batch[rows, alt, pos] = 1.0
        f(batch).numpy()


def random_sequences(n: int, length: int, seed: int = 0) -> torch.Tensor:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, 4, size=(n, length))
    return torch.from_numpy(np.eye(4, dtype=np.float32)[idx].transpose(0, 2, 1).copy())


def sweep_ism(model: nn.Module, length: int, sizes: list[int], n: int = 8) -> dict[int, float]:
    """Best mutant rows/s of :func:`saturation_mutagenesis` per batch size (3 interleaved trials
    of ``n`` sequences each)."""
    best = dict.fromkeys(sizes, 0.0)
    x = random_sequences(n, length, 2)
    for _ in range(3):
        for size in sizes:
            start = time.perf_counter()
            saturation_mutagenesis(model, x, batch_size=size, device="cpu")
            best[size] = max(best[size], n * 3 * length / (time.perf_counter() - start))
    return best


def sweep(model: nn.Module, length: int, sizes: list[int], rows: int = 4096) -> dict[int, float]:
    """Best rows/s of full forwards per batch size over 3 interleaved trials of ``rows`` rows."""
    best = dict.fromkeys(sizes, 0.0)
    f = model_logit_fn(model, device="cpu")
    for _ in range(3):
        for size in sizes:
            x = random_sequences(size, length)
            f(x)
            start = time.perf_counter()
            for _ in range(max(1, rows // size)):
                f(x)
            best[size] = max(
                best[size], max(1, rows // size) * size / (time.perf_counter() - start)
            )
    return best


def timed_rounds(
    model: nn.Module, x: torch.Tensor, rounds: int, batch_size: int, full_batch_size: int
) -> list[dict]:
    """Alternate ISM, full-forward ISM, naive and a matmul ceiling over ``rounds`` chunks."""
    out = []
    for chunk in np.array_split(np.arange(x.shape[0]), rounds):
        xs, row = x[chunk], {"sequences": len(chunk)}
        for name, run in (
            (
                "ism",
                lambda xs=xs: saturation_mutagenesis(
                    model, xs, batch_size=batch_size, device="cpu"
                ),
            ),
            (
                "full",
                lambda xs=xs: saturation_mutagenesis(
                    model, xs, partial=False, batch_size=full_batch_size, device="cpu"
                ),
            ),
            ("naive", lambda xs=xs: naive_ism(model, xs)),
        ):
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            row[name], row[f"{name}_cpu"] = (
                time.perf_counter() - start,
                time.process_time() - start_cpu,
            )
        row["ceiling"] = matmul_gflops()
        out.append(row)
    return out


def summarise(rounds: list[dict], flops: int, rows_per_seq: int, first_ceiling: float) -> dict:
    """Totals over all rounds, and per-round fractions of the ceiling measured beside each."""
    ceilings = [first_ceiling] + [r["ceiling"] for r in rounds]
    n = sum(r["sequences"] for r in rounds)
    report = {
        "matmul_gflops_best": round(max(ceilings), 1),
        "matmul_gflops_median": round(statistics.median(ceilings), 1),
    }
    for name in ("ism", "full", "naive"):
        seconds = sum(r[name] for r in rounds)
        rows_s = n * rows_per_seq / seconds
        per_round = [
            r["sequences"] * rows_per_seq * flops / r[name] / 1e9 / r["ceiling"] for r in rounds
        ]
        report |= {
            f"{name}_seconds": round(seconds, 2),
            f"{name}_cpu_seconds": round(sum(r[f"{name}_cpu"] for r in rounds), 2),
            f"{name}_sequences_per_s": round(n / seconds, 2),
            f"{name}_rows_per_s": round(rows_s, 1),
            f"{name}_fraction_of_best_ceiling": round(rows_s * flops / 1e9 / max(ceilings), 3),
            f"{name}_fraction_per_round_median": round(statistics.median(per_round), 3),
            f"{name}_fraction_per_round_best": round(max(per_round), 3),
        }
    for other in ("naive", "full"):
        report[f"ism_over_{other}"] = round(report[f"{other}_seconds"] / report["ism_seconds"], 2)
        report[f"ism_over_{other}_per_round_median"] = round(
            statistics.median(r[other] / r["ism"] for r in rounds), 2
        )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="sequences (default 1000)")
    parser.add_argument("--length", type=int, default=150, help="window length (default 150)")
    parser.add_argument("--rounds", type=int, default=10, help="alternating ISM/naive rounds")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument(
        "--full-batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help="batch size of the full-forward ISM (partial=False)",
    )
    parser.add_argument("--model-factory", default=None, help="module:function -> contract model")
    parser.add_argument("--sweep", action="store_true", help="also rows/s per batch size")
    args = parser.parse_args()

    load_start = os.getloadavg()[0]
    model = build_model(args.model_factory, args.length)
    flops = flops_per_row(model, args.length)
    rows_per_seq = 1 + 3 * args.length
    first_ceiling = matmul_gflops()
    rounds = timed_rounds(
        model,
        random_sequences(args.n, args.length, 1),
        args.rounds,
        args.batch_size,
        args.full_batch_size,
    )
    report = {
        "model": args.model_factory or "BassetLike(width=128, n_tasks=3)",
        "sequences": args.n,
        "length": args.length,
        "rows_per_sequence": rows_per_seq,
        "batch_size": args.batch_size,
        "full_batch_size": args.full_batch_size,
        "partial_recomputation": PartialISM.build(model) is not None,
        "torch_threads": torch.get_num_threads(),
        "load_average_1min_start": load_start,
        "load_average_1min_end": os.getloadavg()[0],
        "flops_per_forward": flops,
    }
    report |= summarise(rounds, flops, rows_per_seq, first_ceiling)
    if args.sweep:
        sizes = [64, 128, 256, 451, 512, 1024, 2048, 4096]
        report["rows_per_s_by_batch_size"] = {
            k: round(v, 1) for k, v in sweep(model, args.length, sizes).items()
        }
        report["ism_rows_per_s_by_batch_size"] = {
            k: round(v, 1) for k, v in sweep_ism(model, args.length, sizes).items()
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
