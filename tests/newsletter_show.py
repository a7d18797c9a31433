"""A show with a newsletter, for the newsletter's tests: the sample show (built once for the session:
a real interview with a guest, whose transcript gives key quotes) copied, its interview given
artwork of its own, and three editions."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
BASE = "http://localhost:8000/"
INTERVIEW = "two-microphones-one-conversation"


FIRST = '''+++
subject = "Ask not: the first edition"
date = 2026-11-06
preheader = "One speech, five links, a note from the week."

[[links]]
url = "https://example.org/papers/speech-rhythm"
title = "The rhythm of political speech"
source = "Journal of Prosody"
why = "Measures what the ear already knows about pauses."

[[links]]
url = "https://blog.example.net/whisper-on-cpu"
title = "Whisper on a laptop CPU"
source = "A practitioner's blog"
why = "Numbers, not adjectives."
+++

This week I re-read [the interview](episodes/two-microphones-one-conversation/) and [a paper](https://example.org/p?a=1&b=2)
about *cadence*.

- one thing
- another thing
'''

SECOND = '''+++
subject = "A quiet week"
date = 2026-11-13
episodes = []

[[links]]
url = "https://example.com/talks/loudness"
title = "Loudness, explained"
+++

Nothing new on the show this week; two talks instead.
'''

LATER = '''+++
subject = "Not yet sent"
date = 2026-12-11
episodes = ["what-printers-knew-about-pipelines", "two-microphones-one-conversation"]
+++

Draft.
'''


def make_letter_show(built_sample: Path, dest: Path, *, smtp: str = "") -> Path:
    """The copy at ``dest``, with the editions, built at `NOW`. ``smtp``: a [newsletter] table."""
    from toolkit.build.pipeline import build
    from toolkit.scaffold import make_artwork

    shutil.copytree(built_sample, dest, symlinks=True)
    md = dest / "episodes" / INTERVIEW / "episode.md"
    text = md.read_text()
    md.write_text(text.replace("number = 2\n", 'number = 2\nimage = "cover.png"\n', 1))
    make_artwork(dest / "episodes" / INTERVIEW / "cover.png", "Two microphones")
    letters = dest / "newsletter"
    letters.mkdir()
    (letters / "2026-11-06.md").write_text(FIRST)
    (letters / "2026-11-13.md").write_text(SECOND)
    (letters / "2026-12-11.md").write_text(LATER)
    if smtp:
        with (dest / "podkit.toml").open("a") as f:
            f.write("\n[newsletter]\n" + smtp)
    assert build(dest, now=NOW).published
    return dest
