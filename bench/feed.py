"""How long the feed of a 1,000-episode show takes to build, against feedgen's own plain RSS.

    .venv/bin/python bench/feed.py [EPISODES]

podkit renders each feed document whole with feedgen (`feed.render`), through its extensions
(iTunes, Podcast Index, Podlove chapters): every item carries its HTML notes, transcripts,
chapters and people. The baseline is feedgen writing the same items with only the RSS 2.0 core
fields. The episodes are made without audio: one content stage result (`content.make` on a short
transcript), shared by every episode's view (`site.episode_view`, so the notes are what a build
publishes), each view with its own size and duration. Best of 5 runs of each.

Not a test: it prints times and ratios measured in this run, so the figures compare like with like
on whatever machine runs it.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feedgen.feed import FeedGenerator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # after PYTHONPATH: a copy of toolkit/ there is the one measured

from toolkit.config import BuildSettings, MasterSettings, NotesSettings, ShowInfo, TranscribeSettings  # noqa: E402
from toolkit.content.make import Content, ContentJob, make  # noqa: E402
from toolkit.publish.feed import feed_files, render  # noqa: E402
from toolkit.publish.site import Site, episode_view  # noqa: E402
from toolkit.show import Chapter, Episode, Person, Show  # noqa: E402
from toolkit.speech.transcript import Segment, Transcript  # noqa: E402

NOTES = "An interview about shipping models.\n\n- What broke\n- What they measured\n- What they would do again\n"


def synthetic_site(count: int, work: Path) -> Site:
    """A show of ``count`` published episodes with every feed field filled in (no audio needed)."""
    info = ShowInfo(title="Bench Show", url="https://example.com/podcast/", author="Ada", email="ada@example.com",
                    description="A show for the benchmark.", funding_url="https://example.com/support")
    root = work / "bench-show"
    start = datetime(2020, 1, 1, 7, tzinfo=UTC)
    people = (Person("Ada Lindqvist", "host"), Person("Tom Reyes", "guest", url="https://example.com/tom"))
    chapters = (Chapter(0.0, "Opening"), Chapter(600.0, "The incident"), Chapter(1800.0, "Lessons"))
    transcript = Transcript("en", 3600.0, (Segment(0.0, 5.0, "Hello and welcome.", speaker="Ada Lindqvist"),))
    (work / "transcript.json").write_text(json.dumps(transcript.to_dict()))
    folder = work / "content"
    folder.mkdir()
    make(ContentJob(work / "transcript.json", (), chapters, 3600.0, NotesSettings(),
                    "https://example.com/podcast/episodes/x/"), folder, lambda done, total: None)
    content = Content.load(folder)
    audio = work / "audio.mp3"
    audio.write_bytes(b"\0" * 1000)
    built = start + timedelta(days=7 * count + 1)
    show = Show(root, info, BuildSettings(), MasterSettings(), TranscribeSettings(), ())
    views = []
    for i in range(count, 0, -1):
        slug = f"episode-{i}"
        ep = Episode(slug=slug, folder=root / "episodes" / slug, title=f"Episode {i}: shipping models",
                     date=start + timedelta(days=7 * i), number=i, description=f"Episode {i} in one sentence.",
                     notes=NOTES, tracks=(), people=people, chapters=chapters, master=MasterSettings(),
                     transcribe=TranscribeSettings(), guid=f"00000000-0000-4000-8000-{i:012d}", season=1 + i // 50)
        view = episode_view(show, ep, content, audio, 3600.0 + i, built)
        views.append(dataclasses.replace(view, audio_bytes=30_000_000 + i))
    return Site(show, tuple(views), "artwork.png", built, "code")


def plain_feedgen(site: Site) -> bytes:
    """The baseline: feedgen's RSS of the same items with only the RSS 2.0 core fields."""
    fg = FeedGenerator()
    fg.title(site.show.info.title)
    fg.link(href=site.base_url, rel="alternate")
    fg.description(site.show.info.description)
    for view in site.public:
        fe = fg.add_entry(order="append")
        fe.guid(view.guid, permalink=False)
        fe.title(view.title)
        fe.link(href=site.url(view.page_path))
        fe.published(view.date)
        fe.description(view.notes_text)
        fe.enclosure(site.url(view.audio_path), str(view.audio_bytes), "audio/mpeg")
    return bytes(fg.rss_str(pretty=True))


def best_of(fn: Callable[[], bytes], runs: int = 5) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        size = len(fn())
        times.append(time.perf_counter() - t0)
    return min(times), size


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as work:
        site = synthetic_site(count, Path(work))
        base, base_size = best_of(lambda: plain_feedgen(site))
        feed = feed_files(site)[0]  # feed.xml: with no item_limit, every episode
        ours, our_size = best_of(lambda: render(site, feed))
        print(f"{count} episodes, best of 5 runs")
        print(f"  feedgen plain RSS (baseline): {base:.3f} s, {base_size / 1e6:.2f} MB")
        print(f"  podkit feed.xml:              {ours:.3f} s, {our_size / 1e6:.2f} MB")
        print(f"  ratio podkit / baseline:      {ours / base:.2f}x")
        print(f"  per item: podkit {ours / count * 1e3:.3f} ms, baseline {base / count * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
