"""The only code that touches the output folder.

A build writes into a fresh staging folder beside the output; the writer refuses to write
one path twice (two pages fighting over a URL is a bug, not a last-one-wins). When the
build is complete the staging folder is swapped in whole, so a failed build leaves the
last good site and feed exactly as they were.

A folder of the current site that the build would make again file for file (an unchanged
episode's page, audio and transcripts; an unchanged search bundle) can be *adopted* instead:
at commit it is moved from the current site into the staging folder just before the swap, so
a one-episode edit of a large show moves a few hundred folders instead of linking thousands of
files. The moves are listed in a journal first: `recover` moves them back if the commit was
cut off before the swap, and the last good site is whole again.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from toolkit.errors import PodkitError
from toolkit.files import umask


class Writer:
    def __init__(self, target: Path) -> None:
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
        self.staging.chmod(0o777 & ~umask())  # mkdtemp's 0700 would hide the site from a web server
        self.written: set[str] = set()
        self.folders: set[str] = set()  # made in the staging folder
        self.adopted: set[str] = set()  # folders of the current site, moved in at commit
        self.holding: set[str] = set()  # every folder a written file is in, at any depth

    def _check(self, rel: str) -> str:
        """``rel`` as a key (normalised, relative), if no output has claimed it yet."""
        if rel.startswith("/") or ".." in rel.split("/"):
            raise PodkitError(f"refusing to write outside the output folder: {rel}")
        key = posixpath.normpath(rel)
        if key in self.written or key in self.adopted or any(p in self.adopted for p in _parents(key)):
            raise PodkitError(f"two outputs want the same path: {rel}",
                              hint="two episodes or pages share a name")
        return key

    def _claim(self, rel: str) -> Path:
        key = self._check(rel)
        self.written.add(key)
        for parent in _parents(key):  # so that `adopt` can tell a folder holds a written file
            if parent in self.holding:
                break
            self.holding.add(parent)
        path = self.staging / key
        self._folder(key)
        return path

    def _folder(self, key: str) -> None:
        """Make the folder ``key`` goes in: once per folder, not per file (a site has thousands)."""
        folder = key.rpartition("/")[0]
        if folder and folder not in self.folders:
            (self.staging / folder).mkdir(parents=True, exist_ok=True)
            self.folders.add(folder)

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

    def adopt(self, rel: str) -> None:
        """Publish the current site's folder ``rel`` as it is (moved in at commit: see above)."""
        key = self._check(rel.rstrip("/"))
        if key in self.holding:
            raise PodkitError(f"two outputs want the same path: {rel}", hint="two episodes or pages share a name")
        self.adopted.add(key)

    def commit(self) -> None:
        """Move the adopted folders in, then swap the staging folder in as the output folder."""
        old = self.target.with_name(f".{self.target.name}.old")
        if old.exists():
            shutil.rmtree(old)
        if self.adopted:
            self._adopt()
        if self.target.exists():
            os.rename(self.target, old)
        try:
            os.rename(self.staging, self.target)
        except OSError:
            if old.exists() and not self.target.exists():
                os.rename(old, self.target)  # put the last good site back
            raise
        (self.target / JOURNAL).unlink(missing_ok=True)
        shutil.rmtree(old, ignore_errors=True)

    def _adopt(self) -> None:
        journal = self.staging / JOURNAL
        journal.write_text(json.dumps(sorted(self.adopted)))
        moved: list[str] = []
        target, staging = f"{self.target}/", f"{self.staging}/"  # strings: hundreds of folders
        try:
            for key in sorted(self.adopted):
                self._folder(key)
                os.rename(target + key, staging + key)
                moved.append(key)
        except OSError:
            _move_back(self.staging, self.target, moved)
            raise

    def abort(self) -> None:
        if self.adopted and (self.staging / JOURNAL).exists():
            _move_back(self.staging, self.target, sorted(self.adopted))
        shutil.rmtree(self.staging, ignore_errors=True)


def _parents(key: str) -> Iterator[str]:
    """The folders a relative path is in, innermost first: 'a/b/c' gives 'a/b', then 'a'."""
    i = key.rfind("/")
    while i > 0:
        yield key[:i]
        i = key.rfind("/", 0, i)


MANIFEST = ".podkit-pages.json"  # the published site's fingerprint and its outputs' keys (see pages)
JOURNAL = ".podkit-adopted.json"  # in the staging folder: the folders being moved in from the site


def _move_back(staging: Path, target: Path, folders: list[str]) -> None:
    for rel in folders:
        if (staging / rel).exists() and not (target / rel).exists():
            os.rename(staging / rel, target / rel)


def recover(target: Path) -> None:
    """Finish or undo a commit that was cut off, and drop stale staging folders."""
    old = target.with_name(f".{target.name}.old")
    if old.exists() and not target.exists():  # cut off between the two renames of the swap
        os.rename(old, target)
    (target / JOURNAL).unlink(missing_ok=True)  # cut off after the swap: the site is whole
    for leftover in target.parent.glob(f".{target.name}.building-*"):
        try:
            folders = json.loads((leftover / JOURNAL).read_text())
        except (OSError, ValueError):
            folders = []
        if folders and target.exists():  # cut off while adopting: put the folders back
            _move_back(leftover, target, [str(f) for f in folders])
        shutil.rmtree(leftover, ignore_errors=True)


def read_manifest(folder: Path | None) -> tuple[str | None, dict[str, str]]:
    """The fingerprint of the site published in ``folder`` and the keys of its pages and folders."""
    if folder is None:
        return None, {}
    try:
        data = json.loads((folder / MANIFEST).read_text())
        pages = data["pages"]
        return str(data["site"]), {str(k): str(v) for k, v in pages.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, {}  # no previous site, or a damaged manifest: everything is rendered afresh
