"""`podkit import FEED`: a show published elsewhere brought in from its feed.

The channel becomes ``podkit.toml`` (only in a show that has none: an existing show's settings are
the author's), its artwork downloaded, its ``podcast:guid`` kept (or, when it has none, the one the
Podcast Index rule gives its old feed URL, so directories keep seeing the same show). Each item
becomes ``episodes/<slug>/``: ``episode.md`` with front matter from the item and notes converted
to Markdown, the item's guid kept byte for byte (apps deduplicate on it: a changed guid downloads
the episode again), its audio, cover, chapters (Podcast Index JSON, else Podlove Simple Chapters)
and a transcript (WebVTT, else Podcast Index JSON, else SRT), which the build then uses instead of
transcribing.

An item is made in a hidden folder (``episodes/.import-<hash of its guid>/``, which the show
loader skips) and renamed into place only when whole: a failure leaves nothing half-made under a
real name, and a partial download in that folder is resumed by the next run. An item whose guid an
episode already has is left alone, so running the import again only adds new items and never
touches an episode the author edited. Every item that cannot be imported gets one message; the
others are imported all the same.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin, urlparse

from toolkit.config import CONFIG_NAME
from toolkit.errors import MediaError, PodkitError
from toolkit.importer import fetch, rss
from toolkit.importer.notes import to_markdown, to_text
from toolkit.media import probe
from toolkit.publish.feed import podcast_guid
from toolkit.show import EPISODE_FILE, GUID_FILE, read_episode_file
from toolkit.slugs import SLUG_RE, slugify, unique
from toolkit.speech.imported import FORMATS, MIME_FORMATS, read_cues

TRANSCRIPT_PREFERENCE = ("vtt", "json", "srt")  # WebVTT keeps speakers and is what podkit publishes first
AUDIO_TYPES = {"audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/mp4": ".m4a", "audio/x-m4a": ".m4a",
               "audio/aac": ".aac", "audio/ogg": ".ogg", "audio/opus": ".opus", "audio/flac": ".flac",
               "audio/wav": ".wav", "audio/x-wav": ".wav"}
IMAGE_TYPES = {".jpg", ".jpeg", ".png"}
STAGING = ".import-"


class Reporter(Protocol):
    def say(self, line: str) -> None: ...

    def progress(self, label: str, done: int, total: int | None) -> None: ...


class Quiet:
    """A reporter that keeps the lines (for tests and callers that show them later)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def say(self, line: str) -> None:
        self.lines.append(line)

    def progress(self, label: str, done: int, total: int | None) -> None:
        pass


@dataclass
class Outcome:
    """What an import did: the episodes it made, the items it found already there, what failed."""

    imported: list[str] = field(default_factory=list)  # slugs
    existing: int = 0
    failed: list[str] = field(default_factory=list)  # one message per item
    warnings: list[str] = field(default_factory=list)
    settings: Path | None = None  # podkit.toml, when this run wrote it

    def summary(self) -> str:
        parts = [f"imported {len(self.imported)} episode{'s' * (len(self.imported) != 1)}"]
        if self.existing:
            parts.append(f"{self.existing} already in the show")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return ", ".join(parts)


def import_feed(root: Path, source: str, *, limit: int | None = None, since: datetime | None = None,
                retranscribe: bool = False, reporter: Reporter | None = None) -> Outcome:
    """Import the feed at ``source`` (a URL or a path) into the show at ``root`` (made if need be).

    Raises `PodkitError` only when the feed itself cannot be had or read; a bad item is a message
    in the outcome's ``failed``, and the import goes on with the next one.
    """
    reporter = reporter or Quiet()
    try:
        data = fetch.read(source)
    except fetch.FetchError as exc:
        raise PodkitError(str(exc), hint="check the feed's address") from exc
    try:
        channel = rss.parse(data)
    except rss.NotAFeed as exc:
        raise PodkitError(f"not a podcast feed: {exc}", path=source if not fetch.is_url(source) else None,
                          hint=None if not fetch.is_url(source) else f"fetched from {source}") from exc
    outcome = Outcome()
    root.mkdir(parents=True, exist_ok=True)
    base = source if fetch.is_url(source) or source.startswith("file:") else Path(source).resolve().as_uri()
    if not (root / CONFIG_NAME).exists():
        outcome.settings = _write_settings(root, channel, source, base, reporter, outcome)
    episodes = root / "episodes"
    episodes.mkdir(exist_ok=True)
    guids, numbers = _existing(episodes)
    chosen = _choose(channel.items, since, limit)
    seen: set[str] = set()
    for item in chosen:
        if item.guid is None:
            outcome.failed.append(f"{item.name}: no <guid>; podkit keeps an episode's guid forever and "
                                  "will not invent one for an episode apps already know")
            continue
        if item.guid.strip() in guids:  # the show's loader reads guids stripped, so compare them so
            outcome.existing += 1
            continue
        if item.guid in seen:
            outcome.failed.append(f"{item.name}: its guid {item.guid!r} is also an earlier item's")
            continue
        seen.add(item.guid)
        try:
            slug = _import_item(episodes, item, base, numbers, retranscribe, reporter, outcome)
        except (PodkitError, fetch.FetchError) as exc:
            outcome.failed.append(f"{item.name}: {exc}")
            reporter.say(f"failed: {item.name}: {exc}")
            continue
        guids.add(item.guid)
        outcome.imported.append(slug)
        reporter.say(f"imported {item.name} as episodes/{slug}/")
    return outcome


