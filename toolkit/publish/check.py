"""`podkit check`: the show, its episodes and the built feed, against what listeners' apps expect.

Every problem is reported at once, one line each (``path[:line]: error|warning: message (hint)``).
Errors are what Apple or the Podcast Index would reject or what breaks an app (a wrong enclosure
length, a duplicate guid, ``itunes:explicit`` as yes/no); warnings are what they recommend.
The rules are those of Apple Podcasts, the RSS 2.0 specification and the Podcast Index namespace;
the feed is read as raw XML (lxml), so nothing a library tolerates is let through.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from toolkit import placeholders
from toolkit.audio.artwork import artwork_problems, conform
from toolkit.config import LANGUAGE_RE, Key, KeyLines, is_uuid, line_of, not_public
from toolkit.content.formats import timestamp
from toolkit.errors import PodkitError, Problem
from toolkit.publish.categories import CATEGORIES, category_problem
from toolkit.publish.feed import FEED_PATH, podcast_guid
from toolkit.show import Episode, Show, load_show, read_episode_file

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
FH = "http://purl.org/syndication/history/1.0"
NS = {"itunes": ITUNES, "podcast": PODCAST, "atom": ATOM, "content": CONTENT, "fh": FH}
SCHEMA = Path(__file__).parent / "schemas" / "podcast.xsd"
MAX_DESCRIPTION = 4000  # bytes: Apple's limit for the show's and each episode's description
AUDIO_TYPES = ("audio/mpeg", "audio/x-m4a", "audio/mp4", "audio/aac", "audio/ogg", "audio/opus")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# RFC 2822 section 3.3 (day name optional, seconds optional, numeric or obsolete zone).
RFC2822_RE = re.compile(
    r"^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|GMT|UT|[ECMP][SD]T|Z)$")

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    problem: Problem

    def __str__(self) -> str:
        return f"{self.severity}: {self.problem}"


@dataclass
class Report:
    """What `check` found, and what it wrote when asked to fix artwork."""

    findings: list[Finding] = field(default_factory=list)
    fixed: list[tuple[Path, Path]] = field(default_factory=list)  # (artwork, conforming copy)
    summary: str = ""

    def error(self, message: str, path: Path | None = None, line: int | None = None, hint: str | None = None) -> None:
        self.findings.append(Finding("error", Problem(message, path, line, hint)))

    def warning(self, message: str, path: Path | None = None, line: int | None = None,
                hint: str | None = None) -> None:
        self.findings.append(Finding("warning", Problem(message, path, line, hint)))

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def exit_code(self, strict: bool = False) -> int:
        return 1 if self.errors or (strict and self.warnings) else 0

    def lines(self) -> list[str]:
        out = [str(f) for f in self.findings]
        out += [f"wrote {copy}: a conforming copy of {src.name}; point the settings at it" for src, copy in self.fixed]
        if self.findings:
            n_err, n_warn = len(self.errors), len(self.warnings)
            out.append(f"{n_err} error{'s' * (n_err != 1)}, {n_warn} warning{'s' * (n_warn != 1)}")
        else:
            out.append(self.summary or "ok: no problems found")
        return out


def check(root: Path, *, fix_artwork: bool = False, strict: bool = False) -> Report:
    """Check the show in ``root``, its episodes and (if built) its feeds.

    Input that does not load at all (bad TOML, a missing audio file, ...) raises `InvalidShow` with
    every such problem, as every other command does; everything past that is a finding. ``strict``
    is the gate before publishing: what a listener would see as unfinished is an error too (see
    `gate`), and the caller fails on warnings.
    """
    report = Report()
    show = load_show(root)
    _check_show(show, report, fix_artwork)
    _check_chapters(show, report)
    if strict:
        gate(show, report)
    public = show.output
    feeds = sorted(public.glob("feed*.xml")) if public.is_dir() else []
    items = 0
    guids_in_feeds: set[str] = set()
    for path in feeds:
        items += FeedCheck(path, public, show.info.url, report).run(guids_in_feeds)
    _check_feed_against_show(show, feeds, guids_in_feeds, report)
    built = f", {len(feeds)} feed file(s) with {items} item(s)" if feeds else ", no feed built yet"
    report.summary = f"ok: {show.info.title!r}, {len(show.episodes)} episode(s){built}, no problems found"
    return report


def _line(path: Path, key: str) -> int | None:
    """The line of ``key = ...`` in a TOML file, for messages about a setting."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for i, text in enumerate(lines, 1):
        if re.match(rf"\s*{re.escape(key)}\s*=", text):
            return i
    return None


