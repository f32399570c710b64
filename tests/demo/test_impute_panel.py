"""The demo's imputation panel: added beside the demo without touching it, built from the demo's
own seed streams, with the tracks the design says are missing."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pyBigWig
import pytest

from ncv_core.cli import main
from ncv_core.constants import CELL_LINES, MARKS
from ncv_core.demo import ensure_demo
from ncv_core.demo.impute_panel import (
    MISSING,
    MIX_WEIGHTS,
    demo_streams,
    ensure_impute_panel,
    panel_complete,
)
from ncv_core.demo.impute_species import SPECIES2_CELLS, ZERO_SHOT_MARK
from ncv_core.demo.signal import observe, true_signal
from ncv_core.io.genome import Genome
from ncv_core.io.manifest import read_manifest


def _hashes(root) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] != "impute"
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The demo the app tests use (one per session) and its panel; the demo's hashes before."""
    demo = ensure_demo(tmp_path_factory.getbasetemp() / "app-demo")
    before = _hashes(demo.root)
    return demo, ensure_impute_panel(demo), before


def test_the_panel_leaves_the_demo_byte_identical(built) -> None:
    demo, panel, before = built
    assert _hashes(demo.root) == before
    assert panel_complete(panel.root) and panel.root == demo.root / "impute"


def test_the_streams_reproduce_the_demos_own_tracks(built) -> None:
    demo, _, _ = built
    layout, experiments, seeds = demo_streams(0)
    for cell, mark in (("GM12878", "DNase"), ("K562", "H3K27me3")):
        k = CELL_LINES.index(cell) * len(MARKS) + MARKS.index(mark)
        rng = np.random.default_rng(seeds[k])
        signal = observe(true_signal(layout, cell, mark, rng), mark, experiments[cell][mark], rng)
        width = 20 if mark == "DNase" else 100
        with pyBigWig.open(str(demo.root / "tracks" / cell / f"{mark}.bw")) as bw:
            written = bw.values("chr1", 0, 200_000, numpy=True)[::width]
        np.testing.assert_array_equal(written, signal[: 200_000 // width].astype(np.float32))


def test_manifests_list_what_the_design_says(built) -> None:
    _, panel, _ = built
    measured = {(s.cell_line, s.mark): s for s in read_manifest(panel.tracks)}
    hidden = {(s.cell_line, s.mark): s for s in read_manifest(panel.hidden)}
    missing = {(c, m) for c, marks in MISSING.items() for m in marks}
    assert set(hidden) == missing and len(measured) == 8 * 11 - len(missing) == 75
    assert not set(measured) & missing
    assert all(
        s.peaks is not None and s.peaks.exists() and s.signal.exists() for s in measured.values()
    )
    assert (
        hidden[("GM12878", "DNase")].signal.resolve()
        == (panel.root.parent / "tracks" / "GM12878" / "DNase.bw").resolve()
    )  # the truth of the demo's own cell lines is the demo's own file
    truth = json.loads(panel.truth.read_text())
    assert truth["mix_weights"] == {k: list(v) for k, v in MIX_WEIGHTS.items()}
    assert len(panel.regions.read_text().splitlines()) == 10


def test_mixtures_follow_their_programs(built) -> None:
    _, panel, _ = built
    specs = {(s.cell_line, s.mark): s for s in read_manifest(panel.tracks)}

    def k27ac(cell: str) -> np.ndarray:
        with pyBigWig.open(str(specs[(cell, "H3K27ac")].signal)) as bw:
            return np.log1p(bw.values("chr1", 100_000, 1_100_000, numpy=True)[::100])

    r = {c: np.corrcoef(k27ac("MIX1"), k27ac(c))[0, 1] for c in CELL_LINES}
    assert r["GM12878"] > 0.7 > 0.3 > max(r["HepG2"], r["K562"])  # MIX1: 80% GM12878


def test_second_species_never_measured_the_zero_shot_mark(built) -> None:
    _, panel, _ = built
    s2 = panel.species2
    measured = read_manifest(s2 / "tracks.tsv")
    hidden = read_manifest(s2 / "hidden.tsv")
    assert {s.cell_line for s in measured} == set(SPECIES2_CELLS)
    assert ZERO_SHOT_MARK not in {s.mark for s in measured} and len(measured) == 30
    assert [(s.cell_line, s.mark) for s in hidden] == [(c, ZERO_SHOT_MARK) for c in SPECIES2_CELLS]
    with Genome(s2 / "genome.fa") as g:
        assert g.contigs == {"chr1": 1_600_000, "chr2": 1_400_000, "chr3": 1_200_000,
                             "chr4": 1_000_000, "chr5": 800_000}  # fmt: skip


def test_ncv_demo_impute_panel(built, monkeypatch, capsys) -> None:
    demo, _, _ = built
    monkeypatch.setenv("NCV_DEMO_DIR", str(demo.root))
    assert main(["demo", "--impute-panel"]) == 0
    assert "imputation panel: 75 measured + 13 hidden tracks" in capsys.readouterr().out
