"""An RSS podcast feed read into plain dataclasses: the channel and its items, as the feed says them.

Read with lxml (already podkit's through feedgen) rather than a feed-reading library, because
importing needs what those normalise away or leave out: the item's guid exactly as written (apps
deduplicate on it, so a changed byte re-downloads an episode), a missing guid reported rather than
replaced by the enclosure's URL, the channel's ``podcast:guid`` and funding, every transcript of an
item (feedparser keeps only the last), and the Podcast Index tags under both the namespace's URL
and its old GitHub one. Entities are not resolved and nothing is fetched while parsing.

Hosts do publish feeds that use the ``itunes:`` or ``podcast:`` prefix without declaring it; such a
feed (and nothing worse) is read leniently, with the well-known prefixes given their namespaces.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
PODCAST_OLD = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
PSC = "http://podlove.org/simple-chapters"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
ATOM = "http://www.w3.org/2005/Atom"
GOOGLEPLAY = "http://www.google.com/schemas/play-podcasts/1.0"
# The prefixes hosts use without declaring them, and what they mean.
PREFIXES = {"itunes": ITUNES, "podcast": PODCAST, "psc": PSC, "content": CONTENT, "atom": ATOM}


class NotAFeed(ValueError):
    """The document is not an RSS feed podkit can read; the message says why."""


@dataclass(frozen=True)
class Link:
    url: str
    type: str = ""
    length: int | None = None
    language: str = ""
    rel: str = ""


@dataclass(frozen=True)
class PscChapter:
    start: float
    title: str


@dataclass(frozen=True)
class Person:
    """A podcast:person of an item: who is on the episode."""

    name: str
    role: str = "host"
    href: str = ""
    img: str = ""


@dataclass(frozen=True)
class Item:
    """One <item>, as the feed gives it; ``guid`` is None when the item has none."""

    index: int  # its place in the feed, from 1, for messages
    guid: str | None
    title: str
    date: datetime | None
    date_text: str
    html: str  # content:encoded, else description (HTML or plain text)
    subtitle: str
    enclosure: Link | None
    season: int | None = None
    number: int | None = None
    episode_type: str = "full"
    explicit: bool | None = None
    image: str = ""
    link: str = ""
    chapters_url: Link | None = None
    psc_chapters: tuple[PscChapter, ...] = ()
    transcripts: tuple[Link, ...] = ()
    people: tuple[Person, ...] = ()

    @property
    def name(self) -> str:
        """How a message names the item."""
        return f"item {self.index} ({self.title!r})" if self.title else f"item {self.index}"


@dataclass(frozen=True)
class Channel:
    title: str
    link: str
    description: str
    language: str
    author: str
    owner_name: str
    owner_email: str
    categories: tuple[tuple[str, str | None], ...]  # (category, subcategory)
    explicit: bool
    type: str
    copyright: str
    image: str
    guid: str
    funding: Link | None
    new_feed_url: str
    items: tuple[Item, ...] = field(default=())


def _text(el: Any, path: str) -> str:
    found = el.find(path, NS)
    return (found.text or "").strip() if found is not None and found.text else ""


NS = {"itunes": ITUNES, "podcast": PODCAST, "psc": PSC, "content": CONTENT, "atom": ATOM, "gp": GOOGLEPLAY}


def _bool(value: str) -> bool | None:
    value = value.strip().lower()
    if value in ("true", "yes", "explicit"):
        return True
    if value in ("false", "no", "clean"):
        return False
    return None


def _int(value: str) -> int | None:
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 1 else None


def parse_date(text: str) -> datetime | None:
    """An RSS date (RFC 2822, as the specification says) or, as some hosts write, ISO 8601."""
    text = text.strip()
    if not text:
        return None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_npt(text: str) -> float | None:
    """A Podlove chapter start (normal play time: seconds, MM:SS or HH:MM:SS, with a fraction)."""
    parts = text.strip().split(":")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    if not 1 <= len(numbers) <= 3 or any(n < 0 for n in numbers):
        return None
    seconds = 0.0
    for n in numbers:
        seconds = seconds * 60 + n
    return seconds


def _image(el: Any) -> str:
    """An itunes:image's address: its href, or (as some feeds write it) its text."""
    if el is None:
        return ""
    return str(el.get("href") or el.text or "").strip()


def _link(el: Any) -> Link | None:
    if el is None or not (el.get("url") or "").strip():
        return None
    length = (el.get("length") or "").strip()
    return Link(el.get("url").strip(), (el.get("type") or "").strip(),
                int(length) if length.isdigit() else None, (el.get("language") or "").strip(),
                (el.get("rel") or "").strip())


