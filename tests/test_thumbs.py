"""The small copies of the artwork the pages show."""

from __future__ import annotations

import io

from PIL import Image

from tests.conftest import REPO
from toolkit.publish import thumbs


def test_a_thumbnail_is_a_small_jpeg_of_the_whole_image() -> None:
    data = thumbs.thumbnail((REPO / "artwork.png").read_bytes())
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG" and img.mode == "RGB"
        assert img.size == (thumbs.SIZE, thumbs.SIZE)
    assert len(data) < (REPO / "artwork.png").stat().st_size / 4


def test_transparency_is_flattened_onto_white() -> None:
    src = io.BytesIO()
    Image.new("RGBA", (1400, 700), (0, 0, 0, 0)).save(src, "PNG")
    with Image.open(io.BytesIO(thumbs.thumbnail(src.getvalue()))) as img:
        assert img.size == (thumbs.SIZE, thumbs.SIZE // 2)
        assert img.getpixel((10, 10)) == (255, 255, 255)


def test_thumbnails_sit_beside_their_image() -> None:
    assert thumbs.thumb_path("artwork.png") == f"artwork-{thumbs.SIZE}.jpg"
    assert thumbs.thumb_path("episodes/a/a-cover.jpg") == f"episodes/a/a-cover-{thumbs.SIZE}.jpg"
