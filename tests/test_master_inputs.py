"""Bad and unusual inputs: corrupt, truncated, silent, odd rates, formats and channel layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import data_file
from tests.test_master_meter import ebur128, ffmpeg, ffprobe_stream
from toolkit.audio.master import master
from toolkit.config import MasterSettings
from toolkit.errors import MediaError, PodkitError


def test_corrupt_file_is_a_clear_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "interview.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(range(256)) * 40)
    out = tmp_path / "out.mp3"
    with pytest.raises(MediaError) as err:
        master([bad], out, MasterSettings())
    assert "interview.wav" in str(err.value)
    assert not out.exists()
    assert list(tmp_path.glob("*.part")) == []


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="not found"):
        master([tmp_path / "nope.flac"], tmp_path / "out.mp3", MasterSettings())


@pytest.mark.parametrize("suffix", ["wav", "flac"])
def test_truncated_file_is_mastered_with_a_warning(tmp_path: Path, suffix: str) -> None:
    whole = tmp_path / f"whole.{suffix}"
    ffmpeg("-i", str(data_file("lj001-0001.wav")), str(whole))
    cut = tmp_path / f"cut.{suffix}"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # the header still claims the full length
    out = tmp_path / "out.mp3"
    report = master([cut], out, MasterSettings(trim=False))
    assert any("truncated" in w and cut.name in w for w in report.warnings), report.warnings
    full = float(ffprobe_stream(whole, "duration"))
    assert report.duration == pytest.approx(full / 2, abs=0.3)
    assert ebur128(out).integrated == pytest.approx(-19.0, abs=0.5)


def test_silent_track_warns_and_the_others_are_still_mastered(tmp_path: Path) -> None:
    silent = tmp_path / "silent.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "9", str(silent))
    out = tmp_path / "out.mp3"
    report = master([data_file("lj001-0001.wav"), silent], out, MasterSettings())
    assert any("silent.wav" in w and "silent" in w for w in report.warnings)
    m = ebur128(out)
    assert m.integrated == pytest.approx(-19.0, abs=0.5)
    assert m.true_peak <= -1.0


def test_all_silent_input_is_not_blown_up(tmp_path: Path) -> None:
    silent = tmp_path / "silent.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "3", str(silent))
    out = tmp_path / "out.mp3"
    report = master([silent], out, MasterSettings())
    assert any("silent" in w for w in report.warnings)
    assert out.is_file()
    assert report.duration == pytest.approx(3.0, abs=0.1)


def test_clipped_and_quiet_inputs_are_reported(tmp_path: Path) -> None:
    hot = tmp_path / "hot.wav"
    ffmpeg("-i", str(data_file("lj001-0001.wav")), "-af", "volume=12dB,alimiter=limit=1:level=0,volume=6dB",
           "-c:a", "pcm_s16le", str(hot))
    report = master([hot], tmp_path / "hot.mp3", MasterSettings())
    assert report.tracks[0].clipped_samples > 0
    assert any("clipped" in w for w in report.warnings)
    quiet = tmp_path / "quiet.wav"
    ffmpeg("-i", str(data_file("lj001-0001.wav")), "-af", "volume=-32dB", "-c:a", "pcm_s24le", str(quiet))
    out = tmp_path / "quiet.mp3"
    report = master([quiet], out, MasterSettings())
    assert any("very quiet" in w for w in report.warnings)
    assert ebur128(out).integrated == pytest.approx(-19.0, abs=0.5)


@pytest.mark.parametrize(("rate", "fmt", "layout"), [
    (8000, "pcm_s16le", "mono"),
    (96000, "pcm_s24le", "stereo"),
    (48000, "pcm_f32le", "mono"),
    (48000, "pcm_s16le", "5.1"),
])
def test_rates_sample_formats_and_layouts(tmp_path: Path, rate: int, fmt: str, layout: str) -> None:
    src = tmp_path / f"in-{rate}-{layout}.wav"
    ffmpeg("-i", str(data_file("librispeech-2412-153948-0000.flac")), "-ar", str(rate), "-c:a", fmt,
           "-af", f"aformat=channel_layouts={layout}", str(src))
    out = tmp_path / "out.mp3"
    report = master([src], out, MasterSettings())
    channels = 1 if layout == "mono" else 2  # 5.1 is downmixed to stereo
    assert ffprobe_stream(out, "channels") == str(channels)
    assert ffprobe_stream(out, "sample_rate") == "44100"
    m = ebur128(out)
    assert m.integrated == pytest.approx(-19.0 if channels == 1 else -16.0, abs=0.5)
    assert m.true_peak <= -1.0
    assert report.warnings == ()


def test_more_than_eight_tracks_is_a_clear_error(tmp_path: Path) -> None:
    tracks = [data_file("lj001-0001.wav")] * 9
    with pytest.raises(PodkitError, match="at most 8"):
        master(tracks, tmp_path / "out.mp3", MasterSettings())


def test_no_tracks_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PodkitError, match="no audio"):
        master([], tmp_path / "out.mp3", MasterSettings())
