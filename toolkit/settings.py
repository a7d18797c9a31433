"""Declared settings: each stage owns a frozen dataclass, this module loads TOML tables into them.

A field's type and default are the schema; ``metadata={"doc": ...}`` is its documentation
(``podkit check`` and the README draw on it). Loading reports every bad key of a table at
once, as `Problem`s, rather than stopping at the first.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from .errors import Problem

S = TypeVar("S")


def doc(text: str) -> dict[str, str]:
    """Field metadata holding the setting's one-line documentation."""
    return {"doc": text}


def _accepts(tp: Any, value: Any) -> tuple[bool, Any]:
    """Whether ``value`` (parsed TOML) fits type ``tp``; returns the converted value."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arm in typing.get_args(tp):
            ok, converted = _accepts(arm, value)
            if ok:
                return True, converted
        return False, value
    if tp is type(None):
        return value is None, value
    if tp is bool:
        return isinstance(value, bool), value
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return ok, float(value) if ok else value
    if tp is str:
        return isinstance(value, str), value
    if origin is tuple:
        (item,) = typing.get_args(tp)[:1]
        if not isinstance(value, list):
            return False, value
        out = []
        for v in value:
            ok, converted = _accepts(item, v)
            if not ok:
                return False, value
            out.append(converted)
        return True, tuple(out)
    if typing.get_origin(tp) is typing.Literal:
        return value in typing.get_args(tp), value
    raise TypeError(f"settings type {tp!r} is not supported")


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in typing.get_args(tp))
    if origin is tuple:
        return f"list of {_type_name(typing.get_args(tp)[0])}"
    return {type(None): "nothing", bool: "true or false", int: "a whole number",
            float: "a number", str: "a string"}.get(tp, str(tp))


@functools.cache
def _fields(cls: type) -> tuple[dict[str, Any], frozenset[str]]:
    """A settings class's type hints and field names (slow to work out: every episode asks)."""
    return typing.get_type_hints(cls), frozenset(f.name for f in dataclasses.fields(cls))


def load(
    cls: type[S], table: Mapping[str, Any], *, path: Path, section: str, base: S | None = None
) -> tuple[S, list[Problem]]:
    """Build ``cls`` from a TOML table, starting from ``base`` (or the defaults).

    Unknown keys and values of the wrong type are problems; the rest is applied.
    """
    assert dataclasses.is_dataclass(cls)
    hints, names = _fields(cls)
    problems: list[Problem] = []
    changes: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in names:
            known = ", ".join(sorted(names))
            problems.append(Problem(f"unknown setting [{section}] {key}", path, hint=f"known: {known}"))
            continue
        ok, converted = _accepts(hints[name], value)
        if not ok:
            problems.append(Problem(
                f"[{section}] {key} must be {_type_name(hints[name])}, not {value!r}", path))
            continue
        changes[name] = converted
    start = base if base is not None else cls()
    try:
        result = dataclasses.replace(start, **changes)  # type: ignore[type-var]
    except ValueError as exc:  # a __post_init__ check of the stage's own
        problems.append(Problem(f"[{section}]: {exc}", path))
        result = start
    return result, problems


def describe(cls: type) -> list[tuple[str, str, Any, str]]:
    """(name, type, default, doc) for each setting of a settings class."""
    hints = typing.get_type_hints(cls)
    rows = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else None
        rows.append((f.name, _type_name(hints[f.name]), default, f.metadata.get("doc", "")))
    return rows
