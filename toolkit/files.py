"""Small helpers on files and digests that every layer uses."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def umask() -> int:
    """The process umask (reading it means setting it, so set it straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def repr_digest(*parts: object) -> str:
    """A key of plain values (strings, numbers, tuples, frozen dataclasses): sha256 of their repr."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def default_templates() -> Path:
    """The default theme: shipped inside the package, or at the top of a source checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "base.html").is_file():
            return candidate
    raise FileNotFoundError("podkit's default templates are missing from the installation")

