"""The only code that touches the output folder.

A build writes into a fresh staging folder beside the output; the writer refuses to write
one path twice (two pages fighting over a URL is a bug, not a last-one-wins). When the
build is complete the staging folder is swapped in whole, so a failed build leaves the
last good site and feed exactly as they were.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from .cache import umask
from .errors import PodkitError


class Writer:
    def __init__(self, target: Path) -> None:
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
        self.staging.chmod(0o777 & ~umask())  # mkdtemp's 0700 would hide the site from a web server
        self.written: set[str] = set()
        self.folders: set[PurePosixPath] = set()

    def _claim(self, rel: str) -> Path:
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts:
            raise PodkitError(f"refusing to write outside the output folder: {rel}")
        key = str(pure)
        if key in self.written:
            raise PodkitError(f"two outputs want the same path: {rel}",
                              hint="two episodes or pages share a name")
        self.written.add(key)
        path = self.staging / pure
        if pure.parent not in self.folders:  # one mkdir per folder, not per file: a site has thousands
            path.parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(pure.parent)
        return path

    def write(self, rel: str, data: bytes | str) -> Path:
        path = self._claim(rel)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    def place(self, rel: str, source: Path) -> Path:
        """Publish an existing file: a hard link where possible (audio is big), else a copy."""
        path = self._claim(rel)
        try:
            os.link(source, path)
        except OSError:
            shutil.copyfile(source, path)
        return path

    def commit(self) -> None:
        """Swap the staging folder in as the output folder."""
        old = self.target.with_name(f".{self.target.name}.old")
        if old.exists():
            shutil.rmtree(old)
        if self.target.exists():
            os.rename(self.target, old)
        try:
            os.rename(self.staging, self.target)
        except OSError:
            if old.exists() and not self.target.exists():
                os.rename(old, self.target)  # put the last good site back
            raise
        shutil.rmtree(old, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def recover(target: Path) -> None:
    """Undo a swap that was cut off between its two renames, and drop stale staging folders."""
    old = target.with_name(f".{target.name}.old")
    if old.exists() and not target.exists():
        os.rename(old, target)
    for leftover in target.parent.glob(f".{target.name}.building-*"):
        shutil.rmtree(leftover, ignore_errors=True)
