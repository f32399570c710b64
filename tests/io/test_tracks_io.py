from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyBigWig
import pytest

from ncv_core.errors import NcvError, NcvWarning
from ncv_core.features.tracks import TrackSet
from ncv_core.io.bigwig import signal_values, window_signal_stats, write_bigwig
from ncv_core.io.genome import Genome
from ncv_core.io.manifest import read_manifest
from ncv_core.io.peaks import _merge, in_peaks, read_peaks


def naive_stats(path: Path, chroms, positions, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Independent reference: pyBigWig per-base values of each window, no data -> 0."""
    bw = pyBigWig.open(str(path))
    mx, sm = [], []
    for chrom, pos in zip(chroms, positions, strict=True):
        start = pos - 1 - window // 2
        if chrom not in bw.chroms():
            vals = np.zeros(window)
        else:
            vals = np.nan_to_num(
                np.asarray(bw.values(chrom, start, start + window, numpy=True)), nan=0.0
            )
        mx.append(vals.max())
        sm.append(vals.sum())
    bw.close()
    return np.array(mx), np.array(sm)


def test_stats_hand_computed(tiny) -> None:
    chroms = ["chr1", "chr1", "chr1", "chr2", "chrM", "1"]
    pos = np.array([150, 1100, 1300, 400, 150, 150])
    mx, sm = window_signal_stats(tiny.dnase, chroms, pos, 150)
    # chr1:150 -> [74, 224): 100 bases of 2.0
    # chr1:1100 -> [1024, 1174): 76 x 5.0 + 10 x -1.0, other bases no data (0): max 5, sum 370
    # chr1:1300 -> [1224, 1374): no data: 0
    # chr2:400 -> 150 x 0.5; chrM: no data for that contig; "1" is chr1's other spelling
    np.testing.assert_allclose(mx, [2.0, 5.0, 0.0, 0.5, 0.0, 2.0])
    np.testing.assert_allclose(sm, [200.0, 370.0, 0.0, 75.0, 0.0, 200.0])


def test_negative_signal_and_uncovered_bases_count_as_zero(tmp_path: Path) -> None:
    bw = tmp_path / "neg.bw"
    write_bigwig(
        bw,
        {"chr1": 1000},
        {"chr1": (np.array([0, 200]), np.array([200, 1000]), np.array([-2.0, -1.0]))},
    )
    mx, sm = window_signal_stats(bw, ["chr1", "chr1"], np.array([100, 500]), 10)
    np.testing.assert_allclose(mx, [-2.0, -1.0])  # fully covered: the max is negative
    bw2 = tmp_path / "gap.bw"
    write_bigwig(bw2, {"chr1": 1000}, {"chr1": (np.array([0]), np.array([95]), np.array([-2.0]))})
    mx, sm = window_signal_stats(
        bw2, ["chr1"], np.array([100]), 10
    )  # [94, 104): 1 base -2, 9 no data
    np.testing.assert_allclose([mx[0], sm[0]], [0.0, -2.0])


def test_stats_match_naive_loop_random_windows(tiny) -> None:
    rng = np.random.default_rng(3)
    pos = rng.integers(76, 1926, 300)
    chroms = ["chr1"] * 300
    for path in (tiny.dnase, tiny.k27ac):
        mx, sm = window_signal_stats(path, chroms, pos, 150)
        ref_mx, ref_sm = naive_stats(path, chroms, pos, 150)
        np.testing.assert_allclose(mx, ref_mx, rtol=0, atol=1e-9)
        np.testing.assert_allclose(sm, ref_sm, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize(
    "name,chrom,lo,hi",
    [
        ("bigwig_chr9_4000000_6000000_K562_H3K27ac.bigwig", "chr9", 4_000_100, 5_999_900),
        ("GM12878_Stat1.chr22_1-30000000.bigWig", "chr22", 16_050_000, 29_999_000),
        (
            "GM12878_ChIP_H3K27ac_signal.hg19.chr21_28000000_30300000.bw",
            "chr21",
            28_000_100,
            30_299_000,
        ),
    ],
)
def test_real_bigwigs_exact_against_pybigwig(
    real_data: Path, name: str, chrom: str, lo: int, hi: int
) -> None:
    path = real_data / "tracks" / name
    rng = np.random.default_rng(11)
    pos = np.sort(rng.integers(lo, hi, 400))
    pos[::2] = rng.integers(lo, hi, 200)  # unsorted input: results still come back in input order
    chroms = [chrom] * len(pos)
    mx, sm = window_signal_stats(path, chroms, pos, 150)
    ref_mx, ref_sm = naive_stats(path, chroms, pos, 150)
    np.testing.assert_allclose(mx, ref_mx, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(sm, ref_sm, rtol=1e-6, atol=1e-4)
    # pyBigWig's exact stats agree where the window is fully covered (they ignore no-data bases).
    bw = pyBigWig.open(str(path))
    for p, m in list(zip(pos.tolist(), mx.tolist(), strict=True))[:50]:
        vals = bw.values(chrom, p - 76, p + 74, numpy=True)
        if not np.isnan(vals).any():
            assert bw.stats(chrom, p - 76, p + 74, type="max", exact=True)[0] == pytest.approx(
                m, rel=1e-6
            )
    bw.close()


def test_peaks_merge_and_membership(tmp_path: Path) -> None:
    starts, ends = _merge([(10, 20), (15, 30), (40, 50), (50, 60), (5, 8)])
    assert starts.tolist() == [5, 10, 40] and ends.tolist() == [8, 30, 60]  # touching peaks merge
    path = tmp_path / "p.bed"
    path.write_text("track name=x\nchr1\t10\t20\nchr1\t15\t30\n1\t100\t101\n")
    peaks = read_peaks(path)
    # 1-based positions: base index pos-1 must satisfy start <= pos-1 < end.
    pos = np.array([10, 11, 30, 31, 100, 101, 102])
    got = in_peaks(peaks, ["chr1"] * 7, pos)
    naive = [any(s <= p - 1 < e for s, e in [(10, 20), (15, 30), (100, 101)]) for p in pos]
    assert got.tolist() == [float(x) for x in naive] == [0, 1, 1, 0, 0, 1, 0]


def test_manifest_relative_paths_aliases_and_errors(tiny, tmp_path: Path) -> None:
    specs = read_manifest(tiny.tracks)
    assert [(s.cell_line, s.mark) for s in specs] == [("CL", "DNase"), ("CL", "H3K27ac")]
    assert (
        specs[0].signal == tiny.dnase
        and specs[0].peaks == tiny.dnase_peaks
        and specs[1].peaks is None
    )

    m = tmp_path / "m.tsv"
    m.write_text(f"cell_line\tmark\tsignal\nCL\tdnase-seq\t{tiny.dnase}\nCL\tCTCF\t{tiny.k27ac}\n")
    with pytest.warns(NcvWarning, match="CTCF"):
        assert [s.mark for s in read_manifest(m)] == ["DNase", "CTCF"]
    m.write_text(f"cell_line\tmark\tsignal\nCL\tDNase\t{tiny.dnase}\nCL\tDNase\t{tiny.dnase}\n")
    with pytest.raises(NcvError, match=r"m.tsv, line 3: CL DNase is listed twice"):
        read_manifest(m)
    m.write_text("cell_line\tmark\tsignal\nCL\tDNase\tmissing.bw\n")
    with pytest.raises(NcvError, match=r"m.tsv, line 2: file missing.bw .* does not exist"):
        read_manifest(m)
    m.write_text("cell\tmark\tbigwig\n")
    with pytest.raises(NcvError, match="lacks cell_line, signal"):
        read_manifest(m)


def test_trackset_features_and_columns(tiny) -> None:
    with Genome(tiny.genome) as g, pytest.warns(NcvWarning, match="no track for H3K4me1"):
        ts = TrackSet(read_manifest(tiny.tracks), "CL", g)
    assert ts.marks == ["H3K27ac", "DNase"]  # the package's mark order, not the manifest's
    assert ts.feature_names() == [
        "H3K27ac_max",
        "H3K27ac_sum",
        "DNase_peak",
        "DNase_max",
        "DNase_sum",
    ]
    df = ts.features(["chr1", "chr1"], np.array([150, 1300]), 150)
    assert df.loc[0].tolist() == [3.0, 60.0, 1.0, 2.0, 200.0]
    assert df.loc[1].tolist() == [0.0, 0.0, 0.0, 0.0, 0.0]
    with pytest.raises(NcvError, match="cell line 'HepG2' has no tracks .*it lists CL"):
        TrackSet(read_manifest(tiny.tracks), "HepG2", g)


def test_trackset_rejects_other_build_and_bad_files(tiny, tmp_path: Path) -> None:
    other = tmp_path / "other.bw"
    write_bigwig(other, {"chr1": 2500}, {"chr1": (np.array([0]), np.array([10]), np.array([1.0]))})
    m = tmp_path / "m.tsv"
    m.write_text(f"cell_line\tmark\tsignal\nCL\tDNase\t{other}\n")
    with Genome(tiny.genome) as g:
        with pytest.raises(
            NcvError, match=r"other.bw: signal file for CL DNase is for a different genome build"
        ):
            TrackSet(read_manifest(m), "CL", g)

    corrupt = tmp_path / "corrupt.bw"
    corrupt.write_bytes(b"\x00" * 4000)
    m.write_text(f"cell_line\tmark\tsignal\nCL\tDNase\t{corrupt}\n")
    with (
        Genome(tiny.genome) as g,
        pytest.raises(NcvError, match=r"corrupt.bw: is not a readable bigWig"),
    ):
        TrackSet(read_manifest(m), "CL", g)

    peaks = tmp_path / "p.bed"
    peaks.write_text("chr1\t10\t5000\n")
    m.write_text(f"cell_line\tmark\tsignal\tpeaks\nCL\tDNase\t{tiny.dnase}\t{peaks}\n")
    with Genome(tiny.genome) as g:
        with pytest.raises(
            NcvError, match=r"p.bed: has peaks ending at 5,000, past the end of chr1"
        ):
            TrackSet(read_manifest(m), "CL", g)


def test_truncated_bigwig_is_a_clear_error(real_data: Path, tmp_path: Path) -> None:
    src = real_data / "tracks" / "GM12878_Stat1.chr22_1-30000000.bigWig"
    cut = tmp_path / "cut.bigWig"
    cut.write_bytes(src.read_bytes()[:100_000])
    with pytest.raises(NcvError, match=r"cut.bigWig: cannot read signal .*truncated or corrupt"):
        window_signal_stats(cut, ["chr22"], np.array([20_000_000]), 150)


def test_signal_values(tiny, tmp_path: Path) -> None:
    v = signal_values(tiny.dnase, "1", 195, 205)
    assert v.tolist() == [2.0] * 5 + [0.0] * 5
    shutil.copy(tiny.dnase, tmp_path / "x.bw")
    assert signal_values(tmp_path / "x.bw", "chrM", 0, 3).tolist() == [0.0, 0.0, 0.0]


def test_track_peaks_in_a_range_by_hand(tiny) -> None:
    """The tiny DNase peaks are chr1 [100, 200) and [1000, 1100); H3K27ac has no peaks file."""
    from ncv_core.features.tracks import track_peaks

    assert track_peaks(tiny.tracks, "CL", "chr1", 0, 2000) == {"DNase": [(100, 200), (1000, 1100)]}
    assert track_peaks(tiny.tracks, "CL", "1", 150, 1050) == {"DNase": [(150, 200), (1000, 1050)]}
    assert track_peaks(tiny.tracks, "CL", "chr1", 200, 1000) == {"DNase": []}  # half-open
    assert track_peaks(tiny.tracks, "CL", "chr2", 0, 800) == {"DNase": []}
