from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from toolkit.config import Broken, Seconds, describe, doc, key_lines, load


@dataclass(frozen=True)
class Example:
    name: str = field(default="x", metadata=doc("A name."))
    level: float = field(default=-16.0, metadata=doc("A level."))
    count: int = 2
    mode: Literal["a", "b"] = "a"
    words: tuple[str, ...] = ()
    maybe: str | None = None


def test_load_converts_and_reports_every_bad_key_at_once() -> None:
    path = Path("podkit.toml")
    value, problems = load(Example, {"level": -19, "words": ["x", "y"], "mode": "b"}, path=path, section="t")
    assert value == Example(level=-19.0, words=("x", "y"), mode="b")
    assert problems == []
    _, problems = load(Example, {"levle": 1, "count": True, "mode": "c", "words": [1]}, path=path, section="t")
    messages = [p.message for p in problems]
    assert len(messages) == 4
    assert any("unknown setting [t] levle" in m for m in messages)
    assert any("count must be a whole number" in m for m in messages)


def test_describe_lists_docs() -> None:
    rows = describe(Example)
    assert rows[0] == ("name", "a string", "x", "A name.")


@dataclass(frozen=True)
class Entry:
    name: str = field(default="", metadata=doc("A name.", required=True, nonempty=True))
    at: Seconds = field(default=Seconds(0))


@dataclass(frozen=True)
class Document:
    count: int | None = field(default=None, metadata=doc("A count.", minimum=1))
    when: datetime | None = field(default=None, metadata=doc("When.", required="e.g. when = 2026-01-01"))
    inner: Example = field(default_factory=Example)
    entries: tuple[Entry, ...] = ()

    def broken(self) -> Iterator[Broken]:
        if len(self.entries) > 2:
            yield Broken("too many entries", ("entries",), ("entries", 2), "two at most")


def test_rules_nested_tables_and_arrays_of_tables_are_declared() -> None:
    good = 'count = 3\nwhen = 2026-01-01\n[inner]\nlevel = -20\n[[entries]]\nname = "a"\nat = "1:30"\n'
    base = Document(inner=Example(name="show's", count=7))
    value, problems = load(Document, tomllib.loads(good), path=Path("d.toml"), section="", base=base,
                           lines=key_lines(good))
    assert problems == []
    assert value == Document(3, datetime(2026, 1, 1, tzinfo=UTC), Example(name="show's", count=7, level=-20.0),
                             (Entry("a", Seconds(90)),))
    bad = ('count = 0\n[inner]\nlevel = "loud"\n[[entries]]\nname = " "\nat = "soon"\n[[entries]]\n'
           '[[entries]]\nname = "c"\n')
    _, problems = load(Document, tomllib.loads(bad), path=Path("d.toml"), section="", lines=key_lines(bad))
    assert [(p.line, p.message, p.hint) for p in problems] == [
        (1, "'count' must be a whole number from 1, not 0", None),
        (3, "[inner] level must be a number, not 'loud'", None),
        (5, "[[entries]] #1 name must be a non-empty string, not ' '", None),
        (6, "[[entries]] #1 at is not a time: 'soon'", 'write "M:SS" or "H:MM:SS", or a number of seconds'),
        (7, "[[entries]] #2 name is required", None),
        (None, "'when' is required", "e.g. when = 2026-01-01"),
    ]  # and not "too many entries": the entries are wrong themselves
    three = 'when = 2026-01-01\n[[entries]]\nname = "a"\n[[entries]]\nname = "b"\n[[entries]]\nname = "c"\n'
    _, problems = load(Document, tomllib.loads(three), path=Path("d.toml"), section="", lines=key_lines(three))
    assert [(p.line, p.message, p.hint) for p in problems] == [(6, "too many entries", "two at most")]


def test_describe_names_tables_and_rules() -> None:
    assert [row[:2] for row in describe(Document)] == [
        ("count", "a whole number from 1 or nothing"), ("when", "a date or date-time"),
        ("inner", "[inner] table"), ("entries", "[[entries]] tables")]
