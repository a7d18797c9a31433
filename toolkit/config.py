"""The show's configuration: every settings table, declared, and the loader that fills them.

Each table of ``podkit.toml``, and an episode's front matter (`FrontMatter`), is a frozen dataclass
here. A field's type and default are the schema; ``metadata=doc(...)`` is its documentation
(``podkit check`` and the README's reference tables draw on it) and the rules its value must
follow (required, a minimum, not blank). Loading reports every bad key of a document at once, as
`Problem`s with the file and, where it can be found, the line, rather than stopping at the first.

This module imports nothing heavy (no numpy, Jinja2 or Whisper engine): the show, the CLI and the
no-op build read it before they know whether any work is to be done.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
import sys
import tomllib
import types
import typing
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar

from toolkit.errors import Problem
from toolkit.files import image_kind

S = TypeVar("S")

Key = tuple[str | int, ...]
"""Where a value is in a TOML document: ``("people", 0, "name")`` is the first [[people]]'s name."""


def doc(text: str, *, required: bool | str = False, minimum: float | None = None,
        nonempty: bool = False) -> dict[str, Any]:
    """Field metadata: the setting's one-line documentation, and the rules its value follows.

    ``required``: the key must be given (a string is the hint shown when it is not);
    ``minimum``: the smallest number allowed; ``nonempty``: a string that is not blank.
    """
    meta: dict[str, Any] = {"doc": text}
    if required:
        meta["required"] = required
    if minimum is not None:
        meta["minimum"] = minimum
    if nonempty:
        meta["nonempty"] = True
    return meta


# --- Values TOML has no type for ----------------------------------------------------------------


class Seconds(float):
    """A time on a recording: "M:SS" or "H:MM:SS" (with an optional fraction), or a number of seconds."""


TIME_RE = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})(?:\.(\d+))?$")


def parse_time(value: Any) -> Seconds | None:
    """A `Seconds` from 'M:SS', 'H:MM:SS' (optionally with a fraction) or a number from 0; else None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Seconds(value) if value >= 0 else None
    m = TIME_RE.match(value.strip()) if isinstance(value, str) else None
    if not m:
        return None
    h, mnt, s, frac = m.groups()
    if int(s) >= 60 or (h is not None and int(mnt) >= 60):
        return None
    return Seconds(int(h or 0) * 3600 + int(mnt) * 60 + int(s) + (float("0." + frac) if frac else 0.0))


def parse_datetime(value: Any) -> datetime | None:
    """A TOML date or date-time, or the same as an ISO 8601 string; without an offset it is UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=UTC)
    return None


# A parsed type's name in "... is not a date: 'soon'", and how to write one.
_PARSED: dict[Any, tuple[str, str]] = {
    datetime: ("a date", "write a TOML date such as 2026-11-27 or 2026-11-27T09:00:00Z"),
    Seconds: ("a time", 'write "M:SS" or "H:MM:SS", or a number of seconds'),
}


# --- Types and their names ----------------------------------------------------------------------


def _accepts(tp: Any, value: Any) -> tuple[bool, Any]:
    """Whether ``value`` (parsed TOML) fits type ``tp``; returns the converted value."""
    if tp is type(None):
        return value is None, value
    if tp is bool:
        return isinstance(value, bool), value
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if tp is Seconds:
        seconds = parse_time(value)
        return seconds is not None, seconds
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return ok, float(value) if ok else value
    if tp is str:
        return isinstance(value, str), value
    if tp is datetime:
        when = parse_datetime(value)
        return when is not None, when
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arm in typing.get_args(tp):
            ok, converted = _accepts(arm, value)
            if ok:
                return True, converted
        return False, value
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
    if origin is typing.Literal:
        return value in typing.get_args(tp), value
    raise TypeError(f"settings type {tp!r} is not supported")


# What XML 1.0 cannot hold (lxml refuses it), so neither can a feed or a page: C0 controls other than
# tab, newline and carriage return, and the two non-characters U+FFFE and U+FFFF.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


URL_KEYS = {"url", "funding_url", "img"}  # settings that are URLs (or paths on the site): published as links
URL_UNSAFE_RE = re.compile(r'[\s"<>\\^`{|}]')  # what RFC 3986 never allows in a URL as it is


def _named(char: str) -> str:
    return {" ": "a space", '"': "a double quote"}.get(char, repr(char))


TOO_DEEP = "invalid TOML: arrays or tables nested too deeply to read"


def not_utf8(path: Path) -> str:
    """What to say of a text file that is not UTF-8: UTF-16 (which some editors write) by its byte-order mark."""
    with path.open("rb") as f:
        head = f.read(2)
    return "UTF-16 text, not UTF-8" if head in (b"\xff\xfe", b"\xfe\xff") else "not UTF-8 text"


def control_character(value: Any) -> str | None:
    """The first character of a string (or of a list of them) that XML cannot hold, as "U+001B"."""
    for text in (value,) if isinstance(value, str) else value if isinstance(value, tuple) else ():
        if isinstance(text, str) and (m := CONTROL_RE.search(text)):
            return f"U+{ord(m.group()):04X}"
    return None


def _follows(value: Any, rules: Mapping[str, Any]) -> bool:
    """Whether a value of the right type also keeps its field's rules (`doc`'s minimum, nonempty)."""
    minimum = rules.get("minimum")
    if minimum is not None and isinstance(value, (int, float)) and value < minimum:
        return False
    return not (rules.get("nonempty") and isinstance(value, str) and not value.strip())


_PLURAL = {str: "strings", int: "whole numbers", float: "numbers", bool: "true or false values"}


def _type_name(tp: Any, rules: Mapping[str, Any] | None = None, *, message: bool = False) -> str:
    """A type as the README names it, or (``message``) as an error message asks for it."""
    rules = rules or {}
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        arms = [a for a in typing.get_args(tp) if not (message and a is type(None))]
        return " or ".join(_type_name(a, rules, message=message) for a in arms)
    if origin is typing.Literal:
        if message:
            return "one of " + ", ".join(str(a) for a in typing.get_args(tp))
        return " or ".join(repr(a) for a in typing.get_args(tp))
    if origin is tuple:
        item = typing.get_args(tp)[0]
        if message:
            return f"a list of {_PLURAL[item]}" if item in _PLURAL else f"a list, each {_type_name(item, message=True)}"
        return f"list of {_type_name(item)}"
    minimum = rules.get("minimum")
    if minimum is not None and tp in (int, float):
        return f"{'a whole number' if tp is int else 'a number'} from {minimum:g}"
    if message and tp is str and rules.get("nonempty"):
        return "a non-empty string"
    if tp is datetime:
        return "a date or date-time"
    if tp is Seconds:
        return 'a time: "M:SS", "H:MM:SS" or seconds'
    return {type(None): "nothing", bool: "true or false", int: "a whole number",
            float: "a number", str: "a string"}.get(tp, str(tp))


