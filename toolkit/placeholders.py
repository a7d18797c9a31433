"""What `podkit init` and `podkit new` write for the author to replace, in one place: the scaffold
writes these values, and `podkit check --strict` fails while any of them is still there."""

from __future__ import annotations

from pathlib import Path

AUTHOR = "Your Name"
EMAIL = "you@example.com"
SHOW_DESCRIPTION = "Interviews with the people who do the work."
EPISODE_DESCRIPTION = "One or two sentences for podcast apps and the episode list."
NOTES = "Show notes in Markdown go here."
PERSON_NAMES = ("Host Name", "Guest Name")
PERSON_BIO = "What the guest does."
# A text chunk in the PNG that `init` draws: gone once the author saves artwork of their own.
ARTWORK_KEY, ARTWORK_VALUE = "podkit", "placeholder artwork"

SHOW_VALUES = {"author": AUTHOR, "email": EMAIL, "description": SHOW_DESCRIPTION}


def is_placeholder_artwork(path: Path) -> bool:
    """Whether ``path`` is still the cover `podkit init` drew."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            return bool(img.info.get(ARTWORK_KEY) == ARTWORK_VALUE)
    except (OSError, UnidentifiedImageError):
        return False
