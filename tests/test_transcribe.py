"""The transcribe stage on real speech with the bundled tiny.en model."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.transcribe import TranscribeSettings, transcribe

DATA = Path(__file__).parent / "data"


@pytest.mark.slow
def test_jfk_word_for_word() -> None:
    seen: list[float] = []
    t = transcribe(DATA / "jfk.flac", TranscribeSettings(), progress=seen.append)
    words = [w.text.strip(" ,.").lower() for s in t.segments for w in s.words]
    assert words == ("and so my fellow americans ask not what your country can do for you "
                     "ask what you can do for your country").split()
    assert t.language == "en"
    assert all(s.speaker is None for s in t.segments)
    assert seen and seen[-1] == pytest.approx(t.duration)
