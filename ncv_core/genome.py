"""The reference genome: contigs, name matching, windows and genome build.

The only module that touches pyfaidx.
"""

from __future__ import annotations

import os
from collections.abc import Iterable


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