def _tree(data: bytes) -> Any:
    """The document's root; a feed whose only flaw is an undeclared well-known prefix is repaired."""
    strict = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        return etree.fromstring(data, strict)
    except etree.XMLSyntaxError as exc:
        if "Namespace prefix" not in str(exc):
            raise NotAFeed(f"not well-formed XML: {exc}") from exc
    lenient = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    root = etree.fromstring(data, lenient)
    if root is None or any(e.type_name != "NS_ERR_UNDEFINED_NAMESPACE" for e in lenient.error_log):
        raise NotAFeed("not well-formed XML")
    for el in root.iter():
        if isinstance(el.tag, str) and ":" in el.tag and not el.tag.startswith("{"):
            prefix, local = el.tag.split(":", 1)
            if prefix in PREFIXES:
                el.tag = f"{{{PREFIXES[prefix]}}}{local}"
    return root


def _old_namespace(root: Any) -> None:
    """Podcast Index tags under the namespace's first (GitHub) URL, read as the current namespace."""
    for el in root.iter(f"{{{PODCAST_OLD}}}*"):
        el.tag = f"{{{PODCAST}}}{etree.QName(el).localname}"


def parse(data: bytes) -> Channel:
    """The channel and items of an RSS feed. Raises `NotAFeed`."""
    root = _tree(data)
    _old_namespace(root)
    if etree.QName(root).localname != "rss":
        raise NotAFeed(f"the document is <{etree.QName(root).localname}>, not an RSS feed (<rss>)")
    channel = root.find("channel")
    if channel is None:
        raise NotAFeed("the feed has no <channel>")
    categories = []
    for cat in channel.findall("itunes:category", NS):
        sub = cat.find("itunes:category", NS)
        subcategory = (sub.get("text") or "").strip() if sub is not None else None
        categories.append(((cat.get("text") or "").strip(), subcategory))
    image_url = _image(channel.find("itunes:image", NS))
    funding = channel.find("podcast:funding", NS)
    items = tuple(_item(i, el) for i, el in enumerate(channel.findall("item"), 1))
    return Channel(
        title=_text(channel, "title"), link=_text(channel, "link"),
        description=_text(channel, "description") or _text(channel, "itunes:summary"),
        language=_text(channel, "language"),
        author=_text(channel, "itunes:author"), owner_name=_text(channel, "itunes:owner/itunes:name"),
        owner_email=_text(channel, "itunes:owner/itunes:email"), categories=tuple(categories),
        explicit=bool(_bool(_text(channel, "itunes:explicit"))), type=_text(channel, "itunes:type").lower(),
        copyright=_text(channel, "copyright"), image=image_url or _text(channel, "image/url"),
        guid=_text(channel, "podcast:guid"),
        funding=Link(funding.get("url").strip(), (funding.text or "").strip())
        if funding is not None and funding.get("url") else None,
        new_feed_url=_text(channel, "itunes:new-feed-url"), items=items)


def _item(index: int, el: Any) -> Item:
    guid_el = el.find("guid")
    # The guid exactly as written: only a guid that is all white space counts as none.
    guid = guid_el.text if guid_el is not None and guid_el.text and guid_el.text.strip() else None
    date_text = _text(el, "pubDate")
    psc = []
    for ch in el.findall("psc:chapters/psc:chapter", NS):
        start = parse_npt(ch.get("start") or "")
        if start is not None:
            psc.append(PscChapter(start, (ch.get("title") or "").strip()))
    transcripts = tuple(t for t in map(_link, el.findall("podcast:transcript", NS)) if t)
    return Item(
        index=index, guid=guid, title=_text(el, "title") or _text(el, "itunes:title"),
        date=parse_date(date_text), date_text=date_text,
        html=_text(el, "content:encoded") or _text(el, "description") or _text(el, "itunes:summary"),
        subtitle=_text(el, "itunes:subtitle"), enclosure=_link(el.find("enclosure")),
        season=_int(_text(el, "itunes:season") or _text(el, "podcast:season")),
        number=_int(_text(el, "itunes:episode") or _text(el, "podcast:episode")),
        episode_type=(_text(el, "itunes:episodeType").lower() or "full"),
        explicit=_bool(_text(el, "itunes:explicit")),
        image=_image(el.find("itunes:image", NS)),
        link=_text(el, "link"), chapters_url=_link(el.find("podcast:chapters", NS)),
        psc_chapters=tuple(psc), transcripts=transcripts,
        people=tuple(Person(plain(p.text or ""), (p.get("role") or "host").strip().lower(),
                            (p.get("href") or "").strip(), (p.get("img") or "").strip())
                     for p in el.findall("podcast:person", NS) if (p.text or "").strip()))


def episode_type(value: str) -> str:
    return value if value in ("full", "trailer", "bonus") else "full"


def plain(text: str) -> str:
    """White space collapsed: how a title or subtitle reads in one line."""
    return re.sub(r"\s+", " ", text).strip()