def _check_show(show: Show, report: Report, fix_artwork: bool) -> None:
    info, config = show.info, show.config_path
    size = len(info.description.encode("utf-8"))
    if size > MAX_DESCRIPTION:
        report.error(f"[show] description is {size} bytes; Apple allows {MAX_DESCRIPTION}", config,
                     _line(config, "description"), "shorten it")
    found = category_problem(info.category, info.subcategory)
    if found:
        key = "subcategory" if info.category in CATEGORIES else "category"
        report.error(f"[show] {found[0]}", config, _line(config, key), found[1])
    if not EMAIL_RE.match(info.email):
        report.error(f"[show] email {info.email!r} is not an e-mail address", config, _line(config, "email"),
                     "itunes:owner and podcast:locked need one that works")
    local = local_guid_source(config, info.guid, info.url)
    if local:
        report.error(f"[show] guid {info.guid} was derived from {local}, which is not a public address: "
                     "every show built there has this guid", config, _line(config, "guid"),
                     "delete the guid line; the next build with the public url stores the right one")
    if not not_public(info.url) and not info.guid and (show.output / "feed.xml").is_file():
        report.warning("[show] guid is missing; the next build computes it from the current url", config,
                       hint="if the feed has moved, copy podcast:guid from the old feed into [show] guid")
    _artwork(show.artwork, report, fix_artwork)
    for ep in show.episodes:
        if ep.image is not None:
            _artwork(ep.image, report, fix_artwork)
        size = len(ep.description.encode("utf-8"))
        if size > MAX_DESCRIPTION:
            report.error(f"description is {size} bytes; Apple allows {MAX_DESCRIPTION}", ep.source,
                         hint="keep it to a sentence or two; the show notes go below the front matter")


LOCAL_FEEDS = tuple(f"http://{host}{port}/feed.xml" for host in ("localhost", "127.0.0.1", "0.0.0.0")
                    for port in ("", ":8000", ":8080", ":8888", ":3000", ":4000", ":5000", ":1313"))


def local_guid_source(config: Path, guid: str, url: str) -> str | None:
    """The local feed URL ``guid`` is the podcast:guid of, if it is one: the show's url while it is
    not public, the url the build wrote in the guid line's comment, or a local server's usual address."""
    if not guid:
        return None
    candidates = [*LOCAL_FEEDS]
    if not_public(url):
        candidates.insert(0, (url if url.endswith("/") else url + "/") + FEED_PATH)
    line = _line(config, "guid")
    if line is not None:
        m = re.search(r"podcast:guid of (\S+)", config.read_text(encoding="utf-8").splitlines()[line - 1])
        if m and not_public(m.group(1)):
            candidates.insert(0, m.group(1))
    return next((c for c in candidates if podcast_guid(c) == guid), None)


def _front_matter_lines(ep: Episode) -> tuple[KeyLines | None, list[str]]:
    """The line of each key of ``ep``'s front matter, and the file's lines, for messages."""
    parsed = read_episode_file(ep.source)
    text = ep.source.read_text(encoding="utf-8-sig").splitlines()
    return (None if isinstance(parsed, Problem) else parsed[2]), text


def _check_chapters(show: Show, report: Report) -> None:
    """The author's chapters start before the end of the recording (they are in time order, or the
    show would not have loaded): one past the end would point apps at nothing."""
    from toolkit.media import probe

    for ep in show.episodes:
        if not ep.chapters or not ep.tracks:
            continue
        try:
            length = max(probe(track).duration for track in ep.tracks)
        except PodkitError as exc:
            report.findings.append(Finding("error", exc.problem))
            continue
        lines: Mapping[Key, int] = _front_matter_lines(ep)[0] or {}
        for i, chapter in enumerate(ep.chapters):
            if chapter.start >= length:
                report.error(f"chapter #{i + 1} {chapter.title!r} starts at {timestamp(chapter.start)}, after the end "
                             f"of the recording ({timestamp(length)})", ep.source,
                             line_of(lines, ("chapters", i, "start")), "fix its start, or remove it")