def _table_type(tp: Any) -> type | None:
    """The settings class a field of type ``tp`` holds a table of, if it does."""
    return tp if isinstance(tp, type) and dataclasses.is_dataclass(tp) else None


def _array_type(tp: Any) -> type | None:
    """The settings class of each entry, for a field holding an array of tables (``tuple[Cls, ...]``)."""
    return _table_type(typing.get_args(tp)[0]) if typing.get_origin(tp) is tuple else None


def _bare(tp: Any) -> Any:
    """``tp`` without its ``| None`` (TOML has no null: a value is given or left out)."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        arms = [a for a in typing.get_args(tp) if a is not type(None)]
        return arms[0] if len(arms) == 1 else tp
    return tp


class _Field(NamedTuple):
    type: Any
    rules: Mapping[str, Any]  # the field's metadata: its doc and its rules (see `doc`)
    table: type | None  # the settings class of a nested table
    entry: type | None  # the settings class of each entry of an array of tables


@functools.cache
def _fields(cls: type) -> dict[str, _Field]:
    """A settings class's fields, by name (slow to work out: every episode asks)."""
    hints = typing.get_type_hints(cls)
    return {f.name: _Field(hints[f.name], f.metadata, _table_type(hints[f.name]), _array_type(hints[f.name]))
            for f in dataclasses.fields(cls)}


# --- Lines ---------------------------------------------------------------------------------------

_BARE_KEY = r"""[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'"""
_DOTTED = rf"(?:{_BARE_KEY})(?:[ \t]*\.[ \t]*(?:{_BARE_KEY}))*"


@functools.cache
def _line_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A table header's and a key's line (compiled when first needed: most documents have no problem)."""
    return re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]"), re.compile(rf"^\s*({_DOTTED})\s*=")


def _key_parts(dotted: str) -> list[str]:
    return [p[1:-1] if p[0] in "\"'" else p for p in re.findall(_BARE_KEY, dotted)]


def key_lines(text: str, first_line: int = 1) -> dict[Key, int]:
    """The line of every key, table header and [[array]] entry of a TOML text that starts on
    ``first_line``. tomllib keeps no positions, so this reads the lines itself (best effort: a key
    in an inline table has the line of the table's key)."""
    header_re, key_re = _line_patterns()
    lines: dict[Key, int] = {}
    entries: dict[Key, int] = {}  # array of tables -> how many so far
    table: Key = ()
    fence: str | None = None  # the quotes of the multi-line string the line is in
    for n, line in enumerate(text.splitlines(), first_line):
        if fence is not None:
            if line.count(fence) % 2:
                fence = None
            continue
        if m := header_re.match(line):
            parts = _key_parts(m.group(2))
            path: Key = ()
            for part in parts[:-1]:
                path = (*path, part)
                if path in entries:  # [a.b] under [[a]] is in a's last entry
                    path = (*path, entries[path] - 1)
            path = (*path, parts[-1])
            if m.group(1) == "[[":
                entries[path] = entries.get(path, 0) + 1
                path = (*path, entries[path] - 1)
            table = path
            lines.setdefault(table, n)
        elif m := key_re.match(line):
            parts = _key_parts(m.group(1))
            for i in range(1, len(parts) + 1):
                lines.setdefault((*table, *parts[:i]), n)
            rest = line[m.end():]
            fence = next((q for q in ('"""', "'''") if rest.count(q) % 2), None)
    return lines


class KeyLines(Mapping[Key, int]):
    """`key_lines` of a text, worked out only when a line is first asked for: most documents have
    no problem to place."""

    def __init__(self, text: str, first_line: int = 1) -> None:
        self._text, self._first_line = text, first_line

    @functools.cached_property
    def _lines(self) -> dict[Key, int]:
        return key_lines(self._text, self._first_line)

    def __getitem__(self, key: Key) -> int:
        return self._lines[key]

    def __iter__(self) -> Iterator[Key]:
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)


def line_of(lines: Mapping[Key, int], at: Key) -> int | None:
    """The line of ``at``, else of the nearest table or key it is in."""
    for end in range(len(at), 0, -1):
        if at[:end] in lines:
            return lines[at[:end]]
    return None


# --- The loader ----------------------------------------------------------------------------------


class Broken(NamedTuple):
    """A rule between a table's fields that the loaded table breaks (a class lists them in ``broken()``)."""

    message: str
    about: tuple[str, ...]  # the fields it reads: when one of them is itself wrong, it is not reported
    at: Key = ()  # where in the table, for the line
    hint: str | None = None


class _Source:
    """The document being loaded: where its problems go, with their lines."""

    def __init__(self, path: Path, lines: Mapping[Key, int]) -> None:
        self.path, self.lines = path, lines
        self.problems: list[Problem] = []

    def add(self, message: str, at: Key, hint: str | None = None) -> None:
        self.problems.append(Problem(message, self.path, line_of(self.lines, at), hint))


_BAD = object()  # a value that is not applied


def _label(section: str, key: str) -> str:
    """How a message names a key: 'title' at the top, [master] preset in a table, [[people]] #2 name."""
    if not section:
        return f"'{key}'"
    return f"{section} {key}" if section.startswith("[[") else f"[{section}] {key}"


def load(
    cls: type[S], table: Mapping[str, Any], *, path: Path, section: str, base: S | None = None,
    lines: Mapping[Key, int] | None = None, at: Key = (),
) -> tuple[S, list[Problem]]:
    """Build ``cls`` from a TOML table, starting from ``base`` (or the defaults).

    Unknown keys, missing required ones, values of the wrong type or against their field's rules,
    and broken rules between fields are problems; the rest is applied. A field holding a settings
    class is a nested table, loaded onto ``base``'s; a ``tuple`` of one is an array of tables.
    ``section`` names the table in messages ("" for a document's top level); ``lines`` (see
    `key_lines`) and ``at``, the table's place in them, give the problems their lines.
    """
    source = _Source(path, {} if lines is None else lines)
    return _load(cls, table, base, section, at, source), source.problems


