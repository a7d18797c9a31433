"""An edit of one episode reads only that episode again (the build state), and builds exactly what a
build from nothing would (adopted folders and reused pages included)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import MakeShow, episode_md, snapshot
from toolkit.build import state
from toolkit.build.pipeline import build

pytestmark = pytest.mark.slow
NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def two(make_show: MakeShow) -> Path:
    """Two episodes of the same speech (so master and transcribe run once), built."""
    root = make_show({"first": episode_md("First", "2026-01-05", 1),
                      "second": episode_md("Second", "2026-01-12", 2, extra='tags = ["speech"]\n')})
    build(root, now=NOW)
    assert _processed(root) == ["first", "second"]  # the first build wrote the guids: read again
    assert _processed(root) == []
    return root


def _processed(root: Path) -> list[str]:
    return sorted(item.episode.slug for item in build(root, now=NOW).processed)


def _from_nothing(root: Path, tmp_path: Path) -> dict[str, bytes]:
    """The site a build of the same sources makes with no previous site and no build state."""
    fresh = tmp_path / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(root, fresh, symlinks=True)
    shutil.rmtree(fresh / "public")
    (fresh / ".podkit" / state.NAME).unlink(missing_ok=True)
    build(fresh, now=NOW)
    return snapshot(fresh / "public")


def test_an_edit_reads_only_its_episode_and_builds_what_a_fresh_build_would(two: Path, tmp_path: Path) -> None:
    md = two / "episodes" / "second" / "episode.md"
    md.write_text(md.read_text() + "\nA correction.\n")
    assert _processed(two) == ["second"]
    site = snapshot(two / "public")
    assert b"A correction." in site["episodes/second/index.html"]
    assert site == _from_nothing(two, tmp_path)

    md.write_text(md.read_text().replace('title = "Second"', 'title = "Second, renamed"'))
    assert _processed(two) == ["second"]
    assert b"Second, renamed" in snapshot(two / "public")["index.html"]  # the lists show the new title
    assert snapshot(two / "public") == _from_nothing(two, tmp_path)


def test_the_episodes_are_read_again_when_what_shapes_every_episode_changes(two: Path) -> None:
    config = two / "podkit.toml"
    config.write_text(config.read_text().replace('title = "Test Show"', 'title = "Renamed Show"'))
    assert _processed(two) == ["first", "second"]
    assert b"Renamed Show" in (two / "public" / "episodes" / "first" / "index.html").read_bytes()


def test_a_missing_cache_entry_or_a_damaged_state_means_reading_again(two: Path) -> None:
    shutil.rmtree(two / ".podkit" / "tag")  # what the state's episodes point into
    (two / "episodes" / "first" / "episode.md").touch()  # so that the build looks at all
    assert _processed(two) == ["first", "second"]
    (two / ".podkit" / state.NAME).write_bytes(b"not a pickle")
    (two / "episodes" / "first" / "episode.md").touch()
    assert _processed(two) == ["first", "second"]
    assert _processed(two) == []  # and the state is whole again


def test_a_file_an_episode_names_outside_its_folder_is_watched(make_show: MakeShow) -> None:
    root = make_show({"first": episode_md("First", "2026-01-05", 1, extra='[master]\nintro = "intro.flac"\n'),
                      "second": episode_md("Second", "2026-01-12", 2)})
    shutil.copy(root / "episodes" / "first" / "speech.flac", root / "intro.flac")
    build(root, now=NOW)
    _processed(root)  # the first build wrote the guids
    assert _processed(root) == []
    intro = root / "intro.flac"
    os.utime(intro, ns=(intro.stat().st_atime_ns, intro.stat().st_mtime_ns + 10**9))
    assert _processed(root) == ["first"]
