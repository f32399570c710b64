"""The reference genome (FASTA): contigs, windows, the genome build, the ``.fai`` index.

The only module that touches pyfaidx (name matching and builds are :mod:`ncv_core.coords`). Windows never silently truncate (``strict_bounds``), N
stays N, soft-masked (lower-case) bases are upper-cased.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyfaidx

from ncv_core.coords import (
    contig_key,
    describe_build,
    fingerprint,
    guess_build,
    mismatched_contigs,
    normalize_build,
    window_bounds,
)
from ncv_core.errors import NcvError, warn
from ncv_core.io.cache import cache_root
from ncv_core.io.fai import index_problem
from ncv_core.io.tables import atomic_path, write_text
from ncv_core.io.text import SNIFF_BYTES, open_text


class Genome:
    """A FASTA reference opened with pyfaidx.

    Parameters
    ----------
    path : path
        FASTA file (plain, or bgzip with its ``.gzi``). The ``.fai`` index is built when missing;
        when the folder is not writable it is built in ``index_dir`` (default: the user cache) and
        a warning says so.
    build : str, optional
        The declared build (``hg19``, ``GRCh38``, ...). It must agree with the contig lengths when
        they are those of a known build.
    index_dir : path, optional
        Where to put an index that cannot be written beside the FASTA.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        build: str | None = None,
        index_dir: str | os.PathLike | None = None,
    ) -> None:
        self.path = Path(path)
        self._fasta = _open_fasta(self.path, index_dir)
        self.contigs: dict[str, int] = {name: len(rec) for name, rec in self._fasta.records.items()}
        if not self.contigs:
            raise NcvError("holds no sequences; expected a FASTA reference genome", path=self.path)
        self._by_key: dict[str, str] = {}
        for name in self.contigs:
            self._by_key.setdefault(contig_key(name), name)
        guessed = guess_build(self.contigs)
        declared = normalize_build(build)
        if declared and guessed and declared != guessed:
            raise NcvError(
                f"declared build {build} but its contig lengths are those of {guessed}",
                path=self.path,
            )
        self.build: str | None = declared or guessed
        self.fingerprint = fingerprint(self.contigs)
        self._mmap = (
            None if _is_compressed(self.path) else np.memmap(self.path, dtype=np.uint8, mode="r")
        )

    def __enter__(self) -> Genome:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._fasta.close()
        self._mmap = None

    def describe(self) -> dict:
        """JSON-able identity: path, build, fingerprint, number of contigs and bases."""
        return {
            "path": str(self.path),
            "build": self.build,
            "fingerprint": self.fingerprint,
            "n_contigs": len(self.contigs),
            "n_bases": int(sum(self.contigs.values())),
        }

    def resolve(self, name: str) -> str | None:
        """The genome's spelling of contig ``name`` (``1`` -> ``chr1``), or None if absent."""
        if name in self.contigs:
            return name
        return self._by_key.get(contig_key(name))

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Bases ``[start, end)`` (0-based) of ``chrom``, upper case; raises if out of bounds."""
        return self.fetch_many([chrom], np.array([start]), end - start)[0]

    def fetch_many(self, chroms: Sequence[str], starts: np.ndarray, length: int) -> list[str]:
        """``length`` bases from each 0-based start, upper case; raises if any runs off its contig.

        Plain FASTA files are read through a memory map with the positions of every base computed
        from the ``.fai`` index (vectorised, ~50x faster than one pyfaidx call per window);
        bgzip-compressed ones through pyfaidx.
        """
        starts = np.asarray(starts, dtype=np.int64)
        if length < 0:
            raise NcvError(f"cannot fetch {length} bases", path=self.path)
        out: list[str] = [""] * len(starts)
        chroms_arr = np.asarray(chroms, dtype=object)
        for chrom in dict.fromkeys(chroms_arr.tolist()):
            rows = np.nonzero(chroms_arr == chrom)[0]
            self._check_bounds(chrom, starts[rows], length)
            for i, seq in zip(rows.tolist(), self._read(chrom, starts[rows], length), strict=True):
                out[i] = seq
        return out

    def _check_bounds(self, chrom: str, starts: np.ndarray, length: int) -> None:
        size = self.contigs.get(chrom)
        if size is None:
            raise NcvError(f"contig {chrom!r} is not in the genome", path=self.path)
        bad = (starts < 0) | (starts + length > size)
        if bad.any():
            s = int(starts[np.argmax(bad)])
            raise NcvError(
                f"interval {chrom}:{s}-{s + length} is outside {chrom} (length {size:,})",
                path=self.path,
            )

    def _read(self, chrom: str, starts: np.ndarray, length: int) -> list[str]:
        if self._mmap is None:
            return [self._fasta[chrom][s : s + length] for s in starts.tolist()]
        rec = self._fasta.faidx.index[chrom]
        offsets = starts[:, None] + np.arange(length, dtype=np.int64)[None, :]
        byte = rec.offset + (offsets // rec.lenc) * rec.lenb + offsets % rec.lenc
        raw = self._mmap[byte]
        raw = np.where((raw >= 97) & (raw <= 122), raw - 32, raw).astype(np.uint8)
        text = raw.tobytes().decode("ascii", errors="replace")
        return [text[i * length : (i + 1) * length] for i in range(len(starts))]

    def windows(
        self, chroms: Sequence[str], positions: Sequence[int] | np.ndarray, window: int
    ) -> list[str]:
        """The ``window``-bp reference window of each locus (1-based ``positions``).

        Contig names must already be the genome's (see :meth:`resolve`). Raises if a window runs
        off its contig.
        """
        starts, _ = window_bounds(np.asarray(positions, dtype=np.int64), window)
        return self.fetch_many(chroms, starts, window)

    def bases_at(
        self,
        chroms: Sequence[str | None],
        positions: Sequence[int] | np.ndarray,
        *,
        valid: Sequence[bool] | None = None,
    ) -> list[str]:
        """The reference base at each 1-based position ('' where invalid or out of range)."""
        pos = np.asarray(positions, dtype=np.int64)
        ok = np.ones(len(chroms), dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
        names = [c if c is not None else "" for c in chroms]
        sizes = np.array([self.contigs.get(c, 0) for c in names], dtype=np.int64)
        ok &= (pos >= 1) & (pos <= sizes)
        rows = np.nonzero(ok)[0]
        out = [""] * len(names)
        for i, base in zip(
            rows.tolist(), self.fetch_many([names[i] for i in rows], pos[rows] - 1, 1), strict=True
        ):
            out[i] = base
        return out

    def check_compatible(
        self, contigs: Mapping[str, int], what: str, source: str | os.PathLike
    ) -> None:
        """Raise when ``contigs`` (of a track, a VCF header, a model) are of another build."""
        bad = mismatched_contigs(contigs, self.contigs)
        if bad:
            name, theirs, ours = bad[0]
            raise NcvError(
                f"{what} is for a different genome build: it says {name} is {theirs:,} bp"
                f"{describe_build(contigs)}, but {self.path.name} has {ours:,} bp"
                f"{describe_build(self.contigs)}",
                path=source,
            )


def _index_paths(
    path: Path, index_dir: str | os.PathLike | None, compressed: bool
) -> tuple[Path, bool]:
    """Where the .fai is or will be, and whether it had to move out of a read-only folder.

    An index beside a plain FASTA is used when present (:func:`fresh_index` checks it); beside a
    bgzip one only when it is newer (pyfaidx rebuilds older ones)."""
    beside = Path(str(path) + ".fai")
    usable = beside.exists() and (not compressed or beside.stat().st_mtime >= path.stat().st_mtime)
    if usable or os.access(path.parent, os.W_OK) and _writable(path.parent):
        return beside, False
    return _cache_index(path, index_dir), True


def _cache_index(path: Path, index_dir: str | os.PathLike | None) -> Path:
    """The index of ``path`` kept out of its (read-only) folder: in ``index_dir`` or the cache."""
    folder = Path(index_dir) if index_dir else cache_root() / "fai"
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    return folder / f"{path.name}.{digest}.fai"


def _writable(folder: Path) -> bool:
    """True when a file can really be created in ``folder`` (read-only mounts say no even to root)."""
    try:
        probe = folder / f".ncv-write-probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError:
        return False
    return True


def _is_compressed(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


FASTA_EXPECTED = "FASTA text: '>name' header lines, each followed by its bases (plain or bgzip)"


def _check_fasta_text(path: Path) -> None:
    """Raise unless ``path`` looks like FASTA text (before pyfaidx reads or indexes it)."""
    with open_text(path, what="a FASTA genome", expected=FASTA_EXPECTED, controls=False) as fh:
        head = fh.read(SNIFF_BYTES)
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if first and first != b">":
        raise NcvError(
            f"does not start with a '>' header line; expected {FASTA_EXPECTED}", path=path
        )
    if b"\r" in head and b"\n" not in head:
        raise NcvError(
            "has CR-only line ends (old Mac text), which FASTA indexes cannot describe; convert "
            "it, e.g. tr '\\r' '\\n' < in.fa > out.fa",
            path=path,
        )


def _open_fasta(path: Path, index_dir: str | os.PathLike | None) -> pyfaidx.Fasta:
    if not path.exists():
        raise NcvError("genome FASTA not found", path=path)
    _check_fasta_text(path)
    compressed = _is_compressed(path)
    if compressed and not Path(str(path) + ".gzi").exists():
        raise NcvError(
            "is gzip-compressed; pyfaidx reads plain FASTA or bgzip with a .gzi index: "
            "run `gunzip` (or `bgzip -r` after recompressing with bgzip)",
            path=path,
        )
    index, moved = _index_paths(path, index_dir, compressed)
    if moved:
        warn(f"the folder of {path} is read-only, so its index was written to {index}")
    if not compressed:  # checked here, so pyfaidx need not judge it by its time stamp
        index = fresh_index(path, index, index_dir)
    with _fasta_errors(path, index), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Index file .* is older than FASTA")
        return pyfaidx.Fasta(
            str(path),
            indexname=str(index),
            as_raw=True,
            strict_bounds=True,
            sequence_always_upper=True,
            rebuild=compressed,
            read_long_names=False,
        )


@contextmanager
def _fasta_errors(path: Path, index: Path) -> Iterator[None]:
    """pyfaidx's exceptions as :class:`NcvError` naming the FASTA."""
    try:
        yield
    except PermissionError as exc:
        raise NcvError(
            f"cannot write the FASTA index {index}: permission denied", path=path
        ) from exc
    except (pyfaidx.FastaIndexingError, pyfaidx.FastaNotFoundError, ValueError) as exc:
        text = str(exc)
        if "Duplicate key" in text:
            raise NcvError(f"contig names must be unique in a FASTA: {text}", path=path) from exc
        raise NcvError(f"is not a valid FASTA file: {text}", path=path) from exc
    except UnicodeDecodeError as exc:
        raise NcvError(f"is not a valid FASTA file (not ASCII text: {exc})", path=path) from exc


