from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from ncv_core.errors import NcvError
from ncv_core.features.loci import iter_loci, place, read_loci, rejections_frame, summarize
from ncv_core.io.genome import Genome


def bgzip(data: bytes) -> bytes:
    """BGZF (bgzip) encoding written by hand: gzip members with a 'BC' extra field + EOF block."""
    out = b""
    for i in range(0, max(len(data), 1), 60_000):
        block = data[i : i + 60_000]
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        cdata = comp.compress(block) + comp.flush()
        bsize = len(cdata) + 25
        header = b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00" + struct.pack(
            "<H", bsize
        )
        out += header + cdata + struct.pack("<II", zlib.crc32(block), len(block))
    return out + bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


VCF_HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def test_vcf_sites_only_multiallelic_and_indels(tmp_path: Path) -> None:
    path = tmp_path / "x.vcf"
    path.write_text(
        VCF_HEADER
        + "chr1\t100\trs1\tA\tG\t.\t.\t.\n"
        + "chr1\t200\trs2\tC\tT,G\t.\t.\tLABEL=1\n"
        + "chr1\t300\trs3\tA\tAT,C\t.\t.\t.\n"
        + "chr1\t400\t.\tA\t<DEL>\t.\t.\t.\n"
    )
    batch = read_loci(path)
    assert batch.fmt == "vcf"
    df = batch.table
    assert df[["pos", "ref", "alt"]].values.tolist() == [
        [100, "A", "G"],
        [200, "C", "T"],
        [200, "C", "G"],
        [300, "A", "AT"],  # indels pass parsing; place() decides (normalise, or reject)
        [300, "A", "C"],
    ]
    assert df["id"].tolist() == ["rs1", "rs2:T", "rs2:G", "rs3:AT", "rs3:C"]
    assert df["label"].tolist()[1] == 1 and df["label"].isna().tolist() == [
        True,
        False,
        False,
        True,
        True,
    ]
    assert [(r.line, r.category) for r in batch.rejected] == [(6, "symbolic allele")]


@pytest.mark.parametrize("compress", ["gzip", "bgzip"])
def test_vcf_compressed(tmp_path: Path, compress: str) -> None:
    text = (VCF_HEADER + "1\t100\trs1\tA\tG\n" * 1 + "2\t5\trs2\tC\tT\n").encode()
    path = tmp_path / "x.vcf.gz"
    path.write_bytes(gzip.compress(text, mtime=0) if compress == "gzip" else bgzip(text))
    batch = read_loci(path)
    assert batch.table["chrom"].tolist() == ["1", "2"]


def test_vcf_header_contigs_and_reference_kept(tmp_path: Path) -> None:
    path = tmp_path / "x.vcf"
    path.write_text(
        "##fileformat=VCFv4.2\n##reference=GRCh38\n##contig=<ID=chr1,length=248956422>\n"
        + VCF_HEADER.split("\n", 1)[1]
        + "chr1\t100\t.\tA\tG\n"
    )
    batch = read_loci(path)
    assert batch.header["contigs"] == {"chr1": 248956422}
    assert batch.header["reference"] == "GRCh38"


def test_bed_is_zero_based_one_base(tmp_path: Path) -> None:
    path = tmp_path / "x.bed"
    path.write_text(
        "track name=x\n# comment\nchr1\t99\t100\tsnpA\nchr1 199 200\nchr1\t10\t20\tspan\nchr1\tx\t5\n"
    )
    batch = read_loci(path)
    assert batch.table["pos"].tolist() == [100, 200]
    assert batch.table["id"].tolist() == ["snpA", ""]
    assert [r.category for r in batch.rejected] == ["bad BED interval", "malformed number"]
    assert batch.rejected[0].line == 5


def test_csv_aliases_bom_crlf_comments_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    text = (
        "\ufeff# exported from somewhere\r\nChromosome,Start,REF,ALT,Label,rsid,CADD,gene\r\n\r\n"
        "chr1,100,A,G,1,rs1,12.5,ABC\r\n# a comment\r\nchr1,200,c,t,,rs2,NA,DEF\r\n"
    )
    path.write_bytes(text.encode("utf-8"))
    with pytest.warns(UserWarning, match="gene"):
        batch = read_loci(path)
    df = batch.table
    assert df["pos"].tolist() == [100, 200]
    assert df["ref"].tolist() == ["A", "C"] and df["alt"].tolist() == ["G", "T"]
    assert batch.baseline_columns == ["CADD"]
    assert df["CADD"].tolist()[0] == 12.5 and np.isnan(df["CADD"].tolist()[1])
    assert df["label"].tolist()[0] == 1 and df["label"].isna().tolist() == [False, True]
    assert df["_line"].tolist() == [4, 6]


