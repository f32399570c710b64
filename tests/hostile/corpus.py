"""A corpus of hostile inputs for ``ncv``, written by code (no binary fixtures in the repository).

:func:`build_base` writes a small good data set (a genome, two bigWigs, peaks, a manifest, a loci
file of :data:`N_GOOD` placeable rows, its feature table and a trained model); each function in
:data:`CASES` then writes one hostile variant of it into a folder of its own and returns a
:class:`Case`: the ``ncv`` arguments, the exit status expected, the fragments the message must
hold (file, line, reason) and how many good rows must survive. One case per class of bug, named
``<class>/<case>``.

Run as a script to write every case into a folder and list its command line::

    python tests/hostile/corpus.py /tmp/hostile
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``hostile`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hostile import cases_files, cases_text  # noqa: E402
from hostile._base import N_GOOD, Base, Case, build_base  # noqa: E402

__all__ = ["CASES", "N_GOOD", "Base", "Case", "build_base", "main"]

CASES: dict[str, Callable[[Base, Path], Case]] = {**cases_text.CASES, **cases_files.CASES}
"""Every case builder by name, ``<class>/<case>``."""


def main(argv: list[str]) -> int:
    """Write the base data and every case into ``argv[0]``; print each case's command line."""
    root = Path(argv[0])
    base = build_base(root / "base")
    for name, builder in CASES.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        c = builder(base, folder)
        print(f"{name}: ncv {' '.join(c.argv)}  # expect exit {c.code}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
