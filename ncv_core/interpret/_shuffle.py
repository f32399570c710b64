"""Dinucleotide shuffling of one-hot sequences (the Altschul-Erickson Eulerian-walk method).

A sequence is a walk through the multigraph whose vertices are its symbols (A, C, G, T and N)
and whose edges are its dinucleotides. Every other walk that starts at the same symbol and uses
each edge once has exactly the same dinucleotide counts. Following Kandel et al. (1996), a
random such walk is drawn by (1) choosing, for every vertex other than the last symbol, the edge
it leaves by last, so that these edges form a tree pointing to the last symbol (a random
arborescence, sampled here with Wilson's loop-erased random walks, each step choosing an out-edge
uniformly); (2) shuffling every vertex's other out-edges; (3) walking from the first symbol.
Every sequence with the same dinucleotide counts, first and last symbol is then equally likely.
"""

from __future__ import annotations

import numpy as np

_N = 4  # the symbol index of N (an all-zero one-hot column)


def _tokens(onehot: np.ndarray) -> np.ndarray:
    """``(4, L)`` one-hot -> ``(L,)`` symbol indices, 4 for an all-zero (N) column."""
    return np.where(onehot.max(axis=0) > 0, onehot.argmax(axis=0), _N)


def _arborescence(
    successors: list[list[int]], root: int, rng: np.random.Generator
) -> dict[int, int]:
    """Wilson's algorithm: for every vertex with out-edges except ``root``, its tree successor."""
    in_tree = {root}
    nxt: dict[int, int] = {}
    for start in range(len(successors)):
        if not successors[start] or start in in_tree:
            continue
        path: dict[int, int] = {}
        u = start
        while u not in in_tree:  # loop-erased: the last exit from each vertex wins
            path[u] = successors[u][rng.integers(len(successors[u]))]
            u = path[u]
        u = start
        while u not in in_tree:
            nxt[u] = path[u]
            in_tree.add(u)
            u = path[u]
    return nxt


def _shuffle_tokens(tok: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One dinucleotide-preserving shuffle of a token sequence."""
    if len(tok) < 3:
        return tok.copy()
    successors: list[list[int]] = [[] for _ in range(_N + 1)]
    for a, b in zip(tok[:-1].tolist(), tok[1:].tolist(), strict=True):
        successors[a].append(b)
    last = int(tok[-1])
    tree = _arborescence(successors, last, rng)
    order: list[list[int]] = []
    for v, succ in enumerate(successors):
        rest = list(succ)
        if v in tree:
            rest.remove(tree[v])
        rest = [rest[i] for i in rng.permutation(len(rest))]
        order.append(rest + [tree[v]] if v in tree else rest)
    out = np.empty_like(tok)
    out[0] = u = int(tok[0])
    used = [0] * (_N + 1)
    for i in range(1, len(tok)):
        nxt = order[u][used[u]]
        used[u] += 1
        out[i] = u = nxt
    return out


def dinucleotide_shuffle(
    x_seq: np.ndarray,
    n_shuffles: int = 20,
    *,
    random_state: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Dinucleotide-preserving shuffles of one-hot sequences.

    Parameters
    ----------
    x_seq : numpy.ndarray
        ``(N, 4, L)`` or ``(4, L)`` one-hot in A,C,G,T order; all-zero columns (N) are a fifth
        symbol and stay all-zero.
    n_shuffles : int
        Shuffles per sequence.
    random_state : int or numpy.random.Generator, optional
        Seed; the same seed gives the same shuffles.

    Returns
    -------
    numpy.ndarray
        ``(N, n_shuffles, 4, L)`` (``(n_shuffles, 4, L)`` for one ``(4, L)`` input), float32.
        Each shuffle has the input's dinucleotide counts (hence its base counts), first and last
        base.
    """
    arr = np.asarray(x_seq)
    single = arr.ndim == 2
    arr = arr[None] if single else arr
    rng = np.random.default_rng(random_state)
    eye = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), dtype=np.float32)])
    out = np.empty((arr.shape[0], n_shuffles, 4, arr.shape[2]), dtype=np.float32)
    for n in range(arr.shape[0]):
        tok = _tokens(arr[n])
        for k in range(n_shuffles):
            out[n, k] = eye[_shuffle_tokens(tok, rng)].T
    return out[0] if single else out
