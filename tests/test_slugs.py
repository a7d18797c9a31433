"""One slug rule for episode folders, people and tags: any script is transliterated, never a fixed word."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import cli
from toolkit.slugs import SLUG_RE, slugify, unique


@pytest.mark.parametrize(("text", "slug"), [
    ("Café & Ünïcode — 日本語", "cafe-unicode-ri-ben-yu"),
    ("Café Ünïcode", "cafe-unicode"),
    ("日本語", "ri-ben-yu"),
    ("中文标题", "zhong-wen-biao-ti"),
    ("Привет, мир", "privet-mir"),
    ("Ελληνικά", "ellenika"),
    ("🎉", "party-popper"),
    ("Feature Stores: a Retrospective!", "feature-stores-a-retrospective"),
])
def test_any_script_is_transliterated(text: str, slug: str) -> None:
    assert slugify(text) == slug
    assert SLUG_RE.match(slug)


def test_blank_text_has_no_slug_and_long_titles_stop_at_a_word() -> None:
    assert slugify("   ") == ""
    long = slugify("word " * 40)
    assert len(long) <= 60 and long.endswith("word")


def test_a_taken_slug_gets_the_first_free_suffix() -> None:
    assert unique("c", set()) == "c"
    assert unique("c", {"c", "c-2"}) == "c-3"


def _new(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["new", *args, "--show", str(root)])
    return result.exit_code, result.output


def test_new_names_folders_by_the_rule_and_says_what_it_made(tmp_path: Path) -> None:
    root = tmp_path / "show"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    code, out = _new(root, "Café & Ünïcode — 日本語")
    assert code == 0 and "created episode 1, 'cafe-unicode-ri-ben-yu'" in out
    code, out = _new(root, "日本語")
    assert code == 0 and (root / "episodes/ri-ben-yu/episode.md").is_file()
    code, out = _new(root, "中文标题")  # a second all-CJK title gets its own folder
    assert code == 0 and (root / "episodes/zhong-wen-biao-ti/episode.md").is_file()
    code, out = _new(root, "日本語")
    assert code == 1 and "no episode was created" in out and "--slug ri-ben-yu-2" in out
    assert "Traceback" not in out
    code, out = _new(root, "Anything", "--slug", "Not A Slug")
    assert code == 1 and "e.g. 'not-a-slug'" in out
    # none of the episodes has audio yet: `new` still numbers the next one
    code, out = _new(root, "Fourth")
    assert code == 0 and "number = 4" in (root / "episodes/fourth/episode.md").read_text()


def test_new_needs_only_a_valid_podkit_toml(tmp_path: Path) -> None:
    root = tmp_path / "show"
    CliRunner().invoke(cli, ["init", str(root)])
    (root / "episodes/broken").mkdir()
    (root / "episodes/broken/episode.md").write_text("no front matter at all")
    assert _new(root, "Next")[0] == 0
    config = root / "podkit.toml"
    config.write_text(config.read_text().replace('title = "Show"', 'title = 3'))
    code, out = _new(root, "After that")
    assert code == 1 and "podkit.toml" in out and "no episode was created" in out
    assert not (root / "episodes/after-that").exists()
