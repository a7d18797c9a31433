"""Render the website with Jinja2: index, episode, people, tag, about and search pages.

Templates come from the show's own ``templates/`` first, then the default theme, by file
name. Autoescaping is on and undefined variables are errors. Static assets are published
under content-hashed names so browsers can cache them forever.

Rendering is incremental: every output has a key (a hash of everything it is made from),
and the keys are kept in ``.podkit-pages.json`` beside the site. An output whose key is
unchanged is hard-linked from the previous site into the staging folder instead of being
rendered again, and a folder whose key is unchanged (an episode's page, audio, transcripts
and cover; a list page; a search bundle) is adopted whole: moved in at commit (see
`writer`). The staging folder is still swapped in whole, and a failed build leaves the
previous site as it was.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from markupsafe import Markup

from toolkit import markdown
from toolkit.content import formats
from toolkit.files import default_templates, repr_digest
from toolkit.publish import search, thumbs
from toolkit.publish.site import Entry, EpisodeView, Site, absolute_url, sound_key, template_dirs, templates_digest
from toolkit.publish.writer import MANIFEST, Writer
from toolkit.show import Person
from toolkit.slugs import slugify, unique

PAGE_SIZE = 20  # episodes per index page


def iso_duration(seconds: float) -> str:
    s = round(seconds)
    return f"PT{s // 3600}H{s // 60 % 60}M{s % 60}S"


def json_ld(data: Any) -> Markup:
    """JSON for a <script type="application/ld+json">: author text can never close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def environment(dirs: list[Path]) -> jinja2.Environment:
    """The theme's templates: the show's own first, then the default theme's."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["timestamp"] = formats.timestamp
    env.filters["iso_duration"] = iso_duration
    env.filters["rfc3339"] = lambda d: d.isoformat()
    env.filters["human_date"] = lambda d: f"{d:%-d %B %Y}"
    env.filters["json_ld"] = json_ld
    # The author's Markdown (bios, descriptions): raw HTML in it is escaped by the parser.
    env.filters["markdown"] = lambda text: Markup(markdown.html(text or "", top=2))
    env.filters["markdown_inline"] = lambda text: Markup(markdown.inline_html(text or ""))
    env.filters["plain"] = lambda text: " ".join(markdown.text(text or "").split())
    return env


# --- People and tags -------------------------------------------------------------------------


@dataclass
class Group:
    """A person or a tag, with the published episodes they appear in (newest first)."""

    name: str
    slug: str
    episodes: list[Entry] = field(default_factory=list)
    person: Person | None = None


def _groups(views: Iterable[EpisodeView], names: Callable[[EpisodeView], Iterable[tuple[str, Person | None]]],
            entries: Mapping[str, Entry]) -> list[Group]:
    by_name: dict[str, Group] = {}
    for v in views:
        for name, person in names(v):
            group = by_name.get(name)
            if group is None:
                group = by_name[name] = Group(name, "", person=person)
            entry = entries[v.slug]
            if not group.episodes or group.episodes[-1] is not entry:
                group.episodes.append(entry)
    used: set[str] = set()
    for group in sorted(by_name.values(), key=lambda g: g.name.casefold()):
        # The rule of episode folders (`slugs`); "C++" and "C#" both spell "c": both keep a page.
        slug = unique(slugify(group.name) or "x" + hashlib.sha256(group.name.encode()).hexdigest()[:8], used)
        used.add(slug)
        group.slug = slug
    return sorted(by_name.values(), key=lambda g: g.name.casefold())


def people_of(site: Site, entries: Mapping[str, Entry]) -> list[Group]:
    return _groups(site.public, lambda v: ((p.name, p) for p in v.people), entries)


def tags_of(site: Site, entries: Mapping[str, Entry]) -> list[Group]:
    return _groups(site.public, lambda v: ((t, None) for t in v.episode.tags), entries)


# --- Rendering -------------------------------------------------------------------------------


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def compact(name: str, data: bytes) -> bytes:
    """The default theme's CSS or JavaScript as published: without comments and indentation (a
    phone downloads and parses every byte; the theme's files stay readable). Lines are kept, so
    JavaScript's statements end where they did; only whole-line ``//`` comments go, never one after
    code, which could be inside a string. The theme has no multi-line strings."""
    if name.endswith(".css"):
        text = _CSS_COMMENT.sub("", data.decode())
    elif name.endswith(".js"):
        text = "\n".join(line for line in data.decode().splitlines() if not line.lstrip().startswith("//"))
    else:
        return data
    return ("\n".join(line.strip() for line in text.splitlines() if line.strip()) + "\n").encode()


def _static(writer: Writer, dirs: list[Path]) -> dict[str, str]:
    """Publish static assets as static/<stem>.<hash><suffix>; map plain names to published paths.
    The default theme's CSS and JavaScript are published `compact`."""
    theme = default_templates().resolve()
    mapping: dict[str, Path] = {}
    for d in reversed(dirs):  # the show's own files win over the theme's
        folder = d / "static"
        if folder.is_dir():
            for src in sorted(p for p in folder.rglob("*") if p.is_file()):
                mapping[src.relative_to(folder).as_posix()] = src
    published: dict[str, str] = {}
    for name, src in sorted(mapping.items()):
        data = src.read_bytes()
        if src.resolve().is_relative_to(theme):
            data = compact(name, data)
        digest = hashlib.sha256(data).hexdigest()[:10]
        p = Path(name)
        stem = p.stem if str(p.parent) == "." else f"{p.parent.as_posix()}/{p.stem}"
        rel = f"static/{stem}.{digest}{p.suffix}"
        writer.write(rel, data)
        published[name] = rel
    return published


