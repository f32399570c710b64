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
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ncv_core.constants import MISSING_VALUES
from ncv_core.errors import NcvError, warn
from ncv_core.io import text as text_io
from ncv_core.rejections import Rejection

_SNIFF_BYTES = text_io.SNIFF_BYTES
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


LOCI_EXPECTED = "a VCF, BED, CSV or TSV of variant loci (plain, gzip or bgzip)"


@contextmanager
def open_text(path: str) -> Iterator[io.BufferedIOBase]:
    """Open a (possibly gzip/bgzip-compressed) loci file as a binary stream of lines.

    Raises :class:`NcvError` for a missing, unreadable or binary (non-text) file
    (:func:`ncv_core.io.text.open_text`).
    """
    with text_io.open_text(path, what="a loci file", expected=LOCI_EXPECTED) as fh:
        yield fh


def iter_lines(
    fh: io.BufferedIOBase,
    path: str,
    tap: Callable[[int, bytes], None] | None = None,
    *,
    start: int = 1,
) -> Iterator[tuple[int, str]]:
    """``(line_number, text)`` for every line at any line end (LF, CRLF, CR), decoded as UTF-8
    (BOM and line end stripped); an over-long line comes as a
    :class:`~ncv_core.io.text.TooLong` string for the row reader to reject. The first line is
    number ``start`` (a chunk of a file starts further on)."""
    return text_io.iter_lines(fh, path, tap=tap, long_lines="mark", start=start)


def _damaged(number: int, text: str) -> Rejection | None:
    """A rejection for a line no reader should parse: over-long, or holding NUL bytes."""
    if isinstance(text, text_io.TooLong):
        return _reject(
            number,
            text[:200],
            f"the line is longer than {text_io.MAX_LINE >> 20} MiB; not a row",
            "long line",
        )
    if "\x00" in text:
        return _reject(
            number,
            text.replace("\x00", "\\0")[:200],
            "the line holds NUL bytes (a damaged file?)",
            "damaged line",
        )
    return None


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
        self._lines: Iterator[tuple[int, str]] | None = None
        self._read = 0

    def rows(self) -> Iterator:
        """The format reader's header dict, then a :class:`RowRecord` or a rejection per row."""
        if self._used:
            raise RuntimeError(f"{self.path} was already read")
        self._used = True
        return read_rows(self._fh, self.fmt, self.path, tap=self._tap)

    def read_through(self, line: int | None = None) -> None:
        """Read lines without parsing them, each through ``tap``, until line ``line`` has been
        read (None: to the end); instead of :meth:`rows`, when another process parses them."""
        if self._lines is None:
            if self._used:
                raise RuntimeError(f"{self.path} was already read")
            self._used = True
            self._lines = iter_lines(self._fh, self.path, self._tap)
        if line is None or line > self._read:
            for number, _ in self._lines:
                self._read = number
                if line is not None and number >= line:
                    break

    def close(self) -> None:
        self._ctx.__exit__(None, None, None)

    def __enter__(self) -> LociFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_rows(
    fh: io.BufferedIOBase,
    fmt: str,
    path: str,
    *,
    tap: Callable[[int, bytes], None] | None = None,
) -> Iterator:
    """Dispatch to the reader of ``fmt``; see the module docstring for what it yields.

    ``tap(number, raw_bytes)`` sees every line as it is read (see :class:`LociFile`)."""
    readers = {"vcf": _read_vcf, "bed": _read_bed, "csv": _read_delimited, "tsv": _read_delimited}
    if fmt not in readers:
        raise NcvError(f"unknown loci format {fmt!r}; expected vcf, bed, csv or tsv", path=path)
    lines = iter_lines(fh, path, tap)
    if fmt in ("csv", "tsv"):
        return _read_delimited(lines, path, "," if fmt == "csv" else "\t")
    return readers[fmt](lines, path)


_CONTIG = re.compile(r"^##contig=<.*?ID=([^,>]+).*?length=(\d+)", re.IGNORECASE)


def _read_vcf(lines: Iterator[tuple[int, str]], path: str) -> Iterator:
    header: dict = {"contigs": {}, "reference": None, "baseline_columns": []}
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
        if (bad := _damaged(number, text)) is not None:
            yield bad
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


def _read_bed(lines: Iterator[tuple[int, str]], path: str) -> Iterator:
    yield {"baseline_columns": []}
    yield from bed_rows(lines, path)


def bed_rows(lines: Iterable[tuple[int, str]], path: str) -> Iterator:
    """A :class:`RowRecord` or a rejection per BED data line of ``(number, text)`` pairs."""
    for number, text in lines:
        if not text.strip() or text.startswith(("#", "track", "browser")):
            continue
        if (bad := _damaged(number, text)) is not None:
            yield bad
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
        if role is None and not key:
            continue  # an unnamed column (a stray delimiter) holds nothing to keep
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


def _read_delimited(lines: Iterator[tuple[int, str]], path: str, delimiter: str) -> Iterator:
    header_line, columns = 0, None
    for number, text in lines:
        if not text.strip():
            continue
        if delimiter == "\t" and "\t" not in text and "," in text:
            delimiter = ","
        try:
            fields = _split(text, delimiter)
        except csv.Error as exc:
            raise NcvError(f"cannot split the header: {exc}", path=path, line=number) from exc
        if text.startswith("#") and not _is_header(fields):
            continue
        header_line, columns = number, _trim_trailing_empty(fields, 0)
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
    yield {
        "baseline_columns": [c for c in extra if c in numeric],
        "columns": columns,
        "delimiter": delimiter,
        "header_line": header_line,
    }
    for number, text in [*buffered, *lines]:
        if not text.strip() or text.startswith("#"):
            continue
        bad = _damaged(number, text)
        yield bad or _delimited_row(number, text, delimiter, columns, roles, extra, numeric)


def _split(text: str, delimiter: str) -> list[str]:
    """The fields of one line (CSV quoting rules)."""
    return next(csv.reader([text], delimiter=delimiter))


def _trim_trailing_empty(fields: list[str], keep: int) -> list[str]:
    """``fields`` without empty (or blank) fields after the first ``keep``: the trailing tab or
    comma that awk and R's ``write.table`` leave is an empty field, not a column."""
    end = len(fields)
    while end > keep and not fields[end - 1].strip():
        end -= 1
    return fields[:end]


def _numeric_columns(
    rows: list[tuple[int, str]], extra: dict[str, int], delimiter: str
) -> set[str]:
    """Extra columns whose values (in the first rows) are mostly (more than half) numbers."""
    parsed = []
    for _, text in rows:
        try:
            parsed.append(_split(text, delimiter))
        except csv.Error:
            continue  # rejected when its turn comes
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
    try:
        fields = _split(text, delimiter)
    except csv.Error as exc:
        return _reject(number, text[:200], f"cannot split the row: {exc}", "malformed row")
    if len(fields) > len(columns):
        fields = _trim_trailing_empty(fields, len(columns))
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
