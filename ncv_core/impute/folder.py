"""The imputation model folder: ``DIR/model.safetensors`` + ``DIR/card.json`` (``ncv-avocado``).

Written and read through :mod:`ncv_core.io.model_folder` (atomically; safetensors and JSON only,
never a pickle). The card is :meth:`AvocadoFit.card` plus what ``fit_tracks`` adds (contig
lengths, the tracks read, the peak rule's calibration, held-out metrics); docs/IMPUTATION.md
lists its fields.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ncv_core.errors import NcvError
from ncv_core.impute.result import AvocadoFit, fit_from_card
from ncv_core.io.model_folder import AVOCADO_FORMAT, read_card, read_weights, write_model


def save_fit(fit: AvocadoFit, card: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write ``fit``'s network and ``card`` into the model folder ``path`` (atomically).

    ``card`` must be an ``ncv-avocado`` card of this fit (``fit_tracks``' ``card``, or
    ``fit.card()``).
    """
    if card.get("format") != AVOCADO_FORMAT:
        raise NcvError(f"not an {AVOCADO_FORMAT} card (format {card.get('format')!r})")
    return write_model(path, fit.model, card)


def load_fit(path: str | os.PathLike) -> tuple[AvocadoFit, dict[str, Any]]:
    """The fit and the card of an imputation model folder.

    Raises
    ------
    NcvError
        Naming the folder or file: not found, not an ``ncv-avocado`` card, weights missing,
        corrupt or not matching the card's network.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise NcvError("imputation model folder not found", path=folder)
    card = read_card(folder, expected=AVOCADO_FORMAT)
    state = read_weights(folder)
    try:
        return fit_from_card(card, state), card
    except NcvError as exc:
        raise NcvError(exc.message, path=folder) from exc
    except (KeyError, TypeError) as exc:
        raise NcvError(f"the card lacks or misspells a field: {exc}", path=folder) from exc
