"""Permanent guids: an episode's survives every edit, the show's podcast:guid is stored once.

Each test copies the session's built one-episode show, makes the edit and rebuilds for real,
then reads the guid back from the feed with podcastparser.
"""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import podcastparser
import pytest

from tests.conftest import data_file
from toolkit.build.pipeline import build
from toolkit.publish.feed import podcast_guid
from toolkit.show import load_show

pytestmark = pytest.mark.slow
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _feed(root: Path) -> dict:  # type: ignore[type-arg]
    with (root / "public" / "feed.xml").open("rb") as f:
        return podcastparser.parse("https://example.com/podcast/feed.xml", f)  # type: ignore[no-any-return]


def _copy(built_small: Path, tmp_path: Path) -> Path:
    root = tmp_path / "show"
    shutil.copytree(built_small, root)
    return root


def _guid(folder: Path) -> str:
    return (folder / "episode.guid").read_text().strip()


def test_first_build_writes_a_uuid_beside_the_sources(built_small: Path) -> None:
    guid = _guid(built_small / "episodes/kennedy")
    assert uuid.UUID(guid)
    assert [e["guid"] for e in _feed(built_small)["episodes"]] == [guid]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _title(root: Path) -> None:
    _edit(root / "episodes/kennedy/episode.md", 'title = "Kennedy"', 'title = "Ask not"')


def _date(root: Path) -> None:
    _edit(root / "episodes/kennedy/episode.md", "date = 2026-01-05", "date = 2025-12-01T09:30:00+02:00")


def _audio(root: Path) -> None:
    # different audio under the same name: half of the clip, so it is really re-mastered
    src = data_file("jfk.flac")
    from pydub import AudioSegment

    AudioSegment.from_file(src)[:6000].export(root / "episodes/kennedy/speech.flac", format="flac")


def _url(root: Path) -> None:
    _edit(root / "podkit.toml", 'url = "https://podkit-test.net/podcast/"', 'url = "https://podcast.podkit-test.org/"')


def _rename(root: Path) -> None:
    (root / "episodes/kennedy").rename(root / "episodes/ask-not")


@pytest.mark.parametrize("edit", [_title, _date, _audio, _url, _rename], ids=lambda f: f.__name__.strip("_"))
def test_guid_survives_an_edit_and_a_rebuild(built_small: Path, tmp_path: Path, edit: object) -> None:
    root = _copy(built_small, tmp_path)
    before = _guid(root / "episodes/kennedy")
    # a public url (example.com is not one): the build stores the show's guid
    _edit(root / "podkit.toml", 'url = "https://example.com/podcast/"', 'url = "https://podkit-test.net/podcast/"')
    build(root, now=NOW)
    show_guid = load_show(root, check_audio=False).info.guid
    assert show_guid == podcast_guid("https://podkit-test.net/podcast/feed.xml")
    assert callable(edit)
    edit(root)
    build(root, now=NOW)
    (folder,) = [p for p in (root / "episodes").iterdir() if p.is_dir()]
    assert _guid(folder) == before
    parsed = _feed(root)
    assert [e["guid"] for e in parsed["episodes"]] == [before]
    # the show's guid is never recomputed, not even when the feed moves
    assert load_show(root, check_audio=False).info.guid == show_guid


def test_podcast_guid_is_written_once_under_show_keeping_the_authors_layout(built_small: Path,
                                                                            tmp_path: Path) -> None:
    root = _copy(built_small, tmp_path)
    config = root / "podkit.toml"
    lines = [ln for ln in config.read_text().splitlines() if not ln.startswith("guid =")]
    lines.insert(0, "# my show: keep this comment")
    lines[1] = "[show]   # and this one"
    config.write_text("\n".join(lines).replace("https://example.com/podcast/", "https://podkit-test.net/podcast/")
                      + "\n\n[transcribe]\n# vocabulary = []\n")
    before = config.read_text()
    build(root, now=NOW)
    after = config.read_text()
    expected = podcast_guid("https://podkit-test.net/podcast/feed.xml")
    added = [ln for ln in after.splitlines() if ln not in before.splitlines()]
    assert len(added) == 1 and added[0].startswith(f'guid = "{expected}"')
    assert after.replace(added[0] + "\n", "") == before
    assert after.splitlines()[2] == added[0]  # right under [show]
    assert load_show(root, check_audio=False).info.guid == expected
    build(root, now=NOW, force=True)
    assert config.read_text() == after


