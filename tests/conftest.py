"""Shared fixtures: real audio in tests/data, throwaway shows, and one built copy of the sample show."""

from __future__ import annotations

import contextlib
import os
import shutil
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHARED_AUDIO = REPO.parent / "shared" / "audio"


# Shared clips the repository already holds under another name: the sample show's recordings.
IN_SAMPLE_SHOW = {"lj-chapter.opus": REPO / "episodes" / "what-printers-knew-about-pipelines" / "recording.opus"}


def data_file(name: str) -> Path:
    """A real recording: the repo's copy (tests/data, or the sample show's), else the shared clips
    next to the repo. A bare clone holds every file the tests use."""
    for path in (DATA / name, IN_SAMPLE_SHOW.get(name), SHARED_AUDIO / name):
        if path is not None and path.is_file():
            return path
    pytest.skip(f"test audio {name} is not available")


def copy_sample_show(dest: Path) -> Path:
    """The repository's sample show (podkit.toml, artwork, episodes with audio) in a scratch folder."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "podkit.toml", dest)
    shutil.copy(REPO / "artwork.png", dest)
    shutil.copytree(REPO / "episodes", dest / "episodes")
    return dest


SHOW_TOML = """\
[show]
title = "Test Show"
url = "https://example.com/podcast/"
author = "Test Author"
email = "test@example.com"
language = "en"
description = "A show made by the tests."
category = "Technology"
explicit = false
artwork = "artwork.png"
"""


def episode_md(title: str = "Kennedy", date: str = "2026-01-05", number: int | None = 1,
               audio: str | None = "speech.flac", extra: str = "", notes: str = "Notes.") -> str:
    lines = [f'title = "{title}"', f"date = {date}"]
    if number is not None:
        lines.append(f"number = {number}")
    if audio is not None:
        lines.append(f'audio = "{audio}"')
    return "+++\n" + "\n".join(lines) + "\n" + textwrap.dedent(extra) + "+++\n\n" + notes + "\n"


MakeShow = Callable[..., Path]


@pytest.fixture
def make_show(tmp_path: Path) -> MakeShow:
    """A small show with one episode per (slug -> episode.md text) given; audio is a real JFK clip."""
    from toolkit.scaffold import make_artwork

    def make(episodes: dict[str, str] | None = None, toml: str = SHOW_TOML, root: Path | None = None) -> Path:
        root = root or tmp_path / "show"
        root.mkdir(parents=True, exist_ok=True)
        (root / "podkit.toml").write_text(toml)
        if not (root / "artwork.png").exists():
            make_artwork(root / "artwork.png", "Test Show")
        for slug, text in (episodes if episodes is not None else {"kennedy": episode_md()}).items():
            folder = root / "episodes" / slug
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "episode.md").write_text(text)
            if not (folder / "speech.flac").exists():
                shutil.copy(data_file("jfk.flac"), folder / "speech.flac")
        return root

    return make


@pytest.fixture(scope="session")
def built_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample show, built once for the whole session (real ffmpeg, real Whisper)."""
    from toolkit.build.pipeline import build

    root = copy_sample_show(tmp_path_factory.mktemp("sample"))
    build(root)
    return root


@pytest.fixture(scope="session")
def built_small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-episode show (11 s of speech), built once; tests copy it before changing it."""
    from toolkit.build.pipeline import build
    from toolkit.scaffold import make_artwork

    root = tmp_path_factory.mktemp("small") / "show"
    folder = root / "episodes" / "kennedy"
    folder.mkdir(parents=True)
    (root / "podkit.toml").write_text(SHOW_TOML)
    make_artwork(root / "artwork.png", "Test Show")
    (folder / "episode.md").write_text(episode_md())
    shutil.copy(data_file("jfk.flac"), folder / "speech.flac")
    build(root)
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder with its bytes, to prove a folder was left exactly as it was.

    The writer's list of the files it wrote is left out: it holds their modification times, which
    differ from build to build of the same site.
    """
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".podkit-files.json"}


def debris(folder: Path, name: str = "public") -> list[Path]:
    """What builds left beside the output folder ``folder/name``, but the spare the next build starts from."""
    return [p for p in folder.glob(f".{name}*") if p.name != f".{name}.spare"]


CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright's own download does not work offline


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A real Chromium, one per test module."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/bootstrap.sh --test")
    from playwright.sync_api import sync_playwright

    args = ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run",
            "--autoplay-policy=no-user-gesture-required"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield b
        b.close()


@contextlib.contextmanager
def serving(folder: Path, prefix: str = "/") -> Iterator[str]:
    """``folder`` served by podkit's own server on a free port: its address, ending in ``prefix``."""
    from toolkit.publish.serve import make_server

    server = make_server(folder, 0, prefix=prefix)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
