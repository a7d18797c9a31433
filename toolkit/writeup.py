"""The writeup stage: everything made from an episode's transcript, made once per transcript.

    transcribe -> writeup -> tag -> site and feeds

From the transcript (speaker labels already replaced by names) and the author's chapters:

- the transcript files published beside the episode (every format in `formats.FORMATS`);
- the chapters: the author's, else ones proposed from the transcript ([notes] propose_chapters),
  and their file in the podcast namespace's JSON format, published beside the transcripts;
- the slow parts of the show notes (`notes.derive`: key quotes, key phrases, summary);
- the blog transcript as HTML twice: for the episode page and for the Atom feed;
- a two-sentence abstract, the Atom summary of an episode without a description.

Like master and transcribe it is a function of plain inputs (`WriteupJob`) whose result is a
folder in the content-addressed cache, so it runs in worker processes (or on a cluster) and a
site build never reads or reshapes a transcript that has not changed: the build reads each
episode's small ``writeup.json``, pages read their HTML when they render, and the transcript
and chapters files are hard-linked into the site.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from . import cache, formats
from .article import article, page_html, render_html
from .cache import Cache, stage_key
from .deferred import Deferred
from .notes import Derived, NotesSettings, derive
from .quotes import Quote
from .show import Chapter
from .summarise import Extractive, sentences
from .transcript import Transcript

STAGE_VERSION = "1"
DATA = "writeup.json"
PAGE = "page.html"  # the transcript as the episode page shows it
ATOM = "atom.html"  # the transcript as the Atom feed's entry carries it
ABSTRACT_SENTENCES = 2
# The modules whose code decides what a writeup holds: a change to any of them makes new writeups.
_CODE = ("writeup.py", "formats.py", "asr/shaping.py", "article.py", "notes.py", "quotes.py", "summarise.py",
         "chapters.py", "transcript.py")


@functools.cache
def code_digest() -> str:
    return cache.code_digest(*_CODE)


CHAPTERS = "chapters.json"  # the chapters in the podcast namespace's JSON format


def file_name(fmt: str) -> str:
    """The cache entry's name for a published file: a transcript format (published as
    <slug>.<extension>), or "chapters"."""
    return CHAPTERS if fmt == "chapters" else f"transcript.{formats.FORMATS[fmt].extension}"


def chapters_json(chapters: tuple[Chapter, ...]) -> str:
    """The podcast namespace's JSON chapters (https://github.com/Podcastindex-org/podcast-namespace)."""
    data = [{"startTime": round(c.start, 3), "title": c.title} for c in chapters]
    return json.dumps({"version": "1.2.0", "chapters": data}, ensure_ascii=False, indent=1) + "\n"


@dataclass(frozen=True)
class WriteupJob:
    """Everything the writeup of one episode depends on, as plain data."""

    slug: str
    transcript: str  # transcript.json in the transcribe stage's cache entry
    transcript_key: str  # that entry's key: the transcript's identity, without reading it
    speakers: tuple[tuple[str, str], ...]  # speaker label -> display name
    chapters: tuple[Chapter, ...]  # the author's, on the programme's timeline; empty: propose some
    duration: float  # the programme's length
    settings: NotesSettings
    page_url: str  # the episode page's absolute URL: the Atom feed's links into the player
    cache_root: str

    def key(self) -> str:
        return stage_key("writeup", STAGE_VERSION, {
            "transcript": self.transcript_key, "speakers": self.speakers, "chapters": self.chapters,
            "duration": round(self.duration, 3), "settings": self.settings, "page_url": self.page_url,
            "code": code_digest()})

    def load_transcript(self) -> Transcript:
        return Transcript.load(Path(self.transcript), dict(self.speakers))


@dataclass(frozen=True)
class Writeup(Deferred):
    """A finished writeup in the cache: its small data read, its large files read on demand."""

    DEFERRED: ClassVar[tuple[str, ...]] = ("folder", "chapters", "derived")  # see `deferred`

    folder: Path
    key: str
    chapters: tuple[Chapter, ...]  # the effective chapters, on the programme's timeline
    derived: Derived
    abstract: str

    def path(self, fmt: str) -> Path:
        return self.folder / file_name(fmt)

    def page_html(self) -> str:
        return (self.folder / PAGE).read_text(encoding="utf-8")

    def atom_html(self) -> str:
        return (self.folder / ATOM).read_text(encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, key: str) -> Writeup:
        data = json.loads((folder / DATA).read_text(encoding="utf-8"))
        derived = Derived(quotes=tuple(Quote(**q) for q in data["quotes"]), phrases=tuple(data["phrases"]),
                          summary=data["summary"])
        return cls(folder, key, tuple(Chapter(c["start"], c["title"]) for c in data["chapters"]), derived,
                   data["abstract"])


def make(folder: Path, transcript: Transcript, chapters: tuple[Chapter, ...], duration: float,
         settings: NotesSettings, page_url: str) -> None:
    """Write the writeup of ``transcript`` into ``folder`` (what the stage caches)."""
    if not chapters and settings.propose_chapters:
        from .chapters import propose

        chapters = propose(transcript, min_length=settings.min_chapter, max_chapters=settings.max_chapters,
                           duration=duration)
    for name, fmt in formats.FORMATS.items():
        (folder / file_name(name)).write_text(fmt.write(transcript), encoding="utf-8")
    # Published as it is, like the transcript files: a hard link costs less than writing a file.
    (folder / CHAPTERS).write_text(chapters_json(chapters), encoding="utf-8")
    doc = article(transcript, chapters, cleanup=settings.cleanup, fillers=settings.fillers)
    (folder / PAGE).write_text(page_html(doc), encoding="utf-8")
    (folder / ATOM).write_text(render_html(doc, page_url), encoding="utf-8")
    items = sentences(transcript)
    derived = derive(transcript, chapters, settings, items=items)
    data = {
        "chapters": [{"start": c.start, "title": c.title} for c in chapters],
        "quotes": [dataclasses.asdict(q) for q in derived.quotes], "phrases": list(derived.phrases),
        "summary": derived.summary,
        "abstract": Extractive().summarise(items, max_sentences=ABSTRACT_SENTENCES) if items else "",
    }
    (folder / DATA).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def lookup(job: WriteupJob) -> Writeup | None:
    """The episode's writeup if the cache has it."""
    key = job.key()
    entry = Cache(Path(job.cache_root)).get("writeup", key)
    return None if entry is None else Writeup.load(entry, key)


def run(job: WriteupJob) -> Writeup:
    """The episode's writeup, from the cache or made now."""
    key = job.key()
    store = Cache(Path(job.cache_root))
    entry = store.get("writeup", key) or store.put("writeup", key, lambda folder: make(
        folder, job.load_transcript(), job.chapters, job.duration, job.settings, job.page_url))
    return Writeup.load(entry, key)


__all__ = ["STAGE_VERSION", "Writeup", "WriteupJob", "file_name", "lookup", "make", "run"]
