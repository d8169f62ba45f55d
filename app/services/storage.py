"""File storage under STORAGE_DIR: content-addressed blobs, written atomically."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from app.errors import FileTooLargeError

CHUNK = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


def storage_root() -> Path:
    """The storage directory, created on first use."""
    root = Path(current_app.config["STORAGE_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def blob_path(sha256: str) -> Path:
    """Where the blob with this digest lives; only hex digests make a path."""
    if not _SHA256.fullmatch(sha256 or ""):
        raise ValueError("not a SHA-256 digest")
    return storage_root() / "blobs" / sha256[:2] / sha256[2:4] / sha256


def store_blob(stream: BinaryIO, *, max_bytes: int) -> tuple[str, int]:
    """Copy ``stream`` into storage once per content; returns (sha256, size)."""
    tmp_dir = storage_root() / "tmp"
    tmp_dir.mkdir(exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, tmp_name = tempfile.mkstemp(dir=tmp_dir)
    try:
        with os.fdopen(handle, "wb") as tmp:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FileTooLargeError()
                digest.update(chunk)
                tmp.write(chunk)
        target = blob_path(digest.hexdigest())
        if target.exists():
            os.unlink(tmp_name)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    return digest.hexdigest(), size
