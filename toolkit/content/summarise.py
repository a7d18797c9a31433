"""What an episode is about: its sentences, their words, key phrases and a summary.

Everything here is plain counting over the transcript (no model, no network), so it is fast,
deterministic and testable. The one exception is the optional language-model summariser: a
command the show names (a local model runner, say), given the transcript on stdin; it is off by
default and the extractive summary stands in for it.

Words are compared by a light stem (lower case, plural and possessive endings removed) with
stop words and the small change of spoken English ("yeah", "you know") left out.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import operator
import re
import subprocess
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from toolkit.errors import PodkitError
from toolkit.speech.transcript import Segment, Transcript, Word


def wordset(text: str) -> frozenset[str]:
    """A set of words written as one string, for long lists that stay readable."""
    return frozenset(text.split())


STOP_WORDS = wordset("""
a about above after again against all almost also although always am among an and another any anyone
anything are aren't around as at be became because become been before being below between both but by
can can't cannot could couldn't did didn't do does doesn't doing don't done down during each either else
enough even ever every few for from further get gets getting go goes going gone got had hadn't has hasn't
have haven't having he he'd he'll he's her here here's hers herself him himself his how how's however i
i'd i'll i'm i've if in into is isn't it it's its itself just least less let let's like made make makes
many may me might mine more most much must mustn't my myself neither never no nobody none nor not nothing
now of off often on once one only or other others otherwise ought our ours ourselves out over own per
perhaps quite rather really said same say says see seem seemed seems shall shan't she she'd she'll she's
should shouldn't since so some somebody someone something sometimes still such than that that's the their
theirs them themselves then there there's therefore these they they'd they'll they're they've thing things
this those though through thus to too toward towards under until up upon us use used very via was wasn't
we we'd we'll we're we've well were weren't what what's whatever when when's where where's whether which
while who who's whom whose why why's will with within without won't would wouldn't yes yet you you'd
you'll you're you've your yours yourself yourselves
um uh erm er ah oh hmm mm yeah yep okay ok right actually basically literally kind sort lot lots bit
know mean think thought guess want wanted gonna wanna kinda maybe sure stuff way ways today
first second third two three four five six seven eight nine ten hundred thousand
""")

SENTENCE_END = (".", "?", "!", "…")
# Abbreviations after which a full stop does not end a sentence.
ABBREVIATIONS = wordset("mr mrs ms dr prof st vs e.g i.e cf fig")
_WORD = re.compile(r"[^\W\d_](?:[\w'’-]*\w)?")
# A sentence ends at . ? ! … (and closing quotes/brackets) followed by white space.
_END = re.compile(r"[.?!…]+[\"'”’)\]]*(?=\s|$)")


@functools.lru_cache(maxsize=1 << 16)  # a long transcript says the same few thousand words again and again
def stem(word: str) -> str:
    """A light stem: enough to match 'types' with 'type' and 'Gutenberg's' with 'Gutenberg'."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def words(text: str) -> list[str]:
    """The words of a text, as written (letters first; numbers are not topics)."""
    return _WORD.findall(text)


@functools.lru_cache(maxsize=1 << 16)
def is_content(word: str) -> bool:
    w = word.lower().replace("’", "'")
    return len(w) > 2 and w not in STOP_WORDS and w.strip("'") not in STOP_WORDS


@functools.lru_cache(maxsize=1 << 16)
def _term(word: str) -> str | None:
    """The stem of a content word, None for any other word: one look-up where two were."""
    return stem(word) if is_content(word) else None


def terms(text: str) -> list[str]:
    """The stems of a text's content words, in order."""
    return _terms(words(text))


def _terms(said: list[str]) -> list[str]:
    return [t for t in map(_term, said) if t is not None]


@dataclass(frozen=True)
class Sentence:
    """A whole sentence as the transcript has it: ``text`` occurs verbatim in `Transcript.text`."""

    start: float
    end: float
    text: str
    speaker: str | None
    pause: float  # silence before it, in seconds (0 for the first)
    confidence: float  # mean word probability from the engine
    complete: bool  # ends with . ? ! (not cut off by a speaker change or the end)

    # Asked for again and again while ranking (quotes, summaries and chapters share the sentences).
    @functools.cached_property
    def words(self) -> list[str]:
        return words(self.text)

    @functools.cached_property
    def terms(self) -> list[str]:
        return _terms(self.words)

    @functools.cached_property
    def bag(self) -> Counter[str]:
        """How often each term is said."""
        return Counter(self.terms)


