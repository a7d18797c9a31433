"""`podkit import`: feeds served by a real HTTP server on 127.0.0.1, audio made by ffmpeg at run time.

The feeds are podcastparser's own test feeds (tests/data/feeds, hosts pointed at the server), a
full feed of the kind Podlove and other hosts write, and podkit's own feed, imported back into an
empty show and built again.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from toolkit.cli import cli
from toolkit.config import read
from toolkit.errors import PodkitError
from toolkit.importer.run import import_feed, staging_folder
from toolkit.media import probe
from toolkit.show import load_show
from toolkit.speech.imported import read_transcript

FEEDS = Path(__file__).resolve().parent / "data" / "feeds"


@dataclass
class Files:
    """What the server serves: path -> bytes; ``cut`` sends only the first n bytes of a path once."""

    content: dict[str, bytes] = field(default_factory=dict)
    cut: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range header)


class Server:
    def __init__(self) -> None:
        self.files = Files()
        files = self.files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                files.requests.append((path, self.headers.get("Range")))
                data = files.content.get(path)
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                m = re.match(r"bytes=(\d+)-$", self.headers.get("Range") or "")
                if m and int(m.group(1)) < len(data):
                    start = int(m.group(1))
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                cut = files.cut.pop(path, None)
                self.wfile.write(data[start:cut] if cut is not None else data[start:])
                if cut is not None:
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, path: str, data: bytes | str) -> str:
        self.files.content[path] = data.encode() if isinstance(data, str) else data
        return self.base + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


def tone(path: Path, seconds: float = 3.0, freq: int = 440) -> bytes:
    """A real MP3 made by ffmpeg."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency={freq}:duration={seconds}",
                    "-ac", "1", "-b:a", "64k", str(path)], check=True)
    return path.read_bytes()


def cover(path: Path) -> bytes:
    from PIL import Image

    Image.new("RGB", (1400, 1400), (200, 30, 30)).save(path, "PNG")
    return path.read_bytes()


# --- podcastparser's feeds ----------------------------------------------------------------------


def serve_fixture(server: Server, name: str) -> str:
    text = (FEEDS / name).read_text()
    text = re.sub(r"https?://(?:cdn\.)?example\.(?:org|com|net)", server.base, text)
    return server.serve(f"/{name}", text)


def test_podcastparser_feeds_give_one_message_per_bad_item(server: Server, tmp_path: Path) -> None:
    server.serve("/foo.mp3", tone(tmp_path / "a.mp3"))
    for name, message in [("no_guid.rss", "no <guid>"), ("multi_enclosures.rss", "no <guid>"),
                          ("html_in_description.rss", "no <guid>"), ("chapters.rss", "no <pubDate>")]:
        root = tmp_path / name
        outcome = import_feed(root, serve_fixture(server, name))
        assert outcome.imported == []
        assert len(outcome.failed) == 1 and message in outcome.failed[0], (name, outcome.failed)
        assert outcome.failed[0].startswith("item 1")
        assert [p.name for p in (root / "episodes").iterdir()] == []  # nothing half-made
        assert read(root).problems == ()  # the show's settings are valid as written


def serve_real_feed(server: Server, name: str, tmp_path: Path) -> tuple[str, list[str]]:
    """A feed from another tool with every address moved onto the local server (host kept in the
    path), real audio and artwork served where its enclosures and images point; and its guids."""
    root = etree.fromstring((FEEDS / name).read_bytes())
    guids = [g.text for g in root.iter("guid")]
    for el in root.iter():  # only where files are fetched from: the guids stay as written
        for attr in ("url", "href"):
            if el.get(attr):
                el.set(attr, re.sub(r"^https?://", server.base + "/", el.get(attr)))
    text = etree.tostring(root, encoding="unicode")
    itunes = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
    for n, enc in enumerate(root.iter("enclosure")):
        server.serve(urlsplit(enc.get("url")).path, tone(tmp_path / f"{name}-{n}.mp3", 2.0, 500 + 50 * n))
    for n, img in enumerate(root.iter(f"{itunes}image")):
        server.serve(urlsplit(img.get("href")).path, cover(tmp_path / f"{name}-{n}.png"))
    return server.serve(f"/{name}", text), guids


