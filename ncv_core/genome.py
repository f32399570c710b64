"""The reference genome: contigs, name matching, windows and genome build.

The only module that touches pyfaidx. Windows never silently truncate (``strict_bounds``), N
stays N, soft-masked (lower-case) bases are upper-cased.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyfaidx

from ncv_core.errors import NcvError, warn

# UCSC chromosome lengths, used to name a genome's build and to tell builds apart.
_HUMAN = [f"chr{i}" for i in [*range(1, 23), "X", "Y", "M"]]
# fmt: off
_HG19 = dict(zip(_HUMAN, [
    249250621, 243199373, 198022430, 191154276, 180915260, 171115067, 159138663, 146364022,
    141213431, 135534747, 135006516, 133851895, 115169878, 107349540, 102531392, 90354753,
    81195210, 78077248, 59128983, 63025520, 48129895, 51304566, 155270560, 59373566, 16571,
], strict=True))
_HG38 = dict(zip(_HUMAN, [
    248956422, 242193529, 198295559, 190214555, 181538259, 170805979, 159345973, 145138636,
    138394717, 133797422, 135086622, 133275309, 114364328, 107043718, 101991189, 90338345,
    83257441, 80373285, 58617616, 64444167, 46709983, 50818468, 156040895, 57227415, 16569,
], strict=True))
_MM10 = {"chr1": 195471971, "chr2": 182113224, "chr3": 160039680, "chr4": 156508116,
         "chr5": 151834684, "chr6": 149736546, "chrX": 171031299, "chrY": 91744698}
BUILD_ALIASES = {"grch37": "hg19", "hg19": "hg19", "b37": "hg19", "grch38": "hg38", "hg38": "hg38",
                 "grcm38": "mm10", "mm10": "mm10"}
# fmt: on
KNOWN_BUILDS: dict[str, dict[str, int]] = {"hg19": _HG19, "hg38": _HG38, "mm10": _MM10}
"""Contig lengths of well-known builds (UCSC names)."""


def window_bounds(pos, window: int):
    """0-based half-open window ``[start, end)`` around the 1-based position ``pos``.

    The variant base sits at offset ``window // 2``: for 150 bp, ``[pos - 76, pos + 74)``.
    ``pos`` may be an int or an integer array (then both bounds are arrays).
    """
    start = pos - 1 - window // 2
    return start, start + window


def contig_key(name: str) -> str:
    """Name used to match contigs across conventions: ``chr1``/``1`` -> ``1``, ``MT``/``chrM`` -> ``m``."""
    key = name.strip().lower()
    key = key[3:] if key.startswith("chr") else key
    return "m" if key == "mt" else key


def guess_build(contigs: Mapping[str, int]) -> str | None:
    """The known build (``hg19``, ``hg38``, ``mm10``) whose lengths all shared contigs match."""
    keyed = {contig_key(n): length for n, length in contigs.items()}
    for build, sizes in KNOWN_BUILDS.items():
        shared = [k for k in map(contig_key, sizes) if k in keyed and k != "m"]
        if shared and all(keyed[k] == sizes[f"chr{k.upper() if k in 'xy' else k}"] for k in shared):
            return build
    return None


def normalize_build(name: str | None) -> str | None:
    """``GRCh37`` -> ``hg19`` and so on; unknown names are returned lower-cased."""
    if name is None or not str(name).strip():
        return None
    key = str(name).strip().lower()
    return BUILD_ALIASES.get(key, key)


def fingerprint(contigs: Mapping[str, int]) -> str:
    """SHA-1 of the sorted ``name<TAB>length`` lines: the identity of a genome's coordinate system."""
    text = "".join(
        f"{contig_key(n)}\t{n_len}\n"
        for n, n_len in sorted(contigs.items(), key=lambda x: contig_key(x[0]))
    )
    return hashlib.sha1(text.encode()).hexdigest()


def mismatched_contigs(a: Mapping[str, int], b: Mapping[str, int]) -> list[tuple[str, int, int]]:
    """Contigs present in both (matched by :func:`contig_key`) whose lengths differ."""
    b_keyed = {contig_key(n): length for n, length in b.items()}
    return [
        (n, la, b_keyed[contig_key(n)])
        for n, la in a.items()
        if contig_key(n) in b_keyed and b_keyed[contig_key(n)] != la
    ]


