"""The second pass over speech Whisper skipped: real VAD, real tiny.en, real speech."""

from __future__ import annotations

import pytest

from tests.conftest import data_file
from toolkit.config import TranscribeSettings
from toolkit.speech.engines import get_engine
from toolkit.speech.gaps import recover, uncovered
from toolkit.speech.transcribe import decode_options, load_audio
from toolkit.speech.transcript import Word

pytestmark = pytest.mark.slow


def test_a_skipped_sentence_is_found_again_and_stretched_words_dropped() -> None:
    samples = load_audio(data_file("jfk.flac"))
    settings = TranscribeSettings()
    # As if the first pass heard only the opening and then stretched one word over the rest.
    first = [Word(0.3, 0.6, " And"), Word(0.6, 0.9, " so"), Word(0.9, 1.4, " my"),
             Word(1.4, 9.5, " country.")]
    gaps = uncovered(samples, first)
    assert gaps and gaps[0][0] >= 1.3 and gaps[-1][1] > 8.0
    words = recover(samples, first, get_engine(settings.engine), decode_options(settings))
    text = "".join(w.text for w in words).lower()
    # A clip that starts mid-phrase can still lose a word or two at its start; the rest comes back.
    assert "what your country can do for you" in text and "ask what you can do for your country" in text
    assert all(w.text != " country." or w.end - w.start < 1.5 for w in words)  # the stretched one is gone
    assert [w.start for w in words] == sorted(w.start for w in words)


def test_nothing_to_recover_when_every_stretch_of_speech_has_words() -> None:
    samples = load_audio(data_file("jfk.flac"))
    settings = TranscribeSettings()
    engine = get_engine(settings.engine)
    result = engine.transcribe(samples, decode_options(settings))
    words = [w for s in result.segments for w in s.words]
    assert uncovered(samples, words) == []
    assert recover(samples, words, engine, decode_options(settings)) == words
