"""``python -m ncv_core`` runs the ``ncv`` command line."""

from ncv_core.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
