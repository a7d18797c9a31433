"""The podcast feed (RSS 2.0 with the iTunes and Podcast Index namespaces), built with feedgen.

feedgen is extended through its own extension API (`FeedGenerator.register_extension`):

- `ItunesExtension` keeps feedgen's iTunes tags but writes ``itunes:explicit`` as true/false
  (feedgen 1.0 only knows yes/no/clean, which Apple no longer accepts);
- `PodcastIndexExtension` adds the ``podcast:`` namespace (guid, locked, funding, person,
  transcript, chapters, season, episode);
- `PodloveExtension` writes the chapters inline as Podlove Simple Chapters, which gPodder and
  other apps read when they ignore the JSON chapters file;
- `HistoryExtension` writes the RFC 5005 links and ``fh:complete``.

`write_feeds` owns every feed file: ``feed.xml`` always; with ``[show] item_limit`` set, older
episodes go on RFC 5005 pages (``feed-2.xml``, ...) linked from it, and ``feed-archive.xml`` holds
every episode in one complete feed.

Rendering the items is most of what a feed costs, so `write_feeds` keeps each item's XML in a memo
in the cache folder (`feeditems`) and has feedgen render only the items that changed since: the
documents stay byte for byte what feedgen writes of them whole (`render` without a memo).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# feedgen.util uses lxml.etree without importing it; feedgen.feed does, so it must come first.
from feedgen.feed import FeedGenerator  # isort: skip
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.ext.podcast import PodcastExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension
from feedgen.util import xml_elem
from feedgen.version import version_full_str as feedgen_version
from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from .cache import code_digest, repr_digest
from .feeditems import ItemMemo
from .show import Person
from .views import EpisodeView, Site, absolute_url
from .writer import Writer

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
PSC_NS = "http://podlove.org/simple-chapters"
FH_NS = "http://purl.org/syndication/history/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
FEED_PATH = "feed.xml"
ARCHIVE_PATH = "feed-archive.xml"
TRANSCRIPT_FORMATS = ("vtt", "srt", "json", "html")  # the ones apps read; plain text stays on the site


def podcast_guid(feed_url: str) -> str:
    """The Podcast Index rule: UUIDv5 of the feed URL without scheme and trailing slashes."""
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def _bool(value: bool) -> str:
    return "true" if value else "false"


class ItunesExtension(PodcastExtension):  # type: ignore[misc]
    """feedgen's iTunes extension, with ``itunes:explicit`` written as true/false."""

    explicit: bool | None = None

    def extend_rss(self, rss_feed: Any) -> Any:
        rss_feed = super().extend_rss(rss_feed)
        if self.explicit is not None:
            xml_elem(f"{{{ITUNES_NS}}}explicit", rss_feed[0]).text = _bool(self.explicit)
        return rss_feed


class ItunesEntryExtension(PodcastEntryExtension):  # type: ignore[misc]
    explicit: bool | None = None

    def extend_rss(self, entry: Any) -> Any:
        entry = super().extend_rss(entry)
        if self.explicit is not None:
            xml_elem(f"{{{ITUNES_NS}}}explicit", entry).text = _bool(self.explicit)
        return entry


class PodcastIndexExtension(BaseExtension):  # type: ignore[misc]
    """Channel-level tags of the Podcast Index namespace."""

    def __init__(self) -> None:
        self.guid: str | None = None
        self.locked: tuple[bool, str] | None = None
        self.funding: tuple[str, str] | None = None  # (url, text)
        self.persons: list[dict[str, str]] = []

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        if self.locked is not None:
            xml_elem(f"{{{PODCAST_NS}}}locked", channel, owner=self.locked[1]).text = \
                "yes" if self.locked[0] else "no"
        if self.guid:
            xml_elem(f"{{{PODCAST_NS}}}guid", channel).text = self.guid
        if self.funding:
            xml_elem(f"{{{PODCAST_NS}}}funding", channel, url=self.funding[0]).text = self.funding[1]
        _persons(channel, self.persons)
        return rss_feed


class PodcastIndexEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.transcripts: list[dict[str, str]] = []
        self.chapters: str | None = None
        self.persons: list[dict[str, str]] = []
        self.season: int | None = None
        self.episode: int | None = None

    def extend_rss(self, entry: Any) -> Any:
        if self.season is not None:
            xml_elem(f"{{{PODCAST_NS}}}season", entry).text = str(self.season)
        if self.episode is not None:
            xml_elem(f"{{{PODCAST_NS}}}episode", entry).text = str(self.episode)
        for attrs in self.transcripts:
            xml_elem(f"{{{PODCAST_NS}}}transcript", entry, **attrs)
        if self.chapters:
            xml_elem(f"{{{PODCAST_NS}}}chapters", entry, url=self.chapters, type="application/json+chapters")
        _persons(entry, self.persons)
        return entry


class PodloveExtension(BaseExtension):  # type: ignore[misc]
    """Declares the Podlove Simple Chapters namespace; the chapters themselves are per entry."""

    def extend_ns(self) -> dict[str, str]:
        return {"psc": PSC_NS}


class PodloveEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.chapters: list[tuple[float, str]] = []

    def extend_rss(self, entry: Any) -> Any:
        if self.chapters:
            parent = xml_elem(f"{{{PSC_NS}}}chapters", entry, version="1.2")
            for start, title in self.chapters:
                xml_elem(f"{{{PSC_NS}}}chapter", parent, start=_npt(start), title=title)
        return entry


class HistoryExtension(BaseExtension):  # type: ignore[misc]
    """RFC 5005: paging links (first/next/previous/last) and the mark of a complete feed."""

    def __init__(self) -> None:
        self.links: list[tuple[str, str]] = []  # (rel, absolute URL)
        self.complete = False

    def extend_ns(self) -> dict[str, str]:
        return {"fh": FH_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        for rel, href in self.links:
            xml_elem(f"{{{ATOM_NS}}}link", channel, rel=rel, href=href, type="application/rss+xml")
        if self.complete:
            xml_elem(f"{{{FH_NS}}}complete", channel)
        return rss_feed


def _npt(seconds: float) -> str:
    """Normal play time as Podlove chapters want it: HH:MM:SS.mmm."""
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _persons(parent: Any, persons: list[dict[str, str]]) -> None:
    for person in persons:
        attrs = {k: v for k, v in person.items() if k != "name" and v}
        xml_elem(f"{{{PODCAST_NS}}}person", parent, **attrs).text = person["name"][:128]


def _person(p: Person, site: Site) -> dict[str, str]:
    out = {"name": p.name, "role": p.role, "href": p.url or ""}
    if p.img:
        out["img"] = p.img if "://" in p.img else site.url(p.img)
    return out


@dataclass(frozen=True)
class FeedFile:
    """One feed document: where it goes, which episodes it lists, how it links to its siblings."""

    path: str
    episodes: tuple[EpisodeView, ...]
    links: tuple[tuple[str, str], ...] = ()  # RFC 5005 (rel, path)
    complete: bool = False
    podcast_guid: bool = True


def page_path(number: int) -> str:
    return FEED_PATH if number == 1 else f"feed-{number}.xml"


def feed_files(site: Site) -> list[FeedFile]:
    """The feed documents of the site, without rendering them."""
    episodes = site.public
    limit = site.show.info.item_limit
    if not limit:
        return [FeedFile(FEED_PATH, episodes)]
    pages = [episodes[i:i + limit] for i in range(0, len(episodes), limit)] or [()]
    last = page_path(len(pages))
    files = []
    for n, chunk in enumerate(pages, 1):
        links = [("first", FEED_PATH), ("last", last)]
        if n > 1:
            links.append(("previous", page_path(n - 1)))
        if n < len(pages):
            links.append(("next", page_path(n + 1)))
        files.append(FeedFile(page_path(n), chunk, tuple(links)))
    # The archive is the same show in one document; it carries no podcast:guid, so a directory
    # that finds it never mistakes it for a second copy of the show's feed.
    files.append(FeedFile(ARCHIVE_PATH, episodes, complete=True, podcast_guid=False))
    return files


def write_feeds(site: Site, writer: Writer) -> None:
    """Every feed file of the site (the episode artwork they link to is in the episode's folder)."""
    memo = ItemMemo(site.show.cache_dir)  # one for all the documents: the archive repeats the pages' items
    for feed in feed_files(site):
        writer.write(feed.path, render(site, feed, memo))
    memo.save()


def feed_xml(site: Site) -> bytes:
    """The main feed (``feed.xml``), as published."""
    return render(site, feed_files(site)[0])


def render(site: Site, feed: FeedFile, memo: ItemMemo | None = None) -> bytes:
    """One feed document: feedgen's rendering of it, byte for byte; with a memo, the items
    unchanged since it was written are taken from it instead of being rendered again."""
    fg = _channel(site, feed)
    if memo is None:
        for view in feed.episodes:  # newest first, as listed
            _fill(fg.add_entry(order="append"), item_of(view, site))
        return _rss(fg)
    # feedgen writes the channel's elements (its extensions' too) first and the items last, each
    # at the same depth: the document is the channel's alone with the items just before its end.
    channel = _rss(fg)
    assert channel.endswith(_CLOSE), "feedgen ends a channel differently"
    items = []
    nsmap: dict[str | None, str] | None = None
    for view in feed.episodes:
        key = item_key(site, view)
        xml = memo.get(key)
        if xml is None:
            nsmap = nsmap or etree.fromstring(channel).nsmap
            xml = _item_xml(fg, item_of(view, site), nsmap)
            memo.put(key, xml)
        items.append(xml)
    return channel[:-len(_CLOSE)] + "".join(items).encode("utf-8") + _CLOSE


_OPEN = b"<channel>\n"  # where a pretty-printed channel's content starts...
_CLOSE = b"  </channel>\n</rss>\n"  # ...and how the document ends
# What a serialised item depends on besides the view and the site's address and language: the
# code that makes it of them (this module: the extensions, the calls to feedgen; the views' links),
# feedgen, and lxml and libxml2, which serialise it.
_ITEM_CODE = "/".join((code_digest("feed.py", "views.py"), feedgen_version, str(etree.LXML_VERSION),
                       str(etree.LIBXML_VERSION)))


def _rss(fg: FeedGenerator) -> bytes:
    return bytes(fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True))


