"""The ``ncv`` command line: a thin layer over ``ncv_core``.

Each sub-command lives in its own module here with ``NAME``, ``HELP``, ``add_arguments(parser)``
and ``run(args) -> int``; :data:`COMMANDS` lists them. Command modules import the heavy parts of
``ncv_core`` (pandas, torch) inside ``run`` so that ``ncv --help`` answers at once. Bad input raises
:class:`ncv_core.errors.NcvError`, which is printed in one line with exit status 2 (never a
traceback).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from ncv_core import __version__
from ncv_core.errors import NcvError, NcvWarning

COMMANDS: tuple[str, ...] = (
    "demo",
    "features",
    "train",
    "evaluate",
    "score",
    "ablate",
    "motifs",
    "ism",
    "attribute",
    "liftover",
    "pseudo_labels",
    "impute",
)
"""Module names (under ``ncv_core.cli``) of the sub-commands, in ``--help`` order."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ncv",
        description="ncv-explorer: which of my non-coding variants matter, and why.",
    )
    parser.add_argument("--version", action="version", version=f"ncv-explorer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"ncv_core.cli.{name}")
        p = sub.add_parser(
            module.NAME,
            help=module.HELP,
            description=(module.__doc__ or module.HELP).strip(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(p)
        p.set_defaults(_run=module.run, _name=module.NAME)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
    if issubclass(category, NcvWarning):
        print(f"warning: {message}", file=sys.stderr)
    else:
        print(
            warnings.formatwarning(message, category, filename, lineno, line),
            file=sys.stderr,
            end="",
        )


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit status (0 ok, 2 bad input, 130 interrupted)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    warnings.showwarning = _show_warning
    try:
        return int(args._run(args) or 0)
    except NcvError as exc:
        print(f"ncv {args._name}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ncv {args._name}: interrupted", file=sys.stderr)
        return 130
