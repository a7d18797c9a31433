"""The show on disk: `podkit.toml` and `episodes/<slug>/episode.md`, loaded and validated.

Everything wrong with the input is collected and reported at once (file and line where
known) as one `InvalidShow`, before any expensive work starts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, ClassVar, Literal

from . import settings
from .deferred import Deferred
from .errors import InvalidShow, MediaError, Problem
from .master import MasterSettings
from .notes import NotesSettings
from .settings import doc
from .transcribe import TranscribeSettings

CONFIG_NAME = "podkit.toml"
EPISODE_FILE = "episode.md"
GUID_FILE = "episode.guid"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TIME_RE = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})(?:\.(\d+))?$")


@dataclass(frozen=True)
class ShowInfo:
    """The [show] table: who publishes what, and where."""

    title: str = field(default="", metadata=doc("The show's name."))
    url: str = field(default="", metadata=doc("Public base URL; every link in the feed is absolute under it."))
    author: str = field(default="", metadata=doc("Who makes the show (itunes:author, ID3 artist)."))
    email: str = field(default="", metadata=doc("Owner's e-mail address (itunes:owner)."))
    language: str = field(default="en", metadata=doc("ISO 639 language code, e.g. en or en-GB."))
    description: str = field(default="", metadata=doc("What the show is about (at most 4000 bytes)."))
    category: str = field(default="Technology", metadata=doc("Apple Podcasts category, e.g. 'Technology'."))
    subcategory: str | None = field(default=None, metadata=doc("Apple Podcasts subcategory, if any."))
    explicit: bool = field(default=False, metadata=doc("Whether the show contains explicit content."))
    artwork: str = field(default="artwork.png",
                         metadata=doc("Square JPEG or PNG, 1400-3000 px, path from the show root."))
    type: Literal["episodic", "serial"] = field(
        default="episodic", metadata=doc("itunes:type: 'episodic' (newest first) or 'serial' (in order)."))
    guid: str = field(default="", metadata=doc(
        "The show's podcast:guid. Written here by the first build from the feed URL; keep it when the feed moves."))
    locked: bool = field(default=True, metadata=doc(
        "podcast:locked: other platforms may not import the feed without the owner's e-mail."))
    funding_url: str = field(default="", metadata=doc("podcast:funding: where listeners can support the show."))
    funding_text: str = field(default="Support the show",
                              metadata=doc("The funding link's text (at most 128 characters)."))
    item_limit: int = field(default=0, metadata=doc(
        "Newest episodes in feed.xml (0: all). With a limit, older ones are on RFC 5005 pages "
        "and every episode is in feed-archive.xml."))

    REQUIRED = ("title", "url", "author", "email", "description", "artwork")

    @property
    def base_url(self) -> str:
        """``url`` ending in a slash: what the site's and the feed's paths are joined to."""
        return self.url if self.url.endswith("/") else self.url + "/"


@dataclass(frozen=True)
class BuildSettings:
    """The [build] table: where things go."""

    output: str = field(default="public", metadata=doc("Folder the site and feed are written to."))
    cache: str = field(default=".podkit", metadata=doc("Folder of the content-addressed cache."))
    jobs: int = field(default=2, metadata=doc("Episodes processed at once (worker processes)."))


@dataclass(frozen=True)
class Person:
    name: str
    role: Literal["host", "guest"]
    track: Path | None = None
    url: str | None = None
    img: str | None = None
    bio: str | None = None


@dataclass(frozen=True)
class Chapter:
    start: float
    title: str


@dataclass(frozen=True)
class Episode(Deferred):
    # What a build uses of an episode only when it builds that episode again (see `deferred`).
    DEFERRED: ClassVar[tuple[str, ...]] = ("folder", "tracks", "chapters", "master", "transcribe", "notes_settings")

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

    @property
    def source(self) -> Path:
        return self.folder / EPISODE_FILE

    @property
    def multitrack(self) -> bool:
        return any(p.track is not None for p in self.people)

    def speaker_names(self) -> dict[str, str]:
        """Track label ("0", "1", ...) -> person's name, for a multi-track episode."""
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

    def episode(self, slug: str) -> Episode:
        for ep in self.episodes:
            if ep.slug == slug:
                return ep
        raise KeyError(slug)


