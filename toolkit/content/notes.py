"""Show notes: the author's Markdown first, then the parts podkit generates from the episode.

The generated parts, each switched off by its own `NotesSettings` key: the chapter list with
timestamps, the guests (from [[people]]) with bio and link, the links mentioned in the notes,
key quotes (verbatim sentences, see `quotes`), and topics. Notes are rendered twice: HTML for
the episode page and the feed's content:encoded, plain text for the feed's description.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolkit import markdown
from toolkit.config import NotesSettings
from toolkit.content.formats import timestamp
from toolkit.content.quotes import Quote, key_quotes
from toolkit.content.summarise import Sentence, key_phrases, sentences, stem, summariser
from toolkit.show import Chapter, Episode, Person

if TYPE_CHECKING:
    from toolkit.speech.transcript import Transcript


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class Notes:
    """The generated parts of an episode's show notes (empty where switched off)."""

    chapters: tuple[Chapter, ...] = ()
    guests: tuple[Person, ...] = ()
    links: tuple[Link, ...] = ()
    quotes: tuple[Quote, ...] = ()
    topics: tuple[str, ...] = ()
    summary: str = ""


def markdown_html(text: str, urls: Callable[[str], str | None] | None = None, page_url: str = "") -> str:
    """Author Markdown to HTML (see `toolkit.markdown`): headings under the page's "Show notes",
    each file it names pointed at by ``urls``, links within the page (footnotes) under ``page_url``
    when given; raw HTML in it is escaped, never passed through."""
    return markdown.html(text, top=3, urls=urls, page=page_url)


def markdown_text(text: str) -> str:
    """Author Markdown as plain text (for the feed's description)."""
    return markdown.text(text)


_BARE_URL = re.compile(r"https?://[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]")


def links(source: str) -> tuple[Link, ...]:
    """The links in the author's Markdown, in order, each URL once: [text](url), <url> and bare URLs."""
    found: dict[str, str] = {}
    for block in markdown.tokens(source):
        children = block.children or []
        for i, tok in enumerate(children):
            if tok.type == "link_open":
                url = str(tok.attrs.get("href", ""))
                text = []
                for inner in children[i + 1:]:
                    if inner.type == "link_close":
                        break
                    text.append(inner.content)
                found.setdefault(url, "".join(text).strip() or url)
            elif tok.type == "text":
                for m in _BARE_URL.finditer(tok.content):
                    found.setdefault(m.group(), m.group())
    return tuple(Link(text, url) for url, text in found.items() if _safe_url(url))


def _safe_url(url: str) -> bool:
    return url.startswith(("https://", "http://", "mailto:"))


def topics(tags: Sequence[str], phrases: Sequence[str], count: int) -> tuple[str, ...]:
    """The episode's tags, then its key phrases (most frequent first), without near-repeats."""
    out: list[str] = []
    seen: set[str] = set()
    for text in [*tags, *phrases]:
        # "printing" and "printed" are one topic: compare the first five letters of each word's stem.
        key = " ".join(stem(w)[:5] for w in text.lower().split())
        if key in seen or not text.strip():
            continue
        seen.add(key)
        out.append(text)
        if len(out) >= count:
            break
    return tuple(out)


@dataclass(frozen=True)
class Derived:
    """The parts of the notes made from the transcript: the slow ones, made once per transcript
    by the content stage (`content.make`) and kept in the cache."""

    quotes: tuple[Quote, ...] = ()
    phrases: tuple[str, ...] = ()  # key phrases, most frequent first: the topics after the tags
    summary: str = ""


def derive(transcript: Transcript, chapters: Sequence[Chapter], settings: NotesSettings, *,
           items: Sequence[Sentence] | None = None) -> Derived:
    """Quotes, key phrases and summary of ``transcript`` (chapters: the effective ones). ``items``:
    its sentences, when the caller has already split it."""
    items = sentences(transcript) if items is None else items
    quotes: tuple[Quote, ...] = ()
    if settings.quotes and settings.quote_count:
        quotes = tuple(key_quotes(items, settings.quote_count, [c.start for c in chapters]))
    phrases: tuple[str, ...] = ()
    if settings.topics and settings.topic_count and items:
        phrases = tuple(p.text for p in key_phrases([[s.text for s in items]], 0, limit=settings.topic_count * 2))
    summary = ""
    if settings.summary and settings.summary_sentences and items:
        summary = summariser(settings.summariser, settings.summary_command).summarise(
            items, max_sentences=settings.summary_sentences)
    return Derived(quotes, phrases, summary)


