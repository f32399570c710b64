"""Tracks manifests over regions -> a fitted Avocado model and its card, in one call.

:func:`fit_tracks` is what ``ncv impute fit`` and the app's Imputation page run: read the tensor
(``sources.read_track_tensor``), train (``fit_avocado``; with ``base``, only the new cell lines'
rows), score the held-out tracks (``scoring.score_tracks``) and assemble the model card: the
fit's own card plus the contig lengths, the measured tracks, the peak rule's calibration, the
held-out metrics and where the inputs came from (docs/IMPUTATION.md lists the fields).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ncv_core import __version__
from ncv_core.coords import mismatched_contigs
from ncv_core.errors import NcvError
from ncv_core.impute.peaks import mark_peak_fractions
from ncv_core.impute.result import AvocadoFit
from ncv_core.impute.scoring import score_tracks, summarize_scores
from ncv_core.impute.sources import (
    SpeciesTracks,
    TrackInputs,
    layout_regions,
    peak_mask,
    read_track_tensor,
)
from ncv_core.impute.train import BATCH_SIZE, fit_avocado
from ncv_core.io.bigwig import bigwig_contigs
from ncv_core.io.manifest import TrackSpec, read_manifest
from ncv_core.progress import ProgressFn, StopFlag

PEAK_RULE = (
    "peaks of an imputed track: its round(f * n_bins) highest 25-bp bins, consecutive ones "
    "merged; f = mean over the mark's measured tracks of the fraction of bins whose centre "
    "lies in one of the track's peaks (over the model's regions)"
)


@dataclass
class TracksFit:
    """A fit, its card, the tensor it was read from, and the held-out scores (one row each)."""

    fit: AvocadoFit
    card: dict[str, Any]
    inputs: TrackInputs
    scores: list[dict[str, Any]] = field(default_factory=list)


def base_sources(
    card: Mapping[str, Any], specs: Mapping[str, Sequence[TrackSpec]]
) -> list[SpeciesTracks]:
    """Sources on a fitted model's genome axis (its regions and contigs), every species of the
    card in its order, with the given manifest rows (``species -> rows``; others get none)."""
    unknown = sorted(set(specs) - set(card["layout"]["species"]))
    if unknown:
        raise NcvError(f"species {unknown} are not in the model (it has {card['species']})")
    for sp, rows in specs.items():
        for spec in rows:
            bad = mismatched_contigs(bigwig_contigs(spec.signal), card["chrom_sizes"][sp])
            if bad:
                name, mine, theirs = bad[0]
                raise NcvError(
                    f"{name} is {mine:,} bp here but {theirs:,} bp in the model's {sp} genome "
                    "(another build?)",
                    path=spec.signal,
                )
    regions = layout_regions(card["layout"])
    return [
        SpeciesTracks(sp, tuple(specs.get(sp, ())), tuple(regions[sp]), card["chrom_sizes"][sp])
        for sp in card["layout"]["species"]
    ]


def _measured(inputs: TrackInputs) -> tuple[list[dict], list[list]]:
    """Manifest rows (with their species) and per-track peak fractions of the tensor's tracks."""
    rows = []
    for src in inputs.sources:
        for spec in src.specs:
            row = {**spec.describe(), "species": src.species}
            row["signal"] = os.path.abspath(spec.signal)
            row["peaks"] = None if spec.peaks is None else os.path.abspath(spec.peaks)
            rows.append(row)
    fractions = [[c, m, f] for (c, m), f in inputs.peak_fraction.items()]
    return rows, fractions


def _card(run: TracksFit, base_card: Mapping | None, provenance: Mapping | None) -> dict:
    """The model card of a run (module docstring)."""
    card = run.fit.card()
    rows, fractions = _measured(run.inputs)
    if base_card is not None:
        rows = list(base_card["tracks"]) + rows
        fractions = list(base_card["peaks"]["tracks"]) + fractions
    scales = [[c, m, f] for (c, m), f in run.inputs.scale.items()]
    if base_card is not None:
        scales = list(base_card["transform"]["track_scale"]) + scales
    by_mark: dict[str, list[float]] = {}
    for _, m, f in scales:
        by_mark.setdefault(m, []).append(float(f))
    card["transform"].update(
        normalize=run.inputs.normalize,
        track_scale=scales,
        mark_scale={m: float(np.mean(v)) for m, v in by_mark.items()},
    )
    sizes = dict(base_card["chrom_sizes"]) if base_card is not None else {}
    sizes.update({s.species: dict(s.chrom_sizes) for s in run.inputs.sources if s.specs})
    card.update(
        created_by=f"ncv-explorer {__version__}",
        species=list(card["layout"]["species"]),
        bin_size=int(card["layout"]["bin_size"]),
        chrom_sizes=sizes,
        tracks=rows,
        measured=[[r["cell_line"], r["mark"]] for r in rows],
        peaks={
            "rule": PEAK_RULE,
            "tracks": fractions,
            "marks": mark_peak_fractions({(c, m): f for c, m, f in fractions}),
        },
        metrics={"held_out": summarize_scores(run.scores), "tracks": run.scores}
        if run.scores
        else {},
        provenance=dict(provenance or {}),
    )
    return card


