"""The default diarizer: speaker embeddings of short windows of speech, clustered.

1. **Windows.** The speech spans are joined where they are less than `JOIN_GAP` apart (a pause
   that short is rarely a change of speaker, and a change across a longer pause falls between
   windows), and each joined stretch is cut evenly into windows of about `WINDOW` seconds. Every
   frame of speech is embedded once: the encoder's cost is what diarization costs.
2. **Embeddings** from the voice encoder (`voice_encoder`), one per window. Where two people talk
   at once, the louder voice dominates the window's embedding, so overlapping speech goes to the
   louder voice. A short reply alone between pauses ("yeah", "right") is its own window, so it is
   judged by its own voice and not swallowed by the turns around it.
3. **Clusters.** The embeddings less their (duration-weighted) mean: what every window of the
   recording shares (the room, the microphone, the line) is no help in telling voices apart, and
   without it two similar voices in one room were measured to fall apart far more clearly
   (bench/diarize.py: a meeting excerpt's DER from 53% to 35%). Average-linkage agglomerative
   clustering (cosine distance) of the windows long enough to be reliable (`RELIABLE`), into the
   number of speakers given, or estimated (`count`). Then spherical k-means from that start and
   from a farthest-point start, keeping the tighter result. Every window goes to the nearest centre.
4. **Changes inside a stretch.** A window whose neighbour in the same stretch went to another
   speaker, or that is almost as near another centre as its own (`AMBIGUOUS`), may hold the change
   of speaker: it is cut in halves, and each half is judged on its own (on bench/diarize.py's
   second meeting excerpt: DER 31% without, 24% with, words to the right speaker 88% and 98%).

Measured there too: windows of 1.6 s or 2.5 s did worse than 2 s on the meeting excerpts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from toolkit.speech import voice_encoder
from toolkit.speech.diarizer import Diarization, Progress, SpeakerTurn

JOIN_GAP = 0.3  # s: speech spans closer than this are one stretch
WINDOW = 2.0  # s: target length of a window (1.2 and 1.6 were measured worse on bench/diarize.py's meeting)
RELIABLE = 0.8  # s: windows at least this long find the speakers' centres
MIN_HALF = 0.3  # s: a window is cut in halves only if each half is at least this long
AMBIGUOUS = 0.08  # a window nearer its centre than the next by less than this is cut in halves
AUTO_DISTANCE = 0.45  # cosine distance (raw embeddings) at which voices count as different: measured
# on bench/diarize.py's recordings, one voice's windows were at most 0.41 apart, different readers 0.55+
AUTO_MIN_SHARE = 0.05  # an estimated speaker holds at least this share of the speech
MAX_LINKAGE = 3000  # windows clustered at once (evenly spread); the rest only go to the nearest centre
KMEANS_ROUNDS = 10
FPS = voice_encoder.SAMPLE_RATE // voice_encoder.HOP  # mel frames per second


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    stretch: int

    @property
    def length(self) -> float:
        return self.end - self.start


def stretches(speech: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The speech spans joined where they are less than `JOIN_GAP` apart."""
    out: list[list[float]] = []
    for a, b in sorted(speech):
        if out and a - out[-1][1] < JOIN_GAP:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out if b > a]


def windows(spans: Sequence[tuple[float, float]]) -> list[Window]:
    """Each stretch cut evenly into windows of about `WINDOW` seconds."""
    out: list[Window] = []
    for i, (a, b) in enumerate(spans):
        n = max(1, round((b - a) / WINDOW))
        step = (b - a) / n
        out.extend(Window(a + j * step, a + (j + 1) * step if j < n - 1 else b, i) for j in range(n))
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    return np.asarray(x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-8), dtype=np.float32)


def _kmeans(emb: np.ndarray, weight: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, float]:
    """Spherical k-means from ``centres``: (centres, weighted mean similarity to the nearest)."""
    for _ in range(KMEANS_ROUNDS):
        labels = np.argmax(emb @ centres.T, axis=1)
        new = np.stack([
            (emb[labels == k] * weight[labels == k, None]).sum(axis=0) if np.any(labels == k) else centres[k]
            for k in range(len(centres))])
        new = _unit(new)
        if np.allclose(new, centres):
            break
        centres = new
    score = float(np.sum(weight * np.max(emb @ centres.T, axis=1)) / max(float(weight.sum()), 1e-8))
    return centres, score


