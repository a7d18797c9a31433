"""`podkit newsletter preview`: where to look at an edition's e-mail on the local server."""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import PodkitError
from toolkit.newsletter.archive import EMAIL_FILES
from toolkit.newsletter.edition import FOLDER, NAME_RE, edition_name


def newest(show_dir: Path) -> str:
    """The newest edition's name (YYYY-MM-DD)."""
    folder = show_dir / FOLDER
    names = sorted(p.stem for p in folder.glob("*.md") if NAME_RE.match(p.name)) if folder.is_dir() else []
    if not names:
        raise PodkitError("no edition yet", path=folder, hint="start one with `podkit newsletter new`")
    return names[-1]


def addresses(show_dir: Path, edition: str | None, port: int) -> list[str]:
    """The local addresses of the edition's e-mail: HTML, plain text and Markdown."""
    name = edition_name(edition) if edition else newest(show_dir)
    if not (show_dir / FOLDER / f"{name}.md").is_file():
        raise PodkitError(f"no edition {name}", path=show_dir / FOLDER, hint="editions are newsletter/<YYYY-MM-DD>.md")
    base = f"http://127.0.0.1:{port}/{FOLDER}/{name}/"
    kinds = ("e-mail", "plain text", "Markdown")
    return [f"{kind}: {base}{file}" for kind, file in zip(kinds, EMAIL_FILES, strict=True)]
