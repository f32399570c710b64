"""The manifest's optional ``imputed`` column, read by ``ncv features`` as it is."""

from __future__ import annotations

import pytest

from ncv_core.errors import NcvError
from ncv_core.features.build import build_features
from ncv_core.io.manifest import manifest_text, read_manifest


def test_imputed_column_spellings_and_default(tiny) -> None:
    path = tiny.root / "imp.tsv"
    path.write_text(
        "cell_line\tmark\tsignal\tpeaks\timputed\n"
        f"CL\tDNase\t{tiny.dnase.name}\t\tYes\n"
        f"CL\tH3K27ac\t{tiny.k27ac.name}\t\t\n"
        f"CM\tDNase\t{tiny.dnase.name}\t\t0\n"
        f"CN\tDNase\t{tiny.dnase.name}\t\ttrue\n"
    )
    specs = read_manifest(path)
    assert [s.imputed for s in specs] == [True, False, False, True]
    assert specs[0].describe()["imputed"] is True and "imputed" not in specs[1].describe()
    assert [s.imputed for s in read_manifest(tiny.tracks)] == [False, False]  # no column


def test_a_bad_imputed_value_names_the_line(tiny) -> None:
    path = tiny.root / "bad.tsv"
    path.write_text(f"cell_line\tmark\tsignal\timputed\nCL\tDNase\t{tiny.dnase.name}\tmaybe\n")
    with pytest.raises(NcvError, match=r"bad.tsv, line 2: imputed is 'maybe'"):
        read_manifest(path)


def test_manifest_text_round_trips(tiny) -> None:
    rows = [
        {"cell_line": "CL", "mark": "DNase", "signal": str(tiny.dnase), "peaks": None},
        {"cell_line": "CL", "mark": "H3K27ac", "signal": str(tiny.k27ac), "imputed": "1"},
    ]
    path = tiny.root / "out.tsv"
    path.write_text(manifest_text(rows))
    specs = read_manifest(path)
    assert [(s.cell_line, s.mark, s.signal, s.peaks, s.imputed) for s in specs] == [
        ("CL", "DNase", tiny.dnase, None, False),
        ("CL", "H3K27ac", tiny.k27ac, None, True),
    ]
    with pytest.raises(NcvError, match="tab or a newline"):
        manifest_text([{"cell_line": "a\tb", "mark": "DNase", "signal": "x"}])


def test_features_read_an_imputed_track_and_record_it(tiny, tmp_path) -> None:
    loci = tmp_path / "loci.tsv"
    loci.write_text(
        f"chrom\tpos\tref\talt\tlabel\nchr1\t150\t{tiny.ref('chr1', 150)}\t{tiny.other('chr1', 150)}\t1\n"
    )
    path = tiny.root / "imp.tsv"
    path.write_text(
        "cell_line\tmark\tsignal\tpeaks\timputed\n"
        f"CL\tDNase\t{tiny.dnase.name}\t{tiny.dnase_peaks.name}\t1\n"
        f"CL\tH3K27ac\t{tiny.k27ac.name}\t\t0\n"
    )
    measured = build_features(loci, tiny.genome, tiny.tracks, "CL", use_cache=False)
    imputed = build_features(loci, tiny.genome, path, "CL", use_cache=False)
    # the same files give the same features; only the metadata says which track is imputed
    assert imputed.table.equals(measured.table)
    assert imputed.meta["imputed_marks"] == ["DNase"] and measured.meta["imputed_marks"] == []
    rows = {t["mark"]: t for t in imputed.meta["tracks"]}
    assert rows["DNase"]["imputed"] is True and "imputed" not in rows["H3K27ac"]
