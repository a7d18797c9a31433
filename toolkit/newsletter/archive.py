"""The newsletter on the site: each edition's e-mail (HTML, text, Markdown) and archive page, the
index of editions, their Atom feed and their search bundle.

Everything goes through the site's `Renderer`, so each output's key is made of everything it reads
(the composed `Letter` holds all an edition shows, episodes included; the renderer's base holds
podkit's code, the theme and the show's settings), and an unchanged output is taken from the
published site. The e-mails of editions dated later are written too, for `podkit newsletter
preview`, but only editions whose day has come are in the archive, the feed and search.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, time
from functools import partial
from html import escape

from feedgen.feed import FeedGenerator

from toolkit.files import repr_digest
from toolkit.newsletter import email
from toolkit.newsletter.compose import Letter, thumbnail
from toolkit.newsletter.edition import FOLDER
from toolkit.publish import search
from toolkit.publish.pages import Renderer
from toolkit.publish.site import Site

FEED_PATH = "newsletter.xml"
INDEX = f"{FOLDER}/"
SEARCH_PATH = "pagefind-newsletter"
BODY = "newsletter-body.html"
EMAIL_FILES = ("email.html", "email.txt", "email.md")


def archive_url(site: Site) -> str:
    return site.url(INDEX)


def body_html(renderer: Renderer, letter: Letter) -> str:
    """An edition's content as the Atom feed and search take it."""
    return renderer.env.get_template(BODY).render(letter=letter)


def render(renderer: Renderer, letters: Sequence[Letter]) -> None:
    """Write every edition's e-mail, the archive pages, the index and the feed through ``renderer``."""
    site = renderer.site
    settings = site.show.newsletter
    archive = archive_url(site)
    unsubscribe = settings.unsubscribe_url
    thumbnails: set[str] = set()  # one per artwork, however many episodes and editions show it
    for letter in letters:
        for item in letter.episodes:
            if item.artwork is not None and item.artwork.path not in thumbnails:
                thumbnails.add(item.artwork.path)
                source = site.show.root / item.artwork.source
                renderer.file(item.artwork.path, repr_digest(renderer.base, "thumbnail", item.artwork.path),
                              partial(thumbnail, source))
        key = repr_digest(renderer.base, renderer.key_of(letter), archive, unsubscribe)
        base = letter.page_path
        renderer.file(f"{base}email.html", repr_digest(key, "html"), partial(
            email.render_html, renderer.env, letter, site.show.info, archive, unsubscribe))
        renderer.file(f"{base}email.txt", repr_digest(key, "text"), partial(
            email.render_text, letter, site.show.info, archive, unsubscribe))
        renderer.file(f"{base}email.md", repr_digest(key, "markdown"), partial(
            email.render_markdown, letter, site.show.info, archive))
    public = [x for x in letters if x.published][::-1]  # newest first
    for i, letter in enumerate(public):
        newer = public[i - 1] if i > 0 else None
        older = public[i + 1] if i + 1 < len(public) else None
        renderer.page(f"{letter.page_path}index.html", "newsletter-edition.html", letter=letter, newer=newer,
                      older=older, feed=FEED_PATH)
        renderer.also_list(letter.page_path, datetime.combine(letter.day, time()))
    renderer.page(f"{INDEX}index.html", "newsletter-index.html", editions=public, feed=FEED_PATH)
    renderer.also_list(INDEX, datetime.combine(public[0].day, time()) if public else None)
    renderer.file(FEED_PATH, repr_digest(renderer.base, renderer.key_of(public), "atom"),
                  partial(feed, renderer, public))


def feed(renderer: Renderer, public: Sequence[Letter]) -> bytes:
    """The Atom feed of the editions, newest first. Dates are the editions' own, never the clock's,
    unless there are none: an unchanged archive gives a byte-identical feed."""
    site = renderer.site
    info = site.show.info
    fg = FeedGenerator()
    fg.id(f"{archive_url(site)}")
    fg.title(f"{info.title}: newsletter")
    fg.subtitle(f"Every edition of {info.title}'s newsletter.")
    fg.author({"name": info.author or info.title, **({"email": info.email} if info.email else {})})
    fg.link(href=archive_url(site), rel="alternate", type="text/html")
    fg.link(href=site.url(FEED_PATH), rel="self", type="application/atom+xml")
    fg.language(info.language)
    fg.generator("podkit")
    fg.logo(site.url(site.artwork_path))
    fg.updated(public[0].day.isoformat() + "T00:00:00Z" if public else site.built)
    for letter in reversed(public):  # feedgen prepends: add oldest first to list newest first
        fe = fg.add_entry()
        fe.id(letter.url)
        fe.title(letter.subject)
        fe.link(href=letter.url, rel="alternate", type="text/html")
        when = letter.day.isoformat() + "T00:00:00Z"
        fe.published(when)
        fe.updated(when)
        if letter.preheader:
            fe.summary(letter.preheader)
        fe.content(body_html(renderer, letter), type="html")
    return bytes(fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True))


def search_bundle(site: Site, letters: Sequence[Letter]) -> list[search.Bundle]:
    """The editions in the archive as one search bundle, which the search page merges with the
    episodes' (none when there are no editions yet). Its key is made like `search.bundles`'."""
    public = [x for x in letters if x.published]
    if not public:
        return []
    language = site.show.info.language
    docs = []
    for letter in public:
        text = _search_text(letter)
        docs.append(search.Doc(letter.page_path, letter.subject, repr_digest(text), partial(str, text)))
    path = f"{SEARCH_PATH}/0"
    parts = [site.code, search.EXCLUDE, language, path, *(f"{d.url}\0{d.title}\0{d.key}" for d in docs)]
    return [search.Bundle(path, hashlib.sha256("\0\0".join(parts).encode()).hexdigest(), tuple(docs))]


def _search_text(letter: Letter) -> str:
    """What search indexes of an edition: its note, its episodes and its links, as escaped HTML."""
    parts = [f"<p>{escape(letter.preheader)}</p>" if letter.preheader else "", letter.note_html]
    for item in letter.episodes:
        parts.append(f"<h2>{escape(item.title)}</h2><p>{escape(item.description)}</p>")
        if item.quote:
            parts.append(f"<blockquote>{escape(item.quote.text)}</blockquote>")
    for link in letter.links:
        parts.append(f"<h2>{escape(link.title)}</h2><p>{escape(link.source)} {escape(link.why)}</p>")
    return "\n".join(p for p in parts if p)