def _choose(items: Iterable[rss.Item], since: datetime | None, limit: int | None) -> list[rss.Item]:
    """The items to import: dated on or after ``since``, the newest ``limit`` of them, oldest first
    (so episode numbers and folders come in the order they were published). An undated item is
    kept (to be reported) unless ``since`` asks for dates."""
    items = list(items)
    dated = sorted((i for i in items if i.date is not None and (since is None or i.date >= since)),
                   key=lambda i: i.date or datetime.min)
    undated = [i for i in items if i.date is None and since is None]
    if limit is not None:
        dated = dated[-limit:]
    return dated + undated


def _existing(episodes: Path) -> tuple[set[str], set[int]]:
    """The guids and numbers of the episodes already in the show (read from their files, without
    judging them: a broken episode must not stop an import, nor be imported over)."""
    guids: set[str] = set()
    numbers: set[int] = set()
    for folder in sorted(episodes.iterdir()):
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        parsed = read_episode_file(folder / EPISODE_FILE) if (folder / EPISODE_FILE).is_file() else None
        meta = parsed[0] if isinstance(parsed, tuple) else {}
        if isinstance(meta.get("guid"), str):
            guids.add(meta["guid"].strip())
        if isinstance(meta.get("number"), int):
            numbers.add(meta["number"])
        if (folder / GUID_FILE).is_file():
            guids.add((folder / GUID_FILE).read_text(encoding="utf-8").strip())
    return guids, numbers


# --- TOML, written ------------------------------------------------------------------------------


def toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but for DEL, which TOML wants escaped too."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml(key: str, value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        text = repr(value)
    elif isinstance(value, datetime):
        text = value.isoformat()
    else:
        text = toml_string(str(value))
    return f"{key} = {text}\n"


# --- The show -----------------------------------------------------------------------------------


def _write_settings(root: Path, channel: rss.Channel, source: str, base: str, reporter: Reporter,
                    outcome: Outcome) -> Path:
    artwork = _artwork(root, channel, base, reporter, outcome)
    category, subcategory = channel.categories[0] if channel.categories else ("Technology", None)
    show: dict[str, Any] = {
        "title": rss.plain(channel.title) or "Imported show",
        "url": channel.link or "http://localhost:8000/",
        "author": rss.plain(channel.author or channel.owner_name) or "Unknown",
        "email": channel.owner_email or "you@example.com",
        "language": channel.language or "en",
        "description": to_text(channel.description) or rss.plain(channel.title) or "Imported show",
        "category": category or "Technology",
    }
    if subcategory:
        show["subcategory"] = subcategory
    show["explicit"] = channel.explicit
    show["artwork"] = artwork
    if channel.type in ("episodic", "serial"):
        show["type"] = channel.type
    # The show's identity for directories: kept as the old feed declared it, else what the Podcast
    # Index rule gives the old feed's URL (podkit would otherwise make a new one from its own URL).
    show["guid"] = channel.guid or (podcast_guid(source) if fetch.is_url(source) else "")
    if channel.copyright:
        show["copyright"] = rss.plain(channel.copyright)
    if channel.funding is not None and re.match(r"^https?://", channel.funding.url):
        show["funding_url"] = channel.funding.url
        if channel.funding.type:
            show["funding_text"] = rss.plain(channel.funding.type)[:128]
    if not show["guid"]:
        del show["guid"]
    for key, missing in (("url", not channel.link), ("author", not (channel.author or channel.owner_name)),
                         ("email", not channel.owner_email)):
        if missing:
            outcome.warnings.append(f"the feed gives no {key}: set [show] {key} in {CONFIG_NAME}")
    lines = [f"# podkit show settings, imported from {source}.\n",
             "# url is where podkit's site will be published: change it before the first build.\n",
             "\n[show]\n", *(_toml(k, v) for k, v in show.items())]
    path = root / CONFIG_NAME
    path.write_text("".join(lines), encoding="utf-8")
    reporter.say(f"wrote {path}")
    return path