def describe_build(contigs: Mapping[str, int]) -> str:
    build = guess_build(contigs)
    return f" ({build})" if build else ""


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

    def __enter__(self) -> Genome:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._fasta.close()

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
        length = self.contigs.get(chrom)
        if length is None:
            raise NcvError(f"contig {chrom!r} is not in the genome", path=self.path)
        if start < 0 or end > length or start > end:
            raise NcvError(
                f"interval {chrom}:{start}-{end} is outside {chrom} (length {length:,})",
                path=self.path,
            )
        return self._fasta[chrom][start:end]

    def windows(
        self, chroms: Sequence[str], positions: Sequence[int] | np.ndarray, window: int
    ) -> list[str]:
        """The ``window``-bp reference window of each locus (1-based ``positions``).

        Contig names must already be the genome's (see :meth:`resolve`). Raises if a window runs
        off its contig.
        """
        out = []
        for chrom, pos in zip(chroms, np.asarray(positions).tolist(), strict=True):
            start, end = window_bounds(pos, window)
            out.append(self.fetch(chrom, start, end))
        return out

    def bases_at(
        self,
        chroms: Sequence[str | None],
        positions: Sequence[int] | np.ndarray,
        *,
        valid: Sequence[bool] | None = None,
    ) -> list[str]:
        """The reference base at each 1-based position ('' where invalid or out of range)."""
        valid = [True] * len(chroms) if valid is None else valid
        out = []
        for chrom, pos, ok in zip(chroms, np.asarray(positions).tolist(), valid, strict=True):
            if ok and chrom is not None and 1 <= pos <= self.contigs[chrom]:
                out.append(self._fasta[chrom][pos - 1 : pos])
            else:
                out.append("")
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


def _index_paths(path: Path, index_dir: str | os.PathLike | None) -> tuple[Path, bool]:
    """Where the .fai is or will be, and whether it had to move out of a read-only folder."""
    beside = Path(str(path) + ".fai")
    fresh = beside.exists() and beside.stat().st_mtime >= path.stat().st_mtime
    if fresh or os.access(path.parent, os.W_OK) and _writable(path.parent):
        return beside, False
    from ncv_core.cache import cache_root

    folder = Path(index_dir) if index_dir else cache_root() / "fai"
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    return folder / f"{path.name}.{digest}.fai", True


def _writable(folder: Path) -> bool:
    """True when a file can really be created in ``folder`` (read-only mounts say no even to root)."""
    try:
        probe = folder / f".ncv-write-probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError:
        return False
    return True


def _open_fasta(path: Path, index_dir: str | os.PathLike | None) -> pyfaidx.Fasta:
    if not path.exists():
        raise NcvError("genome FASTA not found", path=path)
    with open(path, "rb") as fh:
        head = fh.read(2)
    if head == b"\x1f\x8b" and not Path(str(path) + ".gzi").exists():
        raise NcvError(
            "is gzip-compressed; pyfaidx reads plain FASTA or bgzip with a .gzi index: "
            "run `gunzip` (or `bgzip -r` after recompressing with bgzip)",
            path=path,
        )
    index, moved = _index_paths(path, index_dir)
    if moved:
        warn(f"the folder of {path} is read-only, so its index was written to {index}")
    try:
        return pyfaidx.Fasta(
            str(path),
            indexname=str(index),
            as_raw=True,
            strict_bounds=True,
            sequence_always_upper=True,
            rebuild=True,
            read_long_names=False,
        )
    except PermissionError as exc:
        raise NcvError(
            f"cannot write the FASTA index {index}: permission denied", path=path
        ) from exc
    except (
        pyfaidx.FastaIndexingError,
        pyfaidx.FastaNotFoundError,
        ValueError,
        UnicodeDecodeError,
    ) as exc:
        raise NcvError(f"is not a valid FASTA file: {exc}", path=path) from exc


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
    with open(path, "w", newline="\n", encoding="ascii") as fh:
        for name, seq in records:
            fh.write(f">{name}\n")
            offset += len(name) + 2
            fai.append(f"{name}\t{len(seq)}\t{offset}\t{line_width}\t{line_width + 1}\n")
            for i in range(0, len(seq), line_width):
                fh.write(seq[i : i + line_width])
                fh.write("\n")
            offset += len(seq) + -(-len(seq) // line_width)
    if index:
        with open(os.fspath(path) + ".fai", "w", newline="\n", encoding="ascii") as fh:
            fh.write("".join(fai))
