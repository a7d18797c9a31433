"""The feed items of the last build, so that the next one renders only the items that changed.

Rendering an item with feedgen is most of what a feed costs, and a build of a large show after
an edit to one episode would otherwise render every item of every feed document again. Each
item's serialised XML is kept under a key of everything it is made from (see `feed.item_key`),
in one JSON file in the show's cache folder. A build reads the file once, and writes it back
only when it used something else than it read: the new items, without those it no longer used.
A missing, unreadable or damaged file is an empty memo: it only ever saves work.
"""

from __future__ import annotations

import json
from pathlib import Path

from .cache import atomic_write

MEMO_FILE = "feed-items.json"  # in the cache folder
FORMAT = 1


class ItemMemo:
    def __init__(self, cache_dir: Path) -> None:
        self.path = cache_dir / MEMO_FILE
        self.stored = _load(self.path)
        self.used: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        found = self.used.get(key, self.stored.get(key))
        if found is not None:
            self.used[key] = found
        return found

    def put(self, key: str, xml: str) -> None:
        self.used[key] = xml

    def save(self) -> None:
        """Keep what this build used, if that is not what the file already holds."""
        if self.used != self.stored:
            data = {"format": FORMAT, "items": self.used}
            atomic_write(self.path, json.dumps(data).encode())  # ASCII: the fastest to write and read back
            self.stored = dict(self.used)


def _load(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):  # ValueError covers bad JSON and bad UTF-8
        return {}
    items = data.get("items") if isinstance(data, dict) and data.get("format") == FORMAT else None
    if not isinstance(items, dict) or not all(isinstance(v, str) for v in items.values()):
        return {}
    return items
