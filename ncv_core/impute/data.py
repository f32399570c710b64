"""The in-memory tensor Avocado learns from, its genome axis, and dense batch sampling.

A :class:`TrackTensor` holds every measured track over a set of regions, already on the model
scale (25-bp bin means, arcsinh; see ``transform.py``): a ``(n_tracks, n_bins)`` matrix whose
rows are (cell type, assay) experiments and whose columns are 25-bp bins. Each cell type belongs
to one species; each bin belongs to one species, and a track has values only over its species'
bins (elsewhere its row holds 0 and is never read).

The genome axis. Column ``j`` sits at bin ``position[j]`` of the model's genome axis, the index
``g`` whose ``g // 10`` and ``g // 200`` pick the 250-bp and 5-kb factors. :func:`make_track_tensor`
lays regions out so that coarse factors mean what they mean on a genome: a region starts at an
axis bin congruent to its genomic bin modulo 200 (so its 5-kb rows follow the genome's 5-kb grid),
a region within 5 kb downstream of the previous one on the same chromosome keeps its genomic
distance (sharing coarse rows as the genome does), and any other region opens a fresh 5-kb row.
Two species, or two distant regions, therefore never share a 250-bp or 5-kb factor.

Sampling (:func:`dense_batches`) is dense: a batch is a set of bins, drawn in a permuted order,
times *all* the training tracks of each bin's species (the joint-species rule of the paper: a
position draws only experiments measured in its species).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from ncv_core.errors import NcvError

ALIGN = 200
"""Bins per 5-kb factor row: the alignment unit of the genome axis."""


@dataclass(frozen=True, eq=False)
class TrackTensor:
    """Measured tracks on the Avocado model scale, with their cell types, assays and bins.

    Attributes
    ----------
    signal : numpy.ndarray, shape (n_tracks, n_bins), float32
        arcsinh of 25-bp bin means; 0 outside the track's species.
    track_cell, track_assay : numpy.ndarray, shape (n_tracks,), int64
        Index of each track's cell type in ``cells`` and assay in ``assays``.
    cells, assays, species : tuple of str
        Names; ``cell_species[i]`` indexes ``species``.
    cell_species : numpy.ndarray, shape (n_cells,), int64
    position : numpy.ndarray, shape (n_bins,), int64
        Genome-axis bin of each column, strictly increasing.
    bin_species, bin_region : numpy.ndarray, shape (n_bins,), int64
        Species of each bin, and the region (index into the ``region_*`` fields) it lies in.
    region_species : numpy.ndarray, shape (n_regions,), int64
    region_chrom : tuple of str, length n_regions
    region_start, region_end : numpy.ndarray, shape (n_regions,), int64
        0-based half-open genomic interval of each region.
    bin_size : int
        Bases per bin (25).
    """

    signal: np.ndarray
    track_cell: np.ndarray
    track_assay: np.ndarray
    cells: tuple[str, ...]
    assays: tuple[str, ...]
    species: tuple[str, ...]
    cell_species: np.ndarray
    position: np.ndarray
    bin_species: np.ndarray
    bin_region: np.ndarray
    region_species: np.ndarray
    region_chrom: tuple[str, ...]
    region_start: np.ndarray
    region_end: np.ndarray
    bin_size: int = 25

    def __post_init__(self) -> None:
        n_tracks, n_bins = self.signal.shape
        if self.signal.dtype != np.float32 or not np.isfinite(self.signal).all():
            raise NcvError("TrackTensor.signal must be finite float32")
        if self.track_cell.shape != (n_tracks,) or self.track_assay.shape != (n_tracks,):
            raise NcvError("track_cell and track_assay need one entry per signal row")
        for name in ("position", "bin_species", "bin_region"):
            if getattr(self, name).shape != (n_bins,):
                raise NcvError(f"TrackTensor.{name} needs one entry per signal column")
        if n_bins and (self.position[0] < 0 or np.any(np.diff(self.position) <= 0)):
            raise NcvError("TrackTensor.position must be >= 0 and strictly increasing")
        for name, index, names in (
            ("track_cell", self.track_cell, self.cells),
            ("track_assay", self.track_assay, self.assays),
            ("cell_species", self.cell_species, self.species),
        ):
            if len(index) and not (0 <= index.min() and index.max() < len(names)):
                raise NcvError(f"TrackTensor.{name} indexes past its {len(names)} names")
        pairs = set(zip(self.track_cell.tolist(), self.track_assay.tolist(), strict=True))
        if len(pairs) != n_tracks:
            raise NcvError("a (cell type, assay) pair appears twice among the tracks")

    @property
    def n_tracks(self) -> int:
        return int(self.signal.shape[0])

    @property
    def n_bins(self) -> int:
        return int(self.signal.shape[1])

    @property
    def n_positions(self) -> int:
        """Length of the genome axis (the model's 25-bp table rows)."""
        return int(self.position[-1]) + 1 if self.n_bins else 0

    @property
    def track_species(self) -> np.ndarray:
        """Species of each track, shape (n_tracks,)."""
        return self.cell_species[self.track_cell]

    def track_names(self) -> list[tuple[str, str]]:
        """(cell type, assay) of each track, in row order."""
        return [
            (self.cells[c], self.assays[a])
            for c, a in zip(self.track_cell, self.track_assay, strict=True)
        ]

    def track_index(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Row of each (cell type, assay) pair; :class:`NcvError` for a pair not measured."""
        rows = {name: i for i, name in enumerate(self.track_names())}
        missing = [p for p in pairs if tuple(p) not in rows]
        if missing:
            raise NcvError(f"no measured track for (cell type, assay) {missing[:5]}")
        return np.array([rows[tuple(p)] for p in pairs], dtype=np.int64)

    def species_bins(self, species: str) -> np.ndarray:
        """Columns of ``species``' bins, in axis order."""
        if species not in self.species:
            raise NcvError(f"unknown species {species!r}; expected one of {list(self.species)}")
        return np.flatnonzero(self.bin_species == self.species.index(species))

    def select_tracks(self, rows: Sequence[int] | np.ndarray) -> TrackTensor:
        """The tensor restricted to tracks ``rows`` (same bins and genome axis).

        Cell types and assays left without a track are dropped; the rest keep their order.
        """
        rows = np.asarray(rows, dtype=np.int64)
        cells = np.unique(self.track_cell[rows])
        assays = np.unique(self.track_assay[rows])
        return replace(
            self,
            signal=self.signal[rows],
            track_cell=np.searchsorted(cells, self.track_cell[rows]),
            track_assay=np.searchsorted(assays, self.track_assay[rows]),
            cells=tuple(self.cells[i] for i in cells),
            assays=tuple(self.assays[i] for i in assays),
            cell_species=self.cell_species[cells],
        )

    def bin_starts(self) -> np.ndarray:
        """0-based genomic start of each bin, shape (n_bins,)."""
        first = np.searchsorted(self.bin_region, np.arange(len(self.region_start)))
        offset = np.arange(self.n_bins) - first[self.bin_region]
        return self.region_start[self.bin_region] + offset * self.bin_size


def place_regions(
    regions: Sequence[tuple[str, str, int, int]], *, bin_size: int = 25, align: int = ALIGN
) -> tuple[np.ndarray, np.ndarray]:
    """Axis offset and bin count of each region (see the module docstring for the rule).

    Parameters
    ----------
    regions : sequence of (species, chrom, start, end)
        0-based half-open intervals, in the order their bins will appear on the axis.
    align : int
        The 5-kb row length in bins (200); 1 gives plain concatenation.

    Returns
    -------
    offset, n_bins : numpy.ndarray, shape (n_regions,), int64
    """
    offsets, counts = [], []
    cursor, prev = 0, None
    for i, (species, chrom, start, end) in enumerate(regions):
        start, end = int(start), int(end)
        if not 0 <= start < end:
            raise NcvError(f"region {i} ({chrom}:{start}-{end}) is empty or negative")
        n, b0 = -(-(end - start) // bin_size), start // bin_size
        near = prev is not None and prev[:2] == (species, chrom) and start % bin_size == prev[4]
        if near and start < prev[3]:
            raise NcvError(f"region {i} ({chrom}:{start}-{end}) overlaps the region before it")
        gap = b0 - (prev[2] + counts[-1]) if near else align
        if near and gap < align:
            offset = offsets[-1] + (b0 - prev[2])
        else:
            offset = -(-cursor // align) * align + b0 % align
        offsets.append(offset)
        counts.append(n)
        cursor = offset + n
        prev = (species, chrom, b0, end, start % bin_size)
    return np.array(offsets, dtype=np.int64), np.array(counts, dtype=np.int64)


def make_track_tensor(
    tracks: Mapping[tuple[str, str], np.ndarray],
    *,
    cell_species: Mapping[str, str],
    regions: Sequence[tuple[str, str, int, int]],
    bin_size: int = 25,
    align: int = ALIGN,
) -> TrackTensor:
    """Assemble a :class:`TrackTensor` from per-track arrays.

    Parameters
    ----------
    tracks : mapping (cell type, assay) -> numpy.ndarray, shape (n_bins_of_species,)
        Model-scale values of each measured track over its species' bins: the bins of that
        species' regions, concatenated in ``regions`` order. Cell types and assays are numbered
        in order of first appearance.
    cell_species : mapping cell type -> species
    regions : sequence of (species, chrom, start, end)
        0-based half-open; species are numbered in order of first appearance.
    """
    if not len(regions):
        raise NcvError("a track tensor needs at least one region")
    species = tuple(dict.fromkeys(r[0] for r in regions))
    offset, counts = place_regions(regions, bin_size=bin_size, align=align)
    region_species = np.array([species.index(r[0]) for r in regions], dtype=np.int64)
    bin_region = np.repeat(np.arange(len(regions)), counts)
    position = np.concatenate([o + np.arange(n) for o, n in zip(offset, counts, strict=True)])
    bin_species = region_species[bin_region]
    cells = tuple(dict.fromkeys(c for c, _ in tracks))
    assays = tuple(dict.fromkeys(a for _, a in tracks))
    unknown = [c for c in cells if cell_species.get(c) not in species]
    if unknown:
        raise NcvError(f"cell types {unknown[:5]} have no species among the regions' {species}")
    c_species = np.array([species.index(cell_species[c]) for c in cells], dtype=np.int64)
    signal = np.zeros((len(tracks), len(position)), dtype=np.float32)
    for row, ((cell, assay), values) in enumerate(tracks.items()):
        cols = np.flatnonzero(bin_species == c_species[cells.index(cell)])
        values = np.asarray(values, dtype=np.float32)
        if values.shape != cols.shape:
            raise NcvError(
                f"track ({cell}, {assay}) has {values.shape} values; its species' regions "
                f"hold {len(cols)} bins of {bin_size} bp"
            )
        signal[row, cols] = values
    return TrackTensor(
        signal=signal,
        track_cell=np.array([cells.index(c) for c, _ in tracks], dtype=np.int64),
        track_assay=np.array([assays.index(a) for _, a in tracks], dtype=np.int64),
        cells=cells,
        assays=assays,
        species=species,
        cell_species=c_species,
        position=position.astype(np.int64),
        bin_species=bin_species,
        bin_region=bin_region,
        region_species=region_species,
        region_chrom=tuple(str(r[1]) for r in regions),
        region_start=np.array([r[2] for r in regions], dtype=np.int64),
        region_end=np.array([r[3] for r in regions], dtype=np.int64),
        bin_size=bin_size,
    )


class Batch(NamedTuple):
    """One training batch: sample ``i`` is track ``track[i]`` at column ``column[i]``."""

    track: np.ndarray
    column: np.ndarray


def dense_batches(
    tensor: TrackTensor, tracks: np.ndarray, *, batch_size: int, rng: np.random.Generator
) -> Iterator[Batch]:
    """One epoch of dense batches: permuted bins x all ``tracks`` of each bin's species.

    Parameters
    ----------
    tensor : TrackTensor
    tracks : numpy.ndarray, shape (n_train,), int64
        The rows that may be trained on (held-out rows excluded).
    batch_size : int
        Samples per batch, approximately: bins are never split, so a batch holds
        ``batch_size`` give or take one bin's tracks.
    rng : numpy.random.Generator
        Draws the bin order.

    Yields
    ------
    Batch
        Index arrays of shape (n_samples,); every sample's track is of its bin's species.
    """
    tracks = np.asarray(tracks, dtype=np.int64)
    by_species = [tracks[tensor.track_species[tracks] == s] for s in range(len(tensor.species))]
    per_bin = np.array([len(t) for t in by_species], dtype=np.int64)[tensor.bin_species]
    order = rng.permutation(np.flatnonzero(per_bin))
    counts = per_bin[order]
    batch_of = (np.cumsum(counts) - counts) // max(int(batch_size), 1)
    cuts = np.flatnonzero(np.diff(batch_of)) + 1
    for cols in np.split(order, cuts):
        parts_t, parts_c = [], []
        for s, rows in enumerate(by_species):
            here = cols[tensor.bin_species[cols] == s]
            if len(here) and len(rows):
                parts_t.append(np.repeat(rows, len(here)))
                parts_c.append(np.tile(here, len(rows)))
        yield Batch(np.concatenate(parts_t), np.concatenate(parts_c))