def test_tsv_hash_chrom_header_and_labels(tmp_path: Path) -> None:
    path = tmp_path / "x.tsv"
    path.write_text(
        "#CHROM\tPOS\tlabel\nchr1\t1\t1\nchr1\t2\t0\nchr1\t3\t1.0\nchr1\t4\tyes\nchr1\t5\t-1\nchr1\t6\tNA\n"
    )
    batch = read_loci(path)
    assert batch.table["pos"].tolist() == [1, 2, 3, 6]
    assert [r.category for r in batch.rejected] == ["bad label", "bad label"]
    assert "must be 1, 0 or empty" in batch.rejected[0].reason


def test_rows_rejected_on_their_own(tmp_path: Path) -> None:
    path = tmp_path / "x.tsv"
    path.write_text(
        "chrom\tpos\tref\talt\tscore\n"
        "chr1\t1,000\tA\tG\t1\n"  # malformed pos
        "chr1\t0\tA\tG\t1\n"  # 0 is not a 1-based position
        "chr1\t5\tA\n"  # short row
        "chr1\t6\tA\tG\t1\textra\n"  # long row
        "chr1\t7\tX\tG\t1\n"  # invalid allele
        "chr1\t8\tA\tA\t1\n"  # alt equals ref
        "chr1\t9\tA\tG\tabc\n"  # malformed baseline
        "chr1\t10\tA\tG\t2.5\n"
    )
    batch = read_loci(path)
    assert batch.table["pos"].tolist() == [10]
    cats = [r.category for r in batch.rejected]
    assert cats == [
        "malformed number",
        "out of range",
        "short row",
        "long row",
        "invalid allele",
        "alt equals ref",
        "malformed number",
    ]
    assert [r.line for r in batch.rejected] == [2, 3, 4, 5, 6, 7, 8]


