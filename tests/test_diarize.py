"""Diarization of single-track episodes: the voice encoder, naming, word attribution, and the stage
in a real build, on real speech (the shared interview's two tracks mixed into one file)."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import DATA, SHOW_TOML, MakeShow, data_file, episode_md
from toolkit.speech.diarize import Seat, attribute, names, speaker_at
from toolkit.speech.diarizer import Diarization, SpeakerTurn
from toolkit.speech.transcript import Word


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def mixdown(out: Path, start: float = 0.0) -> Path:
    """The interview's two tracks summed into one file (from ``start`` s): one recording of both."""
    ffmpeg("-i", str(data_file("interview_host.flac")), "-i", str(data_file("interview_guest.flac")),
           "-filter_complex", f"amix=inputs=2:normalize=0,atrim=start={start}", "-ac", "1", "-ar", "16000", str(out))
    return out


def reference() -> list[tuple[float, float, str]]:
    data = json.loads(data_file("interview_turns.json").read_text())
    return [(t["start"], t["end"], t["speaker"]) for t in data["turns"]]


def right_share(words: list[Word], names_of: dict[str, str], shift: float = 0.0) -> float:
    """The share of words whose speaker's name is the reference speaker at the word's middle."""
    turns = reference()
    right = 0
    for w in words:
        mid = (w.start + w.end) / 2 + shift
        who = min(turns, key=lambda t: 0.0 if t[0] <= mid <= t[1] else min(abs(t[0] - mid), abs(t[1] - mid)))[2]
        right += names_of.get(str(w.speaker)) == who
    return right / len(words)


# --- without the model ----------------------------------------------------------------------------


def _diarization(*turns: tuple[float, float, int], voices: np.ndarray | None = None) -> Diarization:
    n = max(t[2] for t in turns) + 1
    return Diarization(tuple(SpeakerTurn(*t) for t in turns),
                       voices if voices is not None else np.eye(n, 4, dtype=np.float32))


def test_the_first_to_speak_is_the_host() -> None:
    d = _diarization((0.0, 5.0, 0), (5.5, 9.0, 1), (9.5, 12.0, 0))
    # [[people]] lists the guest first: still, the host is the first voice.
    assert names(d, (Seat("guest"), Seat("host"))) == {0: "1", 1: "0"}
    assert names(d, (Seat("host"), Seat("guest"))) == {0: "0", 1: "1"}


def test_at_pins_a_person_to_the_voice_speaking_then() -> None:
    d = _diarization((0.0, 5.0, 0), (5.5, 9.0, 1))
    assert names(d, (Seat("host", at=6.0), Seat("guest"))) == {0: "1", 1: "0"}
    assert names(d, (Seat("host"), Seat("guest", at=1.0))) == {0: "1", 1: "0"}
    assert speaker_at(d.turns, 5.2) in (0, 1)  # between turns: the nearest


def test_host_voice_names_the_host_by_likeness() -> None:
    voices = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], dtype=np.float32)
    d = _diarization((0.0, 5.0, 0), (5.5, 9.0, 1), voices=voices)
    clip = np.array([0.1, 0.99, 0, 0], dtype=np.float32)
    assert names(d, (Seat("host"), Seat("guest")), clip) == {0: "1", 1: "0"}


def test_voices_nobody_was_given_are_numbered() -> None:
    d = _diarization((0.0, 5.0, 0), (5.5, 9.0, 1), (9.5, 12.0, 2))
    assert names(d, (Seat("host"), Seat("guest"))) == {0: "0", 1: "1", 2: "Speaker 3"}


def test_each_word_goes_to_the_turn_it_overlaps_most() -> None:
    turns = (SpeakerTurn(0.0, 2.0, 0), SpeakerTurn(2.1, 3.0, 1), SpeakerTurn(5.0, 6.0, 0))
    words = [Word(0.5, 0.9, " one"), Word(1.8, 2.5, " two"), Word(3.5, 3.8, " three"), Word(4.5, 4.8, " four")]
    out = attribute(words, turns, {0: "0", 1: "1"})
    assert [w.speaker for w in out] == ["0", "1", "1", "0"]


