"""The show on disk: `podkit.toml` and `episodes/<slug>/episode.md`, loaded and validated.

Everything wrong with the input is collected and reported at once (file and line where
known) as one `InvalidShow`, before any expensive work starts.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

from toolkit import config as settings
from toolkit.config import (
    CONFIG_NAME,
    BuildSettings,
    Config,
    FrontMatter,
    Key,
    KeyLines,
    MasterSettings,
    NewsletterSettings,
    NotesSettings,
    ShowInfo,
    TranscribeSettings,
    line_of,
    read,
    toml_error,
)
from toolkit.errors import InvalidShow, MediaError, Problem
from toolkit.files import image_kind
from toolkit.markdown import is_file_reference, references
from toolkit.slugs import SLUG_RE, slugify

EPISODE_FILE = "episode.md"
GUID_FILE = "episode.guid"


@dataclass(frozen=True)
class Asset:
    """A file an episode refers to (an image or attachment in its notes, a person's photo, its
    artwork): ``source`` on disk, published at ``path`` (relative to the site root). A file in the
    episode's folder is published under the episode's URL, one elsewhere in the show under files/."""

    source: Path
    path: str


@dataclass(frozen=True)
class Person:
    name: str
    role: Literal["host", "guest"]
    track: Path | None = None
    url: str | None = None
    img: str | None = None  # as written: a file of the show or an absolute URL
    bio: str | None = None  # Markdown
    photo: str | None = None  # ``img`` as published: a path from the site root, or the absolute URL
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
    image: Path | None = None  # episode artwork, in the episode's folder or the show's
    assets: tuple[tuple[str, Asset], ...] = ()  # (reference as written, the file): notes, photos
    notes_settings: NotesSettings = field(default_factory=NotesSettings)  # the [notes] table, show's + episode's
    explicit: bool | None = None  # None: the show's
    transcript: Path | None = None  # a transcript made elsewhere, used instead of transcribing
    license: str | None = None  # podcast:license; None: the show's
    link: str | None = None  # where it was first published, elsewhere
    speakers: int | Literal["auto"] | None = None  # one recording of everyone: how many talk (None: one per person)

    @property
    def source(self) -> Path:
        return self.folder / EPISODE_FILE

    @property
    def multitrack(self) -> bool:
        return any(p.track is not None for p in self.people)

    def asset(self, reference: str) -> Asset | None:
        """The file a reference in the notes or front matter names, as the show loaded it."""
        return next((a for ref, a in self.assets if ref == reference), None)

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
    newsletter: NewsletterSettings = field(default_factory=NewsletterSettings)

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
                                                             probed=probed, max_hours=config.build.max_hours)
            if ep is not None:
                episodes.append(ep)
    _check_unique(episodes, problems)
    if problems:
        raise InvalidShow(problems)
    episodes.sort(key=lambda e: (e.date, e.number or 0, e.slug), reverse=True)
    return Show(root, config.show, config.build, config.master, config.transcribe, tuple(episodes), config.notes,
                config.newsletter)


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
                if _guid_from_file(ep):
                    where, hint = ep.folder / GUID_FILE, "a guid identifies one episode forever; delete the copied file"
                else:
                    where, hint = ep.source, "a guid identifies one episode forever; change or delete the guid line"
                problems.append(Problem(f"guid {ep.guid} is also used by "
                                        f"{other.folder / GUID_FILE if _guid_from_file(other) else other.source}",
                                        where, hint=hint))


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
        return Problem(settings.not_utf8(src), src, hint="save it as UTF-8")
    parts = split_front_matter(text)
    if isinstance(parts, str):
        return Problem(parts, src, 1, None if parts == NO_FRONT_MATTER else "end the TOML with a '+++' line")
    front, notes, first_line = parts
    if bad := settings.CONTROL_RE.search(notes):
        line = text.count("\n", 0, len(text) - len(notes) + bad.start()) + 1
        return Problem(f"the notes contain the control character U+{ord(bad.group()):04X}, which feeds and pages "
                       "cannot hold", src, line, "delete it; editors often show it as a blank or not at all")
    try:
        return tomllib.loads(front), notes, KeyLines(front, first_line)
    except tomllib.TOMLDecodeError as exc:
        return toml_error(exc, src, first_line - 1)
    except RecursionError:
        return Problem(settings.TOO_DEEP, src, first_line)


def load_episode(folder: Path, base: FrontMatter, problems: list[Problem], *, check_audio: bool = True,
                 probed: set[AudioStat] | None = None, max_hours: float | None = None) -> Episode | None:
    """Read one episode folder, appending what is wrong to ``problems``. ``base`` holds the show's
    settings the front matter's [master], [transcribe] and [notes] override (`FrontMatter.for_show`)."""
    src, start = folder / EPISODE_FILE, len(problems)
    if not SLUG_RE.match(folder.name):
        suggestion = slugify(folder.name)
        problems.append(Problem(f"'{folder.name}' is not a valid episode slug", folder,
                                hint="use lower-case letters, digits and dashes"
                                     + (f", e.g. rename it to '{suggestion}'" if suggestion else "")))
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
    problems += [_suggest_audio(p, folder) if p.message.startswith(NO_AUDIO) else p for p in found]

    def inside(name: str, at: Key, what: str = "audio") -> Path:
        """The file ``name``, given at key ``at``, which must be in the episode's folder."""
        try:
            path = (folder / name).resolve()
        except (RuntimeError, OSError):  # a loop of symbolic links (Python 3.11 raises RuntimeError)
            problems.append(Problem(f"{what} file '{name}' is a symbolic link that leads nowhere (a loop)", src,
                                    line_of(lines, at), f"put the {what} itself next to {EPISODE_FILE}"))
            return folder / name
        if folder.resolve() not in path.parents:
            problems.append(Problem(f"{what} file '{name}' is outside the episode's folder", src,
                                    line_of(lines, at), f"put the {what} next to {EPISODE_FILE}"))
        return path

    assets: dict[str, Asset] = {}

    def asset(ref: str, line: int | None, what: str, publish: bool = True) -> Asset | None:
        """The file ``ref`` names (written on ``line``), checked, and recorded to be published as it
        is; None if it is not one."""
        found = find_asset(ref, folder, folder.parent.parent)
        if isinstance(found, str):
            problems.append(Problem(f"{what} '{ref}' {found}", src, line,
                                    f"put it in {folder.name}/ beside {EPISODE_FILE} or in the show's folder, "
                                    "or give an absolute URL" if "does not exist" in found else None))
            return None
        if publish:
            assets[ref] = found
        return found

    # The notes' first line in the file, for the line of what they name (a small file, read again).
    notes_line = src.read_text(encoding="utf-8-sig").count("\n") - notes.count("\n") + 1
    for ref in references(notes):
        asset(ref.target, notes_line + ref.line - 1, "the file" if not ref.image else "the image")
    photos: dict[int, str] = {}
    for i, p in enumerate(fm.people):
        if p.img and is_file_reference(p.img):
            made = asset(p.img, line_of(lines, ("people", i, "img")), f"{p.name}'s photo")
            if made is not None:
                photos[i] = made.path
        elif p.img:
            photos[i] = p.img
    tracks = {i: inside(p.track, ("people", i, "track")) for i, p in enumerate(fm.people) if p.track}
    people = tuple(Person(p.name.strip(), p.role, tracks.get(i), p.url, p.img, p.bio, photos.get(i),
                          None if p.at is None else float(p.at)) for i, p in enumerate(fm.people))
    audio: list[tuple[Path, Key]] = ([(inside(fm.audio, ("audio",)), ("audio",))] if fm.audio else
                                     [(track, ("people", i, "track")) for i, track in tracks.items()])
    # The artwork is published under a name of its own (`EpisodeView.cover_path`).
    cover = asset(fm.image, line_of(lines, ("image",)), "the image", publish=False) if fm.image else None
    image = cover.source if cover else None
    if image is not None and (kind := image_kind(image)) not in ("PNG", "JPEG"):
        problems.append(Problem(f"image {fm.image} is not a JPEG or PNG image: it holds {kind}", src,
                                line_of(lines, ("image",)), "export the episode artwork as a JPEG or PNG"))
    transcript = inside(fm.transcript, ("transcript",), "transcript") if fm.transcript else None
    if transcript and not transcript.is_file():
        problems.append(Problem(f"transcript file does not exist: {fm.transcript}", src,
                                line_of(lines, ("transcript",))))
    for track, at in audio if check_audio else ():
        _probe(track, src, functools.partial(line_of, lines, at), problems, probed, max_hours)
    guid = fm.guid.strip() if fm.guid else _guid_file(folder, problems)
    if len(problems) > start or fm.date is None:
        return None
    return Episode(slug=folder.name, folder=folder, title=fm.title.strip(), date=fm.date, number=fm.number,
                   description=fm.description.strip(), notes=notes.strip() + "\n",
                   tracks=tuple(track for track, _ in audio), people=people,
                   chapters=tuple(Chapter(float(c.start), c.title) for c in fm.chapters), master=fm.master,
                   transcribe=fm.transcribe, guid=guid, draft=fm.draft, tags=fm.tags, season=fm.season,
                   episode_type=fm.episode_type, image=image, notes_settings=fm.notes,
                   assets=tuple(assets.items()), explicit=fm.explicit, transcript=transcript,
                   license=fm.license, link=fm.link, speakers=fm.speakers)


