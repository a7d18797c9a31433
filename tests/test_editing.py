"""The editing flow never blocks: errors suggest the obvious fix, `serve` serves the last good build
of a show with problems, and `serve --watch` shows a failed rebuild over the open page in Chromium,
with the terminal's messages, until the author fixes the file."""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest
from click.testing import CliRunner

from tests.conftest import REPO, SHOW_TOML, episode_md
from toolkit.cli import cli


def _check(root: Path) -> list[str]:
    result = CliRunner().invoke(cli, ["check", "--show", str(root)])
    assert "Traceback" not in result.output
    return result.output.splitlines()


def test_an_unknown_key_suggests_the_one_meant(make_show: Callable[..., Path]) -> None:
    root = make_show(toml=SHOW_TOML.replace("author =", "auther ="))
    config = root / "podkit.toml"
    out = _check(root)
    assert f"  {config}:4: unknown setting [show] auther (did you mean 'author'?)" in out


def test_no_audio_suggests_the_recording_in_the_folder(make_show: Callable[..., Path]) -> None:
    root = make_show({"kennedy": episode_md(audio=None)})
    md = root / "episodes/kennedy/episode.md"
    assert _check(root)[0] == (f'error: {md}: no audio: set audio = "file", or a track = "file" for each of '
                               '[[people]] (speech.flac is in the folder: add audio = "speech.flac")')
    md.write_text(episode_md(audio="speach.flac"))
    assert _check(root)[0] == (f"error: {md}:5: audio file does not exist: speach.flac (did you mean "
                               "'speech.flac'? It is in kennedy/)")


class Served:
    """`podkit serve` run as the author runs it, in a process of its own, and what it printed (read
    by a thread, so a test waiting for a line it never prints fails instead of hanging)."""

    def __init__(self, root: Path, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.process = subprocess.Popen([sys.executable, "-m", "toolkit.cli", "serve", "--port", "0", *args,
                                         "--show", str(root)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, env=env)
        self.lines: list[str] = []
        self.queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = ""
        while not self.url:
            m = re.search(r"at (http://127\.0\.0\.1:\d+/)", self._line())
            if m:
                self.url = m.group(1)

    def _read(self) -> None:
        out: IO[str] | None = self.process.stdout
        assert out is not None
        for line in out:
            self.queue.put(line.rstrip("\n"))
        self.queue.put(None)

    def _line(self) -> str:
        try:
            line = self.queue.get(timeout=300)
        except queue.Empty:
            raise AssertionError("podkit serve printed nothing more:\n" + "\n".join(self.lines)) from None
        assert line is not None, "podkit serve stopped:\n" + "\n".join(self.lines)
        self.lines.append(line)
        return line

    def wait_for(self, text: str) -> None:
        while not any(text in ln for ln in self.lines):
            self._line()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def show(built_small: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(built_small, tmp_path / "show"))


@pytest.mark.slow
def test_serve_serves_the_last_good_build_and_says_what_is_wrong(show: Path) -> None:
    md = show / "episodes/kennedy/episode.md"
    md.write_text(md.read_text().replace('title = "Kennedy"', 'title = "Kennedy"\ncolour = "red"'))
    served = Served(show)
    try:
        assert served.lines[0] == "the show has 1 problem(s); serving the last good build:"
        assert served.lines[1].startswith(f"  {md}:3: unknown key 'colour'")
        with urllib.request.urlopen(served.url + "episodes/kennedy/") as resp:
            assert resp.status == 200 and b"Kennedy" in resp.read()
    finally:
        served.stop()


@pytest.mark.slow
@pytest.mark.browser
def test_watch_shows_a_failed_rebuild_over_the_page_and_recovers(show: Path, browser: Any) -> None:
    md = show / "episodes/kennedy/episode.md"
    good = md.read_text()
    served = Served(show, "--watch")
    try:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(served.url + "episodes/kennedy/")
        assert page.locator("#podkit-problems").count() == 0
        time.sleep(1.1)  # a new mtime for the watcher's scan
        md.write_text(good.replace("date = 2026-01-05", "date = 2026-01-05\ntitel = 'Typo'"))
        served.wait_for("build failed")
        overlay = page.locator("#podkit-problems")
        overlay.wait_for(state="visible", timeout=15000)
        served.wait_for("unknown key")
        terminal = [ln.strip() for ln in served.lines if "unknown key" in ln]
        assert terminal == [f"{md}:4: unknown key 'titel' (did you mean 'title'?)"]
        assert terminal[0] in overlay.inner_text()
        assert page.locator("h1").first.inner_text() == "Kennedy"  # the last good build, under the overlay
        # the author fixes it, with a new title: the page reloads with it and the overlay is gone
        md.write_text(good.replace('title = "Kennedy"', 'title = "Ask not"'))
        page.wait_for_function("document.querySelector('h1') && document.querySelector('h1').textContent === "
                               "'Ask not'", timeout=120000)
        overlay.wait_for(state="detached", timeout=15000)
        assert errors == []
    finally:
        served.stop()
