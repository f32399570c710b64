"""What one browser session works on: its data set, its model, and its private folder.

Uploads and trained models go into a temporary folder owned by the session (created on first
use, deleted when the session's state is dropped), never into a cache shared between sessions.
The active data set and model are plain values in ``st.session_state``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

import streamlit as st

from ncv_core.errors import NcvError
from ncv_core.io.model_folder import CARD, read_card
from ui.dataset import DataSet, demo_dataset

_WORKSPACE = "ncv_workspace"
_DATA = "ncv_data"
_MODEL = "ncv_model"
DEFAULT_CELL_LINE = "GM12878"


def workspace() -> Path:
    """This session's private folder (``uploads/``, ``models/``), created on first use.

    The ``TemporaryDirectory`` object lives in the session state: when Streamlit drops the
    session, the object is collected and the folder removed.
    """
    holder = st.session_state.get(_WORKSPACE)
    if holder is None:
        root = os.environ.get("NCV_SESSION_DIR") or None
        if root:
            Path(root).mkdir(parents=True, exist_ok=True)
        holder = tempfile.TemporaryDirectory(prefix="ncv-session-", dir=root)
        st.session_state[_WORKSPACE] = holder
    path = Path(holder.name)
    for sub in ("uploads", "models"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    return workspace() / "models"


def uploads_dir() -> Path:
    return workspace() / "uploads"


def dataset() -> DataSet:
    """The session's active data set (the demo's GM12878 loci until the user picks another)."""
    data = st.session_state.get(_DATA)
    if data is None:
        data = demo_dataset(DEFAULT_CELL_LINE)
        st.session_state[_DATA] = data
    return data


def set_dataset(data: DataSet) -> None:
    st.session_state[_DATA] = data


def model_path() -> Path | None:
    """Folder of the session's active model, or None."""
    path = st.session_state.get(_MODEL)
    if path is None or not Path(path, CARD).exists():
        return None
    return Path(path)


def set_model(path: str | os.PathLike | None) -> None:
    st.session_state[_MODEL] = None if path is None else str(path)


def saved_models() -> list[tuple[Path, dict]]:
    """The session's model folders with their cards, newest first (unreadable ones skipped)."""
    out = []
    for folder in models_dir().iterdir():
        if not (folder / CARD).exists():
            continue
        try:
            out.append((folder, read_card(folder)))
        except NcvError:
            continue
    return sorted(out, key=lambda item: item[0].stat().st_mtime_ns, reverse=True)


def new_model_dir(stem: str) -> Path:
    """An unused folder name under the session's ``models/`` for ``stem`` (``stem``, ``stem-2``)."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in stem).strip("-.") or "model"
    folder, k = models_dir() / safe, 2
    while folder.exists():
        folder, k = models_dir() / f"{safe}-{k}", k + 1
    return folder


def save_upload(name: str, data: bytes) -> Path:
    """Write an uploaded file into the session's ``uploads/<content hash>/<name>`` (the name
    keeps its extension, which tells the loci reader the format)."""
    folder = uploads_dir() / hashlib.sha256(data).hexdigest()[:16]
    folder.mkdir(exist_ok=True)
    path = folder / (Path(name.replace("\\", "/")).name or "upload")
    if not path.exists():
        path.write_bytes(data)
    return path


_SESSION_PATH = re.compile(
    r"(?:[A-Za-z]:)?(?:[/\\][^\s'\"/\\]*)*?[/\\]ncv-session-[^/\\\s'\"]+[/\\]"
    r"(?:uploads[/\\][0-9a-f]{16}[/\\]|models[/\\])?"
)


def public_text(text: str) -> str:
    """``text`` with the server's session folders taken out of every path: an upload's path
    becomes its own file name (``/tmp/ncv-session-x/uploads/<hash>/mine.vcf`` -> ``mine.vcf``),
    a model's path its folder name. For every message a page shows."""
    return _SESSION_PATH.sub("", str(text))
