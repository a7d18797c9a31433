"""Bad input: one clear message naming the file, a non-zero exit, no traceback, public/ untouched."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import episode_md, snapshot
from toolkit.cli import cli


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def _no_config(root: Path) -> None:
    (root / "podkit.toml").unlink()


def _bad_toml(root: Path) -> None:
    _replace(root / "podkit.toml", 'author = "Test Author"', 'author = "Test Author')


def _missing_key(root: Path) -> None:
    _replace(root / "podkit.toml", 'email = "test@example.com"\n', "")


def _bad_date(root: Path) -> None:
    _replace(root / "episodes/kennedy/episode.md", "date = 2026-01-05", 'date = "last tuesday"')


def _impossible_date(root: Path) -> None:
    _replace(root / "episodes/kennedy/episode.md", "date = 2026-01-05", 'date = "2026-13-45"')


def _missing_audio(root: Path) -> None:
    _replace(root / "episodes/kennedy/episode.md", 'audio = "speech.flac"', 'audio = "missing.flac"')


def _text_as_mp3(root: Path) -> None:
    (root / "episodes/kennedy/fake.mp3").write_text("this is not audio at all\n" * 20)
    _replace(root / "episodes/kennedy/episode.md", 'audio = "speech.flac"', 'audio = "fake.mp3"')


def _empty_audio(root: Path) -> None:
    (root / "episodes/kennedy/empty.flac").write_bytes(b"")
    _replace(root / "episodes/kennedy/episode.md", 'audio = "speech.flac"', 'audio = "empty.flac"')


def _no_closing_line(root: Path) -> None:
    _replace(root / "episodes/kennedy/episode.md", "+++\n\nNotes.", "\nNotes.")


def _unordered_chapters(root: Path) -> None:
    _replace(root / "episodes/kennedy/episode.md", 'audio = "speech.flac"\n',
             'audio = "speech.flac"\n[[chapters]]\nstart = "0:05"\ntitle = "B"\n'
             '[[chapters]]\nstart = "0:01"\ntitle = "A"\n')


def _slug(name: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        shutil.copytree(root / "episodes/kennedy", root / "episodes" / name)
        (root / "episodes" / name / "episode.guid").unlink()
        _replace(root / "episodes" / name / "episode.md", "number = 1", "number = 7")
    return mutate


def _same_number(root: Path) -> None:
    shutil.copytree(root / "episodes/kennedy", root / "episodes/kennedy-again")
    (root / "episodes/kennedy-again/episode.guid").unlink()


CASES: list[tuple[str, Callable[[Path], None], str, str]] = [
    ("no config", _no_config, "podkit.toml", "no podkit.toml"),
    ("invalid toml", _bad_toml, r"podkit.toml:\d+", "invalid TOML"),
    ("missing key", _missing_key, "podkit.toml", "email is required"),
    ("not a date", _bad_date, r"kennedy/episode.md:\d+", "not a date"),
    ("impossible date", _impossible_date, "kennedy/episode.md", "not a date"),
    ("missing audio", _missing_audio, r"kennedy/episode.md:5:", "does not exist: missing.flac"),
    ("text named mp3", _text_as_mp3, "fake.mp3", "not a readable audio file"),
    ("empty audio", _empty_audio, "empty.flac", "empty"),
    ("capitals", _slug("Kennedy"), "episodes/Kennedy", "not a valid episode slug"),
    ("spaces", _slug("ken nedy"), "episodes/ken nedy", "not a valid episode slug"),
    ("dots", _slug("ken..nedy"), "episodes/ken..nedy", "not a valid episode slug"),
    ("same number", _same_number, "episode.md", "number 1 is also used by"),
    ("no closing line", _no_closing_line, r"kennedy/episode.md:1:", "no closing '+++' line"),
    ("chapter order", _unordered_chapters, r"kennedy/episode.md:9:", "[[chapters]] are not in time order"),
]


@pytest.mark.parametrize(("name", "mutate", "where", "what"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("command", ["build", "check"])
def test_bad_input_is_refused_cleanly(built_small: Path, tmp_path: Path, name: str,
                                      mutate: Callable[[Path], None], where: str, what: str,
                                      command: str) -> None:
    root = tmp_path / "show"
    shutil.copytree(built_small, root)
    before = snapshot(root / "public")
    mutate(root)
    result = CliRunner().invoke(cli, [command, "--show", str(root)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output  # one message
    assert lines[0].startswith("error: ")
    assert re.search(where, lines[0]), lines[0]
    assert what in lines[0]
    assert snapshot(root / "public") == before


def test_a_byte_order_mark_is_not_an_error(built_small: Path, tmp_path: Path) -> None:
    """Some Windows editors start UTF-8 files with U+FEFF: podkit.toml and episode.md still load."""
    root = tmp_path / "show"
    shutil.copytree(built_small, root)
    for path in (root / "podkit.toml", root / "episodes/kennedy/episode.md"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = CliRunner().invoke(cli, ["check", "--show", str(root)])
    assert result.exit_code == 0, result.output


def test_every_problem_is_reported_at_once(make_show: Callable[..., Path]) -> None:
    root = make_show({
        "one": episode_md(date='"soon"', number=1),
        "two": episode_md(audio="nope.flac", number=2),
        "three": episode_md(number=3),
        "four": episode_md(number=3),
    })
    result = CliRunner().invoke(cli, ["check", "--show", str(root)])
    assert result.exit_code == 1
    assert "3 problems" in result.output
    assert "not a date" in result.output and "nope.flac" in result.output and "also used by" in result.output


def test_unknown_episode_slug_on_process(make_show: Callable[..., Path]) -> None:
    root = make_show()
    result = CliRunner().invoke(cli, ["process", "--show", str(root), "../etc"])
    assert result.exit_code == 1
    assert "no such episode: ../etc" in result.output


def test_audio_replaced_after_a_good_probe_is_probed_again(make_show: Callable[..., Path]) -> None:
    """Tracks that probed clean are remembered (in the build state), but only by path, size and mtime."""
    from toolkit.errors import InvalidShow
    from toolkit.show import load_show

    root = make_show()
    probed: set[tuple[str, int, int]] = set()
    show = load_show(root, probed=probed)
    track = show.episodes[0].tracks[0]
    assert [p[0] for p in probed] == [str(track.resolve())]
    track.write_bytes(b"not audio at all, and a different size")
    with pytest.raises(InvalidShow) as err:
        load_show(root, probed=probed)
    assert track.name in str(err.value)