_PROBABILITY = operator.attrgetter("probability")


def _places(seg: Segment, text: str) -> tuple[list[int], Sequence[Word]]:
    """Where the segment's words are in ``text``, in order, and those words (one not found there is
    left out)."""
    if seg.spaced is not None and " ".join(seg.spaced[0]) == text:  # Whisper's words: no need to look
        return seg.spaced[1][:-1], seg.words
    found: list[int] = []
    kept: list[Word] = []
    pos = 0
    for w in seg.words:
        token = w.text.strip()
        at = text.find(token, pos) if token else -1
        if at >= 0:
            pos = at + len(token)
            found.append(at)
            kept.append(w)
    return found, kept


def _pieces(seg: Segment) -> list[tuple[str, float, float, bool]]:
    """A segment cut at sentence ends: (text, start, end, ends a sentence)."""
    text = seg.text.strip()
    cuts = []
    for m in _END.finditer(text):
        before = text[:m.start()].split()
        last = before[-1].lower().strip("\"'“‘(") if before else ""
        after = text[m.end():].lstrip()
        # "i.e. the letter", "Mr. Smith": a full stop that does not start a new sentence.
        if m.group().startswith(".") and (last in ABBREVIATIONS or (after and after[0].islower())):
            continue
        cuts.append(m.end())
    if not cuts or cuts[-1] != len(text):
        cuts.append(len(text))
    # Times: from the words when the segment has them, else in proportion to the characters.
    spans: list[tuple[int, int]] = []
    a = 0
    for b in cuts:
        piece_start = len(text[a:b]) - len(text[a:b].lstrip())
        spans.append((a + piece_start, b))
        a = b
    found, placed = _places(seg, text)
    out = []
    span = max(seg.end - seg.start, 0.0)
    for a, b in spans:
        piece = text[a:b]
        if not piece:
            continue
        first, stop = bisect.bisect_left(found, a), bisect.bisect_left(found, b)  # the words inside
        if first < stop:
            start, end = placed[first].start, placed[stop - 1].end
        else:
            start = seg.start + span * a / max(len(text), 1)
            end = seg.start + span * b / max(len(text), 1)
        last = piece.split()[-1].lower().rstrip(".").strip("\"'“‘(")
        ends = piece.rstrip("\"'”’)]").endswith(SENTENCE_END) and last not in ABBREVIATIONS
        out.append((piece, start, end, ends))
    return out


def sentences(transcript: Transcript) -> list[Sentence]:
    """The transcript's sentences in order.

    A sentence that runs over several segments (a pause in mid-sentence) is joined with one
    space, as `Transcript.text` joins segments; a change of speaker always ends a sentence.
    """
    out: list[Sentence] = []
    parts: list[tuple[str, float, float]] = []
    probs: list[float] = []
    speaker: str | None = None
    last_end = 0.0

    def close(complete: bool) -> None:
        nonlocal last_end
        if not parts:
            return
        start = parts[0][1]
        pause = max(0.0, start - last_end) if out else 0.0
        conf = sum(probs) / len(probs) if probs else 1.0
        out.append(Sentence(start, parts[-1][2], " ".join(p[0] for p in parts), speaker, pause, conf, complete))
        last_end = parts[-1][2]
        parts.clear()
        probs.clear()

    for seg in transcript.segments:
        if not seg.text.strip():
            continue
        if parts and seg.speaker != speaker:
            close(False)
        speaker = seg.speaker
        seg_probs = list(map(_PROBABILITY, seg.words))
        for text, start, end, ends in _pieces(seg):
            # A segment that ended on "i.e." or similar: the next one carries on in lower case.
            if out and not parts and out[-1].speaker == speaker and text[:1].islower() and \
                    out[-1].text.endswith(".") and start - out[-1].end < 1.0:
                prev = out.pop()
                parts.append((prev.text, prev.start, prev.end))
                last_end = prev.start - prev.pause
            parts.append((text, start, end))
            # Word probabilities are per segment here: close enough to rank sentences by.
            probs.extend(seg_probs or [1.0])
            if ends:
                close(True)
    close(False)
    return out


# --- Weighing words -------------------------------------------------------------------------------

def idf(documents: Sequence[Iterable[str]]) -> dict[str, float]:
    """Smoothed inverse document frequency of each term over ``documents``."""
    df: Counter[str] = Counter()
    for doc in documents:
        df.update(set(doc))
    n = len(documents)
    return {t: math.log((1 + n) / (1 + d)) + 1.0 for t, d in df.items()}