def subscribe_links(site: Site) -> list[tuple[str, str, str]]:
    """Where to follow the show: (label, URL, a name for styling). The feed, then each app set in
    [show]: its page in a directory, or the app's own link that subscribes to the feed."""
    info = site.show.info
    feed = site.url("feed.xml")
    bare = feed.split("://", 1)[-1]
    links = [("Apple Podcasts", info.apple_podcasts, "apple"), ("Spotify", info.spotify, "spotify")]
    apps = [("Overcast", info.overcast, f"overcast://x-callback-url/add?url={quote(feed, safe='')}", "overcast"),
            ("Pocket Casts", info.pocket_casts, f"pktc://subscribe/{bare}", "pocketcasts"),
            ("AntennaPod", info.antennapod,
             f"https://antennapod.org/deeplink/subscribe?url={quote(feed, safe='')}", "antennapod"),
            ("Podcast Addict", info.podcast_addict, f"podcastaddict://{bare}", "podcastaddict")]
    out = [("RSS feed", feed, "rss")] + [(label, url, key) for label, url, key in links if url]
    out += [(label, url, key) for label, on, url, key in apps if on]
    if info.youtube:
        out.append(("YouTube", info.youtube, "youtube"))
    return out


@dataclass(frozen=True)
class Address:
    """What a template may read of the site as a whole (every page's key holds it): the site's own
    list of episodes is not here, so a page can show only the episodes its key was made of."""

    base_url: str
    artwork_path: str

    @property
    def art_thumb(self) -> str:
        """The small copy of the show's artwork the pages show (see `thumbs`)."""
        return thumbs.thumb_path(self.artwork_path)

    def url(self, path: str) -> str:
        return absolute_url(self.base_url, path)


