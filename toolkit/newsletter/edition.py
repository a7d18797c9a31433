"""A newsletter edition: ``newsletter/<YYYY-MM-DD>.md`` in the show, read and validated.

An edition is TOML front matter between two ``+++`` lines (subject, date, optional preheader, the
episodes it presents, and the curated ``[[links]]``), then the author's note in Markdown. The
front matter is declared here as settings classes and loaded by the same declarative loader as
an episode's (`toolkit.config.load`), so every problem of every edition is reported at once,
with its file and line, before any work starts.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

from toolkit import config as settings
from toolkit.config import Broken, doc, line_of
from toolkit.errors import Problem
from toolkit.show import read_episode_file

FOLDER = "newsletter"
NAME_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\.md$")
SENT_SUFFIX = ".sent"  # the send log beside an edition: newsletter/<date>.sent
URL_RE = re.compile(r"^https?://[^/\s]+\S*$")


@dataclass(frozen=True)
class LinkEntry:
    """One [[links]] table of an edition: a piece worth a practitioner's time."""

    url: str = field(default="", metadata=doc("The link, an absolute http(s) URL.", required=True, nonempty=True))
    title: str = field(default="", metadata=doc("Its title.", required=True, nonempty=True))
    source: str = field(default="", metadata=doc("Where it is from: a blog, a journal, a conference."))
    why: str = field(default="", metadata=doc("A sentence on why it is worth reading."))

    def broken(self) -> Iterator[Broken]:
        if self.url and not URL_RE.match(self.url.strip()):
            yield Broken(f"link url must be an absolute http(s) URL, not {self.url!r}", ("url",), ("url",))


@dataclass(frozen=True)
class EditionFront:
    """An edition's front matter: the TOML between the two '+++' lines of newsletter/<date>.md."""

    subject: str = field(default="", metadata=doc("The e-mail's subject line.", required=True, nonempty=True))
    date: datetime | None = field(default=None, metadata=doc(
        "The day the edition goes out: the file's name, e.g. date = 2026-12-04.",
        required="e.g. date = 2026-12-04, the same as the file's name"))
    preheader: str = field(default="", metadata=doc(
        "The line mail clients show after the subject in the inbox."))
    episodes: tuple[str, ...] | None = field(default=None, metadata=doc(
        "The slugs of the episodes the edition presents (default: those published since the previous edition)."))
    links: tuple[LinkEntry, ...] = field(default=(), metadata=doc(
        "The curated links, in order: one [[links]] table each (url, title, source, why)."))


@dataclass(frozen=True)
class Link:
    url: str
    title: str
    source: str
    why: str


@dataclass(frozen=True)
class Edition:
    """One edition as the author wrote it (the episodes it presents are worked out in `compose`)."""

    name: str  # the file's stem, YYYY-MM-DD: the edition's identity and the folder of its pages
    day: date
    subject: str
    preheader: str
    note: str  # the author's Markdown
    links: tuple[Link, ...]
    episodes: tuple[str, ...] | None  # as the front matter lists them; None: since the previous edition

    @property
    def page_path(self) -> str:
        return f"{FOLDER}/{self.name}/"

    @property
    def when(self) -> datetime:
        """The edition's date as a moment: the start of its day, UTC (as an episode's bare date)."""
        return datetime.combine(self.day, time(0, 0), tzinfo=UTC)

    def is_published(self, now: datetime) -> bool:
        """An edition is in the archive from its day on: before, it is a draft to preview."""
        return self.when <= now


def edition_name(given: str) -> str:
    """An edition as a command names it: 2026-12-04, 2026-12-04.md or newsletter/2026-12-04.md."""
    return given.removesuffix(".md").rsplit("/", 1)[-1]


def edition_path(root: Path, name: str) -> Path:
    return root / FOLDER / f"{name}.md"


def sent_log(root: Path, name: str) -> Path:
    return root / FOLDER / f"{name}{SENT_SUFFIX}"


def load_editions(root: Path, slugs: Collection[str]) -> tuple[list[Edition], list[Problem]]:
    """Every edition of the show (oldest first), and every problem found in any of them.

    ``slugs`` are the show's episodes: an edition may only present those.
    """
    folder = root / FOLDER
    editions: list[Edition] = []
    problems: list[Problem] = []
    if not folder.is_dir():
        return editions, problems
    for path in sorted(folder.iterdir()):
        if path.suffix != ".md" or path.name.startswith("."):
            continue
        edition = load_edition(path, slugs, problems)
        if edition is not None:
            editions.append(edition)
    return editions, problems


def load_edition(path: Path, slugs: Collection[str], problems: list[Problem]) -> Edition | None:
    """One edition file, appending what is wrong with it to ``problems``."""
    start = len(problems)
    m = NAME_RE.match(path.name)
    day: date | None = None
    if m:
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            day = None
    if day is None:
        problems.append(Problem("an edition's file is named after its date, YYYY-MM-DD.md", path,
                                hint="rename it, e.g. to 2026-12-04.md"))
    parsed = read_episode_file(path)
    if isinstance(parsed, Problem):
        problems.append(parsed)
        return None
    meta, note, lines = parsed
    front, found = settings.load(EditionFront, meta, path=path, section="", lines=lines)
    problems += found
    if front.date is not None and day is not None and front.date.date() != day:
        problems.append(Problem(f"date {front.date.date()} is not the file's date {day}", path,
                                line_of(lines, ("date",)), "the file is named after the day the edition goes out"))
    for i, slug in enumerate(front.episodes or ()):
        if slug not in slugs:
            problems.append(Problem(f"no episode '{slug}' in episodes/", path, line_of(lines, ("episodes",)),
                                    f"episodes lists episode folder names; #{i + 1} is not one"))
    if len(problems) > start or day is None:
        return None
    links = tuple(Link(x.url.strip(), x.title.strip(), x.source.strip(), x.why.strip()) for x in front.links)
    return Edition(path.stem, day, front.subject.strip(), front.preheader.strip(), note.strip() + "\n", links,
                   front.episodes)