def _farthest(emb: np.ndarray, k: int) -> np.ndarray:
    """k starting centres: the window farthest from the mean, then each next farthest from those chosen."""
    chosen = [int(np.argmin(emb @ _unit(emb.mean(axis=0))))]
    while len(chosen) < k:
        chosen.append(int(np.argmin(np.max(emb @ emb[chosen].T, axis=1))))
    return emb[chosen]


def _sample(n: int) -> np.ndarray:
    """At most `MAX_LINKAGE` indices of ``n``, evenly spread."""
    return np.unique(np.linspace(0, n - 1, min(n, MAX_LINKAGE)).round().astype(int))


def count(raw: np.ndarray, weight: np.ndarray) -> int:
    """How many voices the raw window embeddings hold: average-linkage clusters that stay more than
    `AUTO_DISTANCE` apart, not counting those with less than `AUTO_MIN_SHARE` of the speech (a
    cough, a laugh, a noise). Raw, not less their mean: that spreads even one voice far apart."""
    from scipy.cluster.hierarchy import fcluster, linkage

    if len(raw) < 2:
        return len(raw)
    pick = _sample(len(raw))
    groups = fcluster(linkage(raw[pick].astype(np.float64), method="average", metric="cosine"),
                      AUTO_DISTANCE, criterion="distance")
    share = np.bincount(groups, weights=weight[pick]) / max(float(weight[pick].sum()), 1e-8)
    return max(1, int(np.sum(share >= AUTO_MIN_SHARE)))


def centres(emb: np.ndarray, weight: np.ndarray, speakers: int) -> np.ndarray:
    """The centres (unit vectors) of ``speakers`` voices among the window embeddings ``emb``."""
    from scipy.cluster.hierarchy import fcluster, linkage

    if len(emb) == 0:
        return np.zeros((0, emb.shape[1] if emb.ndim == 2 else 256), dtype=np.float32)
    if len(emb) == 1 or speakers == 1:
        return _unit(emb.mean(axis=0, keepdims=True))
    pick = _sample(len(emb))
    tree = linkage(emb[pick].astype(np.float64), method="average", metric="cosine")
    groups = fcluster(tree, min(speakers, len(pick)), criterion="maxclust") - 1
    start = _unit(np.stack([(emb[pick][groups == g] * weight[pick][groups == g, None]).sum(axis=0)
                            for g in np.unique(groups)]))
    k = len(start)
    best, score = _kmeans(emb, weight, start)
    if k > 1:
        other, other_score = _kmeans(emb, weight, _farthest(emb, k))
        if other_score > score + 1e-6:
            best = other
    return best


