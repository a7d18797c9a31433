"""The written archive's feed: Atom (RFC 4287), one entry per published episode's article.

For blog and feed readers, apart from the podcast feed: each entry is the episode's show notes
followed by its blog transcript (chapter headings, speakers, timestamps linking into the
player), with the front matter's tags as categories. Built with feedgen, which also writes the
podcast feed.

It carries the newest ``ENTRIES`` articles, as blogs' feeds do: a reader subscribes for what
comes next, and the site keeps the whole archive. (Every article of a large show would make a
feed of tens of megabytes, fetched again at every poll.)

Dates come from the episodes, never from the clock, so an unchanged show gives a byte-identical
file. Ids are permanent: derived from the episode's feed guid, which never changes.
"""

from __future__ import annotations

import uuid

from feedgen.feed import FeedGenerator

from toolkit import markdown
from toolkit.files import repr_digest
from toolkit.publish.site import EpisodeView, Site, newest_first

ATOM_PATH = "articles.xml"
ATOM_TYPE = "application/atom+xml"
ENTRIES = 25


def entry_id(guid: str) -> str:
    """An Atom id (an IRI) from an episode guid: urn:uuid: of it, or a UUIDv5 of a guid that is none."""
    try:
        return uuid.UUID(guid).urn
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, guid).urn


def summary(view: EpisodeView) -> str:
    """The author's description, else the transcript's most central sentences (from its content stage)."""
    return markdown.text(view.episode.description) or view.content.abstract


def content(view: EpisodeView) -> str:
    """The notes, then the blog transcript (its links to the page were made by the content stage)."""
    transcript = view.content.atom_html()
    return view.notes_html + ("<h2>Transcript</h2>\n" + transcript if transcript else "")


def newest(site: Site) -> list[EpisodeView]:
    return newest_first(site.public)[:ENTRIES]


def key(site: Site) -> str:
    """Everything `render` reads: the newest episodes (all of each), the show, the site's address and
    podkit's code. An edit to an older episode leaves the feed as it was."""
    views = [site.digest(v) for v in newest(site)]
    # The clock counts only in a feed with no entries.
    return repr_digest(site.code, site.show.info, site.base_url, site.artwork_path, views or site.built)


def render(site: Site) -> bytes:
    """The Atom feed of the newest published episodes' articles, newest first."""
    info = site.show.info
    fg = FeedGenerator()
    fg.id(uuid.UUID(info.guid).urn if info.guid else uuid.uuid5(uuid.NAMESPACE_URL, site.base_url).urn)
    fg.title(info.title)
    if info.description:
        fg.subtitle(info.description)
    fg.author({"name": info.author or info.title, **({"email": info.email} if info.email else {})})
    fg.link(href=site.base_url, rel="alternate", type="text/html")
    fg.link(href=site.url(ATOM_PATH), rel="self", type=ATOM_TYPE)
    fg.language(info.language)
    fg.generator("podkit")
    fg.logo(site.url(site.artwork_path))
    episodes = newest(site)
    fg.updated(episodes[0].date if episodes else site.built)
    for view in reversed(episodes):  # feedgen prepends: add oldest first to list newest first
        page = site.url(view.page_path)
        fe = fg.add_entry()
        fe.id(entry_id(view.guid))
        fe.title(view.title)
        fe.link(href=page, rel="alternate", type="text/html")
        fe.published(view.date)
        fe.updated(view.date)
        text = summary(view)
        if text:
            fe.summary(text)
        fe.content(content(view), type="html")
        for tag in view.episode.tags:
            fe.category(term=tag)
        for person in view.people:
            fe.contributor({"name": person.name, **({"uri": person.url} if person.url else {})})
    return bytes(fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True))
