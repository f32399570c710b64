"""Inputs shared by the distributed-engine tests: the demo genome, a small model, and a loci file
with every kind of row a chunked run could get wrong (duplicates far apart, multi-ALT rows,
indels, rows the genome rejects, comments and blank lines mid-file)."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ncv_core.io.genome import Genome
from ncv_core.io.scores import BgzfWriter


@dataclass
class Messy:
    """Lines of a VCF (header included) and the counts of the planted oddities."""

    lines: list[str]
    n_variants: int


def messy_vcf_lines(genome_path: Path, n: int, seed: int) -> Messy:
    """A sorted VCF of ``n`` SNVs on the genome plus planted rows.

    Planted: exact and relabelled copies of earlier rows (some far back, so in another chunk),
    multi-ALT rows, an indel ALT, a no-ALT row (``.``), an unknown contig, a REF mismatch, a
    malformed position, a short row, a mid-file comment and a blank line.
    """
    rng = np.random.default_rng(seed)
    with Genome(genome_path) as g:
        names = list(g.contigs)[:2]
        sizes = np.array([g.contigs[c] for c in names])
        which = np.sort(rng.choice(len(names), n))
        pos = np.concatenate(
            [np.sort(rng.integers(500, sizes[i] - 500, (which == i).sum())) for i in range(2)]
        )
        chroms = [names[i] for i in which]
        refs = g.bases_at(chroms, pos)
        contigs = [f"##contig=<ID={c},length={g.contigs[c]}>" for c in g.contigs]
    head = ["##fileformat=VCFv4.2", *contigs, "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    rows = []
    for i, (c, p, r) in enumerate(zip(chroms, pos.tolist(), refs, strict=True)):
        alt = "ACGT"[("ACGT".index(r) + 1 + i % 3) % 4] if r in "ACGT" else "A"
        label = "" if i % 5 == 0 else f";label={i % 2}"
        rows.append(f"{c}\t{p}\tv{i}\t{r}\t{alt}\t.\t.\tDP=1{label}")
    body = list(rows)
    for k in rng.choice(len(rows), max(3, n // 40), replace=False).tolist():  # copies
        back = int(rng.integers(0, min(k, 300) + 1))
        copy = rows[k - back].replace(";label=1", ";label=0")  # some with another label
        body.insert(body.index(rows[k]) + 1, copy)
    for k in rng.choice(len(body), max(2, n // 60), replace=False).tolist():  # multi-ALT
        f = body[k].split("\t")
        other = next(b for b in "ACGT" if b not in (f[3], f[4]))
        body[k] = "\t".join([*f[:4], f"{f[4]},{other}", *f[5:]])
    c0 = chroms[0]
    planted = [
        f"{c0}\t{pos[1]}\tins\t{refs[1]}\t{refs[1]}T\t.\t.\t.",  # indel
        f"{c0}\t{pos[2]}\tnoalt\t{refs[2]}\t.\t.\t.\t.",  # nothing to score
        "chrNope\t1000\tnope\tA\tC\t.\t.\t.",  # unknown contig
        f"{c0}\t{pos[3]}\tmism\t{'A' if refs[3] != 'A' else 'C'}\tG\t.\t.\t.",  # REF mismatch
        f"{c0}\t12x\tbadpos\tA\tC\t.\t.\t.",  # malformed position
        f"{c0}\t500",  # short row
        "# a comment in the middle",
        "",
    ]
    for j, row in enumerate(planted):
        body.insert(int(len(body) * (j + 1) / (len(planted) + 2)), row)
    return Messy(head + body, n)


def write_lines(lines: list[str], path: Path, codec: str = "plain") -> Path:
    """Write lines (``\\n`` after each) as plain text, gzip or bgzip (small BGZF blocks, so lines
    straddle blocks)."""
    data = ("\n".join(lines) + "\n").encode()
    if codec == "gzip":
        path.write_bytes(gzip.compress(data))
    elif codec == "bgzf":
        with open(path, "wb") as fh:
            writer = BgzfWriter(fh)
            writer._BLOCK = 4096  # many blocks for a small file
            writer.write(data)
            writer.close()
    else:
        path.write_bytes(data)
    return path
