"""A content-addressed cache for per-episode stages.

An entry's key is the hash of the stage's name and version, the content hash of every
input file and every setting that changes the output. An entry is a folder built under a
temporary name and renamed into place when complete, so an interrupted stage (Ctrl-C, a
crash) leaves nothing that a later run could mistake for a result. A damaged entry is
reported and rebuilt.

Entries under construction live in one folder, ``<cache>/.tmp/<pid>@<host>@...``, named after the
process that makes them and its machine: a build killed mid-stage leaves its partial entry (a
half-written MP3, say) there, and the next build deletes it (`Cache.tidy`) when that process is gone
or the folder is a day old, with one listing and no walk of the cache. A process on another machine
(a cluster's worker writing into a shared cache) cannot be asked whether it still runs: its folders
are deleted only when a day old. `prune` deletes whole entries nothing uses any more.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from toolkit.files import default_templates, umask

MANIFEST = "entry.json"
TMP = ".tmp"  # entries under construction (see the module's docstring)
STALE = 24 * 3600  # seconds after which a temporary entry is debris even if its PID is alive (reused)
HOST = socket.gethostname().replace("@", "_").replace(os.sep, "_")  # in temporary entries' names


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(sorted(f.name for f in fields(cls)))


_hashes: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) -> sha256; the build state keeps it


def file_hash(path: Path) -> str:
    """sha256 of a file's content, remembered for as long as its size and mtime stay the same."""
    st = path.stat()
    # abspath, not resolve: resolving stats every folder on the way, and a path through a link is
    # as good a key as the link's target (stat follows the link).
    memo_key = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
    found = _hashes.get(memo_key)
    if found is None:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        found = _hashes[memo_key] = h.hexdigest()
    return found


def known_hashes() -> dict[tuple[str, int, int], str]:
    """The file hashes worked out so far (for the build state to keep), and those it gave back."""
    return _hashes


# Libraries whose upgrade can change what a build writes.
LIBRARIES = ("feedgen", "jinja2", "markdown-it-py", "mutagen", "pagefind", "lxml", "faster-whisper",
             "openai-whisper", "ctranslate2")


@functools.cache
def code_digest() -> str:
    """podkit's own code: its version, every file of the package, its default theme and the versions of
    the libraries that shape its output. Every output made by podkit's code is keyed on it, so any
    change to the code makes them anew; only the expensive stages (master, transcribe) are keyed on
    a version of their own instead, bumped by hand when their output changes."""
    import toolkit

    package = Path(toolkit.__file__).resolve().parent
    h = hashlib.sha256(toolkit.__version__.encode())
    for folder in (package, default_templates()):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(f"\0{path.relative_to(folder).as_posix()}\0".encode())
            h.update(path.read_bytes())
    h.update("\0".join(_installed(LIBRARIES)).encode())
    return h.hexdigest()


def _installed(names: tuple[str, ...]) -> list[str]:
    """The installed distributions of ``names`` as their metadata folders name them (``feedgen-1.0.0.dist-info``):
    one listing of each folder on the path, where importlib.metadata would import and scan for each name."""
    wanted = {re.sub(r"[-_.]+", "_", n).lower() for n in names}
    found = []
    for folder in sys.path:
        try:
            entries = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in entries:
            if entry.endswith((".dist-info", ".egg-info")):
                name = re.sub(r"[-_.]+", "_", entry.split("-", 1)[0]).lower()
                if name in wanted:
                    found.append(entry)
    return sorted(found)


