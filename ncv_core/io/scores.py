"""Writing variant scores as they stream: TSV/CSV, Parquet, or an annotated VCF.

Writers take score chunks (anything with ``scores``, a DataFrame, and ``lines``, the input line
of each row, as :func:`ncv_core.score.iter_scores` yields them) in file order. Each writes to a
temporary file beside the target (:func:`ncv_core.io.tables.atomic_path`) that replaces it when
the writer closes without an error, so a crash never leaves a half file under the final name.
The annotated VCF is the input VCF itself, fed line by line as the loci reader reads it
(:meth:`VcfScoreWriter.feed`), so a VCF is read once however many outputs are written.
Metadata (models, reverse-complement averaging, the background) goes where
:func:`ncv_core.io.tables.write_table` puts it: Parquet schema metadata, a ``<file>.meta.json``
beside a text table, ``##ncv_scoring=`` header lines in a VCF. Set it before the first chunk.
``.vcf.gz`` is written as BGZF (the blocked gzip of bgzip), so ``tabix -p vcf`` can index it.
"""

from __future__ import annotations

import gzip
import json
import os
import struct
import zlib
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ncv_core.constants import PERCENTILE_COLUMNS, SCORE_COLUMNS
from ncv_core.errors import NcvError
from ncv_core.io.tables import atomic_path, sidecar_path, write_json

_BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def output_kind(path: str | os.PathLike) -> str:
    """``vcf``, ``parquet``, ``csv`` or ``tsv`` from the output name."""
    name = os.fspath(path).lower().removesuffix(".gz")
    for ext, kind in ((".vcf", "vcf"), (".parquet", "parquet"), (".csv", "csv"), (".tsv", "tsv")):
        if name.endswith(ext):
            return kind
    raise NcvError(
        "unknown output format; expected .tsv, .csv, .parquet, .vcf or .vcf.gz", path=path
    )


class BgzfWriter:
    """Write bytes as BGZF blocks (at most 64 KiB each) followed by the BGZF end-of-file block."""

    _BLOCK = 0xFF00

    def __init__(self, fh) -> None:
        self._fh = fh
        self._buf = bytearray()

    def write(self, data: bytes) -> None:
        self._buf += data
        while len(self._buf) >= self._BLOCK:
            self._flush(bytes(self._buf[: self._BLOCK]))
            del self._buf[: self._BLOCK]

    def _flush(self, block: bytes) -> None:
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        data = comp.compress(block) + comp.flush()
        header = b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00"
        self._fh.write(header + struct.pack("<H", len(data) + 25) + data)
        self._fh.write(struct.pack("<II", zlib.crc32(block), len(block)))

    def close(self) -> None:
        if self._buf:
            self._flush(bytes(self._buf))
            self._buf.clear()
        self._fh.write(_BGZF_EOF)


