"""Pseudo-labels from several species at once (Phan et al.): one table, one rejection report.

:func:`pseudo_label_species` runs :func:`~ncv_core.features.pseudo_labels.pseudo_labels` for each
(chain file, target genome) pair and stacks the tables (ids are ``<species>:<source id>``, so
they never clash); every rejection's reason is prefixed with its species. :func:`species_name`
names a species after its chain file (``hg19ToMm10.over.chain.gz`` -> ``mm10``,
``demo_to_dog_like.over.chain.gz`` -> ``dog_like``).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ncv_core.errors import NcvError
from ncv_core.features.pseudo_labels import PSEUDO_LABEL_COLUMNS, PseudoLabels, pseudo_labels
from ncv_core.progress import ProgressFn, StopFlag
from ncv_core.rejections import Rejection

COUNT_COLUMNS: tuple[str, ...] = ("species", "n_input", "n_lifted", "n_windows", "n_rejected")
"""Leading columns of :attr:`SpeciesLabels.counts`; one column per rejection category follows."""


@dataclass(frozen=True)
class Target:
    """One species to lift to: its name, the chain file from the loci's genome, its FASTA."""

    name: str
    chain: Path
    genome: Path


@dataclass
class SpeciesLabels:
    """The pseudo-labels of every species.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns :data:`~ncv_core.features.pseudo_labels.PSEUDO_LABEL_COLUMNS`, species after
        species in the order given.
    rejected : list of Rejection
        Every species' rejections (reason ``"<species>: ..."``), species by species, each in
        input order.
    counts : pandas.DataFrame
        One row per species: :data:`COUNT_COLUMNS`, then the count of each rejection category.
    by_species : dict of str to PseudoLabels
        Each species' own result (reasons without the prefix).
    """

    table: pd.DataFrame
    rejected: list[Rejection] = field(default_factory=list)
    counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_species: dict[str, PseudoLabels] = field(default_factory=dict)


def species_name(chain: str | os.PathLike) -> str:
    """The species a chain file lifts to, from its name: the part after ``To`` or ``_to_``
    (``hg19ToMm10.over.chain.gz`` -> ``mm10``), else the name without ``.over.chain[.gz]``."""
    name = Path(chain).name
    for suffix in (".gz", ".chain", ".over"):
        name = name.removesuffix(suffix)
    parts = re.split(r"_to_|To(?=[A-Z0-9])", name)
    last = parts[-1] if len(parts) > 1 and parts[-1] else name
    return last[:1].lower() + last[1:]


def pseudo_label_species(
    loci: pd.DataFrame,
    targets: list[Target],
    *,
    window: int,
    min_match: float = 0.95,
    max_n_fraction: float = 0.5,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
) -> SpeciesLabels:
    """Pseudo-labelled windows of ``loci`` in every target species.

    Parameters
    ----------
    loci : pandas.DataFrame
        ``N`` labelled loci (see :func:`~ncv_core.features.pseudo_labels.pseudo_labels`).
    targets : list of Target
        Distinct species names.
    window, min_match, max_n_fraction
        Passed to each species' run.
    progress : callable, optional
        Receives the lift's events with ``species`` added.
    stop : object with ``is_set()``, optional

    Returns
    -------
    SpeciesLabels

    Raises
    ------
    NcvError
        If no target is given, two share a name, or a species' run fails (naming it).
    """
    if not targets:
        raise NcvError("give at least one chain file and target genome")
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise NcvError(f"species names must differ, got {names}")
    tables, rejected, rows, results = [], [], [], {}
    for t in targets:

        def tagged(ev: dict, name: str = t.name) -> None:
            if progress is not None:
                progress({**ev, "species": name})

        try:
            res = pseudo_labels(
                loci,
                t.chain,
                t.genome,
                window=window,
                species=t.name,
                min_match=min_match,
                max_n_fraction=max_n_fraction,
                progress=tagged,
                stop=stop,
            )
        except NcvError as exc:
            raise NcvError(f"species {t.name}: {exc}") from exc
        results[t.name] = res
        tables.append(res.table)
        rejected += [replace(r, reason=f"{t.name}: {r.reason}") for r in res.rejected]
        rows.append(_count_row(t.name, res))
    table = pd.concat(tables, ignore_index=True)[list(PSEUDO_LABEL_COLUMNS)]
    counts = pd.DataFrame(rows).fillna(0)
    for col in counts.columns[1:]:
        counts[col] = counts[col].astype(int)
    return SpeciesLabels(table=table, rejected=rejected, counts=counts, by_species=results)


def _count_row(name: str, res: PseudoLabels) -> dict:
    row = {
        "species": name,
        "n_input": res.n_input,
        "n_lifted": res.n_lifted,
        "n_windows": len(res.table),
        "n_rejected": len(res.rejected),
    }
    row.update(Counter(r.category for r in res.rejected))
    return row
