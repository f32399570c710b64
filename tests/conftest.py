"""Shared fixtures: a tiny genome and tracks written in tmp_path, and the real public data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from ncv_core.io.bigwig import write_bigwig
from ncv_core.io.genome import write_fasta
from ncv_core.io.peaks import write_narrowpeak

REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """``../shared/data/real`` beside the repository; tests using it skip when it is absent."""
    if not REAL_DATA.is_dir():
        pytest.skip("real public data (../shared/data/real) is not present")
    return REAL_DATA


@dataclass
class Tiny:
    root: Path
    genome: Path
    tracks: Path
    seqs: dict[str, str]
    dnase: Path
    dnase_peaks: Path
    k27ac: Path

    def ref(self, chrom: str, pos: int) -> str:
        """The base at 1-based ``pos``."""
        return self.seqs[chrom][pos - 1]

    def other(self, chrom: str, pos: int) -> str:
        """A base different from the reference at ``pos``."""
        return "A" if self.ref(chrom, pos) != "A" else "C"


def make_tiny(root: Path) -> Tiny:
    """chr1 2,000 bp, chr2 800 bp, chrM 300 bp; DNase (with peaks) and H3K27ac for cell line CL.

    DNase: chr1 [100, 200) = 2.0, chr1 [1000, 1100) = 5.0, chr1 [1100, 1110) = -1.0,
    chr2 [0, 800) = 0.5; peaks chr1 [100, 200) and [1000, 1100). H3K27ac: chr1 [140, 160) = 3.0.
    """
    rng = np.random.default_rng(7)
    seqs = {
        "chr1": "".join(rng.choice(list("ACGT"), 2000)),
        "chr2": "".join(rng.choice(list("ACGT"), 800)),
        "chrM": "".join(rng.choice(list("ACGT"), 300)),
    }
    seqs["chr2"] = seqs["chr2"][:400] + "NNNNN" + seqs["chr2"][405:]
    root.mkdir(parents=True, exist_ok=True)
    genome = root / "genome.fa"
    write_fasta(genome, seqs.items())
    sizes = {k: len(v) for k, v in seqs.items()}
    a = np.array
    dnase = root / "dnase.bw"
    write_bigwig(
        dnase,
        sizes,
        {
            "chr1": (a([100, 1000, 1100]), a([200, 1100, 1110]), a([2.0, 5.0, -1.0])),
            "chr2": (a([0]), a([800]), a([0.5])),
        },
    )
    peaks = root / "dnase.narrowPeak.gz"
    write_narrowpeak(peaks, [("chr1", 100, 200, 2.0), ("chr1", 1000, 1100, 5.0)])
    k27 = root / "k27ac.bw"
    write_bigwig(k27, sizes, {"chr1": (a([140]), a([160]), a([3.0]))})
    tracks = root / "tracks.tsv"
    tracks.write_text(
        "cell_line\tmark\tsignal\tpeaks\n"
        f"CL\tDNase\t{dnase.name}\t{peaks.name}\n"
        f"CL\tH3K27ac\t{k27.name}\t\n"
    )
    return Tiny(root, genome, tracks, seqs, dnase, peaks, k27)


@pytest.fixture
def tiny(tmp_path: Path) -> Tiny:
    return make_tiny(tmp_path / "tiny")


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test gets its own feature cache and FASTA-index folders (never the user's)."""
    cache = tmp_path_factory.mktemp("ncv-cache")
    monkeypatch.setenv("NCV_CACHE_DIR", str(cache))
