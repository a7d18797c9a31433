"""How the `memo` pickles what a build made of an episode: so that reading it back is cheap.

An edit to one episode of a large show reads back what the last build made of every other
episode, and the Python objects of 500 episodes take tens of milliseconds to rebuild from a
pickle. Most of them are needed only when that episode is built again: its paths, settings
and chapters, its writeup's quotes. So:

- a `Deferred` dataclass names those fields; they are pickled apart, as bytes inside the
  object's pickle, and read back by the first access to any of them (``__getattr__``, which
  Python asks only for an attribute the object does not have);
- paths are pickled as one string each (pathlib pickles a path as its parts, and parses each
  part again when reading it back).

Everything else reads a deferred object as it reads any other: equality, ``repr``, copies and
``dataclasses.replace`` read every field, and so read the deferred ones back first.
"""

from __future__ import annotations

import io
import os
import pickle
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar

_REST = "_deferred"  # in the object's __dict__ until its deferred fields are read back


class Deferred:
    """A dataclass whose `DEFERRED` fields the memo reads back only when one is first used.

    A deferred field must have no default: a default is a class attribute, which Python finds
    before it asks ``__getattr__``.
    """

    DEFERRED: ClassVar[tuple[str, ...]] = ()

    if not TYPE_CHECKING:  # mypy keeps checking every attribute of the subclasses

        def __getattr__(self, name: str) -> Any:
            rest = self.__dict__.get(_REST)
            if rest is None or name not in self.DEFERRED:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            self.__dict__.update(pickle.loads(rest))  # two threads may both do it: the same values
            self.__dict__.pop(_REST, None)
            return self.__dict__[name]


def _restore(cls: type[Deferred], light: dict[str, Any], rest: bytes) -> Deferred:
    obj = cls.__new__(cls)
    obj.__dict__.update(light)
    obj.__dict__[_REST] = rest
    return obj


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: object) -> Any:
        if isinstance(obj, PurePath):
            return type(obj), (os.fspath(obj),)
        if isinstance(obj, Deferred) and _REST not in obj.__dict__:  # a deferred one pickles as it is
            state, names = obj.__dict__, obj.DEFERRED
            light = {k: v for k, v in state.items() if k not in names}
            return _restore, (type(obj), light, dumps({k: state[k] for k in names}))
        return NotImplemented


def dumps(value: object) -> bytes:
    """``value`` pickled as above; `pickle.loads` reads it back."""
    out = io.BytesIO()
    _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return out.getvalue()