@pytest.mark.parametrize("name", ["narro.rss", "podigee-trailer.rss"])
def test_feeds_written_by_other_tools(server: Server, tmp_path: Path, name: str) -> None:
    url, guids = serve_real_feed(server, name, tmp_path)
    outcome = import_feed(tmp_path / "show", url)
    assert outcome.failed == [] and len(outcome.imported) == len(guids), outcome
    show = load_show(tmp_path / "show")
    assert read(tmp_path / "show").problems == ()
    assert sorted(str(e.guid) for e in show.episodes) == sorted(guids)
    for episode in show.episodes:
        assert probe(episode.tracks[0]).duration == pytest.approx(2.0, abs=0.1)
        assert episode.notes.strip()
    if name == "narro.rss":
        (episode,) = show.episodes
        assert episode.date == datetime(2015, 2, 20, 9, 51, 15, tzinfo=UTC)
        assert any("the feed says 74 bytes" in w for w in outcome.warnings)  # but the server sent it whole
    else:
        (episode,) = show.episodes
        assert (episode.episode_type, episode.number, episode.slug) == ("trailer", 1, "t1-trailer")
        assert episode.image is not None and show.info.artwork == "artwork.png"


@pytest.mark.slow
def test_a_feed_by_another_tool_imported_and_built(server: Server, tmp_path: Path) -> None:
    from toolkit.build.pipeline import build

    url, guids = serve_real_feed(server, "podigee-trailer.rss", tmp_path)
    root = tmp_path / "show"
    assert import_feed(root, url).failed == []
    build(root)
    import podcastparser
    parsed = podcastparser.parse(url, __import__("io").BytesIO((root / "public" / "feed.xml").read_bytes()))
    assert [e["guid"] for e in parsed["episodes"]] == guids
    assert [e["title"] for e in parsed["episodes"]] == ["Trailer"]
    assert parsed["episodes"][0]["published"] == 1574104472  # Mon, 18 Nov 2019 19:14:32 +0000


def test_categories_from_a_feed_with_undeclared_prefixes(server: Server, tmp_path: Path) -> None:
    outcome = import_feed(tmp_path / "show", serve_fixture(server, "itunes_categories.rss"))
    assert outcome.failed == [] and outcome.imported == []
    info = read(tmp_path / "show").show
    assert (info.category, info.subcategory) == ("Business", "Entrepreneurship")
    load_show(tmp_path / "show")  # a show without episodes, and it loads


# --- A full feed, as hosts write them -----------------------------------------------------------

GUIDS = ["podlove-2024-05-31t14:16:37+00:00-21f83868c0a8789", 'tag:example.org,2024:"Zwei" & <drei> ü',
         "https://example.org/?p=3"]

VTT = """WEBVTT

00:00:00.000 --> 00:00:01.500
<v Ada Lindqvist>Welcome to the show.

00:00:01.500 --> 00:00:02.900
<v Bo Guest>Thanks for having me here.
"""
SRT = "1\n00:00:00,000 --> 00:00:01,500\nWelcome to the show.\n\n"
JSON_TRANSCRIPT = {"version": "1.0.0", "segments": [
    {"speaker": "Ada", "startTime": 0.2, "endTime": 1.8, "body": "Second episode starts."}]}
JSON_CHAPTERS = {"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Start"},
                                                  {"startTime": 1.25, "title": "Middle & more"}]}


def item(n: int, base: str, extra: str = "", guid: str | None = None) -> str:
    from xml.sax.saxutils import escape

    return f"""
    <item>
      <title>Episode {n}: &lt;Tags&gt; &amp; more</title>
      <link>https://old.example.org/ep{n}</link>
      <pubDate>Sun, 0{n} Jun 2024 17:02:52 +0000</pubDate>
      <guid isPermaLink="false">{escape(guid or GUIDS[n - 1])}</guid>
      <description><![CDATA[<p>Plain notes of episode {n}.</p>]]></description>
      <content:encoded><![CDATA[<p>Notes with <strong>bold</strong> and
        <a href="https://example.org/x_y">a link</a>.</p>
        <ul><li>one</li><li>two</li></ul><script>alert(1)</script>]]></content:encoded>
      <enclosure url="{base}/audio/ep{n}.mp3" length="LENGTH{n}" type="audio/mpeg"/>
      <itunes:subtitle>Subtitle {n}</itunes:subtitle>
      <itunes:episode>{n}</itunes:episode>
      {extra}
    </item>"""


