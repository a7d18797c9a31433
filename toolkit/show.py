"""The show on disk: `podkit.toml` and `episodes/<slug>/episode.md`, loaded and validated.

Everything wrong with the input is collected and reported at once (file and line where
known) as one `InvalidShow`, before any expensive work starts.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from toolkit import config as settings
from toolkit.config import (
    CONFIG_NAME,
    BuildSettings,
    Config,
    FrontMatter,
    Key,
    KeyLines,
    MasterSettings,
    NotesSettings,
    ShowInfo,
    TranscribeSettings,
    line_of,
    read,
    toml_error,
)
from toolkit.errors import InvalidShow, MediaError, Problem

EPISODE_FILE = "episode.md"
GUID_FILE = "episode.guid"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Person:
    name: str
    role: Literal["host", "guest"]
    track: Path | None = None
    url: str | None = None
    img: str | None = None
    bio: str | None = None
    at: float | None = None  # one recording of everyone: a moment (s, on the recording) when they speak


@dataclass(frozen=True)
class Chapter:
    start: float
    title: str


@dataclass(frozen=True)
class Episode:
    slug: str
    folder: Path
    title: str
    date: datetime
    number: int | None
    description: str
    notes: str  # the author's Markdown
    tracks: tuple[Path, ...]  # one recording of everyone, or one per speaker
    people: tuple[Person, ...]
    chapters: tuple[Chapter, ...]
    master: MasterSettings
    transcribe: TranscribeSettings
    guid: str | None = None
    draft: bool = False
    tags: tuple[str, ...] = ()
    season: int | None = None
    episode_type: Literal["full", "trailer", "bonus"] = "full"
    image: Path | None = None  # episode artwork, in the episode's folder
    notes_settings: NotesSettings = field(default_factory=NotesSettings)  # the [notes] table, show's + episode's
    speakers: int | Literal["auto"] | None = None  # one recording of everyone: how many talk (None: one per person)

    @property
    def source(self) -> Path:
        return self.folder / EPISODE_FILE

    @property
    def multitrack(self) -> bool:
        return any(p.track is not None for p in self.people)

    def is_published(self, now: datetime) -> bool:
        """Drafts and episodes dated in the future stay out of the feed and the index."""
        return not self.draft and self.date <= now

    @property
    def diarized(self) -> bool:
        """One recording of two or more people (or of voices to count): who says what is found by
        diarization. A multi-track episode never is: its tracks tell."""
        if self.multitrack:
            return False
        if self.speakers is None:
            return len(self.people) >= 2
        return self.speakers == "auto" or self.speakers >= 2

    def speaker_names(self) -> dict[str, str]:
        """Speaker label ("0", "1", ...) -> person's name: a multi-track episode's tracks, or a
        diarized episode's [[people]] in order."""
        if self.diarized:
            return {str(i): p.name for i, p in enumerate(self.people)}
        with_track = [p for p in self.people if p.track is not None]
        return {str(i): p.name for i, p in enumerate(with_track)}


@dataclass(frozen=True)
class Show:
    root: Path
    info: ShowInfo
    build: BuildSettings
    master: MasterSettings
    transcribe: TranscribeSettings
    episodes: tuple[Episode, ...]
    notes: NotesSettings = field(default_factory=NotesSettings)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def output(self) -> Path:
        return self.root / self.build.output

    @property
    def cache_dir(self) -> Path:
        return self.root / self.build.cache

    @property
    def artwork(self) -> Path:
        return self.root / self.info.artwork

    def with_transcribe(self, **changes: Any) -> Show:
        """The show with transcription settings forced for every episode (e.g. `--engine`)."""
        episodes = tuple(dataclasses.replace(e, transcribe=dataclasses.replace(e.transcribe, **changes))
                         for e in self.episodes)
        return dataclasses.replace(self, transcribe=dataclasses.replace(self.transcribe, **changes),
                                   episodes=episodes)

    def episode_url(self, slug: str) -> str:
        """An episode page's public URL."""
        return f"{self.info.base_url}episodes/{slug}/"

    def episode(self, slug: str) -> Episode:
        for ep in self.episodes:
            if ep.slug == slug:
                return ep
        raise KeyError(slug)


