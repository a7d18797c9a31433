"""Benchmark the transcribe stage against faster-whisper called directly, in one run.

    .venv/bin/python bench/transcribe.py [--models tiny.en,base] [--loops 4] [--skip-openai]

Accuracy: word error rate (jiwer, after lower-casing, stripping punctuation and collapsing
spaces) on the shared clips (jfk, lj001-0001, librispeech, lj-chapter, and the interview mixed
into one programme), for podkit's `transcribe()` and for `WhisperModel.transcribe()` called
directly on the same file with the same settings (beam 5, temperature 0, no conditioning on
previous text, word timestamps, Silero VAD, int8).

Speed: real-time factor (audio seconds per wall second) on lj-chapter.opus looped ``--loops``
times, podkit vs direct faster-whisper (same model, settings, threads), and openai-whisper
through podkit beside them. Models are loaded before timing in every case; the runs are
interleaved and each side's best time is kept, so load from other processes on the machine
affects both alike.

Speakers: per-word accuracy on the interview against interview_turns.json, for attribution by
per-track loudness (what podkit does) and for the alternative, transcribing each track alone.

Several episodes (``--many``, tiny.en): audio seconds per wall second for four episodes' transcribe
stages (`transcribe.make`, what `stages.run_episode` runs), in this process one after the other,
and in two worker processes (spawned, longest episode first), as `podkit build` runs stale
episodes: with one engine thread each, and with the engine's own choice of threads (the
configured default, threads = 0, which the build's workers keep).
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import jiwer

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # after PYTHONPATH: a copy of toolkit/ there is the one measured

from toolkit.config import TranscribeSettings  # noqa: E402
from toolkit.speech import faster_whisper as faster  # noqa: E402
from toolkit.speech.models import resolve_ct2  # noqa: E402
from toolkit.speech.transcribe import TranscribeJob, decode_options, transcribe  # noqa: E402
from toolkit.speech.transcribe import make as transcribe_stage  # noqa: E402
from toolkit.speech.transcript import Word  # noqa: E402

AUDIO = ROOT.parent / "shared" / "audio"


def ffmpeg(*args: str) -> None:
    proc = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"ffmpeg failed: {proc.stderr[-2000:]}")


def normalise(text: str) -> str:
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^\w\s']", " ", text)
    return " ".join(text.replace("'", "").split())


def wer(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(normalise(reference), normalise(hypothesis)))


def clips(work: Path) -> dict[str, tuple[Path, str]]:
    """name -> (audio file, reference text)."""
    out = {
        "jfk": (AUDIO / "jfk.flac", (AUDIO / "jfk.txt").read_text()),
        "lj001-0001": (AUDIO / "lj001-0001.wav", (AUDIO / "lj001-0001.txt").read_text()),
        "librispeech": (AUDIO / "librispeech-2412-153948-0000.flac",
                        (AUDIO / "librispeech-2412-153948-0000.txt").read_text()),
        "lj-chapter": (AUDIO / "lj-chapter.opus", (AUDIO / "lj-chapter.txt").read_text()),
    }
    turns = json.loads((AUDIO / "interview_turns.json").read_text())["turns"]
    out["interview"] = (interview_programme(work), " ".join(t["text"] for t in turns))
    return out


def interview_programme(work: Path) -> Path:
    path = work / "interview.mp3"
    if not path.exists():
        ffmpeg("-i", str(AUDIO / "interview_host.flac"), "-i", str(AUDIO / "interview_guest.flac"),
               "-filter_complex", "amix=inputs=2:normalize=0", "-ac", "1", "-ar", "44100", "-b:a", "64k",
               str(path))
    return path


def duration(path: Path) -> float:
    from toolkit import media
    return media.probe(path).duration


class Direct:
    """faster-whisper called as its README shows, with podkit's decoding settings."""

    def __init__(self, settings: TranscribeSettings) -> None:
        from faster_whisper import WhisperModel

        self.model = WhisperModel(str(resolve_ct2(settings.model)), device="cpu",
                                  compute_type=settings.compute_type, cpu_threads=settings.threads)
        language = settings.language or ("en" if not self.model.model.is_multilingual else None)
        self.kwargs = faster.decode_kwargs(decode_options(settings), language)

    def text(self, path: Path) -> str:
        segments, _ = self.model.transcribe(str(path), **self.kwargs)
        return " ".join(s.text.strip() for s in segments)


