"""Two-track interviews: each speaker levelled on their own speech, bleed gated, per-turn balance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import data_file
from tests.test_master_meter import ebur128, ffmpeg
from toolkit.audio.master import MasterReport, _plan_gains, master
from toolkit.config import MasterSettings

pytestmark = pytest.mark.slow


def turns() -> list[tuple[str, float, float]]:
    """(speaker, start, end) of every turn, the ground truth shipped with the recordings."""
    data = json.loads(data_file("interview_turns.json").read_text())
    return [(str(t["speaker"]), float(t["start"]), float(t["end"])) for t in data["turns"]]


def per_turn(out: Path, report: MasterReport) -> dict[str, list[float]]:
    """Loudness of every turn in the master, by speaker (turn times moved by the timeline shift)."""
    found: dict[str, list[float]] = {}
    for speaker, start, end in turns():
        level = ebur128(out, start + report.timeline_shift, end - start).integrated
        found.setdefault(speaker, []).append(level)
    return found


def assert_balanced(levels: dict[str, list[float]], within: float = 2.0) -> None:
    every = [x for xs in levels.values() for x in xs]
    assert max(every) - min(every) <= within, levels


@pytest.fixture(scope="module")
def interview(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MasterReport]:
    out = tmp_path_factory.mktemp("interview") / "interview.mp3"
    tracks = [data_file("interview_host.flac"), data_file("interview_guest.flac")]
    return out, master(tracks, out, MasterSettings())


def test_the_raw_tracks_are_unbalanced() -> None:
    # The premise: without levelling, the guest's turns are far quieter than the host's.
    host = ebur128(data_file("interview_host.flac"), 0.6, 9.6).integrated
    guest = ebur128(data_file("interview_guest.flac"), 10.8, 11.6).integrated
    assert host - guest > 6.0


def test_interview_turns_are_balanced_and_on_target(interview: tuple[Path, MasterReport]) -> None:
    out, report = interview
    assert report.channels == 1
    m = ebur128(out)
    assert m.integrated == pytest.approx(-19.0, abs=0.5)
    assert m.true_peak <= -1.0
    assert_balanced(per_turn(out, report))


def test_report_has_each_speaker_before_and_after(interview: tuple[Path, MasterReport]) -> None:
    _, report = interview
    host, guest = report.tracks
    assert host.speech_before - guest.speech_before > 3.0
    assert abs(host.speech_after - guest.speech_after) < 1.5
    assert report.output_lra < report.input_lra
    assert report.warnings == ()


def test_bleed_is_gated_while_the_other_speaks() -> None:
    # In the sum the talking speaker masks the other track, so check the plan itself: each
    # track is turned down by the gate depth during the other speaker's turns.
    from toolkit.audio import analysis as an
    from toolkit.audio.loudness import SUB_BLOCK

    found = an.analyse([data_file("interview_host.flac"), data_file("interview_guest.flac")], 1)
    length = max(len(t.energy) for t in found)
    an.find_activity(found, length)
    for t in found:
        t.speech = t.loudness
    settings = MasterSettings()
    gated = _plan_gains(found, length, settings, reference=-23.0)
    open_ = _plan_gains(found, length, MasterSettings(gate=False), reference=-23.0)
    for turn in turns():
        speaker, start, end = turn
        a, b = round((start + 0.4) / SUB_BLOCK), round((end - 0.4) / SUB_BLOCK)
        own, other = (0, 1) if speaker == "host" else (1, 0)
        assert found[own].active[a:b].mean() > 0.6, turn
        assert found[other].active[a:b].mean() < 0.05, turn
        # Open for its speaker (but for pauses between words), closed for the other throughout.
        assert (abs(gated[own][a:b] - open_[own][a:b]) < 0.5).mean() > 0.85, turn
        assert (gated[other][a:b] - open_[other][a:b]).max() <= -settings.gate_depth + 0.5, turn


def test_a_different_imbalance_is_levelled_too(tmp_path: Path) -> None:
    # Host 4 dB quieter and guest 9 dB louder than recorded: now the guest dominates.
    host = tmp_path / "host.flac"
    guest = tmp_path / "guest.flac"
    ffmpeg("-i", str(data_file("interview_host.flac")), "-af", "volume=-4dB", str(host))
    ffmpeg("-i", str(data_file("interview_guest.flac")), "-af", "volume=9dB", str(guest))
    out = tmp_path / "out.mp3"
    report = master([host, guest], out, MasterSettings(preset="ebu-r128"))
    assert ebur128(out).integrated == pytest.approx(-23.0, abs=0.5)
    assert_balanced(per_turn(out, report))


def test_tracks_of_different_rates_lengths_and_channels_align_at_start(tmp_path: Path) -> None:
    # Guest resampled to 16 kHz stereo and cut 5 s short: still aligned, still balanced.
    guest = tmp_path / "guest.wav"
    ffmpeg("-i", str(data_file("interview_guest.flac")), "-ar", "16000", "-ac", "2", "-t", "42.8", str(guest))
    out = tmp_path / "out.mp3"
    report = master([data_file("interview_host.flac"), guest], out, MasterSettings(trim=False))
    assert report.channels == 2
    assert report.duration == pytest.approx(47.8, abs=0.15)
    assert ebur128(out).integrated == pytest.approx(-16.0, abs=0.5)
    assert_balanced(per_turn(out, report))