def load_show(root: Path, *, config: Config | None = None, check_audio: bool = True,
              known: Mapping[str, Episode] | None = None, probed: set[AudioStat] | None = None) -> Show:
    """Read and validate the whole show. Raises `InvalidShow` listing every problem.

    ``config`` is podkit.toml as `config.read` found it, if the caller read it already; ``probed``
    the audio files known to be readable, to which those found readable now are added.
    ``known`` maps episode folder names to episodes already read from those very files (see
    `memo`): they are taken as they are, and still checked against the others.
    """
    root = root.resolve()
    config = config or read(root)
    problems = list(config.problems)
    base = FrontMatter.for_show(config)

    episodes: list[Episode] = []
    folder = root / "episodes"
    if folder.is_dir():
        for sub in sorted(folder.iterdir()):
            if sub.name.startswith(".") or not sub.is_dir():
                continue
            ep = (known or {}).get(sub.name) or load_episode(sub, base, problems, check_audio=check_audio,
                                                             probed=probed)
            if ep is not None:
                episodes.append(ep)
    _check_unique(episodes, problems)
    if problems:
        raise InvalidShow(problems)
    episodes.sort(key=lambda e: (e.date, e.number or 0, e.slug), reverse=True)
    return Show(root, config.show, config.build, config.master, config.transcribe, tuple(episodes), config.notes)


def _check_unique(episodes: list[Episode], problems: list[Problem]) -> None:
    seen_numbers: dict[int, Episode] = {}
    seen_guids: dict[str, Episode] = {}
    for ep in episodes:
        if ep.number is not None:
            other = seen_numbers.setdefault(ep.number, ep)
            if other is not ep:
                problems.append(Problem(f"episode number {ep.number} is also used by {other.source}",
                                        ep.source, hint="each episode needs its own number"))
        if ep.guid:
            other = seen_guids.setdefault(ep.guid, ep)
            if other is not ep:
                problems.append(Problem(f"guid {ep.guid} is also used by {other.folder}", ep.folder / GUID_FILE,
                                        hint="a guid identifies one episode forever; delete the copied file"))


NO_FRONT_MATTER = "no front matter: the file must start with a '+++' line, then TOML, then '+++'"


def split_front_matter(text: str) -> tuple[str, str, int] | str:
    """(TOML, Markdown, line number of the first TOML line), or what is wrong with the fences."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "+++":
        return NO_FRONT_MATTER
    for i in range(1, len(lines)):
        if lines[i].strip() == "+++":
            return "".join(lines[1:i]), "".join(lines[i + 1:]), 2
    return "no closing '+++' line: the front matter that starts here never ends"


def read_episode_file(src: Path) -> tuple[dict[str, Any], str, KeyLines] | Problem:
    """An episode.md's front matter (as parsed TOML, with the line of each key) and its notes."""
    try:
        text = src.read_text(encoding="utf-8-sig")  # -sig: a byte-order mark some editors write is not TOML
    except UnicodeDecodeError:
        return Problem("not UTF-8 text", src)
    parts = split_front_matter(text)
    if isinstance(parts, str):
        return Problem(parts, src, 1, None if parts == NO_FRONT_MATTER else "end the TOML with a '+++' line")
    front, notes, first_line = parts
    try:
        return tomllib.loads(front), notes, KeyLines(front, first_line)
    except tomllib.TOMLDecodeError as exc:
        return toml_error(exc, src, first_line - 1)


