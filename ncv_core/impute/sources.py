"""A :class:`~ncv_core.impute.data.TrackTensor` from tracks manifests over regions.

One :class:`SpeciesTracks` per species: the manifest rows to read (bigWig signal, optional
peaks), its regions snapped to the 25-bp grid (``regions.py``) and its contig lengths (from the
genome when given, else from the first bigWig's header; every other bigWig must agree).
:func:`read_track_tensor` reads each track's per-base signal over the regions
(``io.bigwig.region_signals``), takes 25-bp bin means and arcsinh (``encode_signal``) and
assembles the tensor (``make_track_tensor``): a (cell line, mark) the manifest lacks is simply
absent; a held-out one is present, and passed to ``fit_avocado(held_out=...)``.

Normalisation: ``normalize="none"`` (the default) feeds the bin means to arcsinh unchanged, as
the paper. ``normalize="median"`` divides each track's bin means by their median over the
regions first: tracks whose experiments differ in depth or gain by lab (like the demo's three
cell lines: log-normal gain, sigma 0.5, drawn per experiment) come to a common scale, which no
cell or assay embedding could predict for a track never measured. Where a track's scale is a
property of its cell line (shared by its assays, as in ``synthetic.low_rank_tensor``), the
embeddings learn it and normalising only removes information (docs/IMPUTATION.md has both
measured).

It also measures, for every track with a peaks file, the fraction of its bins (by bin centre)
inside a peak: the calibration of the peak rule of imputed tracks (``peaks.py``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ncv_core.coords import mismatched_contigs
from ncv_core.errors import NcvError
from ncv_core.impute.data import TrackTensor, make_track_tensor
from ncv_core.impute.regions import Region, region_bins, snap_regions
from ncv_core.impute.transform import BIN_SIZE, bin_means, to_model_scale
from ncv_core.io.bigwig import bigwig_contigs, region_signals
from ncv_core.io.genome import Genome
from ncv_core.io.manifest import TrackSpec
from ncv_core.io.peaks import in_peaks, read_peaks
from ncv_core.progress import ProgressFn, StopFlag, report, stopped


@dataclass(frozen=True)
class SpeciesTracks:
    """What to read for one species.

    Attributes
    ----------
    species : str
    specs : tuple of TrackSpec
        Manifest rows of this species' cell lines (measured tracks).
    regions : tuple of (chrom, start, end)
        Snapped, sorted, merged; contig names spelled as in ``chrom_sizes``.
    chrom_sizes : dict of str to int
        Lengths of the contigs the regions lie on.
    """

    species: str
    specs: tuple[TrackSpec, ...]
    regions: tuple[Region, ...]
    chrom_sizes: dict[str, int] = field(default_factory=dict)


def species_tracks(
    species: str,
    specs: Sequence[TrackSpec],
    regions: Sequence[Region],
    *,
    genome: str | os.PathLike | None = None,
    snap: bool = True,
) -> SpeciesTracks:
    """Check one species' tracks against each other (and ``genome``) and snap its regions.

    Raises
    ------
    NcvError
        No track; a bigWig whose contig lengths differ from the genome's or the first bigWig's
        (another build); a region on a contig they lack.
    """
    if not specs:
        raise NcvError(f"species {species!r} has no track to read")
    sizes: dict[str, int] | None = None
    if genome is not None:
        with Genome(genome) as g:
            sizes = dict(g.contigs)
            for spec in specs:
                g.check_compatible(
                    bigwig_contigs(spec.signal),
                    f"signal of {spec.cell_line} {spec.mark}",
                    spec.signal,
                )
    else:
        first = specs[0]
        sizes = bigwig_contigs(first.signal)
        for spec in specs[1:]:
            bad = mismatched_contigs(bigwig_contigs(spec.signal), sizes)
            if bad:
                name, mine, theirs = bad[0]
                raise NcvError(
                    f"{name} is {mine:,} bp here but {theirs:,} bp in {first.signal} "
                    "(another genome build?)",
                    path=spec.signal,
                )
    snapped = snap_regions(regions, chrom_sizes=sizes) if snap else [tuple(r) for r in regions]
    used = {c for c, _, _ in snapped}
    return SpeciesTracks(
        species, tuple(specs), tuple(snapped), {c: int(n) for c, n in sizes.items() if c in used}
    )


@dataclass
class TrackInputs:
    """A track tensor and what it was read from.

    Attributes
    ----------
    tensor : TrackTensor
    sources : list of SpeciesTracks
    peak_fraction : dict of (cell line, mark) to float
        Fraction of the track's bins whose centre lies in one of its peaks (tracks with peaks).
    scale : dict of (cell line, mark) to float
        What each track's bin means were divided by (1.0 without normalisation).
    normalize : str
        ``"median"`` or ``"none"``.
    """

    tensor: TrackTensor
    sources: list[SpeciesTracks]
    peak_fraction: dict[tuple[str, str], float]
    scale: dict[tuple[str, str], float] = field(default_factory=dict)
    normalize: str = "none"


NORMALIZE = ("none", "median")


def track_scale(binned: np.ndarray, normalize: str) -> float:
    """The divisor of a track's bin means: their median (else their mean, else 1) or 1."""
    if normalize not in NORMALIZE:
        raise NcvError(f"normalize must be one of {', '.join(NORMALIZE)}, got {normalize!r}")
    if normalize == "none":
        return 1.0
    for value in (np.median(binned), np.mean(binned)):
        if np.isfinite(value) and value > 0:
            return float(value)
    return 1.0