def full_feed(base: str, items: list[str]) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
  xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:psc="http://podlove.org/simple-chapters"
  xmlns:podcast="https://podcastindex.org/namespace/1.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>Chaos &amp; Order</title>
  <link>https://old.example.org/</link>
  <description><![CDATA[A <b>monthly</b> show about order.]]></description>
  <language>de-DE</language>
  <copyright>© 2024 Example Club</copyright>
  <itunes:author>Example Club Berlin</itunes:author>
  <itunes:owner><itunes:name>Example Club</itunes:name><itunes:email>club@example.org</itunes:email></itunes:owner>
  <itunes:category text="Society &amp; Culture"><itunes:category text="Documentary"/></itunes:category>
  <itunes:category text="Technology"/>
  <itunes:explicit>yes</itunes:explicit>
  <itunes:type>serial</itunes:type>
  <itunes:image href="{base}/cover.png"/>
  <podcast:guid>917393e3-1b1e-5cef-ace4-edaa54e1f810</podcast:guid>
  <podcast:funding url="https://example.org/support">Support us</podcast:funding>
  {"".join(items)}
</channel>
</rss>"""


ITEM_EXTRAS = {
    1: """<psc:chapters version="1.2"><psc:chapter start="00:00:00.000" title="Hello"/>
          <psc:chapter start="00:00:01.500" title="Guest"/></psc:chapters>
          <podcast:transcript url="BASE/t/ep1.srt" type="application/x-subrip"/>
          <podcast:transcript url="BASE/t/ep1.vtt" type="text/vtt"/>""",
    2: """<podcast:chapters url="BASE/c/ep2.json" type="application/json+chapters"/>
          <podcast:transcript url="BASE/t/ep2.json" type="application/json"/>
          <itunes:season>2</itunes:season><itunes:explicit>false</itunes:explicit>
          <podcast:person href="https://example.org/ada"
            img="https://example.org/ada.jpg">Ada Lindqvist</podcast:person>
          <podcast:person role="guest">Bo Guest</podcast:person>""",
    3: """<itunes:episodeType>bonus</itunes:episodeType><itunes:image href="BASE/ep3.png"/>""",
}


def serve_show(server: Server, tmp_path: Path, count: int = 3) -> tuple[str, dict[int, bytes]]:
    audio = {n: tone(tmp_path / f"ep{n}.mp3", 3.0, 300 + 100 * n) for n in range(1, count + 1)}
    for n, data in audio.items():
        server.serve(f"/audio/ep{n}.mp3", data)
    server.serve("/cover.png", cover(tmp_path / "cover.png"))
    server.serve("/ep3.png", cover(tmp_path / "ep3.png"))
    server.serve("/t/ep1.vtt", VTT)
    server.serve("/t/ep1.srt", SRT)
    server.serve("/t/ep2.json", json.dumps(JSON_TRANSCRIPT))
    server.serve("/c/ep2.json", json.dumps(JSON_CHAPTERS))
    items = [item(n, server.base, ITEM_EXTRAS[n].replace("BASE", server.base))
             .replace(f"LENGTH{n}", str(len(audio[n]))) for n in range(1, count + 1)]
    return server.serve("/feed.xml", full_feed(server.base, items)), audio


def test_a_full_feed_becomes_a_show(server: Server, tmp_path: Path) -> None:
    url, audio = serve_show(server, tmp_path)
    root = tmp_path / "show"
    outcome = import_feed(root, url)
    assert outcome.failed == [] and len(outcome.imported) == 3, outcome

    info = read(root).show
    assert read(root).problems == ()
    assert (info.title, info.author, info.email, info.language) == (
        "Chaos & Order", "Example Club Berlin", "club@example.org", "de-DE")
    assert (info.category, info.subcategory, info.explicit, info.type) == (
        "Society & Culture", "Documentary", True, "serial")
    assert info.guid == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert (info.copyright, info.funding_url, info.funding_text) == (
        "© 2024 Example Club", "https://example.org/support", "Support us")
    assert info.description == "A monthly show about order."
    assert (root / info.artwork).read_bytes() == server.files.content["/cover.png"]

    show = load_show(root)
    by_guid = {e.guid: e for e in show.episodes}
    assert set(by_guid) == set(GUIDS)  # byte for byte
    one, two, three = (by_guid[g] for g in GUIDS)
    assert one.title == "Episode 1: <Tags> & more"
    assert one.date == datetime(2024, 6, 1, 17, 2, 52, tzinfo=UTC)
    assert (one.number, one.description, one.explicit, one.link) == (1, "Subtitle 1", None,
                                                                      "https://old.example.org/ep1")
    assert one.tracks[0].read_bytes() == audio[1]
    assert "**bold**" in one.notes and "[a link](https://example.org/x_y)" in one.notes
    assert "- one\n- two" in one.notes and "alert" not in one.notes
    assert [(c.start, c.title) for c in one.chapters] == [(0.0, "Hello"), (1.5, "Guest")]
    assert one.transcript is not None and one.transcript.name == "transcript.vtt"  # WebVTT over SRT
    assert (two.season, two.explicit) == (2, False)
    assert [(c.start, c.title) for c in two.chapters] == [(0.0, "Start"), (1.25, "Middle & more")]
    assert two.transcript is not None and two.transcript.name == "transcript.json"
    assert [(p.name, p.role, p.url, p.img, p.track) for p in two.people] == [
        ("Ada Lindqvist", "host", "https://example.org/ada", "https://example.org/ada.jpg", None),
        ("Bo Guest", "guest", None, None, None)]
    assert three.episode_type == "bonus" and three.image is not None and three.transcript is None

    transcript = read_transcript(one.transcript, duration=3.0)
    assert [s.speaker for s in transcript.segments] == ["Ada Lindqvist", "Bo Guest"]
    assert transcript.text == "Welcome to the show. Thanks for having me here."
    words = transcript.words
    assert all(a.end <= b.start + 1e-6 for a, b in pairwise(words))
    assert words[-1].end == pytest.approx(2.9)

    # Again: nothing new. An episode the author edited stays exactly as they left it.
    edited = one.source
    edited.write_text(edited.read_text().replace("Subtitle 1", "My own words"))
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    again = import_feed(root, url)
    assert (again.imported, again.existing, again.failed) == ([], 3, [])
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before

    # A new item in the feed: only it is added.
    server.serve("/audio/ep4.mp3", tone(tmp_path / "ep4.mp3", 2.0))
    items = [item(n, server.base) for n in (1, 2, 3)]
    length = str(len(server.files.content["/audio/ep4.mp3"]))
    items.append(item(4, server.base, guid="new-one").replace("LENGTH4", length))
    server.serve("/feed.xml", full_feed(server.base, items))
    third = import_feed(root, url)
    assert (len(third.imported), third.existing, third.failed) == (1, 3, [])
    assert load_show(root).episodes[0].guid == "new-one"


def test_limit_and_since(server: Server, tmp_path: Path) -> None:
    url, _ = serve_show(server, tmp_path)
    newest = import_feed(tmp_path / "a", url, limit=1)
    assert [e.guid for e in load_show(tmp_path / "a").episodes] == [GUIDS[2]] and newest.failed == []
    since = import_feed(tmp_path / "b", url, since=datetime(2024, 6, 2, tzinfo=UTC))
    assert sorted(str(e.guid) for e in load_show(tmp_path / "b").episodes) == sorted(GUIDS[1:])
    assert since.failed == []


def test_an_interrupted_download_resumes(server: Server, tmp_path: Path) -> None:
    url, audio = serve_show(server, tmp_path, count=1)
    server.files.cut["/audio/ep1.mp3"] = len(audio[1]) // 2
    root = tmp_path / "show"
    first = import_feed(root, url)
    assert first.imported == [] and len(first.failed) == 1
    assert "truncated download" in first.failed[0] and first.failed[0].startswith("item 1")
    part = staging_folder(root / "episodes", GUIDS[0]) / "audio.mp3.part"
    assert part.stat().st_size == len(audio[1]) // 2
    assert load_show(root).episodes == ()  # nothing half-made is an episode

    second = import_feed(root, url)
    assert second.failed == [] and len(second.imported) == 1
    assert ("/audio/ep1.mp3", f"bytes={len(audio[1]) // 2}-") in server.files.requests
    (episode,) = load_show(root).episodes
    assert episode.tracks[0].read_bytes() == audio[1]
    assert not any(p.name.startswith(".import-") for p in (root / "episodes").iterdir())


def test_bad_input(server: Server, tmp_path: Path) -> None:
    with pytest.raises(PodkitError, match="HTTP 404"):
        import_feed(tmp_path / "a", server.base + "/missing.xml")
    html = server.serve("/page.html", "<!doctype html><html><body><p>Hello<br></body></html>")
    with pytest.raises(PodkitError, match="not a podcast feed"):
        import_feed(tmp_path / "b", html)
    atom = server.serve("/atom.xml", '<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>')
    with pytest.raises(PodkitError, match="not an RSS feed"):
        import_feed(tmp_path / "c", atom)

    url, _ = serve_show(server, tmp_path)
    del server.files.content["/audio/ep2.mp3"]  # a missing enclosure
    server.files.content["/audio/ep3.mp3"] = b"<html>not audio</html>"  # and one that is not audio
    outcome = import_feed(tmp_path / "d", url)
    assert len(outcome.imported) == 1 and len(outcome.failed) == 2
    assert outcome.failed[0].startswith("item 2") and "HTTP 404" in outcome.failed[0]
    assert outcome.failed[1].startswith("item 3") and "not audio ffmpeg reads" in outcome.failed[1]
    assert [e.guid for e in load_show(tmp_path / "d").episodes] == [GUIDS[0]]
    assert outcome.summary() == "imported 1 episode, 2 failed"


def test_the_command(server: Server, tmp_path: Path) -> None:
    url, _ = serve_show(server, tmp_path)
    del server.files.content["/audio/ep2.mp3"]
    result = CliRunner().invoke(cli, ["import", url, "--show", str(tmp_path / "show"), "--retranscribe"])
    assert result.exit_code == 1, result.output
    assert "error: item 2 ('Episode 2: <Tags> & more'): HTTP 404" in result.output
    assert result.output.strip().endswith("imported 2 episodes, 1 failed")
    assert "Traceback" not in result.output
    # --retranscribe: the transcript is kept beside the episode but not used
    show = load_show(tmp_path / "show")
    assert all(e.transcript is None for e in show.episodes)
    assert any((e.folder / "transcript.vtt").is_file() for e in show.episodes)
    bad = CliRunner().invoke(cli, ["import", server.base + "/nothing.xml", "--show", str(tmp_path / "x")])
    assert bad.exit_code == 1 and "HTTP 404" in bad.output and "Traceback" not in bad.output


def test_a_feed_file_on_disk(tmp_path: Path) -> None:
    tone(tmp_path / "ep.mp3")
    feed = tmp_path / "feed.xml"
    feed.write_text(f"""<rss version="2.0"><channel><title>Local</title>
      <item><title>One</title><guid>one</guid><pubDate>Mon, 03 Jun 2024 10:00:00 GMT</pubDate>
      <enclosure url="ep.mp3" length="{(tmp_path / 'ep.mp3').stat().st_size}" type="audio/mpeg"/></item>
    </channel></rss>""")
    outcome = import_feed(tmp_path / "show", str(feed))
    assert outcome.failed == [] and len(outcome.imported) == 1
    again = import_feed(tmp_path / "again", feed.as_uri())  # a file: URL is a file too
    assert again.failed == [] and len(again.imported) == 1


# --- podkit's own feed, imported back -----------------------------------------------------------


def _items(feed: bytes) -> list[tuple[str, str, str]]:
    """(guid, title, date) of each item, as gPodder reads them."""
    import podcastparser

    parsed = podcastparser.parse("feed.xml", __import__("io").BytesIO(feed))
    return [(e["guid"], e["title"], e["published"]) for e in parsed["episodes"]]


@pytest.mark.slow
def test_podkits_own_feed_imported_back_and_rebuilt(server: Server, tmp_path: Path) -> None:
    from tests.conftest import SHOW_TOML, data_file, episode_md
    from toolkit.build.pipeline import build
    from toolkit.scaffold import make_artwork

    old = tmp_path / "old"
    people = '[[people]]\nname = "Ann Host"\nrole = "host"\nurl = "https://example.com/ann"\n' \
             '[[people]]\nname = "J. F. Kennedy"\nrole = "guest"\n'
    for slug, text in {"kennedy": episode_md(extra='[[chapters]]\nstart = "0:00"\ntitle = "Ask not"\n'
                                                   '[[chapters]]\nstart = "0:05"\ntitle = "The second half"\n'
                                                   + people),
                       "again": episode_md("Kennedy again", "2026-01-12", 2, notes="More *notes*.")}.items():
        (old / "episodes" / slug).mkdir(parents=True)
        (old / "episodes" / slug / "episode.md").write_text(text)
        shutil.copy(data_file("jfk.flac"), old / "episodes" / slug / "speech.flac")
    # Served from 127.0.0.1, a url no podcast:guid is derived from: the show's guid is given.
    (old / "podkit.toml").write_text(SHOW_TOML.replace("https://example.com/podcast/", server.base + "/")
                                     .replace("[show]\n", '[show]\nguid = "0b7f5c5e-4a52-5c1e-9d0f-3c6a1e2b4d5f"\n'))
    make_artwork(old / "artwork.png", "Test Show")
    build(old)
    for path in (old / "public").rglob("*"):
        if path.is_file():
            server.serve("/" + path.relative_to(old / "public").as_posix(), path.read_bytes())

    new = tmp_path / "new"
    outcome = import_feed(new, server.base + "/feed.xml")
    assert outcome.failed == [] and len(outcome.imported) == 2, outcome
    assert all(e.transcript is not None for e in load_show(new).episodes)
    build(new)
    made = [json.loads(p.read_text())["engine"] for p in (new / ".podkit" / "transcribe").rglob("transcript.json")]
    assert made and set(made) == {"imported"}  # no Whisper ran (equal transcripts share one entry)

    old_feed, new_feed = (old / "public" / "feed.xml").read_bytes(), (new / "public" / "feed.xml").read_bytes()
    assert _items(new_feed) == _items(old_feed)
    persons = "//item/podcast:person"
    ns = {"podcast": "https://podcastindex.org/namespace/1.0"}
    assert [dict(p.attrib, name=p.text) for p in etree.fromstring(new_feed).xpath(persons, namespaces=ns)] == \
        [dict(p.attrib, name=p.text) for p in etree.fromstring(old_feed).xpath(persons, namespaces=ns)] != []
    assert read(new).show.guid == read(old).show.guid
    for slug in ("kennedy", "again"):
        # The transcript was read, not made again: the same words, on the re-mastered audio.
        before = (old / "public" / "episodes" / slug / f"{slug}.txt").read_text()
        after = (new / "public" / "episodes" / slug / f"{slug}.txt").read_text()
        # Speaker names aside: one recording of two people is diarized again on the new audio.
        def words(text: str) -> list[str]:
            return re.sub(r"\W+", " ", re.sub(r"(?m)^[^:\n]+: ", "", text)).lower().split()

        assert words(after) == words(before)
    chapters = json.loads((new / "public" / "episodes" / "kennedy" / "kennedy.chapters.json").read_text())
    assert [c["title"] for c in chapters["chapters"]] == ["Ask not", "The second half"]
    assert "More *notes*." in (new / "episodes" / "again" / "episode.md").read_text()
    page = etree.HTML((new / "public" / "episodes" / "kennedy" / "index.html").read_bytes())
    assert page.xpath("//p[@class='first-published']/a/@href") == [server.base + "/episodes/kennedy/"]


def test_a_web_feed_names_only_web_addresses(server: Server, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nprivate\n")
    audio = server.serve("/a.mp3", tone(tmp_path / "a.mp3"))
    server.serve("/cover", cover(tmp_path / "cover.png"))  # a PNG at an address without an extension
    feed = server.serve("/feed.xml", f"""<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
      xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>T</title>
      <itunes:image>{server.base}/cover</itunes:image>
      <item><title>Local</title><guid>1</guid><pubDate>Mon, 03 Jun 2024 10:00:00 GMT</pubDate>
        <enclosure url="file://{tmp_path / 'a.mp3'}" type="audio/mpeg"/></item>
      <item><title>Web</title><guid>2</guid><pubDate>Tue, 04 Jun 2024 10:00:00 GMT</pubDate>
        <enclosure url="{audio}" type="audio/mpeg"/>
        <podcast:transcript url="file://{secret}" type="text/vtt"/></item>
    </channel></rss>""")
    outcome = import_feed(tmp_path / "show", feed)
    assert len(outcome.failed) == 1 and "is not an http(s) address" in outcome.failed[0]
    assert any("transcript" in w and "is not an http(s) address" in w for w in outcome.warnings)
    (episode,) = load_show(tmp_path / "show").episodes
    assert episode.transcript is None and not list(episode.folder.glob("transcript*"))
    # the artwork, given as the tag's text, saved under the extension of what it is
    assert read(tmp_path / "show").show.artwork == "artwork.png"
    assert any("set [show] email" in w for w in outcome.warnings)
