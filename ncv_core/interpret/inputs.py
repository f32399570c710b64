"""A saved model + a pasted sequence, genomic loci, or rows of a feature table -> model inputs.

One place decides what a model needs to be interpreted (ISM, attributions) and builds it:

- ``sequence``: one or more pasted windows of exactly the model's window length (A, C, G, T, N;
  any case). Only for models that read the sequence alone: a model with tabular inputs
  (``ssl_dnn``) also needs the epigenetic features of the window, which come from tracks at a
  genomic position, so a pasted sequence is refused with an explanation of what to give instead.
- ``locus``: ``CHR:POS`` (1-based, VCF convention; ``chr1:1,234,567`` is fine) with the genome
  FASTA and, for a model with tabular inputs, the tracks manifest and cell line. The window and
  the features are built by the feature pipeline (:func:`ncv_core.features.build.compute_features`),
  exactly as for training, and standardised with the model's scaler.
- ``table``: rows of a feature table (all, or those whose ``id`` is listed).

Tabular features are inputs of the model but never mutated: ISM and attributions hold them fixed
at the values built here, and :attr:`ModelInputs.tabular` says so in words for output metadata.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ncv_core.coords import variant_offset, window_start
from ncv_core.errors import NcvError
from ncv_core.features.build import compute_features
from ncv_core.features.loci import LociBatch, place
from ncv_core.features.tracks import TrackSet
from ncv_core.io.genome import Genome
from ncv_core.io.manifest import read_manifest
from ncv_core.models.loaded import check_compatible
from ncv_core.sequence import one_hot

__all__ = ["ModelInputs", "model_inputs", "parse_locus"]

_LOCUS = re.compile(r"^\s*([^:\s]+):([0-9][0-9,_]*)\s*$")
_BASES = re.compile(r"^[ACGTN]+$")


@dataclass(frozen=True)
class ModelInputs:
    """What a model reads for ``N`` windows, and where it came from.

    Attributes
    ----------
    x_seq : torch.Tensor
        ``(N, 4, L)`` float32 one-hot, A,C,G,T (all zeros at an N).
    x_tab : torch.Tensor or None
        ``(N, F)`` float32 tabular features, standardised with the model's scaler; None when the
        model reads none.
    rows : pandas.DataFrame
        ``N`` rows: ``seq_index id chrom pos window_start seq``. ``pos`` is the 1-based variant
        position and ``window_start`` the 1-based position of the window's first base (missing
        for a pasted sequence).
    kind : str
        ``"sequence"``, ``"locus"`` or ``"table"``.
    tabular : str
        How the tabular features were obtained and that they are held fixed (for metadata).
    feature_columns : list of str
        The tabular features' names, in model order.
    """

    x_seq: torch.Tensor
    x_tab: torch.Tensor | None
    rows: pd.DataFrame
    kind: str
    tabular: str
    feature_columns: list[str] = field(default_factory=list)

    def annotate(self, df: pd.DataFrame) -> pd.DataFrame:
        """Add ``id chrom genome_pos`` to a per-position table with ``seq_index`` and ``pos``.

        ``genome_pos`` is the 1-based genomic position of window offset ``pos`` (missing for a
        pasted sequence). Columns are inserted after ``seq_index``.
        """
        out = df.copy()
        rows = self.rows.set_index("seq_index")
        idx = out["seq_index"].to_numpy()
        at = out.columns.get_loc("seq_index") + 1
        start = rows["window_start"].astype("Int64").to_numpy()[idx]
        genome_pos = pd.array(start, dtype="Int64") + out["pos"].to_numpy()
        for k, (name, values) in enumerate(
            (
                ("id", rows["id"].to_numpy()[idx]),
                ("chrom", rows["chrom"].to_numpy()[idx]),
                ("genome_pos", genome_pos),
            )
        ):
            out.insert(at + k, name, values)
        return out


def parse_locus(text: str) -> tuple[str, int]:
    """``"chr1:12,345"`` -> ``("chr1", 12345)`` (1-based position).

    Raises
    ------
    NcvError
        If ``text`` is not ``CHR:POS`` with a positive integer position.
    """
    m = _LOCUS.match(str(text))
    pos = int(m.group(2).replace(",", "").replace("_", "")) if m else 0
    if not m or pos < 1:
        raise NcvError(
            f"bad locus {text!r}: expected CHR:POS with a 1-based position, e.g. chr1:1234567"
        )
    return m.group(1), pos


def _features_list(model) -> str:
    cols = model.feature_columns
    shown = ", ".join(cols[:4]) + (f", ... ({len(cols)} in all)" if len(cols) > 4 else "")
    name = model.card["architecture"]["name"]
    return f"this {name} model also reads {len(cols)} tabular features ({shown})"


def _from_sequences(model, sequences: Sequence[str]) -> ModelInputs:
    if model.model.uses_tab:
        raise NcvError(
            f"a pasted sequence is not enough: {_features_list(model)}, which come from "
            "epigenomic tracks at a genomic position, not from the sequence; give --locus "
            "CHR:POS --genome FASTA --tracks tracks.tsv --cell-line NAME (the features are built "
            "with the feature pipeline and held fixed), or rows of a feature table (--features "
            "TABLE --id ID)"
        )
    window = model.window
    seqs = [str(s).strip().upper() for s in sequences]
    for i, s in enumerate(seqs):
        if not _BASES.match(s):
            bad = sorted(set(s) - set("ACGTN")) or ["(empty)"]
            raise NcvError(f"sequence {i + 1} holds {', '.join(bad)}; expected only A, C, G, T, N")
        if window is not None and len(s) != window:
            raise NcvError(
                f"sequence {i + 1} is {len(s)} bp; the model reads windows of exactly {window} bp "
                f"(the variant at offset {variant_offset(window)})"
            )
    rows = pd.DataFrame(
        {
            "seq_index": np.arange(len(seqs)),
            "id": [f"sequence{i + 1}" for i in range(len(seqs))],
            "chrom": pd.array([None] * len(seqs), dtype="string"),
            "pos": pd.array([None] * len(seqs), dtype="Int64"),
            "window_start": pd.array([None] * len(seqs), dtype="Int64"),
            "seq": seqs,
        }
    )
    x = torch.from_numpy(one_hot(seqs))
    return ModelInputs(x, None, rows, "sequence", "the model reads no tabular features")


def _loci_batch(loci: Sequence[str]):
    parsed = [parse_locus(t) for t in loci]
    df = pd.DataFrame(
        {
            "chrom": [c for c, _ in parsed],
            "pos": np.array([p for _, p in parsed], dtype=np.int64),
            "ref": "",
            "alt": "",
            "label": pd.array([None] * len(parsed), dtype="Int8"),
            "id": "",
            "_line": np.arange(1, len(parsed) + 1, dtype=np.int64),
            "_raw": [str(t).strip() for t in loci],
        }
    )
    return LociBatch(df, path="--locus", fmt="cli")


def _from_loci(model, loci, genome_path, tracks_path, cell_line, build) -> ModelInputs:
    uses_tab = bool(model.model.uses_tab)
    batch = _loci_batch(loci)
    if genome_path is None:
        raise NcvError("a locus needs the reference genome: give --genome FASTA")
    if uses_tab and (tracks_path is None or cell_line is None):
        raise NcvError(
            f"a locus needs --tracks tracks.tsv and --cell-line NAME too: {_features_list(model)}, "
            "built from the cell line's tracks at the locus"
        )
    window = int(model.window)
    with Genome(genome_path, build=build) as genome:
        placed = place(batch, genome, window=window)
        if placed.rejected:
            r = placed.rejected[0]
            raise NcvError(f"locus {r.row!r}: {r.reason}")
        if uses_tab:
            tracks = TrackSet(read_manifest(tracks_path), cell_line, genome)
            feats = compute_features(placed.table, genome, tracks, window)
            source = f"the {cell_line} tracks of {os.fspath(tracks_path)}"
            check_compatible(model, columns=feats.columns, cell_line=cell_line, source=source)
        else:
            feats = placed.table.assign(
                seq=genome.windows(placed.table["chrom"], placed.table["pos"], window)
            )
        meta = {"genome": genome.describe()}
    x_seq, x_tab = model.encode(feats, meta)
    note = "the model reads no tabular features"
    if uses_tab:
        note = (
            f"{len(model.feature_columns)} tabular features built by the feature pipeline from "
            f"{os.fspath(tracks_path)} ({cell_line}) and {os.fspath(genome_path)} at each locus, "
            "standardised with the model's scaler, and held fixed"
        )
    return ModelInputs(x_seq, x_tab, _rows(feats, window), "locus", note, model.feature_columns)


def _rows(table: pd.DataFrame, window: int) -> pd.DataFrame:
    pos = table["pos"].astype("Int64") if "pos" in table else pd.array([None] * len(table), "Int64")
    return pd.DataFrame(
        {
            "seq_index": np.arange(len(table)),
            "id": table["id"].astype(str).to_numpy() if "id" in table else "",
            "chrom": table["chrom"].astype("string").to_numpy() if "chrom" in table else None,
            "pos": np.asarray(pos),
            "window_start": np.asarray(window_start(pos, window)),
            "seq": table["seq"].astype(str).to_numpy(),
        }
    ).astype({"pos": "Int64", "window_start": "Int64"})


def _from_table(model, table: pd.DataFrame, meta: dict | None, ids) -> ModelInputs:
    if ids is not None:
        if "id" not in table.columns:
            raise NcvError("the feature table has no 'id' column to select rows by")
        wanted = [str(i) for i in ids]
        have = table["id"].astype(str)
        missing = [i for i in wanted if i not in set(have)]
        if missing:
            raise NcvError(f"no row of the feature table has id {', '.join(map(repr, missing))}")
        table = pd.concat([table[have == i].iloc[:1] for i in wanted], ignore_index=True)
    if len(table) == 0:
        raise NcvError("the feature table has no rows")
    check_compatible(model, columns=table.columns, source="the feature table's columns")
    x_seq, x_tab = model.encode(table, meta)
    note = "the model reads no tabular features"
    if x_tab is not None:
        note = (
            f"{x_tab.shape[1]} tabular features taken from the feature table's rows, "
            "standardised with the model's scaler, and held fixed"
        )
    return ModelInputs(
        x_seq, x_tab, _rows(table, int(model.window)), "table", note, model.feature_columns
    )


def model_inputs(
    model,
    *,
    sequence: str | Sequence[str] | None = None,
    locus: str | Sequence[str] | None = None,
    genome: str | os.PathLike | None = None,
    tracks: str | os.PathLike | None = None,
    cell_line: str | None = None,
    build: str | None = None,
    table: pd.DataFrame | None = None,
    meta: dict | None = None,
    ids: Sequence[str] | None = None,
) -> ModelInputs:
    """The inputs of a saved model for pasted sequences, genomic loci or feature-table rows.

    Parameters
    ----------
    model : ncv_core.io.model_folder.LoadedModel
        A loaded model folder (its card gives the window, features and scaler).
    sequence : str or sequence of str, optional
        Windows of exactly ``model.window`` bases (sequence-only models).
    locus : str or sequence of str, optional
        ``CHR:POS`` (1-based), with ``genome`` and, for models with tabular inputs, ``tracks``
        and ``cell_line``.
    genome, tracks, cell_line, build : optional
        Reference FASTA, tracks manifest, cell line of the manifest, declared genome build.
    table, meta, ids : optional
        A feature table, its metadata, and the ``id`` values of the rows to use (default all).

    Returns
    -------
    ModelInputs
        ``x_seq`` ``(N, 4, L)``, ``x_tab`` ``(N, F)`` or None, one row per window.

    Raises
    ------
    NcvError
        Not exactly one of ``sequence``, ``locus``, ``table``; a model without a sequence input;
        a bad sequence or locus (unknown contig, window off the contig end); a pasted sequence
        for a model with tabular inputs; tracks that lack features the model needs.
    """
    given = [
        k for k, v in (("sequence", sequence), ("locus", locus), ("table", table)) if v is not None
    ]
    if len(given) != 1:
        raise NcvError(
            "give exactly one input: a sequence, a locus (with a genome) or feature-table rows"
            + (f"; got {' and '.join(given)}" if given else "")
        )
    if not model.model.uses_seq:
        raise NcvError(
            f"the {model.card['architecture']['name']} model reads no sequence: saturation "
            "mutagenesis and attributions explain a sequence input"
        )
    if sequence is not None:
        return _from_sequences(model, [sequence] if isinstance(sequence, str) else sequence)
    if locus is not None:
        loci = [locus] if isinstance(locus, str) else list(locus)
        return _from_loci(model, loci, genome, tracks, cell_line, build)
    return _from_table(model, table, meta, ids)