def _artwork(root: Path, channel: rss.Channel, base: str, reporter: Reporter, outcome: Outcome) -> str:
    """The channel's artwork downloaded into the show; a plain square placeholder if it cannot be."""
    if channel.image:
        try:
            url = resolve(base, channel.image)
            dest = root / f"artwork{_extension(url, IMAGE_TYPES, '.jpg')}"
            fetch.download(url, dest, progress=_progress(reporter, "artwork"))
            return _image_file(dest).name
        except fetch.FetchError as exc:
            outcome.warnings.append(f"the show's artwork: {exc}; a placeholder is used")
            reporter.say(f"warning: the show's artwork: {exc}; a placeholder is used")
    from PIL import Image

    Image.new("RGB", (1400, 1400), (22, 50, 92)).save(root / "artwork.png", "PNG")
    return "artwork.png"


def resolve(base: str, url: str) -> str:
    """``url`` as the feed at ``base`` means it. A feed fetched from the web may name only web
    addresses: a file:// or local path in it would have podkit copy files from this machine."""
    full = urljoin(base, url.strip())
    if fetch.is_url(base) and not fetch.is_url(full):
        raise fetch.FetchError(f"{url!r} is not an http(s) address")
    return full


def _image_file(path: Path) -> Path:
    """A downloaded image under the extension of what it really is (Apple checks that they match).
    Raises `FetchError` when it is not a JPEG or PNG."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            kind = img.format
    except (UnidentifiedImageError, OSError) as exc:
        path.unlink(missing_ok=True)
        raise fetch.FetchError("not a JPEG or PNG image") from exc
    suffix = {"JPEG": ".jpg", "PNG": ".png"}.get(kind or "")
    if suffix is None:
        path.unlink(missing_ok=True)
        raise fetch.FetchError(f"a {kind} image, not JPEG or PNG")
    return path if path.suffix == suffix else path.rename(path.with_suffix(suffix))


def _extension(url: str, allowed: Iterable[str], default: str) -> str:
    suffix = Path(urlparse(url).path).suffix.lower()
    return suffix if suffix in allowed else default


def _progress(reporter: Reporter, label: str) -> Callable[[int, int | None], None]:
    return lambda done, total: reporter.progress(label, done, total)


# --- One item -----------------------------------------------------------------------------------


def _slug(episodes: Path, item: rss.Item) -> str:
    """The last part of the item's link when it is a slug (the episode keeps its address, as a show
    podkit built does, and a WordPress one often), else one made from its title."""
    last = urlparse(item.link).path.rstrip("/").rpartition("/")[2]
    last = re.sub(r"\.html?$", "", last)
    stem = last if SLUG_RE.match(last) else slugify(rss.plain(item.title or "")) or f"episode-{item.index}"
    slug = unique(stem, {p.name for p in episodes.iterdir()} if episodes.is_dir() else set())
    assert SLUG_RE.match(slug)
    return slug


def staging_folder(episodes: Path, guid: str) -> Path:
    """Where an item is made before it is whole: the same folder on every run, to resume in."""
    return episodes / f"{STAGING}{hashlib.sha256(guid.encode()).hexdigest()[:16]}"


def _import_item(episodes: Path, item: rss.Item, base: str, numbers: set[int], retranscribe: bool,
                 reporter: Reporter, outcome: Outcome) -> str:
    if not item.title.strip():
        raise PodkitError("no <title>")
    if item.date is None:
        raise PodkitError(f"no readable <pubDate> ({item.date_text!r})" if item.date_text else "no <pubDate>")
    if item.enclosure is None:
        raise PodkitError("no <enclosure>: there is no audio to import")
    work = staging_folder(episodes, item.guid or "")
    work.mkdir(exist_ok=True)
    front: dict[str, Any] = {"title": rss.plain(item.title), "date": item.date}
    if item.number is not None:
        if item.number in numbers:
            outcome.warnings.append(f"{item.name}: episode number {item.number} is taken; left out")
        else:
            front["number"] = item.number
            numbers.add(item.number)
    summary = to_text(item.html)
    description = rss.plain(item.subtitle) or (summary if len(summary) <= 300 else "")
    if description:
        front["description"] = description
    if item.season is not None:
        front["season"] = item.season
    front["episode_type"] = rss.episode_type(item.episode_type)
    if item.explicit is not None:
        front["explicit"] = item.explicit
    front["guid"] = item.guid
    if re.match(r"^https?://", item.link):
        front["link"] = item.link

    audio_url = resolve(base, item.enclosure.url)
    default = AUDIO_TYPES.get(item.enclosure.type, ".mp3")
    audio = work / f"audio{_extension(audio_url, set(AUDIO_TYPES.values()), default)}"
    if not audio.exists():
        fetch.download(audio_url, audio, declared=item.enclosure.length or None,
                       progress=_progress(reporter, item.title[:40]))
    size = audio.stat().st_size
    if item.enclosure.length and item.enclosure.length != size:
        outcome.warnings.append(f"{item.name}: the feed says {item.enclosure.length} bytes, the server sent {size}")
    try:
        probe(audio)
    except MediaError as exc:
        audio.unlink()
        raise PodkitError(f"the enclosure {audio_url} is not audio ffmpeg reads ({exc.problem.message})") from exc
    front["audio"] = audio.name

    if item.image:
        image = _cover(work, base, item, outcome)
        if image is not None:
            front["image"] = image.name
    chapters = _chapters(item, base, outcome)
    transcript = _transcript(work, item, base, outcome)
    if transcript is not None and not retranscribe:
        front["transcript"] = transcript.name

    text = "+++\n" + "".join(_toml(k, v) for k, v in front.items())
    for person in item.people:  # credits only: the episode is one recording of everyone
        text += f"\n[[people]]\nname = {toml_string(person.name)}\n"
        text += 'role = "host"\n' if person.role == "host" else 'role = "guest"\n'
        for key in ("href", "img"):
            value = getattr(person, key)
            if re.match(r"^https?://", value):
                text += _toml("url" if key == "href" else key, value)
    for start, title in chapters:
        text += f"\n[[chapters]]\nstart = {round(start, 3)!r}\ntitle = {toml_string(title)}\n"
    text += "+++\n\n" + to_markdown(item.html)
    (work / EPISODE_FILE).write_text(text, encoding="utf-8")
    slug = _slug(episodes, item)
    work.rename(episodes / slug)
    return slug


def _cover(work: Path, base: str, item: rss.Item, outcome: Outcome) -> Path | None:
    """The item's own artwork, or None (with a warning: the episode is imported without it)."""
    try:
        url = resolve(base, item.image)
        dest = work / f"cover{_extension(url, IMAGE_TYPES, '.jpg')}"
        fetch.download(url, dest)
        return _image_file(dest)
    except fetch.FetchError as exc:
        outcome.warnings.append(f"{item.name}: its artwork {item.image} not imported: {exc}")
        return None