class Renderer:
    """One build's rendering: reuses the outputs of ``previous`` whose keys (``old``, from its manifest)
    are unchanged, and records every key."""

    def __init__(self, site: Site, writer: Writer, previous: Path | None, old: Mapping[str, str],
                 nav: tuple[tuple[str, str], ...] = ()) -> None:
        self.site, self.writer = site, writer
        self.nav = nav  # more sections in every page's menu: (label, path from the site's root)
        self.previous = previous
        self.old = old
        self.old_within: dict[str, list[tuple[str, str]]] = {}  # folder -> the keys of files in it
        for name, old_key in self.old.items():
            if not name.endswith("/"):
                folder = name[:name.rfind("/") + 1]
                self.old_within.setdefault(folder, []).append((name, old_key))
        self.new: dict[str, str] = {}
        self.listed: list[tuple[str, datetime | None]] = []  # more pages for the sitemap (`also_list`)
        self.pages = 1  # pages of the episode list, once `render` has made them
        dirs = template_dirs(site.show.root)
        self.env = environment(dirs)
        self.static = _static(writer, dirs)
        self.base = repr_digest(site.code, templates_digest(dirs), site.show.info, site.artwork_path,
                                sorted(self.static.items()), nav)
        self.address = Address(site.base_url, site.artwork_path)
        self.root_prefix = f"{site.show.root}/"
        self.subscribe = subscribe_links(site)
        self.entries = {v.slug: Entry.of(v) for v in site.episodes}
        self.entry_keys: dict[str, str] = {}
        self.people = people_of(site, self.entries)
        self.tags = tags_of(site, self.entries)
        self.public = site.public
        self.position = {v.slug: i for i, v in enumerate(self.public)}
        self.member_of: dict[str, dict[str, list[tuple[str, str]]]] = {"people": {}, "tags": {}}
        for kind, groups in (("people", self.people), ("tags", self.tags)):
            for g in groups:
                for v in g.episodes:
                    self.member_of[kind].setdefault(v.slug, []).append((g.name, g.slug))

    def _reuse(self, rel: str, key: str) -> bool:
        """Hard-link an unchanged output from the previous site; False when it must be made."""
        self.new[rel] = key
        if self.previous is None or self.old.get(rel) != key:
            return False
        src = self.previous / rel
        if not src.is_file():
            return False
        self.writer.place(rel, src)
        return True

    def file(self, rel: str, key: str, make: Callable[[], str | bytes]) -> None:
        if not self._reuse(rel, key):
            self.writer.write(rel, make())

    def key_of(self, value: Any) -> Any:
        """A template's context value as a key: an episode by its digest (all of it), a person or tag
        with its episodes, anything else as it is. A page's key is made of its whole context, so
        what a page shows can never be missing from its key."""
        if isinstance(value, EpisodeView):
            return self.site.digest(value)
        if isinstance(value, Entry):  # in many lists: each made once
            key = self.entry_keys.get(value.slug)
            if key is None:
                key = self.entry_keys[value.slug] = repr(value).replace(self.root_prefix, "")
            return key
        if isinstance(value, Group):
            return value.name, value.slug, self.key_of(value.person), self.key_of(value.episodes)
        if isinstance(value, (list, tuple)):
            return [self.key_of(v) for v in value]
        if isinstance(value, dict):
            return sorted((k, self.key_of(v)) for k, v in value.items())
        # Paths relative to the show (a person's track), as in an episode's digest: a show moved or
        # copied elsewhere is the same site.
        return repr(value).replace(self.root_prefix, "")

    def page(self, rel: str, template: str, root: str | None = None, *, alone: bool = False,
             **context: Any) -> str:
        """Render ``rel`` from ``template`` unless its key is unchanged; return the key. ``alone``:
        nothing else is in its folder, so the previous site's folder can be adopted whole."""
        full_key = repr_digest(self.base, template, root, self.key_of(context))
        if alone and self.reuse_folder(rel.removesuffix("index.html"), full_key):
            return full_key
        if self._reuse(rel, full_key):
            return full_key
        root = "../" * rel.count("/") if root is None else root
        html = self.env.get_template(template).render(
            site=self.address, show=self.site.show.info, root=root, asset=lambda name: root + self.static[name],
            canonical=self.site.url(rel.removesuffix("index.html")), subscribe=self.subscribe,
            noindex=False, nav=self.nav, **context)
        self.writer.write(rel, html)
        return full_key

    def render(self, audio: Mapping[str, Path], shards: list[str]) -> None:
        site, writer, public = self.site, self.writer, self.public
        writer.place(site.artwork_path, site.show.artwork)
        # Files of the show's folder that episodes name (a photo used in many): published once.
        shared = {a.path: a.source for v in site.episodes for _, a in v.episode.assets if a.path.startswith("files/")}
        for path, source in sorted(shared.items()):
            writer.place(path, source)
        art = site.show.artwork.stat()
        self.file(self.address.art_thumb, repr_digest(thumbs.SIZE, thumbs.QUALITY, art.st_size, art.st_mtime_ns),
                  lambda: thumbs.thumbnail(site.show.artwork.read_bytes()))
        pages = [public[i:i + PAGE_SIZE] for i in range(0, len(public), PAGE_SIZE)] or [()]
        for number, chunk in enumerate(pages, 1):
            rel = "index.html" if number == 1 else f"page/{number}/index.html"
            self.page(rel, "index.html", alone=number > 1, episodes=[self.entries[v.slug] for v in chunk],
                      page=number, pages=len(pages))
        for v in site.episodes:
            self.episode(v, audio)
        self.page("people/index.html", "people.html", people=self.people)
        for g in self.people:
            self.page(f"people/{g.slug}/index.html", "person.html", alone=True, group=g)
        self.page("tags/index.html", "tags.html", tags=self.tags)
        for g in self.tags:
            self.page(f"tags/{g.slug}/index.html", "tag.html", alone=True, group=g)
        hosts = [g for g in self.people if g.person and g.person.role == "host"]
        self.page("about/index.html", "about.html", alone=True, hosts=hosts, episode_count=len(self.public))
        # The search page merges the transcript bundles into the primary one (see search).
        self.page("search/index.html", "search.html", alone=True, shards=shards)
        # Served at any address, so its links are absolute paths under the show's base path.
        self.page("404.html", "404.html", root=urlsplit(site.base_url).path or "/")
        self.pages = len(pages)

    def also_list(self, path: str, when: datetime | None = None) -> None:
        """Put a page made outside `render` (the newsletter's archive, say) in the sitemap."""
        self.listed.append((path, when))

    def write_sitemap(self) -> None:
        """The sitemap and robots.txt, once every page is made: what `render` made and what was listed."""
        site = self.site
        self.writer.write("sitemap.xml", sitemap(site, self.people, self.tags, self.pages, self.listed))
        self.writer.write("robots.txt", f"User-agent: *\nAllow: /\nSitemap: {site.url('sitemap.xml')}\n")

    def episode(self, v: EpisodeView, audio: Mapping[str, Path]) -> None:
        """The episode's folder: its page, audio, transcripts, chapters and cover. Adopted whole
        from the previous site when its key (every file's) is unchanged (see `writer`)."""
        public = self.public
        newer = older = None
        if v.published:
            i = self.position[v.slug]
            newer = self.entries[public[i - 1].slug] if i > 0 else None
            older = self.entries[public[i + 1].slug] if i + 1 < len(public) else None
        context: dict[str, Any] = {"episode": v, "newer": newer, "older": older,
                   "person_slugs": dict(self.member_of["people"].get(v.slug, [])),
                   "tag_slugs": dict(self.member_of["tags"].get(v.slug, []))}
        # The chapters, the cover and the transcripts count in the episode's digest.
        if self.reuse_folder(v.page_path, repr_digest(self.base, self.key_of(context), sound_key(audio[v.slug]))):
            return
        self.writer.place(v.audio_path, audio[v.slug])
        for bite in v.soundbites:  # cut by the tag stage, beside the MP3
            self.writer.place(bite.path, audio[v.slug].parent / bite.clip)
        for link in v.files:  # the transcript files and chapters, made by the content stage
            self.writer.place(link.path, v.content.path(link.name))
        if v.cover_path is not None and v.cover_thumb is not None and v.episode.image is not None:
            self.writer.place(v.cover_path, v.episode.image)
            self.writer.write(v.cover_thumb, thumbs.thumbnail(v.episode.image.read_bytes()))
        own = {a.path: a.source for _, a in v.episode.assets if a.path.startswith(v.page_path)}
        for path, source in sorted(own.items()):  # the files of its folder that it names
            self.writer.place(path, source)
        self.page(f"{v.page_path}index.html", "episode.html", **context)

    def reuse_folder(self, rel: str, key: str) -> bool:
        """Adopt a folder of the previous site whose key is unchanged; False when it must be made.

        Its files' own keys are carried over, so a later build can still reuse them one by one.
        """
        self.new[rel] = key
        if self.previous is None or self.old.get(rel) != key or not os.path.isdir(f"{self.previous}/{rel}"):
            return False
        self.writer.adopt(rel)
        for name, old_key in self.old_within.get(rel, ()):
            self.new[name] = old_key
        return True

    def finish(self, fingerprint: str) -> None:
        """Write the manifest: the site's fingerprint (see `fingerprint`) and every output's key."""
        # One line: an indent would take json's pure-Python encoder, ten times slower on thousands of keys.
        self.writer.write(MANIFEST, json.dumps({"site": fingerprint, "pages": self.new}, sort_keys=True))


