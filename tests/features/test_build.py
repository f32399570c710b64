from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from ncv_core.constants import COMPOSITION_COLUMNS
from ncv_core.errors import NcvError
from ncv_core.features import build as features_mod
from ncv_core.features.build import build_features
from ncv_core.io.bigwig import write_bigwig
from ncv_core.io.tables import read_table, rejected_report_path, write_table
from ncv_core.sequence import composition

pytestmark = pytest.mark.filterwarnings("ignore::ncv_core.errors.NcvWarning")


def write_loci(tiny, rows: list[tuple]) -> Path:
    path = tiny.root / "loci.tsv"
    path.write_text(
        "chrom\tpos\tref\talt\tlabel\tid\tCADD\n"
        + "".join("\t".join(map(str, r)) + "\n" for r in rows)
    )
    return path


def test_hand_computed_row(tiny) -> None:
    t = tiny
    loci = write_loci(
        t,
        [
            ("chr1", 150, t.ref("chr1", 150), t.other("chr1", 150), 1, "v1", 2.5),
            ("chr2", 400, t.ref("chr2", 400), t.other("chr2", 400), "", "v2", ""),
        ],
    )
    res = build_features(loci, t.genome, t.tracks, "CL", use_cache=False)
    df = res.table
    assert list(df.columns) == [
        "chrom",
        "pos",
        "ref",
        "alt",
        "label",
        "id",
        "CADD",
        "H3K27ac_max",
        "H3K27ac_sum",
        "DNase_peak",
        "DNase_max",
        "DNase_sum",
        *COMPOSITION_COLUMNS,
        "seq",
    ]
    row = df.iloc[0]
    # window [74, 224): H3K27ac [140,160) = 3 -> max 3, sum 60; DNase [100,200) = 2 -> 2, 200; in peak
    assert (row.H3K27ac_max, row.H3K27ac_sum, row.DNase_peak, row.DNase_max, row.DNase_sum) == (
        3,
        60,
        1,
        2,
        200,
    )
    assert row.seq == t.seqs["chr1"][74:224] and row.seq[75] == row.ref
    expected = composition([row.seq]).iloc[0]
    assert row[list(COMPOSITION_COLUMNS)].astype(float).tolist() == expected.tolist()
    assert row.A_count == row.seq.count("A")
    second = df.iloc[1]
    assert pd.isna(second.label) and np.isnan(second.CADD) and "N" in second.seq
    assert (second.DNase_max, second.DNase_sum, second.DNase_peak) == (0.5, 75, 0)
    assert res.meta["feature_columns"] == list(df.columns[7:-1])
    assert res.meta["baseline_columns"] == ["CADD"] and res.meta["window"] == 150
    assert res.meta["marks"] == ["H3K27ac", "DNase"] and res.meta["n_labelled"] == 1
    assert res.summary == "kept 2, rejected 0"


def test_custom_window(tiny) -> None:
    t = tiny
    loci = write_loci(t, [("chr1", 200, t.ref("chr1", 200), "", 1, "v", 0)])
    df = build_features(loci, t.genome, t.tracks, "CL", window=11, use_cache=False).table
    assert df.seq[0] == t.seqs["chr1"][194:205] and df.seq[0][5] == t.ref("chr1", 200)
    assert (df.DNase_max[0], df.DNase_sum[0]) == (
        2.0,
        12.0,
    )  # [194, 205): 6 bases of 2.0 then no data