def fresh_index(path: Path, index: Path, index_dir: str | os.PathLike | None = None) -> Path:
    """An ``.fai`` that describes ``path`` now: ``index`` when it does (its contents are checked,
    :func:`ncv_core.io.fai.index_problem`, whatever its time stamp), else rebuilt beside the
    FASTA, or in the cache when that folder is read-only. A warning says why, unless the index
    is simply older than a rewritten FASTA (rebuilt silently, as samtools and pyfaidx do).

    Raises
    ------
    NcvError
        When even a rebuilt index does not describe the FASTA (a malformed FASTA).
    """
    if not index.exists():
        return _build_index(path, index)
    problem = index_problem(path, index)
    if problem is None:
        return index
    target = index
    if not _writable(index.parent):
        target = _cache_index(path, index_dir)
        if target.exists() and index_problem(path, target) is None:
            return target
    older = index.stat().st_mtime < path.stat().st_mtime  # the FASTA was rewritten: as samtools
    if target != index or not older:
        where = "" if target == index else f" into {target} (its folder is read-only)"
        warn(f"the index {index} does not match {path} ({problem}); rebuilt it{where}")
    _build_index(path, target)
    again = index_problem(path, target)
    if again is not None:
        raise NcvError(f"cannot be indexed: {again}", path=path)
    return target


