"""Cross-species pseudo-labels (Phan et al.): labelled human loci -> other genomes' windows.

Each labelled locus is lifted through a chain file (:func:`~ncv_core.features.liftover.lift_loci`,
UCSC liftOver semantics) and the target genome's ``window``-bp sequence around the lifted base
gets the human label. On a ``-`` chain the window is reverse-complemented, so it reads in the
source's orientation, and it is placed so that the lifted base sits at offset ``window // 2`` of
the returned sequence in both orientations (the convention of every window in the package): on
the forward strand the window is ``[p - window//2, p - window//2 + window)`` around the 0-based
lifted base ``p``; on a ``-`` chain it is ``[p - (window - 1 - window//2), ...)`` before the
reverse complement. For intervals (peaks), the lifted base is the middle base of the lifted
interval in the source's orientation (offset ``length // 2``) and ``source_pos`` the source
interval's middle base.

Windows that run off the target contig, contigs of the chain that the FASTA lacks, and windows
more than ``max_n_fraction`` N are rejected with a reason, next to the lift's own rejections.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ncv_core.errors import NcvError
from ncv_core.features.liftover import lift_loci, row_references
from ncv_core.io.chain_files import ChainIndex, open_chain
from ncv_core.io.genome import Genome
from ncv_core.progress import ProgressFn, StopFlag
from ncv_core.rejections import Rejection
from ncv_core.sequence import reverse_complement

PSEUDO_LABEL_COLUMNS: tuple[str, ...] = (
    "id",
    "chrom",
    "pos",
    "label",
    "seq",
    "source_chrom",
    "source_pos",
    "strand",
    "species",
)
"""Columns of a pseudo-label table; ``chrom``/``pos`` (1-based) are the target genome's."""


@dataclass
class PseudoLabels:
    """A species' pseudo-labelled windows and the loci that gave none.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns :data:`PSEUDO_LABEL_COLUMNS`; ``id`` is ``<species>:<source id>`` (the source id
        is the input's ``id`` where not empty, else ``<chrom>:<pos>`` of the source), so tables
        of several species concatenate without clashes; ``label`` is nullable Int8 (missing
        stays missing).
    rejected : list of Rejection
        Lift and window rejections, in input order.
    n_input, n_lifted : int
        Loci given, and loci the chain mapped.
    """

    table: pd.DataFrame
    rejected: list[Rejection] = field(default_factory=list)
    n_input: int = 0
    n_lifted: int = 0


def pseudo_labels(
    loci: pd.DataFrame,
    chain: ChainIndex | str | os.PathLike,
    genome: Genome | str | os.PathLike,
    *,
    window: int,
    species: str,
    min_match: float = 0.95,
    max_n_fraction: float = 0.5,
    progress: ProgressFn | None = None,
    stop: StopFlag | None = None,
) -> PseudoLabels:
    """Lift labelled loci to a target genome and take its windows with the source labels.

    Parameters
    ----------
    loci : pandas.DataFrame
        ``N`` rows: ``chrom``, ``pos`` (1-based) or ``start``/``end`` (0-based intervals),
        ``label``, optionally ``id``, ``_line``/``_raw`` (see
        :func:`~ncv_core.features.liftover.lift_loci`).
    chain : ChainIndex or path
        Chain file from the loci's genome to the target genome.
    genome : Genome or path
        The target genome's FASTA; its contig lengths must agree with the chain's target side.
    window : int
        Window length ``W``; the lifted base is at offset ``W // 2`` of each ``seq``.
    species : str
        Written into the ``species`` column and the ids.
    min_match : float
        Passed to the lift (intervals only).
    max_n_fraction : float
        Windows with more N than this fraction are rejected.
    progress, stop
        Passed to the lift.

    Returns
    -------
    PseudoLabels

    Raises
    ------
    NcvError
        If ``loci`` has no ``label`` column, ``window`` < 1, or the FASTA is not the chain's
        target genome (a contig length differs).
    """
    if window < 1:
        raise NcvError(f"the window must be at least 1 bp, got {window}")
    if "label" not in loci.columns:
        raise NcvError(f"pseudo-labels need a label column; the table has {list(loci.columns)}")
    if not str(species).strip():
        raise NcvError("the species name must not be empty")
    index = chain if isinstance(chain, ChainIndex) else open_chain(chain)
    lines, raws = row_references(loci)
    loci = loci.assign(_line=lines, _raw=raws)
    lifted = lift_loci(loci, index, min_match=min_match, progress=progress, stop=stop)
    own = not isinstance(genome, Genome)
    ref = Genome(genome) if own else genome
    try:
        ref.check_compatible(index.target_contigs, "the chain file's target genome", index.path)
        table, rejected = _windows(lifted.table, lifted.kind, ref, window, species, max_n_fraction)
    finally:
        if own:
            ref.close()
    rejected = sorted(lifted.rejected + rejected, key=lambda r: r.line)
    return PseudoLabels(
        table=table, rejected=rejected, n_input=lifted.n_input, n_lifted=len(lifted.table)
    )


