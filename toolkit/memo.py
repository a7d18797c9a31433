"""What the last build made of each episode, reused while nothing it came from has changed.

An edit to one episode of a large show used to cost a pass over every episode: parsing each
``episode.md``, computing and looking up four cache keys each, rendering each episode's notes.
None of that can come out differently while

- the episode's folder holds the same files, with the same sizes and modification times;
- the files it names elsewhere (tracks, image, intro, outro) are unchanged as well;
- and everything show-wide that shapes an episode is unchanged: where the show is, podkit.toml,
  the files it names, podkit's code, the library versions and the engine (`uptodate.Scan.context`).

So each build keeps, per episode folder, what it made of the episode (for the pipeline: its
view, with the episode as read, and its tagged MP3) under a signature of the first two, all
under the digest of the third, in one pickle in the cache folder (see `deferred`: most of an
episode is read back only if it is used). The next build takes an episode from
the memo when its signature still matches and the cache entries it points into still exist;
every other episode goes through the stages as before. A damaged or unreadable memo is
simply ignored: it only ever saves work.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from . import deferred, uptodate
from .cache import atomic_write

NAME = "episodes.pickle"  # in the cache folder
T = TypeVar("T")


def _named(paths: Iterable[str]) -> str:
    h = hashlib.sha256()
    uptodate.add_stats(h, ((p, p) for p in paths))
    return h.hexdigest()


@dataclass(frozen=True)
class Entry:
    files: str  # the digest of the files in the episode's folder, taken before the build read them
    named: tuple[str, ...]  # the files outside the folder that the value was made from
    named_digest: str
    needs: tuple[str, ...]  # cache files the value points into: one gone, and the value is stale
    value: bytes  # pickled on its own, so saving the memo does not pickle the unchanged ones again


class Memo(Generic[T]):
    """The memo of one show, for one `uptodate.Scan.context` digest."""

    def __init__(self, cache: Path, context: str | None) -> None:
        self.path, self.context = cache / NAME, context
        self.old: dict[str, Entry] = {}
        self.new: dict[str, Entry] = {}
        self.changed = False
        if context is None:
            return
        with contextlib.suppress(Exception):  # no memo yet, or one this code cannot read: start afresh
            with self.path.open("rb") as f:
                data = pickle.load(f)
            if data["context"] == (context, sys.version):  # pickles of one Python, read by it
                self.old = dict(data["entries"])

    def take(self, folders: Mapping[str, str]) -> dict[str, T]:
        """The values kept for those episode folders whose sources are unchanged.

        ``folders`` maps each folder's name to the digest of its files (`uptodate.Scan`), taken
        before the build read any of them, so an edit made while the build runs is seen by the
        next build.
        """
        found: dict[str, T] = {}
        for folder, files in folders.items():
            entry = self.old.get(folder)
            if (entry is None or entry.files != files or _named(entry.named) != entry.named_digest
                    or not all(os.path.exists(p) for p in entry.needs)):
                continue
            try:
                found[folder] = pickle.loads(entry.value)
            except Exception:  # written by other code: make it again
                continue
            self.new[folder] = entry
        return found

    def put(self, folder: str, files: str, named: Iterable[Path], needs: Iterable[Path], value: T) -> None:
        paths = tuple(str(p) for p in named)
        self.new[folder] = Entry(files, paths, _named(paths), tuple(str(p) for p in needs), deferred.dumps(value))
        self.changed = True

    def save(self) -> None:
        """Keep this build's entries (only those: episodes since deleted drop out)."""
        if self.context is None or not (self.changed or self.new.keys() != self.old.keys()):
            return
        self.changed, self.old = False, dict(self.new)  # saved: a second call has nothing to do
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, pickle.dumps({"context": (self.context, sys.version), "entries": self.new},
                                             protocol=pickle.HIGHEST_PROTOCOL))
