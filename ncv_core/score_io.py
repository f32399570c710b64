"""Writing variant scores as they stream: TSV/CSV, Parquet, or an annotated VCF.

Every writer writes to a temporary file beside the target and renames it when the last chunk is
in, so a crash never leaves a half file under the final name. ``.vcf.gz`` is written as BGZF (the
blocked gzip of bgzip), so ``tabix -p vcf`` can index it.
"""

from __future__ import annotations

import gzip
import os
import struct
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ncv_core.errors import NcvError
from ncv_core.loci_formats import iter_lines, open_text
from ncv_core.score import SCORE_COLUMNS, ScoreChunk

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


class _Atomic:
    """A temporary file beside ``path`` that replaces it on :meth:`commit`."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent
        )
        os.close(fd)
        self.tmp = Path(tmp)

    def commit(self) -> None:
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)


def write_table_stream(chunks: Iterable[pd.DataFrame], path: str | os.PathLike) -> int:
    """Write DataFrame chunks to one TSV/CSV/Parquet file as they come; returns the row count."""
    kind = output_kind(path)
    out = _Atomic(path)
    rows, writer, header = 0, None, True
    try:
        for df in chunks:
            if kind == "parquet":
                table = pa.Table.from_pandas(df, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(out.tmp, table.schema)
                writer.write_table(table.cast(writer.schema))
            else:
                compression = "gzip" if os.fspath(path).endswith(".gz") else None
                mode = "w" if header else "a"
                df.to_csv(
                    out.tmp,
                    sep="," if kind == "csv" else "\t",
                    index=False,
                    header=header,
                    mode=mode,
                    na_rep="",
                    compression=compression,
                )
                header = False
            rows += len(df)
        if writer is not None:
            writer.close()
        out.commit()
    except BaseException:
        out.discard()
        raise
    return rows


def info_header(score_names: list[str], model_name: str) -> list[str]:
    """``##INFO`` lines for the score fields (Number=A: one value per ALT allele)."""
    meaning = {
        "p_ref": "probability functional with the REF allele",
        "p_alt": "probability functional with the ALT allele",
        "diff": "p_alt - p_ref",
        "logit_diff": "logit(p_alt) - logit(p_ref)",
        "log2fc": "log2(p_alt / p_ref)",
    }
    lines = []
    for name in score_names:
        base = next(k for k in SCORE_COLUMNS if name == k or name.startswith(k + "_"))
        task = name[len(base) + 1 :]
        desc = f"ncv-explorer {model_name}: {meaning[base]}" + (f" (task {task})" if task else "")
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


def score_names(tasks: list[str]) -> list[str]:
    """Score column names for a model's tasks (see :func:`ncv_core.score.effect_columns`)."""
    if len(tasks) == 1:
        return list(SCORE_COLUMNS)
    return [f"{name}_{task}" for task in tasks for name in SCORE_COLUMNS]


def write_annotated_vcf(
    src: str | os.PathLike,
    chunks: Iterable[ScoreChunk],
    path: str | os.PathLike,
    *,
    names: list[str],
    model_name: str,
) -> int:
    """Copy the VCF ``src`` to ``path`` with score INFO fields on every scored record.

    Records that could not be scored (rejected by the pipeline) are copied unchanged. ``names``
    are the score columns to write (:func:`score_names`). Chunks must come in file order, as
    :func:`ncv_core.score.iter_scores` yields them. Returns the number of annotated records.
    """
    out = _Atomic(path)
    try:
        with open(out.tmp, "wb") as raw:
            sink = BgzfWriter(raw) if os.fspath(path).endswith(".gz") else raw
            n_scored = _copy_annotated(os.fspath(src), iter(chunks), sink, names, model_name)
            if isinstance(sink, BgzfWriter):
                sink.close()
        out.commit()
    except BaseException:
        out.discard()
        raise
    return n_scored


def _copy_annotated(
    src: str, chunks: Iterator[ScoreChunk], sink, names: list[str], model_name: str
) -> int:
    pending: dict[int, dict[str, list[float]]] = {}
    last_line, n_scored, header_done = 0, 0, False
    with open_text(src) as fh:
        for number, text in iter_lines(fh, src):
            if text.startswith("##"):
                sink.write((text + "\n").encode())
                continue
            if not header_done and (text.startswith("#") or text.strip()):
                sink.write(("\n".join(info_header(names, model_name)) + "\n").encode())
                header_done = True
            while number > last_line:  # load the chunk that holds this line
                chunk = next(chunks, None)
                if chunk is None:
                    last_line = 1 << 62
                    break
                pending = _by_line(chunk, names)
                last_line = max([*chunk.lines.tolist(), *(r.line for r in chunk.rejected), 0])
            if number in pending:
                text = _annotate(text.split("\t"), pending.pop(number), names)
                n_scored += 1
            sink.write((text + "\n").encode())
    for _ in chunks:  # drain, so the whole input is checked even after the last record
        pass
    return n_scored


def _by_line(chunk: ScoreChunk, names: list[str]) -> dict[int, dict[str, list[float]]]:
    out: dict[int, dict[str, list[float]]] = {}
    if not len(chunk.scores):
        return out
    values = chunk.scores[names].to_numpy(dtype=np.float64)
    for line, alt, row in zip(
        chunk.lines.tolist(), chunk.scores["alt"].tolist(), values, strict=True
    ):
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