def _norm(v: Counter[str] | dict[str, float]) -> float:
    values = v.values()
    return math.sqrt(sum(map(operator.mul, values, values)))


def _cosine(a: Counter[str] | dict[str, float], b: Counter[str] | dict[str, float], norm_b: float) -> float:
    """`cosine`, given ``b``'s norm: a centroid is compared with every sentence."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    dot = sum(map(operator.mul, small.values(), map(large.get, small, itertools.repeat(0.0))))
    na = _norm(a)
    return dot / (na * norm_b) if na and norm_b else 0.0


def cosine(a: Counter[str] | dict[str, float], b: Counter[str] | dict[str, float]) -> float:
    return _cosine(a, b, _norm(b))


def centrality(items: Sequence[Sentence]) -> list[float]:
    """How close each sentence is to the episode as a whole (MEAD's centroid score).

    Cosine similarity between the sentence's TF-IDF vector and the episode's centroid, with
    sentences as the documents of the IDF: words said throughout weigh less than words that
    mark a particular stretch, but only words that recur at all pull a sentence to the centre.
    """
    bags = [s.bag for s in items]
    weights = idf(bags)
    centroid: dict[str, float] = {}
    for bag in bags:
        for t, c in bag.items():
            centroid[t] = centroid.get(t, 0.0) + c * weights[t]
    # Words said in one sentence only are no part of what the episode is about.
    said_in = Counter(t for bag in bags for t in bag)
    centroid = {t: v for t, v in centroid.items() if said_in[t] > 1}
    norm = _norm(centroid)
    return [_cosine({t: c * weights[t] for t, c in bag.items()}, centroid, norm) for bag in bags]


# --- Key phrases ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Phrase:
    text: str  # as said (the most common spelling, not sentence-initial when possible)
    key: tuple[str, ...]  # stems
    score: float


_CLAUSE_BREAK = re.compile(r"[,;:.?!…()\"“”—–]+|\s-\s")


@functools.lru_cache(maxsize=1 << 16)
def _content_word(token: str) -> str:
    """The word a token of text is when it is a content word (without quotes around it), else ''."""
    word = token.strip("'’")
    return word if _WORD.fullmatch(word) and is_content(word) else ""


def _runs(text: str) -> Iterable[tuple[list[str], bool]]:
    """Runs of content words not broken by stop words or punctuation: (words, starts the sentence)."""
    # The clause breaks become NUL tokens (no content word), so one pass over the text's tokens finds
    # the runs of all its clauses; a run starts a clause when it is first or follows a NUL. A NUL
    # already in the text becomes \x01, which no more makes a word, a space or a break than it does.
    tokens = _CLAUSE_BREAK.sub(" \x00 ", text.replace("\x00", "\x01")).split()
    position = 0
    for content, group in itertools.groupby(map(_content_word, tokens), key=bool):
        run = list(group)
        if content:
            yield run, position == 0 or tokens[position - 1] == "\x00"
        position += len(run)


def candidates(text: str, max_words: int = 3) -> Iterable[tuple[tuple[str, ...], str, bool]]:
    """Every 1..``max_words``-word sub-run of content words: (stems, surface, sentence-initial)."""
    for run, at_start in _runs(text):
        if len(run) == 1:  # most runs: a content word between stop words
            yield (stem(run[0]),), run[0], at_start
            continue
        stems = list(map(stem, run))
        for n in range(1, min(max_words, len(run)) + 1):
            for i in range(len(run) - n + 1):
                yield tuple(stems[i:i + n]), " ".join(run[i:i + n]), at_start and i == 0


@functools.lru_cache(maxsize=4)
def _weights(parts: tuple[tuple[str, ...], ...]) -> dict[str, float]:
    """The IDF of each term over the parts (a chapter's title asks for them again for every chapter)."""
    return idf([[t for text in p for t in terms(text)] for p in parts])


def key_phrases(parts: Sequence[Sequence[str]], index: int, *, limit: int = 5) -> list[Phrase]:
    """The phrases that mark text ``parts[index]`` out from the other parts (TF-IDF).

    Each part is a list of sentences. A phrase's score is its count in the part times the mean
    IDF (over the parts) of its words times its length in words: "movable type" said twice beats
    "type" said three times; names (capitalised mid-sentence) count half as much again. Ties go to
    the phrase said first; the result is deterministic. Phrases said once only count when nothing recurs.
    """
    # With one part every term's IDF is log(2 / 2) + 1 = 1, the weight of a term not seen at all.
    weights = _weights(tuple(map(tuple, parts))) if len(parts) > 1 else {}
    found = list(itertools.chain.from_iterable(map(candidates, parts[index])))
    counts = Counter(key for key, _, _ in found)  # in the order first said
    first_seen = {key: i for i, key in enumerate(counts)}
    spellings: dict[tuple[str, ...], dict[str, float]] = {}
    for (key, surface, initial), n in Counter(found).items():
        # A capital at the start of a sentence says little about the word: mid-sentence spellings win.
        forms = spellings.setdefault(key, {})
        forms[surface] = forms.get(surface, 0.0) + n * (0.5 if initial else 1.0)
    recurring = any(c > 1 for c in counts.values())
    scored = []
    for key, count in counts.items():
        if recurring and count < 2:
            continue
        if len(set(key)) < len(key):
            continue
        weight = sum(weights.get(t, 1.0) for t in key) / len(key)
        # Names (capitalised in mid-sentence) and multi-word phrases make better titles than
        # lone common words, which are as often verbs as topics.
        name = 1.5 if any(w[:1].isupper() for w in _spelling(spellings[key]).split()) else 1.0
        scored.append((count * weight * len(key) * name, key))
    scored.sort(key=lambda x: (-x[0], first_seen[x[1]]))
    out: list[Phrase] = []
    for score, key in scored:
        # A phrase inside a better one (or containing one) adds nothing to a title.
        if any(set(key) <= set(p.key) or set(p.key) <= set(key) for p in out):
            continue
        out.append(Phrase(_spelling(spellings[key]), key, score))
        if len(out) >= limit:
            break
    return out


def _spelling(forms: dict[str, float]) -> str:
    best = max(forms.items(), key=lambda kv: (kv[1], kv[0].islower()))[0]
    return best.lower() if best.isupper() and len(best) > 4 else best


# --- Summaries ------------------------------------------------------------------------------------

class Summariser(Protocol):
    """Turns an episode's sentences into a short summary (plain text)."""

    def summarise(self, items: Sequence[Sentence], *, max_sentences: int) -> str: ...


class Extractive:
    """The default: the episode's most central whole sentences, in the order they were said.

    Sentences are ranked by `centrality`; one that repeats most of the words of a sentence
    already chosen is skipped. The summary is the transcript's own words, never rewritten.
    """

    def summarise(self, items: Sequence[Sentence], *, max_sentences: int) -> str:
        pool = [s for s in items if s.complete and len(s.words) >= 6]
        scores = centrality(pool)
        chosen: list[int] = []
        for i in sorted(range(len(pool)), key=lambda i: (-scores[i], i)):
            bag = set(pool[i].terms)
            if any(len(bag & set(pool[j].terms)) > 0.6 * max(len(bag), 1) for j in chosen):
                continue
            chosen.append(i)
            if len(chosen) >= max_sentences:
                break
        return " ".join(pool[i].text for i in sorted(chosen))


@dataclass(frozen=True)
class Command:
    """An optional language-model backend: a command that reads the transcript on stdin and
    writes the summary on stdout (e.g. a local llama.cpp or ``llm`` invocation).

    Nothing here talks to a network; what the command does is the show's choice.
    """

    argv: tuple[str, ...]
    timeout: float = 600.0

    def summarise(self, items: Sequence[Sentence], *, max_sentences: int) -> str:
        text = "\n".join(s.text for s in items)
        try:
            done = subprocess.run(list(self.argv), input=text, capture_output=True, text=True,
                                  timeout=self.timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PodkitError(f"the summary command {self.argv[0]!r} failed: {exc}",
                              hint="check [notes] summary_command, or set summariser = \"extractive\"") from exc
        if done.returncode != 0:
            raise PodkitError(f"the summary command {self.argv[0]!r} exited with {done.returncode}: "
                              f"{done.stderr.strip()[-500:]}",
                              hint="check [notes] summary_command, or set summariser = \"extractive\"")
        return done.stdout.strip()


def summariser(kind: str, command: Sequence[str] = ()) -> Summariser:
    """The summariser a show asked for ("extractive" or "command")."""
    if kind == "command":
        if not command:
            raise PodkitError("summariser = \"command\" needs summary_command",
                              hint="e.g. summary_command = [\"llm\", \"-s\", \"Summarise this episode\"]")
        return Command(tuple(command))
    return Extractive()