def test_missing_columns_and_files_are_clear(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("name,value\nfoo,1\n")
    with pytest.raises(NcvError, match=r"x.csv, line 1: the header has no chrom or pos column"):
        read_loci(path)
    with pytest.raises(NcvError, match="file not found"):
        read_loci(tmp_path / "missing.vcf")
    binary = tmp_path / "x.vcf"
    binary.write_bytes(b"PAR1\x00\x01\x02")
    with pytest.raises(NcvError, match="binary file"):
        read_loci(binary)
    latin = tmp_path / "y.tsv"
    latin.write_bytes(b"chrom\tpos\nchr1\t5\nchr\xe91\t6\n")
    with pytest.raises(NcvError, match=r"y.tsv, line 3: is not UTF-8"):
        read_loci(latin)


def test_chunks_cover_every_row(tmp_path: Path) -> None:
    path = tmp_path / "x.tsv"
    path.write_text("chrom\tpos\n" + "".join(f"chr1\t{i}\n" for i in range(1, 26)) + "chr1\tbad\n")
    batches = list(iter_loci(path, chunk_size=10))
    assert [len(b.table) for b in batches] == [10, 10, 5]
    assert sum(len(b.rejected) for b in batches) == 1


def test_place_against_genome(tiny) -> None:
    t = tiny
    rows = [
        ("chr1", 150, t.ref("chr1", 150), "1"),  # kept
        ("1", 160, "", ""),  # name matched, ref filled
        ("MT", 150, t.ref("chrM", 150), ""),  # MT <-> chrM
        ("chrX", 150, "A", ""),  # unknown contig
        ("chr1", 5000, "A", ""),  # past the contig end
        ("chr1", 75, t.ref("chr1", 75), ""),  # window starts at -1
        ("chr1", 76, t.ref("chr1", 76), ""),  # first position that fits
        ("chr1", 1926, t.ref("chr1", 1926), ""),  # last position that fits
        ("chr1", 1927, t.ref("chr1", 1927), ""),  # window ends past 2,000
        ("chr1", 300, t.other("chr1", 300), ""),  # REF mismatch
        ("chr1", 150, t.ref("chr1", 150), "0"),  # duplicate (chr1:150 again)
    ]
    path = t.root / "loci.tsv"
    path.write_text(
        "chrom\tpos\tref\tlabel\n" + "".join(f"{c}\t{p}\t{r}\t{lab}\n" for c, p, r, lab in rows)
    )
    with Genome(t.genome) as genome:
        placed = place(read_loci(path), genome, window=150)
    df = placed.table
    assert df[["chrom", "pos"]].values.tolist() == [
        ["chr1", 150],
        ["chr1", 160],
        ["chrM", 150],
        ["chr1", 76],
        ["chr1", 1926],
    ]
    assert df["ref"].tolist()[1] == t.ref("chr1", 160)
    assert df["id"].tolist()[1] == f"chr1:160:{t.ref('chr1', 160)}"
    reasons = {r.line: (r.category, r.reason) for r in placed.rejected}
    assert reasons[5][0] == "unknown contig" and "'chrX'" in reasons[5][1]
    assert reasons[6][0] == "out of range"
    assert reasons[7][0] == "window off contig end" and "[-1, 149)" in reasons[7][1]
    assert reasons[10][0] == "window off contig end"
    assert reasons[11] == (
        "ref mismatch",
        f"REF is {t.other('chr1', 300)} but the genome has {t.ref('chr1', 300)} at chr1:300",
    )
    assert (
        reasons[12][0] == "duplicate"
        and "line 2" in reasons[12][1]
        and "label was 1" in reasons[12][1]
    )
    assert summarize(len(df), placed.rejected) == (
        "kept 5, rejected 6: 2 window off contig end, 1 unknown contig, 1 out of range, "
        "1 ref mismatch, 1 duplicate"
    )
    report = rejections_frame(placed.rejected)
    assert list(report.columns) == ["line", "reason", "category", "row"]
    assert report["line"].is_monotonic_increasing


def test_real_vcf(real_data: Path) -> None:
    batch = read_loci(real_data / "variants" / "regulatory_validated.vcf")
    assert len(batch.table) == 16 and batch.rejected == []  # the indel is place()'s to judge
    assert batch.table.loc[batch.table["id"] == "rs144361550", "alt"].item() == "AGGGCCC"
    assert batch.table.loc[batch.table["id"] == "rs12740374", "pos"].item() == 109817590


def test_real_vcf_on_wrong_genome_is_unusable(real_data: Path) -> None:
    from ncv_core.features.loci import raise_if_unusable

    with Genome(real_data / "genome" / "z.fa") as genome:
        placed = place(
            read_loci(real_data / "variants" / "regulatory_validated.vcf"), genome, window=150
        )
    assert len(placed.table) == 0
    assert {r.category for r in placed.rejected} == {"unknown contig"}
    with pytest.raises(
        NcvError, match=r"regulatory_validated.vcf: no usable loci .*line 3: contig 'chr1'"
    ):
        raise_if_unusable(
            0, placed.rejected, str(real_data / "variants" / "regulatory_validated.vcf")
        )


@pytest.mark.parametrize(
    "text,expected",
    [
        ("chr1:12345 A>G", ["chr1", 12345, "A", "G"]),
        ("1-12345-A-G", ["1", 12345, "A", "G"]),
        ("chr1:12,345:a:g", ["chr1", 12345, "A", "G"]),
        ("chrX 100 C/T", ["chrX", 100, "C", "T"]),
        ("chr2:500", ["chr2", 500, "", ""]),
    ],
)
def test_parse_typed_variant(text: str, expected: list) -> None:
    from ncv_core.features.loci import parse_variant

    batch = parse_variant(text)
    assert batch.table[["chrom", "pos", "ref", "alt"]].values.tolist() == [expected]


def test_parse_typed_variant_problems() -> None:
    from ncv_core.features.loci import parse_variant

    assert parse_variant("chr1:5 AT>G").table["alt"].tolist() == ["G"]  # complex: place() judges
    assert [r.category for r in parse_variant("chr1:5 A>A").rejected] == ["alt equals ref"]
    with pytest.raises(NcvError, match="write it as chr:pos ref>alt"):
        parse_variant("rs12345")