def gate(show: Show, report: Report) -> None:
    """`check --strict`: what Apple or the Podcast Index would reject, or a listener would see as
    unfinished, in the sources: a url that is not public, the placeholders `init` and `new` wrote
    (see `placeholders`), and a feed with no episode in it."""
    info, config = show.info, show.config_path
    why = not_public(info.url)
    if why:
        report.error(f"[show] url {info.url} is not a public address ({why})", config, _line(config, "url"),
                     "set it to where the site will be published before publishing")
    for key, value in placeholders.SHOW_VALUES.items():
        if getattr(info, key).strip() == value:
            report.error(f"[show] {key} is still the placeholder {value!r} from `podkit init`", config,
                         _line(config, key), f"write the show's own {key}")
    if show.artwork.is_file() and placeholders.is_placeholder_artwork(show.artwork):
        report.error("the artwork is still the placeholder `podkit init` drew", show.artwork,
                     hint="make the show's own cover: square JPEG or PNG, 1400-3000 px")
    for ep in show.episodes:
        lines, text = _front_matter_lines(ep)
        at = functools.partial(line_of, lines or {})
        if ep.description.strip() == placeholders.EPISODE_DESCRIPTION:
            report.error("the description is still the placeholder from `podkit new`", ep.source,
                         at(("description",)), "one or two sentences about this episode")
        if placeholders.NOTES in ep.notes:
            line = next((i for i, t in enumerate(text, 1) if placeholders.NOTES in t), None)
            report.error("the show notes are still the placeholder from `podkit new`", ep.source, line,
                         "write the notes below the front matter")
        for i, person in enumerate(ep.people):
            if person.name in placeholders.PERSON_NAMES:
                report.error(f"[[people]] #{i + 1} is still the placeholder {person.name!r}", ep.source,
                             at(("people", i, "name")), "the person's real name")
            if person.bio and person.bio.strip() == placeholders.PERSON_BIO:
                report.error(f"{person.name}'s bio is still the placeholder", ep.source, at(("people", i, "bio")))
            if person.url and not_public(person.url):
                report.error(f"{person.name}'s url {person.url} is not a public address", ep.source,
                             at(("people", i, "url")))
    now = datetime.now(UTC)
    if not any(ep.is_published(now) for ep in show.episodes):
        report.error("the feed would have no episode: every one is a draft or dated in the future"
                     if show.episodes else "the feed would have no episode", show.root / "episodes",
                     hint="Apple and the Podcast Index reject an empty feed; add one with `podkit new`")


def _artwork(path: Path, report: Report, fix: bool) -> None:
    problems = artwork_problems(path)
    for p in problems:
        report.findings.append(Finding("error", p))
    fixable = problems and all("podkit check --fix-artwork" in (p.hint or "") or "rename" in (p.hint or "")
                               for p in problems)
    if fix and fixable:
        try:
            report.fixed.append((path, conform(path)))
        except PodkitError as exc:
            report.findings.append(Finding("error", exc.problem))


def _check_feed_against_show(show: Show, feeds: list[Path], guids: set[str], report: Report) -> None:
    """The built feed lists exactly the published episodes: nothing missing, no draft leaked."""

    if not feeds:
        return
    for ep in show.episodes:
        published = ep.is_published(datetime.now(UTC))
        if ep.guid and published and ep.guid not in guids:
            report.warning(f"episode {ep.slug!r} is not in the built feed", ep.source, hint="run `podkit build`")
        elif ep.guid and not published and ep.guid in guids:
            why = "a draft" if ep.draft else "scheduled for later"
            report.error(f"episode {ep.slug!r} is {why} but the built feed lists it", ep.source,
                         hint="run `podkit build` to take it out")


