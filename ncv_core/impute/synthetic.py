"""A synthetic (cell type x assay x position) tensor with a known low-rank structure.

Signal ``raw[c, a, g] = sum_k C[c, k] * A[a, k] * P[g, k]`` (a non-negative CP decomposition),
put on the model scale with ``arcsinh`` plus Gaussian noise. Cell factors are log-normal
(sigma 1), so cell types differ strongly and the average-activity baseline is a poor guess; assay
factors are shared by every species (the premise of zero-shot imputation); position factors are
smooth at the 5-kb and 250-bp scales plus 25-bp detail, so all three resolutions of the model
carry information. Used by the tests, the benchmark and the demo.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ncv_core.impute.data import TrackTensor, make_track_tensor

REGION_BINS = 1000
"""Bins per synthetic region (25 kb); regions are 1 Mb apart on ``chr1`` of each species."""


def _smooth(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """Unit-variance noise smoothed by a moving average of ``width`` bins, shape (n,)."""
    x = rng.standard_normal(n + width)
    y = np.convolve(x, np.ones(width) / np.sqrt(width), mode="valid")[:n]
    return y / y.std()


def _position_factors(rng: np.random.Generator, n_bins: int, rank: int) -> np.ndarray:
    """Non-negative, multi-scale position factors, shape (n_bins, rank)."""
    cols = []
    for _ in range(rank):
        z = 0.8 * _smooth(rng, n_bins, 200) + 0.8 * _smooth(rng, n_bins, 10)
        z += 0.4 * rng.standard_normal(n_bins)
        cols.append(np.log1p(np.exp(2.0 * z - 1.0)))
    return np.stack(cols, axis=1)


def low_rank_tensor(
    *,
    species: Sequence[str] = ("human",),
    n_cells: int = 8,
    n_assays: int = 6,
    n_bins: int = 4000,
    rank: int = 4,
    noise: float = 0.05,
    absent: Sequence[tuple[str, str]] = (),
    seed: int = 0,
) -> TrackTensor:
    """Every (cell type, assay) track of a synthetic low-rank tensor.

    Parameters
    ----------
    species : sequence of str
        One block of ``n_cells`` cell types (``{species}_c{i}``) and ``n_bins`` bins per species.
    n_assays : int
        Assays ``a0`` ... shared by all species, with one factor matrix.
    n_bins : int
        Bins per species, in regions of :data:`REGION_BINS`.
    rank, noise : int, float
        CP rank; standard deviation of the Gaussian noise on the arcsinh scale.
    absent : sequence of (species, assay)
        Assays not measured at all in a species (left out of the tensor).
    seed : int

    Returns
    -------
    TrackTensor
        ``len(species) * n_cells * n_assays`` tracks minus the absent ones.
    """
    rng = np.random.default_rng(seed)
    assay_f = rng.gamma(1.0, 1.0, size=(n_assays, rank))
    tracks: dict[tuple[str, str], np.ndarray] = {}
    cell_species: dict[str, str] = {}
    regions = []
    for sp in species:
        pos_f = _position_factors(rng, n_bins, rank)
        cell_f = rng.lognormal(0.0, 1.0, size=(n_cells, rank))
        for start in range(0, n_bins, REGION_BINS):
            n = min(REGION_BINS, n_bins - start)
            begin = 1_000_000 * (1 + start // REGION_BINS)
            regions.append((sp, "chr1", begin, begin + 25 * n))
        for c in range(n_cells):
            cell_species[f"{sp}_c{c}"] = sp
            for a in range(n_assays):
                if (sp, f"a{a}") in set(map(tuple, absent)):
                    continue
                raw = pos_f @ (cell_f[c] * assay_f[a])
                value = np.arcsinh(raw) + noise * rng.standard_normal(n_bins)
                tracks[(f"{sp}_c{c}", f"a{a}")] = value.astype(np.float32)
    return make_track_tensor(tracks, cell_species=cell_species, regions=regions)
