"""`podkit check --strict`, the gate before publishing, and chapters that point past the end."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import data_file, episode_md
from toolkit.cli import cli


def _check(root: Path, *args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["check", "--show", str(root), *args])
    assert "Traceback" not in result.output
    return result.exit_code, [ln for ln in result.output.splitlines() if ln.strip()]


def test_strict_fails_on_everything_left_from_init_and_new(tmp_path: Path) -> None:
    runner = CliRunner()
    root = tmp_path / "show"
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    assert runner.invoke(cli, ["new", "First steps", "--show", str(root)]).exit_code == 0
    md = root / "episodes/first-steps/episode.md"
    shutil.copy(data_file("jfk.flac"), md.parent / "speech.flac")
    md.write_text(md.read_text().replace('# audio = "recording.flac"', 'audio = "speech.flac"'))
    assert _check(root)[0] == 0  # while editing, a local url and placeholders are fine

    code, lines = _check(root, "--strict")
    assert code == 1
    config, text = root / "podkit.toml", (root / "podkit.toml").read_text().splitlines()
    line = {key: next(i for i, t in enumerate(text, 1) if t.startswith(f"{key} =")) for key in
            ("url", "author", "email", "description")}
    md_text = md.read_text().splitlines()
    md_line = {key: next(i for i, t in enumerate(md_text, 1) if t.startswith(key)) for key in
               ("description", "Show notes")}
    assert lines[:-1] == [
        f"error: {config}:{line['url']}: [show] url http://localhost:8000/ is not a public address (localhost is a "
        "local name) (set it to where the site will be published before publishing)",
        f"error: {config}:{line['author']}: [show] author is still the placeholder 'Your Name' from `podkit init` "
        "(write the show's own author)",
        f"error: {config}:{line['email']}: [show] email is still the placeholder 'you@example.com' from "
        "`podkit init` (write the show's own email)",
        f"error: {config}:{line['description']}: [show] description is still the placeholder 'Interviews with the "
        "people who do the work.' from `podkit init` (write the show's own description)",
        f"error: {root / 'artwork.png'}: the artwork is still the placeholder `podkit init` drew (make the show's "
        "own cover: square JPEG or PNG, 1400-3000 px)",
        f"error: {md}:{md_line['description']}: the description is still the placeholder from `podkit new` (one or "
        "two sentences about this episode)",
        f"error: {md}:{md_line['Show notes']}: the show notes are still the placeholder from `podkit new` (write the "
        "notes below the front matter)",
    ]
    assert lines[-1] == "7 errors, 0 warnings"


def test_strict_fails_on_an_empty_feed(make_show: Callable[..., Path]) -> None:
    root = make_show({"kennedy": episode_md(extra="draft = true\n")})
    root.joinpath("podkit.toml").write_text(root.joinpath("podkit.toml").read_text().replace(
        "https://example.com/podcast/", "https://podkit-test.net/"))
    code, lines = _check(root, "--strict")
    assert code == 1
    assert lines[0] == (f"error: {root / 'episodes'}: the feed would have no episode: every one is a draft or "
                        "dated in the future (Apple and the Podcast Index reject an empty feed; add one with "
                        "`podkit new`)")


def test_a_chapter_past_the_end_is_named_by_check_and_left_out_of_the_build(make_show: Callable[..., Path]) -> None:
    chapters = '[[chapters]]\nstart = "0:00"\ntitle = "Ask not"\n[[chapters]]\nstart = "5:00"\ntitle = "Later"\n'
    root = make_show({"kennedy": episode_md(extra=chapters)})
    md = root / "episodes/kennedy/episode.md"
    code, lines = _check(root)
    line = md.read_text().splitlines().index('start = "5:00"') + 1
    assert code == 1
    assert lines[0] == (f"error: {md}:{line}: chapter #2 'Later' starts at 5:00, after the end of the recording "
                        "(0:11) (fix its start, or remove it)")
    result = CliRunner().invoke(cli, ["build", "--show", str(root)])
    assert result.exit_code == 0, result.output
    assert "chapter 'Later' starts after the end of the audio; left out" in result.output
    data = json.loads((root / "public/episodes/kennedy/kennedy.chapters.json").read_text())
    assert [c["title"] for c in data["chapters"]] == ["Ask not"]
