"""The build state: what one build leaves for the next, in one file in the cache folder.

It answers two questions without running any stage:

- **Is there anything to do?** Each build records a digest of everything it reads (`Scan`), taken
  before it reads it: the size and modification time of every file in the show's folder (except
  the output, the cache and hidden folders) and of the files podkit.toml names (artwork, intro,
  outro), and podkit's code digest (its code, theme and libraries) with the engine asked for. If
  the next build finds the same digest, ``public/`` still carries the fingerprint of the site that
  build published, and no scheduled episode has come due, there is nothing to do. (An episode's own
  intro or outro outside the show's folder is not seen: `podkit build --force` after changing one.)
- **Which episodes are unchanged?** Per episode folder, what the last build made of the episode
  (its `Built`: the view the site and feeds show, and its tagged MP3), under the digest of the
  files in that folder and of the files it names elsewhere, all under a context digest of what
  shapes every episode (where the show is, podkit.toml and the files it names, podkit's code, the
  engine). An edit to one episode of a large show then reads and renders that episode alone.

It also keeps the content hashes of source files and the audio files ffprobe has read without
complaint, both by path, size and modification time, so unchanged audio is neither hashed nor
probed again. A missing, damaged or foreign state file only costs time: everything is made again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from toolkit.build import cache
from toolkit.config import CONFIG_NAME, Config
from toolkit.files import atomic_write
from toolkit.show import AudioStat, Episode

NAME = "state.pickle"  # in the cache folder
FORMAT = 1


def _ignored(folder: str) -> bool:
    """A folder of the show that no build reads (hidden, or Python's cache)."""
    return folder.startswith(".") or folder == "__pycache__"


def _add_stats(h: Any, named: Iterable[tuple[str, str | Path]]) -> None:
    """Each file's label, size and modification time into ``h`` (a file that is not there adds nothing)."""
    for label, path in named:
        with contextlib.suppress(OSError):
            st = os.stat(path)
            h.update(f"{label}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())


def _stats_digest(paths: Iterable[str]) -> str:
    h = hashlib.sha256()
    _add_stats(h, ((p, p) for p in paths))
    return h.hexdigest()


@dataclass(frozen=True)
class Scan:
    digest: str  # of everything a build reads
    episodes: dict[str, str]  # episode folder name -> the digest of the files in it
    # What shapes every episode besides its own folder. Unlike ``digest`` it holds where the show
    # is: a copy elsewhere builds the same site, but its episodes are other files.
    context: str


def scan(root: Path, config: Config, engine: str | None) -> Scan | None:
    """Everything a build of ``root`` reads, by file stats; None when podkit.toml has problems."""
    if config.problems:
        return None
    output, cache_dir = root / config.build.output, root / config.build.cache
    named = [root / n for n in (config.show.artwork, config.master.intro, config.master.outro) if n]
    environment = f"{engine}\0{cache.code_digest()}"
    # The episodes are pickled objects: what one Python wrote, another reads again from the files.
    context = hashlib.sha256(f"{root}\0{sys.version}\0{environment}\0".encode())
    _add_stats(context, [(str(p), p) for p in (root / CONFIG_NAME, *named)])
    # The walk does not follow links, so the folders as named are the ones to leave out.
    skip = {os.path.normpath(output), os.path.normpath(cache_dir)}
    h = hashlib.sha256(environment.encode())
    # As podkit.toml names them: a show moved with its files keeps its digest.
    _add_stats(h, [(str(p.relative_to(root) if p.is_relative_to(root) else p), p) for p in named])
    episodes_dir = os.path.join(str(root), "episodes") + os.sep
    episodes: dict[str, Any] = {}
    top = len(str(root)) + 1
    for folder, dirs, files in os.walk(str(root)):
        dirs[:] = sorted(d for d in dirs if not _ignored(d) and os.path.join(folder, d) not in skip)
        within = None  # the episode folder this is in, if any
        if folder.startswith(episodes_dir):
            name, _, rest = folder[len(episodes_dir):].partition(os.sep)
            within = episodes.setdefault(name, hashlib.sha256())
            inner = rest + os.sep if rest else ""
        for name in sorted(files):
            path = os.path.join(folder, name)
            with contextlib.suppress(OSError):  # gone since the listing: the digest differs anyway
                st = os.stat(path)
                h.update(f"{path[top:]}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
                if within is not None:
                    within.update(f"{inner}{name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return Scan(h.hexdigest(), {name: d.hexdigest() for name, d in episodes.items()}, context.hexdigest())


@dataclass(frozen=True)
class Built:
    """What a build made of one episode: what the site and the feeds show of it, its tagged MP3."""

    view: Any  # publish.site.EpisodeView (kept untyped here: the state never looks inside)
    audio: Path
    digest: str  # publish.site.episode_digest(view)


@dataclass(frozen=True)
class _Entry:
    files: str  # the digest of the files in the episode's folder, taken before the build read them
    named: tuple[str, ...]  # the files outside the folder that the episode was made from
    named_digest: str
    needs: tuple[str, ...]  # cache files the value points into: one gone, and the value is stale
    value: bytes  # pickled on its own: reading the state does not unpickle every episode


def outside(ep: Episode, paths: Iterable[Path]) -> list[Path]:
    """Of the files an episode is made from, those its folder's digest does not cover."""
    folder = ep.folder
    return [p for p in paths if not (p.is_relative_to(folder)
                                     and not any(map(_ignored, p.relative_to(folder).parts[:-1])))]


@dataclass
class BuildState:
    """The state of one show's builds (see the module's docstring)."""

    path: Path
    context: str | None
    sources: str | None = None  # the `Scan.digest` the last build published from
    site: str | None = None  # the fingerprint of the site it published
    due: datetime | None = None  # when its first scheduled episode comes due
    episodes: dict[str, _Entry] = field(default_factory=dict)
    probed: set[AudioStat] = field(default_factory=set)
    kept: dict[str, _Entry] = field(default_factory=dict)  # this build's episodes

    @classmethod
    def load(cls, cache_dir: Path, context: str | None) -> BuildState:
        state = cls(cache_dir / NAME, context)
        with contextlib.suppress(Exception):  # none yet, or one this code cannot read: start afresh
            with state.path.open("rb") as f:
                data = pickle.load(f)
            if data["format"] != FORMAT:
                return state
            state.probed = set(data["probed"])
            cache.known_hashes().update(data["hashes"])
            # The record holds no path: a show moved with its files is still up to date. Its
            # episodes were read from files elsewhere, and are read again.
            state.sources, state.site, state.due = data["sources"], data["site"], data["due"]
            if context is not None and data["context"] == context:
                state.episodes = dict(data["episodes"])
        return state

    def fresh(self, scan: Scan, published: str | None, now: datetime) -> bool:
        """True when the last build of these very sources is the site that is published."""
        return (self.sources == scan.digest and self.site is not None and self.site == published
                and (self.due is None or now < self.due))

    def take(self, folders: Mapping[str, str]) -> dict[str, Built]:
        """What the last build made of those episode folders whose sources are unchanged.

        ``folders`` maps each folder's name to the digest of its files (`Scan`), taken before the
        build read any of them, so an edit made while the build runs is seen by the next build.
        """
        found: dict[str, Built] = {}
        for folder, files in folders.items():
            entry = self.episodes.get(folder)
            if (entry is None or entry.files != files or _stats_digest(entry.named) != entry.named_digest
                    or not all(os.path.exists(p) for p in entry.needs)):
                continue
            try:
                found[folder] = pickle.loads(entry.value)
            except Exception:  # written by other code: make it again
                continue
            self.kept[folder] = entry
        return found

    def put(self, folder: str, files: str, named: Iterable[Path], needs: Iterable[Path], built: Built) -> None:
        paths = tuple(str(p) for p in named)
        self.kept[folder] = _Entry(files, paths, _stats_digest(paths), tuple(str(p) for p in needs),
                                   pickle.dumps(built, protocol=pickle.HIGHEST_PROTOCOL))

    def save(self, sources: str | None, site: str | None, due: datetime | None) -> None:
        """Keep this build's record and episodes (only those: episodes since deleted drop out)."""
        self.sources, self.site, self.due, self.episodes = sources, site, due, dict(self.kept)
        hashes = {k: v for k, v in cache.known_hashes().items() if os.path.exists(k[0])}
        probed = {p for p in self.probed if os.path.exists(p[0])}
        data = {"format": FORMAT, "context": self.context, "sources": sources, "site": site,
                "due": due, "episodes": self.episodes, "hashes": hashes, "probed": probed}
        atomic_write(self.path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
