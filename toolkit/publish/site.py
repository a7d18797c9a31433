"""What the site and the feed are rendered from: one view of each built episode.

Paths are relative to the site root (``public/``); `Site.url` makes them absolute under the
show's public URL, as the feed needs.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin

from toolkit.audio.clips import clip_name
from toolkit.content import formats, notes
from toolkit.content.make import Content
from toolkit.content.soundbites import choose
from toolkit.files import default_templates, repr_digest
from toolkit.publish import thumbs
from toolkit.show import Chapter, Episode, Person, Show


@dataclass(frozen=True)
class FileLink:
    """A published file of an episode: a transcript format or the chapters."""

    name: str  # format name: vtt, srt, json, html, txt, chapters
    path: str  # relative to the site root
    mime: str
    label: str


def absolute_url(base: str, path: str) -> str:
    """``path`` (relative to the site root) under ``base``: urljoin's answer, which a plain path
    (nearly all of them) gets by appending, since urljoin costs more than the rest of a feed item."""
    if not path.startswith(("/", ".")) and ":" not in path and "/." not in path:
        return base + path
    return urljoin(base, path)


LABELS = {"vtt": "Captions (WebVTT)", "srt": "Subtitles (SRT)", "json": "Transcript (JSON)",
          "html": "Transcript (HTML)", "txt": "Transcript (text)"}


@functools.cache
def episode_files(slug: str) -> tuple[FileLink, ...]:
    """The transcript formats and chapters file published beside each episode."""
    base = f"episodes/{slug}/{slug}"
    links = [FileLink(f.name, f"{base}.{f.extension}", f.mime, LABELS.get(f.name, f.name.upper()))
             for f in formats.FORMATS.values()]
    links.append(FileLink("chapters", f"{base}.chapters.json", "application/json+chapters", "Chapters (JSON)"))
    return tuple(links)


@dataclass(frozen=True)
class SoundbiteLink:
    """A soundbite of an episode and its published clip."""

    start: float
    duration: float
    title: str
    path: str  # relative to the site root
    clip: str  # the clip's name in the tag stage's folder


@dataclass(frozen=True)
class EpisodeView:
    episode: Episode
    guid: str
    audio_path: str  # relative to the site root
    audio_bytes: int  # exact size of the published MP3
    duration: float  # seconds
    chapters: tuple[Chapter, ...]  # on the programme's timeline
    content: Content  # what the transcript became: its files, the blog transcript, the notes' slow parts
    notes_html: str  # the show notes, rendered (author HTML escaped)
    notes_text: str  # the same as plain text, for the feed's description
    published: bool  # not a draft, not scheduled for later
    # The notes as the episode page shows them: without the chapter list, which the page has
    # in its own navigation, and with page-relative #t= links. Empty: the page uses notes_html.
    page_notes_html: str = ""

    @property
    def slug(self) -> str:
        return self.episode.slug

    @property
    def title(self) -> str:
        return self.episode.title

    @property
    def date(self) -> datetime:
        return self.episode.date

    @property
    def page_path(self) -> str:
        return f"episodes/{self.slug}/"

    @property
    def files(self) -> tuple[FileLink, ...]:
        """The files published beside the page (derived from the slug, so not kept in the build state)."""
        return episode_files(self.slug)

    @property
    def cover_path(self) -> str | None:
        """Where the episode's own artwork is published (its URL must end in .jpg or .png for Apple)."""
        image = self.episode.image
        if image is None:
            return None
        suffix = ".jpg" if image.suffix.lower() in (".jpg", ".jpeg") else image.suffix.lower()
        return f"episodes/{self.slug}/{self.slug}-cover{suffix}"

    @property
    def cover_thumb(self) -> str | None:
        """The small copy of the episode's artwork the pages show (see `thumbs`)."""
        return None if self.cover_path is None else thumbs.thumb_path(self.cover_path)

    @property
    def people(self) -> tuple[Person, ...]:
        return self.episode.people

    @property
    def transcript_html(self) -> str:
        """The blog transcript as the episode page shows it (read from the content stage's result when asked)."""
        return self.content.page_html()

    @property
    def soundbites(self) -> tuple[SoundbiteLink, ...]:
        """The key quotes as soundbites, each with its clip (cut by the tag stage, published beside the MP3)."""
        return tuple(SoundbiteLink(b.start, b.duration, b.title, f"episodes/{self.slug}/{self.slug}-{clip_name(n)}",
                                   clip_name(n))
                     for n, b in enumerate(choose(self.content.derived.quotes, self.duration), 1))

    def file(self, name: str) -> FileLink | None:
        return next((f for f in self.files if f.name == name), None)