def _item_xml(fg: FeedGenerator, item: Item, nsmap: dict[str | None, str]) -> str:
    """One item serialised as in a document: rendered by feedgen and appended to a channel under
    the document's namespace declarations, as feedgen does, so its prefixes and indentation are
    those of the document."""
    fe = fg.add_entry(order="append")
    _fill(fe, item)
    rss = etree.Element("rss", nsmap=nsmap)
    etree.SubElement(rss, "channel").append(fe.rss_entry())
    doc = bytes(etree.tostring(rss, pretty_print=True, encoding="UTF-8"))
    return doc[doc.index(_OPEN) + len(_OPEN):-len(_CLOSE)].decode("utf-8")


def _channel(site: Site, feed: FeedFile) -> FeedGenerator:
    """The feed without its items."""
    info = site.show.info
    fg = FeedGenerator()
    fg.register_extension("podcast", ItunesExtension, ItunesEntryExtension)
    fg.register_extension("podcastindex", PodcastIndexExtension, PodcastIndexEntryExtension)
    fg.register_extension("podlove", PodloveExtension, PodloveEntryExtension)
    fg.register_extension("history", HistoryExtension, None)
    fg.title(info.title)
    # feedgen takes the RSS <link> from the last link given, so the site's address goes last.
    fg.link(href=site.url(feed.path), rel="self", type="application/rss+xml")
    fg.link(href=site.base_url, rel="alternate")
    fg.description(info.description)
    fg.language(info.language)
    fg.generator("podkit")
    fg.lastBuildDate(site.built)
    artwork = site.url(site.artwork_path)
    fg.image(url=artwork, title=info.title, link=site.base_url)
    fg.podcast.itunes_author(info.author)
    fg.podcast.itunes_owner(name=info.author, email=info.email)
    fg.podcast.itunes_image(artwork)
    # feedgen's category list predates Apple's 2019 one; `podkit check` holds the current list.
    fg.podcast.itunes_category({"cat": info.category, **({"sub": info.subcategory} if info.subcategory else {})})
    fg.podcast.itunes_type(info.type)
    fg.podcast.explicit = info.explicit
    if feed.podcast_guid:
        fg.podcastindex.guid = info.guid or podcast_guid(site.url(FEED_PATH))
    fg.podcastindex.locked = (info.locked, info.email)
    if info.funding_url:
        fg.podcastindex.funding = (info.funding_url, info.funding_text)
    hosts = {p.name: p for e in site.public for p in e.people if p.role == "host"}
    fg.podcastindex.persons = [_person(p, site) for p in hosts.values()]
    fg.history.links = [(rel, site.url(path)) for rel, path in feed.links]
    fg.history.complete = feed.complete
    return fg


