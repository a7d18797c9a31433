"""The memo's pickling: what it reads back is what was put in, deferred fields included."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import episode_md
from tests.test_feed import PEOPLE, hand_site
from toolkit import deferred
from toolkit.show import Episode
from toolkit.views import EpisodeView, episode_digest
from toolkit.writeup import Writeup


@pytest.fixture
def view(make_show: Callable[..., Path]) -> EpisodeView:
    root = make_show({"interview": episode_md("An interview", "2026-03-01T07:00:00Z", 2, extra=PEOPLE,
                                              notes="Notes with **bold**.")})
    return hand_site(root).episodes[0]


def _still_deferred(obj: object) -> bool:
    return deferred._REST in vars(obj)


def test_a_view_read_back_is_the_view_put_in(view: EpisodeView) -> None:
    back = pickle.loads(deferred.dumps(view))
    assert all(map(_still_deferred, (back, back.episode, back.writeup)))
    assert back.title == view.title and back.writeup.key == view.writeup.key  # light: nothing read back
    assert all(map(_still_deferred, (back, back.episode, back.writeup)))
    assert back.episode.folder == view.episode.folder and isinstance(back.episode.folder, Path)
    assert not _still_deferred(back.episode) and _still_deferred(back.writeup)
    assert back == view and episode_digest(back) == episode_digest(view)


def test_copies_and_replacements_of_a_deferred_view_are_whole(view: EpisodeView) -> None:
    back = pickle.loads(deferred.dumps(view))
    assert pickle.loads(pickle.dumps(back)) == view  # a plain pickle of a deferred object stays deferred
    assert pickle.loads(deferred.dumps(pickle.loads(deferred.dumps(view)))) == view
    assert copy.deepcopy(back) == view
    assert dataclasses.replace(back, published=not view.published).chapters == view.chapters


def test_a_missing_attribute_is_still_an_attribute_error(view: EpisodeView) -> None:
    back: EpisodeView = pickle.loads(deferred.dumps(view))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        back.episode.nothing  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(back.writeup, "nothing")


@pytest.mark.parametrize("cls", [Episode, Writeup, EpisodeView])
def test_no_deferred_field_has_a_default(cls: type[deferred.Deferred]) -> None:
    """A default is a class attribute: Python would find it and never ask for the stored value."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    assert cls.DEFERRED and set(cls.DEFERRED) <= names
    assert [name for name in cls.DEFERRED if hasattr(cls, name)] == []
