"""`podkit newsletter new`: the next edition, a commented template listing the week's episodes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from toolkit.errors import InvalidShow, PodkitError
from toolkit.files import atomic_write
from toolkit.newsletter.edition import FOLDER, SENT_SUFFIX, Edition, edition_path, load_editions, sent_log
from toolkit.show import Episode, Show, load_show

FIRST_WEEK = timedelta(days=7)  # the first edition presents the episodes of the week before it


def since_previous(show: Show, editions: list[Edition], day: date) -> list[Episode]:
    """The episodes published after the last edition before ``day``, up to the end of ``day``, oldest first.

    The first edition takes the week before it."""
    end = datetime.combine(day, time(0, 0), tzinfo=UTC) + timedelta(days=1)
    earlier = [e.day for e in editions if e.day < day]
    start = (datetime.combine(max(earlier), time(0, 0), tzinfo=UTC) + timedelta(days=1) if earlier
             else end - FIRST_WEEK - timedelta(days=1))
    chosen = [ep for ep in show.episodes if not ep.draft and start <= ep.date < end]
    return sorted(chosen, key=lambda ep: (ep.date, ep.slug))


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def template(show: Show, day: date, episodes: list[Episode]) -> str:
    """The new edition's text: front matter to fill in, every key explained in a comment."""
    listed = ", ".join(_toml_string(ep.slug) for ep in episodes)
    titles = ("".join(f"#   {ep.slug}: {ep.title}\n" for ep in episodes)
              or "#   (none published since the last edition)\n")
    subject = _toml_string(f"{show.info.title}: {day:%-d %B %Y}")
    return f"""+++
subject = {subject}   # the e-mail's subject line
date = {day.isoformat()}          # the day it goes out: the file's name
preheader = ""        # optional: the line inboxes show after the subject

# The episodes this edition presents (title, guests, description, a key quote, artwork; see
# [newsletter] in podkit.toml to switch parts off). These were published since the last edition:
{titles}episodes = [{listed}]

# About five links worth a practitioner's time, in the order they appear: one [[links]] table
# each. Remove the # before the four lines, fill them in, and copy them for the next link.
# [[links]]
# url = "https://example.com/a-post-worth-reading"   # required: an absolute http(s) URL
# title = "The title of the piece"                  # required
# source = "Where it is from (a blog, a journal, a talk)"
# why = "One sentence on why it is worth reading."
+++

A short note from this week's work, in Markdown.
"""


def new_edition(root: Path, day: date) -> Path:
    """Write ``newsletter/<day>.md``, the next edition, and return its path.

    Refuses a day that has an edition already, or whose edition was sent (its send log is there)."""
    show = load_show(root, check_audio=False)
    editions, problems = load_editions(show.root, {ep.slug for ep in show.episodes})
    if problems:
        raise InvalidShow(problems)
    path = edition_path(show.root, day.isoformat())
    if sent_log(show.root, day.isoformat()).exists():
        raise PodkitError(f"the edition of {day} was already sent", path=sent_log(show.root, day.isoformat()),
                          hint="start the next edition with --date")
    # An edition slipped in before one already sent would present episodes that one presented.
    later = sorted(p for p in (show.root / FOLDER).glob(f"*{SENT_SUFFIX}") if p.stem > day.isoformat())
    if later:
        raise PodkitError(f"a later edition, {later[-1].stem}, was already sent", path=later[-1],
                          hint=f"start the next edition after {later[-1].stem} (--date YYYY-MM-DD)")
    if path.exists():
        raise PodkitError(f"an edition for {day} already exists", path=path,
                          hint="edit it, or start another with --date YYYY-MM-DD")
    atomic_write(path, template(show, day, since_previous(show, editions, day)).encode("utf-8"))
    return path


__all__ = ["FOLDER", "new_edition", "since_previous", "template"]
