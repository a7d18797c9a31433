"""Show notes from a feed's HTML to Markdown, podkit's format for an author's notes.

markdownify (MIT, on BeautifulSoup) does the conversion: it keeps links, emphasis, headings and
nested lists, and escapes the characters Markdown would otherwise read as markup. It was chosen over
html2text, which converts as well but is GPL-licensed, a licence podkit (MIT) does not take in.
Scripts, styles and embedded frames are dropped: podkit shows raw HTML in notes as text, never runs
it, so they would only be noise.
"""

from __future__ import annotations

import re

STRIP = ["script", "style", "iframe", "object", "embed", "form"]


def to_markdown(html: str) -> str:
    """The Markdown of an item's notes (HTML, or plain text, which stays as it is but escaped)."""
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    if not html.strip():
        return ""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(STRIP):
        tag.decompose()
    text = MarkdownConverter(heading_style="ATX", bullets="-", escape_misc=False).convert_soup(soup)
    text = re.sub(r"[ \t]+\n", "\n", text)  # trailing spaces on lines
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def to_text(html: str) -> str:
    """The notes as one line of plain text (for a short description)."""
    from bs4 import BeautifulSoup

    return re.sub(r"\s+", " ", BeautifulSoup(html, "html.parser").get_text(" ")).strip()