def accuracy(model: str, work: Path, with_openai: bool) -> list[tuple[str, float, float, float | None]]:
    """(clip, podkit WER, direct faster-whisper WER, podkit with openai-whisper WER or None)."""
    settings = TranscribeSettings(model=model)
    ref_settings = replace(settings, engine="openai-whisper")
    direct = Direct(settings)
    rows: list[tuple[str, float, float, float | None]] = []
    for name, (path, ref) in clips(work).items():
        other = wer(ref, transcribe(path, ref_settings).text) if with_openai else None
        rows.append((name, wer(ref, transcribe(path, settings).text), wer(ref, direct.text(path)), other))
    return rows


def speed(model: str, long_audio: Path, repeats: int, with_openai: bool) -> dict[str, float]:
    settings = TranscribeSettings(model=model)
    seconds = duration(long_audio)
    direct = Direct(settings)
    warm = AUDIO / "jfk.flac"
    transcribe(warm, settings)  # loads and keeps podkit's model, as a second episode would find it
    direct.text(warm)
    best = {"podkit": float("inf"), "direct": float("inf")}
    for _ in range(repeats):
        for side in ("direct", "podkit"):
            t = time.perf_counter()
            if side == "direct":
                direct.text(long_audio)
            else:
                transcribe(long_audio, settings)
            best[side] = min(best[side], time.perf_counter() - t)
    out = {side: seconds / t for side, t in best.items()}
    if with_openai:
        ref = replace(settings, engine="openai-whisper")
        transcribe(warm, ref)
        t = time.perf_counter()
        transcribe(long_audio, ref)
        out["openai-whisper"] = seconds / (time.perf_counter() - t)
    return out


def speaker_accuracy(words: list[Word], shift: float = 0.0) -> float:
    turns = json.loads((AUDIO / "interview_turns.json").read_text())["turns"]
    label = {"host": "0", "guest": "1"}

    def who(t: float) -> str:
        def distance(turn: dict[str, Any]) -> float:
            return 0.0 if turn["start"] <= t <= turn["end"] else min(abs(t - turn["start"]), abs(t - turn["end"]))
        return label[min(turns, key=distance)["speaker"]]

    right = sum(who((w.start + w.end) / 2 - shift) == w.speaker for w in words)
    return right / max(1, len(words))


def speakers(work: Path) -> dict[str, tuple[float, float, int]]:
    """(word accuracy, WER, words) for attribution by loudness vs transcribing each track."""
    turns = json.loads((AUDIO / "interview_turns.json").read_text())["turns"]
    ref = " ".join(t["text"] for t in turns)
    tracks = [AUDIO / "interview_host.flac", AUDIO / "interview_guest.flac"]
    settings = TranscribeSettings()
    t = transcribe(interview_programme(work), settings, tracks=tracks)
    words = [w for s in t.segments for w in s.words]
    activity = (speaker_accuracy(words), wer(ref, t.text), len(words))
    merged: list[Word] = []
    for i, track in enumerate(tracks):
        alone = transcribe(track, settings)
        merged += [replace(w, speaker=str(i)) for s in alone.segments for w in s.words]
    merged.sort(key=lambda w: w.start)
    per_track = (speaker_accuracy(merged), wer(ref, "".join(w.text for w in merged)), len(merged))
    return {"per-track loudness (podkit)": activity, "transcribe each track": per_track}