class Cache:
    """Entries live at ``root/<stage>/<key[:2]>/<key>/``."""

    def __init__(self, root: Path, warn: Callable[[str], None] | None = None) -> None:
        self.root = root
        self.warn = warn or (lambda message: None)
        self._prefix = os.path.abspath(root) + os.sep

    def key(self, stage: str, version: str, job: Any) -> str:
        """The key of ``stage``'s result for ``job``: the stage, its ``version`` and every input in the
        job. A source file counts by its content; a file an earlier stage made counts by where it is
        in the cache, which is that stage's key."""
        payload = json.dumps({"stage": stage, "version": version, "job": self._canonical(job)},
                             sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()

    def _canonical(self, value: Any) -> Any:
        """Inputs as plain JSON values, file paths replaced as `key` says."""
        if isinstance(value, Path):
            path = os.path.abspath(value)
            if path.startswith(self._prefix):
                return {"made": path[len(self._prefix):]}
            return {"file-sha256": file_hash(value)}
        if is_dataclass(value) and not isinstance(value, type):  # field by field: asdict's deep copy is slow
            return {name: self._canonical(getattr(value, name)) for name in _field_names(type(value))}
        if isinstance(value, Mapping):
            return {str(k): self._canonical(v) for k, v in sorted(value.items())}
        if isinstance(value, (list, tuple)):
            return [self._canonical(v) for v in value]
        if value is None or isinstance(value, (str, int, float, bool)):
            return value
        raise TypeError(f"cache inputs must be plain data or paths, not {type(value).__name__}")

    def path(self, stage: str, key: str) -> Path:
        return self.root / stage / key[:2] / key

    def get(self, stage: str, key: str) -> Path | None:
        """The folder of a complete entry, or None. A damaged entry is removed with a warning."""
        entry = self.path(stage, key)
        if not entry.exists():
            return None
        try:
            manifest = json.loads((entry / MANIFEST).read_text())
            for name, size in manifest["files"].items():
                if (entry / name).stat().st_size != size:
                    raise ValueError(f"{name} has the wrong size")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.warn(f"cache entry {entry} is damaged ({exc}); rebuilding it")
            shutil.rmtree(entry, ignore_errors=True)
            return None
        return entry

    def put(self, stage: str, key: str, build: Callable[[Path], None]) -> Path:
        """Run ``build(folder)`` in a fresh temporary folder, then move it into place."""
        entry = self.path(stage, key)
        entry.parent.mkdir(parents=True, exist_ok=True)
        (self.root / TMP).mkdir(exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}@{HOST}@{stage}-{key[:12]}-", dir=self.root / TMP))
        try:
            build(tmp)
            files = _publishable(tmp)
            (tmp / MANIFEST).write_text(json.dumps({"stage": stage, "key": key, "files": files}))
            # A worker that made the same entry (two episodes of the same audio) and finished
            # first wins: another may be reading it already. A damaged leftover is removed by get.
            if self.get(stage, key) is None:
                try:
                    os.rename(tmp, entry)
                except OSError:
                    if self.get(stage, key) is None:  # not a race lost just now
                        raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        shutil.rmtree(tmp, ignore_errors=True)  # gone if it was renamed; ours, if it lost the race
        return entry


    def tidy(self) -> int:
        """Delete the temporary entries of this machine's processes that are gone, and any a day old; the
        bytes freed.

        Run at the start of a build, under the build lock (`lock`), so no running build's are taken.
        """
        freed = 0
        try:
            names = os.listdir(self.root / TMP)
        except OSError:
            return 0
        now = time.time()
        for name in names:
            path = self.root / TMP / name
            pid, host = _owner(name)
            try:
                old = now - path.stat().st_mtime > STALE
            except OSError:
                continue
            if old or not pid.isdigit() or (host == HOST and not _alive(int(pid))):
                freed += _size(path)
                shutil.rmtree(path, ignore_errors=True)
        return freed


def _owner(name: str) -> tuple[str, str]:
    """(PID, machine) of the process that made a temporary entry, from its name (one without a machine's
    name, as earlier versions made them, is this machine's)."""
    if "@" in name:
        pid, host, _ = name.split("@", 2)
        return pid, host
    return name.split("-", 1)[0], HOST


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process's are from before it took the lock: none are in use
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _size(path: Path) -> int:
    """Bytes held by the files under ``path`` (each counted once however many links it has)."""
    total = 0
    seen: set[tuple[int, int]] = set()
    for here, _dirs, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(here, name))
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total


def prune(root: Path, used: set[Path]) -> tuple[int, int]:
    """Delete every entry under ``root`` (``stage/xx/key``) that is not in ``used``, and any temporary
    entry left by a process that is gone. Returns (entries deleted, bytes freed).

    Bytes are those of files no other link keeps: an MP3 published in ``public/`` is a hard link
    to its entry, and its space comes back only when the site stops publishing it.
    """
    kept = {os.path.abspath(p) for p in used}
    removed = freed = 0
    for stage in sorted(os.listdir(root)) if root.is_dir() else ():
        stage_dir = root / stage
        if stage.startswith(".") or not stage_dir.is_dir():
            continue
        for prefix in sorted(os.listdir(stage_dir)):
            prefix_dir = stage_dir / prefix
            if not prefix_dir.is_dir():
                continue
            for name in sorted(os.listdir(prefix_dir)):
                entry = prefix_dir / name
                if os.path.abspath(entry) in kept or not entry.is_dir():
                    continue
                freed += _freed(entry)
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
            with contextlib.suppress(OSError):
                prefix_dir.rmdir()  # only when empty
    freed += Cache(root).tidy()
    return removed, freed


def _freed(path: Path) -> int:
    """Bytes deleting ``path`` gives back: its files that no other hard link keeps."""
    total = 0
    for here, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                st = os.lstat(os.path.join(here, name))
                if st.st_nlink == 1:
                    total += st.st_size
    return total


def _publishable(folder: Path) -> dict[str, int]:
    """Give a new entry ordinary permissions; its files' sizes, by path (its manifest).

    mkdtemp and mkstemp make private (0700/0600) folders and files, and published files are hard
    links into the cache: a web server reading public/ must be able to read them.
    """
    mask = umask()
    folder.chmod(0o777 & ~mask)
    sizes: dict[str, int] = {}
    top = len(str(folder)) + 1
    for here, dirs, files in os.walk(folder):  # strings, not Paths: a search bundle has hundreds of files
        for name in dirs:
            os.chmod(os.path.join(here, name), 0o777 & ~mask)
        for name in files:
            path = os.path.join(here, name)
            st = os.stat(path)
            if st.st_mode & 0o777 != 0o666 & ~mask:
                os.chmod(path, 0o666 & ~mask)
            sizes[path[top:]] = st.st_size
    return sizes

