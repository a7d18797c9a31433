"""`podkit init` and `podkit new`: a show and an episode that build as they are."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from toolkit import placeholders
from toolkit.config import CONFIG_NAME, read
from toolkit.errors import InvalidShow, PodkitError, Problem
from toolkit.show import EPISODE_FILE, read_episode_file
from toolkit.slugs import SLUG_RE, slugify, unique

CONFIG_TEMPLATE = '''# podkit show settings. Every key is documented in the README ("The show on disk").

[show]
title = "{title}"
# The public address of the site; every link in the feed is absolute under it.
url = "http://localhost:8000/"
author = "{author}"
email = "{email}"
language = "en"
description = "{description}"
category = "Technology"
explicit = false
artwork = "artwork.png"   # square JPEG or PNG, 1400-3000 px

[master]
# preset = "podcast"       # -16 LUFS stereo / -19 mono; or "ebu-r128" (-23), "atsc-a85" (-24)
# true_peak = -1.0

[transcribe]
# engine = "faster-whisper"  # or "openai-whisper"
# model = "tiny.en"
# vocabulary = ["Kubernetes", "MLOps"]
'''

EPISODE_TEMPLATE = '''+++
title = "{title}"
date = {date}
number = {number}
description = "{description}"

# One recording of everyone:
# audio = "recording.flac"
# Or one microphone per speaker (each file sits in this folder):
# [[people]]
# name = "{host}"
# role = "host"
# track = "host.flac"
# [[people]]
# name = "{guest}"
# role = "guest"
# track = "guest.flac"
# url = "https://example.com"
# bio = "{bio}"

# Optional chapters ("M:SS" or "H:MM:SS"):
# [[chapters]]
# start = "0:00"
# title = "Introduction"
+++

{notes}
'''


def make_artwork(path: Path, title: str, size: int = 1400, *, placeholder: bool = False) -> None:
    """A square cover (PNG, RGB) that meets Apple's rules until the author makes one. ``placeholder``
    marks it as `init`'s, which `check --strict` refuses to publish."""
    from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

    img = Image.new("RGB", (size, size), (22, 50, 92))
    draw = ImageDraw.Draw(img)
    for i in range(0, size, 8):  # a quiet diagonal gradient
        shade = 92 + int(60 * i / size)
        draw.line([(i, 0), (0, i)], fill=(22, 50 + i * 40 // size, shade), width=8)
        draw.line([(size, i), (i, size)], fill=(22, 90 - i * 40 // size, shade), width=8)
    font = ImageFont.load_default(size=size // 10)
    words, lines, line = title.split(), [], ""
    for w in words:
        if len(line) + len(w) > 14 and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    y = size // 2 - len(lines) * size // 18
    for text in lines:
        width = draw.textlength(text, font=font)
        draw.text(((size - width) / 2, y), text, font=font, fill=(255, 255, 255))
        y += size // 9
    info = PngImagePlugin.PngInfo()
    if placeholder:
        info.add_text(placeholders.ARTWORK_KEY, placeholders.ARTWORK_VALUE)
    img.save(path, "PNG", pnginfo=info)


def init(folder: Path, title: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / CONFIG_NAME
    if config.exists():
        raise PodkitError(f"{CONFIG_NAME} already exists", path=config,
                          hint="podkit init never overwrites a show")
    title = title or folder.resolve().name.replace("-", " ").title() or "My Show"
    config.write_text(CONFIG_TEMPLATE.format(title=toml_text(title), **placeholders.SHOW_VALUES),
                      encoding="utf-8")
    make_artwork(folder / "artwork.png", title, placeholder=True)
    (folder / "episodes").mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("public/\n.public.*/\n.podkit/\n", encoding="utf-8")
    return config


def toml_text(text: str) -> str:
    """The inside of a TOML basic string holding ``text`` exactly: JSON's escapes are TOML's too
    (a backslash, a quote, a newline), and TOML also wants DEL escaped."""
    return json.dumps(text, ensure_ascii=False)[1:-1].replace("\x7f", "\\u007f")



@dataclass(frozen=True)
class NewEpisode:
    """What `new_episode` made: the episode file, its slug, and its number."""

    path: Path
    slug: str
    number: int


def new_episode(root: Path, title: str, slug: str | None = None) -> NewEpisode:
    """Add an episode folder with a commented episode.md.

    Only podkit.toml has to be valid: the other episodes are read for their numbers alone, so an
    episode still waiting for its audio (or broken in any other way) never blocks the next one.
    """
    config = read(root)
    if config.problems:
        raise InvalidShow([*config.problems, Problem("no episode was created; fix podkit.toml first", config.path)])
    if slug is None:
        slug = slugify(title)
        if not slug:
            raise PodkitError("no episode was created: the title has no letters or digits to name its folder",
                              hint="give the folder's name with --slug")
    elif not SLUG_RE.match(slug):
        suggestion = slugify(slug)
        example = f", e.g. '{suggestion}'" if suggestion else ""
        raise PodkitError(f"no episode was created: '{slug}' is not a valid slug",
                          hint=f"lower-case letters, digits and dashes{example}")
    episodes = root.resolve() / "episodes"
    folder = episodes / slug
    if folder.exists():
        taken = {p.name for p in episodes.iterdir()}
        raise PodkitError(f"no episode was created: episodes/{slug} already exists", path=folder,
                          hint=f"pick another title, or --slug {unique(slug, taken)}")
    number = max(_numbers(episodes), default=0) + 1
    folder.mkdir(parents=True)
    text = EPISODE_TEMPLATE.format(title=toml_text(title), number=number,
                                   date=datetime.now(UTC).date().isoformat(),
                                   description=placeholders.EPISODE_DESCRIPTION, notes=placeholders.NOTES,
                                   host=placeholders.PERSON_NAMES[0], guest=placeholders.PERSON_NAMES[1],
                                   bio=placeholders.PERSON_BIO)
    (folder / EPISODE_FILE).write_text(text, encoding="utf-8")
    return NewEpisode(folder / EPISODE_FILE, slug, number)


def _numbers(episodes: Path) -> list[int]:
    """The episode numbers in use, read from each episode.md's front matter as far as it parses."""
    found = []
    for md in episodes.glob(f"*/{EPISODE_FILE}") if episodes.is_dir() else ():
        parsed = read_episode_file(md)
        if not isinstance(parsed, Problem) and isinstance(parsed[0].get("number"), int):
            found.append(parsed[0]["number"])
    return found
