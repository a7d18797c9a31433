"""An edition as e-mail: HTML with inlined CSS, a plain-text part of the same content, and Markdown.

The HTML comes from the theme's ``newsletter-email.html`` (a show may override it like any
template): a 600 px table layout, since mail clients (Outlook's Word engine above all) lay out
tables and ignore most else. Its ``<style>`` is then inlined into ``style`` attributes with
css-inline, because Gmail and others drop or mangle style sheets; only the ``@media`` rules (dark
mode, narrow screens), which cannot be inlined, stay in the head. Every URL is absolute, every
image has alt text, a width and a height, and no text is in an image, so the message reads the
same with images off.

The per-recipient unsubscribe link: the build writes the e-mail with the
``[newsletter] unsubscribe_url`` template as it is (``{email}`` in it), and `personalise` puts
each recipient's address in at sending.
"""

from __future__ import annotations

import html
import textwrap
from urllib.parse import quote

import css_inline
import jinja2

from toolkit.config import ShowInfo
from toolkit.newsletter.compose import Letter

TEMPLATE = "newsletter-email.html"
WIDTH = 72  # the text part's line length
PLACEHOLDER = "{email}"

_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


def render_html(env: jinja2.Environment, letter: Letter, show: ShowInfo, archive_url: str, unsubscribe: str) -> str:
    """The e-mail's HTML part, its CSS inlined."""
    page = env.get_template(TEMPLATE).render(letter=letter, show=show, site_url=show.base_url,
                                             archive_url=archive_url, unsubscribe=unsubscribe)
    return str(_INLINER.inline(page))


def _wrap(text: str, indent: str = "") -> str:
    return "\n".join(textwrap.fill(p, WIDTH, initial_indent=indent, subsequent_indent=indent,
                                   break_long_words=False, break_on_hyphens=False)
                     for p in text.split("\n") if p.strip())


def render_text(letter: Letter, show: ShowInfo, archive_url: str, unsubscribe: str) -> str:
    """The plain-text part: the same content as the HTML, links written out in full."""
    rule = "-" * 40
    out = [f"{show.title}: {letter.subject}", f"{letter.day:%-d %B %Y}", f"Read it on the web: {letter.email_url}"]
    if letter.note_text:
        out += [rule, "\n\n".join(_wrap(p) for p in letter.note_text.split("\n\n"))]
    if letter.episodes:
        out.append(rule)
        out.append("THIS WEEK'S EPISODE" if len(letter.episodes) == 1 else "THIS WEEK'S EPISODES")
        for item in letter.episodes:
            block = [item.title, item.url]
            if item.guests:
                block.append("With " + ", ".join(item.guests))
            if item.description:
                block.append(_wrap(item.description))
            if item.quote:
                who = f"{item.quote.speaker}, " if item.quote.speaker else ""
                block.append(_wrap(f"“{item.quote.text}”", "  "))
                block.append(f"  ({who}listen from {item.quote.at}:")
                block.append(f"  {item.quote.url})")
            out.append("\n".join(block))
    if letter.links:
        out.append(rule)
        out.append("WORTH READING")
        for link in letter.links:
            block = [link.title + (f" ({link.source})" if link.source else ""), link.url]
            if link.why:
                block.append(_wrap(link.why))
            out.append("\n".join(block))
    out.append(rule)
    foot = [f"{show.title}: {show.base_url}", f"Past editions: {archive_url}"]
    if unsubscribe:
        foot.append(f"Unsubscribe: {unsubscribe}")
    out.append("\n".join(foot))
    return "\n\n".join(out) + "\n"


def _md(text: str) -> str:
    """Text safe inside Markdown: the characters that would start markup escaped."""
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in text)


def render_markdown(letter: Letter, show: ShowInfo, archive_url: str) -> str:
    """The edition as Markdown, for newsletter services that take it (they add their own unsubscribe)."""
    out = [f"# {_md(letter.subject)}", f"*{letter.day:%-d %B %Y}*"]
    if letter.note_markdown.strip():
        out.append(letter.note_markdown.strip())
    if letter.episodes:
        out.append("## This week's episode" if len(letter.episodes) == 1 else "## This week's episodes")
        for item in letter.episodes:
            block = []
            if item.artwork:
                block.append(f"[![{_md(item.artwork.alt)}]({item.artwork.url})]({item.url})")
            block.append(f"### [{_md(item.title)}]({item.url})")
            if item.guests:
                block.append("With " + _md(", ".join(item.guests)))
            if item.description:
                block.append(_md(item.description))
            if item.quote:
                who = f"{_md(item.quote.speaker)}, " if item.quote.speaker else ""
                block.append(f"> “{_md(item.quote.text)}”\n>\n> {who}[listen from {item.quote.at}]({item.quote.url})")
            out.append("\n\n".join(block))
    if letter.links:
        out.append("## Worth reading")
        for link in letter.links:
            line = f"- [{_md(link.title)}]({link.url})" + (f" ({_md(link.source)})" if link.source else "")
            if link.why:
                line += f"  \n  {_md(link.why)}"
            out.append(line)
    out.append(f"[{_md(show.title)}]({show.base_url}) · [Past editions]({archive_url})")
    return "\n\n".join(out) + "\n"


def personalise(html_part: str, text_part: str, template: str, recipient: str) -> tuple[str, str]:
    """Both parts with the recipient's own unsubscribe link in place of the template's."""
    url = unsubscribe_url(template, recipient)
    return (html_part.replace(html.escape(template, quote=True), html.escape(url, quote=True)),
            text_part.replace(template, url))


def unsubscribe_url(template: str, recipient: str) -> str:
    return template.replace(PLACEHOLDER, quote(recipient, safe="@"))
