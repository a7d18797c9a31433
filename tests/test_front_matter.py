"""An episode's front matter, loaded declaratively (`config.FrontMatter`) by the loader podkit.toml uses.

Every problem of a front matter is reported at once, each with its file and line; the checks
that need the file system (files inside the episode's folder, artwork, audio, guid file) follow.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import REPO, SHOW_TOML, MakeShow, episode_md
from toolkit.config import (
    FRONT_END,
    FRONT_START,
    ChapterEntry,
    FrontMatter,
    MasterSettings,
    NotesSettings,
    PersonEntry,
    Seconds,
    TranscribeSettings,
    front_matter_reference,
    key_lines,
    line_of,
    load,
    read,
)
from toolkit.errors import InvalidShow, Problem
from toolkit.show import load_show, split_front_matter

SRC = Path("episode.md")


def _load(text: str, base: FrontMatter | None = None) -> tuple[FrontMatter, list[Problem]]:
    """Load an episode.md text the way `load_episode` does."""
    parts = split_front_matter(text)
    assert not isinstance(parts, str), parts
    front, _, first_line = parts
    return load(FrontMatter, tomllib.loads(front), path=SRC, section="", base=base,
                lines=key_lines(front, first_line))


def _lines(problems: list[Problem]) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in problems]


GOOD = """\
+++
title = "  Two microphones  "
date = 2026-11-03T07:00:00Z
number = 2
tags = ["speech", "interviews"]
season = 1
episode_type = "bonus"

[transcribe]
vocabulary = ["MLOps"]

[[people]]
name = "Ada"
role = "host"
track = "host.flac"

[[people]]
name = "Tom"
track = "guest.flac"
url = "https://example.com/tom"

[[chapters]]
start = "0:00"
title = "Start"

[[chapters]]
start = "1:02:03.5"
title = "Later"

[[chapters]]
start = 4000
title = "Last"
+++

Notes.
"""


def test_a_good_front_matter_loads_with_its_types() -> None:
    fm, problems = _load(GOOD)
    assert problems == []
    assert fm.title == "  Two microphones  "  # stripped when the Episode is made
    assert fm.date == datetime(2026, 11, 3, 7, tzinfo=UTC)
    assert (fm.number, fm.season, fm.episode_type, fm.tags) == (2, 1, "bonus", ("speech", "interviews"))
    assert fm.people == (PersonEntry("Ada", "host", "host.flac"),
                         PersonEntry("Tom", "guest", "guest.flac", url="https://example.com/tom"))
    assert fm.chapters == (ChapterEntry(Seconds(0), "Start"), ChapterEntry(Seconds(3723.5), "Later"),
                           ChapterEntry(Seconds(4000), "Last"))
    assert all(type(c.start) is Seconds for c in fm.chapters)
    assert fm.transcribe == TranscribeSettings(vocabulary=("MLOps",))
    assert fm.audio is None and fm.guid is None and fm.draft is False


@pytest.mark.parametrize(("written", "expected"), [
    ("2026-11-27", datetime(2026, 11, 27, tzinfo=UTC)),  # a date is midnight UTC
    ("2026-11-27T09:30:00", datetime(2026, 11, 27, 9, 30, tzinfo=UTC)),  # naive: UTC
    ("2026-11-27T09:30:00+02:00", datetime(2026, 11, 27, 9, 30, tzinfo=timezone(timedelta(hours=2)))),
    ('"2026-11-27"', datetime(2026, 11, 27, tzinfo=UTC)),  # the same as ISO strings
    ('"2026-11-27T09:30:00Z"', datetime(2026, 11, 27, 9, 30, tzinfo=UTC)),
    ('" 2026-11-27 09:30 "', datetime(2026, 11, 27, 9, 30, tzinfo=UTC)),
])
def test_dates_and_date_times(written: str, expected: datetime) -> None:
    fm, problems = _load(episode_md(date=written))
    assert problems == []
    assert fm.date == expected and fm.date.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("written", ['"last tuesday"', '"2026-13-45"', "09:30:00", "2026", "true", "[2026]"])
def test_what_is_not_a_date(written: str) -> None:
    _, problems = _load(episode_md(date=written))
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [(3, "'date' is not a date")]
    assert problems[0].hint == "write a TOML date such as 2026-11-27 or 2026-11-27T09:00:00Z"


@pytest.mark.parametrize(("written", "seconds"), [
    ('"0:00"', 0.0), ('"1:30"', 90.0), ('"12:05"', 725.0), ('"1:02:03"', 3723.0), ('"0:01.25"', 1.25),
    ('"100:00:00"', 360000.0), ("90", 90.0), ("12.5", 12.5), ("0", 0.0),
])
def test_chapter_times(written: str, seconds: float) -> None:
    fm, problems = _load(episode_md(extra=f'[[chapters]]\nstart = {written}\ntitle = "T"\n'))
    assert problems == []
    assert fm.chapters[0].start == seconds


@pytest.mark.parametrize("written", ['"1:75"', '"1:60:00"', '"90"', '"soon"', "-1", "true", '""', '"1:2"'])
def test_what_is_not_a_time(written: str) -> None:
    _, problems = _load(episode_md(extra=f'\n[[chapters]]\nstart = {written}\ntitle = "T"\n'))
    assert _lines(problems) == [(8, f"[[chapters]] #1 start is not a time: {tomllib.loads('v = ' + written)['v']!r}")]


BAD = """\
+++
title = ""
date = "soon"
number = 0
season = true
episode_type = "extra"
tags = ["a", 1]
colour = "red"
draft = "yes"
guid = " "
image = 3
audio = "x.flac"