def _load(cls: type[S], table: Mapping[str, Any], base: S | None, section: str, at: Key, source: _Source) -> S:
    assert dataclasses.is_dataclass(cls)
    fields = _fields(cls)
    start = base if base is not None else cls()
    changes: dict[str, Any] = {}
    failed: set[str] = set()
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in fields:
            noun = "setting" if section and not section.startswith("[[") else "key"
            close = difflib.get_close_matches(name, list(fields), n=1, cutoff=0.6)
            source.add(f"unknown {noun} {_label(section, key)}", (*at, key),
                       f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(sorted(fields)))
            continue
        before = len(source.problems)
        converted = _value(fields[name], value, getattr(start, name), section, (*at, key), source)
        if len(source.problems) > before:
            failed.add(name)
        if converted is not _BAD:
            changes[name] = converted
    given = {key.replace("-", "_") for key in table}
    for name, f in fields.items():
        if f.rules.get("required") and name not in given:
            hint = f.rules["required"] if isinstance(f.rules["required"], str) else None
            source.add(f"{_label(section, name)} is required", at, hint)
            failed.add(name)
    try:
        result = dataclasses.replace(start, **changes) if changes else start  # type: ignore[type-var]
    except ValueError as exc:  # a __post_init__ check of the stage's own: at the line of a key it names
        named = [key for key in table
                 if (name := key.replace("-", "_")) in changes and re.search(rf"\b{name}\b", str(exc))]
        source.add(f"[{section}]: {exc}" if section else str(exc), (*at, *named[:1]))
        return start
    for rule in getattr(result, "broken", lambda: ())():
        if failed.isdisjoint(rule.about):
            source.add(rule.message, (*at, *rule.at), rule.hint)
    return result


def _value(f: _Field, value: Any, current: Any, section: str, at: Key, source: _Source) -> Any:
    """One field's value from TOML, or `_BAD` (its problems added to ``source``)."""
    key = str(at[-1])
    inner = f"{section}.{key}" if section and not section.startswith("[[") else key
    if f.table is not None:
        if isinstance(value, dict):
            return _load(f.table, value, current, inner, at, source)
        source.add(f"{_label(section, key)} must be a table, not {value!r}", at,
                   f"write [{inner}] and its keys under it")
        return _BAD
    if f.entry is not None:
        if not isinstance(value, list):
            source.add(f"{_label(section, key)} must be [[{inner}]] tables, not {value!r}", at)
            return _BAD
        out: list[Any] = []
        for i, item in enumerate(value):
            where = f"[[{inner}]] #{i + 1}"
            if isinstance(item, dict):
                out.append(_load(f.entry, item, None, where, (*at, i), source))
            else:
                source.add(f"{where} must be a table, not {item!r}", (*at, i))
        return tuple(out)
    ok, converted = _accepts(f.type, value)
    if ok and _follows(converted, f.rules):
        bad = control_character(converted)
        if bad is None and key in URL_KEYS and isinstance(converted, str) and (m := URL_UNSAFE_RE.search(converted)):
            source.add(f"{_label(section, key)} is not a valid URL: it contains {_named(m.group())}", at,
                       "write a space as %20 and a quote as %22")
            return _BAD
        if bad is None:
            return converted
        source.add(f"{_label(section, key)} contains the control character {bad}, which feeds and pages cannot hold",
                   at, "delete it; editors often show it as a blank or not at all")
        return _BAD
    if not ok and _bare(f.type) in _PARSED:
        what, hint = _PARSED[_bare(f.type)]
        source.add(f"{_label(section, key)} is not {what}: {value!r}", at, hint)
    else:
        source.add(f"{_label(section, key)} must be {_type_name(f.type, f.rules, message=True)}, not {value!r}", at)
    return _BAD


def describe(cls: type) -> list[tuple[str, str, Any, str]]:
    """(name, type, default, doc) for each setting of a settings class."""
    fields = _fields(cls)
    rows = []
    for d in dataclasses.fields(cls):
        f = fields[d.name]
        default = d.default if d.default is not dataclasses.MISSING else None
        if f.table:
            kind = f"[{d.name}] table"
        elif f.entry:
            kind = f"[[{d.name}]] tables"
        else:  # a required key has no "or nothing"
            kind = _type_name(_bare(f.type) if f.rules.get("required") else f.type, f.rules)
        rows.append((d.name, kind, default, f.rules.get("doc", "")))
    return rows


# --- The settings tables -------------------------------------------------------------------