@dataclass(frozen=True)
class Item:
    """Everything one feed item says, as plain data: what `_fill` gives feedgen. Paths are
    relative to ``base``, the site's URL."""

    base: str
    guid: str
    title: str
    page: str
    published: datetime
    description: str  # plain text for the old readers; content carries the HTML notes
    content: str
    audio: str
    audio_bytes: int
    duration: int
    subtitle: str | None
    number: int | None
    season: int | None
    episode_type: str
    image: str | None
    language: str
    transcripts: list[tuple[str, str, str]]  # (format name, path, MIME type)
    chapters_file: str | None
    chapters: list[tuple[float, str]]
    persons: list[dict[str, str]]


def item_of(view: EpisodeView, site: Site) -> Item:
    ep = view.episode
    chapters = view.file("chapters")
    transcripts = [(link.name, link.path, link.mime) for link in map(view.file, TRANSCRIPT_FORMATS) if link]
    return Item(
        base=site.base_url, guid=view.guid, title=ep.title, page=view.page_path, published=ep.date,
        description=view.notes_text.strip() or ep.description or ep.title, content=view.notes_html,
        audio=view.audio_path, audio_bytes=view.audio_bytes, duration=round(view.duration),
        subtitle=ep.description, number=ep.number, season=ep.season, episode_type=ep.episode_type,
        image=view.cover_path, language=site.show.info.language, transcripts=transcripts,
        chapters_file=chapters.path if chapters is not None and view.chapters else None,
        chapters=[(c.start, c.title) for c in view.chapters],
        # An item's podcast:person list replaces the channel's, so it names the hosts as well as the guests.
        persons=[_person(p, site) for p in ep.people])


def item_key(site: Site, view: EpisodeView) -> str:
    """An item's key in the memo: everything it is made of, which is the view (its digest covers
    every field, and is usually known already: see `pipeline.Built`), the site's address and
    language, and the code. Building the item to hash it cost as much as the rest of a feed."""
    return repr_digest(_ITEM_CODE, site.base_url, site.show.info.language, site.digest(view))


def _fill(fe: Any, item: Item) -> None:
    def url(path: str) -> str:
        return absolute_url(item.base, path)  # as Site.url does

    fe.guid(item.guid, permalink=False)
    fe.title(item.title)
    fe.link(href=url(item.page))
    fe.published(item.published)
    fe.description(item.description)
    fe.content(item.content, type="CDATA")
    fe.enclosure(url(item.audio), str(item.audio_bytes), "audio/mpeg")
    itunes = fe.podcast
    itunes.itunes_duration(item.duration)
    if item.subtitle:
        itunes.itunes_subtitle(item.subtitle)
    if item.number is not None:
        itunes.itunes_episode(item.number)
        fe.podcastindex.episode = item.number
    if item.season is not None:
        itunes.itunes_season(item.season)
        fe.podcastindex.season = item.season
    itunes.itunes_episode_type(item.episode_type)
    if item.image is not None:
        itunes.itunes_image(url(item.image))
    fe.podcastindex.transcripts = [
        {"url": url(path), "type": mime, "language": item.language, **({"rel": "captions"} if name == "vtt" else {})}
        for name, path, mime in item.transcripts]
    if item.chapters_file is not None:
        fe.podcastindex.chapters = url(item.chapters_file)
    fe.podlove.chapters = item.chapters
    fe.podcastindex.persons = item.persons