def load_episode(folder: Path, base: FrontMatter, problems: list[Problem], *, check_audio: bool = True,
                 probed: set[AudioStat] | None = None) -> Episode | None:
    """Read one episode folder, appending what is wrong to ``problems``. ``base`` holds the show's
    settings the front matter's [master], [transcribe] and [notes] override (`FrontMatter.for_show`)."""
    src, start = folder / EPISODE_FILE, len(problems)
    if not SLUG_RE.match(folder.name):
        suggestion = re.sub(r"[^a-z0-9]+", "-", folder.name.lower()).strip("-") or "episode"
        problems.append(Problem(f"'{folder.name}' is not a valid episode slug", folder,
                                hint=f"use lower-case letters, digits and dashes, e.g. rename it to '{suggestion}'"))
    if not src.is_file():
        problems.append(Problem(f"no {EPISODE_FILE} in this episode folder", folder,
                                hint="create one with `podkit new TITLE`"))
        return None
    parsed = read_episode_file(src)
    if isinstance(parsed, Problem):
        problems.append(parsed)
        return None
    meta, notes, lines = parsed
    fm, found = settings.load(FrontMatter, meta, path=src, section="", base=base, lines=lines)
    problems += found

    def inside(name: str, at: Key, what: str = "audio") -> Path:
        """The file ``name``, given at key ``at``, which must be in the episode's folder."""
        path = (folder / name).resolve()
        if folder.resolve() not in path.parents:
            problems.append(Problem(f"{what} file '{name}' is outside the episode's folder", src,
                                    line_of(lines, at), f"put the {what} next to {EPISODE_FILE}"))
        return path

    tracks = {i: inside(p.track, ("people", i, "track")) for i, p in enumerate(fm.people) if p.track}
    people = tuple(Person(p.name.strip(), p.role, tracks.get(i), p.url, p.img, p.bio,
                          None if p.at is None else float(p.at)) for i, p in enumerate(fm.people))
    audio: list[tuple[Path, Key]] = ([(inside(fm.audio, ("audio",)), ("audio",))] if fm.audio else
                                     [(track, ("people", i, "track")) for i, track in tracks.items()])
    image = inside(fm.image, ("image",), "image") if fm.image else None
    if image and not image.is_file():
        problems.append(Problem(f"image file does not exist: {fm.image}", src, line_of(lines, ("image",))))
    for track, at in audio if check_audio else ():
        _probe(track, src, functools.partial(line_of, lines, at), problems, probed)
    guid = fm.guid.strip() if fm.guid else _guid_file(folder, problems)
    if len(problems) > start or fm.date is None:
        return None
    return Episode(slug=folder.name, folder=folder, title=fm.title.strip(), date=fm.date, number=fm.number,
                   description=fm.description.strip(), notes=notes.strip() + "\n",
                   tracks=tuple(track for track, _ in audio), people=people,
                   chapters=tuple(Chapter(float(c.start), c.title) for c in fm.chapters), master=fm.master,
                   transcribe=fm.transcribe, guid=guid, draft=fm.draft, tags=fm.tags, season=fm.season,
                   episode_type=fm.episode_type, image=image, notes_settings=fm.notes, speakers=fm.speakers)


AudioStat = tuple[str, int, int]  # (absolute path, size, mtime in ns)


def _probe(track: Path, src: Path, line: Callable[[], int | None], problems: list[Problem],
           probed: set[AudioStat] | None) -> None:
    """Check that ffmpeg reads ``track``; ``probed`` holds the files already read without complaint
    (by path, size and mtime, kept by the build), so a show of hundreds of episodes does not run
    ffprobe on every track at every build. A file that changes in any way is probed again.
    ``line`` gives the line of the key that names the file, for a problem."""
    try:
        st = track.stat()
        key: AudioStat | None = (os.path.abspath(track), st.st_size, st.st_mtime_ns)
    except OSError:
        key = None
    if probed is not None and key in probed:
        return
    before = len(problems)
    _check_audio(track, src, line, problems)
    if probed is not None and key is not None and len(problems) == before:
        probed.add(key)


def _check_audio(path: Path, src: Path, line: Callable[[], int | None], problems: list[Problem]) -> None:
    from toolkit.media import probe

    if not path.is_file():
        problems.append(Problem(f"audio file does not exist: {path.name}", src, line(),
                                hint=f"expected at {path}"))
        return
    try:
        probe(path)
    except MediaError as exc:
        problems.append(dataclasses.replace(exc.problem, message=exc.problem.message + f" (named in {src.name})"))


def _guid_file(folder: Path, problems: list[Problem]) -> str | None:
    """The guid podkit wrote beside the episode on its first build, if it did (front matter `guid` wins)."""
    path = folder / GUID_FILE
    if not path.is_file():
        return None
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        problems.append(Problem("the guid file is empty", path,
                                hint="restore it from version control; a changed guid re-downloads the episode"))
        return None
    return value
