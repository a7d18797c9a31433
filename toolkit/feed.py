"""The podcast feed (RSS 2.0 with the iTunes and Podcast Index namespaces), built with feedgen.

feedgen is extended through its own extension API: `ItunesExtension` fixes its yes/no-only
``itunes:explicit`` (Apple wants true/false), and `PodcastIndexExtension` adds the
``podcast:`` namespace (guid, locked, transcripts, chapters, persons).
"""

from __future__ import annotations

import uuid
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.ext.podcast import PodcastExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from .views import EpisodeView, Site
from .writer import Writer

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


def podcast_guid(feed_url: str) -> str:
    """The Podcast Index rule: UUIDv5 of the feed URL without scheme and trailing slashes."""
    bare = feed_url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


class ItunesExtension(PodcastExtension):  # type: ignore[misc]
    """feedgen's iTunes extension, with ``itunes:explicit`` written as true/false."""

    explicit: bool | None = None

    def extend_rss(self, rss_feed: Any) -> Any:
        rss_feed = super().extend_rss(rss_feed)
        if self.explicit is not None:
            channel = rss_feed[0]
            xml_elem(f"{{{ITUNES_NS}}}explicit", channel).text = "true" if self.explicit else "false"
        return rss_feed


class ItunesEntryExtension(PodcastEntryExtension):  # type: ignore[misc]
    explicit: bool | None = None

    def extend_rss(self, entry: Any) -> Any:
        entry = super().extend_rss(entry)
        if self.explicit is not None:
            xml_elem(f"{{{ITUNES_NS}}}explicit", entry).text = "true" if self.explicit else "false"
        return entry


class PodcastIndexExtension(BaseExtension):  # type: ignore[misc]
    """Channel-level tags of the Podcast Index namespace."""

    def __init__(self) -> None:
        self.guid: str | None = None
        self.locked: tuple[bool, str] | None = None
        self.persons: list[dict[str, str]] = []

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        if self.locked is not None:
            el = xml_elem(f"{{{PODCAST_NS}}}locked", channel)
            el.text = "yes" if self.locked[0] else "no"
            el.attrib["owner"] = self.locked[1]
        if self.guid:
            xml_elem(f"{{{PODCAST_NS}}}guid", channel).text = self.guid
        _persons(channel, self.persons)
        return rss_feed


class PodcastIndexEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.transcripts: list[dict[str, str]] = []
        self.chapters: str | None = None
        self.persons: list[dict[str, str]] = []

    def extend_rss(self, entry: Any) -> Any:
        for attrs in self.transcripts:
            el = xml_elem(f"{{{PODCAST_NS}}}transcript", entry)
            el.attrib.update(attrs)
        if self.chapters:
            el = xml_elem(f"{{{PODCAST_NS}}}chapters", entry)
            el.attrib.update({"url": self.chapters, "type": "application/json+chapters"})
        _persons(entry, self.persons)
        return entry


def _persons(parent: Any, persons: list[dict[str, str]]) -> None:
    for person in persons:
        el = xml_elem(f"{{{PODCAST_NS}}}person", parent)
        el.text = person["name"][:128]
        el.attrib.update({k: v for k, v in person.items() if k != "name" and v})


def _person(p: Any, site: Site) -> dict[str, str]:
    out = {"name": p.name, "role": p.role, "href": p.url or ""}
    if p.img:
        out["img"] = site.url(p.img) if "://" not in p.img else p.img
    return out


FEED_PATH = "feed.xml"


def write_feeds(site: Site, writer: Writer) -> None:
    """Every feed file of the site."""
    writer.write(FEED_PATH, feed_xml(site))


def feed_xml(site: Site) -> bytes:
    """The feed of every published episode, newest first."""
    info = site.show.info
    feed_url = site.url(FEED_PATH)
    fg = FeedGenerator()
    fg.register_extension("podcast", ItunesExtension, ItunesEntryExtension)
    fg.register_extension("podcastindex", PodcastIndexExtension, PodcastIndexEntryExtension)
    fg.title(info.title)
    fg.link(href=site.base_url, rel="alternate")
    fg.link(href=feed_url, rel="self", type="application/rss+xml")
    fg.description(info.description)
    fg.language(info.language)
    fg.generator("podkit")
    fg.lastBuildDate(site.built)
    fg.podcast.itunes_author(info.author)
    fg.podcast.itunes_owner(name=info.author, email=info.email)
    fg.podcast.itunes_image(site.url(site.artwork_path))
    fg.image(url=site.url(site.artwork_path), title=info.title, link=site.base_url)
    fg.podcast.itunes_category(info.category, info.subcategory)
    fg.podcast.itunes_type("episodic")
    fg.podcast.explicit = info.explicit
    fg.podcastindex.guid = podcast_guid(feed_url)
    fg.podcastindex.locked = (True, info.email)
    hosts = {p.name: p for e in site.public for p in e.people if p.role == "host"}
    fg.podcastindex.persons = [_person(p, site) for p in hosts.values()]

    # feedgen prepends entries; add oldest first so the feed reads newest first.
    for view in reversed(site.public):
        _entry(fg, view, site)
    return bytes(fg.rss_str(pretty=True))


def _entry(fg: FeedGenerator, view: EpisodeView, site: Site) -> None:
    ep = view.episode
    fe = fg.add_entry()
    fe.guid(view.guid, permalink=False)
    fe.title(ep.title)
    fe.link(href=site.url(view.page_path))
    fe.published(ep.date)
    fe.description(view.notes_text or ep.description or ep.title)
    fe.content(view.notes_html, type="CDATA")
    fe.enclosure(site.url(view.audio_path), str(view.audio_bytes), "audio/mpeg")
    fe.podcast.itunes_duration(round(view.duration))
    if ep.number is not None:
        fe.podcast.itunes_episode(ep.number)
    fe.podcast.itunes_episode_type("full")
    if ep.description:
        fe.podcast.itunes_summary(ep.description)
    transcripts = []
    for link in view.files:
        if link.name == "chapters":
            fe.podcastindex.chapters = site.url(link.path)
        elif link.name in ("vtt", "srt", "json", "html"):
            attrs = {"url": site.url(link.path), "type": link.mime, "language": site.show.info.language}
            if link.name == "vtt":
                attrs["rel"] = "captions"
            transcripts.append(attrs)
    fe.podcastindex.transcripts = transcripts
    fe.podcastindex.persons = [_person(p, site) for p in ep.people if p.role == "guest"]
