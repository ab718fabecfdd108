"""Small private JSON files in the device directory (mode 0600, written atomically).

The device directory is the app's private storage on a phone: the session token and the app
credentials are secrets, so the directory is created 0700 and every file 0600.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["ensure_private_dir", "read_json", "remove", "write_json"]


def ensure_private_dir(directory: Path) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)


def read_json(path: Path) -> dict[str, Any] | None:
    """The file's JSON object, or None when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a JSON object")
    return data


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Replace the file atomically; the new file has mode 0600 from its first byte."""
    ensure_private_dir(path.parent)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=2, sort_keys=True)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