def _build_index(path: Path, index: Path) -> Path:
    """Write the samtools ``.fai`` of ``path`` to ``index`` (atomically) with pyfaidx."""
    with _fasta_errors(path, index), atomic_path(index) as tmp:
        tmp.unlink()
        pyfaidx.Faidx(str(path), indexname=str(tmp), read_long_names=False).close()
    return index


def write_fasta(
    path: str | os.PathLike,
    records: Iterable[tuple[str, str]],
    *,
    line_width: int = 60,
    index: bool = False,
) -> None:
    """Write ``(name, sequence)`` records as FASTA with fixed-width lines.

    With ``index``, also write the samtools index ``<path>.fai`` (name, length, byte offset of
    the first base, bases per line, bytes per line). Names and sequences must be ASCII.
    """
    fai = []
    offset = 0
    with atomic_path(path) as tmp, open(tmp, "w", newline="\n", encoding="ascii") as fh:
        for name, seq in records:
            fh.write(f">{name}\n")
            offset += len(name) + 2
            fai.append(f"{name}\t{len(seq)}\t{offset}\t{line_width}\t{line_width + 1}\n")
            for i in range(0, len(seq), line_width):
                fh.write(seq[i : i + line_width])
                fh.write("\n")
            offset += len(seq) + -(-len(seq) // line_width)
    if index:
        write_text("".join(fai), os.fspath(path) + ".fai")
