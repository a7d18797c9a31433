"""The one slug rule, for episode folders, people's pages and tags' pages.

A slug is lower-case ASCII letters, digits and single dashes. Any script is transliterated
(python-slugify with text-unidecode: "Café" -> "cafe", "日本語" -> "ri-ben-yu", "Привет" -> "privet"),
so two titles in the same script never fall back to one shared word. Characters that have no
transliteration (an emoji, a symbol) are spelled by their Unicode names ("🎉" -> "party-popper").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

from slugify import slugify as _transliterate

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_LENGTH = 60


def slugify(text: str, max_length: int = MAX_LENGTH) -> str:
    """``text`` as a slug, or "" when it has nothing to spell (blank text)."""
    slug = _transliterate(text, max_length=max_length, word_boundary=True)
    if not slug:  # only symbols: their names, which every assigned character has
        names = " ".join(unicodedata.name(c, "") for c in text if not c.isspace())
        slug = _transliterate(names, max_length=max_length, word_boundary=True)
    return slug


def unique(slug: str, used: Collection[str]) -> str:
    """``slug``, or with the first free suffix (-2, -3, ...) when another name already has it:
    "C++" and "C#" both spell "c", and both keep a page."""
    found, n = slug, 2
    while found in used:
        found, n = f"{slug}-{n}", n + 1
    return found
