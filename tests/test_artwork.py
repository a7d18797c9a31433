"""Artwork rules (square, 1400-3000 px, JPEG or PNG, RGB, honest extension) and the conforming copy."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from toolkit.audio.artwork import artwork_problems, conform


def _image(path: Path, size: tuple[int, int], mode: str = "RGB", fmt: str | None = None) -> Path:
    Image.new(mode, size, "white" if mode in ("RGB", "CMYK") else 255).save(path, fmt)
    return path


def test_a_good_png_and_jpeg_pass(tmp_path: Path) -> None:
    assert artwork_problems(_image(tmp_path / "a.png", (1400, 1400))) == []
    assert artwork_problems(_image(tmp_path / "a.jpg", (3000, 3000))) == []
    assert artwork_problems(_image(tmp_path / "a.jpeg", (2000, 2000))) == []


@pytest.mark.parametrize(("name", "size", "mode", "fmt", "message"), [
    ("wide.png", (2000, 1400), "RGB", None, "not square"),
    ("small.png", (1000, 1000), "RGB", None, "1400 to 3000"),
    ("huge.png", (3500, 3500), "RGB", None, "1400 to 3000"),
    ("alpha.png", (1400, 1400), "RGBA", None, "RGBA, not RGB"),
    ("grey.png", (1400, 1400), "L", None, "mode is L"),
    ("cmyk.jpg", (1400, 1400), "CMYK", None, "CMYK"),
    ("lying.png", (1400, 1400), "RGB", "JPEG", "JPEG but its name ends in '.png'"),
    ("art.gif", (1400, 1400), "RGB", "GIF", "GIF, not JPEG or PNG"),
])
def test_each_rule_is_reported(tmp_path: Path, name: str, size: tuple[int, int], mode: str, fmt: str | None,
                               message: str) -> None:
    problems = artwork_problems(_image(tmp_path / name, size, mode, fmt))
    assert any(message in p.message for p in problems), problems
    assert all(p.path == tmp_path / name for p in problems)


def test_not_an_image_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "art.png"
    path.write_text("not a picture")
    (problem,) = artwork_problems(path)
    assert "not a readable image" in problem.message
    assert "not found" in artwork_problems(tmp_path / "missing.png")[0].message


@pytest.mark.parametrize(("name", "size", "mode", "fmt", "suffix"), [
    ("wide.png", (2400, 1600), "RGBA", None, ".png"),
    ("small.jpg", (600, 800), "CMYK", None, ".jpg"),
    ("huge.png", (4000, 4000), "P", None, ".png"),
    ("art.gif", (1500, 1500), "RGB", "GIF", ".jpg"),
])
def test_conform_writes_a_copy_that_passes(tmp_path: Path, name: str, size: tuple[int, int], mode: str,
                                           fmt: str | None, suffix: str) -> None:
    src = _image(tmp_path / name, size, mode, fmt)
    before = src.read_bytes()
    out = conform(src)
    assert out != src and out.suffix == suffix and src.read_bytes() == before
    assert artwork_problems(out) == []
