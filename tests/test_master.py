"""The master stage on real speech, checked with an independent meter (ffmpeg ebur128)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import data_file
from tests.test_master_meter import ebur128, ffmpeg, ffprobe_stream
from toolkit.audio.master import MasterReport, master
from toolkit.config import MasterSettings


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("master")


@pytest.fixture(scope="module")
def stereo(work: Path) -> tuple[Path, MasterReport]:
    out = work / "jfk.mp3"
    return out, master([data_file("jfk.flac")], out, MasterSettings())


@pytest.fixture(scope="module")
def mono(work: Path) -> tuple[Path, MasterReport]:
    out = work / "lj.mp3"
    return out, master([data_file("lj001-0001.wav")], out, MasterSettings())


def test_stereo_input_gives_stereo_mp3_at_minus_16(stereo: tuple[Path, MasterReport]) -> None:
    out, report = stereo
    m = ebur128(out)
    assert m.integrated == pytest.approx(-16.0, abs=0.5)
    assert m.true_peak <= -1.0
    assert ffprobe_stream(out, "channels") == "2"
    assert ffprobe_stream(out, "sample_rate") == "44100"
    assert ffprobe_stream(out, "codec_name") == "mp3"
    assert report.channels == 2 and report.target_lufs == -16.0
    assert int(ffprobe_stream(out, "bit_rate")) == 128000


def test_mono_input_gives_mono_mp3_at_minus_19(mono: tuple[Path, MasterReport]) -> None:
    out, report = mono
    m = ebur128(out)
    assert m.integrated == pytest.approx(-19.0, abs=0.5)
    assert m.true_peak <= -1.0
    assert ffprobe_stream(out, "channels") == "1"
    assert int(ffprobe_stream(out, "bit_rate")) == 64000
    assert report.channels == 1 and report.target_lufs == -19.0


def test_report_agrees_with_the_meter_and_round_trips(stereo: tuple[Path, MasterReport]) -> None:
    out, report = stereo
    m = ebur128(out)
    assert report.output_lufs == pytest.approx(m.integrated, abs=0.2)
    assert report.output_true_peak == pytest.approx(m.true_peak, abs=0.3)
    assert report.input_lufs == pytest.approx(ebur128(data_file("jfk.flac")).integrated, abs=0.5)
    again = MasterReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again == report
    lines = report.summary_lines()
    assert any("LUFS" in ln and "dBTP" in ln for ln in lines)


def test_output_is_untagged_and_no_temporary_file_is_left(stereo: tuple[Path, MasterReport]) -> None:
    out, _ = stereo
    assert not out.read_bytes().startswith(b"ID3")
    assert [p.name for p in out.parent.iterdir() if p.name.endswith(".part")] == []


@pytest.mark.parametrize(("preset", "target"), [("ebu-r128", -23.0), ("atsc-a85", -24.0)])
def test_presets(tmp_path: Path, preset: str, target: float) -> None:
    out = tmp_path / "out.mp3"
    settings = MasterSettings(preset=preset)  # type: ignore[arg-type]
    report = master([data_file("librispeech-2412-153948-0000.flac")], out, settings)
    assert report.target_lufs == target
    m = ebur128(out)
    assert m.integrated == pytest.approx(target, abs=0.5)
    assert m.true_peak <= -1.0


def test_target_and_ceiling_override_the_preset(tmp_path: Path) -> None:
    out = tmp_path / "out.mp3"
    report = master([data_file("jfk.flac")], out, MasterSettings(target_lufs=-14.0, true_peak=-2.0))
    m = ebur128(out)
    assert report.target_lufs == -14.0
    assert m.integrated == pytest.approx(-14.0, abs=0.5)
    assert m.true_peak <= -2.0


def test_settings_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="true_peak"):
        MasterSettings(true_peak=3.0)
    with pytest.raises(ValueError, match="bitrate"):
        MasterSettings(bitrate_mono=65)
    with pytest.raises(ValueError, match="target_lufs"):
        MasterSettings(target_lufs=-80.0)


def test_settings_load_from_toml_table(tmp_path: Path) -> None:
    from toolkit.config import load

    settings, problems = load(MasterSettings, {"preset": "ebu-r128", "bitrate-mono": 96, "trim": False},
                              path=tmp_path / "podkit.toml", section="master")
    assert problems == []
    assert settings.preset == "ebu-r128" and settings.bitrate_mono == 96 and not settings.trim
    _, problems = load(MasterSettings, {"true_peak": 2.0}, path=tmp_path / "podkit.toml", section="master")
    assert problems and "true_peak" in str(problems[0])


def test_trim_keeps_a_pad_and_reports_the_shift(tmp_path: Path) -> None:
    padded = tmp_path / "padded.wav"
    # 3 s of silence, the speech, 4 s of silence.
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-i", str(data_file("lj001-0001.wav")),
           "-filter_complex", "[0]atrim=0:3[a];[0]atrim=0:4[b];[a][1][b]concat=n=3:v=0:a=1", str(padded))
    out = tmp_path / "out.mp3"
    report = master([padded], out, MasterSettings(trim_pad=0.5))
    speech = float(ffprobe_stream(data_file("lj001-0001.wav"), "duration"))
    # The clip's own leading/trailing room tone may be trimmed too, never more than the added silence.
    assert report.timeline_shift == pytest.approx(-2.5, abs=0.25)
    assert speech - 0.5 < report.duration < speech + 1.2
    assert float(ffprobe_stream(out, "duration")) == pytest.approx(report.duration, abs=0.1)
    untrimmed = master([padded], tmp_path / "whole.mp3", MasterSettings(trim=False))
    assert untrimmed.timeline_shift == 0.0
    assert untrimmed.duration == pytest.approx(speech + 7.0, abs=0.1)


def test_intro_and_outro_with_crossfade(tmp_path: Path) -> None:
    intro = data_file("librispeech-2412-153948-0000.flac")
    outro = data_file("jfk.flac")
    out = tmp_path / "out.mp3"
    settings = MasterSettings(intro=str(intro), outro=str(outro), crossfade=1.0, trim=False)
    report = master([data_file("lj001-0001.wav")], out, settings)
    d = {p: float(ffprobe_stream(p, "duration")) for p in (intro, outro, data_file("lj001-0001.wav"))}
    expected = d[intro] + d[data_file("lj001-0001.wav")] + d[outro] - 2.0
    assert report.duration == pytest.approx(expected, abs=0.1)
    # The programme starts where the intro's crossfade begins.
    assert report.timeline_shift == pytest.approx(d[intro] - 1.0, abs=0.02)
    m = ebur128(out)
    assert report.channels == 2  # the outro is stereo, so the episode is (every input mono: mono)
    assert m.integrated == pytest.approx(-16.0, abs=0.5)
    assert m.true_peak <= -1.0
    # The intro is at the programme's loudness, not at its own.
    assert ebur128(out, 0.0, d[intro] - 1.5).integrated == pytest.approx(-16.0, abs=1.5)


def test_progress_goes_from_zero_to_one(tmp_path: Path) -> None:
    seen: list[float] = []
    master([data_file("lj001-0001.wav")], tmp_path / "out.mp3", MasterSettings(), progress=seen.append)
    assert seen and seen[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen)
    assert seen == sorted(seen)