def fit_tracks(
    sources: Sequence[SpeciesTracks],
    *,
    held_out: Sequence[tuple[str, str]] = (),
    size: str = "small",
    epochs: int = 20,
    batch_size: int = BATCH_SIZE,
    lr: float = 1e-3,
    seed: int = 0,
    normalize: str = "none",
    base: tuple[AvocadoFit, Mapping[str, Any]] | None = None,
    provenance: Mapping[str, Any] | None = None,
    device: str | torch.device | None = None,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
) -> TracksFit:
    """Read, train, score the held-out tracks, and build the card.

    Parameters
    ----------
    sources : sequence of SpeciesTracks
        One per species (``sources.species_tracks``; with ``base``, ``base_sources``).
    held_out : sequence of (cell line, mark)
        Measured tracks kept out of training and scored at the end.
    size, epochs, batch_size, lr, seed, device
        As :func:`~ncv_core.impute.train.fit_avocado`.
    normalize : {"none", "median"}
        Per-track normalisation before arcsinh (``sources.read_track_tensor``).
    base : (AvocadoFit, card), optional
        Add the sources' new cell lines to this model, everything else frozen (the base's
        normalisation is used).
    provenance : mapping, optional
        Where the inputs came from (manifest and regions paths), recorded in the card.
    progress, stop
        Stages ``impute-read`` (tracks read) and ``impute-fit`` (epochs); ``stop`` ends training
        between batches (the card then says ``stopped``).

    Returns
    -------
    TracksFit
    """
    if base is not None:
        fresh = {s.cell_line for src in sources for s in src.specs} & set(base[0].cells)
        if fresh:
            raise NcvError(
                f"cell lines {sorted(fresh)} are already in the base model; --add-cell-line "
                "adds new ones only"
            )
    if base is not None:
        normalize = base[1]["transform"].get("normalize", "none")
    inputs = read_track_tensor(sources, normalize=normalize, progress=progress, stop=stop)
    held = [tuple(p) for p in held_out]
    present = set(inputs.tensor.track_names())
    missing = [p for p in held if p not in present]
    if missing:
        raise NcvError(f"held-out tracks {missing} are not in the manifest(s)")
    fit = fit_avocado(
        inputs.tensor,
        size=size,
        held_out=held,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        base=None if base is None else base[0],
        device=device,
        progress=progress,
        stop=stop,
    )
    run = TracksFit(fit=fit, card={}, inputs=inputs)
    if held:
        run.scores = score_tracks(fit, inputs, held, device=device)
    run.card = _card(run, None if base is None else base[1], provenance)
    return run


def card_specs(card: Mapping[str, Any]) -> dict[str, list[TrackSpec]]:
    """The measured tracks a card lists, as manifest rows per species (files must exist)."""
    out: dict[str, list[TrackSpec]] = {}
    for row in card["tracks"]:
        signal = Path(row["signal"])
        peaks = Path(row["peaks"]) if row.get("peaks") else None
        for path in (signal, peaks):
            if path is not None and not path.exists():
                raise NcvError(
                    f"the model's track {row['cell_line']} {row['mark']} is gone (moved?)",
                    path=path,
                )
        spec = TrackSpec(row["cell_line"], row["mark"], signal, peaks, 0)
        out.setdefault(row["species"], []).append(spec)
    return out


def evaluate_tracks(
    fit: AvocadoFit,
    card: Mapping[str, Any],
    *,
    truth: str | os.PathLike | None = None,
    tracks: Sequence[tuple[str, str]] | None = None,
    promoters: str | os.PathLike | None = None,
    device: str | torch.device | None = None,
) -> list[dict[str, Any]]:
    """Score a fitted model's imputations against measured truth (``scoring.score_tracks``).

    Parameters
    ----------
    truth : path, optional
        A manifest of measured tracks of the model's cell lines that it never trained on (the
        demo's ``impute/hidden.tsv``); rows the card already lists are ignored.
    tracks : sequence of (cell line, mark), optional
        What to score; default the held-out tracks and every ``truth`` row.
    promoters : path, optional
        BED of promoters on the first species' genome: the MSE there too.
    """
    specs = card_specs(card)
    known = {(s.cell_line, s.mark) for rows in specs.values() for s in rows}
    extra: list[tuple[str, str]] = []
    for spec in read_manifest(truth) if truth is not None else []:
        if spec.cell_line not in fit.cells:
            raise NcvError(f"cell line {spec.cell_line!r} is not in the model", path=truth)
        if (spec.cell_line, spec.mark) not in known:
            species = fit.cell_species[fit.cells.index(spec.cell_line)]
            specs.setdefault(species, []).append(spec)
            extra.append((spec.cell_line, spec.mark))
    normalize = card["transform"].get("normalize", "none")
    inputs = read_track_tensor(base_sources(card, specs), normalize=normalize)
    chosen = [tuple(p) for p in tracks] if tracks is not None else [*fit.held_out, *extra]
    if not chosen:
        raise NcvError("nothing to score: the model held no track out; give --truth or --track")
    mask = None
    if promoters is not None:
        first = inputs.sources[0]
        mask = np.zeros(inputs.tensor.n_bins, dtype=bool)
        mask[inputs.tensor.species_bins(first.species)] = peak_mask(promoters, first.regions)
    return score_tracks(fit, inputs, chosen, promoters=mask, device=device)
