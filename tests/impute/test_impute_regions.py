"""Regions on the 25-bp grid, and the peak rule of imputed tracks, against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from ncv_core.errors import NcvError, NcvWarning
from ncv_core.impute.peaks import imputed_peaks, mark_peak_fractions
from ncv_core.impute.regions import bed_regions, loci_regions, region_bins, snap_regions
from ncv_core.impute.sources import bin_centres


def test_snap_sorts_merges_and_keeps_contig_order() -> None:
    regions = [("chr2", 60, 70), ("chr1", 110, 140), ("chr1", 10, 30), ("chr1", 49, 51)]
    # chr1: [0, 50) from [10, 30) and [25, 75) from [49, 51) overlap -> [0, 75); [100, 150)
    assert snap_regions(regions) == [("chr2", 50, 75), ("chr1", 0, 75), ("chr1", 100, 150)]
    # touching spans merge too
    assert snap_regions([("c", 0, 25), ("c", 25, 26)]) == [("c", 0, 50)]


def test_snap_renames_and_clips_at_the_contig_end() -> None:
    sizes = {"chr1": 1010}
    assert snap_regions([("1", 990, 1010)], chrom_sizes=sizes) == [("chr1", 975, 1010)]
    with pytest.raises(NcvError, match="contig the tracks do not have"):
        snap_regions([("chr9", 0, 10)], chrom_sizes=sizes)
    with pytest.raises(NcvError, match="starts past the end"):
        snap_regions([("chr1", 1010, 1020)], chrom_sizes=sizes)
    with pytest.raises(NcvError, match="empty or negative"):
        snap_regions([("chr1", 5, 5)])


def test_loci_regions_are_windows_plus_context() -> None:
    # pos 1000, W 150 -> [924, 1074); +- 30 -> [894, 1104) -> snapped [875, 1125)
    assert loci_regions(["chr1"], np.array([1000]), context=30) == [("chr1", 875, 1125)]
    # two loci 100 bp apart merge; context is clipped at 0
    assert loci_regions(["c", "c"], np.array([80, 180]), context=10) == [("c", 0, 275)]
    with pytest.raises(NcvError, match="context"):
        loci_regions(["c"], np.array([100]), context=-1)


def test_bins_and_centres_of_a_partial_last_bin() -> None:
    regions = [("c", 0, 50), ("d", 100, 135)]
    chroms, starts = region_bins(regions)
    assert chroms == ["c", "c", "d", "d"] and starts.tolist() == [0, 25, 100, 125]
    _, centres = bin_centres(regions)
    # 0-based centre base start + 12 (the 13th base), 1-based: +1; the last bin [125, 135): 134
    assert centres.tolist() == [13, 38, 113, 135]


def test_peak_rule_reproduces_the_fraction_and_merges_runs() -> None:
    values = np.array([0.0, 5, 6, 0, 7, 1, 9, 9])
    regions = [("c", 0, 125), ("c", 200, 275)]  # bins 0-4 | 5-7
    peaks = imputed_peaks(values, regions, 0.5)
    # the 4 highest bins: 6, 7 (9, 9), 4 (7), 2 (6); bins 6-7 merge, bins 2 and 4 do not touch
    assert peaks == [("c", 50, 75, 6.0), ("c", 100, 125, 7.0), ("c", 225, 275, 9.0)]
    # a run never crosses regions: bin 4 (end of region 0) and bin 5 (start of region 1)
    both = imputed_peaks(np.array([0, 0, 0, 0, 5, 5, 0, 0.0]), regions, 0.25)
    assert both == [("c", 100, 125, 5.0), ("c", 200, 225, 5.0)]
    assert imputed_peaks(values, regions, 0.0) == []
    rng = np.random.default_rng(0)
    many = rng.normal(size=1000)
    called = imputed_peaks(many, [("c", 0, 25_000)], 0.137)
    assert sum(e - s for _, s, e, _ in called) == 137 * 25  # exactly the fraction of bins
    with pytest.raises(ValueError):
        imputed_peaks(values[:3], regions, 0.5)


def test_mark_fractions_are_means_over_tracks() -> None:
    out = mark_peak_fractions({("a", "DNase"): 0.1, ("b", "DNase"): 0.3, ("a", "H3K4me3"): 0.2})
    assert out == {
        "DNase": {"fraction": pytest.approx(0.2), "n_tracks": 2},
        "H3K4me3": {"fraction": 0.2, "n_tracks": 1},
    }


def test_bed_regions_keep_names_order_and_good_rows(tmp_path) -> None:
    bed = tmp_path / "r.bed"
    bed.write_text("track name=x\n1\t100\t200\tname\nchr2 5 9\n")
    assert bed_regions(bed) == [("1", 100, 200), ("chr2", 5, 9)]
    bed.write_text("chr1\t10\t5\nchr1\t0\t50\n")
    with pytest.warns(NcvWarning, match="1 rows are not intervals .* line 1: BED interval"):
        assert bed_regions(bed) == [("chr1", 0, 50)]
    bed.write_text("# nothing\n")
    with pytest.raises(NcvError, match="holds no interval"):
        bed_regions(bed)