@dataclass(frozen=True)
class ShowInfo:
    """The [show] table: who publishes what, and where."""

    title: str = field(default="", metadata=doc("The show's name."))
    url: str = field(default="", metadata=doc("Public base URL; every link in the feed is absolute under it."))
    author: str = field(default="", metadata=doc("Who makes the show (itunes:author, ID3 artist)."))
    email: str = field(default="", metadata=doc("Owner's e-mail address (itunes:owner)."))
    language: str = field(default="en", metadata=doc("ISO 639 language code, e.g. en or en-GB."))
    description: str = field(default="", metadata=doc("What the show is about (at most 4000 bytes)."))
    category: str = field(default="Technology", metadata=doc("Apple Podcasts category, e.g. 'Technology'."))
    subcategory: str | None = field(default=None, metadata=doc("Apple Podcasts subcategory, if any."))
    explicit: bool = field(default=False, metadata=doc("Whether the show contains explicit content."))
    artwork: str = field(default="artwork.png",
                         metadata=doc("Square JPEG or PNG, 1400-3000 px, path from the show root."))
    type: Literal["episodic", "serial"] = field(
        default="episodic", metadata=doc("itunes:type: 'episodic' (newest first) or 'serial' (in order)."))
    guid: str = field(default="", metadata=doc(
        "The show's podcast:guid. Written here by the first build with a public url, from the feed URL; "
        "keep it when the feed moves."))
    locked: bool = field(default=True, metadata=doc(
        "podcast:locked: other platforms may not import the feed without the owner's e-mail."))
    funding_url: str = field(default="", metadata=doc("podcast:funding: where listeners can support the show."))
    funding_text: str = field(default="Support the show",
                              metadata=doc("The funding link's text (at most 128 characters)."))
    item_limit: int = field(default=0, metadata=doc(
        "Newest episodes in feed.xml (0: all). With a limit, older ones are on RFC 5005 pages "
        "and every episode is in feed-archive.xml."))
    copyright: str = field(default="", metadata=doc("The show's copyright notice (RSS copyright)."))
    new_feed_url: str = field(default="", metadata=doc(
        "Moving the feed: its new address (itunes:new-feed-url). Apps move their subscribers there; keep "
        "publishing this feed, with the same guid, and redirect it (HTTP 301) once they have."))
    block: bool = field(default=False, metadata=doc("itunes:block: ask Apple Podcasts not to list the show."))
    complete: bool = field(default=False, metadata=doc("itunes:complete: the show is finished; no more episodes."))
    medium: Literal["podcast", "music", "video", "film", "audiobook", "newsletter", "blog"] = field(
        default="podcast", metadata=doc("podcast:medium: what kind of show this is."))
    license: str = field(default="", metadata=doc(
        "podcast:license of the show: an SPDX identifier such as cc-by-4.0, or a name with license_url."))
    license_url: str = field(default="", metadata=doc("Where the licence is written out (podcast:license url)."))
    location: str = field(default="", metadata=doc("podcast:location: the place the show is about or made in."))
    location_geo: str = field(default="", metadata=doc("The location as a geo: URI (RFC 5870), e.g. geo:52.52,13.40."))
    location_osm: str = field(default="", metadata=doc("The location's OpenStreetMap id, e.g. R62422."))
    txt: tuple[str, ...] = field(default=(), metadata=doc(
        "podcast:txt: free-form texts for services, e.g. a directory's ownership-verification token."))
    podroll: tuple[str, ...] = field(default=(), metadata=doc(
        "podcast:podroll: shows you recommend, each its podcast:guid or its feed URL."))
    hub: str = field(default="", metadata=doc(
        "A WebSub hub the feed names (atom:link rel=hub), so apps hear of new episodes at once."))
    host_voice: str | None = field(default=None, metadata=doc(
        "A clip of the host's voice (a path from the show root): in single-track episodes, the speaker "
        "who sounds most like it is the host.", nonempty=True))
    # Where else to follow the show: buttons on the site beside the feed's.
    apple_podcasts: str = field(default="", metadata=doc("The show's page on Apple Podcasts (a subscribe button)."))
    spotify: str = field(default="", metadata=doc("The show's page on Spotify (a subscribe button)."))
    youtube: str = field(default="", metadata=doc("The show's YouTube playlist or channel (a subscribe button)."))
    overcast: bool = field(default=False, metadata=doc(
        "A button that subscribes in Overcast (its overcast://x-callback-url/add?url= link to the feed)."))
    pocket_casts: bool = field(default=False, metadata=doc(
        "A button that subscribes in Pocket Casts (its pktc://subscribe/ link to the feed)."))
    antennapod: bool = field(default=False, metadata=doc(
        "A button that subscribes in AntennaPod (its antennapod.org/deeplink/subscribe link to the feed)."))
    podcast_addict: bool = field(default=False, metadata=doc(
        "A button that subscribes in Podcast Addict (its podcastaddict:// link to the feed)."))

    REQUIRED = ("title", "url", "author", "email", "description", "artwork")

    @property
    def base_url(self) -> str:
        """``url`` ending in a slash: what the site's and the feed's paths are joined to."""
        return self.url if self.url.endswith("/") else self.url + "/"


@dataclass(frozen=True)
class BuildSettings:
    """The [build] table: where things go."""

    output: str = field(default="public", metadata=doc("Folder the site and feed are written to."))
    cache: str = field(default=".podkit", metadata=doc("Folder of the content-addressed cache."))
    jobs: int = field(default=2, metadata=doc(
        "Worker processes: episodes processed at once, or the pieces of one long recording transcribed at once."))
    max_hours: float = field(default=6.0, metadata=doc(
        "Longest audio file accepted, in hours: a longer one is refused before any work (a damaged header "
        "can claim days).", minimum=0.001))
    stage_budget: float = field(default=20.0, metadata=doc(
        "Seconds a stage may work per second of audio before it is stopped with a message.", minimum=0))
    stage_budget_min: float = field(default=600.0, metadata=doc(
        "Seconds every stage may take, however short the audio.", minimum=0))
    cluster: str | None = field(default=None, metadata=doc(
        "Address of a Dask scheduler (tcp://HOST:PORT) that processes stale episodes on its workers; "
        "workers that do not see the show's folder at the same path are sent its files "
        "(podkit[cluster] extra; see the README)."))


PRESET_TARGETS: dict[str, tuple[float, float]] = {  # (stereo, mono) LUFS
    "podcast": (-16.0, -19.0),
    "ebu-r128": (-23.0, -23.0),
    "atsc-a85": (-24.0, -24.0),
}


