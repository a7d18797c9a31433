"""An episode's stages on a machine that does not see the show's folder: its files go by content hash.

A cluster's worker that shares the show's storage reads the sources and writes the cache where the
client does (`cluster`). One that does not is sent a `Parcel`: the files the episode's stages may read,
each named by its place in the show and its SHA-256, and the cache entries already made for the
episode (a re-transcription after a model upgrade needs the master's MP3, not the recording). The
bytes travel as the task's data dependencies, keyed by that hash, so a file that several episodes
share (the artwork, an intro) is sent once per run, not once per episode.

The worker lays the files out in a folder of its own as they are in the show, with the entries in a
cache of its own, and runs the stages there (`stages.run_episode`, as anywhere else); it returns the
entries it made, file by file, and the client stores each in the show's cache as a local stage does
(`Cache.put`: whole or not at all). The keys are the same wherever the stages run: a key is of the
files' content, the settings and the entries' places in the cache, never of where the show is.

The files sent: every file in the show's folder except the other episodes' folders, the site, the
cache and hidden files. That is more than the stages read (podkit.toml, the theme), but needs no list
of what each stage reads; a file the show names outside its folder is read where it is named, and a
worker that cannot read it says so, naming it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from toolkit.build.cache import MANIFEST, Cache, file_hash
from toolkit.build.stages import Processed, entries, run_episode
from toolkit.build.timing import StageTime
from toolkit.errors import InvalidShow, PodkitError
from toolkit.show import Episode, Show

T = TypeVar("T")


@dataclass(frozen=True)
class Parcel:
    """What a worker needs of one episode: (place, sha256) of each file, and where they were."""

    root: str  # the show's folder, on the client
    cache: str  # its cache
    files: tuple[tuple[str, str], ...]  # path in the show's folder -> content
    entries: tuple[tuple[str, str], ...]  # path in the cache (stage/xx/key/file) -> content


@dataclass(frozen=True)
class Made:
    """What a worker made of one episode: each new entry's files, and the stages' times."""

    entries: tuple[tuple[str, str, tuple[tuple[str, bytes], ...]], ...]  # (stage, key, (file, bytes) ...)
    ran: tuple[str, ...]
    times: dict[str, StageTime]


def parcel(show: Show, ep: Episode, code: str) -> tuple[Parcel, dict[str, Path]]:
    """The episode's parcel, and the file on this machine of each content hash in it."""
    root, cache = show.root, show.cache_dir  # as the show's paths have them: `run` moves them by these
    skip = {str(p) for p in (show.output, cache, *(e.folder for e in show.episodes if e is not ep))}
    sources: dict[str, Path] = {}
    files = []
    for here, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and os.path.join(here, d) not in skip)
        for name in sorted(names):
            path = Path(here, name)
            if not name.startswith(".") and path.is_file():
                sha = file_hash(path)
                sources.setdefault(sha, path)
                files.append((path.relative_to(root).as_posix(), sha))
    made = []
    for entry in entries(show, ep, code):
        for path in sorted(p for p in entry.rglob("*") if p.is_file()):
            sha = file_hash(path)
            sources.setdefault(sha, path)
            made.append((path.relative_to(cache).as_posix(), sha))
    return Parcel(str(root), str(cache), tuple(files), tuple(made)), sources


def run(parcel: Parcel, blobs: Mapping[str, bytes], show: Show, ep: Episode, code: str, folder: Path,
        progress: Callable[[str, str, float, float], None] | None = None, profile: Path | None = None) -> Made:
    """On the worker: the episode's stages in ``folder`` (a fresh one), from the parcel's files."""
    root, cache = folder / "show", folder / "cache"
    for base, placed in ((root, parcel.files), (cache, parcel.entries)):
        for rel, sha in placed:
            path = base / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(blobs[sha])
    moves = {parcel.root: str(root), parcel.cache: str(cache)}
    here_show = _moved(show, moves)
    here_show = dataclasses.replace(here_show, build=dataclasses.replace(here_show.build, cache=str(cache)))
    try:
        result = run_episode(here_show, _moved(ep, moves), code, progress, profile=profile)
    except InvalidShow as exc:
        raise InvalidShow([_moved(p, _back(moves)) for p in exc.problems]) from None
    except PodkitError as exc:
        problem = _moved(exc.problem, _back(moves))
        raise PodkitError(problem.message, path=problem.path, line=problem.line, hint=problem.hint) from None
    assert result is not None
    made = []
    for stage in result.ran:
        entry = result.done[stage]
        made.append((stage, entry.name, tuple((p.relative_to(entry).as_posix(), p.read_bytes())
                                              for p in sorted(entry.rglob("*")) if p.is_file() and p.name != MANIFEST)))
    return Made(tuple(made), result.ran, result.times)


def store(show: Show, ep: Episode, code: str, made: Made) -> Processed:
    """Put what a worker made into the show's cache; the episode's results as a local run gives them."""
    cache = Cache(show.cache_dir)
    for stage, key, files in made.entries:
        cache.put(stage, key, lambda folder, files=files: _write(folder, files))  # type: ignore[misc]
    result = run_episode(show, ep, code, lookup_only=True)
    if result is None:
        raise PodkitError(f"the cluster's worker did not return every stage of {ep.slug}", path=ep.source,
                          hint="do the workers run the same podkit and libraries? run the build again")
    return dataclasses.replace(result, ran=made.ran, times=made.times)


def _write(folder: Path, files: tuple[tuple[str, bytes], ...]) -> None:
    for rel, data in files:
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _back(moves: Mapping[str, str]) -> dict[str, str]:
    return {here: there for there, here in moves.items()}


def _moved(value: T, moves: Mapping[str, str]) -> T:
    """``value`` with every path (and string naming one) under a folder of ``moves`` under its new place."""
    return _move(value, sorted(moves.items(), key=lambda m: -len(m[0])))  # type: ignore[no-any-return]


def _move(value: Any, moves: list[tuple[str, str]]) -> Any:
    if isinstance(value, Path):
        return Path(_move(str(value), moves))
    if isinstance(value, str):
        for old, new in moves:
            if value == old or value.startswith(old + os.sep):
                return new + value[len(old):]
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _move(getattr(value, f.name), moves) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(_move(v, moves) for v in value)
    if isinstance(value, list):
        return [_move(v, moves) for v in value]
    if isinstance(value, dict):
        return {k: _move(v, moves) for k, v in value.items()}
    return value


def blobs_of(parcel: Parcel) -> Iterator[str]:
    """Every content hash the parcel names, once."""
    yield from dict.fromkeys(sha for _, sha in (*parcel.files, *parcel.entries))


__all__ = ["Made", "Parcel", "blobs_of", "parcel", "run", "store"]
