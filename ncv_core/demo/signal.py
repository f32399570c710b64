"""The demo's epigenomic tracks: a true signal per (cell line, mark), observed with noise.

A track is an array over global :data:`~ncv_core.demo.params.BIN`-bp bins. Its true signal is the
sum of element profiles (peaks at promoters and enhancers for DNase and the "sharp" histone
marks), gene-body profiles (H3K36me3, H3K79me2, H4K20me1 over expressed genes) and domains
(H3K9me3, H3K27me3). Each experiment then has its own gain, background level and noise, as
experiments from different labs and sequencing depths do; that is one reason a model trained on
one cell line's tracks does not transfer to another's.
"""

from __future__ import annotations

import numpy as np

from ncv_core.constants import MARKS
from ncv_core.demo import params as P
from ncv_core.demo.layout import Layout, contig_offsets

GENE_BODY_MARKS = ("H3K36me3", "H3K79me2", "H4K20me1")
DOMAIN_MARKS = ("H3K9me3", "H3K27me3")


def assay(mark: str) -> str:
    """``"DNase"`` or ``"histone"``: the kind of experiment, which sets its noise parameters."""
    return "DNase" if mark == "DNase" else "histone"


def experiment_parameters(
    rng: np.random.Generator, cells: tuple[str, ...]
) -> dict[str, dict[str, dict]]:
    """Gain, background level and background noise shape of every (cell line, mark) experiment.

    Returns
    -------
    dict
        ``{cell: {mark: {"gain": float, "background": float, "shape": float}}}``.
    """
    out: dict[str, dict[str, dict]] = {}
    for cell in cells:
        out[cell] = {}
        for mark in MARKS:
            out[cell][mark] = {
                "gain": round(float(rng.lognormal(0.0, P.EXPERIMENT_GAIN_SIGMA)), 4),
                "background": round(float(rng.uniform(*P.EXPERIMENT_BACKGROUND)), 4),
                "shape": round(float(rng.uniform(*P.EXPERIMENT_BACKGROUND_SHAPE[assay(mark)])), 4),
            }
    return out


