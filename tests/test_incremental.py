"""An incremental build publishes exactly what a clean build of the same sources does.

One small show (three short episodes, real audio, real Whisper) is built once. Each scenario takes a
copy of it, builds it there (so that the build state is the copy's own), makes one change, builds it
again (the incremental build: the build state, the cache and the previous ``public/`` are all used),
and compares the published site byte for byte with a clean build of the same sources, made in another
folder with the same clock and no previous site, no build state and no cached stage but the costly
two (master and transcribe, keyed on versions of their own).
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.conftest import SHOW_TOML, data_file, episode_md, snapshot
from toolkit.build import cache, state
from toolkit.build.pipeline import build
from toolkit.content import formats
from toolkit.files import default_templates
from toolkit.scaffold import make_artwork

pytestmark = pytest.mark.slow  # every scenario starts from a show transcribed by Whisper

NOW = datetime(2026, 6, 1, tzinfo=UTC)
KEPT_STAGES = {"master", "transcribe", "diarize"}  # keyed on explicit versions: a clean build may keep them
# One process: the monkeypatches of the filter scenario must hold wherever a stage runs (worker
# processes are fresh interpreters), and the machine's cores are shared.
TOML = SHOW_TOML + "\n[build]\njobs = 1\n"
OVERRIDE = '<meta name="generator" content="the show\'s own base.html">'
# An edition of the newsletter, presenting the episode of its week ("second"): its e-mail, archive
# page, feed and search bundle show what they read of it.
EDITION = """+++
subject = "The week in speeches"
date = 2026-01-13
[[links]]
url = "https://example.org/a"
title = "A paper on cadence"
why = "It measures pauses."
+++

A note from the week.
"""

Site = dict[str, bytes]


class Look(NamedTuple):
    """What the incremental site shows of a change: ``path`` holds ``text`` (no text: is published),
    or, not ``present``, does not (no text: is gone)."""

    path: str
    text: bytes | None = None
    present: bool = True


Change = Callable[[Path, Path, pytest.MonkeyPatch], list[Look]]  # (show, theme, monkeypatch) -> what shows it


@pytest.fixture(scope="module")
def theme() -> Path:
    """The default theme, whose templates the show's own override."""
    return default_templates()


def _people(*rows: str) -> str:
    return "".join(f"[[people]]\n{row}\n" for row in rows)


@pytest.fixture(scope="module")
def built(theme: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three episodes of 11 s of speech (two share a recording, so Whisper runs twice), with people,
    tags, chapters and a template of the show's own, built."""
    root = tmp_path_factory.mktemp("incremental") / "show"
    (root / "templates").mkdir(parents=True)
    (root / "podkit.toml").write_text(TOML)
    make_artwork(root / "artwork.png", "Test Show")
    base = (theme / "base.html").read_text()
    (root / "templates" / "base.html").write_text(base.replace("<head>\n", f"<head>\n{OVERRIDE}\n", 1))
    ada = 'name = "Ada Lindqvist"\nrole = "host"\nbio = "Hosts the show."\nimg = "/people/ada.png"'
    (root / "people").mkdir()
    make_artwork(root / "people" / "ada.png", "Ada", 200)
    episodes = {
        "first": episode_md("First", "2026-01-05", 1, extra=_people(ada), notes="The first one."),
        "second": episode_md("Second", "2026-01-12", 2, extra='description = "The middle one."\n'
                             'tags = ["speech", "history"]\n' + _people(
                                 ada, 'name = "Tom Reyes"\nrole = "guest"\nurl = "https://example.com/tom"')
                             + '[[chapters]]\nstart = "0:00"\ntitle = "Opening"\n'
                             '[[chapters]]\nstart = "0:05"\ntitle = "Ask not"\n',
                             notes="Notes of the second, with [a link](https://example.com/a).\n\n"
                                   "![The diagram](diagram.png)"),
        # Ada on a track of her own: a multi-track episode (of one track).
        "third": episode_md("Third", "2026-01-19", 3, audio=None, extra='tags = ["speech"]\n' + _people(
            ada + '\ntrack = "speech.flac"'), notes="The newest one."),
    }
    (root / "newsletter").mkdir()
    (root / "newsletter" / "2026-01-13.md").write_text(EDITION)
    for slug, text in episodes.items():
        folder = root / "episodes" / slug
        folder.mkdir(parents=True)
        (folder / "episode.md").write_text(text)
        shutil.copy(data_file("jfk.flac"), folder / "speech.flac")
    make_artwork(root / "episodes" / "second" / "diagram.png", "Diagram", 200)
    assert build(root, now=NOW).published
    assert OVERRIDE.encode() in (root / "public" / "index.html").read_bytes()
    return root


# --- The changes ---------------------------------------------------------------------------------


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1))


