"""Pre-training on cross-species pseudo-labels, then fine-tuning on the labelled table (Phan et al.).

``train(table, pretrain=Pretraining.of([pseudo_table, ...]))`` trains each model of the run
(the paper split's one model, every CV fold and the final refit) in two stages:

1. **pretrain**: a freshly initialised network learns the pseudo-labelled windows (their
   ``seq`` and ``label``, :func:`ncv_core.features.pseudo_labels.pseudo_labels`) with the run's
   optimiser, supervised, scored on the run's validation rows after every epoch;
2. **fine-tune**: the run's own method (``supervised``, ``noisy-student`` or ``ssl``) starts from
   the pre-trained weights instead of a random initialisation; with ``noisy-student`` the teacher
   and every student start from them.

No label of a held-out locus may reach pre-training through its homologs. Before each model's
pre-training, pseudo-label rows are dropped when their source locus (``source_chrom``,
``source_pos``, matched to the table's ``chrom``, ``pos`` with ``1``/``chr1`` alike) is

- ``validation locus``: a validation row of this model;
- ``held-out chromosome``: on a chromosome holding validation rows and no labelled training row
  (the split held the chromosome out, so its neighbours must not leak either);
- ``not a labelled training locus``: with ``use="labelled"`` (the default), any other locus
  that is not a labelled training row of this model (an unlabelled row's label is hidden from
  this model, a locus outside the table is unknown to the split);
- ``no label``: the pseudo-label is missing.

The card gets a ``pretrain`` section (tables, sizes, what was dropped and why, the pre-training
history); progress events of the first stage carry ``stage="pretrain"`` (``"pretrain fold 2/5"``
in a CV run), then the usual stages follow.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ncv_core.coords import contig_key
from ncv_core.errors import NcvError, warn
from ncv_core.io.tables import json_ready
from ncv_core.models import MODELS
from ncv_core.models.encoding import Inputs, sequence_array, table_sha256
from ncv_core.training.splits import LABELLED, VALIDATION
from ncv_core.training.trainers import SupervisedTrainer
from ncv_core.training.types import Prepared, TrainConfig

USES: tuple[str, ...] = ("labelled", "all")
"""Which pseudo-labels may pre-train besides the leak rule: ``labelled`` (homologs of the
model's labelled training rows only) or ``all`` (every one not dropped by the leak rule)."""
REQUIRED_COLUMNS: tuple[str, ...] = ("seq", "label", "source_chrom", "source_pos")
DROP_REASONS: tuple[str, ...] = (
    "no label",
    "validation locus",
    "held-out chromosome",
    "not a labelled training locus",
)


@dataclass(frozen=True, eq=False)
class Pretraining:
    """What to pre-train on and how (see the module docstring).

    Attributes
    ----------
    tables : tuple of pandas.DataFrame
        Pseudo-label tables: ``seq`` (the labelled table's window length), ``label`` (1, 0 or
        missing), ``source_chrom``, ``source_pos`` (1-based), optionally ``species``.
    sources : tuple of str
        Where each table came from (recorded in the card).
    epochs : int, optional
        Pre-training epochs (default: the run's ``epochs``).
    lr : float, optional
        Pre-training learning rate (default: the run's ``lr``).
    use : {"labelled", "all"}
        See :data:`USES`.
    """

    tables: tuple[pd.DataFrame, ...]
    sources: tuple[str, ...] = ()
    epochs: int | None = None
    lr: float | None = None
    use: str = "labelled"

    def __post_init__(self) -> None:
        if not self.tables:
            raise NcvError("pre-training needs at least one pseudo-label table")
        if self.sources and len(self.sources) != len(self.tables):
            raise NcvError(f"{len(self.tables)} pre-training tables but {len(self.sources)} names")
        if self.use not in USES:
            raise NcvError(f"unknown pre-training use {self.use!r}; expected one of {USES}")
        if self.epochs is not None and self.epochs < 1:
            raise NcvError(f"pre-training epochs must be at least 1, got {self.epochs}")
        if self.lr is not None and not self.lr > 0:
            raise NcvError(f"the pre-training learning rate must be positive, got {self.lr}")

    @classmethod
    def of(
        cls, tables: Sequence[pd.DataFrame], sources: Sequence[str | os.PathLike] = (), **kw: Any
    ) -> Pretraining:
        """From a list of tables (and their names)."""
        return cls(tuple(tables), tuple(str(s) for s in sources), **kw)

    def settings(self) -> dict[str, Any]:
        return {"epochs": self.epochs, "lr": self.lr, "use": self.use}


@dataclass
class PretrainData:
    """The pseudo-labels of a run, encoded once: ``M`` rows stacked over the tables.

    ``seq`` is ``(M, 4, L)`` float32; ``labels`` ``(M,)`` int64 (-1 missing); ``keys`` the
    source locus of each row as ``"<contig key>:<pos>"``; ``chrom_keys`` its contig key.
    """

    settings: Pretraining
    seq: torch.Tensor
    labels: np.ndarray
    keys: np.ndarray
    chrom_keys: np.ndarray
    species: np.ndarray
    tables: list[dict[str, Any]] = field(default_factory=list)


def bind(pre: Pretraining, prep: Prepared) -> PretrainData:
    """Check the pseudo-label tables against the run's table and model; encode them once.

    Raises
    ------
    NcvError
        If the model does not read sequence alone, the run has several tasks, the labelled table
        has no ``chrom``/``pos`` (needed to keep held-out loci out), or a table lacks a column or
        holds windows of another length (naming the table).
    """
    if MODELS[prep.model_name].INPUTS != ("seq",):
        raise NcvError(
            f"pre-training on pseudo-labels needs a sequence-only model (deepbind, deepsea, "
            f"basset): pseudo-labelled windows of other genomes have no tracks; got "
            f"{prep.model_name!r}"
        )
    if prep.labels.shape[1] != 1:
        raise NcvError("pre-training on pseudo-labels needs one label column (a single task)")
    if not {"chrom", "pos"} <= set(prep.table.columns):
        raise NcvError(
            "pre-training needs the labelled table's chrom and pos columns, to keep the "
            "validation loci's homologs out of pre-training"
        )
    sources = pre.sources or tuple(f"table {k + 1}" for k in range(len(pre.tables)))
    parts, described = [], []
    for table, name in zip(pre.tables, sources, strict=True):
        missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
        if missing:
            raise NcvError(f"pre-training table {name} lacks the column(s) {missing}")
        try:
            seq = torch.from_numpy(sequence_array(table, prep.window))
        except NcvError as exc:
            raise NcvError(f"pre-training table {name}: {exc}") from exc
        parts.append((table, seq))
        species = table["species"] if "species" in table.columns else pd.Series([""] * len(table))
        described.append(
            {
                "source": name,
                "n_rows": len(table),
                "sha256": table_sha256(table),
                "species": dict(Counter(species.astype(str))),
            }
        )
    frames = [t for t, _ in parts]
    label = pd.concat([pd.to_numeric(t["label"], errors="coerce") for t in frames])
    bad = label.notna() & ~label.isin([0, 1])
    if bad.any():
        raise NcvError(f"pre-training labels must be 1, 0 or empty; found {label[bad].iloc[0]}")
    chrom = pd.concat([t["source_chrom"].astype(str) for t in frames]).map(contig_key)
    pos = pd.concat([pd.to_numeric(t["source_pos"], errors="coerce") for t in frames])
    species = pd.concat(
        [t["species"].astype(str) if "species" in t else pd.Series([""] * len(t)) for t in frames]
    )
    return PretrainData(
        settings=pre,
        seq=torch.cat([s for _, s in parts]),
        labels=label.fillna(-1).to_numpy(np.int64),
        keys=_keys(chrom.to_numpy(), pos.to_numpy()),
        chrom_keys=chrom.to_numpy(dtype=object),
        species=species.to_numpy(dtype=object),
        tables=described,
    )


def _keys(chrom_keys: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """``"<contig key>:<pos>"`` per row (``pos`` not a whole number: never matches)."""
    out = []
    for c, p in zip(chrom_keys.tolist(), pos.tolist(), strict=True):
        whole = p == p and float(p).is_integer()
        out.append(f"{c}:{int(p)}" if whole else f"{c}:?")
    return np.asarray(out, dtype=object)


def allowed_rows(
    data: PretrainData, table: pd.DataFrame, part: np.ndarray
) -> tuple[np.ndarray, dict[str, int]]:
    """Which pseudo-label rows may pre-train the model whose rows have roles ``part``.

    Parameters
    ----------
    data : PretrainData
        ``M`` pseudo-label rows.
    table : pandas.DataFrame
        The labelled table (``N`` rows, ``chrom`` and ``pos``).
    part : numpy.ndarray
        ``(N,)`` str, each row's role: ``labelled``, ``unlabelled`` or ``validation``.

    Returns
    -------
    keep : numpy.ndarray
        ``(M,)`` bool.
    dropped : dict of str to int
        Rows dropped per reason (:data:`DROP_REASONS`, each row counted once, first reason).
    """
    chrom = table["chrom"].astype(str).map(contig_key).to_numpy(dtype=object)
    keys = _keys(chrom, pd.to_numeric(table["pos"], errors="coerce").to_numpy())
    val, lab = part == VALIDATION, part == LABELLED
    held_out = set(chrom[val].tolist()) - set(chrom[lab].tolist())
    reasons = [
        data.labels < 0,
        np.isin(data.keys, keys[val]),
        np.isin(data.chrom_keys, list(held_out)),
        ~np.isin(data.keys, keys[lab])
        if data.settings.use == "labelled"
        else np.zeros(len(data.keys), dtype=bool),
    ]
    keep = np.ones(len(data.keys), dtype=bool)
    dropped = {}
    for name, mask in zip(DROP_REASONS, reasons, strict=True):
        dropped[name] = int((mask & keep).sum())
        keep &= ~mask
    return keep, dropped


def pretrain_stage(
    prep: Prepared,
    part: np.ndarray,
    cfg: TrainConfig,
    seed: int,
    stage: str,
    build: Callable[[int], nn.Module],
    val: dict[str, Any],
    common: dict[str, Any],
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Pre-train one model of the run: its initial weights for fine-tuning, and the record.

    Parameters
    ----------
    prep : Prepared
        The run's arrays, with ``prep.pretrain`` (:func:`bind`).
    part : numpy.ndarray
        ``(N,)`` role of each row of the labelled table for this model.
    cfg, seed, stage
        The run's settings, this model's seed and its fine-tuning stage name.
    build : callable
        ``build(seed) -> nn.Module``, a freshly initialised network of the run.
    val, common : dict
        ``X_val``/``y_val`` and ``seed``/``device``/``progress``/``stop`` of the fine-tuning.

    Returns
    -------
    state : dict of str to torch.Tensor
        The pre-trained ``state_dict`` (CPU copies).
    info : dict
        ``n_rows``, ``n_used``, ``n_pos``, ``n_neg``, ``dropped``, ``species``, the trainer's
        learned state and ``history`` (one row per pre-training epoch).
    """
    data: PretrainData = prep.pretrain
    keep, dropped = allowed_rows(data, prep.table, part)
    rows = np.flatnonzero(keep)
    if len(rows) == 0:
        raise NcvError(f"no pseudo-label is left for pre-training ({_dropped_text(dropped)})")
    y = data.labels[rows][:, None]
    if len(np.unique(y)) < 2:
        warn(f"every pre-training pseudo-label left is {int(y[0, 0])} ({_dropped_text(dropped)})")
    s = data.settings
    pcfg = replace(cfg, epochs=s.epochs or cfg.epochs, lr=s.lr or cfg.lr)
    model = build(seed)
    name = "pretrain" if stage == "train" else f"pretrain {stage}"
    tr = SupervisedTrainer(model, pcfg, stage=name, **common)
    tr.fit(Inputs(data.seq[torch.from_numpy(rows)], None), y, **val)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    info = {
        "n_rows": len(keep),
        "n_used": len(rows),
        "n_pos": int((y == 1).sum()),
        "n_neg": int((y == 0).sum()),
        "dropped": dropped,
        "species": dict(Counter(data.species[rows].tolist())),
        "epochs": pcfg.epochs,
        "lr": pcfg.lr,
        "termination": tr.termination_condition_,
        "epochs_run": tr.n_iter_,
        "n_batches": tr.n_batches_,
        "n_examples": tr.n_examples_,
        "history": tr.history_,
    }
    return state, info


def _dropped_text(dropped: dict[str, int]) -> str:
    parts = [f"{n:,} {reason}" for reason, n in dropped.items() if n]
    return "dropped: " + (", ".join(parts) if parts else "none")


def pretrain_card(card: dict[str, Any], data: PretrainData, folds: list[Any]) -> dict[str, Any]:
    """The card with its ``pretrain`` section: the tables, the settings, the saved model's
    pre-training (moved out of ``training``) and, in a CV run, each fold's (``cv[k].pretrain``).
    """
    own = card["training"].pop("pretrain", None)
    card["pretrain"] = json_ready(
        {"tables": data.tables, "settings": data.settings.settings(), **(own or {})}
    )
    card["stages"] = ["pretrain", "fine-tune"]
    for entry, fit in zip(card.get("cv") or [], folds, strict=False):
        entry["pretrain"] = json_ready(fit.info.get("pretrain"))
    return card
