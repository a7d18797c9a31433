"""The feed items memo: a build renders again only the items that changed, and every feed document
it writes is, byte for byte, feedgen's rendering of the whole document."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHOW_TOML, episode_md
from tests.test_feed import PEOPLE, hand_site
from toolkit import feed
from toolkit.feed import feed_files, render, write_feeds
from toolkit.feeditems import MEMO_FILE
from toolkit.scaffold import make_artwork
from toolkit.views import Site, episode_digest
from toolkit.writer import Writer


@pytest.fixture
def site(make_show: Callable[..., Path]) -> Site:
    """Five public episodes on three pages of two, so the archive repeats every page's items."""
    root = make_show({
        "interview": episode_md("An interview — über", "2026-03-01T07:00:00Z", 5,
                                extra='season = 2\nimage = "cover.png"\ndescription = "Bob on <things>."\n' + PEOPLE,
                                notes="Notes with **bold** & <script>x</script>.\n\n- one\n- two"),
        "fourth": episode_md("The fourth", "2026-02-20", 4, notes="Über *alles*.\n\nLine two."),
        "third": episode_md("The third", "2026-02-10", 3, notes=""),
        "first": episode_md("The first", "2026-02-01", 1, notes="Plain notes."),
        "teaser": episode_md("A teaser", "2026-01-15", None, extra='episode_type = "trailer"\n'),
        "draft": episode_md("Not yet", "2026-02-15", 6, extra="draft = true\n"),
    }, toml=SHOW_TOML + 'funding_url = "https://example.com/support"\nitem_limit = 2\n')
    make_artwork(root / "episodes/interview/cover.png", "Interview")
    return hand_site(root)


def build(site: Site, out: Path) -> dict[str, bytes]:
    """The feed documents write_feeds writes (into a staging folder that is then thrown away)."""
    writer = Writer(out)
    try:
        write_feeds(site, writer)
        return {p: (writer.staging / p).read_bytes() for p in writer.written if p.endswith(".xml")}
    finally:
        writer.abort()


def from_scratch(site: Site) -> dict[str, bytes]:
    return {f.path: render(site, f) for f in feed_files(site)}


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The guids of the items feedgen renders one by one (the memo's misses)."""
    guids: list[str] = []
    item_xml = feed._item_xml

    def counting(fg: object, item: feed.Item, nsmap: dict[str | None, str]) -> str:
        guids.append(item.guid)
        return item_xml(fg, item, nsmap)

    monkeypatch.setattr(feed, "_item_xml", counting)
    return guids


def edit_notes(site: Site, slug: str, notes: str) -> Site:
    views = tuple(dataclasses.replace(v, notes_html=f"<p>{notes}</p>\n", notes_text=notes) if v.slug == slug else v
                  for v in site.episodes)
    return dataclasses.replace(site, episodes=views)


def test_cold_warm_and_edited_builds_are_feedgen_to_the_byte(site: Site, tmp_path: Path,
                                                             rendered: list[str]) -> None:
    memo = site.show.cache_dir / MEMO_FILE
    assert not memo.exists()
    cold = build(site, tmp_path / "public")
    assert sorted(cold) == ["feed-2.xml", "feed-3.xml", "feed-archive.xml", "feed.xml"]
    assert cold == from_scratch(site)
    assert sorted(rendered) == sorted(v.guid for v in site.public)  # each item once, though listed twice
    assert memo.is_file()

    rendered.clear()
    assert build(site, tmp_path / "public") == cold
    assert rendered == []

    edited = edit_notes(site, "fourth", "New notes for the fourth & last <b>time</b>")
    rendered.clear()
    after = build(edited, tmp_path / "public")
    assert after == from_scratch(edited)
    assert after != cold and b"New notes for the fourth &amp; last" in after["feed.xml"]
    assert rendered == [v.guid for v in edited.public if v.slug == "fourth"]


def test_a_changed_item_is_rendered_again_and_the_old_one_dropped(site: Site, tmp_path: Path,
                                                                  rendered: list[str]) -> None:
    build(site, tmp_path / "public")
    memo = site.show.cache_dir / MEMO_FILE
    before = json.loads(memo.read_text())["items"]
    changed = dataclasses.replace(site, episodes=tuple(
        dataclasses.replace(v, audio_bytes=v.audio_bytes + 1) if v.slug == "first" else v for v in site.episodes))
    rendered.clear()
    assert build(changed, tmp_path / "public") == from_scratch(changed)
    assert rendered == [v.guid for v in changed.public if v.slug == "first"]
    after = json.loads(memo.read_text())["items"]
    assert len(after) == len(before) == len(site.public)
    assert len(set(after) - set(before)) == 1


def test_the_build_date_is_the_builds_own(site: Site, tmp_path: Path, rendered: list[str]) -> None:
    build(site, tmp_path / "public")
    later = dataclasses.replace(site, built=site.built + timedelta(days=1, hours=3))
    rendered.clear()
    out = build(later, tmp_path / "public")
    assert out == from_scratch(later)
    assert b"<lastBuildDate>Tue, 02 Jun 2026 03:00:00 +0000</lastBuildDate>" in out["feed.xml"]
    assert rendered == []


def test_an_unchanged_build_leaves_the_memo_alone(site: Site, tmp_path: Path) -> None:
    build(site, tmp_path / "public")
    memo = site.show.cache_dir / MEMO_FILE
    os.utime(memo, ns=(0, 0))
    build(site, tmp_path / "public")
    assert memo.stat().st_mtime_ns == 0


@pytest.mark.parametrize("damage", [b"", b"\xff\xfe not json", b'{"format": 1, "items": {"k": "v"', b"[1, 2]",
                                    b'{"format": 1, "items": [1]}', b'{"format": 1, "items": {"k": 3}}',
                                    b'{"format": 99, "items": {}}'])
def test_a_damaged_memo_is_ignored(site: Site, tmp_path: Path, rendered: list[str], damage: bytes) -> None:
    memo = site.show.cache_dir / MEMO_FILE
    memo.parent.mkdir(parents=True, exist_ok=True)
    memo.write_bytes(damage)
    assert build(site, tmp_path / "public") == from_scratch(site)
    assert len(rendered) == len(site.public)
    assert len(json.loads(memo.read_text())["items"]) == len(site.public)  # and replaced by a good one


def test_a_memo_entry_is_only_ever_used_under_its_own_key(site: Site, tmp_path: Path) -> None:
    """Entries are keyed by content: one with a key no item has is not used, and is dropped."""
    memo = site.show.cache_dir / MEMO_FILE
    build(site, tmp_path / "public")
    data = json.loads(memo.read_text())
    data["items"]["0" * 64] = "    <item>stale</item>\n"
    memo.write_text(json.dumps(data))
    assert build(site, tmp_path / "public") == from_scratch(site)
    assert "0" * 64 not in json.loads(memo.read_text())["items"]


def test_every_field_of_a_view_is_in_its_digest(site: Site) -> None:
    """Items are keyed by their view's digest: a field left out of it would leave a stale item."""
    view = next(v for v in site.episodes if v.slug == "interview")
    other = next(v for v in site.episodes if v.slug == "first")
    digest = episode_digest(view)
    for f in dataclasses.fields(view):
        value: Any = getattr(view, f.name)
        new: Any = (not value if isinstance(value, bool) else value + "!" if isinstance(value, str)
               else value + 1 if isinstance(value, int | float) else getattr(other, f.name))
        changed = dataclasses.replace(view, **{f.name: new})
        assert changed != view, f.name
        assert episode_digest(changed) != digest, f"{f.name} is not in the digest"