def sitemap(site: Site, people: list[Group], tags: list[Group], pages: int,
            more: Iterable[tuple[str, datetime | None]] = ()) -> str:
    def entry(path: str, when: datetime | None = None) -> str:
        loc = site.url(path).replace("&", "&amp;").replace("<", "&lt;")
        lastmod = f"<lastmod>{when.date().isoformat()}</lastmod>" if when else ""
        return f"<url><loc>{loc}</loc>{lastmod}</url>"

    newest = site.public[0].date if site.public else None
    urls = [entry("", newest), entry("about/"), entry("people/"), entry("tags/")]
    urls += [entry(f"page/{n}/") for n in range(2, pages + 1)]
    urls += [entry(v.page_path, v.date) for v in site.public]
    urls += [entry(f"people/{g.slug}/") for g in people] + [entry(f"tags/{g.slug}/") for g in tags]
    urls += [entry(path, when) for path, when in more]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "\n".join(urls) + "\n</urlset>\n")


def search_docs(site: Site) -> list[search.Bundle]:
    """What search indexes: notes for every published episode, transcripts in order of publication."""
    notes, transcripts = [], []
    for v in reversed(site.public):  # oldest first: a new episode lands in the newest shard
        ep = v.episode
        lede = f"<p>{html.escape(ep.description)}</p>\n" if ep.description else ""
        body = lede + (v.page_notes_html or v.notes_html)
        notes.append(search.Doc(v.page_path, ep.title, repr_digest(body), partial(str, body)))
        transcripts.append(search.Doc(v.page_path, ep.title, v.content.key, v.content.page_html))
    return search.bundles(notes, transcripts, site.show.info.language, site.code)


