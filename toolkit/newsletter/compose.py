"""An edition composed: the author's note and links, and what podkit adds of the week's episodes.

A `Letter` holds everything the e-mail, the archive page, the Atom feed and search show of one
edition, as plain values with absolute URLs (an e-mail has no base URL to resolve against). Each
part of an episode (guests, description, key quote, artwork) is switched by its own
`NewsletterSettings` key.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urljoin

from toolkit import markdown
from toolkit.config import NewsletterSettings
from toolkit.content import notes
from toolkit.content.formats import timestamp
from toolkit.newsletter.edition import Edition, Link
from toolkit.newsletter.start import since_previous
from toolkit.publish.site import EpisodeView, Site

THUMB = 240  # pixels: the artwork is shown at 120 CSS pixels, sharp on a 2x screen
SHOWN = 120
IMAGES = "newsletter/images"


@dataclass(frozen=True)
class Artwork:
    url: str  # absolute
    alt: str
    width: int  # as shown, in CSS pixels
    height: int
    path: str  # the thumbnail, relative to the site root
    source: str  # the original, relative to the show's folder


@dataclass(frozen=True)
class QuoteLink:
    text: str
    speaker: str | None
    at: str  # M:SS
    url: str  # the episode page, playing from the quote


@dataclass(frozen=True)
class Item:
    """One of the week's episodes, as the edition shows it."""

    title: str
    url: str
    date: datetime
    guests: tuple[str, ...]
    description: str
    quote: QuoteLink | None
    artwork: Artwork | None


@dataclass(frozen=True)
class Letter:
    """An edition, composed (see the module's docstring)."""

    name: str
    day: date
    subject: str
    preheader: str
    note_markdown: str
    note_html: str
    note_text: str
    links: tuple[Link, ...]
    episodes: tuple[Item, ...]
    url: str  # the edition's page in the archive
    email_url: str  # the e-mail as a web page
    published: bool

    @property
    def page_path(self) -> str:
        return f"newsletter/{self.name}/"


_ATTR_URL = re.compile(r'(href|src)="([^"]*)"')


def absolute_html(fragment: str, base: str) -> str:
    """Every link and image of an HTML fragment made absolute under ``base``: a mail client has
    no page address to resolve a relative link against."""
    def fix(m: re.Match[str]) -> str:
        url = html.unescape(m.group(2))
        return f'{m.group(1)}="{html.escape(urljoin(base, url), quote=True)}"'
    return _ATTR_URL.sub(fix, fragment)


def markdown_plain(text: str, base: str) -> str:
    """The author's Markdown as plain text for the e-mail's text part: paragraphs and list items
    on their own lines, each link followed by its (absolute) address in angle brackets."""
    out: list[str] = []
    for tok in markdown.tokens(text):
        if tok.type == "inline":
            href = ""
            for child in tok.children or ():
                if child.type in ("text", "code_inline"):
                    out.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    out.append("\n" if child.type == "hardbreak" else " ")
                elif child.type == "link_open":
                    href = urljoin(base, str(child.attrs.get("href", "")))
                elif child.type == "link_close" and href:
                    out.append(f" <{href}>")
                    href = ""
        elif tok.type == "list_item_open":
            out.append("- ")
        elif tok.type in ("paragraph_close", "heading_close") and not tok.hidden:
            out.append("\n\n")
        elif tok.type == "list_item_close":
            out.append("\n")
    paragraphs = re.split(r"\n{2,}", "".join(out))
    return "\n\n".join(p.strip() for p in paragraphs if p.strip())


def thumbnail_path(source: Path) -> str:
    """Where the artwork's thumbnail is published: named by the original's content."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    return f"{IMAGES}/{digest}.jpg"


def thumbnail(source: Path) -> bytes:
    """A small JPEG of square artwork for e-mail: the originals are 1400-3000 px, megabytes each."""
    from PIL import Image

    with Image.open(source) as img:
        small = img.convert("RGB")
        small.thumbnail((THUMB, THUMB))
        out = io.BytesIO()
        small.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()


def _item(site: Site, view: EpisodeView, options: NewsletterSettings, art: dict[Path, str]) -> Item:
    ep = view.episode
    page = site.url(view.page_path)
    quote = None
    if options.quote and view.content.derived.quotes:
        q = max(view.content.derived.quotes, key=lambda q: q.score)
        # The quote's moment: the page's #t= scheme takes seconds on the published programme.
        quote = QuoteLink(q.text, q.speaker, timestamp(q.start), f"{page}#t={int(q.start)}")
    artwork = None
    if options.artwork:
        source = ep.image or site.show.artwork
        if source.is_file():
            if source not in art:
                art[source] = thumbnail_path(source)
            rel = source.relative_to(site.show.root) if source.is_relative_to(site.show.root) else source
            artwork = Artwork(site.url(art[source]), f"Artwork of {ep.title}", SHOWN, SHOWN, art[source],
                              rel.as_posix())
    guests = tuple(p.name for p in ep.people if p.role == "guest") if options.guests else ()
    return Item(ep.title, page, ep.date, guests, ep.description if options.description else "", quote, artwork)


def compose(site: Site, editions: list[Edition]) -> list[Letter]:
    """Every edition composed, oldest first, with the episodes each presents: those its front matter
    lists, else the ones published since the previous edition."""
    options = site.show.newsletter
    views = {v.slug: v for v in site.episodes}
    art: dict[Path, str] = {}
    letters = []
    for edition in sorted(editions, key=lambda e: e.day):
        if not options.episodes:
            chosen: list[EpisodeView] = []
        elif edition.episodes is not None:
            chosen = [views[s] for s in edition.episodes if s in views]
        else:
            # Dated up to the end of the edition's day: an episode due later that day is in the
            # preview built in the morning too.
            chosen = [views[ep.slug] for ep in since_previous(site.show, editions, edition.day)]
        letters.append(Letter(
            name=edition.name, day=edition.day, subject=edition.subject, preheader=edition.preheader,
            note_markdown=edition.note,
            note_html=absolute_html(notes.markdown_html(edition.note), site.base_url),
            note_text=markdown_plain(edition.note, site.base_url), links=edition.links,
            episodes=tuple(_item(site, v, options, art) for v in chosen),
            url=site.url(edition.page_path), email_url=site.url(f"{edition.page_path}email.html"),
            published=edition.is_published(site.built)))
    return letters
