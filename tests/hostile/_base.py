"""The good data set the hostile corpus perturbs, and what a case is (see ``corpus.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ncv_core.io.bigwig import write_bigwig
from ncv_core.io.chain_files import chain_from_blocks, write_chain_file
from ncv_core.io.genome import write_fasta
from ncv_core.io.peaks import write_narrowpeak

N_GOOD = 40
"""Placeable rows of the good loci file (chr1 and chr2)."""
HEADER = ("chrom", "pos", "ref", "alt", "label")


@dataclass
class Base:
    """The good inputs every case perturbs."""

    root: Path
    genome: Path
    tracks: Path
    dnase: Path
    peaks: Path
    k27ac: Path
    seqs: dict[str, str]
    rows: list[tuple[str, int, str, str, int]]
    loci: Path
    features: Path | None = None
    model: Path | None = None
    seq_model: Path | None = None
    chain: Path | None = None

    def genome_args(self, tracks: Path | None = None, genome: Path | None = None) -> list[str]:
        """``--genome --tracks --cell-line`` of the good data (or the given files)."""
        return [
            "--genome",
            str(genome or self.genome),
            "--tracks",
            str(tracks or self.tracks),
            "--cell-line",
            "CL",
        ]


@dataclass
class Case:
    """One hostile input and what ``ncv`` must answer.

    ``kept`` counts the rows of ``out`` (a table) that must be there; ``rejected_lines`` the file
    lines the rejection report must list; ``unchanged`` files must keep their bytes.
    """

    argv: list[str]
    code: int
    messages: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    out: Path | None = None
    kept: int | None = None
    rejected_lines: tuple[int, ...] | None = None
    unchanged: dict[Path, bytes] = field(default_factory=dict)
    check: Callable[[], None] | None = None


def _random_seq(rng: np.random.Generator, n: int) -> str:
    return "".join(rng.choice(list("ACGT"), n))


def build_base(root: Path, *, model: bool = True) -> Base:
    """Write the good data set into ``root`` (a trained model too unless ``model=False``)."""
    rng = np.random.default_rng(16)
    seqs = {"chr1": _random_seq(rng, 3000), "chr2": _random_seq(rng, 1500)}
    seqs["chrM"] = _random_seq(rng, 400)
    root.mkdir(parents=True, exist_ok=True)
    genome = root / "genome.fa"
    write_fasta(genome, seqs.items(), index=True)
    sizes = {k: len(v) for k, v in seqs.items()}
    a = np.array
    dnase, k27ac, peaks = root / "dnase.bw", root / "k27ac.bw", root / "dnase.narrowPeak"
    write_bigwig(
        dnase,
        sizes,
        {
            "chr1": (a([0, 1000]), a([1000, 3000]), a([1.0, 4.0])),
            "chr2": (a([0]), a([1500]), a([2.0])),
        },
    )  # no chrM: the contig a case's loci are put on
    write_bigwig(
        k27ac, sizes, {c: (a([0]), a([sizes[c]]), a([0.5])) for c in ("chr1", "chr2", "chrM")}
    )
    write_narrowpeak(peaks, [("chr1", 1000, 1400, 5.0), ("chr2", 100, 300, 2.0)])
    tracks = root / "tracks.tsv"
    tracks.write_text(
        "cell_line\tmark\tsignal\tpeaks\n"
        f"CL\tDNase\t{dnase.name}\t{peaks.name}\n"
        f"CL\tH3K27ac\t{k27ac.name}\t\n"
    )
    rows = []
    for i in range(N_GOOD):
        chrom, pos = ("chr1", 100 + 67 * i) if i < 30 else ("chr2", 100 + 97 * (i - 30))
        ref = seqs[chrom][pos - 1]
        rows.append((chrom, pos, ref, "A" if ref != "A" else "C", i % 2))
    loci = root / "loci.csv"
    loci.write_text(delimited(rows, ","))
    base = Base(root, genome, tracks, dnase, peaks, k27ac, seqs, rows, loci)
    base.chain = root / "self.over.chain"
    write_chain_file(base.chain, [chain_from_blocks(c, len(s), c, len(s), "+", [0], [0], [len(s)],
                                                    chain_id=i + 1)
                                  for i, (c, s) in enumerate(seqs.items())])  # fmt: skip
    if model:
        _features_and_model(base)
    return base


def _features_and_model(base: Base) -> None:
    from ncv_core.features.build import build_features
    from ncv_core.io.model_folder import save_model
    from ncv_core.io.tables import write_table
    from ncv_core.training import train

    result = build_features(
        base.loci, base.genome, base.tracks, "CL", cache_dir=base.root / "cache"
    )
    base.features = base.root / "features.parquet"
    write_table(result.table, base.features, result.meta)
    trained = train(result.table, meta=result.meta, method="supervised", model="mlp", epochs=1)
    base.model = save_model(trained, base.root / "model")
    table = result.table.drop(columns=[*result.meta["feature_columns"]])  # sequence only
    trained = train(table, method="supervised", model="deepbind", epochs=1, batch_size=8)
    base.seq_model = save_model(trained, base.root / "deepbind")


def delimited(rows, sep: str, end: str = "\n", header: tuple[str, ...] = HEADER) -> str:
    lines = [sep.join(header)] + [sep.join(str(v) for v in r) for r in rows]
    return end.join(lines) + end


def features_argv(base: Base, loci: Path, out: Path, *extra: str) -> list[str]:
    return ["features", "--loci", str(loci), *base.genome_args(), "--out", str(out), *extra]


def registry(cases: dict[str, Callable[[Base, Path], Case]]) -> Callable:
    """A decorator registering case builders into ``cases`` under a name ``<class>/<case>``."""

    def case(name: str) -> Callable:
        def register(fn: Callable[[Base, Path], Case]) -> Callable[[Base, Path], Case]:
            cases[name] = fn
            return fn

        return register

    return case