def _toml_error(exc: tomllib.TOMLDecodeError, path: Path, line_offset: int = 0) -> Problem:
    text = str(exc)
    m = re.search(r"\(at line (\d+), column \d+\)", text)
    line = int(m.group(1)) + line_offset if m else None
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", text) if m else text
    return Problem(f"invalid TOML: {message}", path, line)


def load_config(root: Path) -> tuple[dict[str, Any], list[Problem]]:
    path = root / CONFIG_NAME
    if not path.is_file():
        raise InvalidShow([Problem(f"no {CONFIG_NAME} here", path,
                                   hint="run `podkit init DIR` to start a show, or pass --show DIR")])
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), []
    except tomllib.TOMLDecodeError as exc:
        return {}, [_toml_error(exc, path)]
    except UnicodeDecodeError:
        return {}, [Problem("not UTF-8 text", path)]


def _table(data: Mapping[str, Any], key: str, path: Path, problems: list[Problem]) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(Problem(f"[{key}] must be a table", path))
        return {}
    return value


def load_show(root: Path, *, check_audio: bool = True, known: Mapping[str, Episode] | None = None) -> Show:
    """Read and validate the whole show. Raises `InvalidShow` listing every problem.

    ``known`` maps episode folder names to episodes already read from those very files (see
    `memo`): they are taken as they are, and still checked against the others.
    """
    root = root.resolve()
    data, problems = load_config(root)
    path = root / CONFIG_NAME
    for key in data:
        if key not in ("show", "build", "master", "transcribe", "notes"):
            problems.append(Problem(f"unknown table [{key}]", path,
                                    hint="known: [show], [build], [master], [transcribe], [notes]"))
    info, p = settings.load(ShowInfo, _table(data, "show", path, problems), path=path, section="show")
    problems += p
    if data:
        for key in ShowInfo.REQUIRED:
            if not getattr(info, key):
                problems.append(Problem(f"[show] {key} is required", path))
    if info.url and not re.match(r"^https?://[^/]+", info.url):
        problems.append(Problem(f"[show] url must be an absolute http(s) URL, not {info.url!r}", path))
    if info.guid and not is_uuid(info.guid):
        problems.append(Problem(f"[show] guid {info.guid!r} is not a UUID", path,
                                hint="delete the line and the next build writes the right one"))
    if info.funding_url and not re.match(r"^https?://[^/]+", info.funding_url):
        problems.append(Problem(f"[show] funding_url must be an absolute http(s) URL, not {info.funding_url!r}",
                                path))
    if len(info.funding_text) > 128:
        problems.append(Problem("[show] funding_text is longer than 128 characters", path))
    if info.item_limit < 0:
        problems.append(Problem(f"[show] item_limit must be 0 (no limit) or more, not {info.item_limit}", path))
    if info.artwork and data and not (root / info.artwork).is_file():
        problems.append(Problem(f"artwork not found: {info.artwork}", path,
                                hint="[show] artwork is a path from the show's folder"))
    build, p = settings.load(BuildSettings, _table(data, "build", path, problems), path=path, section="build")
    problems += p
    master, p = settings.load(MasterSettings, _table(data, "master", path, problems), path=path,
                              section="master")
    problems += p
    transcribe, p = settings.load(TranscribeSettings, _table(data, "transcribe", path, problems),
                                  path=path, section="transcribe")
    problems += p
    notes, p = settings.load(NotesSettings, _table(data, "notes", path, problems), path=path, section="notes")
    problems += p

    episodes: list[Episode] = []
    folder = root / "episodes"
    probed = Probed(root / build.cache if check_audio else None)
    if folder.is_dir():
        for sub in sorted(folder.iterdir()):
            if sub.name.startswith(".") or not sub.is_dir():
                continue
            ep = (known or {}).get(sub.name) or load_episode(
                sub, master, transcribe, problems, check_audio=check_audio, show_notes=notes, probed=probed)
            if ep is not None:
                episodes.append(ep)
    _check_unique(episodes, problems)
    if problems:
        raise InvalidShow(problems)
    probed.save()
    episodes.sort(key=lambda e: (e.date, e.number or 0, e.slug), reverse=True)
    return Show(root, info, build, master, transcribe, tuple(episodes), notes)


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


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(toml, markdown, line number of the first TOML line) or None if there is no front matter."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "+++":
        return None
    for i in range(1, len(lines)):
        if lines[i].strip() == "+++":
            return "".join(lines[1:i]), "".join(lines[i + 1:]), 2
    return None


