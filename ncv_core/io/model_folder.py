"""Model folders: ``DIR/model.safetensors`` + ``DIR/card.json`` (+ ``DIR/split.tsv``).

The file format, and its cards' format names and versions, live here: :data:`CARD_FORMATS`
maps each format (the variant models' ``ncv-model``, the imputation models' ``ncv-avocado``) to
the version this package reads, the sections its card must hold and what writes it. Written atomically
(:func:`ncv_core.io.tables.atomic_path`), so a crash never leaves a half model under ``DIR``. Loading never unpickles: weights are safetensors, metadata
JSON. Any corrupt, truncated or mismatched file gives an :class:`~ncv_core.errors.NcvError`
naming the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from ncv_core.errors import NcvError
from ncv_core.io.tables import atomic_path, ensure_writable, json_ready
from ncv_core.io.text import check_text, describe_bytes
from ncv_core.models.ensemble import build_network
from ncv_core.models.loaded import LoadedModel

WEIGHTS, CARD, SPLIT = "model.safetensors", "card.json", "split.tsv"
CARD_FORMAT = "ncv-model"
CARD_VERSION = 1
AVOCADO_FORMAT = "ncv-avocado"
AVOCADO_VERSION = 1
CARD_FORMATS: dict[str, tuple[int, tuple[str, ...], str, str]] = {
    CARD_FORMAT: (CARD_VERSION, ("architecture", "inputs", "metrics"), "ncv model", "ncv train"),
    AVOCADO_FORMAT: (
        AVOCADO_VERSION,
        ("model", "cells", "assays", "layout"),
        "ncv imputation model",
        "ncv impute fit",
    ),
}
"""Card format -> (newest version read, sections the card must hold, its name, what writes it)."""


def save_model(result: Any, path: str | os.PathLike) -> Path:
    """Write the model folder of a :func:`ncv_core.training.train` result (anything with
    ``model``, ``card`` and ``split``); return its path."""
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
        If ``path`` exists and is something else, or cannot be written.
    """
    target = check_model_target(path)
    with atomic_path(target, folder=True) as tmp:
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        save_file(state, tmp / WEIGHTS, metadata={"format": str(card.get("format", CARD_FORMAT))})
        (tmp / CARD).write_text(json.dumps(json_ready(card), indent=2, allow_nan=False) + "\n")
        if split is not None:
            split.to_csv(tmp / SPLIT, sep="\t", index=False)
    return target


def check_model_target(path: str | os.PathLike) -> Path:
    """``path`` as a model folder to write: absent, empty or a model folder (it is then
    replaced), in a folder that can be written; checked before training, not after it.

    Raises
    ------
    NcvError
        If ``path`` is a file or a folder of something else, or cannot be written.
    """
    target = Path(path)
    if target.exists() and (
        not target.is_dir() or (any(target.iterdir()) and not (target / CARD).exists())
    ):
        raise NcvError("refusing to replace: not a model folder (no card.json)", path=target)
    ensure_writable(target, folder=True)
    return target


