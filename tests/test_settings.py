from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from toolkit.settings import describe, doc, load


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
