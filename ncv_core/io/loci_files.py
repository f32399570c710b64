"""Low-level readers for loci files: VCF, BED, CSV and TSV rows as :class:`RowRecord` strings.

Each reader is a generator that first yields a header dict (format facts such as VCF
``##contig`` lengths and the baseline columns) and then, per data line, either a
:class:`RowRecord` (raw strings, validated later by :mod:`ncv_core.features.loci`) or a
:class:`~ncv_core.rejections.Rejection` for rows too broken to read. Lines are decoded one by one, so a
bad byte is reported with its line number; CRLF endings, a UTF-8 BOM, comments and blank lines
are tolerated.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ncv_core.constants import MISSING_VALUES
from ncv_core.errors import NcvError, warn
from ncv_core.rejections import Rejection

_GZIP_MAGIC = b"\x1f\x8b"
_SNIFF_BYTES = 1 << 16
_NUMERIC_PEEK = 1000

ALIASES: dict[str, tuple[str, ...]] = {
    "chrom": ("chrom", "chr", "chromosome", "chrom_name", "contig", "seqname", "seqnames", "seqid"),
    "pos": ("pos", "position", "start", "bp", "pos_1based", "base_pair_location", "location"),
    "ref": ("ref", "reference", "ref_allele", "reference_allele", "refallele"),
    "alt": ("alt", "alternate", "alt_allele", "alternate_allele", "altallele", "alternative"),
    "label": ("label", "labels", "class", "target", "y"),
    "id": ("id", "name", "rsid", "rs", "snp", "snp_id", "variant_id", "variant"),
}
"""Accepted (lower-cased, ``#`` stripped) header names of CSV/TSV columns."""

_ROLE_OF = {alias: role for role, names in ALIASES.items() for alias in names}


@dataclass
class RowRecord:
    """One data row as strings, before validation."""

    line: int
    raw: str
    chrom: str
    pos: str
    ref: str = ""
    alt: str = ""
    label: str = ""
    ident: str = ""
    baselines: dict[str, str] = field(default_factory=dict)


def _reject(line: int, raw: str, reason: str, category: str) -> Rejection:
    return Rejection(line, raw, reason, category)


@contextmanager
def open_text(path: str) -> Iterator[io.BufferedIOBase]:
    """Open a (possibly gzip/bgzip-compressed) text file as a binary stream of lines.

    Raises :class:`NcvError` for a missing, unreadable or binary (non-text) file.
    """
    if not os.path.exists(path):
        raise NcvError("file not found", path=path)
    if os.path.isdir(path):
        raise NcvError("is a folder, expected a loci file", path=path)
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise NcvError(f"cannot open: {exc.strerror}", path=path) from exc
    try:
        fh = gzip.GzipFile(fileobj=raw) if raw.read(2) == _GZIP_MAGIC else raw
        raw.seek(0)
        head = fh.read(_SNIFF_BYTES) if fh is not raw else raw.read(_SNIFF_BYTES)
        if b"\x00" in head:
            raise NcvError(
                "is a binary file, not a text loci file (VCF, BED, CSV or TSV)", path=path
            )
        fh.seek(0)
        yield fh
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise NcvError(f"cannot read the compressed file: {exc}", path=path) from exc
    finally:
        raw.close()


def iter_lines(fh: io.BufferedIOBase, path: str) -> Iterator[tuple[int, str]]:
    """``(line_number, text)`` for every line, decoded as UTF-8 (BOM and CR stripped)."""
    for number, data in enumerate(fh, start=1):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NcvError(
                f"is not UTF-8 text (byte {exc.start + 1} of the line)", path=path, line=number
            ) from exc
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]
        yield number, text.rstrip("\r\n")


def detect_format(path: str, fh: io.BufferedIOBase | None = None) -> str:
    """``vcf``, ``bed``, ``csv`` or ``tsv`` from the content's first lines, else the file name."""
    name = path.lower()
    for suffix in (".gz", ".bgz", ".bgzf"):
        name = name.removesuffix(suffix)
    head = ""
    if fh is not None:
        head = fh.read(_SNIFF_BYTES).decode("utf-8", errors="replace").lstrip("\ufeff")
        fh.seek(0)
    first = next((ln for ln in head.splitlines() if ln.strip()), "")
    if first.startswith("##fileformat=VCF"):
        return "vcf"
    for ext, fmt in (
        (".vcf", "vcf"),
        (".bed", "bed"),
        (".narrowpeak", "bed"),
        (".broadpeak", "bed"),
        (".csv", "csv"),
        (".tsv", "tsv"),
        (".txt", "tsv"),
        (".tab", "tsv"),
    ):
        if name.endswith(ext):
            return fmt
    if first.upper().startswith("#CHROM\tPOS\tID\tREF\tALT"):
        return "vcf"
    if first and "\t" not in first and first.count(",") >= 1:
        return "csv"
    if first:
        return "tsv"
    raise NcvError(
        "cannot tell the format: expected a VCF, BED (.bed), CSV (.csv) or TSV (.tsv) file",
        path=path,
    )