def parse_time(value: Any) -> float | None:
    """'M:SS', 'H:MM:SS' (optionally with a fraction) or a number of seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if not isinstance(value, str):
        return None
    m = TIME_RE.match(value.strip())
    if not m:
        return None
    h, mnt, s, frac = m.groups()
    if int(s) >= 60 or (h is not None and int(mnt) >= 60):
        return None
    return int(h or 0) * 3600 + int(mnt) * 60 + int(s) + (float("0." + frac) if frac else 0.0)


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=UTC)
    return None


EPISODE_KEYS = {"title", "date", "number", "description", "audio", "people", "chapters", "draft", "tags",
                "guid", "master", "transcribe", "season", "episode_type", "image", "notes"}
EPISODE_TYPES = ("full", "trailer", "bonus")


def load_episode(folder: Path, show_master: MasterSettings, show_transcribe: TranscribeSettings,
                 problems: list[Problem], *, check_audio: bool = True,
                 show_notes: NotesSettings | None = None, probed: Probed | None = None) -> Episode | None:
    """Read one episode folder, appending what is wrong to ``problems``."""
    src = folder / EPISODE_FILE
    start = len(problems)
    if not SLUG_RE.match(folder.name):
        suggestion = re.sub(r"[^a-z0-9]+", "-", folder.name.lower()).strip("-") or "episode"
        problems.append(Problem(f"'{folder.name}' is not a valid episode slug", folder,
                                hint=f"use lower-case letters, digits and dashes, e.g. rename it to '{suggestion}'"))
    if not src.is_file():
        problems.append(Problem(f"no {EPISODE_FILE} in this episode folder", folder,
                                hint="create one with `podkit new TITLE`"))
        return None
    try:
        text = src.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(Problem("not UTF-8 text", src))
        return None
    parts = split_front_matter(text)
    if parts is None:
        problems.append(Problem("no front matter: the file must start with a '+++' line, then TOML, then '+++'",
                                src, 1))
        return None
    front, notes, first_line = parts
    try:
        meta = tomllib.loads(front)
    except tomllib.TOMLDecodeError as exc:
        problems.append(_toml_error(exc, src, first_line - 1))
        return None

    def bad(message: str, hint: str | None = None) -> None:
        problems.append(Problem(message, src, _line_of(front, message, first_line), hint))

    for key in meta:
        if key not in EPISODE_KEYS:
            bad(f"unknown key '{key}'", f"known: {', '.join(sorted(EPISODE_KEYS))}")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        bad("'title' is required (a non-empty string)")
    when = _as_datetime(meta.get("date")) if "date" in meta else None
    if "date" not in meta:
        bad("'date' is required", "e.g. date = 2026-11-27")
    elif when is None:
        problems.append(Problem(f"'date' is not a date: {meta['date']!r}", src, _line_of(front, "date", first_line),
                                "write a TOML date such as 2026-11-27 or 2026-11-27T09:00:00Z"))
    number = meta.get("number")
    if number is not None and (not isinstance(number, int) or isinstance(number, bool) or number < 1):
        problems.append(Problem(f"'number' must be a whole number from 1, not {number!r}", src,
                                _line_of(front, "number", first_line)))
        number = None
    season = meta.get("season")
    if season is not None and (not isinstance(season, int) or isinstance(season, bool) or season < 1):
        problems.append(Problem(f"'season' must be a whole number from 1, not {season!r}", src,
                                _line_of(front, "season", first_line)))
        season = None
    episode_type = meta.get("episode_type", "full")
    if episode_type not in EPISODE_TYPES:
        problems.append(Problem(f"'episode_type' must be one of {', '.join(EPISODE_TYPES)}, not {episode_type!r}",
                                src, _line_of(front, "episode_type", first_line)))
        episode_type = "full"
    image = meta.get("image")
    image_path: Path | None = None
    if image is not None:
        if not isinstance(image, str) or not image:
            bad("'image' must be a file name in the episode's folder")
        else:
            image_path = _inside(folder, image, src, problems, "image")
            if not image_path.is_file():
                bad(f"image file does not exist: {image}")
    description = meta.get("description", "")
    if not isinstance(description, str):
        bad("'description' must be a string")
        description = ""
    people = _people(meta.get("people", []), folder, src, front, first_line, problems)
    tracks: list[Path] = [p.track for p in people if p.track is not None]
    audio = meta.get("audio")
    if audio is not None and tracks:
        bad("give either 'audio' (one recording) or a 'track' per person, not both")
    elif audio is not None:
        if not isinstance(audio, str) or not audio:
            bad("'audio' must be a file name in the episode's folder")
        else:
            tracks = [_inside(folder, audio, src, problems)]
    elif not tracks:
        bad("no audio: set audio = \"file\", or a track = \"file\" for each of [[people]]")
    if check_audio:
        for track in tracks:
            (probed or Probed(None)).check(track, src, problems)
    chapters = _chapters(meta.get("chapters", []), src, front, first_line, problems)
    tags = meta.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        bad("'tags' must be a list of strings")
        tags = []
    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        bad("'draft' must be true or false")
        draft = False
    master, p = settings.load(MasterSettings, meta.get("master", {}), path=src, section="master",
                              base=show_master)
    problems += p
    transcribe, p = settings.load(TranscribeSettings, meta.get("transcribe", {}), path=src,
                                  section="transcribe", base=show_transcribe)
    problems += p
    notes_table = meta.get("notes", {})
    if not isinstance(notes_table, dict):
        bad("'notes' must be a table: [notes]")
        notes_table = {}
    notes_settings, p = settings.load(NotesSettings, notes_table, path=src, section="notes",
                                      base=show_notes or NotesSettings())
    problems += p
    guid = _read_guid(folder, meta, src, problems)
    if len(problems) > start or when is None or not isinstance(title, str):
        return None
    return Episode(slug=folder.name, folder=folder, title=title.strip(), date=when, number=number,
                   description=description.strip(), notes=notes.strip() + "\n", tracks=tuple(tracks),
                   people=tuple(people), chapters=chapters, master=master, transcribe=transcribe,
                   guid=guid, draft=draft, tags=tuple(tags), season=season, episode_type=episode_type,
                   image=image_path, notes_settings=notes_settings)


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _line_of(front: str, needle: str, first_line: int) -> int | None:
    """Best-effort line of a key in the front matter, for messages that name one."""
    m = re.search(r"'(\w+)'", needle)
    key = m.group(1) if m else needle
    for i, line in enumerate(front.splitlines()):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return first_line + i
    return None


def _inside(folder: Path, name: str, src: Path, problems: list[Problem], what: str = "audio") -> Path:
    path = (folder / name).resolve()
    if folder.resolve() not in path.parents:
        problems.append(Problem(f"{what} file '{name}' is outside the episode's folder", src,
                                hint=f"put the {what} next to episode.md"))
    return path


class Probed:
    """The audio files ffprobe has already read without complaint, by path, size and mtime.

    Kept in the cache folder, so loading a show of hundreds of episodes does not run ffprobe on
    every track at every build; a file that changes in any way is probed again.
    """

    NAME = "probed.json"

    def __init__(self, cache: Path | None) -> None:
        self.path = cache / self.NAME if cache is not None else None
        self.known: set[tuple[str, int, int]] = set()
        self.changed = False
        # None yet, or a damaged one: every file is probed again.
        with contextlib.suppress(OSError, ValueError, TypeError, IndexError):
            if self.path is not None:
                self.known = {(str(r[0]), int(r[1]), int(r[2])) for r in json.loads(self.path.read_text())}

    def check(self, track: Path, src: Path, problems: list[Problem]) -> None:
        try:
            st = track.stat()
            key = (os.path.abspath(track), st.st_size, st.st_mtime_ns)  # resolved by `_inside` already
        except OSError:
            key = None
        if key is not None and key in self.known:
            return
        before = len(problems)
        _check_audio(track, src, problems)
        if key is not None and len(problems) == before:
            self.known.add(key)
            self.changed = True

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        from .cache import atomic_write

        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, json.dumps(sorted(self.known)).encode())


def _check_audio(path: Path, src: Path, problems: list[Problem]) -> None:
    from .media import probe

    if not path.is_file():
        problems.append(Problem(f"audio file does not exist: {path.name}", src,
                                hint=f"expected at {path}"))
        return
    try:
        probe(path)
    except MediaError as exc:
        problems.append(dataclasses.replace(exc.problem, message=exc.problem.message + f" (named in {src.name})"))


def _people(value: Any, folder: Path, src: Path, front: str, first_line: int,
            problems: list[Problem]) -> list[Person]:
    if not isinstance(value, list):
        problems.append(Problem("'people' must be [[people]] tables", src))
        return []
    out: list[Person] = []
    for i, entry in enumerate(value, 1):
        where = f"[[people]] #{i}"
        if not isinstance(entry, dict):
            problems.append(Problem(f"{where} must be a table", src))
            continue
        unknown = set(entry) - {"name", "role", "track", "url", "img", "bio"}
        if unknown:
            problems.append(Problem(f"{where}: unknown keys {sorted(unknown)}", src))
        name, role = entry.get("name"), entry.get("role", "guest")
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(f"{where}: 'name' is required", src))
            continue
        if role not in ("host", "guest"):
            problems.append(Problem(f"{where} ({name}): role must be 'host' or 'guest', not {role!r}", src))
            continue
        track = entry.get("track")
        track_path = _inside(folder, track, src, problems) if isinstance(track, str) and track else None
        if track is not None and track_path is None:
            problems.append(Problem(f"{where} ({name}): 'track' must be a file name", src))
        if not all(isinstance(entry.get(k, ""), str) for k in ("url", "img", "bio")):
            problems.append(Problem(f"{where} ({name}): url, img and bio must be strings", src))
            continue
        out.append(Person(name.strip(), role, track_path, entry.get("url"), entry.get("img"), entry.get("bio")))
    if sum(1 for p in out if p.track) > 8:
        problems.append(Problem("more than 8 tracks in one episode", src, hint="mix some tracks down first"))
    return out


def _chapters(value: Any, src: Path, front: str, first_line: int, problems: list[Problem]) -> tuple[Chapter, ...]:
    if not isinstance(value, list):
        problems.append(Problem("'chapters' must be [[chapters]] tables", src))
        return ()
    out: list[Chapter] = []
    for i, entry in enumerate(value, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("title"), str):
            problems.append(Problem(f"[[chapters]] #{i} needs a 'title' string and a 'start' time", src))
            continue
        start = parse_time(entry.get("start"))
        if start is None:
            problems.append(Problem(f"[[chapters]] #{i}: start {entry.get('start')!r} is not a time", src,
                                    hint='write "M:SS" or "H:MM:SS"'))
            continue
        out.append(Chapter(start, entry["title"]))
    starts = [c.start for c in out]
    if starts != sorted(starts):
        problems.append(Problem("[[chapters]] are not in time order", src))
    return tuple(out)


def _read_guid(folder: Path, meta: Mapping[str, Any], src: Path, problems: list[Problem]) -> str | None:
    """The episode's permanent guid: front matter `guid`, else the file podkit wrote on first build."""
    if "guid" in meta:
        value = meta["guid"]
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem("'guid' must be a non-empty string", src))
            return None
        return value.strip()
    path = folder / GUID_FILE
    if path.is_file():
        value = path.read_text(encoding="utf-8").strip()
        if not value:
            problems.append(Problem("the guid file is empty", path,
                                    hint="restore it from version control; a changed guid re-downloads the episode"))
            return None
        return value
    return None