class _AtomicWriter:
    """A context manager owning the temporary file of one output (see the module docstring)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.rows = 0

    def __enter__(self) -> Any:
        self._stack = ExitStack()
        self.tmp = self._stack.enter_context(atomic_path(self.path))
        self._open()
        return self

    def __exit__(self, *exc: object) -> bool:
        try:
            self._close()
        finally:
            handled = self._stack.__exit__(*exc)
        return bool(handled)

    def _open(self) -> None:
        pass

    def _close(self) -> None:
        pass


class TableScoreWriter(_AtomicWriter):
    """Score chunks to one TSV, CSV (``.gz`` allowed) or Parquet file, in input order."""

    meta: dict | None = None

    def _open(self) -> None:
        self.kind = output_kind(self.path)
        self._parquet: pq.ParquetWriter | None = None

    def write(self, chunk: Any) -> None:
        df = chunk.scores
        if not len(df):
            return
        if self.kind == "parquet":
            table = pa.Table.from_pandas(df, preserve_index=False)
            if self._parquet is None:
                if self.meta is not None:
                    extra = {b"ncv": json.dumps(self.meta, default=str).encode()}
                    table = table.replace_schema_metadata(
                        {**(table.schema.metadata or {}), **extra}
                    )
                self._parquet = pq.ParquetWriter(self.tmp, table.schema)
            self._parquet.write_table(table.cast(self._parquet.schema))
        else:
            df.to_csv(
                self.tmp,
                sep="," if self.kind == "csv" else "\t",
                index=False,
                header=self.rows == 0,
                mode="w" if self.rows == 0 else "a",
                na_rep="",
                compression="gzip" if self.path.name.lower().endswith(".gz") else None,
            )
        self.rows += len(df)

    def _close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self.kind != "parquet" and self.meta is not None:
            write_json(self.meta, sidecar_path(self.path))


class VcfScoreWriter(_AtomicWriter):
    """The input VCF with ``NCV_*`` INFO fields on every scored record (others copied as they are).

    Feed every input line, in order, through :meth:`feed` (the loci reader's tap) and the score
    chunks through :meth:`write`; lines are written once the chunk that holds them is in.
    """

    meta: dict | None = None

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        names: list[str],
        model_name: str,
        columns: list[tuple[str, str, str, str]] | None = None,
    ) -> None:
        super().__init__(path)
        self.names, self.model_name = names, model_name
        self.columns = columns  # (column, base, task, model) per name; None: one model

    def _open(self) -> None:
        self._raw = open(self.tmp, "wb")  # noqa: SIM115 - closed in _close
        gz = self.path.name.lower().endswith(".gz")
        self._sink = BgzfWriter(self._raw) if gz else self._raw
        self._lines: list[tuple[int, bytes]] = []
        self._pending: dict[int, dict[str, list[float]]] = {}
        self._header_done = False

    def feed(self, number: int, raw: bytes) -> None:
        """One input line (1-based ``number``, its bytes as read)."""
        self._lines.append((number, raw))

    def write(self, chunk: Any) -> None:
        self._pending.update(_by_line(chunk, self.names))
        last = [int(x) for x in chunk.lines] + [r.line for r in getattr(chunk, "rejected", ())]
        self._flush(max(last, default=0))

    def _flush(self, upto: int) -> None:
        keep = 0
        for i, (number, raw) in enumerate(self._lines):
            if number > upto:
                keep = i
                break
            self._emit(number, raw)
        else:
            keep = len(self._lines)
        del self._lines[:keep]

    def _emit(self, number: int, raw: bytes) -> None:
        text = raw.decode("utf-8").rstrip("\r\n")
        if number == 1:
            text = text.lstrip("\ufeff")
        if not text.startswith("##") and not self._header_done and text.strip():
            head = info_header(self.names, self.model_name, self.columns)
            if self.meta is not None:
                head.append("##ncv_scoring=" + json.dumps(self.meta, default=str))
            self._sink.write(("\n".join(head) + "\n").encode())
            self._header_done = True
        if number in self._pending:
            text = _annotate(text.split("\t"), self._pending.pop(number), self.names)
            self.rows += 1
        self._sink.write((text + "\n").encode())

    def _close(self) -> None:
        try:
            self._flush(1 << 62)
            if isinstance(self._sink, BgzfWriter):
                self._sink.close()
        finally:
            self._raw.close()


_MEANING = {
    "p_ref": "probability functional with the REF allele",
    "p_alt": "probability functional with the ALT allele",
    "diff": "p_alt - p_ref",
    "logit_diff": "logit(p_alt) - logit(p_ref)",
    "log2fc": "log2(p_alt / p_ref)",
    "p_ref_percentile": "percentile of p_ref among random SNVs near the loci (0-100)",
    "diff_percentile": "percentile of |p_alt - p_ref| among random SNVs near the loci (0-100)",
}


def info_header(
    score_names: list[str],
    model_name: str,
    columns: list[tuple[str, str, str, str]] | None = None,
) -> list[str]:
    """``##INFO`` lines for the score fields (Number=A: one value per ALT allele).

    ``columns`` gives ``(column, base, task, model)`` per name (:func:`column_spec`); without
    it the names are one model's (``model_name``).
    """
    if columns is None:
        columns = []
        for name in score_names:
            base = max((k for k in _MEANING if name == k or name.startswith(k + "_")), key=len)
            columns.append((name, base, name[len(base) + 1 :], model_name))
    lines = []
    for name, base, task, model in columns:
        desc = f"ncv-explorer {model}: {_MEANING[base]}" + (f" (task {task})" if task else "")
        lines.append(f'##INFO=<ID={vcf_key(name)},Number=A,Type=Float,Description="{desc}">')
    return lines


def vcf_key(name: str) -> str:
    """INFO key of a score column: ``p_ref`` -> ``NCV_P_REF``."""
    return "NCV_" + "".join(ch if ch.isalnum() else "_" for ch in name).upper()


def _annotate(fields: list[str], scored: dict[str, list[float]], names: list[str]) -> str:
    alts = fields[4].split(",")
    parts = []
    for n, name in enumerate(names):
        vals = [scored[a.upper()][n] if a.upper() in scored else None for a in alts]
        text = ",".join("." if v is None or not np.isfinite(v) else f"{v:.6g}" for v in vals)
        parts.append(f"{vcf_key(name)}={text}")
    while len(fields) < 8:
        fields.append(".")
    fields[7] = ";".join(parts) if fields[7] in ("", ".") else fields[7] + ";" + ";".join(parts)
    return "\t".join(fields)


def score_names(tasks: list[str], *, prefix: str = "", percentiles: bool = False) -> list[str]:
    """Score column names for a model's tasks (see :func:`ncv_core.scoring.effects.effect_columns`).

    One task: :data:`SCORE_COLUMNS`; several: ``<name>_<task>`` task by task. ``prefix``
    (``<model>_`` when several models are scored at once) goes in front of each. With
    ``percentiles``, the names of :data:`PERCENTILE_COLUMNS` instead.
    """
    bases = PERCENTILE_COLUMNS if percentiles else SCORE_COLUMNS
    if len(tasks) == 1:
        return [prefix + name for name in bases]
    return [f"{prefix}{name}_{task}" for task in tasks for name in bases]


def column_spec(
    models: dict[str, list[str]], *, percentiles: bool = False
) -> list[tuple[str, str, str, str]]:
    """``(column, base, task, model)`` of every score column, in output order.

    ``models`` maps each model's name to its tasks. One model: plain names (``p_ref``); several:
    ``<model>_p_ref``. Per model, the score columns, then (``percentiles``) the percentile ones.
    """
    spec = []
    for model, tasks in models.items():
        prefix = f"{model}_" if len(models) > 1 else ""
        for pct in (False, True) if percentiles else (False,):
            bases = PERCENTILE_COLUMNS if pct else SCORE_COLUMNS
            names = score_names(tasks, prefix=prefix, percentiles=pct)
            pairs = [(b, t) for t in tasks for b in bases]
            for name, (base, task) in zip(names, pairs, strict=True):
                spec.append((name, base, task if len(tasks) > 1 else "", model))
    return spec


def _by_line(chunk: Any, names: list[str]) -> dict[int, dict[str, list[float]]]:
    out: dict[int, dict[str, list[float]]] = {}
    if not len(chunk.scores):
        return out
    values = chunk.scores[names].to_numpy(dtype=np.float64)
    alts = getattr(chunk, "alts", None)  # the ALT as the input wrote it (before normalisation)
    alts = chunk.scores["alt"].tolist() if alts is None else list(alts)
    for line, alt, row in zip(np.asarray(chunk.lines).tolist(), alts, values, strict=True):
        out.setdefault(int(line), {})[alt] = row.tolist()
    return out


def read_vcf_info(path: str | os.PathLike) -> pd.DataFrame:
    """The ``NCV_*`` INFO values of an annotated VCF (a helper for checks and tests)."""
    rows = []
    opener = gzip.open if os.fspath(path).endswith(".gz") else open
    with opener(path, "rt") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            f = line.rstrip("\n").split("\t")
            info = dict(kv.split("=", 1) for kv in f[7].split(";") if "=" in kv)
            rows.append(
                {
                    "chrom": f[0],
                    "pos": int(f[1]),
                    "alt": f[4],
                    **{k: v for k, v in info.items() if k.startswith("NCV_")},
                }
            )
    return pd.DataFrame(rows)