def template_edit(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    _edit(root / "templates" / "base.html", '<footer class="site">', '<footer class="site">\n<p>Edited footer.</p>')
    return [Look("index.html", b"Edited footer."), Look("episodes/second/index.html", b"Edited footer.")]


def filter_code(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    """An edit of the ``timestamp`` filter's code: what it writes, and so podkit's code digest."""
    edited = hashlib.sha256(f"{cache.code_digest()} timestamp edited".encode()).hexdigest()
    mp.setattr(formats, "timestamp", lambda seconds: f"{seconds:.1f} seconds (edited)")
    mp.setattr(cache, "code_digest", lambda: edited)
    return [Look("episodes/second/index.html", b"seconds (edited)"), Look("index.html", b"seconds (edited)")]


def show_description(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    _edit(root / "podkit.toml", "A show made by the tests.", "A show the tests described again.")
    return [Look("about/index.html", b"A show the tests described again."),
            Look("feed.xml", b"A show the tests described again."),
            Look("articles.xml", b"A show the tests described again.")]


def notes_setting(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    """No topics in the show notes (the tags and the key phrases the content stage found)."""
    with (root / "podkit.toml").open("a") as f:
        f.write("\n[notes]\ntopics = false\n")
    return [Look("episodes/second/index.html", b"notes-topics", present=False),
            Look("feed.xml", b"notes-topics", present=False), Look("feed.xml", b"Notes of the second")]


def artwork(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    make_artwork(root / "artwork.png", "Another Cover Altogether")
    return [Look("artwork.png", (root / "artwork.png").read_bytes())]


def audio(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    """Another recording in the multi-track episode: mastered and transcribed anew."""
    shutil.copy(data_file("librispeech-2412-153948-0000.flac"), root / "episodes" / "third" / "speech.flac")
    return [Look("episodes/third/third.txt", b"my native country"),
            Look("episodes/third/third.txt", b"fellow Americans", present=False)]


def shared_photo(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    """Another picture in the show's folder that people's img names (published once, under files/)."""
    make_artwork(root / "people" / "ada.png", "Ada, again", 200)
    return [Look("files/people/ada.png", (root / "people" / "ada.png").read_bytes())]


def notes_image(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    """Another picture under the name an episode's notes show."""
    make_artwork(root / "episodes" / "second" / "diagram.png", "Another diagram", 200)
    return [Look("episodes/second/diagram.png", (root / "episodes" / "second" / "diagram.png").read_bytes())]


def notes(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    md = root / "episodes" / "second" / "episode.md"
    md.write_text(md.read_text() + "\nA correction: it was *not* a Tuesday.\n")
    return [Look("episodes/second/index.html", b"A correction: it was <em>not</em> a Tuesday."),
            Look("feed.xml", b"A correction"), Look("articles.xml", b"A correction")]


def front_matter(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    md = root / "episodes" / "second" / "episode.md"
    _edit(md, 'title = "Second"', 'title = "Second, retitled"')
    _edit(md, 'tags = ["speech", "history"]', 'tags = ["speech", "politics"]')
    return [Look("index.html", b"Second, retitled"), Look("episodes/first/index.html", b"Second, retitled"),
            Look("tags/politics/index.html", b"Second, retitled"), Look("tags/speech/index.html", b"Second, retitled"),
            Look("tags/history/index.html", present=False),
            Look("newsletter/2026-01-13/email.html", b"Second, retitled"),
            Look("newsletter/2026-01-13/index.html", b"Second, retitled")]


def speaker_pin(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    """The second episode is one recording of two people (diarized): pin the guest to its first moment."""
    md = root / "episodes" / "second" / "episode.md"
    _edit(md, 'name = "Tom Reyes"', 'name = "Tom Reyes"\nat = "0:01"')
    return [Look("episodes/second/second.vtt", b"<v Tom Reyes>")]


def new_episode(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    folder = root / "episodes" / "fourth"
    folder.mkdir()
    (folder / "episode.md").write_text(episode_md("Fourth", "2026-01-26", 4, extra='tags = ["history"]\n',
                                                  notes="The newest one now."))
    shutil.copy(data_file("jfk.flac"), folder / "speech.flac")
    return [Look("episodes/fourth/index.html", b"The newest one now."), Look("index.html", b"Fourth"),
            Look("episodes/third/index.html", b"Fourth"), Look("tags/history/index.html", b"Fourth")]


def deleted_episode(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    shutil.rmtree(root / "episodes" / "second")
    return [Look("episodes/second/index.html", present=False), Look("tags/history/index.html", present=False),
            Look("episodes/third/index.html", b"Older: First")]


def renamed_episode(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    (root / "episodes" / "second").rename(root / "episodes" / "second-take")
    return [Look("episodes/second/index.html", present=False),
            Look("episodes/second-take/index.html", b"Notes of the second"),
            Look("index.html", b"episodes/second-take/")]


def theme_override(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    marker = "<p>About this show, in its own words.</p>"
    about = (theme / "about.html").read_text()
    assert "{% block main %}\n" in about
    (root / "templates" / "about.html").write_text(about.replace("{% block main %}\n",
                                                                  "{% block main %}\n" + marker + "\n", 1))
    return [Look("about/index.html", marker.encode())]


def imported_transcript(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    """A transcript made elsewhere (as `podkit import` leaves it) used instead of Whisper's."""
    folder = root / "episodes" / "second"
    (folder / "transcript.vtt").write_text("WEBVTT\n\n00:00:00.500 --> 00:00:04.000\n<v Tom Reyes>Words the "
                                           "transcriber wrote by hand.\n")
    _edit(folder / "episode.md", 'title = "Second"', 'title = "Second"\ntranscript = "transcript.vtt"')
    return [Look("episodes/second/second.txt", b"wrote by hand"), Look("episodes/second/second.vtt", b"Tom Reyes"),
            Look("episodes/second/second.txt", b"fellow Americans", present=False)]


def long_audio(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    """Four minutes of a book chapter: long enough for soundbites, whose clips the tag stage cuts."""
    folder = root / "episodes" / "first"
    shutil.copy(data_file("lj-chapter.opus"), folder / "chapter.opus")
    _edit(folder / "episode.md", 'audio = "speech.flac"', 'audio = "chapter.opus"')
    return [Look("episodes/first/first-soundbite-1.mp3"), Look("feed.xml", b"podcast:soundbite"),
            Look("episodes/first/index.html", b"first-soundbite-1.mp3")]


def newsletter_edit(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    """The edition's note and a link edited, and a second edition."""
    edition = root / "newsletter" / "2026-01-13.md"
    _edit(edition, "A note from the week.", "A note, rewritten.")
    _edit(edition, 'title = "A paper on cadence"', 'title = "A paper on rhythm"')
    (root / "newsletter" / "2026-01-28.md").write_text(
        '+++\nsubject = "Another week"\ndate = 2026-01-28\n+++\nNothing new.\n')
    return [Look("newsletter/2026-01-13/email.html", b"A note, rewritten."),
            Look("newsletter/2026-01-13/email.txt", b"A paper on rhythm"),
            Look("newsletter/2026-01-13/index.html", b"A paper on rhythm"),
            Look("newsletter/index.html", b"Another week"), Look("newsletter.xml", b"A note, rewritten."),
            Look("newsletter/2026-01-28/email.md", b"Nothing new."), Look("newsletter/2026-01-28/email.md", b"Third")]


def newsletter_setting(root: Path, theme: Path, mp: pytest.MonkeyPatch) -> list[Look]:
    with (root / "podkit.toml").open("a") as f:
        f.write('\n[newsletter]\nguests = false\nunsubscribe_url = "https://example.org/u?e={email}"\n')
    return [Look("newsletter/2026-01-13/email.html", b"With Tom Reyes", present=False),
            Look("newsletter/2026-01-13/email.txt", b"https://example.org/u?e={email}")]


CHANGES: dict[str, Change] = {
    "long-audio": long_audio,
    "imported-transcript": imported_transcript,
    "template-edit": template_edit,
    "filter-code": filter_code,
    "show-description": show_description,
    "notes-setting": notes_setting,
    "artwork": artwork,
    "audio": audio,
    "notes": notes,
    "shared-photo": shared_photo,
    "notes-image": notes_image,
    "front-matter": front_matter,
    "speaker-pin": speaker_pin,
    "new-episode": new_episode,
    "deleted-episode": deleted_episode,
    "renamed-episode": renamed_episode,
    "theme-override": theme_override,
    "newsletter-edit": newsletter_edit,
    "newsletter-setting": newsletter_setting,
}


# --- Building and comparing ----------------------------------------------------------------------


def _clean_build(root: Path, dest: Path) -> Site:
    """What a build of ``root``'s sources publishes from nothing, in a copy at ``dest``."""
    shutil.copytree(root, dest, symlinks=True)
    shutil.rmtree(dest / "public")
    cache_dir = dest / ".podkit"
    (cache_dir / state.NAME).unlink()
    for entry in cache_dir.iterdir():
        if entry.is_dir() and entry.name not in KEPT_STAGES:
            shutil.rmtree(entry)
    assert build(dest, now=NOW).published
    return snapshot(dest / "public")


def _readable(data: bytes) -> list[str] | None:
    """A small text file as lines to diff (JSON one key a line), or None."""
    if len(data) > 1 << 20:
        return None
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return None
    with contextlib.suppress(ValueError):
        text = json.dumps(json.loads(text), indent=1, sort_keys=True)
    return text.splitlines()


def differences(incremental: Site, clean: Site) -> str:
    """Which files differ, and a diff of the first that is text."""
    only_incremental = sorted(incremental.keys() - clean.keys())
    only_clean = sorted(clean.keys() - incremental.keys())
    changed = sorted(p for p in incremental.keys() & clean.keys() if incremental[p] != clean[p])
    lines = ["the incremental build's public/ is not the clean build's:"]
    lines += [f"  only in the incremental build: {p}" for p in only_incremental]
    lines += [f"  only in the clean build: {p}" for p in only_clean]
    lines += [f"  differs: {p}" for p in changed]
    for p in changed:
        old, new = _readable(clean[p]), _readable(incremental[p])
        if old is not None and new is not None:
            diff = difflib.unified_diff(old, new, f"clean/{p}", f"incremental/{p}", lineterm="", n=1)
            lines += [line[:300] for line in list(diff)[:80]]
            break
    return "\n".join(lines)


def _check(site: Site, before: Site, looks: list[Look]) -> None:
    """The change shows in the incremental site: it did not pass by publishing nothing new."""
    assert site != before
    for path, text, present in looks:
        if text is None:
            assert (path in site) == present, f"{path} is {'not ' if present else ''}published"
        else:
            assert path in site, f"{path} is not published"
            assert (text in site[path]) == present, \
                f"{path} {'does not hold' if present else 'still holds'} {text[:80]!r}"


@pytest.mark.parametrize("name", CHANGES)
def test_an_incremental_build_publishes_what_a_clean_build_does(
        name: str, built: Path, theme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "show"
    shutil.copytree(built, root, symlinks=True)
    build(root, now=NOW)  # the copy's own build state (a state is of one folder)
    before = snapshot(root / "public")

    looks = CHANGES[name](root, theme, monkeypatch)
    assert build(root, now=NOW).published
    site = snapshot(root / "public")
    _check(site, before, looks)

    clean = _clean_build(root, tmp_path / "clean")
    assert site == clean, differences(site, clean)
