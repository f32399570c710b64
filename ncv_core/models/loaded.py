"""A trained model ready to predict: the network (eval mode), its card, scaler and split.

Built by :func:`ncv_core.io.model_folder.load_model` (or from a training result). Every batched
forward goes through :mod:`ncv_core.models.predict`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ncv_core.constants import DEFAULT_WINDOW
from ncv_core.device import resolve_device
from ncv_core.errors import NcvError, warn
from ncv_core.models.encoding import Inputs, Scaler, encode
from ncv_core.models.predict import predict_positive_logit, probability


class LoadedModel:
    """A trained model ready to predict: network (eval mode) + card + scaler + split.

    Never call ``.train()`` on :attr:`model`; it may be shared (e.g. an app cache).

    Attributes
    ----------
    model : torch.nn.Module
        The network, in eval mode, on :attr:`device`.
    card : dict
        The model card.
    scaler : Scaler or None
        Feature scaling (None for sequence-only models).
    split : pandas.DataFrame or None
        ``split.tsv`` when present.
    path : pathlib.Path or None
        The folder it was loaded from.
    """

    def __init__(
        self,
        model: nn.Module,
        card: dict[str, Any],
        split: pd.DataFrame | None = None,
        path: Path | None = None,
        device: str | torch.device | None = None,
    ) -> None:
        self.device = resolve_device(device)
        self.model = model.to(self.device).eval()
        self.card, self.split, self.path = card, split, path
        sc = card["inputs"].get("scaler")
        self.scaler = Scaler.from_dict(sc) if sc else None

    @property
    def feature_columns(self) -> list[str]:
        """Tabular feature names, in model input order."""
        return list(self.scaler.columns) if self.scaler else []

    @property
    def window(self) -> int | None:
        """Window length the model reads (None for tabular-only models)."""
        return self.card["inputs"].get("window") if self.model.uses_seq else None

    @property
    def label_columns(self) -> list[str]:
        return list(self.card["inputs"].get("label_columns") or ["label"])

    def encode(
        self, table: pd.DataFrame, meta: dict | None = None
    ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Model inputs for ``table``: ``x_seq`` ``(N, 4, L)`` and ``x_tab`` ``(N, F)``, CPU.

        Raises
        ------
        NcvError
            If the table lacks the model's features or sequence, its windows have another
            length, or its metadata names another genome build.
        """
        self._check_meta(meta or {})
        x = encode(table, scaler=self.scaler, uses_seq=self.model.uses_seq, window=self.window)
        return x.seq, x.tab

    @property
    def name(self) -> str:
        """The architecture's registry name (``ssl_dnn``, ``deepbind``, ...)."""
        return self.card["architecture"]["name"]

    @property
    def trained_window(self) -> int:
        """The window the model's features were built with (card ``inputs.window``, else the
        training table's; the package default for tabular models without one)."""
        card = self.card
        window = card["inputs"].get("window") or (card.get("features") or {}).get("window")
        return int(window or DEFAULT_WINDOW)

    def _check_meta(self, meta: dict) -> None:
        check_compatible(self, meta=meta)

    def positive_logit(
        self, table: pd.DataFrame, *, meta: dict | None = None, batch_size: int = 1024
    ) -> np.ndarray:
        """Logit of the positive class per task, ``(N, T)`` float64
        (:func:`ncv_core.models.predict.predict_positive_logit`)."""
        x_seq, x_tab = self.encode(table, meta)
        with torch.inference_mode():
            return predict_positive_logit(self.model, Inputs(x_seq, x_tab), self.device, batch_size)

    def predict_proba(
        self, table: pd.DataFrame, *, meta: dict | None = None, batch_size: int = 1024
    ) -> np.ndarray:
        """Probability that each row is functional, ``(N, T)`` float64 (T = 1 usually)."""
        return probability(self.positive_logit(table, meta=meta, batch_size=batch_size))


def check_compatible(
    loaded: LoadedModel,
    *,
    genome: Any = None,
    meta: dict | None = None,
    columns: Sequence[str] | None = None,
    cell_line: str | None = None,
    source: str = "the inputs",
) -> None:
    """The one check of a model against what it is about to read.

    Parameters
    ----------
    genome : ncv_core.io.genome.Genome, optional
        Must be the model's build (or, for an unnamed build, have its contig fingerprint).
    meta : dict, optional
        A feature table's metadata; its ``genome.build`` must be the model's.
    columns : sequence of str, optional
        The feature columns on offer (a table's, or a track set's plus composition); every
        tabular feature of the model must be among them.
    cell_line : str, optional
        The cell line the features come from; another than the model's gives a warning.
    source : str
        How to name ``columns`` in the message.

    Raises
    ------
    NcvError
        Another genome build, another genome, or missing features.
    """
    trained = (loaded.card.get("features") or {}).get("genome") or {}
    build, fp = trained.get("build"), trained.get("fingerprint")
    if genome is not None:
        if build and genome.build and build != genome.build:
            raise NcvError(
                f"the model was trained on genome build {build}, but {genome.path.name} is "
                f"{genome.build}; mixing builds is an error",
                path=genome.path,
            )
        if not build and fp and fp != genome.fingerprint:
            raise NcvError(
                f"the model was trained on another genome ({trained.get('path')}: different "
                "contigs or lengths)",
                path=genome.path,
            )
    given = ((meta or {}).get("genome") or {}).get("build")
    if build and given and build != given:
        raise NcvError(
            f"the model was trained on genome build {build!r}, the table is {given!r}; mixing "
            "builds is an error"
        )
    if columns is not None:
        missing = [c for c in loaded.feature_columns if c not in set(columns)]
        if missing:
            raise NcvError(
                f"the model needs features that {source} do not give: {', '.join(missing[:6])}"
                + (f" (and {len(missing) - 6} more)" if len(missing) > 6 else "")
            )
    trained_on = (loaded.card.get("features") or {}).get("cell_line")
    if cell_line and trained_on and trained_on != cell_line:
        warn(f"the model was trained on {trained_on}'s features; these come from {cell_line}'s")