def true_signal(layout: Layout, cell: str, mark: str, rng: np.random.Generator) -> np.ndarray:
    """The noiseless signal of one mark in one cell line, shape ``(n_bins,)`` float64.

    Units: multiples of :data:`~ncv_core.demo.params.PEAK_SCALE` above background.
    """
    out = np.zeros(layout.size // P.BIN, dtype=np.float64)
    if mark in P.ELEMENT_PROFILES:
        for kind, (centers, activity) in layout.elements(cell).items():
            if kind in P.ELEMENT_PROFILES[mark]:
                _add_elements(out, centers, activity, P.ELEMENT_PROFILES[mark][kind], mark, rng)
    elif mark in GENE_BODY_MARKS:
        _add_gene_bodies(out, layout, cell, mark)
    elif mark in DOMAIN_MARKS:
        starts, ends = layout.domain_intervals(cell, mark)
        _add_domains(out, starts, ends, rng)
    else:
        raise ValueError(f"unknown mark {mark!r}; expected one of {', '.join(MARKS)}")
    return out


def _add_elements(
    out: np.ndarray,
    centers: np.ndarray,
    activity: np.ndarray,
    profile: tuple[float, int, int],
    mark: str,
    rng: np.random.Generator,
) -> None:
    """Add one Gaussian (lobe 0) or two flanking Gaussians per element, scaled by its height."""
    amp, lobe, sigma = profile
    exponent, jitter = P.ACTIVITY_EXPONENT[assay(mark)], P.MARK_JITTER[assay(mark)]
    height = amp * activity**exponent * rng.lognormal(0.0, jitter, len(activity))
    reach = (lobe + 3 * sigma) // P.BIN + 1
    offsets = np.arange(-reach, reach + 1)
    x = offsets * P.BIN + P.BIN / 2
    if lobe:
        shape = _gauss(x, -lobe, sigma) + _gauss(x, lobe, sigma)
    else:
        shape = _gauss(x, 0, sigma)
    idx = (centers // P.BIN)[:, None] + offsets[None, :]
    np.add.at(out, idx.ravel(), (height[:, None] * shape[None, :]).ravel())


def _gauss(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    return np.exp(-((x - mu) ** 2) / (2 * sigma**2))


def _add_gene_bodies(out: np.ndarray, layout: Layout, cell: str, mark: str) -> None:
    """Transcription-coupled marks over expressed genes, shaped along the gene from its TSS.

    H3K36me3 rises towards the 3' end, H3K79me2 decays from the 5' end, H4K20me1 covers the
    body with a 5' bias.
    """
    g = layout.genes[layout.genes[f"expr_{cell}"] > 0]
    for start, end, strand, expr in zip(
        g["start"].tolist(),
        g["end"].tolist(),
        g["strand"].tolist(),
        g[f"expr_{cell}"].tolist(),
        strict=True,
    ):
        b0, b1 = start // P.BIN, max(end // P.BIN, start // P.BIN + 1)
        frac = (np.arange(b1 - b0) + 0.5) / (b1 - b0)
        if strand < 0:
            frac = frac[::-1]
        length = (end - start) / 1_000.0  # kb
        from_tss = frac * length  # kb
        if mark == "H3K36me3":
            shape = 0.25 + 0.75 * frac
        elif mark == "H3K79me2":
            shape = np.exp(-from_tss / (0.3 * length + 2.0))
        else:
            shape = 0.4 + 0.6 * np.exp(-from_tss / (0.5 * length + 2.0))
        out[b0:b1] += expr ** P.ACTIVITY_EXPONENT["histone"] * shape


def _add_domains(
    out: np.ndarray, starts: np.ndarray, ends: np.ndarray, rng: np.random.Generator
) -> None:
    """Broad, patchy domains: unit level times a log-normal patchiness per 1-kb block."""
    block = 1_000 // P.BIN
    patch = np.repeat(rng.lognormal(0.0, 0.4, len(out) // block + 1), block)[: len(out)]
    mask = np.zeros(len(out), dtype=bool)
    for s, e in zip((starts // P.BIN).tolist(), (ends // P.BIN).tolist(), strict=True):
        mask[s:e] = True
    out += np.where(mask, patch, 0.0)


def resolution(mark: str) -> int:
    """Bin size of a mark's written track, bp: ``BIN`` for DNase, ``HISTONE_RESOLUTION`` else."""
    return P.BIN if assay(mark) == "DNase" else P.HISTONE_RESOLUTION


def observe(true: np.ndarray, mark: str, experiment: dict, rng: np.random.Generator) -> np.ndarray:
    """One experiment's measured signal at the mark's :func:`resolution`.

    ``gain * (background + scale * true * noise)``, where ``true`` is first averaged into the
    track's bins, the background is gamma distributed per ``BACKGROUND_BLOCK`` (the experiment's
    shape) and the noise is log-normal per bin (sigma ``experiment["bin_noise"]`` when given, else
    ``BIN_NOISE``). Values are rounded to 0.01.

    Parameters
    ----------
    true : numpy.ndarray
        Shape ``(n_bins,)`` at ``BIN`` resolution, from :func:`true_signal`.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_bins // step,)`` float64, non-negative, ``step = resolution(mark) // BIN``.
    """
    step = resolution(mark) // P.BIN
    true = true.reshape(-1, step).mean(axis=1)
    n = len(true)
    block = P.BACKGROUND_BLOCK // resolution(mark)
    shape = experiment["shape"]
    bg = np.repeat(rng.gamma(shape, experiment["background"] / shape, n // block + 1), block)[:n]
    noise = rng.lognormal(0.0, experiment.get("bin_noise", P.BIN_NOISE[assay(mark)]), n)
    return np.round(experiment["gain"] * (bg + P.PEAK_SCALE[mark] * true * noise), 2)


def to_intervals(
    signal: np.ndarray, contigs: dict[str, int], width: int
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Run-length encode a track of ``width``-bp bins per contig as bigWig intervals.

    Returns
    -------
    dict of str to (starts, ends, values)
        Half-open intervals merging equal neighbouring bins; each array shape ``(k,)``.
    """
    out = {}
    for name, off in contig_offsets(contigs).items():
        v = signal[off // width : (off + contigs[name]) // width]
        change = np.flatnonzero(np.diff(v)) + 1
        first = np.concatenate([[0], change])
        last = np.concatenate([change, [len(v)]])
        out[name] = (first * width, last * width, v[first])
    return out


def call_peaks(
    signal: np.ndarray, mark: str, experiment: dict, contigs: dict[str, int], width: int
) -> list[tuple[str, int, int, float]]:
    """Peaks: runs of bins whose fold over the experiment's background passes a threshold.

    ``signal`` has ``width``-bp bins. Broad marks are smoothed (moving average over
    ``BROAD_SMOOTH_BP``) first and need runs at least that long; sharp marks need two bins. The
    peak's signal is the run's maximum of the raw signal.

    Returns
    -------
    list of (chrom, start, end, signal)
        Local 0-based half-open coordinates, genome order.
    """
    fold = signal / (experiment["gain"] * experiment["background"])
    broad = mark not in P.SHARP_MARKS
    if broad:
        k = max(P.BROAD_SMOOTH_BP // width, 1)
        kernel = np.ones(k) / k
        fold = np.convolve(fold, kernel, mode="same")
    above = fold > P.PEAK_FOLD["broad" if broad else "sharp"]
    min_bins = k if broad else 2
    peaks = []
    for name, off in contig_offsets(contigs).items():
        b0, b1 = off // width, (off + contigs[name]) // width
        edges = np.diff(np.concatenate([[0], above[b0:b1].astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        keep = ends - starts >= min_bins
        starts, ends = starts[keep], ends[keep]
        if len(starts) == 0:
            continue
        bounds = np.stack([starts, ends], axis=1).ravel()
        bounds = bounds[:-1] if bounds[-1] == b1 - b0 else bounds
        top = np.maximum.reduceat(signal[b0:b1], bounds)[::2]
        peaks += [
            (name, s * width, e * width, float(t))
            for s, e, t in zip(starts.tolist(), ends.tolist(), top.tolist(), strict=True)
        ]
    return peaks