class FeedCheck:
    """The checks of one built feed document, read as raw XML."""

    def __init__(self, path: Path, public: Path, base_url: str, report: Report) -> None:
        self.path, self.public, self.report = path, public, report
        self.base_url = base_url if not base_url or base_url.endswith("/") else base_url + "/"

    def error(self, message: str, el: Any = None, hint: str | None = None) -> None:
        self.report.error(message, self.path, getattr(el, "sourceline", None), hint)

    def warning(self, message: str, el: Any = None, hint: str | None = None) -> None:
        self.report.warning(message, self.path, getattr(el, "sourceline", None), hint)

    def run(self, guids_seen: set[str]) -> int:
        """Check the document; returns how many items it has and adds their guids to ``guids_seen``."""
        from lxml import etree  # type: ignore[import-untyped,unused-ignore]  # no stubs in the dev set

        try:
            tree = etree.parse(str(self.path), etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as exc:
            self.report.error(f"not well-formed XML: {exc.msg}", self.path, exc.lineno,
                              "rebuild with `podkit build`")
            return 0
        rss = tree.getroot()
        channel = rss.find("channel")
        if rss.tag != "rss" or rss.get("version") != "2.0" or channel is None:
            self.error("not an RSS 2.0 feed (<rss version=\"2.0\"><channel>)", rss)
            return 0
        if not self.base_url:
            link = channel.findtext("link") or ""
            self.base_url = link if link.endswith("/") else link + "/"
        self._channel(channel)
        items = channel.findall("item")
        seen: dict[str, int] = {}
        for item in items:
            self._item(item, seen)
        guids_seen.update(seen)
        self._schema(rss)
        return len(items)

    def _local(self, url: str) -> Path | None:
        """The published file behind a URL of this site, or None for a URL elsewhere."""
        if not self.base_url or not url.startswith(self.base_url):
            return None
        rel = unquote(urlsplit(url).path[len(urlsplit(self.base_url).path):])
        return self.public / rel if rel else None

    def _resolves(self, url: str | None, what: str, el: Any) -> Path | None:
        if not url:
            self.error(f"{what} has no URL", el)
            return None
        if not re.match(r"^https?://[^/]+", url):
            self.error(f"{what} URL is not absolute: {url!r}", el, "apps fetch it from anywhere")
            return None
        local = self._local(url)
        if local is not None and not local.is_file():
            self.error(f"{what} {url} does not resolve to a published file", el, "rebuild with `podkit build`")
            return None
        return local

    def _channel(self, ch: Any) -> None:
        for tag in ("title", "link", "description", "language"):
            if not (ch.findtext(tag) or "").strip():
                self.error(f"the channel has no <{tag}>", ch)
        size = len((ch.findtext("description") or "").encode("utf-8"))
        if size > MAX_DESCRIPTION:
            self.error(f"the channel's description is {size} bytes; Apple allows {MAX_DESCRIPTION}",
                       ch.find("description"))
        language = (ch.findtext("language") or "").strip()
        if language and not LANGUAGE_RE.match(language):
            self.error(f"<language> {language!r} is not an ISO 639 code", ch.find("language"))
        image = ch.find("itunes:image", NS)
        if image is None:
            self.error("the channel has no <itunes:image>", ch, "Apple requires cover art")
        else:
            self._image(image)
        cats = ch.findall("itunes:category", NS)
        if not cats:
            self.error("the channel has no <itunes:category>", ch)
        for cat in cats:
            subs = cat.findall("itunes:category", NS) or [None]
            for sub in subs:
                found = category_problem(cat.get("text", ""), sub.get("text") if sub is not None else None)
                if found:
                    self.error(found[0], sub if sub is not None else cat, found[1])
        self._explicit(ch.find("itunes:explicit", NS), required=True, parent=ch)
        if ch.find("atom:link[@rel='self']", NS) is None:
            self.error('the channel has no <atom:link rel="self">', ch)
        if not (ch.findtext("itunes:author", namespaces=NS) or "").strip():
            self.warning("the channel has no <itunes:author>", ch)
        owner = ch.find("itunes:owner", NS)
        if owner is None or not (owner.findtext("itunes:email", namespaces=NS) or "").strip():
            self.warning("the channel has no <itunes:owner> with an <itunes:email>", ch)
        kind = ch.find("itunes:type", NS)
        if kind is None:
            self.warning("the channel has no <itunes:type>", ch)
        elif kind.text not in ("episodic", "serial"):
            self.error(f"<itunes:type> is {kind.text!r}, not episodic or serial", kind)
        locked = ch.find("podcast:locked", NS)
        if locked is None:
            self.warning("the channel has no <podcast:locked>", ch)
        elif not locked.get("owner"):
            self.warning("<podcast:locked> has no owner e-mail", locked)
        guid = ch.find("podcast:guid", NS)
        complete = ch.find("fh:complete", NS) is not None
        if guid is None and not complete and not not_public(self.base_url):  # reported with the url
            self.warning("the channel has no <podcast:guid>", ch)
        elif guid is not None and not is_uuid(guid.text or ""):
            self.error(f"<podcast:guid> {guid.text!r} is not a UUID", guid)

    def _image(self, el: Any) -> None:
        href = el.get("href") or ""
        if not re.search(r"\.(jpg|png)$", urlsplit(href).path, re.I):
            self.error(f"itunes:image URL must end in .jpg or .png: {href!r}", el)
        local = self._resolves(href, "itunes:image", el)
        if local is not None:
            for p in artwork_problems(local):
                self.error(f"the published artwork {local.name}: {p.message}", el,
                           "fix the source artwork, then rebuild")

    def _explicit(self, el: Any, *, required: bool, parent: Any) -> None:
        if el is None:
            if required:
                self.error("no <itunes:explicit>", parent, "Apple requires true or false")
        elif (el.text or "").strip() not in ("true", "false"):
            self.error(f"<itunes:explicit> is {el.text!r}, not true or false", el,
                       "Apple no longer accepts yes, no or clean")

    def _item(self, item: Any, seen: dict[str, int]) -> None:
        title = (item.findtext("title") or "").strip()
        name = f"item {title!r}" if title else "an item"
        if not title:
            self.error("an item has no <title>", item)
        guid = item.find("guid")
        value = (guid.text or "").strip() if guid is not None else ""
        if not value:
            self.error(f"{name} has no <guid>", item, "apps identify episodes by it")
        elif value in seen:
            self.error(f"{name}: guid {value!r} is also the guid of the item on line {seen[value]}",
                       guid, "each episode needs its own; delete the copied episode.guid")
        else:
            seen[value] = item.sourceline
        self._enclosure(item, name)
        date = item.find("pubDate")
        if date is None:
            self.warning(f"{name} has no <pubDate>", item)
        elif not _is_rfc2822(date.text or ""):
            self.error(f"{name}: <pubDate> {date.text!r} is not an RFC 2822 date", date,
                       "e.g. Wed, 15 Jun 2019 19:00:00 GMT")
        duration = item.find("itunes:duration", NS)
        if duration is None:
            self.warning(f"{name} has no <itunes:duration>", item)
        elif not re.fullmatch(r"\d+", (duration.text or "").strip()):
            self.error(f"{name}: <itunes:duration> {duration.text!r} is not whole seconds", duration)
        for tag in ("itunes:episode", "itunes:season", "podcast:season"):
            el = item.find(tag, NS)
            if el is not None and not re.fullmatch(r"[1-9]\d*", (el.text or "").strip()):
                self.error(f"{name}: <{tag}> {el.text!r} is not a whole number from 1", el)
        kind = item.find("itunes:episodeType", NS)
        if kind is not None and kind.text not in ("full", "trailer", "bonus"):
            self.error(f"{name}: <itunes:episodeType> {kind.text!r} is not full, trailer or bonus", kind)
        self._explicit(item.find("itunes:explicit", NS), required=False, parent=item)
        image = item.find("itunes:image", NS)
        if image is not None:
            self._image(image)
        text = item.findtext("description") or ""
        if not text.strip() and item.find("content:encoded", NS) is None:
            self.warning(f"{name} has no <description> or <content:encoded> show notes", item)
        if len(text.encode("utf-8")) > MAX_DESCRIPTION:
            self.warning(f"{name}: <description> is over {MAX_DESCRIPTION} bytes; Apple cuts it off",
                         item.find("description"))
        for el in item.findall("podcast:transcript", NS):
            self._resolves(el.get("url"), f"{name}: podcast:transcript ({el.get('type')})", el)
        for el in item.findall("podcast:chapters", NS):
            self._resolves(el.get("url"), f"{name}: podcast:chapters", el)

    def _enclosure(self, item: Any, name: str) -> None:
        enclosures = item.findall("enclosure")
        if len(enclosures) != 1:
            self.error(f"{name} has {len(enclosures)} <enclosure> elements, not one", item)
            return
        enc = enclosures[0]
        kind = enc.get("type", "")
        if kind == "audio/mp3":
            self.error(f"{name}: enclosure type audio/mp3 is wrong", enc, "it is audio/mpeg")
        elif kind not in AUDIO_TYPES:
            self.error(f"{name}: enclosure type {kind!r} is not an audio type apps play", enc, "audio/mpeg")
        length = enc.get("length", "")
        if not re.fullmatch(r"\d+", length) or int(length) == 0:
            self.error(f"{name}: enclosure length {length!r} is not the file's size in bytes", enc)
            return
        local = self._resolves(enc.get("url"), f"{name}: enclosure", enc)
        if local is not None and local.stat().st_size != int(length):
            self.error(f"{name}: enclosure length {length} but {local.name} is {local.stat().st_size} bytes", enc,
                       "rebuild with `podkit build`")

    def _schema(self, rss: Any) -> None:
        """Every podcast:* element against the namespace's schema (toolkit/schemas/podcast.xsd)."""
        from copy import deepcopy

        schema = _schema()
        for el in rss.iter(f"{{{PODCAST}}}*"):
            if not schema.validate(deepcopy(el)):
                message = schema.error_log.last_error.message if schema.error_log.last_error else "invalid"
                self.error(f"<podcast:{el.tag.split('}')[1]}> breaks the Podcast Index schema: {message}", el)


@functools.cache
def _schema() -> Any:
    from lxml import etree  # type: ignore[import-untyped,unused-ignore]  # no stubs in the dev set

    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def _is_rfc2822(text: str) -> bool:
    text = text.strip()
    if not RFC2822_RE.match(text):
        return False
    try:
        parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return False
    return True

