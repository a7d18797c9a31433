"""An episode's digest covers every field of what the site and feeds show of it: pages and feeds are
keyed by it, so a field left out would leave a stale page or feed item."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHOW_TOML, episode_md
from tests.test_feed import PEOPLE, hand_site
from toolkit.publish.site import Site, episode_digest
from toolkit.scaffold import make_artwork


@pytest.fixture
def site(make_show: Callable[..., Path]) -> Site:
    """Five public episodes on three pages of two, so the archive repeats every page's items."""
    root = make_show({
        "interview": episode_md("An interview — über", "2026-03-01T07:00:00Z", 5,
                                extra='season = 2\nimage = "cover.png"\ndescription = "Bob on <things>."\n' + PEOPLE,
                                notes="Notes with **bold** & <script>x</script>.\n\n- one\n- two"),
        "fourth": episode_md("The fourth", "2026-02-20", 4, notes="Über *alles*.\n\nLine two."),
        "third": episode_md("The third", "2026-02-10", 3, notes=""),
        "first": episode_md("The first", "2026-02-01", 1, notes="Plain notes."),
        "teaser": episode_md("A teaser", "2026-01-15", None, extra='episode_type = "trailer"\n'),
        "draft": episode_md("Not yet", "2026-02-15", 6, extra="draft = true\n"),
    }, toml=SHOW_TOML + 'funding_url = "https://example.com/support"\nitem_limit = 2\n')
    make_artwork(root / "episodes/interview/cover.png", "Interview")
    return hand_site(root)


def test_every_field_of_a_view_is_in_its_digest(site: Site) -> None:
    """Items are keyed by their view's digest: a field left out of it would leave a stale item."""
    view = next(v for v in site.episodes if v.slug == "interview")
    other = next(v for v in site.episodes if v.slug == "first")
    digest = episode_digest(view)
    for f in dataclasses.fields(view):
        value: Any = getattr(view, f.name)
        new: Any = (not value if isinstance(value, bool) else value + "!" if isinstance(value, str)
               else value + 1 if isinstance(value, int | float) else getattr(other, f.name))
        changed = dataclasses.replace(view, **{f.name: new})
        assert changed != view, f.name
        assert episode_digest(changed) != digest, f"{f.name} is not in the digest"