class EmbeddingDiarizer:
    """`Diarizer` over the resemblyzer voice encoder (see the module's docstring)."""

    name = voice_encoder.NAME

    def __init__(self, threads: int = 1) -> None:
        # One thread: in a build each worker process has a core, and on a busy machine torch's
        # second thread spun far more than it helped (measured 15x slower with two).
        self.threads = threads
        self._encoder: voice_encoder.VoiceEncoder | None = None

    @property
    def encoder(self) -> voice_encoder.VoiceEncoder:
        if self._encoder is None:
            self._encoder = voice_encoder.VoiceEncoder(self.threads)
        return self._encoder

    def voice(self, samples: np.ndarray) -> np.ndarray:
        return self.encoder.embed(samples)

    def diarize(self, samples: np.ndarray, speech: Sequence[tuple[float, float]], speakers: int | None,
                progress: Progress | None = None) -> Diarization:
        mel = voice_encoder.mel_frames(voice_encoder.level(np.asarray(samples, dtype=np.float32)))
        # Speech is looked for only where there is audio: a transcript's last word may end a little
        # past it, and a transcript made for another file (an import, an edit) far past it.
        end = len(mel) / FPS
        spans = [(a, min(b, end)) for a, b in speech if a < end]
        wins = [w for w in windows(stretches(spans)) if int(w.end * FPS) - int(w.start * FPS) >= 2]
        if not wins:
            return Diarization((), np.zeros((0, 256), dtype=np.float32))

        def tick(done: int) -> None:
            if progress is not None:
                progress(0.9 * done / len(wins))  # the last tenth: the halves of `_split_changes`

        emb = self._embed(mel, wins, tick)
        weight = np.array([w.length for w in wins])
        raw = emb
        offset = np.average(emb, axis=0, weights=weight)
        emb = _unit(emb - offset)
        reliable = weight >= RELIABLE
        if reliable.sum() < 2 * (speakers or 2):
            reliable[:] = True
        if speakers is None:
            speakers = count(raw[reliable], weight[reliable])
        found = centres(emb[reliable], weight[reliable], speakers)
        labels = list(np.argmax(emb @ found.T, axis=1))
        # Each speaker's voice as `voice` embeds a clip: the mean of its windows' raw embeddings.
        voices = _unit(np.stack([raw[np.asarray(labels) == k].mean(axis=0) if k in labels else found[k]
                                 for k in range(len(found))]))
        wins, labels = self._split_changes(mel, wins, emb, found, labels, offset)
        return self._result(wins, labels, voices)

    def _embed(self, mel: np.ndarray, wins: Sequence[Window],
               progress: Callable[[int], None] | None = None) -> np.ndarray:
        frames = [mel[int(w.start * FPS):max(int(w.end * FPS), int(w.start * FPS) + 2)] for w in wins]
        return self.encoder.embed_windows(frames, progress=progress)

    def _split_changes(self, mel: np.ndarray, wins: list[Window], emb: np.ndarray, found: np.ndarray,
                       labels: list[int], offset: np.ndarray) -> tuple[list[Window], list[int]]:
        """Cut in halves the windows that may hold a change of speaker (see the module's docstring)."""
        if len(found) < 2:
            return wins, labels
        sims = np.sort(emb @ found.T, axis=1)
        doubtful = []
        for i, w in enumerate(wins):
            if w.length < 2 * MIN_HALF:
                continue
            near = [j for j in (i - 1, i + 1) if 0 <= j < len(wins) and wins[j].stretch == w.stretch]
            if any(labels[j] != labels[i] for j in near) or sims[i, -1] - sims[i, -2] < AMBIGUOUS:
                doubtful.append(i)
        if not doubtful:
            return wins, labels
        halves = []
        for i in doubtful:
            w = wins[i]
            mid = (w.start + w.end) / 2
            halves += [Window(w.start, mid, w.stretch), Window(mid, w.end, w.stretch)]
        half_labels = np.argmax(_unit(self._embed(mel, halves) - offset) @ found.T, axis=1)
        out_w: list[Window] = []
        out_l: list[int] = []
        cut = {i: n for n, i in enumerate(doubtful)}
        for i, w in enumerate(wins):
            if i in cut:
                n = cut[i]
                out_w += halves[2 * n:2 * n + 2]
                out_l += [int(half_labels[2 * n]), int(half_labels[2 * n + 1])]
            else:
                out_w.append(w)
                out_l.append(int(labels[i]))
        return out_w, out_l

    @staticmethod
    def _result(wins: Sequence[Window], labels: Sequence[int], voices: np.ndarray) -> Diarization:
        """Turns from the labelled windows (neighbours of one speaker in one stretch joined), the
        speakers renumbered in order of first appearance."""
        order: dict[int, int] = {}
        for lab in labels:
            order.setdefault(int(lab), len(order))
        turns: list[SpeakerTurn] = []
        for w, lab in zip(wins, labels, strict=True):
            s = order[int(lab)]
            if turns and turns[-1].speaker == s and w.start - turns[-1].end < JOIN_GAP:
                turns[-1] = SpeakerTurn(turns[-1].start, w.end, s)
            else:
                turns.append(SpeakerTurn(w.start, w.end, s))
        return Diarization(tuple(turns), np.asarray(voices[sorted(order, key=lambda k: order[k])], dtype=np.float32))
