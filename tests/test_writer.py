from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import debris, snapshot
from toolkit.errors import PodkitError
from toolkit.publish.writer import FILES, Writer, intact, read_manifest, recover


def test_writer_swaps_in_whole_and_refuses_duplicates(tmp_path: Path) -> None:
    target = tmp_path / "public"
    target.mkdir()
    (target / "old.html").write_text("old")
    w = Writer(target)
    w.write("index.html", "new")
    with pytest.raises(PodkitError, match="same path"):
        w.write("index.html", "again")
    with pytest.raises(PodkitError, match="outside"):
        w.write("../escape.html", "x")
    assert (target / "old.html").exists()  # nothing visible until commit
    w.commit()
    assert sorted(p.name for p in target.iterdir()) == [FILES, "index.html"]
    assert target.stat().st_mode & 0o055 == 0o055  # a web server can read it
    assert not debris(tmp_path)


def test_aborted_build_and_interrupted_swap_keep_the_last_site(tmp_path: Path) -> None:
    target = tmp_path / "public"
    target.mkdir()
    (target / "index.html").write_text("good")
    w = Writer(target)
    w.write("index.html", "half")
    w.abort()
    assert (target / "index.html").read_text() == "good"
    # a swap cut off between its two renames
    target.rename(tmp_path / ".public.old")
    recover(target)
    assert (target / "index.html").read_text() == "good"


def _site(target: Path) -> None:
    for rel in ("index.html", "a/x.html", "b/y.html", "deep/c/z.html"):
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text(f"old {rel}")


def test_adopted_folders_are_linked_in_whole_at_commit(tmp_path: Path) -> None:
    target = tmp_path / "public"
    _site(target)
    inode = (target / "a" / "x.html").stat().st_ino
    w = Writer(target)
    w.adopt("a/")
    w.adopt("deep/c")
    w.write("index.html", "new")
    for clash in ("a/other.html", "deep/c/z.html"):  # a file inside an adopted folder
        with pytest.raises(PodkitError, match="same path"):
            w.write(clash, "x")
    with pytest.raises(PodkitError, match="same path"):
        w.adopt("a")  # twice
    w.write("b/new.html", "n")
    with pytest.raises(PodkitError, match="same path"):
        w.adopt("b/")  # a folder the build has written into
    w.commit()
    assert (target / "a" / "x.html").stat().st_ino == inode  # linked, not copied
    assert (target / "deep" / "c" / "z.html").read_text() == "old deep/c/z.html"
    assert not (target / "b" / "y.html").exists() and (target / "b" / "new.html").exists()
    assert (target / "index.html").read_text() == "new"
    assert not debris(tmp_path)
    assert intact(target)


def test_a_site_changed_after_its_build_is_not_intact(tmp_path: Path) -> None:
    """The no-op check looks at public/: a file gone, changed or truncated means build again."""
    target = tmp_path / "public"
    w = Writer(target)
    w.write(".podkit-pages.json", '{"site": "abc", "pages": {"index.html": "k"}}')
    w.write("index.html", "<html>home</html>")
    w.write("feed.xml", "<rss/>")
    w.commit()
    assert intact(target) and read_manifest(target) == ("abc", {"index.html": "k"})
    (target / "feed.xml").unlink()
    assert not intact(target) and read_manifest(target) == (None, {})
    (target / "feed.xml").write_text("<rss/>")  # the same bytes, but not the file the build wrote
    os.utime(target / "feed.xml", ns=(1, 1))
    assert not intact(target)
    (target / FILES).unlink()
    assert not intact(target)


# --- A kill at every step of the commit, while a server reads the site in a loop -----------------

KILLED_COMMIT = """
import os, shutil, signal, sys
from pathlib import Path
from toolkit.publish import writer

target, audio, at, when = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
w = writer.Writer(target)
w.write("index.html", "<html><body>new home</body></html>")
w.write("feed.xml", "<rss>new</rss>")
w.adopt("episodes/old/")
w.write("episodes/new/index.html", "<html><body>new episode</body></html>")
w.place("episodes/new/new.mp3", audio)
steps = 0

def counted(step):
    def run(*args, **kwargs):
        global steps
        steps += 1
        if steps == at and when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        try:
            return step(*args, **kwargs)
        finally:  # a step that fails (a folder already there) is a step too
            if steps == at and when == "after":
                os.kill(os.getpid(), signal.SIGKILL)
    return run

# Every call of the commit that changes the file system (rmtree's unlinks and rmdirs one by one).
for name in ("rename", "replace", "link", "mkdir", "unlink", "rmdir", "symlink"):
    setattr(os, name, counted(getattr(os, name)))
shutil.copy2 = counted(shutil.copy2)
writer.exchange = counted(writer.exchange)
Path.write_text = counted(Path.write_text)
w.commit()
print(steps)
"""

OLD = {"index.html": b"<html><body>old home</body></html>", "feed.xml": b"<rss>old</rss>",
       "episodes/old/index.html": b"<html><body>old episode</body></html>",
       "episodes/gone/index.html": b"<html><body>an episode the new site drops</body></html>"}


def _publish_old(target: Path, audio: Path) -> None:
    w = Writer(target)
    for rel, data in OLD.items():
        w.write(rel, data)
    w.place("episodes/old/old.mp3", audio)
    w.commit()