class _Tap:
    """Iterate the lines of a binary stream, handing each ``(number, bytes)`` to ``tap`` first."""

    def __init__(self, fh: io.BufferedIOBase, tap: Callable[[int, bytes], None]) -> None:
        self._fh, self._tap = fh, tap

    def __iter__(self) -> Iterator[bytes]:
        for number, data in enumerate(self._fh, start=1):
            self._tap(number, data)
            yield data


class LociFile:
    """One open loci file, read once from start to end.

    Parameters
    ----------
    path : path
        A VCF, BED, CSV or TSV file (plain, gzip or bgzip).
    fmt : {"vcf", "bed", "csv", "tsv"}, optional
        Override the format detected from the name and the first lines.
    tap : callable, optional
        ``tap(number, raw_bytes)`` is called with every line as it is read, before it is parsed
        (an annotated-VCF writer copies the input this way without reading it again).

    Use as a context manager; :attr:`fmt` is known as soon as it is open, :meth:`rows` reads.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        fmt: str | None = None,
        tap: Callable[[int, bytes], None] | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self._ctx = open_text(self.path)
        self._fh = self._ctx.__enter__()
        try:
            self.fmt = fmt or detect_format(self.path, self._fh)
        except BaseException:
            self.close()
            raise
        self._tap = tap
        self._used = False

    def rows(self) -> Iterator:
        """The format reader's header dict, then a :class:`RowRecord` or a rejection per row."""
        if self._used:
            raise RuntimeError(f"{self.path} was already read")
        self._used = True
        fh = self._fh if self._tap is None else _Tap(self._fh, self._tap)
        return read_rows(fh, self.fmt, self.path)

    def close(self) -> None:
        self._ctx.__exit__(None, None, None)

    def __enter__(self) -> LociFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_rows(fh: io.BufferedIOBase, fmt: str, path: str) -> Iterator:
    """Dispatch to the reader of ``fmt``; see the module docstring for what it yields."""
    readers = {"vcf": _read_vcf, "bed": _read_bed, "csv": _read_delimited, "tsv": _read_delimited}
    if fmt not in readers:
        raise NcvError(f"unknown loci format {fmt!r}; expected vcf, bed, csv or tsv", path=path)
    if fmt in ("csv", "tsv"):
        return _read_delimited(fh, path, "," if fmt == "csv" else "\t")
    return readers[fmt](fh, path)


_CONTIG = re.compile(r"^##contig=<.*?ID=([^,>]+).*?length=(\d+)", re.IGNORECASE)


def _read_vcf(fh: io.BufferedIOBase, path: str) -> Iterator:
    header: dict = {"contigs": {}, "reference": None, "baseline_columns": []}
    lines = iter_lines(fh, path)
    pending = None
    for number, text in lines:
        if text.startswith("##"):
            m = _CONTIG.match(text)
            if m:
                header["contigs"][m.group(1)] = int(m.group(2))
            elif text.lower().startswith("##reference="):
                header["reference"] = text.split("=", 1)[1].strip()
            continue
        if text.startswith("#"):
            header["columns"] = text.lstrip("#").split("\t")
            continue
        pending = (number, text)
        break
    yield header
    if pending is not None:
        yield from _vcf_rows([pending], path)
        yield from _vcf_rows(lines, path)


def _vcf_rows(lines, path: str) -> Iterator:
    for number, text in lines:
        if not text.strip() or text.startswith("#"):
            continue
        fields = text.split("\t")
        if len(fields) < 5:
            yield _reject(
                number,
                text,
                f"short row: {len(fields)} tab-separated fields, a VCF row needs "
                "at least CHROM POS ID REF ALT",
                "short row",
            )
            continue
        label = ""
        if len(fields) > 7:
            for item in fields[7].split(";"):
                key, _, value = item.partition("=")
                if key.lower() == "label":
                    label = value
        yield RowRecord(number, text, fields[0], fields[1], fields[3], fields[4], label, fields[2])


