"""The podcast feed (RSS 2.0 with the iTunes and Podcast Index namespaces), built with feedgen.

feedgen is extended through its own extension API (`FeedGenerator.register_extension`):

- `ItunesExtension` keeps feedgen's iTunes tags but writes ``itunes:explicit`` as true/false
  (feedgen 1.0 only knows yes/no/clean, which Apple no longer accepts);
- `ItunesExtension` also writes the tags for moving or closing a show (new-feed-url, block, complete);
- `PodcastIndexExtension` adds the ``podcast:`` namespace (guid, locked, funding, person, medium,
  license, location, txt, podroll, trailer; on items transcript, chapters, season, episode, license,
  soundbite);
- `PodloveExtension` writes the chapters inline as Podlove Simple Chapters, which gPodder and
  other apps read when they ignore the JSON chapters file;
- `HistoryExtension` writes the RFC 5005 links and ``fh:complete``, and the WebSub hub link.

`write_feeds` owns every feed file: ``feed.xml`` always; with ``[show] item_limit`` set, older
episodes go on RFC 5005 pages (``feed-2.xml``, ...) linked from it, and ``feed-archive.xml`` holds
every episode in one complete feed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC
from email.utils import format_datetime
from typing import Any

# feedgen.util uses lxml.etree without importing it; feedgen.feed does, so it must come first.
from feedgen.feed import FeedGenerator  # isort: skip
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.ext.podcast import PodcastExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension
from feedgen.util import xml_elem

from toolkit import markdown
from toolkit.config import is_uuid, not_public
from toolkit.publish.site import EpisodeView, Site
from toolkit.publish.writer import Writer
from toolkit.show import Person

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
PSC_NS = "http://podlove.org/simple-chapters"
FH_NS = "http://purl.org/syndication/history/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
FEED_PATH = "feed.xml"
ARCHIVE_PATH = "feed-archive.xml"
TRANSCRIPT_FORMATS = ("vtt", "srt", "json", "html")  # the ones apps read; plain text stays on the site
CAPTIONS = ("vtt", "srt")  # the formats with timed lines, which apps may show as captions


def podcast_guid(feed_url: str) -> str:
    """The Podcast Index rule: UUIDv5 of the feed URL without scheme and trailing slashes."""
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def _bool(value: bool) -> str:
    return "true" if value else "false"


class ItunesExtension(PodcastExtension):  # type: ignore[misc]
    """feedgen's iTunes extension, with ``itunes:explicit`` written as true/false, and the tags for
    moving or closing a show (``new-feed-url``, ``block``, ``complete``), which feedgen's lacks or
    writes only as yes/no."""

    explicit: bool | None = None
    new_feed_url = ""
    blocked = False
    completed = False

    def extend_rss(self, rss_feed: Any) -> Any:
        rss_feed = super().extend_rss(rss_feed)
        channel = rss_feed[0]
        if self.explicit is not None:
            xml_elem(f"{{{ITUNES_NS}}}explicit", channel).text = _bool(self.explicit)
        if self.new_feed_url:
            xml_elem(f"{{{ITUNES_NS}}}new-feed-url", channel).text = self.new_feed_url
        if self.blocked:
            xml_elem(f"{{{ITUNES_NS}}}block", channel).text = "Yes"
        if self.completed:
            xml_elem(f"{{{ITUNES_NS}}}complete", channel).text = "Yes"
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
        self.medium = "podcast"
        self.license: tuple[str, str] | None = None  # (identifier, url)
        self.location: tuple[str, str, str] | None = None  # (name, geo, osm)
        self.txt: list[str] = []
        self.podroll: list[dict[str, str]] = []  # remoteItem attributes
        self.trailers: list[tuple[str, dict[str, str]]] = []  # (title, attributes)

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
        xml_elem(f"{{{PODCAST_NS}}}medium", channel).text = self.medium
        _license(channel, self.license)
        if self.location:
            name, geo, osm = self.location
            attrs = {k: v for k, v in (("geo", geo), ("osm", osm)) if v}
            xml_elem(f"{{{PODCAST_NS}}}location", channel, **attrs).text = name[:128]
        for text in self.txt:
            xml_elem(f"{{{PODCAST_NS}}}txt", channel).text = text[:4000]
        if self.podroll:
            roll = xml_elem(f"{{{PODCAST_NS}}}podroll", channel)
            for attrs in self.podroll:
                xml_elem(f"{{{PODCAST_NS}}}remoteItem", roll, **attrs)
        for title, attrs in self.trailers:
            xml_elem(f"{{{PODCAST_NS}}}trailer", channel, **attrs).text = title[:128]
        return rss_feed


class PodcastIndexEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.transcripts: list[dict[str, str]] = []
        self.chapters: str | None = None
        self.persons: list[dict[str, str]] = []
        self.season: int | None = None
        self.episode: int | None = None
        self.license: tuple[str, str] | None = None
        self.soundbites: list[tuple[float, float, str]] = []  # (start, duration, title)

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
        _license(entry, self.license)
        for start, duration, title in self.soundbites:
            xml_elem(f"{{{PODCAST_NS}}}soundbite", entry, startTime=f"{start:.3f}",
                     duration=f"{duration:.3f}").text = title[:128]
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
    """RFC 5005: paging links (first/next/previous/last) and the mark of a complete feed; and the
    feed's other Atom link, its WebSub hub."""

    def __init__(self) -> None:
        self.links: list[tuple[str, str]] = []  # (rel, absolute URL)
        self.complete = False
        self.hub = ""

    def extend_ns(self) -> dict[str, str]:
        return {"fh": FH_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        for rel, href in self.links:
            xml_elem(f"{{{ATOM_NS}}}link", channel, rel=rel, href=href, type="application/rss+xml")
        if self.complete:
            xml_elem(f"{{{FH_NS}}}complete", channel)
        if self.hub:
            xml_elem(f"{{{ATOM_NS}}}link", channel, rel="hub", href=self.hub)
        return rss_feed


def _npt(seconds: float) -> str:
    """Normal play time as Podlove chapters want it: HH:MM:SS.mmm."""
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _license(parent: Any, value: tuple[str, str] | None) -> None:
    if value and value[0]:
        xml_elem(f"{{{PODCAST_NS}}}license", parent, **({"url": value[1]} if value[1] else {})).text = value[0][:128]


def _persons(parent: Any, persons: list[dict[str, str]]) -> None:
    for person in persons:
        attrs = {k: v for k, v in person.items() if k != "name" and v}
        xml_elem(f"{{{PODCAST_NS}}}person", parent, **attrs).text = person["name"][:128]


def _person(p: Person, site: Site) -> dict[str, str]:
    out = {"name": p.name, "role": p.role, "href": p.url or ""}
    if p.photo:  # published with the episode or the show (see `show.find_asset`), or a URL
        out["img"] = site.url(p.photo)
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
    for feed in feed_files(site):
        writer.write(feed.path, render(site, feed))


def feed_xml(site: Site) -> bytes:
    """The main feed (``feed.xml``), as published."""
    return render(site, feed_files(site)[0])


def render(site: Site, feed: FeedFile) -> bytes:
    """One feed document, as feedgen writes it."""
    fg = _channel(site, feed)
    for view in feed.episodes:  # newest first, as listed
        _fill(fg.add_entry(order="append"), view, site)
    return bytes(fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True))


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
    fg.description(markdown.text(info.description))  # the author's Markdown, as plain text
    fg.language(info.language)
    fg.generator("podkit")
    if info.copyright:
        fg.rights(info.copyright)  # RSS <copyright>
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
        # Never one derived from a URL that is not public (see `pipeline.ensure_podcast_guid`).
        fg.podcastindex.guid = info.guid or (None if not_public(info.url) else podcast_guid(site.url(FEED_PATH)))
    fg.podcastindex.locked = (info.locked, info.email)
    if info.funding_url:
        fg.podcastindex.funding = (info.funding_url, info.funding_text)
    fg.podcast.new_feed_url = info.new_feed_url
    fg.podcast.blocked, fg.podcast.completed = info.block, info.complete
    index = fg.podcastindex
    index.medium = info.medium
    index.license = (info.license, info.license_url) if info.license else None
    index.location = (info.location, info.location_geo, info.location_osm) if info.location else None
    index.txt = list(info.txt)
    index.podroll = [{"feedGuid": entry} if is_uuid(entry) else {"feedGuid": podcast_guid(entry), "feedUrl": entry}
                     for entry in info.podroll]
    index.trailers = [(v.title, {"pubdate": format_datetime(v.date.astimezone(UTC), usegmt=True),
                                 "url": site.url(v.audio_path), "length": str(v.audio_bytes), "type": "audio/mpeg",
                                 **({"season": str(v.episode.season)} if v.episode.season else {})})
                      for v in feed.episodes if v.episode.episode_type == "trailer"]
    fg.history.hub = info.hub
    hosts = {p.name: p for e in site.public for p in e.people if p.role == "host"}
    fg.podcastindex.persons = [_person(p, site) for p in hosts.values()]
    fg.history.links = [(rel, site.url(path)) for rel, path in feed.links]
    fg.history.complete = feed.complete
    return fg


