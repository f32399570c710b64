"""Hostile text: line ends, a stale .fai, binary files where text belongs, trailing fields,
damaged text (huge lines, NUL bytes, truncated gzip, empty files), impossible loci."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

from hostile._base import HEADER, N_GOOD, Base, Case, delimited, features_argv, registry

from ncv_core.io.genome import write_fasta

CASES: dict[str, Callable[[Base, Path], Case]] = {}
case = registry(CASES)


# -- 1. line ends: LF, CRLF and the lone CR of old Mac files, with line numbers kept ------------


@case("line_ends/cr_only_csv")
def _cr_only_csv(base: Base, d: Path) -> Case:
    rows = [*base.rows[:4], ("chrZ", 100, "A", "C", 1), *base.rows[4:]]
    loci = d / "mac.csv"
    loci.write_bytes(delimited(rows, ",", "\r").encode())
    out = d / "out.tsv"
    return Case(features_argv(base, loci, out, "--no-cache"), 0, out=out, kept=N_GOOD,
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
    return Case(features_argv(base, loci, out), 0, out=out, kept=N_GOOD, rejected_lines=(9,))


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
    argv.append("--no-background")

    def check() -> None:
        records = [ln for ln in out.read_text().split("\n") if ln and not ln.startswith("#")]
        assert len(records) == N_GOOD and all("NCV_P_REF=" in ln for ln in records)
        assert "\r" not in out.read_text()

    return Case([*argv, "--out", str(out)], 0, check=check)


def _sequence_rows(base: Base) -> list[tuple[str, str, str, str, int]]:
    """The good loci as a sequence table (an MPRA library): id, 150-bp seq, ref, alt, offset."""
    rows = []
    for i, (c, p, r, a, _) in enumerate(base.rows):
        rows.append((f"s{i}", base.seqs[c][p - 76 : p + 74], r, a, 75))
    return rows


_SEQ_HEADER = ("id", "seq", "ref", "alt", "offset")


def _score_sequences(base: Base, table: Path, out: Path) -> list[str]:
    return ["score", "--model", str(base.seq_model), "--sequences", str(table), "--out", str(out),
            "--no-background"]  # fmt: skip


@case("line_ends/cr_only_sequence_table")
def _cr_only_sequences(base: Base, d: Path) -> Case:
    table = d / "library.tsv"
    table.write_bytes(delimited(_sequence_rows(base), "\t", "\r", _SEQ_HEADER).encode())
    out = d / "scores.tsv"
    return Case(_score_sequences(base, table, out), 0, out=out, kept=N_GOOD, rejected_lines=())


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
    return Case(features_argv(base, loci, d / "o.tsv"), 2,
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


@case("binary_input/bigwig_as_sequence_table")
def _bigwig_as_sequences(base: Base, d: Path) -> Case:
    table = d / "library.tsv"
    table.write_bytes(base.dnase.read_bytes())
    return Case(_score_sequences(base, table, d / "s.tsv"), 2,
                messages=(f"{table}: is a binary file (a bigWig file), not a sequence table",))  # fmt: skip


@case("binary_input/text_named_parquet")
def _text_named_parquet(base: Base, d: Path) -> Case:
    table = d / "features.parquet"
    table.write_text("chrom\tpos\nchr1\t5\n")
    argv = ["train", "--features", str(table), "--out", str(d / "m")]
    return Case(argv, 2, messages=(f"{table}: is not a Parquet file",))


@case("binary_input/utf16_loci")
def _utf16_loci(base: Base, d: Path) -> Case:
    loci = d / "excel.csv"
    loci.write_bytes(delimited(base.rows, ",").encode("utf-16"))
    return Case(features_argv(base, loci, d / "o.tsv"), 2,
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
    return Case(features_argv(base, loci, out), 0, out=out, kept=N_GOOD, rejected_lines=(22,))


@case("trailing_fields/header_and_rows_end_in_a_comma")
def _trailing_comma(base: Base, d: Path) -> Case:
    loci = d / "r.csv"
    loci.write_text("".join(line + ",\n" for line in delimited(base.rows, ",").splitlines()))
    out = d / "out.tsv"
    return Case(features_argv(base, loci, out), 0, out=out, kept=N_GOOD, rejected_lines=())


# -- damaged text: huge lines, NUL bytes, truncated gzip, empty files ---------------------------


@case("damaged_text/huge_line")
def _huge_line(base: Base, d: Path) -> Case:
    loci = d / "huge.tsv"
    with open(loci, "w") as fh:
        fh.write(delimited(base.rows[:10], "\t"))
        fh.write("chr1\t" + "9" * (33 << 20) + "\n")  # line 12: over 2 x 16 MiB, always cut
        fh.write("chr1\t" + "9" * (1 << 18) + "\n")  # line 13: a 256 KiB field
        fh.write("".join("\t".join(map(str, r)) + "\n" for r in base.rows[10:]))
    out = d / "out.tsv"
    return Case(features_argv(base, loci, out), 0, out=out, kept=N_GOOD, rejected_lines=(12, 13))


@case("damaged_text/sequence_table_with_a_huge_field")
def _huge_sequence_field(base: Base, d: Path) -> Case:
    rows = _sequence_rows(base)
    rows.insert(3, ("big", "A" * (1 << 18), "A", "C", 75))  # line 5: a 256 KiB field
    table = d / "library.csv"
    table.write_text(delimited(rows, ",", header=_SEQ_HEADER))
    out = d / "scores.tsv"
    return Case(_score_sequences(base, table, out), 0, out=out, kept=N_GOOD, rejected_lines=(5,))


@case("damaged_text/nul_bytes_in_a_vcf")
def _nul_vcf(base: Base, d: Path) -> Case:
    lines = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"{c}\t{p}\tv{i}\t{r}\t{a}\t.\t.\t." for i, (c, p, r, a, _) in enumerate(base.rows)]
    lines.insert(5, "chr1\t2\x00\x00\tbad\tA\tC\t.\t.\t.")  # line 6
    vcf = d / "damaged.vcf"
    vcf.write_bytes(("\n".join(lines) + "\n").encode() + b"\x00" * 4096)  # line 44: zeros
    out = d / "out.tsv"
    return Case(features_argv(base, vcf, out), 0, out=out, kept=N_GOOD, rejected_lines=(6, 44))


@case("damaged_text/truncated_gzip_loci")
def _truncated_gz(base: Base, d: Path) -> Case:
    rows = [base.rows[i % N_GOOD][:2] + ("A", "C", 0) for i in range(20_000)]
    data = gzip.compress(delimited(rows, ",").encode(), mtime=0)
    loci = d / "cut.csv.gz"
    loci.write_bytes(data[: len(data) // 2])
    return Case(features_argv(base, loci, d / "o.tsv"), 2,
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
    return Case(features_argv(base, loci, d / "o.tsv"), 2, messages=(f"{loci}: no header line",))


@case("damaged_text/empty_table")
def _empty_table(base: Base, d: Path) -> Case:
    table = d / "t.tsv"
    table.write_text("")
    return Case(["train", "--features", str(table), "--out", str(d / "m")], 2,
                messages=(f"{table}: is empty",))  # fmt: skip


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
    loci.write_text(delimited([*bad, *base.rows], ","))
    out = d / "out.tsv"
    return Case(features_argv(base, loci, out), 0, out=out, kept=N_GOOD,
                rejected_lines=(2, 3, 4, 5, 6))  # fmt: skip


@case("loci/bom_and_crlf_excel_csv")
def _bom_crlf(base: Base, d: Path) -> Case:
    loci = d / "excel.csv"
    loci.write_bytes(b"\xef\xbb\xbf" + delimited(base.rows, ",", "\r\n").encode())
    out = d / "out.tsv"
    return Case(features_argv(base, loci, out), 0, out=out, kept=N_GOOD, rejected_lines=())