def _read_bed(fh: io.BufferedIOBase, path: str) -> Iterator:
    yield {"baseline_columns": []}
    for number, text in iter_lines(fh, path):
        if not text.strip() or text.startswith(("#", "track", "browser")):
            continue
        fields = text.split("\t") if "\t" in text else text.split()
        if len(fields) < 3:
            yield _reject(
                number,
                text,
                f"short row: {len(fields)} fields, BED needs chrom, start, end",
                "short row",
            )
            continue
        start, end = fields[1].strip(), fields[2].strip()
        if not (start.isdigit() and end.isdigit()):
            bad = start if not start.isdigit() else end
            yield _reject(
                number, text, f"BED start/end {bad!r} is not a whole number", "malformed number"
            )
            continue
        span = int(end) - int(start)
        if span != 1:
            yield _reject(
                number,
                text,
                f"BED record covers {span} bases; a locus is one base "
                "(end = start + 1, 0-based start)",
                "bad BED interval",
            )
            continue
        ident = fields[3] if len(fields) > 3 else ""
        yield RowRecord(number, text, fields[0], str(int(start) + 1), ident=ident)


def _header_roles(
    columns: list[str], path: str, line: int
) -> tuple[dict[str, int], dict[str, int]]:
    """Map header names to roles (chrom, pos, ...) and the remaining columns to indices."""
    roles: dict[str, int] = {}
    extra: dict[str, int] = {}
    for i, name in enumerate(columns):
        key = name.strip().lstrip("#").strip().lower()
        role = _ROLE_OF.get(key)
        if role is None:
            extra[name.strip()] = i
        elif role in roles:
            raise NcvError(
                f"columns {columns[roles[role]]!r} and {name!r} both look like the {role} "
                "column; rename one",
                path=path,
                line=line,
            )
        else:
            roles[role] = i
    missing = [r for r in ("chrom", "pos") if r not in roles]
    if missing:
        raise NcvError(
            f"the header has no {' or '.join(missing)} column (found: {', '.join(columns)}); expected "
            f"e.g. {', '.join(ALIASES['chrom'][:3])} and {', '.join(ALIASES['pos'][:3])}",
            path=path,
            line=line,
        )
    return roles, extra


def _is_header(fields: list[str]) -> bool:
    keys = {f.strip().lstrip("#").strip().lower() for f in fields}
    return any(k in ALIASES["chrom"] for k in keys) and any(k in ALIASES["pos"] for k in keys)


def _read_delimited(fh: io.BufferedIOBase, path: str, delimiter: str) -> Iterator:
    lines = iter_lines(fh, path)
    header_line, columns = 0, None
    for number, text in lines:
        if not text.strip():
            continue
        if delimiter == "\t" and "\t" not in text and "," in text:
            delimiter = ","
        fields = next(csv.reader([text], delimiter=delimiter))
        if text.startswith("#") and not _is_header(fields):
            continue
        header_line, columns = number, fields
        break
    if columns is None:
        raise NcvError(
            "no header line found; a CSV/TSV loci file starts with a header such as "
            "chrom, pos, ref, alt, label",
            path=path,
        )
    roles, extra = _header_roles(columns, path, header_line)
    buffered = []
    for number, text in lines:
        if text.strip() and not text.startswith("#"):
            buffered.append((number, text))
        if len(buffered) >= _NUMERIC_PEEK:
            break
    numeric = _numeric_columns(buffered, extra, delimiter)
    ignored = [c for c in extra if c not in numeric]
    if ignored:
        warn(
            f"{path}: column(s) {', '.join(ignored)} are not numeric and are ignored "
            "(extra numeric columns are kept as baseline scores)"
        )
    yield {"baseline_columns": [c for c in extra if c in numeric], "columns": columns}
    for number, text in [*buffered, *lines]:
        if not text.strip() or text.startswith("#"):
            continue
        yield _delimited_row(number, text, delimiter, columns, roles, extra, numeric)


def _numeric_columns(
    rows: list[tuple[int, str]], extra: dict[str, int], delimiter: str
) -> set[str]:
    """Extra columns whose values (in the first rows) are mostly (more than half) numbers."""
    parsed = [next(csv.reader([t], delimiter=delimiter)) for _, t in rows]
    numeric = set()
    for name, i in extra.items():
        values = [
            f[i].strip()
            for f in parsed
            if i < len(f) and f[i].strip().lower() not in MISSING_VALUES
        ]
        good = sum(_floatable(v) for v in values)
        if values and good > 0.5 * len(values):
            numeric.add(name)
    return numeric


def _floatable(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _delimited_row(number, text, delimiter, columns, roles, extra, numeric):
    fields = next(csv.reader([text], delimiter=delimiter))
    if len(fields) != len(columns):
        kind = "short row" if len(fields) < len(columns) else "long row"
        return _reject(
            number,
            text,
            f"{kind}: {len(fields)} fields but the header has {len(columns)}",
            "short row" if kind == "short row" else "long row",
        )

    def get(role: str) -> str:
        return fields[roles[role]] if role in roles else ""

    baselines = {name: fields[i] for name, i in extra.items() if name in numeric}
    return RowRecord(
        number,
        text,
        get("chrom"),
        get("pos"),
        get("ref"),
        get("alt"),
        get("label"),
        get("id"),
        baselines,
    )
