"""Model folders in and out of the browser: a zip to download, uploaded files to a folder.

An upload is either a zip of a model folder or the folder's files themselves. Only the three
known names are written (``model.safetensors``, ``card.json``, ``split.tsv``; any folder inside a
zip is ignored, so nothing is written outside the target), and the result is then checked by
``ncv_core.io.model_folder.load_model``, which reads safetensors and JSON only (never a pickle).
"""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from ncv_core.errors import NcvError
from ncv_core.io.model_folder import CARD, SPLIT, WEIGHTS, load_model

KNOWN = (WEIGHTS, CARD, SPLIT)
MAX_MEMBER_BYTES = 512 * 1024 * 1024


def zip_model(folder: str | Path) -> bytes:
    """The model folder's files as a zip (``<folder name>/model.safetensors`` ...)."""
    folder = Path(folder)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in KNOWN:
            if (folder / name).exists():
                zf.write(folder / name, arcname=f"{folder.name}/{name}")
    return buf.getvalue()


def _from_zip(name: str, data: bytes) -> dict[str, bytes]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise NcvError(f"not a readable zip file ({exc})", path=name) from exc
    files: dict[str, bytes] = {}
    with zf:
        for info in zf.infolist():
            base = PurePosixPath(info.filename.replace("\\", "/")).name
            if info.is_dir() or base not in KNOWN:
                continue
            if base in files:
                raise NcvError(f"the zip holds more than one {base}", path=name)
            if info.file_size > MAX_MEMBER_BYTES:
                raise NcvError(f"{base} is larger than {MAX_MEMBER_BYTES >> 20} MB", path=name)
            files[base] = zf.read(info)
    return files


def collect_upload(uploads: Iterable[tuple[str, bytes]]) -> dict[str, bytes]:
    """The model files among uploaded ``(name, bytes)`` pairs (a zip, or the files themselves).

    Raises
    ------
    NcvError
        When a zip is unreadable, or the weights or the card are missing.
    """
    files: dict[str, bytes] = {}
    for name, data in uploads:
        base = PurePosixPath(name.replace("\\", "/")).name
        if base.lower().endswith(".zip"):
            files.update(_from_zip(base, data))
        elif base in KNOWN:
            files[base] = data
        else:
            raise NcvError(
                f"unexpected file {base!r}; a model folder holds {', '.join(KNOWN)} "
                "(or upload the folder as a .zip)"
            )
    missing = [n for n in (WEIGHTS, CARD) if n not in files]
    if missing:
        raise NcvError(f"the upload lacks {' and '.join(missing)}; a model needs both")
    return files


def install_upload(files: dict[str, bytes], folder: str | Path) -> Path:
    """Write the model files into ``folder`` and check that they load; remove it if not."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=False)
    try:
        for name, data in files.items():
            (folder / name).write_bytes(data)
        load_model(folder, device="cpu")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def same_model(files: dict[str, bytes], folders: Iterable[str | Path]) -> Path | None:
    """The folder among ``folders`` that already holds these weights and this card (the same
    upload added twice), or None."""
    for folder in folders:
        folder = Path(folder)
        try:
            if all((folder / name).read_bytes() == files[name] for name in (WEIGHTS, CARD)):
                return folder
        except OSError:
            continue
    return None
