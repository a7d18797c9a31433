"""Soundbites: chosen from the key quotes (15 to 60 s), cut from the finished MP3 with fades (pydub,
real ffmpeg), published beside the episode, linked on its page and listed in the feed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from tests.test_feed import NS
from toolkit.audio.clips import cut
from toolkit.content.quotes import Quote
from toolkit.content.soundbites import Soundbite, choose
from toolkit.media import decode, probe


def test_choose_keeps_15_to_60_seconds_within_the_episode() -> None:
    quotes = [Quote(3.0, 7.5, "  A short   quote. ", None, 1.0), Quote(10.0, 80.0, "A very long one.", None, 1.0),
              Quote(90.0, 95.0, "Too near the end.", None, 1.0)]
    assert choose(quotes, 100.0) == (Soundbite(3.0, 15.0, "A short quote."), Soundbite(10.0, 60.0, "A very long one."))


def test_clips_are_cut_with_fades(tmp_path: Path) -> None:
    audio = tmp_path / "episode.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=330:duration=40", "-ac", "1",
                    "-b:a", "64k", str(audio)], check=True)
    clips = cut(audio, [(2.0, 15.0), (20.0, 18.5)], tmp_path)
    assert [c.name for c in clips] == ["soundbite-1.mp3", "soundbite-2.mp3"]
    assert [round(probe(c).duration, 1) for c in clips] == [15.0, 18.5]
    samples = decode(clips[0], rate=8000)[:, 0]
    rms = [float(np.sqrt(np.mean(samples[a:a + 400] ** 2))) for a in (0, 8000 * 7, len(samples) - 400)]
    assert rms[0] < rms[1] / 3 and rms[2] < rms[1] / 3  # quiet at both ends: faded in and out


@pytest.mark.slow
def test_built_sample_publishes_and_links_its_soundbites(built_sample: Path) -> None:
    public = built_sample / "public"
    feed = etree.fromstring((public / "feed.xml").read_bytes())
    found = 0
    for item in feed.findall("channel/item"):
        slug = item.findtext("link").rstrip("/").rsplit("/", 1)[1]
        bites = item.xpath("podcast:soundbite", namespaces=NS)
        page = etree.HTML((public / "episodes" / slug / "index.html").read_bytes())
        links = page.xpath("//ul[@class='soundbites']//a[@download]/@href")
        assert len(links) == len(bites)
        for n, bite in enumerate(bites, 1):
            assert 15.0 <= float(bite.get("duration")) <= 60.0 and bite.text
            clip = public / "episodes" / slug / f"{slug}-soundbite-{n}.mp3"
            assert abs(probe(clip).duration - float(bite.get("duration"))) < 0.1
            assert links[n - 1].endswith(f"episodes/{slug}/{slug}-soundbite-{n}.mp3")
            found += 1
    assert found > 0
