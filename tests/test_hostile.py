"""A corpus of hostile inputs, made at run time, each fed to a real `podkit build` of a built show.

Each must end in one message (exit 1, public/ exactly as it was) or a correct build (exit 0, a feed
that podcastparser reads), never a traceback or a hang (the subprocess's timeout is the guard
against a hang, not a measure of speed).
"""

from __future__ import annotations

import os
import random
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import podcastparser
import pytest

from tests.conftest import REPO, data_file, snapshot

EP = "episodes/kennedy"


def _md(root: Path) -> Path:
    return root / EP / "episode.md"


def _edit(root: Path, old: str, new: str) -> None:
    text = _md(root).read_text()
    assert old in text
    _md(root).write_text(text.replace(old, new, 1))


def _audio(root: Path, data: bytes, name: str = "hostile.flac") -> None:
    (root / EP / name).write_bytes(data)
    _edit(root, 'audio = "speech.flac"', f'audio = "{name}"')


def _random_bytes(root: Path) -> None:
    _audio(root, random.Random(1).randbytes(200_000))


def _truncated_flac(root: Path) -> None:
    _audio(root, data_file("jfk.flac").read_bytes()[:4096])


def _flac_claims_days(root: Path) -> None:
    data = bytearray(data_file("jfk.flac").read_bytes())
    data[18:26] = (int.from_bytes(data[18:26], "big") | ((1 << 36) - 1)).to_bytes(8, "big")
    _audio(root, bytes(data))


def _wav_at_one_hertz(root: Path) -> None:
    wav = root / EP / "hostile.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(data_file("jfk.flac")), "-ac", "1",
                    "-ar", "16000", "-c:a", "pcm_s16le", str(wav)], check=True)
    data = bytearray(wav.read_bytes())
    data[24:32] = struct.pack("<II", 1, 2)  # sample rate 1 Hz, byte rate 2
    _audio(root, bytes(data), "hostile.wav")


def _binary_episode_md(root: Path) -> None:
    _md(root).write_bytes(random.Random(2).randbytes(5000))


def _raw_nul_in_title(root: Path) -> None:
    _edit(root, 'title = "Kennedy"', 'title = "Ken\x00nedy"')


def _escaped_escape_in_notes(root: Path) -> None:
    _md(root).write_text(_md(root).read_text() + "\n\x1b[31mred\x1b[0m\n")


def _deeply_nested_toml(root: Path) -> None:
    _edit(root, "number = 1", "number = 1\nx = " + "[" * 5000 + "]" * 5000)


def _huge_title(root: Path) -> None:
    _edit(root, 'title = "Kennedy"', 'title = "' + "Kennedy " * 1500 + '"')


def _audio_outside_by_symlink(root: Path) -> None:
    (root / EP / "link.flac").symlink_to(data_file("jfk.flac"))
    _edit(root, 'audio = "speech.flac"', 'audio = "link.flac"')


def _audio_symlink_loop(root: Path) -> None:
    (root / EP / "a.flac").symlink_to(root / EP / "b.flac")
    (root / EP / "b.flac").symlink_to(root / EP / "a.flac")
    _edit(root, 'audio = "speech.flac"', 'audio = "a.flac"')


def _audio_is_a_fifo(root: Path) -> None:
    os.mkfifo(root / EP / "pipe.flac")  # reading it would wait forever
    _edit(root, 'audio = "speech.flac"', 'audio = "pipe.flac"')


def _audio_is_a_folder(root: Path) -> None:
    (root / EP / "folder.flac").mkdir()
    _edit(root, 'audio = "speech.flac"', 'audio = "folder.flac"')


def _chapter_past_the_end(root: Path) -> None:
    _edit(root, 'audio = "speech.flac"\n', 'audio = "speech.flac"\n[[chapters]]\nstart = "9:59:59"\ntitle = "Never"\n')


def _number_too_big(root: Path) -> None:
    _edit(root, "number = 1", "number = 99999999999999999999")


def _guid_of_control_characters(root: Path) -> None:
    _edit(root, "number = 1", 'number = 1\nguid = "\\u0001\\u0002"')


def _deeply_nested_podkit_toml(root: Path) -> None:
    (root / "podkit.toml").write_text((root / "podkit.toml").read_text() + "\n[build]\nx = " + "{a=" * 3000
                                      + "1" + "}" * 3000 + "\n")


def _episode_folder_is_a_symlink_loop(root: Path) -> None:
    (root / "episodes" / "loop").symlink_to(root / "episodes" / "loop")


def _episode_folder_not_a_slug(root: Path) -> None:
    shutil.copytree(root / EP, root / "episodes" / "Ünïcode Folder")


def _toml_in_podkit_is_binary(root: Path) -> None:
    (root / "podkit.toml").write_bytes(b"\x00\xff" * 1000)


CASES: dict[str, Callable[[Path], None]] = {f.__name__.strip("_"): f for f in (
    _random_bytes, _truncated_flac, _flac_claims_days, _wav_at_one_hertz, _binary_episode_md, _raw_nul_in_title,
    _escaped_escape_in_notes, _deeply_nested_toml, _huge_title, _audio_outside_by_symlink, _audio_symlink_loop,
    _audio_is_a_fifo, _audio_is_a_folder, _chapter_past_the_end, _number_too_big, _guid_of_control_characters,
    _toml_in_podkit_is_binary, _deeply_nested_podkit_toml, _episode_folder_is_a_symlink_loop,
    _episode_folder_not_a_slug)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input_ends_in_a_message_or_a_correct_build(built_small: Path, tmp_path: Path, name: str) -> None:
    root = tmp_path / "show"
    shutil.copytree(built_small, root, symlinks=True)
    before = snapshot(root / "public")
    CASES[name](root)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "toolkit.cli", "build", "--show", str(root)], capture_output=True,
                          text=True, env=env, timeout=900, check=False)  # the guard against a hang
    said = done.stdout + done.stderr
    assert "Traceback" not in said and "failed unexpectedly" not in said, said
    assert done.returncode in (0, 1), said
    if done.returncode == 1:
        errors = [ln for ln in said.splitlines() if ln.startswith("error")]
        assert len(errors) == 1, said
        assert snapshot(root / "public") == before
    else:
        with (root / "public" / "feed.xml").open("rb") as f:
            feed = podcastparser.parse("https://example.com/feed.xml", f)
        assert len(feed["episodes"]) == 1 and feed["episodes"][0]["enclosures"][0]["file_size"] > 0
