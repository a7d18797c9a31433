"""The settings reference in the README, generated from the declared settings classes.

`python -m toolkit.docs` rewrites the block between the markers in README.md; a test fails
when the README and the code disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .settings import describe

START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def tables() -> list[tuple[str, type]]:
    from .master import MasterSettings
    from .notes import NotesSettings
    from .show import BuildSettings, ShowInfo
    from .transcribe import TranscribeSettings

    return [("show", ShowInfo), ("master", MasterSettings), ("transcribe", TranscribeSettings),
            ("notes", NotesSettings), ("build", BuildSettings)]


def settings_reference() -> str:
    out = []
    for name, cls in tables():
        out.append(f"\n#### `[{name}]`\n\n| key | type | default | meaning |\n|---|---|---|---|")
        for key, kind, default, text in describe(cls):
            shown = "" if default in (None, "", ()) else f"`{default!r}`".replace("'", '"')
            out.append(f"| `{key}` | {kind} | {shown} | {text.replace('|', '/')} |")
    return "\n".join(out) + "\n"


def update(readme: Path) -> bool:
    text = readme.read_text(encoding="utf-8")
    block = f"{START}\n{settings_reference()}{END}"
    new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    changed = update(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
    print("README.md updated" if changed else "README.md is up to date")
