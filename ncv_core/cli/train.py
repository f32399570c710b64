"""Train a model on a feature table and write a model folder (model.safetensors, card.json,
split.tsv).

Methods: ssl (default), supervised (the same network on the labelled rows only) and noisy-student
(teacher -> noisy student). --preset robust (default; tabular models): transformed features,
AdamW, a 5-network ensemble early-stopped on inner folds of the labelled rows, and for ssl a
teacher ensemble's calibrated, prior-shifted soft targets for a noisy student ensemble;
--preset paper: the SSL_dnn paper's settings (argmax pseudo-labels, alpha(t) ramp; add
--threshold 0.95 for its promotion). docs/TRAINING.md. Splits: paper (Table 2's design:
balanced labelled and validation sets, the rest unlabelled with hidden labels) or cv (k-fold, mean
and standard error; the saved model is then refit on all rows).

examples:
  ncv train --features gm.parquet --out models/gm
  ncv train --features gm.parquet --out models/gm-sup --method supervised --seed 3
  ncv train --features annotations.tsv --out models/mine          # mlp: robust ensemble, ssl
  ncv train --features annotations.tsv --out models/mine-paper --preset paper --threshold 0.95
  ncv train --features gm.parquet --out models/gm --n-labelled 550 --n-val 272
  ncv train --features annotations.tsv --out models/mine --split cv --folds 5
  ncv train --features gm.parquet --out models/gm-pre --model deepbind --optimizer adam \
      --lr 0.001 --method supervised --pretrain gm_pseudo.tsv   # pre-train, then fine-tune

--pretrain (repeatable) first trains each model on cross-species pseudo-labels (the tables of
ncv pseudo-labels: seq, label, source_chrom, source_pos), then fine-tunes it with --method;
pseudo-labels whose source locus is a validation row, on a held-out chromosome or (by default)
not a labelled training row are dropped first (docs/CROSS_SPECIES.md).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

NAME = "train"
HELP = "feature table -> trained model folder (supervised, ssl, noisy-student)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ncv_core.training.types import option_fields

    p.add_argument("--features", required=True, help="feature table (Parquet, TSV or CSV)")
    p.add_argument("--out", required=True, help="model folder to write (replaced if a model)")
    for f in option_fields():  # one option per TrainConfig field: defined once, there
        _add_config_option(p, f)
    add_pretrain_arguments(p)
    p.add_argument("--device", default=None, help="torch device (default: cuda if available)")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads for this run (default: torch's own choice)",
    )


def add_pretrain_arguments(p: argparse.ArgumentParser) -> None:
    """``--pretrain TABLE`` (repeatable) and its settings."""
    from ncv_core.training.pretrain import USES

    g = p.add_argument_group("pre-training on cross-species pseudo-labels (sequence-only models)")
    g.add_argument(
        "--pretrain",
        action="append",
        default=None,
        metavar="TABLE",
        help="pseudo-label table of ncv pseudo-labels (repeatable): pre-train on it first",
    )
    g.add_argument("--pretrain-epochs", type=int, default=None, help="default: --epochs")
    g.add_argument("--pretrain-lr", type=float, default=None, help="default: --lr")
    g.add_argument(
        "--pretrain-use",
        choices=USES,
        default="labelled",
        help="labelled: only homologs of the labelled training rows (default); all: every "
        "pseudo-label whose source is not held out",
    )


def pretraining_from_args(args: argparse.Namespace) -> Any:
    """The :class:`~ncv_core.training.pretrain.Pretraining` of the options, or None."""
    if not args.pretrain:
        return None
    from ncv_core.io.tables import read_table
    from ncv_core.training.pretrain import Pretraining

    tables = [read_table(path)[0] for path in args.pretrain]
    return Pretraining.of(
        tables,
        args.pretrain,
        epochs=args.pretrain_epochs,
        lr=args.pretrain_lr,
        use=args.pretrain_use,
    )


def _add_config_option(p: argparse.ArgumentParser, f: Any) -> None:
    """``--name`` for a :class:`~ncv_core.training.types.TrainConfig` field, from its metadata.

    Every option defaults to None ("not given": the config's default stands), so the help shows
    the config's own default.
    """
    meta = f.metadata
    flag = meta.get("flag", "--" + f.name.replace("_", "-"))
    default = f.default
    shown = " ".join(default) if isinstance(default, tuple) else default
    text = meta["help"]
    if shown not in (None, "") and "default" not in text and not meta.get("invert"):
        text += f" (default {shown})"
    kw: dict[str, Any] = {"dest": f.name, "default": None, "help": text}
    if meta.get("invert"):
        kw.update(action="store_const", const=not default)
    else:
        kind = str(f.type)
        kw["type"] = int if "int" in kind else float if "float" in kind else str
        for key in ("nargs", "choices", "metavar"):
            if key in meta:
                kw[key] = meta[key]
    p.add_argument(flag, **kw)


def config_from_args(args: argparse.Namespace) -> Any:
    """The :class:`~ncv_core.training.types.TrainConfig` of the given options."""
    from ncv_core.training.types import TrainConfig, option_fields

    given = {}
    for f in option_fields():
        value = getattr(args, f.name)
        if value is None:
            continue
        if isinstance(value, list):
            value = tuple(value)
        if f.metadata.get("zero_is_none") and value == 0:
            value = None
        given[f.name] = value
    return TrainConfig(**given)


def run(args: argparse.Namespace) -> int:
    import torch

    from ncv_core.io.model_folder import check_model_target, save_model
    from ncv_core.io.tables import check_outputs, read_table, sidecar_path
    from ncv_core.progress import TqdmProgress
    from ncv_core.training import train

    cfg = config_from_args(args)
    inputs = [args.features, sidecar_path(args.features), *(getattr(args, "pretrain", None) or [])]
    check_outputs([], folders=[args.out], inputs=inputs)  # before the training, not after it
    check_model_target(args.out)
    table, meta = read_table(args.features)
    pretrain = pretraining_from_args(args)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    with TqdmProgress(postfix_keys=("val_auroc", "alpha", "promoted")) as bar:
        result = train(
            table,
            meta=meta,
            config=cfg,
            source=str(args.features),
            progress=lambda e: bar(e) if e.get("event") == "epoch" else None,
            device=args.device,
            pretrain=pretrain,
        )
    out = save_model(result, args.out)
    print(summary_line(result.card, out), file=sys.stdout)
    return 0


def summary_line(card: dict, out: object) -> str:
    """One line: what was trained, on how much, and how well."""
    m = card["metrics"]
    arch, split = card["architecture"]["name"], card["split"]["kind"]

    def fmt(key: str) -> str:
        v = m.get(key)
        se = m.get(f"{key}_se")
        text = "undefined" if v is None else f"{v:.3f}"
        return text + (f" ± {se:.3f}" if se is not None else "")

    where = f"{card['data']['n_rows']:,} rows, {split} split"
    if "pretrain" in card:
        where += f", pre-trained on {card['pretrain']['n_used']:,} pseudo-labels"
    stopped = " (stopped early)" if card["training"].get("termination") == "stopped" else ""
    k = card["architecture"].get("members") or 1
    ensemble = f", {k}-network ensemble" if k > 1 else ""
    return (
        f"trained {arch} ({card['method']}, seed {card['seed']}{ensemble}) on {where}: "
        f"val AUROC {fmt('val_auroc')}, AUPR {fmt('val_aupr')}{stopped} -> {out}"
    )
