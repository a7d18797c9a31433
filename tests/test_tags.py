"""ID3 tags written by toolkit.tags, read back with mutagen and with ffprobe."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import mutagen.id3
import pytest
from PIL import Image

from tests.test_master_meter import ffmpeg
from toolkit.audio.id3 import Chapter, TagInfo, write_tags
from toolkit.errors import MediaError


@pytest.fixture
def mp3(tmp_path: Path) -> Path:
    out = tmp_path / "episode.mp3"
    ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=30:r=44100", "-c:a", "libmp3lame", "-b:a", "64k", str(out))
    return out


@pytest.fixture
def cover(tmp_path: Path) -> Path:
    path = tmp_path / "cover.jpg"
    Image.new("RGB", (1400, 1400), (30, 90, 160)).save(path, "JPEG")
    return path


def read(path: Path) -> Any:
    """The file's ID3 tag, by mutagen (untyped, hence Any)."""
    tag: Any = mutagen.id3.ID3(path)  # type: ignore[no-untyped-call]
    return tag


CHAPTERS = (Chapter(0.0, "Welcome"), Chapter(9.5, "The guest — über alles"), Chapter(21.25, "Goodbye"))


def info(cover: Path | None, chapters: tuple[Chapter, ...] = CHAPTERS) -> TagInfo:
    return TagInfo(title="Episode 7: Prints", artist="Ada Author", album="The Show", track=7,
                   date="2026-01-05", comment="Show notes in short.", cover=cover, chapters=chapters)


def ffprobe(path: Path) -> Any:
    """ffprobe's JSON (format and chapters) for the file."""
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                          "-show_chapters", str(path)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_text_frames_and_cover_read_back_with_mutagen(mp3: Path, cover: Path) -> None:
    write_tags(mp3, info(cover), 30.0)
    tag = read(mp3)
    assert tag.version[:2] == (2, 3)  # for Apple Podcasts' chapter reader and Windows
    assert str(tag["TIT2"]) == "Episode 7: Prints"
    assert str(tag["TPE1"]) == "Ada Author"
    assert str(tag["TALB"]) == "The Show"
    assert str(tag["TRCK"]) == "7"
    assert str(tag.getall("TDRC")[0]).startswith("2026")
    assert tag.getall("COMM")[0].text == ["Show notes in short."]
    (apic,) = tag.getall("APIC")
    assert apic.mime == "image/jpeg" and apic.type == 3 and apic.data == cover.read_bytes()


def test_chapters_and_table_of_contents(mp3: Path, cover: Path) -> None:
    write_tags(mp3, info(cover), 30.0)
    tag = read(mp3)
    (toc,) = tag.getall("CTOC")
    assert toc.child_element_ids == ["chp000", "chp001", "chp002"]
    assert toc.flags & 0x01 and toc.flags & 0x02  # ordered, top level
    chaps = sorted(tag.getall("CHAP"), key=lambda c: c.start_time)
    assert [(c.start_time, c.end_time) for c in chaps] == [(0, 9500), (9500, 21250), (21250, 30000)]
    assert [str(c.sub_frames["TIT2"]) for c in chaps] == [c.title for c in CHAPTERS]


def test_ffprobe_sees_chapters_and_tags(mp3: Path, cover: Path) -> None:
    write_tags(mp3, info(cover), 30.0)
    probed = ffprobe(mp3)
    chapters = sorted(probed["chapters"], key=lambda c: float(c["start_time"]))
    assert [float(c["start_time"]) for c in chapters] == [0.0, 9.5, 21.25]
    assert [c["tags"]["title"] for c in chapters] == [c.title for c in CHAPTERS]
    tags = probed["format"]["tags"]
    assert tags["title"] == "Episode 7: Prints" and tags["artist"] == "Ada Author"
    assert tags["album"] == "The Show" and tags["track"] == "7"
    # The audio is untouched: still decodable, still 30 s.
    assert float(probed["format"]["duration"]) == pytest.approx(30.0, abs=0.1)


def test_retagging_replaces_the_old_tag(mp3: Path, cover: Path) -> None:
    write_tags(mp3, info(cover), 30.0)
    audio_before = mp3.read_bytes()[-20000:]
    write_tags(mp3, TagInfo("New title", "A", "S", None, "", "", None, ()), 30.0)
    tag = read(mp3)
    assert str(tag["TIT2"]) == "New title"
    assert not tag.getall("APIC") and not tag.getall("CHAP") and not tag.getall("CTOC")
    assert not tag.getall("TRCK") and not tag.getall("COMM")
    assert mp3.read_bytes()[-20000:] == audio_before


def test_chapter_past_the_end_is_clamped_and_explicit_end_is_kept(mp3: Path) -> None:
    chapters = (Chapter(0.0, "A", end=5.0), Chapter(25.0, "B", end=99.0))
    write_tags(mp3, info(None, chapters), 30.0)
    chaps = sorted(read(mp3).getall("CHAP"), key=lambda c: c.start_time)
    assert [(c.start_time, c.end_time) for c in chaps] == [(0, 5000), (25000, 30000)]


def test_png_cover_and_bad_cover(mp3: Path, tmp_path: Path) -> None:
    png = tmp_path / "art.png"
    Image.new("RGB", (1400, 1400), (0, 0, 0)).save(png, "PNG")
    write_tags(mp3, info(png), 30.0)
    assert read(mp3).getall("APIC")[0].mime == "image/png"
    gif = tmp_path / "art.jpg"
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    with pytest.raises(MediaError, match="JPEG or PNG"):
        write_tags(mp3, info(gif), 30.0)
    with pytest.raises(MediaError, match="not found"):
        write_tags(mp3, info(tmp_path / "missing.jpg"), 30.0)


def test_missing_mp3_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="does not exist"):
        write_tags(tmp_path / "none.mp3", info(None), 1.0)


def _frames_in_file_order(path: Path) -> list[tuple[str, bytes]]:
    """The ID3v2.3 tag's frames (id, body) in the order they are written in the file."""
    data = path.read_bytes()
    assert data[:3] == b"ID3" and data[3] == 3
    size = sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(data[6:10]))  # synchsafe
    pos, out = 10, []
    while pos + 10 <= 10 + size and data[pos:pos + 4].strip(b"\0"):
        frame_id, length = data[pos:pos + 4].decode(), int.from_bytes(data[pos + 4:pos + 8], "big")
        out.append((frame_id, data[pos + 10:pos + 10 + length]))
        pos += 10 + length
    return out


def test_a_v23_tag_has_no_v24_frames_and_chapters_in_time_order(mp3: Path) -> None:
    """TDRC exists only in ID3v2.4: a v2.3 tag dates the episode with TYER (year) and TDAT (DDMM).
    The CHAP frames follow each other in time order in the file, past ten chapters too."""
    chapters = tuple(Chapter(i * 2.0, f"Part {i}") for i in range(12))
    write_tags(mp3, info(None, chapters), 30.0)
    frames = _frames_in_file_order(mp3)
    ids = [f for f, _ in frames]
    assert "TDRC" not in ids and "TYER" in ids and "TDAT" in ids
    raw: Any = mutagen.id3.ID3(mp3, translate=False)  # type: ignore[no-untyped-call]  # as written
    assert str(raw["TYER"]) == "2026" and str(raw["TDAT"]) == "0501"
    starts = [int.from_bytes(body[body.index(b"\0") + 1:][:4], "big") for f, body in frames if f == "CHAP"]
    assert starts == [i * 2000 for i in range(12)]
