"""Benchmark diarization of single-track recordings: accuracy against reference turns, and the
time it adds to transcription, in one run.

    .venv/bin/python bench/diarize.py [--repeat 6] [--runs 2]

Accuracy, on three real recordings of two people with reference turns:

* the shared two-track interview (tests/data/interview_*.flac) mixed into one file here, so its
  turns file is the ground truth; people: host, then guest, named by podkit's rules (the first
  to speak is the host);
* two 30 s excerpts of a meeting of the AMI corpus (bench/data/, see ATTRIBUTION.md there),
  with overlapping speech.

Each is transcribed with the default settings (faster-whisper tiny.en), then diarized as the
diarize stage does, for two speakers. Reported: the diarization error rate (`der`: missed speech
+ false alarm + confusion over reference speech, with a 0.25 s collar around every reference
boundary not scored and the best one-to-one mapping of speakers, as pyannote.metrics and NIST
md-eval compute it) of the speaker turns podkit publishes (the transcript's segments, each with
its speaker), and in brackets of the words' own spans joined across pauses under 0.3 s, which
leaves out more of the pauses inside a turn (on the meeting most of the error is speech no word
covers, little is confusion of speakers); the share of transcript words given to the right speaker (a word is right
when its speaker is one of those the reference has talking over it; for the interview by the
names podkit gave, for the meeting by the best mapping); and how many voices it finds when not
told (``speakers = "auto"``; the interview's guest turns are two real people, JFK and a
LibriSpeech reader, so three voices is right there).

Speed: the interview mix-down looped ``--repeat`` times (one long episode, so that loading the
models is not all that is measured), transcribed and diarized alternately ``--runs`` times in
this process; each side's best time is kept, so load from other processes on the machine affects
both alike. The figure: diarization time / transcription time (target: at most 0.25). The first
run of each pays its import and model load, as a build's worker does once.

Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # after PYTHONPATH: a copy of toolkit/ there is the one measured

from toolkit.config import TranscribeSettings  # noqa: E402
from toolkit.speech.diarize import DiarizeJob, Seat, diarize  # noqa: E402
from toolkit.speech.transcribe import transcribe  # noqa: E402
from toolkit.speech.transcript import Transcript, Word  # noqa: E402

DATA = ROOT / "tests" / "data"
BENCH_DATA = ROOT / "bench" / "data"
COLLAR = 0.25
STEP = 0.01  # s per scoring frame

Turn = tuple[float, float, str]  # start, end, speaker


def ffmpeg(*args: str) -> None:
    proc = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
                          capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(proc.stderr)


def mix_interview(out: Path, repeat: int = 1) -> None:
    """The two tracks of the interview summed into one mono file (looped ``repeat`` times)."""
    ffmpeg("-i", str(DATA / "interview_host.flac"), "-i", str(DATA / "interview_guest.flac"), "-filter_complex",
           f"amix=inputs=2:normalize=0,aloop=loop={repeat - 1}:size=2e9", "-ac", "1", "-ar", "16000", str(out))


def load_turns(path: Path) -> list[Turn]:
    return [(float(t["start"]), float(t["end"]), str(t["speaker"])) for t in json.loads(path.read_text())["turns"]]


def hypothesis(words: Sequence[Word], join: float = 0.3) -> list[Turn]:
    """Speaker turns from words with speakers: each word's span, neighbours of one speaker joined
    across pauses shorter than ``join``."""
    out: list[Turn] = []
    for w in words:
        label = str(w.speaker)
        if out and out[-1][2] == label and w.start - out[-1][1] < join:
            out[-1] = (out[-1][0], max(out[-1][1], w.end), label)
        else:
            out.append((w.start, w.end, label))
    return out


def _frames(turns: Sequence[Turn], labels: list[str], n: int) -> np.ndarray:
    grid = np.zeros((len(labels), n), dtype=bool)
    for a, b, who in turns:
        grid[labels.index(who), max(0, round(a / STEP)):max(0, min(n, round(b / STEP)))] = True
    return grid


def best_mapping(ref: np.ndarray, hyp: np.ndarray) -> dict[int, int]:
    """Hypothesis speaker -> reference speaker, one to one, with the most frames in common."""
    from scipy.optimize import linear_sum_assignment

    common = hyp.astype(np.int64) @ ref.T.astype(np.int64)
    rows, cols = linear_sum_assignment(-common)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True)}


def der(reference: Sequence[Turn], hyp_turns: Sequence[Turn], *, start: float, end: float,
        collar: float = COLLAR) -> tuple[float, dict[str, str]]:
    """Diarization error rate over [start, end) and the speaker mapping it used (hyp -> ref).

    Frames of `STEP` s; within ``collar`` of a reference turn's start or end nothing is scored.
    Per frame with R reference and H hypothesis speakers and C of them matched by the mapping:
    missed max(0, R-H), false alarm max(0, H-R), confusion min(R, H) - C; the error is their
    sum over the sum of R."""
    n = round(end / STEP)
    ref_labels = sorted({t[2] for t in reference})
    hyp_labels = sorted({t[2] for t in hyp_turns})
    ref, hyp = _frames(reference, ref_labels, n), _frames(hyp_turns, hyp_labels, n)
    scored = np.zeros(n, dtype=bool)
    scored[round(start / STEP):n] = True
    c = round(collar / STEP)
    for a, b, _ in reference:
        for edge in (round(a / STEP), round(b / STEP)):
            scored[max(0, edge - c):max(0, edge + c)] = False
    ref, hyp = ref[:, scored], hyp[:, scored]
    mapping = best_mapping(ref, hyp) if len(hyp_labels) and len(ref_labels) else {}
    r, h = ref.sum(axis=0), hyp.sum(axis=0)
    correct = np.zeros(ref.shape[1], dtype=np.int64)
    for hi, ri in mapping.items():
        correct += hyp[hi] & ref[ri]
    errors = np.maximum(0, r - h) + np.maximum(0, h - r) + (np.minimum(r, h) - correct)
    names = {hyp_labels[hi]: ref_labels[ri] for hi, ri in mapping.items()}
    return float(errors.sum() / max(int(r.sum()), 1)), names


def words_right(words: Sequence[Word], reference: Sequence[Turn], mapping: dict[str, str]) -> float:
    """The share of ``words`` whose speaker (through ``mapping``) is talking over the word in the
    reference (the nearest reference turn's speaker for a word in none)."""
    right = 0
    for w in words:
        talking = {who for a, b, who in reference if a < w.end and b > w.start}
        if not talking:
            talking = {min(reference, key=lambda t: min(abs(t[0] - w.end), abs(w.start - t[1])))[2]}
        right += mapping.get(str(w.speaker), "") in talking
    return right / max(len(words), 1)


def run(audio: Path, people: tuple[Seat, ...], settings: TranscribeSettings,
        auto: bool = False) -> tuple[Transcript, float, float, int]:
    """Transcribe and diarize ``audio``: the result, both times, and (``auto``) how many voices
    diarization finds when it is not told."""
    t0 = time.perf_counter()
    plain = transcribe(audio, settings)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "transcript.json"
        path.write_text(json.dumps(plain.to_dict()))
        job = DiarizeJob(audio, path, people, 2)
        t2 = time.perf_counter()
        result = diarize(job, plain)
        t3 = time.perf_counter()
        found = int(diarize(DiarizeJob(audio, path, people, None), plain).extra["speakers"]) if auto else 0
    return result, t1 - t0, t3 - t2, found


def accuracy(tmp: Path, settings: TranscribeSettings) -> None:
    print("recording              speech s   DER (of words)   words right  (target: DER <= 10%, words >= 95%); "
          "voices found with speakers = \"auto\"")
    mix = tmp / "interview-mix.wav"
    mix_interview(mix)
    cases = [("interview mix-down", mix, DATA / "interview_turns.json", True)]
    cases += [(f"AMI {p.stem[4:]}", p, p.with_name(p.stem + ".turns.json"), False)
              for p in sorted(BENCH_DATA.glob("ami-*.flac"))]
    seats = (Seat("host"), Seat("guest"))
    for name, audio, turns_file, named in cases:
        reference = load_turns(turns_file)
        data = json.loads(turns_file.read_text())
        start, end = data.get("annotated", (0.0, max(t[1] for t in reference)))
        result, _, _, found = run(audio, seats, settings, auto=True)
        words = [w for w in result.words if start <= (w.start + w.end) / 2 < end]
        published = [(s.start, s.end, str(s.speaker)) for s in result.segments]
        error, mapping = der(reference, published, start=start, end=end)
        word_error, _ = der(reference, hypothesis(words), start=start, end=end)
        by_name = {"0": "host", "1": "guest"} if named else mapping
        speech = sum(b - a for a, b, _ in reference)
        print(f"{name:<22} {speech:8.1f} {100 * error:6.1f}% ({100 * word_error:4.1f}%)"
              f"   {100 * words_right(words, reference, by_name):6.1f}%"
              f"  ({len(words)} words{', by the names podkit gave' if named else ', best mapping'}); auto: {found}")


def speed(tmp: Path, settings: TranscribeSettings, repeat: int, runs: int) -> None:
    long = tmp / "interview-long.wav"
    mix_interview(long, repeat)
    seconds = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                    str(long)], capture_output=True, text=True, check=True).stdout)
    best_t, best_d = float("inf"), float("inf")
    for i in range(runs):
        _, t, d, _ = run(long, (Seat("host"), Seat("guest")), settings)
        print(f"run {i + 1}: transcribe {t:6.1f} s, diarize {d:6.1f} s  (ratio {d / t:.3f})")
        best_t, best_d = min(best_t, t), min(best_d, d)
    print(f"{seconds:.0f} s of audio: transcription (tiny.en, default settings) best {best_t:.1f} s, "
          f"diarization best {best_d:.1f} s: diarization adds {100 * best_d / best_t:.1f}% (target: at most 25%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=6, help="loops of the interview in the speed run")
    parser.add_argument("--runs", type=int, default=2, help="alternating transcribe/diarize runs for speed")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    settings = TranscribeSettings()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        accuracy(tmp, settings)
        if not args.skip_speed:
            speed(tmp, settings, args.repeat, args.runs)


if __name__ == "__main__":
    main()
