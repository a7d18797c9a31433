"""Messages that used to mislead: each now names the right file and the real problem."""

from __future__ import annotations

import re
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SHOW_TOML, episode_md, snapshot
from toolkit.cli import cli


def _errors(root: Path, command: str = "check") -> list[str]:
    result = CliRunner().invoke(cli, [command, "--show", str(root)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return [ln.strip() for ln in result.output.splitlines() if ln.strip()]


def _one(root: Path, command: str = "check") -> str:
    lines = _errors(root, command)
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


def test_a_byte_order_mark_and_a_missing_closing_line(make_show: Callable[..., Path]) -> None:
    root = make_show({"kennedy": episode_md().replace("+++\n\nNotes.", "\nNotes.")})
    for path in (root / "podkit.toml", root / "episodes/kennedy/episode.md"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    line = _one(root)
    assert re.search(r"kennedy/episode.md:1: no closing '\+\+\+' line", line), line
    md = root / "episodes/kennedy/episode.md"
    md.write_bytes(md.read_text().encode("utf-16"))  # an editor's "Unicode": UTF-16 with its mark
    line = _one(root)
    assert "kennedy/episode.md: UTF-16 text, not UTF-8 (save it as UTF-8)" in line, line


def test_text_named_like_an_image_is_called_text(make_show: Callable[..., Path]) -> None:
    root = make_show()
    (root / "artwork.png").write_text("not a picture\n")
    line = _one(root, "build")
    assert re.search(r"podkit.toml:\d+: artwork artwork.png is not a JPEG or PNG image: it holds text", line), line
    assert "image/png" not in line
    root = make_show({"kennedy": episode_md(extra='image = "cover.jpg"\n')}, root=root.parent / "other")
    (root / "episodes/kennedy/cover.jpg").write_bytes(b"GIF89a" + bytes(100))
    line = _one(root, "build")
    assert re.search(r"kennedy/episode.md:\d+: image cover.jpg is not a JPEG or PNG image: it holds a GIF", line)


def test_a_duplicate_front_matter_guid_blames_the_front_matter(make_show: Callable[..., Path]) -> None:
    guid = 'guid = "episode-one"\n'
    root = make_show({"one": episode_md(number=1, extra=guid), "two": episode_md(number=2, extra=guid)})
    line = _one(root)
    assert "episode.guid" not in line, line
    assert re.search(r"episodes/two/episode.md: guid episode-one is also used by \S+/episodes/one/episode.md "
                     r"\(.*change or delete the guid line\)", line), line


@pytest.mark.parametrize(("setting", "what"), [
    ('url = "https://example.com/my podcast/"', "[show] url is not a valid URL: it contains a space"),
    ('url = "https://example.com/"\nfunding_url = "https://x.example/\\"><script>"',
     "[show] funding_url is not a valid URL: it contains a double quote"),
])
def test_a_url_that_is_not_one_is_refused(make_show: Callable[..., Path], setting: str, what: str) -> None:
    root = make_show(toml=SHOW_TOML.replace('url = "https://example.com/podcast/"', setting))
    line = _one(root)
    assert "podkit.toml" in line and what in line and "%20" in line, line


def test_a_persons_url_with_a_space_is_refused(make_show: Callable[..., Path]) -> None:
    extra = '[[people]]\nname = "Ada"\nurl = "https://example.com/ada lovelace"\n'
    root = make_show({"kennedy": episode_md(audio=None, extra='audio = "speech.flac"\n' + extra)})
    line = _one(root)
    assert re.search(r"kennedy/episode.md:\d+: \[\[people\]\] #1 url is not a valid URL: it contains a space", line)


def test_a_date_in_year_one_is_refused(make_show: Callable[..., Path]) -> None:
    root = make_show({"kennedy": episode_md(date="0001-01-05")})
    line = _one(root)
    assert re.search(r"kennedy/episode.md:\d+: the date 0001-01-05 is before 1900", line), line


def test_an_episode_dated_9999_is_not_left_out_silently(built_small: Path, tmp_path: Path) -> None:
    root = tmp_path / "show"
    shutil.copytree(built_small, root, symlinks=True)
    md = root / "episodes/kennedy/episode.md"
    md.write_text(md.read_text().replace("date = 2026-01-05", "date = 9999-01-05"))
    result = CliRunner().invoke(cli, ["build", "--show", str(root)])
    assert result.exit_code == 0, result.output
    said = "".join(result.output.split())  # the console wraps long lines anywhere
    assert "warning:kennedy:dated9999-01-05,soitstaysoutofthefeedandtheindexuntilthen(istheyearright?" in said, \
        result.output
    assert b"<item>" not in snapshot(root / "public")["feed.xml"]


@pytest.mark.parametrize("title", ['Back\\slash', 'Two\nlines', 'A "quoted" \\n word', "Tab\there \x7f"])
def test_init_and_new_write_valid_toml_for_any_title(tmp_path: Path, title: str) -> None:
    from toolkit.config import read
    from toolkit.scaffold import init, new_episode
    from toolkit.show import read_episode_file

    root = tmp_path / "show"
    init(root, title)
    assert tomllib.loads((root / "podkit.toml").read_text())["show"]["title"] == title
    assert read(root).show.title == title
    md = new_episode(root, title, "episode").path
    parsed = read_episode_file(md)
    assert isinstance(parsed, tuple), parsed
    assert parsed[0]["title"] == title
