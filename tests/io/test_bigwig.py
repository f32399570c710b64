"""ncv_core.io.bigwig: what is not a bigWig is named, the library's own error line is held back,
any file name opens, and the contigs a bigWig lacks are counted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ncv_core.errors import NcvError
from ncv_core.io.bigwig import WindowBeds, bigwig_contigs, window_signal_stats, write_bigwig


@pytest.fixture
def bw(tmp_path: Path) -> Path:
    path = tmp_path / "s.bw"
    write_bigwig(path, {"chr1": 500, "chr2": 300}, {"chr1": ([0], [500], [2.0])})
    return path


def test_a_damaged_bigwig_gives_one_message_and_no_library_line(
    bw: Path, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    cut = tmp_path / "cut.bw"
    cut.write_bytes(bw.read_bytes()[:200])
    with pytest.raises(NcvError, match=r"cut.bw: is not a readable bigWig file"):
        bigwig_contigs(cut)
    assert "Error when opening" not in "".join(capfd.readouterr())  # fd 2 was held back


@pytest.mark.parametrize(
    "data, what",
    [(b"chrom\tstart\n", "text"), (b"", "an empty file"), (b"PAR1\x00", "a Parquet table")],
)
def test_what_is_not_a_bigwig_is_named(tmp_path: Path, data: bytes, what: str) -> None:
    path = tmp_path / "x.bw"
    path.write_bytes(data)
    with pytest.raises(NcvError, match=rf"x.bw: is not a readable bigWig file: it is {what}"):
        bigwig_contigs(path)


def test_any_file_name_opens(bw: Path, tmp_path: Path) -> None:
    other = tmp_path / "ENCFF123ABC"  # no extension: pybigtools alone refuses it
    other.write_bytes(bw.read_bytes())
    assert bigwig_contigs(other) == {"chr1": 500}


def test_loci_on_contigs_without_data_are_counted(bw: Path) -> None:
    chroms = ["chr1", "2", "chrM", "chr1", "MT"]
    positions = np.array([100, 100, 50, 200, 60])
    with WindowBeds(chroms, positions, 20) as beds:
        assert beds.missing(bigwig_contigs(bw)) == {"2": 1, "chrM": 1, "MT": 1}
        mx, sm = window_signal_stats(bw, chroms, positions, 20, beds=beds)
    np.testing.assert_array_equal(sm, [40.0, 0.0, 0.0, 40.0, 0.0])
    np.testing.assert_array_equal(mx, [2.0, 0.0, 0.0, 2.0, 0.0])