def generate(episode: Episode, chapters: Sequence[Chapter], derived: Derived, settings: NotesSettings) -> Notes:
    """The generated parts of ``episode``'s notes: from its front matter, its (effective) chapters and
    what `derive` found in its transcript."""
    return Notes(
        chapters=tuple(chapters) if settings.chapters else (),
        guests=tuple(p for p in episode.people if p.role == "guest") if settings.guests else (),
        links=links(episode.notes) if settings.links else (),
        quotes=derived.quotes if settings.quotes else (),
        topics=topics(episode.tags, derived.phrases, settings.topic_count) if settings.topics else (),
        summary=derived.summary if settings.summary else "",
    )


def _seek(page_url: str, seconds: float) -> str:
    """A link that opens the episode page with the player at ``seconds`` (the page's #t=S scheme)."""
    return f"{page_url}#t={int(seconds)}"


def render_html(author_html: str, notes: Notes, page_url: str = "",
                url: Callable[[str], str] = lambda path: path) -> str:
    """The author's notes (already HTML), then the generated parts. Everything generated is escaped,
    but for the guests' bios: the author's Markdown, whose raw HTML is escaped too.

    ``page_url`` makes timestamp links absolute, as feed readers need; on the page itself an
    empty one gives plain ``#t=`` fragments. ``url`` turns a published file's path (a guest's
    photo) into the link the reader follows.
    """
    e = html.escape
    out = [author_html.rstrip()] if author_html.strip() else []
    if notes.summary:
        out.append(f'<h3>Summary</h3>\n<p class="summary">{e(notes.summary)}</p>')
    if notes.chapters:
        items = "".join(f'<li><a href="{e(_seek(page_url, c.start))}" data-start="{c.start:.2f}">'
                        f'{timestamp(c.start)}</a> {e(c.title)}</li>' for c in notes.chapters)
        out.append(f'<h3>Chapters</h3>\n<ol class="notes-chapters">{items}</ol>')
    if notes.guests:
        rows = []
        for p in notes.guests:
            name = f'<a href="{e(p.url)}">{e(p.name)}</a>' if p.url and _safe_url(p.url) else e(p.name)
            photo = (f'<img class="notes-photo" src="{e(url(p.photo))}" alt="{e(p.name)}" width="64" height="64"> '
                     if p.photo else "")
            rows.append(f"<li>{photo}{name}{': ' + markdown.inline_html(p.bio) if p.bio else ''}</li>")
        out.append(f'<h3>Guests</h3>\n<ul class="notes-guests">{"".join(rows)}</ul>')
    if notes.links:
        rows = [f'<li><a href="{e(link.url)}">{e(link.text)}</a></li>' for link in notes.links]
        out.append(f'<h3>Links</h3>\n<ul class="notes-links">{"".join(rows)}</ul>')
    if notes.quotes:
        rows = []
        for q in notes.quotes:
            who = f"{e(q.speaker)}, " if q.speaker else ""
            rows.append(f'<blockquote class="notes-quote"><p>{e(q.text)}</p><footer>{who}'
                        f'<a href="{e(_seek(page_url, q.start))}" data-start="{q.start:.2f}">'
                        f'{timestamp(q.start)}</a></footer></blockquote>')
        out.append("<h3>Quotes</h3>\n" + "\n".join(rows))
    if notes.topics:
        out.append(f'<h3>Topics</h3>\n<p class="notes-topics">{e(", ".join(notes.topics))}</p>')
    return "\n".join(out) + "\n" if out else ""


def render_text(author_text: str, notes: Notes) -> str:
    """The same as plain text: the author's text, then each part under its name."""
    blocks = [author_text.strip()] if author_text.strip() else []
    if notes.summary:
        blocks.append("Summary\n" + notes.summary)
    if notes.chapters:
        blocks.append("Chapters\n" + "\n".join(f"{timestamp(c.start)} {c.title}" for c in notes.chapters))
    if notes.guests:
        blocks.append("Guests\n" + "\n".join(
            p.name + (f": {' '.join(markdown.text(p.bio).split())}" if p.bio else "") + (f" ({p.url})" if p.url else "")
            for p in notes.guests))
    if notes.links:
        blocks.append("Links\n" + "\n".join(
            link.url if link.text == link.url else f"{link.text}: {link.url}" for link in notes.links))
    if notes.quotes:
        blocks.append("Quotes\n" + "\n".join(
            f"“{q.text}” ({q.speaker + ', ' if q.speaker else ''}{timestamp(q.start)})" for q in notes.quotes))
    if notes.topics:
        blocks.append("Topics\n" + ", ".join(notes.topics))
    return "\n\n".join(blocks)
