"""The track tensor, its genome axis and dense sampling."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ncv_core.errors import NcvError
from ncv_core.impute.data import dense_batches, make_track_tensor, place_regions
from ncv_core.impute.result import species_positions, tensor_layout
from ncv_core.impute.synthetic import low_rank_tensor


def test_regions_far_apart_or_of_two_species_never_share_a_coarse_row():
    regions = [
        ("human", "chr1", 1000, 3000),  # 80 bins
        ("human", "chr1", 900_000, 901_000),  # far: fresh 5-kb row
        ("human", "chr2", 1000, 2000),  # other chromosome
        ("mouse", "chr1", 1000, 6000),  # other species
        ("mouse", "chr1", 6000, 6500),  # adjacent: contiguous
        ("mouse", "chr1", 8000, 8500),  # 1.5 kb downstream: keeps the gap
    ]
    offset, counts = place_regions(regions)
    assert counts.tolist() == [80, 40, 40, 200, 20, 20]
    starts = [r[2] // 25 for r in regions]
    for i in range(len(regions)):
        assert offset[i] % 200 == starts[i] % 200  # the genome's 5-kb grid
    assert offset[4] == offset[3] + 200 and offset[5] == offset[3] + (8000 - 1000) // 25
    owner: dict[tuple[int, int], set] = {}
    for i, (o, n) in enumerate(zip(offset, counts, strict=True)):
        key = regions[i][:2] if i < 3 else ("mouse", "chr1")
        for g in range(o, o + n):
            for div in (10, 200):
                owner.setdefault((div, g // div), set()).add(key)
    assert all(len(v) == 1 for v in owner.values())
    flat = np.concatenate([o + np.arange(n) for o, n in zip(offset, counts, strict=True)])
    assert np.all(np.diff(flat) > 0)


def test_plain_concatenation_with_align_one_and_overlap_error():
    offset, counts = place_regions([("h", "c", 0, 50), ("h", "c", 5000, 5100)], align=1)
    assert offset.tolist() == [0, 2] and counts.tolist() == [2, 4]
    with pytest.raises(NcvError, match="overlaps"):
        place_regions([("h", "c", 0, 500), ("h", "c", 400, 800)])
    with pytest.raises(NcvError, match="empty"):
        place_regions([("h", "c", 10, 10)])


def test_make_track_tensor_puts_values_in_their_species_columns():
    regions = [("human", "chr1", 0, 100), ("mouse", "chr5", 50, 125), ("human", "chr1", 200, 250)]
    tracks = {
        ("K562", "DNase"): np.arange(6, dtype=np.float32),
        ("MEL", "DNase"): np.array([7, 8, 9], dtype=np.float32),
        ("K562", "H3K27ac"): np.ones(6, dtype=np.float32),
    }
    t = make_track_tensor(tracks, cell_species={"K562": "human", "MEL": "mouse"}, regions=regions)
    assert t.species == ("human", "mouse") and t.cells == ("K562", "MEL")
    assert t.bin_species.tolist() == [0, 0, 0, 0, 1, 1, 1, 0, 0]
    np.testing.assert_array_equal(t.signal[0], [0, 1, 2, 3, 0, 0, 0, 4, 5])
    np.testing.assert_array_equal(t.signal[1], [0, 0, 0, 0, 7, 8, 9, 0, 0])
    np.testing.assert_array_equal(t.species_bins("mouse"), [4, 5, 6])
    np.testing.assert_array_equal(t.bin_starts(), [0, 25, 50, 75, 50, 75, 100, 200, 225])
    assert t.track_index([("MEL", "DNase")]).tolist() == [1]
    with pytest.raises(NcvError, match="no measured track"):
        t.track_index([("MEL", "H3K27ac")])
    with pytest.raises(NcvError, match="hold 6 bins"):
        make_track_tensor(
            {("K562", "DNase"): np.ones(5)}, cell_species={"K562": "human"}, regions=regions
        )


@pytest.fixture(scope="module")
def two_species():
    return low_rank_tensor(
        species=("human", "mouse"),
        n_cells=3,
        n_assays=3,
        n_bins=700,
        absent=[("mouse", "a2")],
        seed=1,
    )


def test_dense_batches_cover_each_training_pair_once_and_never_mix_species(two_species):
    t = two_species
    held = t.track_index([("human_c0", "a1")])
    train = np.setdiff1d(np.arange(t.n_tracks), held)
    seen = []
    sizes = []
    for batch in dense_batches(t, train, batch_size=500, rng=np.random.default_rng(0)):
        assert np.all(t.track_species[batch.track] == t.bin_species[batch.column])
        assert not np.isin(batch.track, held).any()
        seen.append(batch.track * t.n_bins + batch.column)
        sizes.append(len(batch.track))
    seen = np.concatenate(seen)
    expected = [
        r * t.n_bins + c for r in train for c in np.flatnonzero(t.bin_species == t.track_species[r])
    ]
    assert len(seen) == len(expected) and set(seen.tolist()) == set(expected)
    # a bin joins the batch its first sample falls in; a bin brings at most 9 tracks (human)
    assert all(abs(s - 500) < 9 for s in sizes[:-1]) and 0 < sizes[-1] < 500 + 9
    # the zero-shot assay's human tracks are trained, its (absent) mouse tracks do not exist
    mouse_a2 = [
        i for i, (c, a) in enumerate(t.track_names()) if c.startswith("mouse") and a == "a2"
    ]
    assert mouse_a2 == []


def test_dense_batches_are_permuted_and_seeded(two_species):
    t = two_species
    rows = np.arange(t.n_tracks)

    def first_columns(seed):
        batch = next(dense_batches(t, rows, batch_size=10**9, rng=np.random.default_rng(seed)))
        return batch.column[batch.track == 0]

    a, b, c = first_columns(5), first_columns(5), first_columns(6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.all(np.diff(a) > 0)  # not the sequential order


def test_a_cards_layout_gives_back_each_species_axis_bins(two_species):
    t = two_species
    layout = json.loads(json.dumps(tensor_layout(t)))
    assert layout["n_positions"] == t.n_positions
    for sp in t.species:
        np.testing.assert_array_equal(species_positions(layout, sp), t.position[t.species_bins(sp)])
    picked = t.select_tracks([0, 4])
    assert tensor_layout(picked) == tensor_layout(t) and picked.n_tracks == 2
    assert picked.track_names() == [t.track_names()[0], t.track_names()[4]]
    np.testing.assert_array_equal(picked.signal, t.signal[[0, 4]])
