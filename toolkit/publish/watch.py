"""`podkit serve --watch`: rebuild when the show's sources or templates change.

Polling, not inotify: it needs no dependency, works on every filesystem, and a show is a few
hundred files, so a scan a second costs nothing. Output and cache folders are never watched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

Snapshot = dict[str, tuple[int, int]]


def snapshot(root: Path, ignore: tuple[Path, ...]) -> Snapshot:
    """Size and modification time of every source file under ``root``."""
    skip = {p.resolve() for p in ignore}
    out: Snapshot = {}
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.name == "__pycache__":
                continue  # caches, staging folders, editors' swap files
            if entry.is_dir():
                if entry.resolve() not in skip:
                    stack.append(entry)
            elif entry.is_file():
                st = entry.stat()
                out[str(entry)] = (st.st_size, st.st_mtime_ns)
    return out


def watch(roots: list[Path], ignore: tuple[Path, ...], rebuild: Callable[[], None], stop: threading.Event,
          interval: float = 1.0) -> None:
    """Call ``rebuild`` whenever a file under ``roots`` changes, until ``stop`` is set."""

    def scan() -> Snapshot:
        merged: Snapshot = {}
        for root in roots:
            merged.update(snapshot(root, ignore))
        return merged

    before = scan()
    while not stop.wait(interval):
        now = scan()
        if now != before:
            before = now
            rebuild()
