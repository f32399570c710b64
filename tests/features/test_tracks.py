"""ncv_core.features.tracks: loci on a contig a bigWig has no data for are warned about and
recorded in the feature table's metadata."""

from __future__ import annotations

import pytest

from ncv_core.errors import NcvWarning
from ncv_core.features.build import build_features


def test_missing_contigs_are_warned_and_recorded(tiny, tmp_path) -> None:
    t = tiny  # DNase has data on chr1 and chr2, H3K27ac on chr1 only; neither on chrM
    rows = [("chr1", 500), ("chr2", 300), ("chrM", 100), ("chrM", 150), ("chr2", 600)]
    loci = tmp_path / "loci.tsv"
    loci.write_text(
        "chrom\tpos\tref\talt\n"
        + "".join(f"{c}\t{p}\t{t.ref(c, p)}\t{t.other(c, p)}\n" for c, p in rows)
    )
    with pytest.warns(NcvWarning) as caught:
        result = build_features(loci, t.genome, t.tracks, "CL", use_cache=False)
    assert len(result.table) == 5
    missing = result.meta["tracks_missing_contigs"]
    assert missing == {str(t.dnase): {"chrM": 2}, str(t.k27ac): {"chr2": 2, "chrM": 2}}
    said = [str(w.message) for w in caught if "has no data for" in str(w.message)]
    assert len(said) == 2
    assert any(s.startswith(f"{t.dnase} has no data for chrM (2 loci): ") for s in said)
    assert any(
        s.startswith(f"{t.k27ac} has no data for chr2 (2 loci), chrM (2 loci)") for s in said
    )
    assert (result.table.loc[result.table["chrom"] == "chrM", "DNase_sum"] == 0).all()
    with pytest.warns(NcvWarning):
        build_features(loci, t.genome, t.tracks, "CL", cache_dir=tmp_path / "c")
    with pytest.warns(NcvWarning, match="has no data for chrM"):  # again from the cache
        hit = build_features(loci, t.genome, t.tracks, "CL", cache_dir=tmp_path / "c")
    assert hit.meta["tracks_missing_contigs"] == missing
