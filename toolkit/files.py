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



def image_kind(path: Path) -> str:
    """What a file holds, by its first bytes: "PNG", "JPEG", or what else it holds, for a message
    ("text", "a GIF image"): its name says nothing (a text file named artwork.png is not a PNG)."""
    with path.open("rb") as f:
        head = f.read(512)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "a GIF image"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if not head:
        return "nothing (the file is empty)"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "data of another kind"
    return "text"
