"""Coordinate systems: contig names and genome builds, 1-based positions and 0-based windows.

The one place where the arithmetic between the two conventions lives. Tables keep the user's
1-based ``pos`` (VCF); every window and interval inside the package is 0-based half-open. The
window of a variant at 1-based ``pos`` with window length ``W`` is ``[pos - 1 - W//2,
pos - 1 - W//2 + W)``: for 150 bp ``[pos - 76, pos + 74)``, the variant at offset
:func:`variant_offset` ``= W // 2 = 75``. Pure functions, no files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np

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


def variant_offset(window: int) -> int:
    """0-based offset of the variant's (first) base in a window of ``window`` bases: ``W // 2``."""
    return int(window) // 2


def window_bounds(pos, window: int):
    """0-based half-open window ``[start, end)`` around the 1-based position ``pos``.

    The variant base sits at offset :func:`variant_offset`: for 150 bp, ``[pos - 76, pos + 74)``.
    ``pos`` may be an int or an integer array (then both bounds are arrays).
    """
    start = pos - 1 - variant_offset(window)
    return start, start + window


def window_start(pos, window: int):
    """1-based genomic position of a window's first base (``pos`` int or integer array)."""
    return window_bounds(pos, window)[0] + 1


def substitute(seq: str, offset: int, alt: str) -> str:
    """``seq`` with the one base at ``offset`` replaced by ``alt`` (a single-base change)."""
    return seq[:offset] + alt + seq[offset + 1 :]


def allele_extra(ref_len: int, alt_len: int) -> int:
    """Reference bases past the window's end that the alt window needs: ``max(0, ref - alt)``.

    A deletion removes ``ref_len - alt_len`` bases from the window, so the alt haplotype's window
    reaches that many bases further right on the genome; SNVs, MNVs and insertions need none.
    """
    return max(0, int(ref_len) - int(alt_len))


def span_bounds(pos, window: int, ref_len=1, alt_len=1):
    """0-based ``[start, end)`` of the reference bases both allele windows are cut from.

    ``[start, start + window)`` is the reference window (:func:`window_bounds`); the stretch
    reaches :func:`allele_extra` bases further for a deletion. Works on ints or integer arrays.
    """
    start, end = window_bounds(pos, window)
    extra = np.maximum(np.asarray(ref_len) - np.asarray(alt_len), 0)
    return start, end + (int(extra) if extra.ndim == 0 else extra)


def haplotype_window(stretch: str, offset: int, ref_len: int, alt: str, window: int) -> str:
    """The alt allele's window: the reference ``stretch`` with REF replaced by ALT, cut to
    ``window`` bases.

    Parameters
    ----------
    stretch : str
        Reference bases from the window's first base on, at least ``window +
        allele_extra(ref_len, len(alt))`` long (see :func:`span_bounds`).
    offset : int
        Offset of REF's first base in the window (:func:`variant_offset` for loci).
    ref_len : int
        Length of REF (``stretch[offset : offset + ref_len]``).
    alt : str
        The ALT allele; an insertion's bases past the window's end are cut off.

    Returns
    -------
    str
        ``window`` bases; the first base of both alleles sits at ``offset``, so the ref and alt
        windows align base for base up to the variant. An SNV gives :func:`substitute`'s result.
    """
    alt_seq = (stretch[:offset] + alt + stretch[offset + ref_len :])[:window]
    if len(alt_seq) != window:
        need = window + allele_extra(ref_len, len(alt))
        raise ValueError(f"the reference stretch holds {len(stretch)} bases; {need} are needed")
    return alt_seq


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