def _fill(fe: Any, view: EpisodeView, site: Site) -> None:
    """One feed item: what the feed says of the episode ``view`` shows."""
    ep, url = view.episode, site.url
    fe.guid(view.guid, permalink=False)
    fe.title(ep.title)
    fe.link(href=url(view.page_path))
    fe.published(ep.date)
    # Plain text for the old readers; content:encoded carries the HTML notes.
    fe.description(view.notes_text.strip() or markdown.text(ep.description) or ep.title)
    fe.content(view.notes_html, type="CDATA")
    fe.enclosure(url(view.audio_path), str(view.audio_bytes), "audio/mpeg")
    itunes = fe.podcast
    itunes.itunes_duration(round(view.duration))
    if ep.description:
        itunes.itunes_subtitle(" ".join(markdown.text(ep.description).split()))
    if ep.number is not None:
        itunes.itunes_episode(ep.number)
        fe.podcastindex.episode = ep.number
    if ep.season is not None:
        itunes.itunes_season(ep.season)
        fe.podcastindex.season = ep.season
    itunes.itunes_episode_type(ep.episode_type)
    itunes.explicit = site.show.info.explicit if ep.explicit is None else ep.explicit
    license = ep.license or site.show.info.license
    fe.podcastindex.license = (license, "" if ep.license else site.show.info.license_url) if license else None
    fe.podcastindex.soundbites = [(b.start, b.duration, b.title) for b in view.soundbites]
    if view.cover_path is not None:
        itunes.itunes_image(url(view.cover_path))
    language = site.show.info.language
    fe.podcastindex.transcripts = [
        {"url": url(link.path), "type": link.mime, "language": language,
         **({"rel": "captions"} if link.name in CAPTIONS else {})}
        for link in map(view.file, TRANSCRIPT_FORMATS) if link]
    chapters = view.file("chapters")
    if chapters is not None and view.chapters:
        fe.podcastindex.chapters = url(chapters.path)
    fe.podlove.chapters = [(c.start, c.title) for c in view.chapters]
    # An item's podcast:person list replaces the channel's, so it names the hosts as well as the guests.
    fe.podcastindex.persons = [_person(p, site) for p in ep.people]
