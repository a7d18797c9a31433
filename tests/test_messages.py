"""Every failure a message: what the system refuses and what feeds cannot hold, one line each, with the
file and a hint, a non-zero exit and public/ untouched."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import debris, snapshot
from toolkit.cli import cli


def _copy(built_small: Path, tmp_path: Path) -> Path:
    root = tmp_path / "show"
    shutil.copytree(built_small, root, symlinks=True)
    return root


def _one_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    # The one other line a build may print first: the show's url (example.com) is not public, so
    # no podcast:guid is stored yet (the notice may wrap).
    notice = [ln for ln in lines if not ln.startswith("error: ")]
    assert not notice or " ".join(notice).startswith("podcast:guid not stored yet"), result.output
    errors = [ln for ln in lines if ln.startswith("error: ")]
    assert len(errors) == 1, result.output
    return errors[0]


EPISODE = "episodes/kennedy/episode.md"
CONTROL = [  # (file, text replaced, by, what the message names)
    (EPISODE, 'title = "Kennedy"', 'title = "Ken\\u001bnedy"', "'title' contains the control character U+001B"),
    (EPISODE, "number = 1", 'number = 1\ndescription = "a\\u0000b"',
     "'description' contains the control character U+0000"),
    (EPISODE, "number = 1", 'number = 1\ntags = ["ok", "x\\u000by"]', "'tags' contains the control character U+000B"),
    (EPISODE, 'audio = "speech.flac"', 'audio = "speech.flac"\n[[people]]\nname = "A\\u0007"',
     "[[people]] #1 name contains the control"),
    (EPISODE, "Notes.", "Notes with a \x00 NUL.", ":8: the notes contain the control character U+0000"),
    (EPISODE, "Notes.", "Notes.\n\nA \x0b vertical tab.", ":10: the notes contain the control character U+000B"),
    ("podkit.toml", 'title = "Test Show"', 'title = "Test\\u001b[31mShow"', "[show] title contains the control"),
]


@pytest.mark.parametrize(("rel", "old", "new", "what"), CONTROL, ids=[c[3].split(" contain")[0] for c in CONTROL])
def test_control_characters_are_refused_naming_the_field(built_small: Path, tmp_path: Path, rel: str, old: str,
                                                         new: str, what: str) -> None:
    root = _copy(built_small, tmp_path)
    before = snapshot(root / "public")
    path = root / rel
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    for command in ("build", "check"):
        line = _one_error(CliRunner().invoke(cli, [command, "--show", str(root)]))
        assert rel in line and what in line and "delete it" in line, line
    assert snapshot(root / "public") == before


@contextlib.contextmanager
def _mounted(folder: Path, *options: str) -> Iterator[None]:
    """A real file system mounted at ``folder`` (root only: a test that needs one is skipped without)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    done = subprocess.run(["mount", *options, str(folder)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.parametrize("change", ["none", "title", "loudness"])
def test_a_full_disk_is_one_message_and_the_site_stays(built_small: Path, tmp_path: Path, change: str) -> None:
    """The show on a disk with a few kilobytes free: the build that needs more says so, whether the
    site (a forced build), the tag stage (a new title) or the master stage (a new loudness) runs out."""
    size = sum(p.stat().st_size for p in built_small.rglob("*") if p.is_file() and not p.is_symlink())
    disk = tmp_path / "disk"
    with _mounted(disk, "-t", "tmpfs", "-o", f"size={size // 1024 + 400}k", "tmpfs"):
        root = _copy(built_small, disk)
        before = snapshot(root / "public")
        md = root / EPISODE
        if change == "title":
            md.write_text(md.read_text().replace('title = "Kennedy"', 'title = "Kennedy, again"'))
        elif change == "loudness":
            md.write_text(md.read_text().replace("+++\n\nNotes.", "[master]\ntarget_lufs = -18.0\n+++\n\nNotes."))
        filler = disk / "filler"
        with contextlib.suppress(OSError), filler.open("wb") as f:  # the disk to its last kilobytes
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        filler.unlink()
        with (disk / "filler").open("wb") as f:
            f.write(b"\0" * (max(0, shutil.disk_usage(disk).free - 16 * 1024) // 4096 * 4096))
        result = CliRunner().invoke(cli, ["build", "--force", "--show", str(root)])
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        errors = [ln for ln in result.output.splitlines() if ln.startswith("error")]  # progress bars aside
        assert len(errors) == 1, result.output
        line = errors[0]
        assert "No space left on device" in line or "MP3 encoding failed" in line, line
        assert "disk is full" in line or "space on the disk" in line, line
        assert snapshot(root / "public") == before
        assert not debris(root)


def test_a_read_only_output_folder_is_one_message(built_small: Path, tmp_path: Path) -> None:
    root = _copy(built_small, tmp_path)
    site = tmp_path / "site"
    (site / "public").mkdir(parents=True)
    text = (root / "podkit.toml").read_text()
    (root / "podkit.toml").write_text(text + f'\n[build]\noutput = "{site / "public"}"\n')
    if os.geteuid() == 0:  # root may write anywhere: only a read-only file system stops it
        with _mounted(site, "--bind", "-o", "ro", str(site)):
            line = _one_error(CliRunner().invoke(cli, ["build", "--show", str(root)]))
    else:
        site.chmod(0o555)
        try:
            line = _one_error(CliRunner().invoke(cli, ["build", "--show", str(root)]))
        finally:
            site.chmod(0o755)
    assert str(site) in line and ("read-only" in line or "permissions" in line), line


def test_an_invalid_show_raised_in_a_worker_says_the_same() -> None:
    """Errors cross from worker processes (the pool's, a cluster's) pickled."""
    import pickle

    from toolkit.errors import InvalidShow, Problem

    sent = InvalidShow([Problem("no audio", Path("episodes/a/episode.md"), 3, "add audio ="), Problem("bad date")])
    got = pickle.loads(pickle.dumps(sent))
    assert got.problems == sent.problems and str(got) == str(sent)