def bin_centres(regions: Sequence[Region], bin_size: int = BIN_SIZE) -> tuple[list, np.ndarray]:
    """Contig and 1-based position of each bin's centre base (offset ``bin_size // 2``, or the
    last base of a shorter last bin), in region order; shapes (n_bins,)."""
    chroms, starts = region_bins(regions, bin_size)
    ends = np.concatenate(
        [np.full(-(-(e - s) // bin_size), e, dtype=np.int64) for _, s, e in regions]
    )
    return chroms, np.minimum(starts + bin_size // 2, ends - 1) + 1


def peak_mask(peaks_path: str | os.PathLike, regions: Sequence[Region]) -> np.ndarray:
    """Whether each bin's centre lies in an interval of a BED/narrowPeak file, shape (n_bins,)."""
    chroms, centres = bin_centres(regions)
    return in_peaks(read_peaks(peaks_path), chroms, centres) > 0


def read_track_tensor(
    sources: Sequence[SpeciesTracks],
    *,
    normalize: str = "none",
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
) -> TrackInputs:
    """Read every track of ``sources`` over its species' regions into one tensor.

    Parameters
    ----------
    sources : sequence of SpeciesTracks
        Distinct species; a cell line belongs to one of them; the first is the model's first.
    normalize : {"none", "median"}
        Divide each track's bin means by their median first (module docstring).
    progress, stop
        ``progress`` gets ``stage="impute-read"``, ``done``/``total`` tracks; ``stop`` is
        checked between tracks (then :class:`NcvError`).

    Returns
    -------
    TrackInputs
    """
    track_scale(np.ones(1), normalize)  # check the name before reading anything
    names = [s.species for s in sources]
    if len(set(names)) != len(names):
        raise NcvError(f"species must be distinct, got {names}")
    cell_species: dict[str, str] = {}
    for src in sources:
        for spec in src.specs:
            if cell_species.setdefault(spec.cell_line, src.species) != src.species:
                raise NcvError(
                    f"cell line {spec.cell_line!r} appears in species "
                    f"{cell_species[spec.cell_line]} and {src.species}",
                    path=spec.signal,
                )
    total = sum(len(s.specs) for s in sources)
    tracks: dict[tuple[str, str], np.ndarray] = {}
    fractions: dict[tuple[str, str], float] = {}
    scales: dict[tuple[str, str], float] = {}
    done = 0
    for src in sources:
        for spec in src.specs:
            if stopped(stop):
                raise NcvError("reading the tracks was stopped")
            report(progress, "impute-read", done, total, track=f"{spec.cell_line} {spec.mark}")
            key = (spec.cell_line, spec.mark)
            binned = np.concatenate(
                [bin_means(v) for v in region_signals(spec.signal, src.regions)]
            )
            scales[key] = track_scale(binned, normalize)
            tracks[key] = to_model_scale(binned / scales[key])
            if spec.peaks is not None:
                fractions[(spec.cell_line, spec.mark)] = float(
                    peak_mask(spec.peaks, src.regions).mean()
                )
            done += 1
    report(progress, "impute-read", done, total)
    regions = [(s.species, c, a, b) for s in sources for (c, a, b) in s.regions]
    tensor = make_track_tensor(tracks, cell_species=cell_species, regions=regions)
    return TrackInputs(tensor, list(sources), fractions, scales, normalize)


def layout_regions(layout: Mapping) -> dict[str, list[Region]]:
    """The regions of a fitted model's genome axis (a card's ``layout``), per species."""
    out: dict[str, list[Region]] = {sp: [] for sp in layout["species"]}
    for r in layout["regions"]:
        out[r["species"]].append((r["chrom"], int(r["start"]), int(r["end"])))
    return out
