"""The only code that touches the output folder.

A build writes into a fresh staging folder beside the output; the writer refuses to write
one path twice (two pages fighting over a URL is a bug, not a last-one-wins). When the
build is complete the staging folder is swapped in whole, so a failed build leaves the
last good site and feed exactly as they were.

The swap is one system call: ``renameat2(RENAME_EXCHANGE)`` trades the staging folder and the
output folder in a single atomic step, so ``public/`` is, at every instant, either the whole old
site or the whole new one, whatever kills the build and wherever (a server reading it in a loop
never sees a file missing). The old site then sits under the staging folder's name and is deleted;
a build killed before it is gone leaves it there for the next build to delete (`recover`). Where
the exchange is not available (not Linux, or a file system without it) the swap falls back to two
renames, the output moved aside and the staging folder moved in, and `recover` puts the old site
back if a kill falls between them.

A folder of the current site that the build would make again file for file (an unchanged
episode's page, audio and transcripts; an unchanged search bundle) can be *adopted* instead: at
commit its files are hard-linked into the staging folder, which costs a link per file and
leaves the current site untouched until the swap.

The site the swap takes out is not deleted but kept beside the output (``.public.spare``), and the
next build starts its staging folder from it: a folder that site shares with the current one, link
for link (the same files, by inode), is then adopted as it stands, and only what changed since is
linked, written or removed. An edit of one episode of a large show costs what it changed, not a
folder and a link for every file of the site plus the deletion of the old one. A written file
always replaces the name it is written to, never the file behind it: that file may be a link into
the site being served.

With the new site the writer lists every file it holds with its size and modification time
(`FILES`), so a later build can tell, by a stat per file, that ``public/`` is still what it wrote
(`read_manifest`): a file deleted, changed or truncated since means the site is built again.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import posixpath
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from toolkit.errors import PodkitError
from toolkit.files import umask

T = TypeVar("T")


class Writer:
    def __init__(self, target: Path) -> None:
        self.target = target
        target.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
        self.spare = target.with_name(f".{target.name}.spare")
        try:
            os.rename(self.spare, self.staging)  # onto the empty folder mkdtemp made
        except OSError:  # none (a first build, or the last one was interrupted)
            shutil.rmtree(self.spare, ignore_errors=True)
        self.staging.chmod(0o777 & ~umask())  # mkdtemp's 0700 would hide the site from a web server
        # What the staging folder already holds (the spare): file -> inode, and its folders.
        self.base, base_folders = _walk(str(self.staging))
        self._grouped: dict[str, dict[str, int]] | None = None  # the spare's files by folder (`_in`)
        self.written: set[str] = set()
        self.folders: set[str] = base_folders  # there in the staging folder
        self.adopted: set[str] = set()  # folders of the current site, linked in at commit
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
        if self.base:
            self._clear(key)
        self._folder(key)
        return path

    def _clear(self, key: str) -> None:
        """Take out of the staging folder what the spare has at ``key``, and any file where one of its
        folders must be."""
        if self.base.pop(key, None) is not None:
            os.unlink(f"{self.staging}/{key}")
        elif key in self.folders:
            shutil.rmtree(f"{self.staging}/{key}")
            for k in self._in(key):
                self.base.pop(k, None)
            self.folders.discard(key)  # those inside stay listed: see `_drop_the_rest`
        for parent in _parents(key):
            if self.base.pop(parent, None) is not None:
                os.unlink(f"{self.staging}/{parent}")

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
        """Publish the current site's folder ``rel`` as it is (linked in at commit: see above)."""
        key = self._check(rel.rstrip("/"))
        if key in self.holding:
            raise PodkitError(f"two outputs want the same path: {rel}", hint="two episodes or pages share a name")
        self.adopted.add(key)

    def commit(self) -> None:
        """Link the adopted folders in, list the files, then swap the staging folder in as the output."""
        listing = {key: _stat(f"{self.staging}/{key}") for key in self.written}
        before = _read_listing(self.target) if self.adopted else {}
        current = _by_folder(before) if self.base else {}
        kept = self._keep(current)
        for key in sorted(self.adopted - kept):
            self._clear(key)
            self._folder(key)
            _link_tree(f"{self.target}/{key}", f"{self.staging}/{key}", key, before, listing)
        for key in kept:
            listing.update(current[key])
        self._drop_the_rest(listing)
        (self.staging / FILES).write_text(json.dumps(listing, separators=(",", ":")))
        if self.target.is_dir() and not self.target.is_symlink() and exchange(self.staging, self.target):
            # The old site, now under the staging name: the next build's start.
            shutil.rmtree(self.spare, ignore_errors=True)
            os.rename(self.staging, self.spare)
            return
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

    def _keep(self, current: dict[str, dict[str, list[int]]]) -> set[str]:
        """The adopted folders the staging folder already holds as the current site has them (``current``:
        its files by folder): the same files, each the same inode (a link to the same file, so the same
        bytes)."""
        if not self.base:
            return set()
        return {key for key in self.adopted if key in self.folders and key in current
                and self._in(key).keys() == current[key].keys()
                and all(len(v) > 2 and self.base.get(k) == v[2] for k, v in current[key].items())}

    def _in(self, folder: str) -> dict[str, int]:
        """The spare's files under ``folder``, at any depth, as the staging folder started."""
        if self._grouped is None:
            self._grouped = _by_folder(self.base)
        return self._grouped.get(folder, {})

    def _drop_the_rest(self, listing: dict[str, list[int]]) -> None:
        """Delete what the spare held that the new site does not: its files, then its empty folders."""
        for key in self.base:
            if key not in listing:
                os.unlink(f"{self.staging}/{key}")
        needed = {parent for key in listing for parent in _parents(key)}
        for folder in sorted(self.folders - needed, key=lambda f: -f.count("/")):
            with contextlib.suppress(OSError):  # gone with a folder taken out whole (`_clear`)
                os.rmdir(f"{self.staging}/{folder}")
        self.base = {}

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def _parents(key: str) -> Iterator[str]:
    """The folders a relative path is in, innermost first: 'a/b/c' gives 'a/b', then 'a'."""
    i = key.rfind("/")
    while i > 0:
        yield key[:i]
        i = key.rfind("/", 0, i)