def test_drafts_and_scheduled_episodes(built_small: Path, tmp_path: Path) -> None:
    root = _copy(built_small, tmp_path)
    shutil.copytree(root / "episodes/kennedy", root / "episodes/draft")
    (root / "episodes/draft/episode.guid").unlink()
    _edit(root / "episodes/draft/episode.md", "number = 1", "number = 2\ndraft = true")
    shutil.copytree(root / "episodes/kennedy", root / "episodes/later")
    (root / "episodes/later/episode.guid").unlink()
    _edit(root / "episodes/later/episode.md", "number = 1", "number = 3")
    _edit(root / "episodes/later/episode.md", "date = 2026-01-05", "date = 2026-07-01")

    build(root, now=NOW)
    draft, later = _guid(root / "episodes/draft"), _guid(root / "episodes/later")
    assert len({draft, later, _guid(root / "episodes/kennedy")}) == 3
    assert [e["title"] for e in _feed(root)["episodes"]] == ["Kennedy"]
    assert (root / "public/episodes/draft/index.html").is_file()  # built for preview
    index = (root / "public/index.html").read_text()
    assert "episodes/draft/" not in index and "episodes/later/" not in index

    build(root, now=datetime(2026, 7, 1, tzinfo=UTC))  # on the day: the scheduled one is out
    parsed = _feed(root)
    assert [(e["title"], e["guid"]) for e in parsed["episodes"]] == [("Kennedy", later), ("Kennedy", _guid(
        root / "episodes/kennedy"))]
    assert "episodes/later/" in (root / "public/index.html").read_text()


def test_no_podcast_guid_from_a_local_url_until_the_public_one_is_set(tmp_path: Path) -> None:
    """`podkit init` sets url = localhost: the build says it stores no guid, the first build with the
    public url stores the guid of that url and says so; `check` reports a guid derived from localhost."""
    from click.testing import CliRunner

    from toolkit.cli import cli
    from toolkit.config import not_public
    from toolkit.publish.check import check

    assert not_public("http://localhost:8000/") and not_public("http://127.0.0.1:8080/")
    assert not_public("http://192.168.1.4/show/") and not_public("https://example.com/podcast/")
    assert not_public("http://mybox.local/") and not_public("http://devbox:8000/")
    assert not_public("https://podnews.net/") is None and not_public("https://podcast.example-show.org/") is None

    runner = CliRunner()
    root = tmp_path / "show"
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    config = root / "podkit.toml"
    result = runner.invoke(cli, ["build", "--show", str(root)])
    assert result.exit_code == 0, result.output
    assert "podcast:guid not stored yet: [show] url is not public (localhost is a local name)" in \
        " ".join(result.output.split())
    assert "guid =" not in config.read_text()
    assert b"podcast:guid" not in (root / "public/feed.xml").read_bytes()

    config.write_text(config.read_text().replace("http://localhost:8000/", "https://shows.podkit-test.net/mine/"))
    result = runner.invoke(cli, ["build", "--show", str(root)])
    expected = podcast_guid("https://shows.podkit-test.net/mine/feed.xml")
    assert result.exit_code == 0 and f"stored the show's podcast:guid {expected}" in result.output
    assert load_show(root, check_audio=False).info.guid == expected
    assert f"<podcast:guid>{expected}</podcast:guid>" in (root / "public/feed.xml").read_text()
    assert not [f for f in check(root).findings if "guid" in f.problem.message]

    # the guid every show built at localhost:8000 got, stored before this rule: an error, at its line
    local = podcast_guid("http://localhost:8000/feed.xml")
    assert local == "a1a4ee3a-54d5-52a2-af53-4b6e295ea6a1"
    config.write_text(config.read_text().replace(expected, local))
    (found,) = [f for f in check(root).findings if "guid" in f.problem.message]
    assert found.severity == "error" and "localhost:8000/feed.xml" in found.problem.message
    assert found.problem.line == 4