@dataclass(frozen=True)
class MasterSettings:
    """The [master] table of podkit.toml; an episode's front matter may override any field."""

    preset: Literal["podcast", "ebu-r128", "atsc-a85"] = field(default="podcast", metadata=doc(
        "loudness preset: podcast (-16 LUFS stereo, -19 mono), ebu-r128 (-23), atsc-a85 (-24)"))
    target_lufs: float | None = field(default=None, metadata=doc(
        "integrated loudness target in LUFS; overrides the preset's"))
    true_peak: float = field(default=-1.0, metadata=doc(
        "true-peak ceiling in dBTP for the finished MP3"))
    bitrate_mono: int = field(default=64, metadata=doc("MP3 bitrate in kbps for mono episodes"))
    bitrate_stereo: int = field(default=128, metadata=doc("MP3 bitrate in kbps for stereo episodes"))
    sample_rate: int = field(default=44100, metadata=doc("sample rate of the MP3 in Hz"))
    intro: str | None = field(default=None, metadata=doc(
        "audio file played before the episode (path; relative to the show folder)"))
    outro: str | None = field(default=None, metadata=doc(
        "audio file played after the episode (path; relative to the show folder)"))
    crossfade: float = field(default=1.0, metadata=doc(
        "seconds the intro fades out over the start of the episode (and the outro fades in at the end)"))
    trim: bool = field(default=True, metadata=doc(
        "cut silence before the first and after the last speech"))
    trim_pad: float = field(default=0.5, metadata=doc(
        "seconds of the original room tone kept before the first and after the last speech"))
    level_speakers: bool = field(default=True, metadata=doc(
        "bring every speaker, and every turn of theirs, to the same speech loudness"))
    leveler_window: float = field(default=10.0, metadata=doc(
        "seconds of speech over which the leveler measures a speaker's level (longer = steadier)"))
    leveler_range: float = field(default=18.0, metadata=doc(
        "at most this many dB of turn-by-turn correction around a speaker's overall level"))
    gate: bool = field(default=True, metadata=doc(
        "multi-track: turn each track down while its speaker is silent (removes bleed and noise)"))
    gate_depth: float = field(default=24.0, metadata=doc(
        "dB a track is turned down while its speaker is silent"))
    gate_hold: float = field(default=0.3, metadata=doc(
        "seconds a gate stays open after its speaker stops (so word endings are not cut)"))
    long_silence: float = field(default=3.0, metadata=doc(
        "silences longer than this many seconds are listed in the quality report"))
    verify: bool = field(default=True, metadata=doc(
        "measure the encoded MP3 and re-render once if it missed the target"))

    def __post_init__(self) -> None:
        if self.target_lufs is not None and not -40.0 <= self.target_lufs <= -5.0:
            raise ValueError(f"target_lufs {self.target_lufs} is outside -40 .. -5 LUFS")
        if not -9.0 <= self.true_peak <= 0.0:
            raise ValueError(f"true_peak {self.true_peak} must be between -9 and 0 dBTP")
        if self.sample_rate not in (22050, 24000, 32000, 44100, 48000):
            raise ValueError(f"sample_rate {self.sample_rate} is not an MP3 rate (44100 or 48000)")
        for name in ("bitrate_mono", "bitrate_stereo"):
            if getattr(self, name) not in (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320):
                raise ValueError(f"{name} {getattr(self, name)} is not an MP3 bitrate")
        for name in ("crossfade", "trim_pad", "gate_hold", "long_silence", "gate_depth"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.leveler_window <= 0 or self.leveler_range < 0:
            raise ValueError("leveler_window must be positive and leveler_range not negative")

    def target_for(self, channels: int) -> float:
        """The loudness target for a programme with ``channels`` channels."""
        if self.target_lufs is not None:
            return self.target_lufs
        stereo, mono = PRESET_TARGETS[self.preset]
        return mono if channels == 1 else stereo


@dataclass(frozen=True)
class TranscribeSettings:
    """The [transcribe] table of podkit.toml; an episode may override any of it."""

    engine: Literal["faster-whisper", "openai-whisper"] = field(
        default="faster-whisper",
        metadata=doc("speech engine: faster-whisper (fast on CPU) or openai-whisper (the reference)"))
    model: str = field(default="tiny.en", metadata=doc(
        "Whisper model: a name (tiny.en, base, small.en, ...) or a local model folder / .pt file"))
    beam_size: int = field(default=5, metadata=doc("beam search width; 1 is greedy and faster"))
    language: str | None = field(default=None, metadata=doc(
        "spoken language (ISO 639-1, e.g. en); unset: English for .en models, else detected"))
    vocabulary: tuple[str, ...] = field(default=(), metadata=doc(
        "names and terms to spell as listed (show and episode lists merge)"))
    vocabulary_prompt: bool = field(default=False, metadata=doc(
        "also give the vocabulary to the model as its prompt (hotwords): can help spelling, but with "
        "small models it was measured to make Whisper skip sentences"))
    vad: bool = field(default=True, metadata=doc(
        "voice-activity detection: skip silence, noise and music so they yield no invented text"))
    vad_min_silence_ms: int = field(default=2000, metadata=doc(
        "silence (ms) that ends a stretch of speech for the voice-activity detector"))
    recover_skipped: bool = field(default=True, metadata=doc(
        "decode again, on their own, stretches the voice-activity detector calls speech but no word "
        "covers: Whisper sometimes jumps over a whole sentence (it lost one of the sample interview's)"))
    compute_type: str = field(default="int8", metadata=doc(
        "faster-whisper precision: int8 (fastest on CPU), float32, ..."))
    threads: int = field(default=0, metadata=doc("CPU threads per engine; 0 lets the engine choose"))
    batched: bool = field(default=False, metadata=doc(
        "faster-whisper batched decoding: about twice as fast but changes 2-11% of words"))
    batch_size: int = field(default=8, metadata=doc("segments decoded together when batched"))
    speaker_margin_db: float = field(default=6.0, metadata=doc(
        "multi-track: how much louder (dB, relative to each track's level) the speaker's own track "
        "must be over the others for a word to be attributed by it alone"))

    def __post_init__(self) -> None:
        if self.beam_size < 1:
            raise ValueError("beam_size must be at least 1")
        if self.threads < 0:
            raise ValueError("threads must be 0 (automatic) or more")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")


@dataclass(frozen=True)
class NotesSettings:
    """The [notes] table: chapters proposed from the transcript, generated show notes, the blog transcript."""

    propose_chapters: bool = field(default=True, metadata=doc(
        "propose chapters from the transcript when the episode has no [[chapters]] (the author's always win)"))
    min_chapter: float = field(default=120.0, metadata=doc("shortest proposed chapter, in seconds"))
    max_chapters: int = field(default=12, metadata=doc("most chapters proposed for one episode"))
    chapters: bool = field(default=True, metadata=doc("show notes: the chapter list with timestamps"))
    guests: bool = field(default=True, metadata=doc("show notes: the guests from [[people]], with bio and link"))
    links: bool = field(default=True, metadata=doc("show notes: a list of the links in the author's notes"))
    quotes: bool = field(default=True, metadata=doc(
        "show notes: key quotes, whole sentences of the transcript word for word"))
    quote_count: int = field(default=3, metadata=doc("how many key quotes"))
    topics: bool = field(default=True, metadata=doc("show notes: topics (the episode's tags, then its key phrases)"))
    topic_count: int = field(default=8, metadata=doc("most topics listed"))
    summary: bool = field(default=False, metadata=doc(
        "show notes: a short summary of the episode, from the summariser below"))
    summary_sentences: int = field(default=3, metadata=doc("length of the summary, in sentences"))
    summariser: Literal["extractive", "command"] = field(default="extractive", metadata=doc(
        "extractive (the transcript's most central sentences) or command (a language model you run, "
        "see summary_command)"))
    summary_command: tuple[str, ...] = field(default=(), metadata=doc(
        "for summariser = \"command\": the program and arguments; it reads the transcript on stdin "
        "and writes the summary on stdout"))
    cleanup: bool = field(default=False, metadata=doc(
        "blog transcript: drop filler words and stutters (never rewords anything else)"))
    fillers: tuple[str, ...] = field(default=("um", "uh", "erm", "er", "uhm", "hmm", "mm", "ah"), metadata=doc(
        "the filler words cleanup drops"))

    def __post_init__(self) -> None:
        if self.min_chapter <= 0:
            raise ValueError("min_chapter must be more than 0 seconds")
        if self.max_chapters < 1:
            raise ValueError("max_chapters must be at least 1")
        for name in ("quote_count", "topic_count", "summary_sentences"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more")


@dataclass(frozen=True)
class NewsletterSettings:
    """The [newsletter] table: what an edition shows of the week's episodes, and how it is sent."""

    episodes: bool = field(default=True, metadata=doc("editions: the episodes published since the last edition"))
    guests: bool = field(default=True, metadata=doc("editions: each episode's guests"))
    description: bool = field(default=True, metadata=doc("editions: each episode's description"))
    quote: bool = field(default=True, metadata=doc(
        "editions: each episode's first key quote, linked to its moment on the episode page"))
    artwork: bool = field(default=True, metadata=doc("editions: each episode's artwork (else the show's)"))
    from_address: str = field(default="", metadata=doc(
        "sender's e-mail address (default: [show] email)"))
    from_name: str = field(default="", metadata=doc("sender's name (default: [show] author)"))
    unsubscribe_url: str = field(default="", metadata=doc(
        "per-recipient unsubscribe link, {email} standing for the recipient's address, e.g. "
        "https://example.com/unsubscribe?email={email} (required to send)"))
    smtp_host: str = field(default="localhost", metadata=doc("SMTP server the editions are sent through"))
    smtp_port: int = field(default=587, metadata=doc("its port (587: submission with STARTTLS, 465: TLS)"))
    smtp_tls: Literal["starttls", "tls", "none"] = field(default="starttls", metadata=doc(
        "starttls (upgrade the connection), tls (TLS from the start) or none (only for a server on this machine)"))
    smtp_user: str = field(default="", metadata=doc("SMTP login (none: send without logging in)"))
    password_env: str = field(default="PODKIT_SMTP_PASSWORD", metadata=doc(
        "the environment variable holding the SMTP password (never a file in the show)", nonempty=True))
    retries: int = field(default=2, metadata=doc(
        "times a recipient the server refused for now is tried again before it is reported", minimum=0))


# --- An episode's front matter -------------------------------------------------------------------


@dataclass(frozen=True)
class PersonEntry:
    """One [[people]] table of an episode's front matter."""

    name: str = field(default="", metadata=doc("The person's name.", required=True, nonempty=True))
    role: Literal["host", "guest"] = field(default="guest", metadata=doc("Their part in the episode: host or guest."))
    track: str | None = field(default=None, metadata=doc(
        "That speaker's own microphone, a file in the episode's folder (omit for credits only).", nonempty=True))
    url: str | None = field(default=None, metadata=doc("A link to the person (podcast:person href)."))
    img: str | None = field(default=None, metadata=doc(
        "A photo of the person (podcast:person img, their page, the notes): a file in the episode's folder, "
        "a path from the show's folder (a leading / means the show's), or an absolute URL."))
    bio: str | None = field(default=None, metadata=doc("A sentence about them, in Markdown, for the show notes."))
    at: Seconds | None = field(default=None, metadata=doc(
        "One recording of everyone: a moment of it when this person speaks, to tell which voice is theirs."))


@dataclass(frozen=True)
class ChapterEntry:
    """One [[chapters]] table of an episode's front matter."""

    start: Seconds = field(default=Seconds(0), metadata=doc(
        "Where the chapter starts in the recording; podkit moves it past any intro or trim.", required=True))
    title: str = field(default="", metadata=doc("The chapter's title.", required=True))


@dataclass(frozen=True)
class FrontMatter:
    """An episode's front matter: the TOML between the two '+++' lines at the top of its episode.md.

    The nested [master], [transcribe] and [notes] tables override the show's: load this with a
    ``base`` holding the show's settings (see `for_show`).
    """

    title: str = field(default="", metadata=doc("The episode's title.", required=True, nonempty=True))
    date: datetime | None = field(default=None, metadata=doc(
        "Publication date: a TOML date or date-time (UTC if it has no offset); a future date keeps the "
        "episode out of the feed until then.", required="e.g. date = 2026-11-27"))
    number: int | None = field(default=None, metadata=doc(
        "Episode number (itunes:episode), unique within the show.", minimum=1))
    description: str = field(default="", metadata=doc("One or two sentences for podcast apps (Markdown)."))
    audio: str | None = field(default=None, metadata=doc(
        "One recording of everyone, a file in the episode's folder; or give each of [[people]] a track.",
        nonempty=True))
    people: tuple[PersonEntry, ...] = field(default=(), metadata=doc(
        "Who is on the episode: one [[people]] table each (below)."))
    chapters: tuple[ChapterEntry, ...] = field(default=(), metadata=doc(
        "The author's chapters, in time order: one [[chapters]] table each (below)."))
    speakers: int | Literal["auto"] | None = field(default=None, metadata=doc(
        "One recording of everyone: how many people talk in it (unset: one per [[people]]); \"auto\" "
        "estimates it from the voices.", minimum=1))
    draft: bool = field(default=False, metadata=doc("Drafts are built but stay out of the feed and the index."))
    tags: tuple[str, ...] = field(default=(), metadata=doc("Topics of the episode."))
    guid: str | None = field(default=None, metadata=doc(
        "The item's permanent guid; without it the first build writes a new one to episode.guid. "
        "Set it to keep a guid from an earlier host.", nonempty=True))
    season: int | None = field(default=None, metadata=doc("itunes:season and podcast:season.", minimum=1))
    episode_type: Literal["full", "trailer", "bonus"] = field(default="full", metadata=doc(
        "itunes:episodeType."))
    image: str | None = field(default=None, metadata=doc(
        "Episode artwork (square JPEG or PNG, 1400-3000 px): a file in the episode's folder or a path from the "
        "show's; shown on its page and as its og:image.", nonempty=True))
    explicit: bool | None = field(default=None, metadata=doc(
        "itunes:explicit of this episode (default: the show's [show] explicit)."))
    license: str | None = field(default=None, metadata=doc(
        "podcast:license of this episode (default: the show's), an SPDX identifier such as cc-by-4.0."))
    link: str | None = field(default=None, metadata=doc(
        "Where the episode was first published (its page on an earlier host, kept by `podkit import`); "
        "the episode page links it."))
    transcript: str | None = field(default=None, metadata=doc(
        "A transcript made elsewhere, used instead of transcribing: a WebVTT, SRT or Podcast Index JSON file "
        "in the episode's folder (`podkit import` writes it; delete the line to transcribe with Whisper).",
        nonempty=True))
    master: MasterSettings = field(default_factory=MasterSettings, metadata=doc(
        "Any [master] setting, for this episode only."))
    transcribe: TranscribeSettings = field(default_factory=TranscribeSettings, metadata=doc(
        "Any [transcribe] setting, for this episode only."))
    notes: NotesSettings = field(default_factory=NotesSettings, metadata=doc(
        "Any [notes] setting, for this episode only."))

    MAX_TRACKS = 8

    @classmethod
    def for_show(cls, config: Config) -> FrontMatter:
        """The base an episode's front matter is loaded onto: the show's settings for it to override."""
        return cls(master=config.master, transcribe=config.transcribe, notes=config.notes)

    def broken(self) -> Iterator[Broken]:
        """The rules between fields: one recording or a track per person, at most 8 tracks, chapters in order."""
        tracks = [i for i, p in enumerate(self.people) if p.track is not None]
        if self.audio is not None and tracks:
            yield Broken("give either 'audio' (one recording) or a 'track' per person, not both",
                         ("audio", "people"), ("audio",))
        elif self.audio is None and not tracks:
            yield Broken('no audio: set audio = "file", or a track = "file" for each of [[people]]',
                         ("audio", "people"))
        if len(tracks) > self.MAX_TRACKS:
            yield Broken(f"more than {self.MAX_TRACKS} tracks in one episode", ("people",),
                         ("people", tracks[self.MAX_TRACKS]), "mix some tracks down first")
        if self.date is not None and self.date.year < MIN_YEAR:
            yield Broken(f"the date {self.date.date().isoformat()} is before {MIN_YEAR}: feeds cannot carry it "
                         "(apps read a year like 0001 as 2001)", ("date",), ("date",),
                         "write the year in full, e.g. 2026")
        for i in range(1, len(self.chapters)):
            if self.chapters[i].start < self.chapters[i - 1].start:
                yield Broken("[[chapters]] are not in time order", ("chapters",), ("chapters", i),
                             f"chapter #{i + 1} starts before #{i}")
                break


MIN_YEAR = 1900  # RFC 2822 dates (the feed's) have four-digit years from 1900

# --- podkit.toml --------------------------------------------------------------------------------

CONFIG_NAME = "podkit.toml"
TABLES = ("show", "build", "master", "transcribe", "notes", "newsletter")


@dataclass(frozen=True)
class Config:
    """podkit.toml, read once: its tables, and every problem found in it."""

    path: Path
    show: ShowInfo
    build: BuildSettings
    master: MasterSettings
    transcribe: TranscribeSettings
    notes: NotesSettings
    problems: tuple[Problem, ...] = ()
    newsletter: NewsletterSettings = field(default_factory=NewsletterSettings)


def read(root: Path) -> Config:
    """Read and check ``root``'s podkit.toml. Raises `InvalidShow` only when there is none: every
    other problem is kept in the result, for the caller to report with the episodes' problems."""
    from toolkit.errors import InvalidShow

    path = root / CONFIG_NAME
    if not path.is_file():
        raise InvalidShow([Problem(f"no {CONFIG_NAME} here", path,
                                   hint="run `podkit init DIR` to start a show, or pass --show DIR")])
    problems: list[Problem] = []
    lines: Mapping[Key, int] = {}
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: a byte-order mark some editors write is not TOML
        data, lines = tomllib.loads(text), KeyLines(text)
    except tomllib.TOMLDecodeError as exc:
        data, problems = {}, [toml_error(exc, path)]
    except RecursionError:
        data, problems = {}, [Problem(TOO_DEEP, path)]
    except UnicodeDecodeError:
        data, problems = {}, [Problem(not_utf8(path), path, hint="save it as UTF-8")]

    def problem(message: str, at: Key, hint: str | None = None) -> None:
        problems.append(Problem(message, path, line_of(lines, at), hint))

    for key in data:
        if key not in TABLES:
            problem(f"unknown table [{key}]", (key,), "known: " + ", ".join(f"[{t}]" for t in TABLES))

    def table(cls: type[S], name: str) -> S:
        value = data.get(name, {})
        if not isinstance(value, dict):
            problem(f"[{name}] must be a table", (name,))
            value = {}
        loaded, found = load(cls, value, path=path, section=name, lines=lines, at=(name,))
        problems.extend(found)
        return loaded

    info = table(ShowInfo, "show")
    if data:
        given = data["show"] if isinstance(data.get("show"), dict) else {}
        for key in ShowInfo.REQUIRED:
            refused = isinstance(given.get(key), str) and given[key].strip()  # said already: no second message
            if not getattr(info, key) and not refused:
                problem(f"[show] {key} is required", ("show", key))
    if not LANGUAGE_RE.match(info.language):  # reported with every other problem, not after them
        problem(f"[show] language {info.language!r} is not an ISO 639 code", ("show", "language"),
                "e.g. en, de or en-GB")
    if info.url and not re.match(r"^https?://[^/]+", info.url):
        problem(f"[show] url must be an absolute http(s) URL, not {info.url!r}", ("show", "url"))
    if info.guid and not is_uuid(info.guid):
        problem(f"[show] guid {info.guid!r} is not a UUID", ("show", "guid"),
                "delete the line and the next build writes the right one")
    if info.funding_url and not re.match(r"^https?://[^/]+", info.funding_url):
        problem(f"[show] funding_url must be an absolute http(s) URL, not {info.funding_url!r}",
                ("show", "funding_url"))
    if len(info.funding_text) > 128:
        problem("[show] funding_text is longer than 128 characters", ("show", "funding_text"))
    for key in ("new_feed_url", "license_url", "hub"):
        value = getattr(info, key)
        if value and not re.match(r"^https?://[^/]+", value):
            problem(f"[show] {key} must be an absolute http(s) URL, not {value!r}", ("show", key))
    for i, entry in enumerate(info.podroll):
        if not is_uuid(entry) and not re.match(r"^https?://[^/]+", entry):
            problem(f"[show] podroll entry {entry!r} is neither a podcast:guid nor a feed URL", ("show", "podroll", i))
    if info.location_geo and not info.location_geo.startswith("geo:"):
        problem(f"[show] location_geo must be a geo: URI, not {info.location_geo!r}", ("show", "location_geo"))
    if info.item_limit < 0:
        problem(f"[show] item_limit must be 0 (no limit) or more, not {info.item_limit}", ("show", "item_limit"))
    if info.host_voice and not (root / info.host_voice).is_file():
        problem(f"host voice clip not found: {info.host_voice}", ("show", "host_voice"),
                "[show] host_voice is a path from the show's folder to a clip of the host talking")
    if info.artwork and data and not (root / info.artwork).is_file():
        problem(f"artwork not found: {info.artwork}", ("show", "artwork"),
                "[show] artwork is a path from the show's folder")
    elif info.artwork and data and (kind := image_kind(root / info.artwork)) not in ("PNG", "JPEG"):
        problem(f"artwork {info.artwork} is not a JPEG or PNG image: it holds {kind}", ("show", "artwork"),
                "export the cover art as a JPEG or PNG")
    newsletter = data.get("newsletter")
    if isinstance(newsletter, dict) and "password" in newsletter:
        problem("[newsletter] password: the SMTP password is never read from a file in the show",
                ("newsletter", "password"), "delete the line and put the password in the environment "
                "variable named by [newsletter] password_env")
        data["newsletter"] = {k: v for k, v in newsletter.items() if k != "password"}
    parts = (table(BuildSettings, "build"), table(MasterSettings, "master"),
             table(TranscribeSettings, "transcribe"), table(NotesSettings, "notes"))
    letter = table(NewsletterSettings, "newsletter")
    return Config(path, info, *parts, tuple(problems), letter)


_RESERVED_SUFFIXES = (".localhost", ".local", ".test", ".invalid", ".example", ".internal", ".lan", ".home.arpa")
_EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")


def not_public(url: str) -> str | None:
    """Why ``url`` cannot be where listeners find the show, or None when it can be.

    Loopback and private addresses, ``localhost``, the names reserved for local networks and tests
    (RFC 6761, RFC 8375) and the example domains (RFC 2606) are nobody's public address: a feed
    there is a preview, and a podcast:guid derived from it would be every such show's guid.
    """
    import ipaddress
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return "it is not a URL"
    if not host:
        return "it has no host name"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        if address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified:
            return f"{host} is a local address"
        return None
    if host == "localhost" or host.endswith(_RESERVED_SUFFIXES) or "." not in host:
        return f"{host} is a local name"
    if host in _EXAMPLE_DOMAINS or host.endswith(tuple("." + d for d in _EXAMPLE_DOMAINS)):
        return f"{host} is an example domain"
    return None


LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")  # ISO 639, with an optional region


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def toml_error(exc: tomllib.TOMLDecodeError, path: Path, line_offset: int = 0) -> Problem:
    """A TOML syntax error as a problem at its line of ``path``."""
    text = str(exc)
    m = re.search(r"\(at line (\d+), column \d+\)", text)
    line = int(m.group(1)) + line_offset if m else None
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", text) if m else text
    return Problem(f"invalid TOML: {message}", path, line)


# --- The README's reference tables ---------------------------------------------------------------

START, END = "<!-- settings:start -->", "<!-- settings:end -->"
FRONT_START, FRONT_END = "<!-- front-matter:start -->", "<!-- front-matter:end -->"


def tables() -> list[tuple[str, type]]:
    """podkit.toml's tables, in the README's order."""
    return [("show", ShowInfo), ("master", MasterSettings), ("transcribe", TranscribeSettings),
            ("notes", NotesSettings), ("build", BuildSettings), ("newsletter", NewsletterSettings)]


def _reference(headed: list[tuple[str, type]]) -> str:
    out = []
    for heading, cls in headed:
        out.append(f"\n#### {heading}\n\n| key | type | default | meaning |\n|---|---|---|---|")
        required = {name for name, f in _fields(cls).items() if f.rules.get("required")}
        for key, kind, default, text in describe(cls):
            if key in required:
                shown = "required"
            else:
                shown = "" if default in (None, "", ()) else f"`{default!r}`".replace("'", '"')
            out.append(f"| `{key}` | {kind} | {shown} | {text.replace('|', '/')} |")
    return "\n".join(out) + "\n"


def settings_reference() -> str:
    return _reference([(f"`[{name}]`", cls) for name, cls in tables()])


def front_matter_reference() -> str:
    return _reference([("Front matter", FrontMatter), ("`[[people]]`", PersonEntry),
                       ("`[[chapters]]`", ChapterEntry)])


def update(readme: Path) -> bool:
    """Rewrite the README's generated blocks (each between its two markers, where it has them)."""
    text = new = readme.read_text(encoding="utf-8")
    for start, end, body in ((START, END, settings_reference()), (FRONT_START, FRONT_END, front_matter_reference())):
        m = re.search(re.escape(start) + ".*?" + re.escape(end), new, flags=re.S)
        if m:
            new = f"{new[:m.start()]}{start}\n{body}{end}{new[m.end():]}"
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    changed = update(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
    print("README.md updated" if changed else "README.md is up to date")
