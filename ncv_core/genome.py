"""The reference genome: contigs, name matching, windows and genome build.

The only module that touches pyfaidx.
"""

from __future__ import annotations

import os
from collections.abc import Iterable


def write_fasta(path: str | os.PathLike, records: Iterable[tuple[str, str]], *, line_width: int = 60) -> None:
    """Write ``(name, sequence)`` records as FASTA with fixed-width lines (and no index)."""
    with open(path, "w", newline="\n") as fh:
        for name, seq in records:
            fh.write(f">{name}\n")
            for i in range(0, len(seq), line_width):
                fh.write(seq[i : i + line_width])
                fh.write("\n")