MANIFEST = ".podkit-pages.json"  # the published site's fingerprint and its outputs' keys (see pages)
FILES = ".podkit-files.json"  # every file of the published site: path -> [size, mtime in ns, inode]


def _link_tree(source: str, dest: str, rel: str, before: dict[str, list[int]], listing: dict[str, list[int]]) -> None:
    """Hard-link every file under ``source`` into ``dest`` (made here), and list each under ``rel``:
    as ``before`` (the current site's list) has it, since a link is the same file, else by a stat.

    Folder by folder through file descriptors, so the kernel does not walk the long paths again
    for each of the thousands of files of a large show.
    """
    os.mkdir(dest)
    todo = [(source, dest, rel)]
    while todo:
        src, dst, here = todo.pop()
        src_fd = os.open(src, os.O_RDONLY | os.O_DIRECTORY)
        try:
            dst_fd = os.open(dst, os.O_RDONLY | os.O_DIRECTORY)
            try:
                with os.scandir(src_fd) as entries:
                    for entry in entries:
                        name, key = entry.name, f"{here}/{entry.name}"
                        if entry.is_dir(follow_symlinks=False):
                            os.mkdir(name, dir_fd=dst_fd)
                            todo.append((f"{src}/{name}", f"{dst}/{name}", key))
                            continue
                        try:
                            os.link(name, name, src_dir_fd=src_fd, dst_dir_fd=dst_fd, follow_symlinks=False)
                        except OSError:  # a file system without hard links
                            shutil.copy2(f"{src}/{name}", f"{dst}/{name}")
                        found = before.get(key)  # a listing of an earlier version may lack the inode
                        listing[key] = found if found is not None and len(found) > 2 else _stat(f"{dst}/{name}")
            finally:
                os.close(dst_fd)
        finally:
            os.close(src_fd)


def _stat(path: str) -> list[int]:
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _walk(root: str) -> tuple[dict[str, int], set[str]]:
    """Every file under ``root`` (relative path -> inode: scandir has it without a stat), and every folder."""
    files: dict[str, int] = {}
    folders: set[str] = set()
    todo = [("", root)]
    while todo:
        rel, path = todo.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                key = f"{rel}{entry.name}"
                if entry.is_dir(follow_symlinks=False):
                    folders.add(key)
                    todo.append((f"{key}/", entry.path))
                else:
                    files[key] = entry.inode()
    return files, folders


def _by_folder(files: dict[str, T]) -> dict[str, dict[str, T]]:
    """The files in each folder, at any depth: folder -> {file: what ``files`` has of it}."""
    grouped: dict[str, dict[str, T]] = {}
    for key, value in files.items():
        for parent in _parents(key):
            grouped.setdefault(parent, {})[key] = value
    return grouped


def _read_listing(folder: Path) -> dict[str, list[int]]:
    """The writer's list of the files of the site in ``folder`` (empty if there is none)."""
    try:
        found = json.loads((folder / FILES).read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def intact(folder: Path) -> bool:
    """True when every file the writer listed in ``folder`` is there with the size and time it had."""
    try:
        files = json.loads((folder / FILES).read_text())
        prefix = f"{folder}/"
        for rel, (size, mtime, *_) in files.items():
            st = os.stat(prefix + rel)
            if st.st_size != size or st.st_mtime_ns != mtime:
                return False
    except (OSError, ValueError, TypeError, AttributeError):
        return False
    return True


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Trade the names of two folders in one atomic step; False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def recover(target: Path) -> None:
    """Undo a swap cut off between its two renames, and drop what killed builds left beside the output.

    Run only under the build lock: a staging folder is then never a running build's.
    """
    old = target.with_name(f".{target.name}.old")
    if old.exists() and not target.exists():  # cut off between the two renames of the fallback swap
        os.rename(old, target)
    for leftover in (*target.parent.glob(f".{target.name}.building-*"), old):
        shutil.rmtree(leftover, ignore_errors=True)


def read_manifest(folder: Path | None, *, verify: bool = True) -> tuple[str | None, dict[str, str]]:
    """The fingerprint of the site published in ``folder`` and the keys of its pages and folders.

    Nothing (everything is made afresh) when there is no site, its manifest is damaged, or (with
    ``verify``) any of its files is not as the writer left it (`intact`).
    """
    if folder is None or (verify and not intact(folder)):
        return None, {}
    try:
        data = json.loads((folder / MANIFEST).read_text())
        pages = data["pages"]
        return str(data["site"]), {str(k): str(v) for k, v in pages.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, {}  # no previous site, or a damaged manifest: everything is rendered afresh
