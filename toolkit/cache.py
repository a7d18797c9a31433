"""A content-addressed cache for per-episode stages.

An entry's key is the hash of the stage's name and version, the content hash of every
input file and every setting that changes the output. An entry is a folder built under a
temporary name and renamed into place when complete, so an interrupted stage (Ctrl-C, a
crash) leaves nothing that a later run could mistake for a result. A damaged entry is
reported and rebuilt.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

MANIFEST = "entry.json"


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(sorted(f.name for f in fields(cls)))


def _canonical(value: Any) -> Any:
    """Inputs as plain JSON values, file paths replaced by their content hash."""
    if isinstance(value, Path):
        return {"file-sha256": file_hash(value)}
    if is_dataclass(value) and not isinstance(value, type):  # field by field: asdict's deep copy is slow
        return {name: _canonical(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cache inputs must be plain data or paths, not {type(value).__name__}")


_hash_memo: dict[tuple[str, int, int], str] = {}
_loaded: set[Path] = set()  # cache roots whose hashes.json this process has read
_known_at: dict[Path, int] = {}  # cache root -> size of the memo when its hashes.json was read or written


def file_hash(path: Path) -> str:
    """sha256 of a file's content, remembered for as long as its size and mtime stay the same."""
    st = path.stat()
    # abspath, not resolve: resolving stats every folder on the way, and a path through a link is
    # as good a key as the link's target (stat follows the link).
    memo_key = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
    found = _hash_memo.get(memo_key)
    if found is None:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        found = _hash_memo[memo_key] = h.hexdigest()
    return found


def code_digest(*modules: str) -> str:
    """A hash of podkit's version and the source of ``modules`` (paths under the package, e.g.
    "site.py"): what outputs made by that code are keyed on, so a change to it makes them anew."""
    from . import __version__

    here = Path(__file__).resolve().parent
    h = hashlib.sha256(__version__.encode())
    for name in modules:
        h.update(f"\0{name}\0".encode())
        h.update((here / name).read_bytes())
    return h.hexdigest()


def repr_digest(*parts: object) -> str:
    """A key of plain values (strings, numbers, tuples, frozen dataclasses): sha256 of their repr."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def stage_key(stage: str, version: str, inputs: Mapping[str, Any]) -> str:
    payload = json.dumps({"stage": stage, "version": version, "inputs": _canonical(inputs)},
                         sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


class Cache:
    """Entries live at ``root/<stage>/<key[:2]>/<key>/``; file hashes persist in ``root/hashes.json``."""

    def __init__(self, root: Path, warn: Callable[[str], None] | None = None) -> None:
        self.root = root
        self.warn = warn or (lambda message: None)
        self._load_hashes()

    def _hashes_path(self) -> Path:
        return self.root / "hashes.json"

    def _load_hashes(self) -> None:
        if self.root in _loaded:  # once per process: a build makes a Cache for every episode
            return
        _loaded.add(self.root)
        try:
            data = json.loads(self._hashes_path().read_text())
            for row in data:
                _hash_memo[(row[0], row[1], row[2])] = row[3]
        except (OSError, ValueError, TypeError, IndexError):
            pass  # no memo yet, or a damaged one: hashes are recomputed
        _known_at[self.root] = len(_hash_memo)

    def save_hashes(self) -> None:
        """Persist the file-hash memo so the next run need not re-read unchanged audio."""
        if _known_at.get(self.root) == len(_hash_memo):  # the memo only grows: nothing new to keep
            return
        self.root.mkdir(parents=True, exist_ok=True)
        rows = [[*k, v] for k, v in _hash_memo.items() if os.path.exists(k[0])]
        _atomic_write(self._hashes_path(), json.dumps(rows).encode())
        _known_at[self.root] = len(_hash_memo)

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
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=entry.parent))
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


def umask() -> int:
    """The process umask (reading it means setting it, so set it straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


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


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def atomic_write(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, data)
