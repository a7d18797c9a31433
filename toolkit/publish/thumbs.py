"""Small copies of the artwork for the site's pages.

The show's and the episodes' artwork is 1400 to 3000 px (what podcast apps want); the pages show
it at 40 to 240 px. A page that downloads the whole cover for that is slower to show on a phone,
so the pages use a JPEG copy of `SIZE` px a side (sharp at twice the largest size shown), and the
feed and the lock screen keep the original.
"""

from __future__ import annotations

import io
from pathlib import PurePosixPath

SIZE = 480
QUALITY = 82


def thumb_path(path: str) -> str:
    """Where the small copy of the image published at ``path`` (relative to the site root) goes."""
    p = PurePosixPath(path)
    return str(p.with_name(f"{p.stem}-{SIZE}.jpg"))


def thumbnail(source: bytes) -> bytes:
    """The image ``source`` (JPEG or PNG bytes) scaled to fit `SIZE` px, as a JPEG (RGB, flattened
    onto white if it has transparency)."""
    from PIL import Image

    with Image.open(io.BytesIO(source)) as img:
        img.draft("RGB", (SIZE, SIZE))  # a large JPEG decodes at a fraction of its size
        rgba = img.convert("RGBA")
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    flat.thumbnail((SIZE, SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    flat.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return out.getvalue()