def read_card(path: str | os.PathLike, *, expected: str = CARD_FORMAT) -> dict[str, Any]:
    """Read and check ``DIR/card.json`` (or a card file given directly).

    Parameters
    ----------
    expected : str
        The card format wanted, a key of :data:`CARD_FORMATS` (default the variant models').

    Raises
    ------
    NcvError
        Naming the file: missing, not JSON, another format, a newer version, a section missing.
    """
    newest, sections, name, writer = CARD_FORMATS[expected]
    p = Path(path)
    p = p / CARD if p.is_dir() else p
    if not p.exists():
        raise NcvError("model card not found (is this a model folder?)", path=p)
    check_text(p, what="a model card", expected=f"JSON with format {expected!r}")
    try:
        card = json.loads(p.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NcvError(f"model card is not valid JSON: {exc}", path=p) from exc
    if not isinstance(card, dict) or card.get("format") != expected:
        found = card.get("format") if isinstance(card, dict) else type(card).__name__
        raise NcvError(
            f"not an {name} card (its format is {found!r}, expected {expected!r}: a "
            f"folder written by {writer})",
            path=p,
        )
    version = card.get("format_version", card.get("version", 0))
    if not isinstance(version, int) or version > newest:
        raise NcvError(
            f"card format_version {version} is newer than this "
            f"package reads ({newest}); upgrade ncv-explorer",
            path=p,
        )
    for key in sections:
        if key not in card or (expected == CARD_FORMAT and not isinstance(card[key], dict)):
            raise NcvError(f"model card lacks the {key!r} section", path=p)
    if expected == CARD_FORMAT:
        arch = card["architecture"]
        if not isinstance(arch.get("name"), str) or not isinstance(arch.get("kwargs"), dict):
            raise NcvError("model card: 'architecture' needs 'name' and 'kwargs'", path=p)
    return card


def read_weights(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The tensors of ``DIR/model.safetensors`` (or a weights file given directly); never
    unpickled.

    Raises
    ------
    NcvError
        Naming the file when it is missing, not safetensors, corrupt or truncated.
    """
    p = Path(path)
    weights = p / WEIGHTS if p.is_dir() else p
    if not weights.is_file():
        raise NcvError("weights file not found", path=weights)
    _check_weights(weights)
    try:
        return load_file(weights)
    except (SafetensorError, OSError, ValueError) as exc:
        raise NcvError(f"corrupt or truncated safetensors file: {exc}", path=weights) from exc


def load_model(path: str | os.PathLike, *, device: str | torch.device | None = None) -> LoadedModel:
    """Load a model folder written by :func:`save_model` (no unpickling).

    Raises
    ------
    NcvError
        Naming the file, when the card or weights are missing, corrupt, truncated, or do not
        match the architecture the card describes.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise NcvError(
            f"is a file; expected a model folder ({WEIGHTS} + {CARD}, written by ncv train)",
            path=folder,
        )
    if not folder.is_dir():
        raise NcvError("model folder not found", path=folder)
    card = read_card(folder / CARD)
    arch = card["architecture"]
    try:
        model = build_network(arch["name"], arch["kwargs"], int(arch.get("members") or 1))
    except NcvError as exc:
        raise NcvError(f"cannot rebuild the network: {exc}", path=folder / CARD) from exc
    weights = folder / WEIGHTS
    state = read_weights(weights)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        raise NcvError(
            f"weights do not match the {arch['name']!r} network of the card: {' '.join(first[:3])}",
            path=weights,
        ) from exc
    return LoadedModel(model, card, _read_split(folder / SPLIT), folder, device)


PICKLE_HINT = (
    "this looks like a PyTorch checkpoint written by torch.save; ncv-explorer never loads "
    "pickles (unpickling can run any code). If you trust the file, convert it where it came "
    'from: python -c "import torch; from safetensors.torch import save_file; '
    "save_file(torch.load('model.pt', weights_only=True), 'model.safetensors')\" (the file must "
    "hold the state_dict of the card's architecture)"
)
"""How to turn a PyTorch checkpoint into the weights file a model folder holds."""


def _check_weights(path: Path) -> None:
    """Refuse, by their first bytes, weights that are not safetensors (a pickle, a zip from
    ``torch.save``): they are never unpickled; a PyTorch checkpoint is named as one."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise NcvError(f"cannot read the weights: {exc}", path=path) from exc
    found = describe_bytes(head, controls=False)
    if found is not None and found[1] != "a safetensors weights file":
        zipped = head.startswith(b"PK\x03\x04")  # torch.save's format: a pickle inside
        what = "a zip archive (torch.save writes a pickle in one)" if zipped else found[1]
        torch_save = zipped or found[1] == "a Python pickle"
        raise NcvError(
            f"is {what}, not a safetensors file; weights are read only as safetensors "
            "(never unpickled): "
            + (PICKLE_HINT if torch_save else "save them with safetensors.torch.save_file"),
            path=path,
        )


def _read_split(path: Path) -> pd.DataFrame | None:
    if not path.exists():
        return None
    check_text(path, what="a split table", expected="tab-separated text")
    try:
        return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise NcvError(f"cannot read the split table: {exc}", path=path) from exc