def _chapters(item: rss.Item, base: str, outcome: Outcome) -> list[tuple[float, str]]:
    """The item's chapters: its Podcast Index JSON file, else its Podlove Simple Chapters."""
    if item.chapters_url is not None:
        url = item.chapters_url.url
        try:
            url = resolve(base, url)
            data = json.loads(fetch.read(url))
            out = [(float(c["startTime"]), rss.plain(str(c.get("title", ""))) or f"Chapter {n}")
                   for n, c in enumerate(data["chapters"], 1) if c.get("toc", True) is not False]
            return sorted(out)
        except (fetch.FetchError, ValueError, KeyError, TypeError) as exc:
            outcome.warnings.append(f"{item.name}: chapters file {url} not imported: {exc}")
    return sorted((c.start, c.title or f"Chapter {n}") for n, c in enumerate(item.psc_chapters, 1))


def _transcript(work: Path, item: rss.Item, base: str, outcome: Outcome) -> Path | None:
    """The item's transcript in the format podkit reads best, checked readable; None if it has none."""
    def kind(link: rss.Link) -> str | None:
        return MIME_FORMATS.get(link.type.split(";")[0].strip().lower()) or \
            FORMATS.get(Path(urlparse(link.url).path).suffix.lower())

    readable = sorted(((kind(t), t) for t in item.transcripts if kind(t)),
                      key=lambda p: TRANSCRIPT_PREFERENCE.index(p[0] or "srt"))
    for name, link in readable:
        dest = work / f"transcript.{name}"
        url = link.url
        try:
            url = resolve(base, url)
            dest.write_bytes(fetch.read(url))
            read_cues(dest)
            return dest
        except (fetch.FetchError, PodkitError) as exc:
            dest.unlink(missing_ok=True)
            outcome.warnings.append(f"{item.name}: transcript {url} not imported: {exc}")
    return None
