"""Model folders: ``DIR/model.safetensors`` + ``DIR/card.json`` + ``DIR/split.tsv``.

Written atomically (into a temporary folder beside ``DIR``, then renamed), so a crash never
leaves a half model under ``DIR``. Loading never unpickles: weights are safetensors, metadata
JSON. Any corrupt, truncated or mismatched file gives an :class:`~ncv_core.errors.NcvError`
naming the file.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from ncv_core.device import resolve_device
from ncv_core.errors import NcvError
from ncv_core.models import build_model
from ncv_core.models.registry import positive_logit
from ncv_core.training.card import CARD_FORMAT, CARD_VERSION, json_ready
from ncv_core.training.data import Inputs, Scaler, encode

if TYPE_CHECKING:  # pragma: no cover
    from ncv_core.training.api import TrainResult

WEIGHTS, CARD, SPLIT = "model.safetensors", "card.json", "split.tsv"


def save_model(result: TrainResult, path: str | os.PathLike) -> Path:
    """Write the model folder of a :func:`ncv_core.training.train` result; return its path."""
    return write_model(path, result.model, result.card, result.split)


def write_model(
    path: str | os.PathLike,
    model: nn.Module,
    card: dict[str, Any],
    split: pd.DataFrame | None = None,
) -> Path:
    """Write ``model.safetensors``, ``card.json`` and ``split.tsv`` into ``path`` atomically.

    An existing ``path`` is replaced only when it is a model folder (holds ``card.json``) or
    empty.

    Raises
    ------
    NcvError
        If ``path`` exists and is something else.
    """
    target = Path(path)
    if target.exists() and (
        not target.is_dir() or (any(target.iterdir()) and not (target / CARD).exists())
    ):
        raise NcvError("refusing to replace: not a model folder (no card.json)", path=target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        save_file(state, tmp / WEIGHTS, metadata={"format": CARD_FORMAT})
        (tmp / CARD).write_text(json.dumps(json_ready(card), indent=2, allow_nan=False) + "\n")
        if split is not None:
            split.to_csv(tmp / SPLIT, sep="\t", index=False)
        _apply_umask(tmp)
        _swap_in(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _apply_umask(folder: Path) -> None:
    """Give the folder and its files the usual permissions (mkdtemp makes them private)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(folder, 0o777 & ~mask)
    for f in folder.iterdir():
        os.chmod(f, 0o666 & ~mask)


def _swap_in(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``, replacing an old ``target`` (moved aside, then deleted)."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        os.rmdir(old)
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except OSError:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_card(path: str | os.PathLike) -> dict[str, Any]:
    """Read and check ``DIR/card.json`` (or a card file given directly)."""
    p = Path(path)
    p = p / CARD if p.is_dir() else p
    if not p.exists():
        raise NcvError("model card not found (is this a model folder?)", path=p)
    try:
        card = json.loads(p.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NcvError(f"model card is not valid JSON: {exc}", path=p) from exc
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT:
        raise NcvError(f"not an ncv model card (expected format {CARD_FORMAT!r})", path=p)
    if card.get("format_version", 0) > CARD_VERSION:
        raise NcvError(
            f"card format_version {card['format_version']} is newer than this "
            f"package reads ({CARD_VERSION}); upgrade ncv-explorer",
            path=p,
        )
    for key in ("architecture", "inputs", "metrics"):
        if not isinstance(card.get(key), dict):
            raise NcvError(f"model card lacks the {key!r} section", path=p)
    arch = card["architecture"]
    if not isinstance(arch.get("name"), str) or not isinstance(arch.get("kwargs"), dict):
        raise NcvError("model card: 'architecture' needs 'name' and 'kwargs'", path=p)
    return card


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

    def _check_meta(self, meta: dict) -> None:
        built = (self.card.get("features", {}).get("genome") or {}).get("build")
        given = (meta.get("genome") or {}).get("build")
        if built and given and built != given:
            raise NcvError(
                f"the model was trained on genome build {built!r}, the table is "
                f"{given!r}; mixing builds is an error"
            )

    @torch.inference_mode()
    def positive_logit(
        self, table: pd.DataFrame, *, meta: dict | None = None, batch_size: int = 1024
    ) -> np.ndarray:
        """Logit of the positive class per task, ``(N, T)`` float64 (see
        :func:`ncv_core.models.positive_logit`)."""
        x_seq, x_tab = self.encode(table, meta)
        x = Inputs(x_seq, x_tab)
        out = []
        for start in range(0, len(table), batch_size):
            idx = torch.arange(start, min(start + batch_size, len(table)))
            out.append(positive_logit(self.model, *x.take(idx).to(self.device)).double().cpu())
        return torch.cat(out).numpy() if out else np.zeros((0, self.model.n_tasks))

    def predict_proba(
        self, table: pd.DataFrame, *, meta: dict | None = None, batch_size: int = 1024
    ) -> np.ndarray:
        """Probability that each row is functional, ``(N, T)`` float64 (T = 1 usually)."""
        return 1.0 / (1.0 + np.exp(-self.positive_logit(table, meta=meta, batch_size=batch_size)))


def load_model(path: str | os.PathLike, *, device: str | torch.device | None = None) -> LoadedModel:
    """Load a model folder written by :func:`save_model` (no unpickling).

    Raises
    ------
    NcvError
        Naming the file, when the card or weights are missing, corrupt, truncated, or do not
        match the architecture the card describes.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise NcvError("model folder not found", path=folder)
    card = read_card(folder / CARD)
    arch = card["architecture"]
    try:
        model = build_model(arch["name"], **arch["kwargs"])
    except NcvError as exc:
        raise NcvError(f"cannot rebuild the network: {exc}", path=folder / CARD) from exc
    weights = folder / WEIGHTS
    if not weights.exists():
        raise NcvError("weights file not found", path=weights)
    try:
        state = load_file(weights)
    except (SafetensorError, OSError, ValueError) as exc:
        raise NcvError(f"corrupt or truncated safetensors file: {exc}", path=weights) from exc
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        raise NcvError(
            f"weights do not match the {arch['name']!r} network of the card: {' '.join(first[:3])}",
            path=weights,
        ) from exc
    return LoadedModel(model, card, _read_split(folder / SPLIT), folder, device)


def _read_split(path: Path) -> pd.DataFrame | None:
    if not path.exists():
        return None
    try:
        return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise NcvError(f"cannot read the split table: {exc}", path=path) from exc
