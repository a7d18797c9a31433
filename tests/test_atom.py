"""The written archive's Atom feed, and the chapters and notes a real build publishes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import feedparser
import pytest
from mutagen.id3 import ID3

from tests.conftest import episode_md
from toolkit.publish.atom import ATOM_PATH, entry_id

CHAPTERED = """\
tags = ["politics", "speeches"]
[[chapters]]
start = "0:00"
title = "The oath"
[[chapters]]
start = "0:05"
title = "Ask not"
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three episodes of the JFK clip: explicit chapters, proposed ones, and a draft."""
    from tests.conftest import SHOW_TOML, data_file
    from toolkit.build.pipeline import build
    from toolkit.scaffold import make_artwork

    root = tmp_path_factory.mktemp("atom") / "show"
    episodes = {
        "chaptered": episode_md("Chaptered", "2026-01-05", 1, extra=CHAPTERED,
                                notes="See [the archive](https://example.org/jfk)."),
        "proposed": episode_md("Proposed", "2026-01-12", 2, extra='tags = ["speeches"]\n'),
        "draft": episode_md("Draft", "2026-01-19", 3, extra="draft = true\n"),
    }
    root.mkdir(parents=True)
    (root / "podkit.toml").write_text(SHOW_TOML)
    make_artwork(root / "artwork.png", "Test Show")
    for slug, text in episodes.items():
        folder = root / "episodes" / slug
        folder.mkdir(parents=True)
        (folder / "episode.md").write_text(text)
        (folder / "speech.flac").write_bytes(data_file("jfk.flac").read_bytes())
    build(root)
    return root / "public"


@pytest.mark.slow
def test_atom_feed_has_one_entry_per_published_episode(built: Path) -> None:
    parsed = feedparser.parse((built / ATOM_PATH).read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert [e.title for e in parsed.entries] == ["Proposed", "Chaptered"]  # newest first, no draft
    ids = [e.id for e in parsed.entries]
    assert len(set(ids)) == 2 and all(i.startswith("urn:uuid:") for i in ids)
    chaptered = parsed.entries[1]
    assert chaptered.link == "https://example.com/podcast/episodes/chaptered/"
    assert [t.term for t in chaptered.tags] == ["politics", "speeches"]
    body = chaptered.content[0].value
    assert "<h2>The oath</h2>" in body and 'href="https://example.com/podcast/episodes/chaptered/#t=' in body
    # the chapter at 0:05 starts at the word said then, inside the sentence
    assert re.search(r"ask not what</p>\s*<h2>Ask not</h2>\s*<p><a [^>]*>0:05</a> your country can do for you",
                     body, re.I), body
    assert parsed.entries[0].summary  # no description: the extractive summary
    assert any(link.rel == "self" and link.href.endswith(ATOM_PATH) for link in parsed.feed.links)


@pytest.mark.slow
def test_explicit_chapters_win_and_proposed_ones_reach_every_output(built: Path) -> None:
    for slug, titles in (("chaptered", ["The oath", "Ask not"]), ("proposed", None)):
        data = json.loads((built / "episodes" / slug / f"{slug}.chapters.json").read_text())
        assert data["version"] == "1.2.0"
        starts = [c["startTime"] for c in data["chapters"]]
        assert starts and starts[0] == 0 and starts == sorted(starts)
        if titles:
            assert [c["title"] for c in data["chapters"]] == titles
        else:
            assert all(c["title"] for c in data["chapters"])
        tags = ID3(built / "episodes" / slug / f"{slug}.mp3")  # type: ignore[no-untyped-call]
        frames = sorted(tags.getall("CHAP"), key=lambda f: f.start_time)  # type: ignore[no-untyped-call]
        assert [f.sub_frames["TIT2"].text[0] for f in frames] == [c["title"] for c in data["chapters"]]
        assert tags.getall("CTOC")  # type: ignore[no-untyped-call]


@pytest.mark.slow
def test_notes_reach_the_podcast_feed(built: Path) -> None:
    parsed = feedparser.parse((built / "feed.xml").read_bytes())
    entry = next(e for e in parsed.entries if e.title == "Chaptered")
    html = entry.content[0].value
    assert "See <a href=\"https://example.org/jfk\">the archive</a>" in html
    assert html.index("the archive") < html.index("<h3>Chapters</h3>") < html.index("<h3>Links</h3>")
    assert "0:05" in entry.summary and "Ask not" in entry.summary and "<h3>" not in entry.summary


def test_entry_ids_are_permanent_iris() -> None:
    assert entry_id("0b5d0f0e-8f7a-4c1e-9d1a-2f3b4c5d6e7f") == "urn:uuid:0b5d0f0e-8f7a-4c1e-9d1a-2f3b4c5d6e7f"
    legacy = entry_id("https://old-host.example/ep/1")
    assert legacy.startswith("urn:uuid:") and legacy == entry_id("https://old-host.example/ep/1")


def test_atom_feed_carries_the_newest_articles_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import SHOW_TOML
    from tests.test_feed import hand_site
    from toolkit.publish import atom
    from toolkit.scaffold import make_artwork

    root = tmp_path / "show"
    root.mkdir()
    (root / "podkit.toml").write_text(SHOW_TOML)
    make_artwork(root / "artwork.png", "Test Show")
    for n in range(1, 5):
        folder = root / "episodes" / f"e{n}"
        folder.mkdir(parents=True)
        (folder / "episode.md").write_text(episode_md(f"Number {n}", f"2026-01-0{n}", n))
    monkeypatch.setattr(atom, "ENTRIES", 2)
    parsed = feedparser.parse(atom.render(hand_site(root)))
    assert [e.title for e in parsed.entries] == ["Number 4", "Number 3"]  # the newest, newest first
