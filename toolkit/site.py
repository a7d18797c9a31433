"""Render the website with Jinja2: index, one page per episode, transcripts and chapters files.

Templates come from the show's own ``templates/`` first, then the default theme, by file
name. Autoescaping is on and undefined variables are errors. Static assets are published
under content-hashed names so browsers can cache them forever.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jinja2
from markdown_it import MarkdownIt

from . import formats
from .views import EpisodeView, FileLink, Site
from .writer import Writer

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def default_templates() -> Path:
    """The default theme: shipped inside the package, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "base.html").is_file():
            return candidate
    raise FileNotFoundError("podkit's default templates are missing from the installation")


def template_dirs(show_root: Path) -> list[Path]:
    own = show_root / "templates"
    default = default_templates()
    return [own, default] if own.is_dir() and own.resolve() != default.resolve() else [default]


def markdown_html(text: str) -> str:
    """Author Markdown to HTML; raw HTML in it is escaped, never passed through."""
    return str(_markdown.render(text))


def markdown_text(text: str) -> str:
    """Author Markdown as plain text (for the feed's description)."""
    tokens = _markdown.parse(text)
    out: list[str] = []
    for tok in tokens:
        if tok.type == "inline":
            out.append("".join(c.content for c in (tok.children or []) if c.type in ("text", "code_inline")))
        elif tok.type in ("paragraph_close", "heading_close", "list_item_close"):
            out.append("\n")
    return "\n".join(line.strip() for line in "".join(out).splitlines() if line.strip())


def timestamp(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def environment(dirs: list[Path]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["timestamp"] = timestamp
    env.filters["rfc3339"] = lambda d: d.isoformat()
    env.filters["human_date"] = lambda d: f"{d:%-d %B %Y}"
    return env


LABELS = {"vtt": "Captions (WebVTT)", "srt": "Subtitles (SRT)", "json": "Transcript (JSON)",
          "html": "Transcript (HTML)", "txt": "Transcript (text)"}


def episode_files(slug: str) -> tuple[FileLink, ...]:
    """The transcript formats and chapters file published beside each episode."""
    base = f"episodes/{slug}/{slug}"
    links = [FileLink(f.name, f"{base}.{f.extension}", f.mime, LABELS.get(f.name, f.name.upper()))
             for f in formats.FORMATS.values()]
    links.append(FileLink("chapters", f"{base}.chapters.json", "application/json+chapters", "Chapters (JSON)"))
    return tuple(links)


def chapters_json(view: EpisodeView) -> str:
    chapters = [{"startTime": round(c.start, 3), "title": c.title} for c in view.chapters]
    return json.dumps({"version": "1.2.0", "chapters": chapters}, ensure_ascii=False, indent=1) + "\n"


def _static(writer: Writer, dirs: list[Path]) -> dict[str, str]:
    """Publish static assets as static/<stem>.<hash><suffix>; map plain names to published paths."""
    mapping: dict[str, str] = {}
    for d in reversed(dirs):  # the show's own files win over the theme's
        folder = d / "static"
        if folder.is_dir():
            for src in sorted(p for p in folder.rglob("*") if p.is_file()):
                mapping[str(src.relative_to(folder))] = str(src)
    published: dict[str, str] = {}
    for name, src in sorted(mapping.items()):
        data = Path(src).read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:10]
        p = Path(name)
        rel = f"static/{p.parent / p.stem if str(p.parent) != '.' else p.stem}.{digest}{p.suffix}"
        writer.write(rel, data)
        published[name] = rel
    return published


def render(site: Site, writer: Writer, audio: dict[str, Path]) -> None:
    """Write every page and per-episode file of the site through ``writer``."""
    dirs = template_dirs(site.show.root)
    env = environment(dirs)
    static = _static(writer, dirs)

    def page(rel: str, template: str, **context: Any) -> None:
        depth = rel.count("/")
        root = "../" * depth

        def asset(name: str) -> str:
            return root + static[name]

        html = env.get_template(template).render(
            site=site, show=site.show.info, root=root, asset=asset, canonical=site.url(
                rel.removesuffix("index.html")), **context)
        writer.write(rel, html)

    writer.place(site.artwork_path, site.show.artwork)
    page("index.html", "index.html", episodes=site.public)
    page("404.html", "404.html")
    for view in site.episodes:
        writer.place(view.audio_path, audio[view.slug])
        for link in view.files:
            if link.name == "chapters":
                writer.write(link.path, chapters_json(view))
            else:
                writer.write(link.path, formats.FORMATS[link.name].write(view.transcript))
        page(f"{view.page_path}index.html", "episode.html", episode=view)