def episode_view(show: Show, ep: Episode, content: Content, audio: Path, duration: float,
                 now: datetime) -> EpisodeView:
    """What the site and the feeds show of one episode, from its content and its published MP3."""
    assert ep.guid is not None
    options = ep.notes_settings
    # The author's notes first, then the generated parts; timestamps link to the page (absolute,
    # since the same HTML is the feed's content:encoded).
    generated = notes.generate(ep, content.chapters, content.derived, options)
    # The files the notes name: by absolute URL in the feed, relative to the page on the page (so a
    # local preview shows its own copies).
    page = f"episodes/{ep.slug}/"

    def absolute(path: str) -> str:
        return absolute_url(show.info.base_url, path)

    def relative(path: str) -> str:
        return path if "://" in path else path.removeprefix(page) if path.startswith(page) else "../../" + path

    def published(how: Callable[[str], str]) -> Callable[[str], str | None]:
        return lambda ref: how(found.path) if (found := ep.asset(ref)) else None

    return EpisodeView(
        episode=ep, guid=ep.guid, audio_path=f"episodes/{ep.slug}/{ep.slug}.mp3",
        audio_bytes=audio.stat().st_size, duration=duration, chapters=content.chapters, content=content,
        notes_html=notes.render_html(notes.markdown_html(ep.notes, published(absolute), show.episode_url(ep.slug)),
                                     generated,
                                     show.episode_url(ep.slug), absolute),
        notes_text=notes.render_text(notes.markdown_text(ep.notes), generated),
        published=ep.is_published(now),
        page_notes_html=page_notes(notes.markdown_html(ep.notes, published(relative)), generated, ep.tags,
                                   relative),
    )


def page_notes(author_html: str, generated: notes.Notes, tags: tuple[str, ...],
               url: Callable[[str], str] = lambda path: path) -> str:
    """The notes as the episode page shows them: the author's first, then what podkit generated,
    folded, so the transcript starts near the top. Left out is what the page shows elsewhere: the
    chapters (its own navigation), the guests (beside the player), the links (already in the
    author's notes) and the topics that are the episode's tags."""
    rest = dataclasses.replace(generated, chapters=(), guests=(), links=(),
                               topics=tuple(t for t in generated.topics if t not in tags))
    extra = notes.render_html("", rest, url=url)
    if not extra:
        return author_html
    parts = [name for name, there in (("summary", rest.summary), ("key quotes", rest.quotes),
                                      ("key phrases", rest.topics)) if there]
    label = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    label = label[:1].upper() + label[1:]
    return f'{author_html.rstrip()}\n<details class="extras"><summary>{label}</summary>\n{extra}</details>\n'


@dataclass(frozen=True)
class Entry:
    """An episode as a list shows it: the index, a person's or a topic's page, an episode's neighbours.

    List templates are given this, not all of the episode: a page's key is made of what its template
    is given, so an edit to one episode's notes renders its own page again but none of the lists it
    is in, and a list still cannot show anything its key lacks.
    """

    slug: str
    page_path: str
    title: str
    number: int | None
    date: datetime
    duration: float
    people: tuple[Person, ...]
    description: str
    audio_path: str  # the card's play button plays it in place
    cover_thumb: str | None  # the card's art: a small copy of the episode's (the show's when None)

    @classmethod
    def of(cls, view: EpisodeView) -> Entry:
        ep = view.episode
        return cls(ep.slug, view.page_path, ep.title, ep.number, ep.date, view.duration, ep.people, ep.description,
                   view.audio_path, view.cover_thumb)