# What the site publishes in an episode's folder, which an author's file may not take the place of.
def _reserved(slug: str, name: str) -> bool:
    return name == "index.html" or name.startswith((f"{slug}.", f"{slug}-cover."))


def find_asset(ref: str, folder: Path, root: Path) -> Asset | str:
    """The file a reference names: in the episode's folder first, then from the show's folder (a
    leading "/" means the show's folder). What is wrong with it, when it is not a file of the show."""
    name = unquote(ref.split("#", 1)[0].split("?", 1)[0])
    here, top = folder.resolve(), root.resolve()
    candidates = [top / name.lstrip("/")] if name.startswith("/") else [here / name, top / name]
    for candidate in candidates:
        path = candidate.resolve()
        if not path.is_file():
            continue
        if here in path.parents:
            rel = path.relative_to(here).as_posix()
            if _reserved(folder.name, rel):
                return f"has the name of a file podkit publishes for the episode: rename {rel}"
            return Asset(path, f"episodes/{folder.name}/{rel}")
        if top in path.parents:
            return Asset(path, f"files/{path.relative_to(top).as_posix()}")
        return "is outside the show's folder"
    return "does not exist"


NO_AUDIO = "no audio:"  # the start of FrontMatter.broken's message
AUDIO_SUFFIXES = (".flac", ".wav", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".aif", ".aiff", ".wma", ".webm", ".mp4")