def test_mel_spectrogram_is_the_one_resemblyzer_feeds_its_encoder() -> None:
    librosa = pytest.importorskip("librosa")
    from toolkit.speech.transcribe import load_audio
    from toolkit.speech.voice_encoder import mel_frames

    samples = load_audio(data_file("jfk.flac"))
    ref = librosa.feature.melspectrogram(y=samples, sr=16000, n_fft=400, hop_length=160, n_mels=40).T
    mine = mel_frames(samples)
    assert mine.shape == ref.shape
    assert np.max(np.abs(mine - ref)) <= 1e-5 * np.max(ref)


def test_settings_are_declared(make_show: MakeShow) -> None:
    from toolkit.show import load_show

    extra = '''
speakers = "auto"
[[people]]
name = "Ada"
role = "host"
at = "0:42"
[[people]]
name = "Tom"
'''
    root = make_show({"talk": episode_md(extra=extra)}, toml=SHOW_TOML + 'host_voice = "ada.flac"\n')
    shutil.copy(data_file("lj001-0001.wav"), root / "ada.flac")
    show = load_show(root)
    ep = show.episode("talk")
    assert ep.speakers == "auto" and ep.people[0].at == 42.0 and ep.diarized
    assert ep.speaker_names() == {"0": "Ada", "1": "Tom"}
    assert show.info.host_voice == "ada.flac"


def test_a_missing_host_voice_clip_is_one_clear_problem(make_show: MakeShow) -> None:
    from toolkit.errors import InvalidShow
    from toolkit.show import load_show

    root = make_show(toml=SHOW_TOML + 'host_voice = "voices/ada.flac"\n')
    with pytest.raises(InvalidShow) as info:
        load_show(root)
    assert "host voice clip not found: voices/ada.flac" in str(info.value)


# --- with the real model and Whisper ----------------------------------------------------------------


