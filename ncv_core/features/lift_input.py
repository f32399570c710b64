"""Loci to lift to another genome, read from any loci file: points, or BED intervals.

A BED (or narrowPeak) file is read as intervals (``chrom start end`` 0-based half-open, one row
per record, the further fields as columns: :func:`ncv_core.io.peaks.read_bed_intervals`), so a
lifted peak stays a peak; a VCF, CSV or TSV file as points through the loci reader
(:func:`ncv_core.features.loci.read_loci`: ``chrom pos ref alt label id`` and the baseline
columns). Both keep ``_line`` and ``_raw``, so every rejection names the file line and its text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd

from ncv_core.errors import NcvError
from ncv_core.features.loci import read_loci
from ncv_core.io.loci_files import LociFile
from ncv_core.io.peaks import read_bed_intervals
from ncv_core.rejections import Rejection


@dataclass
class LiftInput:
    """Loci read for lifting.

    Attributes
    ----------
    table : pandas.DataFrame
        ``N`` rows: ``chrom`` and ``pos`` (points, 1-based) or ``start``/``end`` (intervals),
        the file's other columns, ``label`` (nullable Int8; intervals: only when ``label`` is
        given), ``_line`` and ``_raw``.
    rejected : list of Rejection
        Rows too broken to read.
    kind : {"points", "intervals"}
    fmt : str
        ``vcf``, ``bed``, ``csv`` or ``tsv``.
    path : str
    """

    table: pd.DataFrame
    rejected: list[Rejection] = field(default_factory=list)
    kind: str = "points"
    fmt: str = ""
    path: str = ""


def read_lift_input(
    path: str | os.PathLike, *, label: int | None = None, fmt: str | None = None
) -> LiftInput:
    """Read a loci file for :func:`~ncv_core.features.liftover.lift_loci`.

    Parameters
    ----------
    path : path
        VCF, BED / narrowPeak, CSV or TSV (plain or gzipped), as the loci reader detects it.
    label : {0, 1}, optional
        Give every row this label (a BED of peaks has none); it replaces the file's labels.
    fmt : {"vcf", "bed", "csv", "tsv"}, optional
        Override the detected format.

    Returns
    -------
    LiftInput

    Raises
    ------
    NcvError
        If the file cannot be read, or ``label`` is not 0 or 1.
    """
    if label is not None and label not in (0, 1):
        raise NcvError(f"the label given to every row must be 0 or 1, got {label!r}")
    path = os.fspath(path)
    if fmt is None:
        with LociFile(path) as src:
            fmt = src.fmt
    if fmt == "bed":
        table, rejected = read_bed_intervals(path)
        kind = "intervals"
    else:
        batch = read_loci(path, fmt=fmt)
        table, rejected, kind = batch.table, batch.rejected, "points"
    if label is not None:
        values = pd.array([label] * len(table), dtype="Int8")
        if "label" in table.columns:
            table["label"] = values
        else:  # before the bookkeeping columns
            table.insert(len(table.columns) - 2, "label", values)
    return LiftInput(table=table, rejected=rejected, kind=kind, fmt=fmt, path=path)
