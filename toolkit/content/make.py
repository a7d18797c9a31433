"""The content stage: everything made from an episode's transcript, made once per transcript.

    master -> transcribe -> content -> tag

From the transcript (speaker labels replaced by names) and the author's chapters:

- the transcript files published beside the episode (every format in `formats.FORMATS`);
- the chapters: the author's, else ones proposed from the transcript ([notes] propose_chapters),
  and their file in the podcast namespace's JSON format, published beside the transcripts;
- the slow parts of the show notes (`notes.derive`: key quotes, key phrases, summary);
- the blog transcript as HTML twice: for the episode page and for the Atom feed;
- a two-sentence abstract, the Atom summary of an episode without a description.

A site build never reads or reshapes a transcript: it reads each episode's small `DATA` file
(`Content.load`), pages read their HTML when they render, and the transcript and chapters files
are hard-linked into the site.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from toolkit.config import NotesSettings
from toolkit.content import formats
from toolkit.content.article import article, page_html, render_html
from toolkit.content.notes import Derived, derive
from toolkit.content.quotes import Quote
from toolkit.content.summarise import Extractive, sentences
from toolkit.show import Chapter
from toolkit.speech.transcript import Transcript

DATA = "content.json"
PAGE = "page.html"  # the transcript as the episode page shows it
ATOM = "atom.html"  # the transcript as the Atom feed's entry carries it
ABSTRACT_SENTENCES = 2
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
class ContentJob:
    """What the content stage reads."""

    transcript: Path  # the transcribe stage's transcript.json
    speakers: tuple[tuple[str, str], ...]  # speaker label -> display name
    chapters: tuple[Chapter, ...]  # the author's, on the programme's timeline; empty: propose some
    duration: float  # the programme's length
    settings: NotesSettings
    page_url: str  # the episode page's absolute URL: the Atom feed's links into the player


@dataclass(frozen=True)
class Content:
    """An episode's content in the cache: its small data read, its large files read on demand."""

    folder: Path
    key: str  # the cache entry's key (its folder's name): the content's identity
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
    def load(cls, folder: Path) -> Content:
        data = json.loads((folder / DATA).read_text(encoding="utf-8"))
        derived = Derived(quotes=tuple(Quote(**q) for q in data["quotes"]), phrases=tuple(data["phrases"]),
                          summary=data["summary"])
        return cls(folder, folder.name, tuple(Chapter(c["start"], c["title"]) for c in data["chapters"]), derived,
                   data["abstract"])


def make(job: ContentJob, folder: Path, progress: Callable[[float, float], None]) -> None:
    """The content stage: ``folder`` gets the files listed in the module's docstring."""
    transcript = Transcript.load(job.transcript, dict(job.speakers))
    chapters, settings = job.chapters, job.settings
    if not chapters and settings.propose_chapters:
        from toolkit.content.chapters import propose

        chapters = propose(transcript, min_length=settings.min_chapter, max_chapters=settings.max_chapters,
                           duration=job.duration)
    for name, fmt in formats.FORMATS.items():
        (folder / file_name(name)).write_text(fmt.write(transcript), encoding="utf-8")
    # Published as it is, like the transcript files: a hard link costs less than writing a file.
    (folder / CHAPTERS).write_text(chapters_json(chapters), encoding="utf-8")
    doc = article(transcript, chapters, cleanup=settings.cleanup, fillers=settings.fillers)
    (folder / PAGE).write_text(page_html(doc), encoding="utf-8")
    (folder / ATOM).write_text(render_html(doc, job.page_url), encoding="utf-8")
    items = sentences(transcript)
    derived = derive(transcript, chapters, settings, items=items)
    data = {
        "chapters": [{"start": c.start, "title": c.title} for c in chapters],
        "quotes": [dataclasses.asdict(q) for q in derived.quotes], "phrases": list(derived.phrases),
        "summary": derived.summary,
        "abstract": Extractive().summarise(items, max_sentences=ABSTRACT_SENTENCES) if items else "",
    }
    (folder / DATA).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