def newest_first(views: Iterable[EpisodeView]) -> list[EpisodeView]:
    """The order of the site's lists and feeds: by date, then number, then slug, newest first."""
    return sorted(views, key=lambda v: (v.date, v.episode.number or 0, v.slug), reverse=True)


def _stat(path: Path | None) -> tuple[int, int] | None:
    if path is None or not path.is_file():
        return None
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def episode_digest(view: EpisodeView) -> str:
    """Every field of the view: what one episode contributes to the site and the feeds, apart from
    its neighbours and the site-wide settings.

    The transcript counts by its content's key: nothing reads a transcript to tell it is unchanged.
    """
    ep = view.episode
    # The episode's repr holds every front-matter field, including ones added after this was written;
    # its paths are made relative to the show, so a show moved or copied elsewhere is the same site.
    show_root = str(ep.folder.parent.parent) + "/"
    files = [_stat(a.source) for _, a in ep.assets]  # the files its notes and people name
    return repr_digest(repr(ep).replace(show_root, ""), _stat(ep.image), files, view.guid, view.audio_path,
                       view.audio_bytes, view.duration, view.chapters, view.files, view.notes_html, view.notes_text,
                       view.page_notes_html, view.published, view.content.key)


@dataclass(frozen=True)
class Site:
    show: Show
    episodes: tuple[EpisodeView, ...]  # newest first, drafts and scheduled ones included
    artwork_path: str  # relative to the site root
    built: datetime
    code: str  # the digest of podkit's code and theme: every output's key holds it
    # slug -> `episode_digest` of its view, filled as they are computed (or from the build state). Not
    # an argument: a copy with other episodes (dataclasses.replace) starts with none.
    digests: dict[str, str] = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def base_url(self) -> str:
        return self.show.info.base_url

    def url(self, path: str) -> str:
        """An absolute URL under the show's public URL."""
        return absolute_url(self.base_url, path)

    def digest(self, view: EpisodeView) -> str:
        """`episode_digest` of one of its views, computed once."""
        key = self.digests.get(view.slug)
        if key is None:
            key = self.digests[view.slug] = episode_digest(view)
        return key

    @property
    def public(self) -> tuple[EpisodeView, ...]:
        """The episodes listeners and readers see: no drafts, nothing scheduled for later."""
        return tuple(e for e in self.episodes if e.published)


# --- What the published site is made of ------------------------------------------------------


def template_dirs(show_root: Path) -> list[Path]:
    """Where the theme's templates are: the show's own first, then the default theme."""
    own = show_root / "templates"
    default = default_templates()
    return [own, default] if own.is_dir() and own.resolve() != default.resolve() else [default]


def templates_digest(dirs: list[Path]) -> str:
    """Every file of the theme, by name and content."""
    h = hashlib.sha256()
    for d in dirs:
        for p in sorted(x for x in d.rglob("*") if x.is_file()):
            h.update(f"{p.relative_to(d)}\0".encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def sound_key(path: Path) -> tuple[str, str]:
    """A published MP3 as the key of the cache entry it is in (see `fingerprint`)."""
    return path.parent.name, path.name


def fingerprint(site: Site, audio: Mapping[str, Path]) -> str:
    """The whole published site's inputs: equal fingerprints mean an identical site (a no-op build)."""
    show = site.show
    art = show.artwork.stat() if show.artwork.is_file() else None
    # A tagged MP3 is named by its cache entry, whose key is its content: no absolute path here either.
    sounds = [sound_key(audio[v.slug]) for v in site.episodes]
    return repr_digest(site.code, templates_digest(template_dirs(show.root)), show.info, show.build, show.master,
                       show.transcribe, show.notes, art and (art.st_size, art.st_mtime_ns), site.artwork_path,
                       [site.digest(v) for v in site.episodes], sounds)