def run_stage(job: TranscribeJob) -> float:
    """The transcribe stage on ``job``, into a scratch folder; the audio seconds it transcribed."""
    with tempfile.TemporaryDirectory(prefix="podkit-bench-stage-") as folder:
        transcribe_stage(job, Path(folder), lambda done, total: None)
    return job.duration


def throughput(work: Path) -> dict[str, float]:
    """Audio seconds per wall second for four episodes' transcribe stages: one process, or two
    worker processes as `podkit build` runs stale episodes (spawned, longest first)."""
    episodes = [AUDIO / "lj-chapter.opus", clips(work)["interview"][0], AUDIO / "lj-chapter.opus",
                AUDIO / "jfk.flac"]
    seconds = {p: duration(p) for p in episodes}
    settings = TranscribeSettings()
    jobs = sorted((TranscribeJob(p, settings, seconds[p]) for p in episodes), key=lambda j: -j.duration)
    total = sum(seconds[p] for p in episodes)
    out = {}
    for label, workers, threads in (("one process, engine threads", 1, 0),
                                    ("two worker processes, 1 thread each", 2, 1),
                                    ("two worker processes, engine threads", 2, 0)):
        run = [replace(j, settings=replace(settings, threads=threads)) for j in jobs]
        t = time.perf_counter()
        if workers == 1:
            for job in run:
                run_stage(job)
        else:
            with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
                list(pool.map(run_stage, run))
        out[label] = total / (time.perf_counter() - t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--loops", type=int, default=4, help="lj-chapter.opus repeats for the speed run")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved timing rounds, best kept")
    parser.add_argument("--skip-openai", action="store_true")
    parser.add_argument("--many", action="store_true",
                        help="only measure the throughput of several episodes' transcribe stages")
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.many:
            print("== several episodes (tiny.en): audio s per wall s")
            for label, value in throughput(work).items():
                print(f"  {label:<38} {value:6.1f}")
            return
        long_audio = work / "long.opus"
        ffmpeg("-stream_loop", str(args.loops - 1), "-i", str(AUDIO / "lj-chapter.opus"), "-c", "copy",
               str(long_audio))
        for model in models:
            print(f"\n== {model}: WER after normalisation (podkit vs faster-whisper direct; "
                  "podkit with openai-whisper)")
            rows = accuracy(model, work, with_openai=not args.skip_openai)
            for name, ours, theirs, other in rows:
                extra = f"   openai-whisper {other:6.3f}" if other is not None else ""
                print(f"  {name:<12} podkit {ours:6.3f}   direct {theirs:6.3f}{extra}")
            mean = [sum(r[1] for r in rows) / len(rows), sum(r[2] for r in rows) / len(rows),
                    sum(r[3] or 0.0 for r in rows) / len(rows)]
            extra = f"   openai-whisper {mean[2]:6.3f}" if not args.skip_openai else ""
            print(f"  {'mean':<12} podkit {mean[0]:6.3f}   direct {mean[1]:6.3f}{extra}")
        for i, model in enumerate(models):
            rtf = speed(model, long_audio, args.repeats, with_openai=not args.skip_openai and i == 0)
            print(f"\n== {model}: real-time factor on {duration(long_audio):.0f} s "
                  f"(audio s per wall s, higher is faster)")
            for side, value in rtf.items():
                print(f"  {side:<15} {value:6.1f}")
            print(f"  podkit / direct {rtf['podkit'] / rtf['direct']:6.3f}")
            if "openai-whisper" in rtf:
                print(f"  openai-whisper / direct {rtf['openai-whisper'] / rtf['direct']:6.3f}")
        print("\n== speakers on the interview (tiny.en): word accuracy, WER, words")
        for method, (acc, err, n) in speakers(work).items():
            print(f"  {method:<28} {acc:6.3f}  {err:6.3f}  {n}")


if __name__ == "__main__":
    main()