def _files(target: Path) -> dict[str, bytes]:
    return {k: v for k, v in snapshot(target).items() if k != FILES}


def test_a_kill_at_any_step_of_the_commit_leaves_the_old_site_or_the_new_one(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import threading
    import urllib.error
    import urllib.request

    from tests.conftest import REPO
    from toolkit.publish.serve import make_server

    audio = tmp_path / "audio.mp3"
    audio.write_bytes(bytes(range(256)) * 64)
    target = tmp_path / "site" / "public"
    _publish_old(target, audio)
    old = _files(target)
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def commit(at: int, when: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", KILLED_COMMIT, str(target), str(audio), str(at), when],
                              capture_output=True, text=True, env=env, timeout=120, check=False)

    done = commit(0, "never")  # the whole commit, to count its steps and see the new site
    assert done.returncode == 0, done.stderr
    steps = int(done.stdout)
    new = _files(target)
    assert new != old and "episodes/gone/index.html" not in new and new["episodes/old/old.mp3"] == old[
        "episodes/old/old.mp3"]

    # Pages both sites have, fetched in a loop for the whole test: each must be the old or the new one.
    server = make_server(target, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    both = [rel for rel in old if rel in new]
    stop = threading.Event()
    fetched: list[int] = [0]
    wrong: list[str] = []

    def fetch_loop() -> None:
        while not stop.is_set():
            for rel in both:
                try:
                    with urllib.request.urlopen(url + rel, timeout=30) as resp:
                        body = resp.read()
                except urllib.error.HTTPError as exc:
                    wrong.append(f"{rel}: {exc.code}")
                    continue
                if body not in (old[rel], new[rel]):
                    wrong.append(f"{rel}: neither site's")
                fetched[0] += 1

    fetcher = threading.Thread(target=fetch_loop)
    fetcher.start()
    try:
        for at in range(1, steps + 1):
            for when in ("before", "after"):
                _publish_old(target, audio)
                killed = commit(at, when)
                assert killed.returncode == -signal.SIGKILL, (at, when, killed.stderr)
                found = _files(target)
                assert found in (old, new), (at, when, sorted(found))
                assert intact(target), (at, when)
                recover(target)  # what the next build does first
                assert _files(target) == found
                assert not debris(target.parent), (at, when)
    finally:
        stop.set()
        fetcher.join()
        server.shutdown()
        server.server_close()
    assert fetched[0] > 0 and not wrong, wrong[:10]


# Three sites in a row, as three builds of one show publish them: folders kept, changed, dropped, added;
# a file that becomes a folder and a folder that becomes a file. Each build starts from the site before
# the current one (the spare), so the third must undo what the second changed.
SITES: list[dict[str, bytes]] = [
    {"index.html": b"home 1", "feed.xml": b"feed 1", "episodes/one/index.html": b"one 1",
     "episodes/one/one.mp3": b"\xff\xfb one", "episodes/two/index.html": b"two", "episodes/two/two.mp3": b"\xff two",
     "search/bundle-a/part.js": b"a", "tags/ml.html": b"ml", "about/index.html": b"about"},
    {"index.html": b"home 2", "feed.xml": b"feed 2", "episodes/one/index.html": b"one 2",
     "episodes/one/one.mp3": b"\xff\xfb one", "episodes/two/index.html": b"two", "episodes/two/two.mp3": b"\xff two",
     "episodes/three/index.html": b"three", "search/bundle-b/part.js": b"b", "tags/ml.html/index.html": b"ml 2",
     "about/index.html": b"about"},
    {"index.html": b"home 3", "feed.xml": b"feed 3", "episodes/one/index.html": b"one 2",
     "episodes/one/one.mp3": b"\xff\xfb one", "episodes/two/index.html": b"two", "episodes/two/two.mp3": b"\xff two",
     "search/bundle-b/part.js": b"b", "tags/ml.html": b"ml 3", "about": b"a file now"},
]


def test_a_build_from_the_spare_publishes_what_a_fresh_one_does_and_leaves_the_live_site_alone(
        tmp_path: Path) -> None:
    target = tmp_path / "public"
    live: dict[str, bytes] = {}
    for n, files in enumerate(SITES):
        w = Writer(target)
        if n == 2:  # the first build had no site to replace, the second replaced it
            assert w.base, "the build starts from the site the last one replaced"
        # A folder unchanged since the current site is adopted; everything else written.
        def inside(site: dict[str, bytes], folder: str) -> dict[str, bytes]:
            return {k: v for k, v in site.items() if k.startswith(folder + "/")}

        adopted = {f for f in ("episodes/one", "episodes/two", "search/bundle-b", "about")
                   if inside(files, f) and inside(files, f) == inside(live, f)}
        for rel, data in files.items():
            if not any(rel.startswith(f + "/") for f in adopted):
                if rel.endswith(".mp3"):
                    source = tmp_path / f"source-{n}-{rel.replace('/', '_')}"
                    source.write_bytes(data)
                    w.place(rel, source)
                else:
                    w.write(rel, data)
        for folder in adopted:
            w.adopt(folder + "/")
        assert (snapshot(target) if live else {}) == live, "the site served is untouched until the swap"
        w.commit()
        assert snapshot(target) == files, n
        assert intact(target)
        live = files
    assert n == 2 and (tmp_path / ".public.spare").is_dir()