def _centers(lifted: pd.DataFrame, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """0-based lifted base and 1-based source position of each row; each shape ``(n,)``."""
    minus = lifted["strand"].to_numpy() == "-"
    if kind == "points":
        return lifted["pos"].to_numpy(np.int64) - 1, lifted["source_pos"].to_numpy(np.int64)
    start, end = lifted["start"].to_numpy(np.int64), lifted["end"].to_numpy(np.int64)
    half = (end - start) // 2
    center = np.where(minus, end - 1 - half, start + half)
    s0, s1 = lifted["source_start"].to_numpy(np.int64), lifted["source_end"].to_numpy(np.int64)
    return center, s0 + (s1 - s0) // 2 + 1


def _windows(
    lifted: pd.DataFrame,
    kind: str,
    genome: Genome,
    window: int,
    species: str,
    max_n_fraction: float,
) -> tuple[pd.DataFrame, list[Rejection]]:
    """The oriented windows of the lifted rows, and the rows whose window is unusable."""
    center, source_pos = _centers(lifted, kind)
    minus = lifted["strand"].to_numpy() == "-"
    start = center - np.where(minus, window - 1 - window // 2, window // 2)
    names = [genome.resolve(c) for c in lifted["chrom"].astype(str)]
    sizes = np.array([genome.contigs.get(n, 0) if n else 0 for n in names], dtype=np.int64)
    lines, raws = lifted["_line"].astype(int).tolist(), lifted["_raw"].astype(str).tolist()
    rejected: list[Rejection] = []
    ok = np.ones(len(lifted), dtype=bool)
    for i in range(len(lifted)):
        chrom = lifted["chrom"].iat[i]
        if names[i] is None:
            reason = (f"target contig {chrom!r} is not in {genome.path.name}", "unknown contig")
        elif start[i] < 0 or start[i] + window > sizes[i]:
            reason = (
                f"the {window}-bp window [{start[i]:,}, {start[i] + window:,}) around "
                f"{chrom}:{center[i] + 1:,} runs off {names[i]} (length {sizes[i]:,})",
                "window off contig end",
            )
        else:
            continue
        ok[i] = False
        rejected.append(Rejection(lines[i], raws[i], *reason))
    rows = np.nonzero(ok)[0]
    seqs = genome.fetch_many([names[i] for i in rows], start[rows], window)
    seqs = [reverse_complement(s) if minus[i] else s for i, s in zip(rows, seqs, strict=True)]
    n_frac = np.array([s.count("N") / window for s in seqs], dtype=np.float64)
    for i, frac in zip(rows[n_frac > max_n_fraction], n_frac[n_frac > max_n_fraction], strict=True):
        rejected.append(
            Rejection(
                lines[i],
                raws[i],
                f"the window around {lifted['chrom'].iat[i]}:{center[i] + 1:,} is {frac:.0%} N "
                f"(at most {max_n_fraction:.0%} allowed)",
                "mostly N",
            )
        )
    good = n_frac <= max_n_fraction
    keep = rows[good]
    table = _table(lifted, keep, center[keep] + 1, source_pos[keep], species)
    table["seq"] = [s for s, g in zip(seqs, good, strict=True) if g]
    return table[list(PSEUDO_LABEL_COLUMNS)], sorted(rejected, key=lambda r: r.line)


def _table(
    lifted: pd.DataFrame, keep: np.ndarray, pos: np.ndarray, source_pos: np.ndarray, species: str
) -> pd.DataFrame:
    rows = lifted.iloc[keep]
    source_chrom = rows["source_chrom"].astype(str).to_numpy()
    ids = np.array(
        [f"{c}:{p}" for c, p in zip(source_chrom, source_pos, strict=True)], dtype=object
    )
    if "id" in rows.columns:  # the input's id where it has one (BED names may be empty)
        given = rows["id"].astype("string").fillna("").str.strip().to_numpy(dtype=object)
        ids = np.where(given != "", given, ids)
    label = pd.to_numeric(rows["label"], errors="coerce").astype("Int8").to_numpy()
    return pd.DataFrame(
        {
            "id": [f"{species}:{i}" for i in ids],
            "chrom": rows["chrom"].astype(str).to_numpy(),
            "pos": pos.astype(np.int64),
            "label": pd.array(label, dtype="Int8"),
            "source_chrom": source_chrom,
            "source_pos": source_pos.astype(np.int64),
            "strand": rows["strand"].astype(str).to_numpy(),
            "species": species,
        }
    )
