"""The author's Markdown, one dialect everywhere it is written: show notes, bios, descriptions.

CommonMark with tables, strikethrough and footnotes (mdit-py-plugins); raw HTML is escaped, never
passed through. Three renderings of the same tokens:

- `html`: for the episode page and the feed's content:encoded; headings are moved down so the
  notes' own top level sits under the page's "Show notes" heading, and each link or image that
  names a file of the show is pointed at where that file is published (``urls``);
- `inline_html`: one line of Markdown (a bio, a description) without a paragraph around it;
- `text`: plain text for the feed's description and meta tags, keeping the author's spaces,
  line breaks (a soft break is still a break between two words), list numbers and table rows.

`references` lists the files the Markdown names (images and links that are not URLs), with their
lines, so the show can check and publish them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

MARKDOWN = (MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
            .enable(["table", "strikethrough"]).use(footnote_plugin))

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//|^#")  # a scheme, protocol-relative, or a fragment


@functools.lru_cache(maxsize=256)
def tokens(text: str) -> tuple[Token, ...]:
    """``text`` parsed once (a build asks for each episode's notes as HTML, as text and for its
    links and files). Callers must not change them."""
    return tuple(MARKDOWN.parse(text))


def is_file_reference(target: str, image: bool = True) -> bool:
    """Whether a link or image target names a file rather than a URL or an anchor on the page. A
    link is to a file only when its name has an extension that is not a page's (``slides.pdf``, not
    ``../other-episode/`` or ``/about/``): an author may link to the site's own pages."""
    target = target.strip()
    if not target or _URL.match(target):
        return False
    if image:
        return True
    name = target.split("#", 1)[0].split("?", 1)[0].rsplit("/", 1)[-1]
    return "." in name.strip(".") and not name.lower().endswith((".html", ".htm"))


@dataclass(frozen=True)
class Reference:
    """A file the Markdown names: ``target`` as written, on line ``line`` (1-based, of the text)."""

    target: str
    line: int
    image: bool


def references(text: str) -> tuple[Reference, ...]:
    """The images and links in ``text`` that name files, in order, each with its line."""
    lines = text.splitlines()
    found: list[Reference] = []
    for block in tokens(text):
        start, end = block.map if block.map else (0, len(lines))
        for tok in _walk(block.children or []):
            attr = "src" if tok.type == "image" else "href" if tok.type == "link_open" else None
            if attr is None:
                continue
            target = str(tok.attrs.get(attr, ""))
            if not is_file_reference(target, tok.type == "image"):
                continue
            # The block's lines hold it; the first line naming it is the one to report.
            line = next((i + 1 for i in range(start, end) if target in lines[i] or _unquoted(target) in lines[i]),
                        start + 1)
            found.append(Reference(target, line, tok.type == "image"))
    return tuple(found)


def _unquoted(target: str) -> str:
    from urllib.parse import unquote

    return unquote(target)


def _walk(children: Sequence[Token]) -> list[Token]:
    """Inline tokens, with an image's alt-text children flattened in."""
    out: list[Token] = []
    for tok in children:
        out.append(tok)
        if tok.children:
            out.extend(_walk(tok.children))
    return out


def html(text: str, *, top: int = 3, urls: Mapping[str, str] | Callable[[str], str | None] | None = None,
         page: str = "") -> str:
    """``text`` as HTML. Its highest heading becomes ``<h{top}>`` and the others keep their distance
    below it (at most h6). ``urls`` maps a file reference as written to the URL it is published at;
    with ``page`` (the page's URL), links to a place on the page (footnotes, ``#part``) and to other
    pages of the site (``../other-episode/``) are made absolute, for a feed reader, which shows the
    HTML away from its page."""
    toks = [_copy(t) for t in tokens(text)]
    levels = [int(t.tag[1]) for t in toks if t.type == "heading_open"]
    shift = top - min(levels) if levels else 0
    lookup = urls.get if isinstance(urls, Mapping) else urls
    for tok in toks:
        if tok.type in ("heading_open", "heading_close"):
            tok.tag = f"h{min(6, max(1, int(tok.tag[1]) + shift))}"
        if lookup is not None or page:
            for child in _walk(tok.children or []):
                attr = "src" if child.type == "image" else "href" if child.type == "link_open" else None
                if attr is not None:
                    target = str(child.attrs.get(attr, ""))
                    named = lookup is not None and is_file_reference(target, child.type == "image")
                    url = lookup(target) if named and lookup is not None else None
                    if url is not None:
                        child.attrs[attr] = url
                    elif page and target and not _URL.match(target):  # a page of the site, for a feed
                        child.attrs[attr] = urljoin(page, target)
    out = str(MARKDOWN.renderer.render(toks, MARKDOWN.options, {}))
    return out.replace('href="#', f'href="{page}#') if page else out


def _copy(tok: Token) -> Token:
    """A token that may be changed without changing the cached parse."""
    new = tok.copy()
    if tok.children:
        new.children = [_copy(c) for c in tok.children]
    new.attrs = dict(tok.attrs)
    return new


def inline_html(text: str) -> str:
    """One line of Markdown (a bio, a description) as HTML without the paragraph around it."""
    return str(MARKDOWN.renderInline(text.strip()))


def text(markdown: str) -> str:
    """``markdown`` as plain text: paragraphs apart, the author's line breaks and spaces kept, lists
    with their bullets and numbers, table rows with cells between bars, footnotes at the end."""
    out: list[str] = []
    lists: list[list[Any]] = []  # [ordered, next number] per open list
    prefix = ""
    cells: list[str] | None = None  # the current table row's cells, inside a table
    for tok in tokens(markdown):
        kind = tok.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = tok.attrs.get("start", 1)
            lists.append([kind == "ordered_list_open", int(start) if isinstance(start, (int, str)) else 1])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists:
                out.append("\n")
        elif kind == "list_item_open":
            ordered, number = lists[-1]
            prefix = "  " * (len(lists) - 1) + (f"{number}. " if ordered else "- ")
            lists[-1][1] = number + 1
        elif kind == "inline":
            words = _inline_text(tok.children or [])
            if cells is not None:
                cells.append(words)
            else:
                out.append(prefix + words.replace("\n", "\n" + " " * len(prefix)))
                prefix = ""
        elif kind == "tr_open":
            cells = []
        elif kind == "tr_close" and cells is not None:
            out.append(" | ".join(cells) + "\n")
            cells = None
        elif kind == "table_close":
            out.append("\n")
        elif kind in ("paragraph_close", "heading_close"):
            out.append("\n" if lists else "\n\n")
        elif kind == "footnote_block_open":
            out.append("\n")
        elif kind == "footnote_open":
            out.append(f"[{int(tok.meta.get('id', 0)) + 1}] ")
        elif kind in ("code_block", "fence"):
            out.append(tok.content + "\n")
        elif kind == "hr":
            out.append("\n")
    joined = "".join(out)
    return re.sub(r"\n{3,}", "\n\n", joined).strip()


def _inline_text(children: Sequence[Token]) -> str:
    parts: list[str] = []
    for c in children:
        if c.type in ("text", "code_inline"):
            parts.append(c.content)
        elif c.type in ("softbreak", "hardbreak"):  # the author's line break, kept
            parts.append("\n")
        elif c.type == "image":
            parts.append(_inline_text(c.children or []) or str(c.attrs.get("alt", "")))
        elif c.type == "footnote_ref":
            parts.append(f"[{int(c.meta.get('id', 0)) + 1}]")
    return "".join(parts)