def audio_files(folder: Path) -> list[Path]:
    """The recordings in an episode's folder, by their names (what an author means to use)."""
    try:
        return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
    except OSError:
        return []


def _suggest_audio(problem: Problem, folder: Path) -> Problem:
    """"No audio" with the obvious fix: the one recording already in the folder."""
    found = audio_files(folder)
    if len(found) == 1:
        return dataclasses.replace(problem, hint=f'{found[0].name} is in the folder: add audio = "{found[0].name}"')
    if found:
        names = ", ".join(p.name for p in found)
        return dataclasses.replace(problem, hint=f"in the folder: {names}; one recording of everyone is audio = "
                                                 '"file", one per speaker a track = "file" in each [[people]]')
    return problem


AudioStat = tuple[str, int, int]  # (absolute path, size, mtime in ns)


def _probe(track: Path, src: Path, line: Callable[[], int | None], problems: list[Problem],
           probed: set[AudioStat] | None, max_hours: float | None = None) -> None:
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
    _check_audio(track, src, line, problems, max_hours)
    if probed is not None and key is not None and len(problems) == before:
        probed.add(key)


def _check_audio(path: Path, src: Path, line: Callable[[], int | None], problems: list[Problem],
                 max_hours: float | None = None) -> None:
    from toolkit.media import probe

    if not path.is_file():
        others = [p.name for p in audio_files(path.parent)]
        close = difflib.get_close_matches(path.name, others, n=1, cutoff=0.0) if others else []
        problems.append(Problem(f"audio file does not exist: {path.name}", src, line(),
                                hint=f"did you mean '{close[0]}'? It is in {path.parent.name}/" if close
                                else f"expected at {path}"))
        return
    try:
        probe(path, max_duration=max_hours * 3600 if max_hours is not None else None)
    except MediaError as exc:
        problems.append(dataclasses.replace(exc.problem, message=exc.problem.message + f" (named in {src.name})"))


def _guid_from_file(ep: Episode) -> bool:
    """Whether the episode's guid is the one in its episode.guid (not its front matter's)."""
    try:
        return (ep.folder / GUID_FILE).read_text(encoding="utf-8").strip() == ep.guid
    except (OSError, UnicodeDecodeError):
        return False


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