def render(site: Site, writer: Writer, audio: Mapping[str, Path], store: search.Store, fingerprint: str,
           previous: Path | None = None, old: Mapping[str, str] | None = None, jobs: int = 2,
           meanwhile: Callable[[Renderer], None] | None = None, extra: Iterable[search.Bundle] = (),
           nav: tuple[tuple[str, str], ...] = ()) -> Renderer:
    """Write every page and per-episode file of the site through ``writer``.

    ``previous`` is the last published site and ``old`` its outputs' keys (`writer.read_manifest`):
    outputs whose inputs are unchanged are reused from it. Search bundles missing from the cache are
    indexed in ``jobs`` background processes while the pages render, and while ``meanwhile`` (the
    feeds) runs after them. ``extra``: more search bundles (the newsletter's), merged by the search page;
    ``nav``: more sections in every page's menu.
    """
    renderer = Renderer(site, writer, previous, old or {}, nav)
    wanted = [*search_docs(site), *extra]
    indexer = search.Indexer(writer, wanted, site.show.info.language, store, jobs,
                             renderer.reuse_folder)
    try:
        renderer.render(audio, [b.path for b in wanted[1:]])
        if meanwhile is not None:
            meanwhile(renderer)
        renderer.write_sitemap()
        indexer.finish()
    finally:
        indexer.close()
    renderer.finish(fingerprint)
    return renderer