@pytest.fixture(scope="module")
def interview(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The mix-down and its plain transcript (tiny.en, default settings), made once."""
    from toolkit.config import TranscribeSettings
    from toolkit.speech.transcribe import transcribe

    folder = tmp_path_factory.mktemp("mix")
    audio = mixdown(folder / "mix.wav")
    (folder / "transcript.json").write_text(json.dumps(transcribe(audio, TranscribeSettings()).to_dict()))
    return audio, folder / "transcript.json"


def _diarize(audio: Path, transcript: Path, people: tuple[Seat, ...], host_voice: Path | None = None) -> list[Word]:
    from toolkit.speech.diarize import DiarizeJob, diarize
    from toolkit.speech.transcript import Transcript

    plain = Transcript.from_dict(json.loads(transcript.read_text()))
    return list(diarize(DiarizeJob(audio, transcript, people, 2, host_voice), plain).words)


@pytest.mark.slow
def test_same_voice_is_nearer_than_another() -> None:
    from toolkit.speech.embedding_diarizer import EmbeddingDiarizer
    from toolkit.speech.transcribe import load_audio

    d = EmbeddingDiarizer()
    lj = d.voice(load_audio(data_file("lj001-0001.wav")))
    host = d.voice(load_audio(data_file("interview_host.flac"))[: 16000 * 10])  # the same reader
    jfk = d.voice(load_audio(data_file("jfk.flac")))
    assert abs(float(np.linalg.norm(lj)) - 1) < 1e-4
    assert float(lj @ host) > float(lj @ jfk) + 0.1


@pytest.mark.slow
def test_speech_past_the_end_of_the_audio_is_not_looked_for(tmp_path: Path) -> None:
    """A transcript made for a longer file (an import, a hand edit) once crashed the encoder on
    empty windows: only the speech inside the audio is embedded, and with none, nobody changes."""
    from toolkit.speech.diarize import DiarizeJob, diarize
    from toolkit.speech.embedding_diarizer import EmbeddingDiarizer
    from toolkit.speech.transcribe import load_audio
    from toolkit.speech.transcript import Segment, Transcript

    clip = tmp_path / "clip.wav"
    ffmpeg("-i", str(data_file("jfk.flac")), "-t", "4", "-ac", "1", "-ar", "16000", str(clip))
    samples = load_audio(clip)
    d = EmbeddingDiarizer()
    found = d.diarize(samples, [(0.3, 1.5), (1.9, 3.9), (5.0, 9.0), (12.0, 20.0)], 2)
    assert found.turns and max(t.end for t in found.turns) <= len(samples) / 16000 + 0.01
    assert d.diarize(samples, [(10.0, 20.0), (30.0, 31.0)], 2).turns == ()

    words = tuple(Word(10.0 + i, 10.5 + i, f" word{i}", 0.9, None) for i in range(5))
    plain = Transcript("en", 15.0, (Segment(10.0, 14.5, " word0 word1 word2 word3 word4", words, None),), "tiny.en",
                       "none")
    (tmp_path / "transcript.json").write_text(json.dumps(plain.to_dict()))
    out = diarize(DiarizeJob(clip, tmp_path / "transcript.json", (Seat("host"), Seat("guest")), 2), plain)
    assert out.words == plain.words


@pytest.mark.slow
def test_mixdown_words_go_to_the_right_people(interview: tuple[Path, Path]) -> None:
    words = _diarize(*interview, (Seat("host"), Seat("guest")))
    assert right_share(words, {"0": "host", "1": "guest"}) >= 0.95


@pytest.mark.slow
def test_the_number_of_voices_is_estimated(interview: tuple[Path, Path]) -> None:
    from toolkit.speech.diarize import speech
    from toolkit.speech.embedding_diarizer import EmbeddingDiarizer
    from toolkit.speech.transcribe import load_audio
    from toolkit.speech.transcript import Transcript

    audio, transcript = interview
    samples = load_audio(audio)
    words = Transcript.from_dict(json.loads(transcript.read_text())).words
    d = EmbeddingDiarizer()
    # The guest's turns are two real people (the JFK and the LibriSpeech recordings): three voices.
    assert d.diarize(samples, speech(words), None).speakers == 3
    host_only = [w for w in words if w.end < 10.3]  # the first turn: the host alone
    assert d.diarize(samples, speech(host_only), None).speakers == 1


@pytest.mark.slow
@pytest.mark.parametrize("louder", ["host", "guest"])
def test_overlapping_speech_goes_to_the_louder_voice(interview: tuple[Path, Path], louder: str) -> None:
    from toolkit.speech.embedding_diarizer import EmbeddingDiarizer
    from toolkit.speech.transcribe import load_audio

    rate = 16000
    mix = load_audio(interview[0])
    host, guest = mix[int(0.5 * rate):int(10.4 * rate)], mix[int(10.7 * rate):int(22.4 * rate)]
    other_host = mix[int(36.8 * rate):int(46.4 * rate)]  # the host's last turn, said over the guest's first
    quiet, loud = (guest[:len(other_host)], other_host) if louder == "host" else (other_host, guest[:len(other_host)])
    def rms(x: np.ndarray) -> float:
        return float(np.sqrt(np.mean(np.square(x))))

    both = loud + quiet * (rms(loud) / rms(quiet)) * 10 ** (-6 / 20)  # 6 dB under the louder voice
    gap = np.zeros(rate // 2, dtype=np.float32)
    audio = np.concatenate([host, gap, guest, gap, both]).astype(np.float32)
    t1 = len(host) / rate
    t2 = t1 + 0.5 + len(guest) / rate
    t3 = t2 + 0.5
    spans = [(0.0, t1), (t1 + 0.5, t2), (t3, t3 + len(both) / rate)]
    result = EmbeddingDiarizer().diarize(audio, spans, 2)
    want = 0 if louder == "host" else 1  # speakers are numbered in order of first appearance
    overlap = [u for u in result.turns if u.end > t3]
    given = sum(u.end - max(u.start, t3) for u in overlap if u.speaker == want)
    assert given >= 0.9 * len(both) / rate


@pytest.mark.slow
@pytest.mark.parametrize("reply", [(13.4, 13.8), (12.06, 12.88)], ids=["nothing-0.4s", "excuse-me-0.8s"])
def test_a_short_reply_between_pauses_keeps_its_own_speaker(interview: tuple[Path, Path],
                                                            reply: tuple[float, float]) -> None:
    from toolkit.speech.embedding_diarizer import EmbeddingDiarizer
    from toolkit.speech.transcribe import load_audio

    rate = 16000
    mix = load_audio(interview[0])
    host, guest = mix[int(0.5 * rate):int(10.4 * rate)], mix[int(10.7 * rate):int(22.4 * rate)]
    later = mix[int(36.8 * rate):int(46.4 * rate)]  # the host again, with the guest's word said in a pause
    word = mix[int(reply[0] * rate):int(reply[1] * rate)]
    parts = [host, guest, later[:5 * rate], word, later[5 * rate:]]
    gap = np.zeros(int(0.4 * rate), dtype=np.float32)
    spans, t = [], 0.0
    for part in parts:
        spans.append((t, t + len(part) / rate))
        t += len(part) / rate + 0.4
    audio = np.concatenate([x for part in parts for x in (part, gap)]).astype(np.float32)
    result = EmbeddingDiarizer().diarize(audio, spans, 2)
    a, b = spans[3]
    assert {u.speaker for u in result.turns if u.start < b and u.end > a} == {1}  # the guest's, not the host's
    assert {u.speaker for u in result.turns if u.start >= spans[4][0]} == {0}


@pytest.mark.slow
def test_at_names_people_against_the_speaking_order(interview: tuple[Path, Path]) -> None:
    # The guest is listed as a "host" who speaks at 0:15 (the guest's turn): the pin wins over order.
    words = _diarize(*interview, (Seat("guest"), Seat("host", at=15.0)))
    assert right_share(words, {"0": "host", "1": "guest"}) >= 0.95


@pytest.mark.slow
def test_host_voice_names_the_host_who_does_not_speak_first(tmp_path: Path) -> None:
    from toolkit.config import TranscribeSettings
    from toolkit.speech.transcribe import transcribe

    start = 10.6  # the guest speaks first from here
    audio = mixdown(tmp_path / "late.wav", start)
    transcript = tmp_path / "transcript.json"
    transcript.write_text(json.dumps(transcribe(audio, TranscribeSettings()).to_dict()))
    people = (Seat("host"), Seat("guest"))
    by_order = _diarize(audio, transcript, people)
    assert right_share(by_order, {"0": "host", "1": "guest"}, start) < 0.5  # first to speak: wrongly the host
    clip = data_file("lj001-0001.wav")  # the host's reader, another recording
    by_voice = _diarize(audio, transcript, people, clip)
    assert right_share(by_voice, {"0": "host", "1": "guest"}, start) >= 0.95


@pytest.mark.slow
def test_a_single_track_episode_is_diarized_in_the_build_and_cached(make_show: MakeShow) -> None:
    from toolkit.build.pipeline import process
    from toolkit.show import load_show

    people = '''
[[people]]
name = "Ada Lindqvist"
role = "host"
[[people]]
name = "Tom Reyes"
'''
    root = make_show({"talk": episode_md(audio="talk.flac", extra=people)})
    mixdown(root / "episodes" / "talk" / "talk.flac")
    run = process(load_show(root))
    assert dict(run.ran) == {"master": 1, "transcribe": 1, "diarize": 1, "content": 1, "tag": 1}
    transcript = run.processed[0].transcript
    assert set(transcript.speakers) == {"Ada Lindqvist", "Tom Reyes"}
    said = {w.speaker for w in transcript.words if "country" in w.text.lower()}  # Kennedy's words: the guest's
    assert said == {"Tom Reyes"}
    assert transcript.segments[0].speaker == "Ada Lindqvist"

    assert dict(process(load_show(root)).ran) == {}  # nothing changed: nothing runs
    # Pinning a voice re-diarizes, but does not transcribe again; the names stay where they were.
    md = root / "episodes" / "talk" / "episode.md"
    md.write_text(md.read_text().replace('role = "host"', 'role = "host"\nat = "0:02"'))
    again = process(load_show(root))
    assert "diarize" in again.ran and not {"master", "transcribe"} & set(again.ran)
    assert again.processed[0].transcript.segments == transcript.segments


def test_multitrack_episodes_are_never_diarized(make_show: MakeShow) -> None:
    from toolkit.build.stages import diarize_job
    from toolkit.show import load_show

    extra = '''
[[people]]
name = "Ada"
track = "host.flac"
[[people]]
name = "Tom"
track = "guest.flac"
'''
    root = make_show({"two": episode_md(audio=None, extra=extra)})
    for name in ("host", "guest"):
        shutil.copy(DATA / f"interview_{name}.flac", root / "episodes" / "two" / f"{name}.flac")
    ep = load_show(root).episode("two")
    assert not ep.diarized and diarize_job(load_show(root), ep, {}) is None
    one = dataclasses.replace(ep, people=ep.people[:1], tracks=ep.tracks[:1])
    assert one.multitrack and not one.diarized
