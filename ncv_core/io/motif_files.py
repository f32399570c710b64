"""Motifs: MEME-format files and the JASPAR CORE vertebrates matrices (pyjaspar, offline).

A :class:`Motif` holds a position frequency matrix ``pwm`` of shape ``(W, 4)``: rows are
positions, columns A, C, G, T (the package's base order). MEME files the user gives or asks for,
and the on-disk cache of the converted JASPAR matrices (in :func:`ncv_core.io.cache.cache_root`;
pyjaspar reads its bundled SQLite database; no network).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ncv_core.constants import BASES
from ncv_core.errors import NcvError
from ncv_core.io.cache import cache_root
from ncv_core.io.tables import atomic_path
from ncv_core.io.text import read_lines

MEME_EXPECTED = "MEME text: 'MOTIF name' lines, each followed by a letter-probability matrix"

__all__ = [
    "Motif",
    "format_meme",
    "information_content",
    "jaspar_motifs",
    "parse_meme",
    "read_meme",
    "reverse_complement_pwm",
    "write_meme",
]

_MATRIX = re.compile(r"letter-probability matrix:(.*)", re.IGNORECASE)
_KEYVAL = re.compile(r"(\w+)\s*=\s*(\S+)")


@dataclass(frozen=True, eq=False)
class Motif:
    """A named position frequency matrix.

    Attributes
    ----------
    name : str
        Identifier (the MEME ``MOTIF`` line's first word, e.g. ``MA0139.2``).
    pwm : numpy.ndarray
        ``(W, 4)`` float64 base frequencies, columns A, C, G, T.
    alt_name : str
        Second word of the ``MOTIF`` line (e.g. ``CTCF``), or ``""``.
    nsites : float or None
        Number of sites the matrix was built from, when known.
    url : str or None
        The motif's ``URL`` line, when given.
    """

    name: str
    pwm: np.ndarray
    alt_name: str = ""
    nsites: float | None = None
    url: str | None = field(default=None)

    @property
    def width(self) -> int:
        return int(self.pwm.shape[0])


def information_content(pwm: np.ndarray, background: Iterable[float] = (0.25,) * 4) -> float:
    """Information content in bits of a ``(W, 4)`` PWM against ``background`` (default uniform)."""
    p = np.asarray(pwm, dtype=np.float64)
    bg = np.asarray(list(background), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(p / bg), 0.0)
    return float(terms.sum())


def reverse_complement_pwm(pwm: np.ndarray) -> np.ndarray:
    """Reverse complement of a ``(W, 4)`` A,C,G,T matrix: rows reversed, A<->T and C<->G."""
    return np.asarray(pwm)[::-1, ::-1].copy()


def _check_alphabet(line: str, path: str | None, lineno: int) -> None:
    letters = line.split("=", 1)[1].strip().split()[0] if "=" in line else ""
    if letters.upper() != BASES:
        raise NcvError(
            f"MEME alphabet {letters!r} is not supported; expected ACGT", path=path, line=lineno
        )


def _matrix_header(line: str, path: str | None, lineno: int) -> tuple[int, float | None]:
    """Width and nsites from a ``letter-probability matrix:`` line."""
    fields = dict(_KEYVAL.findall(_MATRIX.match(line.strip()).group(1)))
    if "w" not in fields:
        raise NcvError("letter-probability matrix line has no w=", path=path, line=lineno)
    if fields.get("alength", "4") != "4":
        raise NcvError(f"alength={fields['alength']}; expected 4 (A,C,G,T)", path=path, line=lineno)
    nsites = float(fields["nsites"]) if "nsites" in fields else None
    return int(fields["w"]), nsites


def _matrix_rows(lines: list[str], start: int, width: int, path: str | None) -> np.ndarray:
    """``width`` rows of 4 numbers from ``lines[start:]`` (1-based line numbers in errors)."""
    rows = []
    for k in range(width):
        i = start + k
        parts = lines[i].split() if i < len(lines) else []
        try:
            values = [float(v) for v in parts]
        except ValueError:
            values = []
        if len(values) != 4 or min(values) < 0:
            got = lines[i].strip() if i < len(lines) else "end of file"
            raise NcvError(
                f"expected 4 non-negative frequencies (row {k + 1} of {width}), got {got!r}",
                path=path,
                line=i + 1,
            )
        rows.append(values)
    return np.array(rows, dtype=np.float64)


def parse_meme(text: str, *, path: str | os.PathLike | None = None) -> list[Motif]:
    """Motifs from the text of a MEME-format file (``letter-probability matrix`` sections).

    Parameters
    ----------
    text : str
        File content. Log-odds sections and other lines are ignored.
    path : str, optional
        Only for error messages.

    Returns
    -------
    list of Motif
        In file order; ``pwm`` ``(W, 4)`` as written (rows are not renormalised).
    """
    where = None if path is None else os.fspath(path)
    lines = text.splitlines()
    motifs: list[Motif] = []
    current: dict | None = None
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("ALPHABET"):
            _check_alphabet(line, where, i + 1)
        elif line.startswith("MOTIF"):
            words = line.split()
            if len(words) < 2:
                raise NcvError("MOTIF line without a name", path=where, line=i + 1)
            current = {"name": words[1], "alt_name": " ".join(words[2:])}
        elif _MATRIX.match(line):
            if current is None:
                raise NcvError(
                    "letter-probability matrix before any MOTIF line", path=where, line=i + 1
                )
            width, nsites = _matrix_header(line, where, i + 1)
            pwm = _matrix_rows(lines, i + 1, width, where)
            motifs.append(Motif(current["name"], pwm, current["alt_name"], nsites))
            i += width
        elif line.startswith("URL") and motifs and current is not None:
            m = motifs[-1]
            if m.name == current["name"]:
                motifs[-1] = Motif(m.name, m.pwm, m.alt_name, m.nsites, line[3:].strip() or None)
        i += 1
    return motifs


def read_meme(path: str | os.PathLike) -> list[Motif]:
    """Read a MEME-format motif file (see :func:`parse_meme`)."""
    p = Path(path)
    if not p.exists():
        raise NcvError("motif file not found", path=p)
    lines = read_lines(p, what="a MEME motif file", expected=MEME_EXPECTED)
    motifs = parse_meme("\n".join(text for _, text in lines), path=p)
    if not motifs:
        raise NcvError(f"no letter-probability matrix found; expected {MEME_EXPECTED}", path=p)
    return motifs


def format_meme(motifs: Iterable[Motif], background: Iterable[float] = (0.25,) * 4) -> str:
    """MEME version 4 text for ``motifs``; numbers are written so they read back exactly."""
    bg = " ".join(f"{b} {repr(float(v))}" for b, v in zip(BASES, background, strict=True))
    out = ["MEME version 4", "", f"ALPHABET= {BASES}", "", "strands: + -", ""]
    out += ["Background letter frequencies", bg, ""]
    for m in motifs:
        out.append(f"MOTIF {m.name} {m.alt_name}".rstrip())
        nsites = "" if m.nsites is None else f" nsites= {repr(float(m.nsites))}"
        out.append(f"letter-probability matrix: alength= 4 w= {m.width}{nsites} E= 0")
        out += [" ".join(repr(float(v)) for v in row) for row in m.pwm]
        if m.url:
            out.append(f"URL {m.url}")
        out.append("")
    return "\n".join(out)


def write_meme(motifs: Iterable[Motif], path: str | os.PathLike) -> None:
    """Write ``motifs`` to a MEME-format file, atomically."""
    text = format_meme(motifs)
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def _default_cache_dir() -> Path:
    return cache_root() / "jaspar"


def _from_pyjaspar(release: str, collection: str, tax_group: str) -> tuple[str, list[Motif]]:
    """Fetch and convert the latest version of every matrix (slow: seconds; cached by callers)."""
    from pyjaspar import jaspardb

    db = jaspardb(release=release)
    fetched = db.fetch_motifs(collection=collection, tax_group=[tax_group], all_versions=False)
    motifs = []
    for m in fetched:
        counts = np.array([m.counts[b] for b in BASES], dtype=np.float64).T  # (W, 4)
        pwm = counts / counts.sum(axis=1, keepdims=True)
        url = f"https://jaspar.elixir.no/matrix/{m.matrix_id}/"
        motifs.append(Motif(m.matrix_id, pwm, m.name, float(counts[0].sum()), url))
    return db.release, motifs


@lru_cache(maxsize=4)
def _jaspar_cached(release: str, collection: str, tax_group: str, cache: str) -> tuple:
    cache_dir = Path(cache)
    tag = f"{release}_{collection}_{tax_group}".replace("/", "_")
    path = cache_dir / f"{tag}.meme"
    if path.exists():
        return tuple(read_meme(path))
    _, motifs = _from_pyjaspar(release, collection, tax_group)
    cache_dir.mkdir(parents=True, exist_ok=True)
    write_meme(motifs, path)
    return tuple(motifs)


def jaspar_motifs(
    collection: str = "CORE",
    tax_group: str = "vertebrates",
    *,
    release: str | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> list[Motif]:
    """JASPAR matrices from pyjaspar's bundled database (offline), latest version of each.

    Parameters
    ----------
    collection, tax_group : str
        JASPAR collection and taxonomic group (default: CORE vertebrates).
    release : str, optional
        A pyjaspar release name (``"JASPAR2026"``); None is pyjaspar's latest.
    cache_dir : path, optional
        Where the converted matrices are kept as a MEME file (default:
        ``<cache_root()>/jaspar``); pyjaspar's conversion takes seconds, the cache
        milliseconds.

    Returns
    -------
    list of Motif
        ``name`` the matrix ID (``MA0139.2``), ``alt_name`` the factor (``CTCF``), ``pwm``
        the count matrix normalised per position, ``nsites`` the counts per position.
    """
    from pyjaspar import JASPAR_LATEST_RELEASE

    cache = Path(cache_dir) if cache_dir is not None else _default_cache_dir()
    release = release or JASPAR_LATEST_RELEASE
    return list(_jaspar_cached(release, collection, tax_group, str(cache.resolve())))
