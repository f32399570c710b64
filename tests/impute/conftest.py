"""Fixtures of the impute tests: one torch thread, and small fitted models shared by tests."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import torch
from _impute_cases import EPOCHS, HELD, NEW_CELL

from ncv_core.impute.synthetic import low_rank_tensor
from ncv_core.impute.train import fit_avocado


@contextmanager
def _single_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def one_thread():
    """Keep the shared CPU usable: torch runs on one thread during each of these tests."""
    with _single_thread():
        yield


@pytest.fixture(scope="session")
def lowrank():
    """A 6 cell types x 4 assays x 2,000-bin low-rank tensor (24 tracks)."""
    return low_rank_tensor(n_cells=6, n_assays=4, n_bins=2000, seed=3)


@pytest.fixture(scope="session")
def lowrank_base(lowrank):
    """``lowrank`` without cell type ``human_c5`` (added later with the rest frozen)."""
    keep = [i for i, (cell, _) in enumerate(lowrank.track_names()) if cell != NEW_CELL]
    return lowrank.select_tracks(keep)


@pytest.fixture(scope="session")
def lowrank_fit(lowrank_base):
    """The small model fitted on ``lowrank_base`` with :data:`HELD` held out."""
    with _single_thread():
        return fit_avocado(lowrank_base, held_out=HELD, epochs=EPOCHS, batch_size=256, seed=0)


@pytest.fixture(scope="session")
def lowrank_files(tmp_path_factory):
    """Two species of low-rank tracks written as bigWigs (``tests/_impute_files.py``)."""
    from _impute_files import write_lowrank

    return write_lowrank(tmp_path_factory.mktemp("lowrank-files"))


@pytest.fixture(scope="session")
def lowrank_run(lowrank_files):
    """``fit_tracks`` on both species of ``lowrank_files``, h0:DNase held out, 2 epochs."""
    from ncv_core.impute.regions import bed_regions
    from ncv_core.impute.sources import species_tracks
    from ncv_core.impute.workflow import fit_tracks
    from ncv_core.io.manifest import read_manifest

    f = lowrank_files
    sources = [
        species_tracks(sp, read_manifest(m), bed_regions(bed))
        for sp, m, bed in (("human", f.human, f.regions), ("mouse", f.mouse, f.mouse_regions))
    ]
    with _single_thread():
        return fit_tracks(sources, held_out=[("h0", "DNase")], epochs=2, batch_size=256, seed=0)
