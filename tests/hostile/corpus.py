"""A corpus of hostile inputs for ``ncv``, written by code (no binary fixtures in the repository).

:func:`build_base` writes a small good data set (a genome, two bigWigs, peaks, a manifest, a loci
file of :data:`N_GOOD` placeable rows, its feature table and a trained model); each function in
:data:`CASES` then writes one hostile variant of it into a folder of its own and returns a
:class:`Case`: the ``ncv`` arguments, the exit status expected, the fragments the message must
hold (file, line, reason) and how many good rows must survive. One case per class of bug, named
``<class>/<case>``.

Run as a script to write every case into a folder and list its command line::

    python tests/hostile/corpus.py /tmp/hostile
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ncv_core.io.bigwig import write_bigwig
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
    loci.write_text(_delimited(rows, ","))
    base = Base(root, genome, tracks, dnase, peaks, k27ac, seqs, rows, loci)
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


def _delimited(rows, sep: str, end: str = "\n", header: tuple[str, ...] = HEADER) -> str:
    lines = [sep.join(header)] + [sep.join(str(v) for v in r) for r in rows]
    return end.join(lines) + end


def _features(base: Base, loci: Path, out: Path, *extra: str) -> list[str]:
    return ["features", "--loci", str(loci), *base.genome_args(), "--out", str(out), *extra]


CASES: dict[str, Callable[[Base, Path], Case]] = {}


def case(name: str) -> Callable:
    """Register a case builder under ``name`` (``<class>/<case>``)."""

    def register(fn: Callable[[Base, Path], Case]) -> Callable[[Base, Path], Case]:
        CASES[name] = fn
        return fn

    return register


# -- 1. line ends: LF, CRLF and the lone CR of old Mac files, with line numbers kept ------------


@case("line_ends/cr_only_csv")
def _cr_only_csv(base: Base, d: Path) -> Case:
    rows = [*base.rows[:4], ("chrZ", 100, "A", "C", 1), *base.rows[4:]]
    loci = d / "mac.csv"
    loci.write_bytes(_delimited(rows, ",", "\r").encode())
    out = d / "out.tsv"
    return Case(_features(base, loci, out, "--no-cache"), 0, out=out, kept=N_GOOD,
                rejected_lines=(6,))  # fmt: skip


@case("line_ends/mixed_tsv_gz")
def _mixed_tsv_gz(base: Base, d: Path) -> Case:
    rows = [*base.rows[:7], ("chr1", "x", "A", "C", 1), *base.rows[7:]]
    ends = ("\n", "\r\n", "\r")
    text = "\t".join(HEADER) + "\r\n"
    text += "".join("\t".join(map(str, r)) + ends[i % 3] for i, r in enumerate(rows))
    loci = d / "mixed.tsv.gz"
    loci.write_bytes(gzip.compress(text.encode(), mtime=0))
    out = d / "out.parquet"
    return Case(_features(base, loci, out), 0, out=out, kept=N_GOOD, rejected_lines=(9,))


@case("line_ends/cr_only_manifest_and_peaks")
def _cr_only_manifest(base: Base, d: Path) -> Case:
    peaks = d / "peaks.bed"
    peaks.write_bytes(b"chr1\t1000\t1400\r#comment\rchr2\t100\t300\r")
    tracks = d / "tracks.tsv"
    tracks.write_bytes(
        f"cell_line\tmark\tsignal\tpeaks\rCL\tDNase\t{base.dnase}\t{peaks}\r".encode()
    )
    out = d / "out.tsv"
    argv = ["features", "--loci", str(base.loci), *base.genome_args(tracks), "--out", str(out)]
    return Case(argv, 0, out=out, kept=N_GOOD)


@case("line_ends/cr_only_vcf_annotated")
def _cr_only_vcf(base: Base, d: Path) -> Case:
    lines = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"{c}\t{p}\tv{i}\t{r}\t{a}\t.\t.\t." for i, (c, p, r, a, _) in enumerate(base.rows)]
    vcf = d / "mac.vcf"
    vcf.write_bytes(("\r".join(lines) + "\r").encode())
    out = d / "scored.vcf"
    argv = ["score", "--model", str(base.model), "--loci", str(vcf), *base.genome_args()]

    def check() -> None:
        records = [ln for ln in out.read_text().split("\n") if ln and not ln.startswith("#")]
        assert len(records) == N_GOOD and all("NCV_P_REF=" in ln for ln in records)
        assert "\r" not in out.read_text()

    return Case([*argv, "--out", str(out)], 0, check=check)


# -- 2. a stale .fai: the same genome wrapped at another width, its old index kept -----------


@case("stale_index/other_line_width")
def _stale_fai(base: Base, d: Path) -> Case:
    genome = d / "genome.fa"
    write_fasta(genome, base.seqs.items(), line_width=60, index=True)
    old = Path(str(genome) + ".fai").read_bytes()
    write_fasta(genome, base.seqs.items(), line_width=50)
    Path(str(genome) + ".fai").write_bytes(old)  # newer than the FASTA: looks fresh
    out = d / "out.parquet"
    argv = ["features", "--loci", str(base.loci), *base.genome_args(genome=genome)]

    def check() -> None:
        from ncv_core.io.tables import read_table

        table, _ = read_table(out)
        truth = [
            base.seqs[c][p - 76 : p + 74] for c, p in zip(table["chrom"], table["pos"], strict=True)
        ]
        assert table["seq"].tolist() == truth  # the right bases, not the old index's

    return Case([*argv, "--out", str(out), "--no-cache"], 0,
                messages=(f"{genome}.fai does not match", "its lines are not 60 bases long"),
                out=out, kept=N_GOOD, check=check)  # fmt: skip


# -- 3. a binary (or other) file where a text input belongs --------------------------------------


@case("binary_input/bigwig_as_manifest")
def _bigwig_as_manifest(base: Base, d: Path) -> Case:
    out = d / "o.tsv"
    argv = ["features", "--loci", str(base.loci), *base.genome_args(base.dnase), "--out", str(out)]
    return Case(argv, 2, messages=(f"{base.dnase}: is a binary file (a bigWig file), not a "
                                   "tracks manifest", "cell_line, mark, signal"))  # fmt: skip


@case("binary_input/bigwig_as_loci")
def _bigwig_as_loci(base: Base, d: Path) -> Case:
    loci = d / "loci.vcf"
    loci.write_bytes(base.dnase.read_bytes())
    return Case(_features(base, loci, d / "o.tsv"), 2,
                messages=(f"{loci}: is a binary file (a bigWig file), not a loci file",))  # fmt: skip


@case("binary_input/bigwig_as_genome")
def _bigwig_as_genome(base: Base, d: Path) -> Case:
    argv = ["features", "--loci", str(base.loci), *base.genome_args(genome=base.dnase)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2,
                messages=(f"{base.dnase}: is a binary file (a bigWig file), not a FASTA",))  # fmt: skip


@case("binary_input/parquet_named_tsv")
def _parquet_named_tsv(base: Base, d: Path) -> Case:
    table = d / "features.tsv"
    table.write_bytes(base.features.read_bytes())
    argv = ["evaluate", "--model", str(base.model), "--features", str(table)]
    return Case([*argv, "--out", str(d / "m.json")], 2,
                messages=(f"{table}: is a binary file (a Parquet table), not a TSV table",))  # fmt: skip


@case("binary_input/text_named_parquet")
def _text_named_parquet(base: Base, d: Path) -> Case:
    table = d / "features.parquet"
    table.write_text("chrom\tpos\nchr1\t5\n")
    argv = ["train", "--features", str(table), "--out", str(d / "m")]
    return Case(argv, 2, messages=(f"{table}: is not a Parquet file",))


@case("binary_input/utf16_loci")
def _utf16_loci(base: Base, d: Path) -> Case:
    loci = d / "excel.csv"
    loci.write_bytes(_delimited(base.rows, ",").encode("utf-16"))
    return Case(_features(base, loci, d / "o.tsv"), 2,
                messages=(f"{loci}: is UTF-16 text, not UTF-8; save it as UTF-8",))  # fmt: skip


@case("binary_input/text_as_bigwig")
def _text_as_bigwig(base: Base, d: Path) -> Case:
    tracks = d / "tracks.tsv"
    tracks.write_text(f"cell_line\tmark\tsignal\nCL\tDNase\t{base.genome}\n")
    argv = ["features", "--loci", str(base.loci), *base.genome_args(tracks)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2,
                messages=(f"{base.genome}: is not a readable bigWig file: it is text",))  # fmt: skip


@case("binary_input/bigwig_as_peaks")
def _bigwig_as_peaks(base: Base, d: Path) -> Case:
    tracks = d / "tracks.tsv"
    tracks.write_text(f"cell_line\tmark\tsignal\tpeaks\nCL\tDNase\t{base.dnase}\t{base.dnase}\n")
    argv = ["features", "--loci", str(base.loci), *base.genome_args(tracks)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2,
                messages=(f"{base.dnase}: is a binary file (a bigWig file), not a peaks file",))  # fmt: skip


@case("binary_input/loci_as_manifest")
def _loci_as_manifest(base: Base, d: Path) -> Case:
    argv = ["features", "--loci", str(base.loci), *base.genome_args(base.loci)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2,
                messages=(f"{base.loci}, line 1: the header lacks cell_line, mark, signal",
                          "it looks comma-separated"))  # fmt: skip


# -- 4. outputs: checked (writable, no input replaced) before any work --------------------------


@case("outputs/out_equals_loci")
def _out_equals_loci(base: Base, d: Path) -> Case:
    loci = d / "loci.csv"
    loci.write_bytes(base.loci.read_bytes())
    return Case(_features(base, loci, loci), 2, messages=(f"{loci}: the output would replace the "
                "input",), unchanged={loci: loci.read_bytes()})  # fmt: skip


@case("outputs/score_out_equals_loci")
def _score_out_is_input(base: Base, d: Path) -> Case:
    loci = d / "loci.tsv"
    loci.write_text(_delimited(base.rows, "\t"))
    argv = ["score", "--model", str(base.model), "--loci", str(loci), *base.genome_args()]
    return Case([*argv, "--out", str(loci)], 2, messages=("would replace the input",),
                unchanged={loci: loci.read_bytes()})  # fmt: skip


@case("outputs/evaluate_out_equals_features")
def _evaluate_out_is_features(base: Base, d: Path) -> Case:
    argv = ["evaluate", "--model", str(base.model), "--features", str(base.features)]
    return Case([*argv, "--out", str(base.features)], 2, messages=("would replace the input",),
                unchanged={base.features: base.features.read_bytes()})  # fmt: skip


@case("outputs/train_out_holds_the_table")
def _train_out_holds_input(base: Base, d: Path) -> Case:
    folder = d / "models" / "gm"
    folder.mkdir(parents=True)
    (folder / "card.json").write_text("{}")
    table = folder / "features.parquet"
    table.write_bytes(base.features.read_bytes())
    return Case(["train", "--features", str(table), "--out", str(folder)], 2,
                messages=(f"{folder}: the output would replace the folder of the input",),
                unchanged={table: table.read_bytes()})  # fmt: skip


@case("outputs/train_out_not_a_model_folder")
def _train_out_other_folder(base: Base, d: Path) -> Case:
    folder = d / "results"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    argv = ["train", "--features", str(base.features), "--out", str(folder), "--epochs", "500"]
    return Case(argv, 2, messages=(f"{folder}: refusing to replace: not a model folder",),
                absent=("trained",))  # fmt: skip


@case("outputs/out_is_a_folder")
def _out_is_folder(base: Base, d: Path) -> Case:
    (d / "out.tsv").mkdir()
    return Case(_features(base, base.loci, d / "out.tsv"), 2,
                messages=(f"{d / 'out.tsv'}: is a folder; expected the name of a file",))  # fmt: skip


@case("outputs/ism_npy_is_the_table")
def _ism_two_outputs(base: Base, d: Path) -> Case:
    out = d / "ism.tsv"
    argv = ["ism", "--model", str(base.model), "--features", str(base.features), "--id", "x"]
    return Case([*argv, "--out", str(out), "--npy", str(out)], 2,
                messages=(f"{out}: is named for two outputs",))  # fmt: skip


# -- 6. empty trailing fields (awk, R) are not columns -----------------------------------------


@case("trailing_fields/every_row_ends_in_a_tab")
def _trailing_tab(base: Base, d: Path) -> Case:
    text = "\t".join(HEADER) + "\n"
    text += "".join("\t".join(map(str, r)) + "\t\n" for r in base.rows[:20])
    text += "chr1\t150\tA\tC\t1\tsurplus\n"  # a non-empty extra field is a long row: line 22
    text += "".join("\t".join(map(str, r)) + "\t \t\n" for r in base.rows[20:])
    loci = d / "awk.tsv"
    loci.write_text(text)
    out = d / "out.tsv"
    return Case(_features(base, loci, out), 0, out=out, kept=N_GOOD, rejected_lines=(22,))


@case("trailing_fields/header_and_rows_end_in_a_comma")
def _trailing_comma(base: Base, d: Path) -> Case:
    loci = d / "r.csv"
    loci.write_text("".join(line + ",\n" for line in _delimited(base.rows, ",").splitlines()))
    out = d / "out.tsv"
    return Case(_features(base, loci, out), 0, out=out, kept=N_GOOD, rejected_lines=())


# -- 7. a bigWig without a contig the loci use --------------------------------------------------


@case("missing_contig/bigwig_lacks_chrM")
def _missing_contig(base: Base, d: Path) -> Case:
    extra = [("chrM", p, base.seqs["chrM"][p - 1], "A" if base.seqs["chrM"][p - 1] != "A" else "C", 0)
             for p in (100, 150, 200)]  # fmt: skip
    loci = d / "loci.csv"
    loci.write_text(_delimited([*base.rows, *extra], ","))
    out = d / "out.parquet"

    def check() -> None:
        from ncv_core.io.tables import read_table

        _, meta = read_table(out)
        assert meta["tracks_missing_contigs"] == {str(base.dnase): {"chrM": 3}}

    return Case(_features(base, loci, out), 0, out=out, kept=N_GOOD + 3, check=check,
                messages=(f"{base.dnase} has no data for chrM (3 loci)",))  # fmt: skip


# -- 8. smaller: one class, the bigWig library's own line, NaN features ------------------------


@case("labels/one_class_table")
def _one_class(base: Base, d: Path) -> Case:
    import pandas as pd

    table = d / "ones.parquet"
    pd.read_parquet(base.features).assign(label=1).to_parquet(table)
    return Case(["train", "--features", str(table), "--out", str(d / "m")], 2,
                messages=("the table has only one class: 40 positive",))  # fmt: skip


@case("bigwig/truncated_signal_file")
def _truncated_bigwig(base: Base, d: Path) -> Case:
    signal = d / "dnase.bw"
    signal.write_bytes(base.dnase.read_bytes()[:300])
    tracks = d / "tracks.tsv"
    tracks.write_text(f"cell_line\tmark\tsignal\nCL\tDNase\t{signal}\n")
    argv = ["features", "--loci", str(base.loci), *base.genome_args(tracks)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2,
                messages=(f"{signal}: is not a readable bigWig file",),
                absent=("Error when opening",))  # fmt: skip


@case("features/nan_values")
def _nan_features(base: Base, d: Path) -> Case:
    import pandas as pd

    table = pd.read_parquet(base.features)
    table.loc[:6, "DNase_max"] = np.nan
    table.loc[:1, "H3K27ac_sum"] = np.nan
    path = d / "nan.parquet"
    table.to_parquet(path)
    argv = ["evaluate", "--model", str(base.model), "--features", str(path)]
    return Case([*argv, "--out", str(d / "m.json")], 0,
                messages=("replaced by the training mean", "DNase_max 7", "H3K27ac_sum 2"))  # fmt: skip


# -- damaged text: huge lines, NUL bytes, truncated gzip, empty files ---------------------------


@case("damaged_text/huge_line")
def _huge_line(base: Base, d: Path) -> Case:
    loci = d / "huge.tsv"
    with open(loci, "w") as fh:
        fh.write(_delimited(base.rows[:10], "\t"))
        fh.write("chr1\t" + "9" * (33 << 20) + "\n")  # line 12: over 2 x 16 MiB, always cut
        fh.write("chr1\t" + "9" * (1 << 18) + "\n")  # line 13: a 256 KiB field
        fh.write("".join("\t".join(map(str, r)) + "\n" for r in base.rows[10:]))
    out = d / "out.tsv"
    return Case(_features(base, loci, out), 0, out=out, kept=N_GOOD, rejected_lines=(12, 13))


@case("damaged_text/nul_bytes_in_a_vcf")
def _nul_vcf(base: Base, d: Path) -> Case:
    lines = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"{c}\t{p}\tv{i}\t{r}\t{a}\t.\t.\t." for i, (c, p, r, a, _) in enumerate(base.rows)]
    lines.insert(5, "chr1\t2\x00\x00\tbad\tA\tC\t.\t.\t.")  # line 6
    vcf = d / "damaged.vcf"
    vcf.write_bytes(("\n".join(lines) + "\n").encode() + b"\x00" * 4096)  # line 44: zeros
    out = d / "out.tsv"
    return Case(_features(base, vcf, out), 0, out=out, kept=N_GOOD, rejected_lines=(6, 44))


@case("damaged_text/truncated_gzip_loci")
def _truncated_gz(base: Base, d: Path) -> Case:
    rows = [base.rows[i % N_GOOD][:2] + ("A", "C", 0) for i in range(20_000)]
    data = gzip.compress(_delimited(rows, ",").encode(), mtime=0)
    loci = d / "cut.csv.gz"
    loci.write_bytes(data[: len(data) // 2])
    return Case(_features(base, loci, d / "o.tsv"), 2,
                messages=(f"{loci}: the compressed file is damaged or truncated after line",))  # fmt: skip


@case("damaged_text/truncated_gzip_peaks")
def _truncated_gz_peaks(base: Base, d: Path) -> Case:
    body = "".join(f"chr1\t{i * 10}\t{i * 10 + 5}\n" for i in range(20000)).encode()
    data = gzip.compress(body, mtime=0)
    peaks = d / "peaks.bed.gz"
    peaks.write_bytes(data[: len(data) // 2])
    tracks = d / "tracks.tsv"
    tracks.write_text(f"cell_line\tmark\tsignal\tpeaks\nCL\tDNase\t{base.dnase}\t{peaks}\n")
    argv = ["features", "--loci", str(base.loci), *base.genome_args(tracks)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2, messages=(f"{peaks}: ", "truncated"))


@case("damaged_text/empty_files")
def _empty_manifest(base: Base, d: Path) -> Case:
    tracks = d / "tracks.tsv"
    tracks.write_text("")
    argv = ["features", "--loci", str(base.loci), *base.genome_args(tracks)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2,
                messages=(f"{tracks}: the manifest is empty",))  # fmt: skip


@case("damaged_text/empty_loci")
def _empty_loci(base: Base, d: Path) -> Case:
    loci = d / "loci.csv"
    loci.write_text("")
    return Case(_features(base, loci, d / "o.tsv"), 2, messages=(f"{loci}: no header line",))


@case("damaged_text/empty_table")
def _empty_table(base: Base, d: Path) -> Case:
    table = d / "t.tsv"
    table.write_text("")
    return Case(["train", "--features", str(table), "--out", str(d / "m")], 2,
                messages=(f"{table}: is empty",))  # fmt: skip


# -- a folder where a file belongs (and the reverse) -------------------------------------------


@case("folders/folder_as_genome")
def _folder_as_genome(base: Base, d: Path) -> Case:
    argv = ["features", "--loci", str(base.loci), *base.genome_args(genome=d)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2, messages=(f"{d}: is a folder",))


@case("folders/folder_as_manifest")
def _folder_as_manifest(base: Base, d: Path) -> Case:
    argv = ["features", "--loci", str(base.loci), *base.genome_args(d)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2,
                messages=(f"{d}: is a folder, expected a tracks manifest",))  # fmt: skip


@case("folders/folder_as_signal")
def _folder_as_signal(base: Base, d: Path) -> Case:
    tracks = d / "tracks.tsv"
    tracks.write_text(f"cell_line\tmark\tsignal\nCL\tDNase\t{d}\n")
    argv = ["features", "--loci", str(base.loci), *base.genome_args(tracks)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2,
                messages=(f"{d}: is a folder, expected a bigWig",))  # fmt: skip


@case("folders/file_as_model")
def _file_as_model(base: Base, d: Path) -> Case:
    argv = ["evaluate", "--model", str(base.features), "--features", str(base.features)]
    return Case([*argv, "--out", str(d / "m.json")], 2,
                messages=(f"{base.features}: is a file; expected a model folder",))  # fmt: skip


# -- genomes and loci with impossible content ---------------------------------------------------


@case("genome/duplicate_contig_names")
def _duplicate_contigs(base: Base, d: Path) -> Case:
    genome = d / "dup.fa"
    write_fasta(genome, [("chr1", base.seqs["chr1"]), ("chr1", base.seqs["chr2"])])
    argv = ["features", "--loci", str(base.loci), *base.genome_args(genome=genome)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2,
                messages=(f"{genome}: contig names must be unique", "chr1"))  # fmt: skip


@case("loci/impossible_positions")
def _bad_positions(base: Base, d: Path) -> Case:
    bad = [("chr1", 0, "A", "C", 1), ("chr1", -5, "A", "C", 1), ("chr1", 1.5, "A", "C", 0),
           ("chr1", 99_999_999, "A", "C", 0), ("chr1", "", "A", "C", 0)]  # fmt: skip
    loci = d / "loci.csv"
    loci.write_text(_delimited([*bad, *base.rows], ","))
    out = d / "out.tsv"
    return Case(_features(base, loci, out), 0, out=out, kept=N_GOOD,
                rejected_lines=(2, 3, 4, 5, 6))  # fmt: skip


@case("loci/bom_and_crlf_excel_csv")
def _bom_crlf(base: Base, d: Path) -> Case:
    loci = d / "excel.csv"
    loci.write_bytes(b"\xef\xbb\xbf" + _delimited(base.rows, ",", "\r\n").encode())
    out = d / "out.tsv"
    return Case(_features(base, loci, out), 0, out=out, kept=N_GOOD, rejected_lines=())


# -- manifests: Windows paths, duplicate rows ---------------------------------------------------


@case("manifest/windows_relative_paths")
def _windows_relative(base: Base, d: Path) -> Case:
    (d / "tracks").mkdir()
    for f in (base.dnase, base.k27ac):
        (d / "tracks" / f.name).write_bytes(f.read_bytes())
    tracks = d / "tracks.tsv"
    tracks.write_text("cell_line\tmark\tsignal\nCL\tDNase\ttracks\\dnase.bw\n"
                      "CL\tH3K27ac\ttracks\\k27ac.bw\n")  # fmt: skip
    out = d / "out.tsv"
    argv = ["features", "--loci", str(base.loci), *base.genome_args(tracks), "--out", str(out)]
    return Case(argv, 0, out=out, kept=N_GOOD)


@case("manifest/windows_absolute_path")
def _windows_absolute(base: Base, d: Path) -> Case:
    tracks = d / "tracks.tsv"
    tracks.write_text("cell_line\tmark\tsignal\nCL\tDNase\tC:\\Users\\me\\dnase.bw\n")
    argv = ["features", "--loci", str(base.loci), *base.genome_args(tracks)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2,
                messages=(f"{tracks}, line 2: file C:\\Users\\me\\dnase.bw", "Windows path"))  # fmt: skip


@case("manifest/duplicate_rows")
def _manifest_duplicates(base: Base, d: Path) -> Case:
    tracks = d / "tracks.tsv"
    row = f"CL\tDNase\t{base.dnase}\n"
    tracks.write_text("cell_line\tmark\tsignal\n" + row + row)
    argv = ["features", "--loci", str(base.loci), *base.genome_args(tracks)]
    return Case([*argv, "--out", str(d / "o.tsv")], 2,
                messages=(f"{tracks}, line 3: CL DNase is listed twice (also line 2)",))  # fmt: skip


# -- model folders: another card format, weights that are not safetensors ----------------------


def _model_copy(base: Base, d: Path) -> Path:
    folder = d / "model"
    folder.mkdir()
    for f in base.model.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    return folder


def _evaluate(base: Base, model: Path, d: Path) -> list[str]:
    return ["evaluate", "--model", str(model), "--features", str(base.features), "--out",
            str(d / "m.json")]  # fmt: skip


@case("model/card_of_another_format")
def _card_other_format(base: Base, d: Path) -> Case:
    model = _model_copy(base, d)
    (model / "card.json").write_text(json.dumps({"format": "keras-model", "version": 3}))
    return Case(_evaluate(base, model, d), 2,
                messages=(f"{model / 'card.json'}: not an ncv model card (its format is "
                          "'keras-model'",))  # fmt: skip


@case("model/weights_are_a_zip")
def _weights_zip(base: Base, d: Path) -> Case:
    model = _model_copy(base, d)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    (model / "model.safetensors").write_bytes(buf.getvalue())
    return Case(_evaluate(base, model, d), 2,
                messages=(f"{model / 'model.safetensors'}: is a zip archive", "never unpickled"))  # fmt: skip


@case("model/weights_are_a_pickle")
def _weights_pickle(base: Base, d: Path) -> Case:
    model = _model_copy(base, d)
    marker = d / "pwned"
    payload = b"\x80\x04\x95" + struct.pack("<Q", 60) + b"cposix\nsystem\n(S'touch " + \
        str(marker).encode() + b"'\ntR."  # fmt: skip
    (model / "model.safetensors").write_bytes(payload)

    def check() -> None:
        assert not marker.exists()  # never unpickled

    return Case(_evaluate(base, model, d), 2, check=check,
                messages=(f"{model / 'model.safetensors'}: is a Python pickle",))  # fmt: skip


def main(argv: list[str]) -> int:
    """Write the base data and every case into ``argv[0]``; print each case's command line."""
    root = Path(argv[0])
    base = build_base(root / "base")
    for name, builder in CASES.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        c = builder(base, folder)
        print(f"{name}: ncv {' '.join(c.argv)}  # expect exit {c.code}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
