"""Pickle-free persistence of one NLU component: a JSON manifest plus a numpy `.npz`.

Every component folder holds `manifest.json` (format name, component kind, format
version, checksum), `meta.json` (vocabularies, labels, settings) and `arrays.npz`
(loaded with `allow_pickle=False`). The checksum covers the bytes of both data files, so
truncation or tampering is caught at load time and reported as a `ModelLoadError`
instead of surfacing later as a wrong prediction.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assistc.runtime.nlu.errors import ModelLoadError

FORMAT = "assistc-nlu-component"
MANIFEST = "manifest.json"
META = "meta.json"
ARRAYS = "arrays.npz"

Arrays = dict[str, npt.NDArray[Any]]


def _checksum(meta_bytes: bytes, arrays_bytes: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(meta_bytes)
    digest.update(b"\x00")
    digest.update(arrays_bytes)
    return digest.hexdigest()


def save_component(
    folder: Path, kind: str, version: int, meta: dict[str, Any], arrays: Arrays
) -> None:
    """Write one component; `meta` must be JSON-serialisable, `arrays` plain numeric."""
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    arrays_bytes = buffer.getvalue()
    meta_bytes = json.dumps(meta, sort_keys=True, ensure_ascii=False).encode("utf-8")
    (folder / ARRAYS).write_bytes(arrays_bytes)
    (folder / META).write_bytes(meta_bytes)
    manifest = {
        "format": FORMAT,
        "kind": kind,
        "version": version,
        "checksum": _checksum(meta_bytes, arrays_bytes),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")


def load_component(folder: Path, kind: str, version: int) -> tuple[dict[str, Any], Arrays]:
    """Read one component back, or raise `ModelLoadError` saying what is wrong."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        meta_bytes = (folder / META).read_bytes()
        arrays_bytes = (folder / ARRAYS).read_bytes()
    except FileNotFoundError as exc:
        raise ModelLoadError(f"{folder}: missing {Path(str(exc.filename)).name}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{folder}: unreadable manifest ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelLoadError(f"{folder}: not an assistc NLU component")
    if manifest.get("kind") != kind:
        raise ModelLoadError(f"{folder}: holds a {manifest.get('kind')!r}, expected {kind!r}")
    if manifest.get("version") != version:
        raise ModelLoadError(
            f"{folder}: format version {manifest.get('version')!r}, this runtime reads "
            f"version {version}; retrain the model"
        )
    if manifest.get("checksum") != _checksum(meta_bytes, arrays_bytes):
        raise ModelLoadError(f"{folder}: checksum mismatch, the files are corrupted")
    try:
        meta = json.loads(meta_bytes)
        with np.load(io.BytesIO(arrays_bytes), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelLoadError(f"{folder}: unreadable data ({exc})") from exc
    if not isinstance(meta, dict):
        raise ModelLoadError(f"{folder}: meta.json is not an object")
    return meta, arrays
