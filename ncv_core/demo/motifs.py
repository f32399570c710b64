"""The demo's transcription-factor motifs: JASPAR matrices, sampled instances, breaking alleles.

Matrices come from the JASPAR database that ``pyjaspar`` ships offline, pinned to
:data:`~ncv_core.demo.params.JASPAR_RELEASE` so a seed always plants the same motifs. Base order is
the package's A, C, G, T; base codes are 0-3 in that order.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ncv_core.constants import BASES
from ncv_core.demo.params import JASPAR_RELEASE, MIN_BREAK_IC


@dataclass(frozen=True, eq=False)
class Motif:
    """A position frequency matrix.

    Attributes
    ----------
    matrix_id, name : str
        JASPAR identifier (with version) and transcription-factor name.
    probs : numpy.ndarray
        Shape ``(4, L)``: base probabilities per column in A, C, G, T order (pseudocount 0.5%).
    """

    matrix_id: str
    name: str
    probs: np.ndarray

    @property
    def length(self) -> int:
        return int(self.probs.shape[1])

    @property
    def consensus(self) -> str:
        """The most probable base of every column."""
        return "".join(BASES[i] for i in self.probs.argmax(axis=0))

    @property
    def information_content(self) -> np.ndarray:
        """Information content of each column against a uniform background, bits, shape ``(L,)``."""
        return 2.0 + (self.probs * np.log2(self.probs)).sum(axis=0)

    def to_json(self) -> dict:
        """JSON-ready description (probabilities as ``L`` rows of ``[A, C, G, T]``)."""
        return {
            "matrix_id": self.matrix_id,
            "name": self.name,
            "consensus": self.consensus,
            "length": self.length,
            "probs": np.round(self.probs.T, 4).tolist(),
        }


def load_motifs(matrix_ids: tuple[str, ...] | list[str]) -> list[Motif]:
    """Fetch matrices by versioned JASPAR id from the offline database.

    Parameters
    ----------
    matrix_ids : sequence of str
        Ids such as ``"MA0080.7"``.

    Returns
    -------
    list of Motif
        In the order asked for.
    """
    from pyjaspar import jaspardb

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        db = jaspardb(release=JASPAR_RELEASE)
        found = [db.fetch_motif_by_id(mid) for mid in matrix_ids]
    motifs = []
    for mid, m in zip(matrix_ids, found, strict=True):
        if m is None or m.matrix_id != mid:
            raise RuntimeError(f"{JASPAR_RELEASE} has no matrix {mid} (pyjaspar database changed?)")
        counts = np.array([m.counts[b] for b in BASES], dtype=np.float64)
        freqs = counts / counts.sum(axis=0, keepdims=True)
        probs = (freqs + 0.005) / (1.0 + 4 * 0.005)
        motifs.append(Motif(matrix_id=mid, name=str(m.name), probs=probs))
    return motifs


def sample_instances(motif: Motif, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` instances of a motif, column by column from its probabilities.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, L)`` int8 base codes (0-3 = A, C, G, T), motif orientation.
    """
    cum = np.cumsum(motif.probs, axis=0)
    cum[-1] = 1.0
    u = rng.random((n, motif.length))
    return (u[:, None, :] > cum[None, :, :]).sum(axis=1).astype(np.int8)


def reverse_complement_codes(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of base codes along the last axis (A<->T is 0<->3, C<->G is 1<->2)."""
    return (3 - codes[..., ::-1]).astype(np.int8)


def breakable_columns(motif: Motif) -> np.ndarray:
    """Columns a functional variant may hit: information content >= ``MIN_BREAK_IC`` bits.

    Returns
    -------
    numpy.ndarray
        Column indices, shape ``(k,)``; never empty (falls back to the most informative column).
    """
    ic = motif.information_content
    cols = np.flatnonzero(ic >= MIN_BREAK_IC)
    return cols if len(cols) else np.array([int(ic.argmax())])


def breaking_alleles(motif: Motif, column: int) -> tuple[int, int]:
    """The reference (best) and alternative (worst) base codes of a column, motif orientation."""
    p = motif.probs[:, column]
    return int(p.argmax()), int(p.argmin())