def test_cache_hit_and_invalidation(tiny, monkeypatch) -> None:
    t = tiny
    loci = write_loci(t, [("chr1", 150, t.ref("chr1", 150), t.other("chr1", 150), 1, "v1", 1)])
    first = build_features(loci, t.genome, t.tracks, "CL")
    calls = []
    original = features_mod._compute
    monkeypatch.setattr(
        features_mod, "_compute", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    again = build_features(loci, t.genome, t.tracks, "CL")
    assert calls == [] and again.table.equals(first.table) and again.meta == first.meta
    write_loci(
        t, [("chr1", 160, t.ref("chr1", 160), t.other("chr1", 160), 1, "v1", 1)]
    )  # content changed
    changed = build_features(loci, t.genome, t.tracks, "CL")
    assert calls == [1] and changed.table.pos.tolist() == [160]
    build_features(loci, t.genome, t.tracks, "CL", window=101)  # window is part of the key
    assert calls == [1, 1]


def test_nothing_usable_names_the_file(tiny) -> None:
    loci = write_loci(tiny, [("chr9", 150, "A", "G", 1, "v1", 1)])
    with pytest.raises(
        NcvError, match=r"loci.tsv: no usable loci \(kept 0, rejected 1: 1 unknown contig\)"
    ):
        build_features(loci, tiny.genome, tiny.tracks, "CL", use_cache=False)


def test_vcf_header_of_other_build_is_rejected(tiny) -> None:
    vcf = tiny.root / "x.vcf"
    vcf.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=249250621>\n"
        "#CHROM\tPOS\tID\tREF\tALT\nchr1\t150\t.\tA\tG\n"
    )
    with pytest.raises(
        NcvError, match=r"x.vcf: the VCF header's ##contig lines is for a different genome build"
    ):
        build_features(vcf, tiny.genome, tiny.tracks, "CL", use_cache=False)


def test_write_read_round_trip_keeps_metadata(tiny, tmp_path: Path) -> None:
    t = tiny
    loci = write_loci(
        t,
        [
            ("chr1", 150, t.ref("chr1", 150), t.other("chr1", 150), 1, "v1", 1),
            ("chr1", 300, t.ref("chr1", 300), t.other("chr1", 300), "", "v2", 2),
        ],
    )
    res = build_features(loci, t.genome, t.tracks, "CL", use_cache=False)
    for name in ("f.parquet", "f.tsv"):
        write_table(res.table, tmp_path / name, res.meta)
        back, meta = read_table(tmp_path / name)
        assert meta == res.meta
        assert back["label"].tolist()[0] == 1 and pd.isna(back["label"].tolist()[1])
        np.testing.assert_allclose(back["DNase_sum"], res.table["DNase_sum"])
    assert rejected_report_path("out/gm.parquet") == Path("out/gm.rejected.tsv")
    assert rejected_report_path("gm.tsv.gz") == Path("gm.rejected.tsv")


def test_real_hg19_fasta_with_derived_track(real_data: Path, tmp_path: Path) -> None:
    """Real sequence (hg19 chr20 slice 'z') with a real signal profile moved onto 'z'."""
    src = pyBigWig.open(str(real_data / "tracks" / "GM12878_Stat1.chr22_1-30000000.bigWig"))
    iv = np.array(src.intervals("chr22", 20_000_000, 21_000_000), dtype=np.float64)
    src.close()
    starts, ends = iv[:, 0] - 20_000_000, iv[:, 1] - 20_000_000
    keep = (starts >= 0) & (ends <= 1_000_000)
    bw = tmp_path / "stat1_on_z.bw"
    write_bigwig(bw, {"z": 1_000_000}, {"z": (starts[keep], ends[keep], iv[keep, 2])})
    manifest = tmp_path / "tracks.tsv"
    manifest.write_text(f"cell_line\tmark\tsignal\nGM12878\tDNase\t{bw}\n")
    seq = (real_data / "genome" / "z.fa").read_text().split("\n", 1)[1].replace("\n", "").upper()
    rng = np.random.default_rng(5)
    pos = np.sort(rng.choice(np.arange(1000, 999_000), 200, replace=False))
    loci = tmp_path / "loci.tsv"
    loci.write_text("chrom\tpos\tref\n" + "".join(f"z\t{p}\t{seq[p - 1]}\n" for p in pos))
    res = build_features(loci, real_data / "genome" / "z.fa", manifest, "GM12878", use_cache=False)
    assert len(res.table) == 200 and res.rejected == []
    assert res.table.seq.tolist() == [seq[p - 76 : p + 74] for p in pos]
    ref_bw = pyBigWig.open(str(bw))
    naive = [np.nan_to_num(ref_bw.values("z", p - 76, p + 74, numpy=True)).sum() for p in pos]
    np.testing.assert_allclose(res.table.DNase_sum, naive, rtol=1e-6)
