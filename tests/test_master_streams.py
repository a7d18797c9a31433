"""The encoder's built-in check: what the monitor sees is exactly what the shipped MP3 decodes to."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from toolkit.audio.streams import Audio, Mp3Writer, read_chunks


def _programme(rate: int, channels: int, seconds: float = 2.5) -> Audio:
    t = np.arange(round(rate * seconds)) / rate
    rng = np.random.default_rng(7)
    x = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(len(t))
    return np.repeat(x[:, None], channels, axis=1).astype(np.float32) * np.linspace(1, 0.5, channels, dtype=np.float32)


@pytest.mark.parametrize(("rate", "channels", "bitrate"), [(44100, 2, 128), (22050, 1, 32), (48000, 1, 64)])
def test_monitor_sees_the_decoded_file_sample_for_sample(tmp_path: Path, rate: int, channels: int,
                                                         bitrate: int) -> None:
    out = tmp_path / "a [b|c]'d.mp3"  # characters the tee muxer would otherwise take as syntax
    seen: list[Audio] = []
    writer = Mp3Writer(out, rate=rate, channels=channels, bitrate=bitrate, monitor=lambda x: seen.append(x.copy()))
    x = _programme(rate, channels)
    for k in range(0, len(x), 10000):
        writer.write(x[k: k + 10000])
    writer.close()
    monitored = np.concatenate(seen)
    decoded = np.concatenate(list(read_chunks(out, rate=rate, channels=channels, chunk=1 << 16)))
    assert len(monitored) == len(decoded) == len(x)
    np.testing.assert_array_equal(monitored, decoded)


def test_a_failing_monitor_fails_the_write_and_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "out.mp3"

    def broken(_: Audio) -> None:
        raise RuntimeError("meter broke")

    writer = Mp3Writer(out, rate=44100, channels=1, bitrate=64, monitor=broken)
    writer.write(_programme(44100, 1, seconds=20.0))
    with pytest.raises(RuntimeError, match="meter broke"):
        writer.close()
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_abort_stops_encoder_and_check_and_leaves_no_file(tmp_path: Path) -> None:
    writer = Mp3Writer(tmp_path / "out.mp3", rate=44100, channels=2, bitrate=128, monitor=lambda _: None)
    writer.write(_programme(44100, 2, seconds=5.0))
    writer.abort()
    assert list(tmp_path.iterdir()) == []
