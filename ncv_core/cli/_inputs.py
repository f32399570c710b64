"""The input options shared by ``ncv ism`` and ``ncv attribute`` (the logic is in
:mod:`ncv_core.interpret.inputs`)."""

from __future__ import annotations

import argparse

from ncv_core.coords import variant_offset


def add_input_arguments(p: argparse.ArgumentParser) -> None:
    """``--model --out`` and one of ``--sequence``, ``--locus`` (+ genome, tracks, cell line),
    ``--features TABLE --id ID``."""
    p.add_argument("--model", required=True, help="model folder written by ncv train")
    p.add_argument("--out", required=True, help="output table (FILE.tsv, .csv or .parquet)")
    src = p.add_argument_group("input (one of)")
    src.add_argument(
        "--sequence",
        nargs="+",
        default=None,
        metavar="ACGT",
        help="window(s) of exactly the model's length (sequence-only models)",
    )
    src.add_argument(
        "--locus",
        nargs="+",
        default=None,
        metavar="CHR:POS",
        help="1-based position(s) of the variant; needs --genome (and --tracks, --cell-line "
        "for a model with tabular features)",
    )
    src.add_argument(
        "--features",
        default=None,
        metavar="TABLE",
        help="a feature table; with --id, only those rows",
    )
    p.add_argument("--genome", default=None, help="reference FASTA (with --locus)")
    p.add_argument("--tracks", default=None, help="tracks manifest (with --locus)")
    p.add_argument("--cell-line", default=None, help="cell line of the manifest (with --locus)")
    p.add_argument("--build", default=None, help="declared genome build, checked against FASTA")
    p.add_argument("--id", nargs="+", default=None, help="ids of --features rows to use")
    p.add_argument("--device", default=None, help="torch device (default: cuda if available)")


def load_inputs(args: argparse.Namespace, *, extra_outputs: tuple = ()):
    """``(loaded model, ModelInputs)`` from the parsed options, once every output (``--out``,
    its metadata, ``extra_outputs``) is known to be writable and to replace no input."""
    from ncv_core.errors import NcvError
    from ncv_core.interpret.inputs import model_inputs
    from ncv_core.io.model_folder import load_model
    from ncv_core.io.tables import check_outputs, read_table, table_paths

    check_outputs(
        [*table_paths(args.out), *extra_outputs],
        inputs=[args.model, args.features, args.genome, args.tracks],
    )
    loaded = load_model(args.model, device=args.device)
    given = [n for n in ("sequence", "locus", "features") if getattr(args, n) is not None]
    if len(given) != 1:
        raise NcvError(
            "give exactly one input: --sequence ACGT..., --locus CHR:POS (with --genome, --tracks, "
            "--cell-line) or --features TABLE [--id ID]"
            + (f"; got --{' and --'.join(given)}" if given else "")
        )
    if args.id is not None and args.features is None:
        raise NcvError("--id selects rows of --features TABLE")
    table = meta = None
    if args.features is not None:
        table, meta = read_table(args.features)
    inputs = model_inputs(
        loaded,
        sequence=args.sequence,
        locus=args.locus,
        genome=args.genome,
        tracks=args.tracks,
        cell_line=args.cell_line,
        build=args.build,
        table=table,
        meta=meta,
        ids=args.id,
    )
    return loaded, inputs


def input_meta(args: argparse.Namespace, loaded, inputs) -> dict:
    """Metadata common to the ISM and attribution tables."""
    return {
        "model": str(args.model),
        "architecture": loaded.card["architecture"]["name"],
        "input": inputs.kind,
        "tabular": inputs.tabular,
        "rows": inputs.rows.drop(columns=["seq"])
        .astype(object)
        .where(inputs.rows.drop(columns=["seq"]).notna(), None)
        .to_dict(orient="records"),
        "window": int(inputs.x_seq.shape[2]),
        "variant_offset": variant_offset(int(inputs.x_seq.shape[2])),
    }