[master]
true_peak = 3.0
bitrate_mono = "loud"

[transcribe]
beam-size = 0

[notes]
sparkles = true

[[people]]
name = "Ada"
role = "cohost"
track = "ada.flac"

[[people]]
nmae = "Bob"

[[chapters]]
start = "1:00"
title = "B"

[[chapters]]
start = "1:75"
+++
Notes
"""


def test_every_problem_of_a_front_matter_at_once_with_its_line() -> None:
    _, problems = _load(BAD)
    assert sorted(_lines(problems), key=lambda p: p[0] or 0) == [
        (2, "'title' must be a non-empty string, not ''"),
        (3, "'date' is not a date: 'soon'"),
        (4, "'number' must be a whole number from 1, not 0"),
        (5, "'season' must be a whole number from 1, not True"),
        (6, "'episode_type' must be one of full, trailer, bonus, not 'extra'"),
        (7, "'tags' must be a list of strings, not ['a', 1]"),
        (8, "unknown key 'colour'"),
        (9, "'draft' must be true or false, not 'yes'"),
        (10, "'guid' must be a non-empty string, not ' '"),
        (11, "'image' must be a non-empty string, not 3"),
        (15, "[master]: true_peak 3.0 must be between -9 and 0 dBTP"),  # the stage's own check, at its key
        (16, "[master] bitrate_mono must be a whole number, not 'loud'"),
        (19, "[transcribe]: beam_size must be at least 1"),
        (22, "unknown setting [notes] sparkles"),
        (26, "[[people]] #1 role must be one of host, guest, not 'cohost'"),
        (29, "[[people]] #2 name is required"),  # at the entry's [[people]] line
        (30, "unknown key [[people]] #2 nmae"),
        (36, "[[chapters]] #2 title is required"),
        (37, "[[chapters]] #2 start is not a time: '1:75'"),
    ]
    unknown = next(p for p in problems if p.message == "unknown key 'colour'")
    assert unknown.hint is not None and "title" in unknown.hint and "episode_type" in unknown.hint
    assert all(p.path == SRC for p in problems)


def test_required_keys() -> None:
    _, problems = _load("+++\nnumber = 1\naudio = 'a.flac'\n+++\n")
    assert [str(p) for p in problems] == [
        "episode.md: 'title' is required",
        "episode.md: 'date' is required (e.g. date = 2026-11-27)",
    ]


def test_nested_tables_load_onto_the_shows_settings() -> None:
    show = FrontMatter(master=MasterSettings(preset="ebu-r128", gate=False),
                       transcribe=TranscribeSettings(model="base", vocabulary=("Kubernetes",)),
                       notes=NotesSettings(quotes=False, min_chapter=60))
    fm, problems = _load(episode_md(extra='[master]\ntrue-peak = -2\n[transcribe]\nbeam_size = 1\n'
                                          '[notes]\nquotes = true\n'), base=show)
    assert problems == []
    assert fm.master == MasterSettings(preset="ebu-r128", gate=False, true_peak=-2.0)
    assert fm.transcribe == TranscribeSettings(model="base", vocabulary=("Kubernetes",), beam_size=1)
    assert fm.notes == NotesSettings(quotes=True, min_chapter=60)
    untouched, _ = _load(episode_md(), base=show)
    assert (untouched.master, untouched.transcribe, untouched.notes) == (show.master, show.transcribe, show.notes)


def test_tables_and_arrays_of_tables_must_be_so() -> None:
    _, problems = _load(episode_md(audio=None, extra='master = "loud"\npeople = "Ada"\nchapters = [1]\n'
                                                      "notes = [{quotes = true}]\n"))
    assert _lines(problems) == [
        (5, "'master' must be a table, not 'loud'"),
        (6, "'people' must be [[people]] tables, not 'Ada'"),
        (7, "[[chapters]] #1 must be a table, not 1"),
        (8, "'notes' must be a table, not [{'quotes': True}]"),
    ]  # and no "no audio": people is wrong itself


def test_inline_tables_have_the_line_of_their_key() -> None:
    _, problems = _load(episode_md(audio=None, extra='people = [{name = "Ada", track = "a.flac"},\n'
                                                      '          {name = "Bob", role = "boss"}]\n'))
    assert _lines(problems) == [(5, "[[people]] #2 role must be one of host, guest, not 'boss'")]


def test_audio_or_a_track_per_person() -> None:
    _, problems = _load(episode_md(extra='[[people]]\nname = "Ada"\ntrack = "ada.flac"\n'))
    assert _lines(problems) == [(5, "give either 'audio' (one recording) or a 'track' per person, not both")]
    _, problems = _load(episode_md(audio=None, extra='[[people]]\nname = "Ada"\n'))
    assert _lines(problems) == [(None, 'no audio: set audio = "file", or a track = "file" for each of [[people]]')]
    fm, problems = _load(episode_md(audio=None, extra='[[people]]\nname = "Ada"\ntrack = "ada.flac"\n'))
    assert problems == [] and fm.people[0].track == "ada.flac"
    _, problems = _load(episode_md(audio=""))
    assert _lines(problems) == [(5, "'audio' must be a non-empty string, not ''")]  # and not "no audio" too


def test_at_most_eight_tracks() -> None:
    people = "".join(f'[[people]]\nname = "P{i}"\ntrack = "p{i}.flac"\n' for i in range(9))
    _, problems = _load(episode_md(audio=None, extra=people))
    assert _lines(problems) == [(29, "more than 8 tracks in one episode")]  # at the ninth
    assert problems[0].hint == "mix some tracks down first"
    _, problems = _load(episode_md(audio=None, extra=people.rsplit("[[people]]", 1)[0]))
    assert problems == []


def test_chapters_in_time_order() -> None:
    chapters = '[[chapters]]\nstart = "0:10"\ntitle = "A"\n[[chapters]]\nstart = "0:10"\ntitle = "B"\n'
    assert _load(episode_md(extra=chapters))[1] == []  # the same start is fine
    late = '[[chapters]]\nstart = "1:00"\ntitle = "C"\n[[chapters]]\nstart = "0:30"\ntitle = "D"\n'
    _, problems = _load(episode_md(extra=chapters + late))
    assert _lines(problems) == [(15, "[[chapters]] are not in time order")]
    assert problems[0].hint == "chapter #4 starts before #3"


def test_key_lines() -> None:
    text = '''a = 1
"quoted.key" = 2
b.c = 3
s = """
x = 4
"""
[t]
u = 5  # x = 6
[[arr]]
v = 7
[arr.sub]
w = 8
[[arr]]
v = 9
'''
    lines = key_lines(text, 10)
    assert lines == {("a",): 10, ("quoted.key",): 11, ("b",): 12, ("b", "c"): 12, ("s",): 13, ("t",): 16,
                     ("t", "u"): 17, ("arr", 0): 18, ("arr", 0, "v"): 19, ("arr", 0, "sub"): 20,
                     ("arr", 0, "sub", "w"): 21, ("arr", 1): 22, ("arr", 1, "v"): 23}
    assert line_of(lines, ("arr", 1, "missing")) == 22 and line_of(lines, ("nowhere",)) is None


# --- The episode file and the show -------------------------------------------------------------


def test_a_byte_order_mark_is_accepted(make_show: MakeShow) -> None:
    root = make_show({"kennedy": "\ufeff" + episode_md()}, toml="\ufeff" + SHOW_TOML)
    show = load_show(root, check_audio=False)
    assert show.info.title == "Test Show" and show.episode("kennedy").title == "Kennedy"


def test_a_missing_closing_line_is_named(make_show: MakeShow) -> None:
    root = make_show({"kennedy": episode_md().replace("+++\n\nNotes.", "\nNotes.")})
    with pytest.raises(InvalidShow) as err:
        load_show(root, check_audio=False)
    [problem] = err.value.problems
    assert problem.message.startswith("no closing '+++' line") and problem.line == 1
    assert problem.path == root / "episodes/kennedy/episode.md"


def test_no_front_matter_at_all(make_show: MakeShow) -> None:
    root = make_show({"kennedy": "# Kennedy\n\nNotes.\n"})
    with pytest.raises(InvalidShow) as err:
        load_show(root, check_audio=False)
    assert [(p.line, p.message) for p in err.value.problems] == [
        (1, "no front matter: the file must start with a '+++' line, then TOML, then '+++'")]


def test_toml_errors_have_the_files_line(make_show: MakeShow) -> None:
    root = make_show({"kennedy": episode_md(extra='broken = "\n')})
    with pytest.raises(InvalidShow) as err:
        load_show(root, check_audio=False)
    [problem] = err.value.problems
    assert problem.message.startswith("invalid TOML") and problem.line == 6


def test_the_episode_is_built_from_the_front_matter(make_show: MakeShow) -> None:
    root = make_show({"two": GOOD}, toml=SHOW_TOML + '[transcribe]\nmodel = "base"\n')
    folder = (root / "episodes/two").resolve()
    from toolkit.scaffold import make_artwork

    make_artwork(folder / "cover.png", "Cover")  # a real PNG: an empty file is refused
    (folder / "episode.md").write_text(GOOD.replace("number = 2", 'number = 2\nimage = "cover.png"\nguid = " g1 "'))
    ep = load_show(root, check_audio=False).episode("two")
    assert ep.title == "Two microphones" and ep.guid == "g1" and ep.notes == "Notes.\n"
    assert ep.tracks == (folder / "host.flac", folder / "guest.flac") and ep.multitrack
    assert [(p.name, p.role, p.track) for p in ep.people] == [("Ada", "host", folder / "host.flac"),
                                                            ("Tom", "guest", folder / "guest.flac")]
    assert [(c.start, type(c.start)) for c in ep.chapters] == [(0.0, float), (3723.5, float), (4000.0, float)]
    assert ep.transcribe == TranscribeSettings(model="base", vocabulary=("MLOps",))
    assert ep.image == folder / "cover.png" and ep.episode_type == "bonus" and ep.tags == ("speech", "interviews")


def test_the_file_system_checks_have_lines_too(make_show: MakeShow) -> None:
    root = make_show({"kennedy": episode_md(audio="../elsewhere.flac", extra='image = "cover.jpg"\n'),
                      "ada": episode_md(title="Ada", number=2, audio=None,
                                        extra='[[people]]\nname = "Ada"\ntrack = "/tmp/ada.flac"\n')})
    with pytest.raises(InvalidShow) as err:
        load_show(root, check_audio=False)
    md = root / "episodes/kennedy/episode.md"
    assert [(p.path, p.line, p.message) for p in err.value.problems] == [
        (root / "episodes/ada/episode.md", 7, "audio file '/tmp/ada.flac' is outside the episode's folder"),
        (md, 5, "audio file '../elsewhere.flac' is outside the episode's folder"),
        (md, 6, "the image 'cover.jpg' does not exist"),
    ]


def test_problems_of_every_episode_and_of_podkit_toml_together(make_show: MakeShow) -> None:
    root = make_show({"one": episode_md(extra="[notes]\nquote_count = 'many'\n"),
                      "two": episode_md(number=0)},
                     toml=SHOW_TOML + "[notes]\nmin_chapter = 0\nsparkles = true\n")
    with pytest.raises(InvalidShow) as err:
        load_show(root, check_audio=False)
    config = root / "podkit.toml"
    assert [(p.path, p.line, p.message) for p in err.value.problems] == [
        (config, 13, "unknown setting [notes] sparkles"),
        (config, 12, "[notes]: min_chapter must be more than 0 seconds"),
        (root / "episodes/one/episode.md", 7, "[notes] quote_count must be a whole number, not 'many'"),
        (root / "episodes/two/episode.md", 4, "'number' must be a whole number from 1, not 0"),
    ]


def test_podkit_toml_problems_have_lines(tmp_path: Path) -> None:
    (tmp_path / "podkit.toml").write_text(SHOW_TOML.replace('explicit = false', 'explicit = "no"')
                                          + "\n[build]\njobs = 1.5\n[extra]\n")
    config = read(tmp_path)
    assert [(p.line, p.message) for p in config.problems] == [
        (14, "unknown table [extra]"),
        (9, "[show] explicit must be true or false, not 'no'"),
        (10, "artwork not found: artwork.png"),
        (13, "[build] jobs must be a whole number, not 1.5"),
    ]


def test_readme_front_matter_block_matches_the_code() -> None:
    text = (REPO / "README.md").read_text()
    block = text.split(FRONT_START, 1)[1].split(FRONT_END, 1)[0]
    assert block == "\n" + front_matter_reference(), "run `.venv/bin/python -m toolkit.config README.md`"
    for name in ("title", "date", "people", "chapters", "episode_type", "master"):
        assert f"| `{name}` |" in block
