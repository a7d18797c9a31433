"""`podkit init` and `podkit new`: a show and an episode that build as they are."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from toolkit.config import CONFIG_NAME
from toolkit.errors import PodkitError
from toolkit.show import EPISODE_FILE, SLUG_RE, load_show

CONFIG_TEMPLATE = '''# podkit show settings. Every key is documented in the README ("The show on disk").

[show]
title = "{title}"
# The public address of the site; every link in the feed is absolute under it.
url = "http://localhost:8000/"
author = "Your Name"
email = "you@example.com"
language = "en"
description = "Interviews with the people who do the work."
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
description = "One or two sentences for podcast apps and the episode list."

# One recording of everyone:
# audio = "recording.flac"
# Or one microphone per speaker (each file sits in this folder):
# [[people]]
# name = "Host Name"
# role = "host"
# track = "host.flac"
# [[people]]
# name = "Guest Name"
# role = "guest"
# track = "guest.flac"
# url = "https://example.com"
# bio = "What the guest does."

# Optional chapters ("M:SS" or "H:MM:SS"):
# [[chapters]]
# start = "0:00"
# title = "Introduction"
+++

Show notes in Markdown go here.
'''


def make_artwork(path: Path, title: str, size: int = 1400) -> None:
    """A square placeholder cover (PNG, RGB) that meets Apple's rules until the author makes one."""
    from PIL import Image, ImageDraw, ImageFont

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
    img.save(path, "PNG")


def init(folder: Path, title: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / CONFIG_NAME
    if config.exists():
        raise PodkitError(f"{CONFIG_NAME} already exists", path=config,
                          hint="podkit init never overwrites a show")
    title = title or folder.resolve().name.replace("-", " ").title() or "My Show"
    config.write_text(CONFIG_TEMPLATE.format(title=toml_text(title)), encoding="utf-8")
    make_artwork(folder / "artwork.png", title)
    (folder / "episodes").mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("public/\n.public.*/\n.podkit/\n", encoding="utf-8")
    return config


def toml_text(text: str) -> str:
    """The inside of a TOML basic string holding ``text`` exactly: JSON's escapes are TOML's too
    (a backslash, a quote, a newline), and TOML also wants DEL escaped."""
    return json.dumps(text, ensure_ascii=False)[1:-1].replace("\x7f", "\\u007f")


def slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:60].rstrip("-") or "episode"


def new_episode(root: Path, title: str, slug: str | None = None) -> Path:
    show = load_show(root, check_audio=False)
    slug = slug or slugify(title)
    if not SLUG_RE.match(slug):
        raise PodkitError(f"'{slug}' is not a valid slug", hint="lower-case letters, digits and dashes")
    folder = show.root / "episodes" / slug
    if folder.exists():
        raise PodkitError("an episode with this slug already exists", path=folder, hint="pick another title or --slug")
    number = max((e.number or 0 for e in show.episodes), default=0) + 1
    folder.mkdir(parents=True)
    text = EPISODE_TEMPLATE.format(title=toml_text(title), number=number,
                                   date=datetime.now(UTC).date().isoformat())
    (folder / EPISODE_FILE).write_text(text, encoding="utf-8")
    return folder / EPISODE_FILE
