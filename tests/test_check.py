"""`podkit check`: one line per problem with its file and a fix; exit 1 on errors (and warnings with --strict).

The feed cases break a copy of the really built one-episode show's feed.xml the way real feeds
break (the known traps of STANDARDS.md) and expect exactly one complaint each.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from tests.conftest import SHOW_TOML, episode_md
from toolkit.build.pipeline import build
from toolkit.cli import cli


def _run(root: Path, *args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["check", "--show", str(root), *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, [ln for ln in result.output.splitlines() if ln.strip()]


def _replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, count))


def _feed(root: Path) -> Path:
    return root / "public" / "feed.xml"


def _dup_item(root: Path) -> None:
    text = _feed(root).read_text()
    item = re.search(r"\s*<item>.*?</item>", text, re.S)
    assert item
    _feed(root).write_text(text.replace(item.group(0), item.group(0) * 2))


FEED_CASES: list[tuple[str, Callable[[Path], object], str]] = [
    ("explicit yes", lambda r: _replace(_feed(r), "<itunes:explicit>false<", "<itunes:explicit>no<"),
     "<itunes:explicit> is 'no', not true or false"),
    ("duplicate guid", _dup_item, "is also the guid of the item on line"),
    ("wrong length", lambda r: _replace(_feed(r), 'length="', 'length="1'),
     "enclosure length 1"),
    ("zero length", lambda r: _feed(r).write_text(re.sub(r'length="\d+"', 'length="0"', _feed(r).read_text())),
     "enclosure length '0'"),
    ("audio/mp3", lambda r: _replace(_feed(r), 'type="audio/mpeg"', 'type="audio/mp3"'),
     "enclosure type audio/mp3 is wrong (it is audio/mpeg)"),
    ("RFC 3339 date", lambda r: _feed(r).write_text(re.sub(r"<pubDate>[^<]+<", "<pubDate>2026-01-05T00:00:00Z<",
                                                           _feed(r).read_text())),
     "not an RFC 2822 date"),
    ("old category", lambda r: _replace(_feed(r), 'text="Technology"', 'text="Science &amp; Medicine"'),
     "category 'Science & Medicine' is not one of Apple's"),
    ("missing transcript", lambda r: (r / "public/episodes/kennedy/kennedy.srt").unlink(),
     "podcast:transcript (application/x-subrip)"),
    ("missing self link", lambda r: _feed(r).write_text(re.sub(r"<atom:link[^>]*/>", "", _feed(r).read_text())),
     'no <atom:link rel="self">'),
    ("locked true", lambda r: _feed(r).write_text(re.sub(r"(<podcast:locked[^>]*>)yes<", r"\1true<",
                                                         _feed(r).read_text())),
     "<podcast:locked> breaks the Podcast Index schema"),
    ("broken xml", lambda r: _replace(_feed(r), "</channel>", ""), "not well-formed XML"),
]


def test_built_show_is_clean(built_small: Path, tmp_path: Path) -> None:
    code, lines = _run(built_small)
    assert code == 0, lines
    assert lines == ["ok: 'Test Show', 1 episode(s), 1 feed file(s) with 1 item(s), no problems found"]
    assert _run(built_small, "--strict")[0] == 1  # at an example domain: not ready to publish
    root = shutil.copytree(built_small, tmp_path / "show")
    _replace(root / "podkit.toml", "https://example.com/podcast/", "https://podkit-test.net/podcast/")
    build(root)
    code, lines = _run(root, "--strict")
    assert code == 0, lines
    assert lines == ["ok: 'Test Show', 1 episode(s), 1 feed file(s) with 1 item(s), no problems found"]


@pytest.mark.parametrize(("name", "mutate", "message"), FEED_CASES, ids=[c[0] for c in FEED_CASES])
def test_each_feed_trap_is_one_error_naming_the_feed(built_small: Path, tmp_path: Path, name: str,
                                                     mutate: Callable[[Path], object], message: str) -> None:
    root = tmp_path / "show"
    shutil.copytree(built_small, root)
    mutate(root)
    code, lines = _run(root)
    assert code == 1
    errors = [ln for ln in lines[:-1] if ln.startswith("error: ")]
    assert len(errors) == 1, lines
    assert errors[0].startswith(f"error: {root / 'public' / 'feed.xml'}:"), errors[0]
    assert re.match(r"error: \S+:\d+: ", errors[0]), errors[0]  # with the line
    assert message in errors[0], errors[0]
    assert re.fullmatch(r"\d+ errors?, \d+ warnings?", lines[-1])


def test_show_settings_errors_name_the_line_and_a_fix(make_show: Callable[..., Path]) -> None:
    toml = SHOW_TOML.replace('category = "Technology"', 'category = "Technolgy"').replace(
        'description = "A show made by the tests."', f'description = "{"x" * 4001}"')
    root = make_show(toml=toml)
    code, lines = _run(root)
    assert code == 1
    config = root / "podkit.toml"
    lines_of = {key: i for i, ln in enumerate(config.read_text().splitlines(), 1) for key in ("category", "language",
                                                                                              "description")
                if ln.startswith(key + " ")}
    assert f"error: {config}:{lines_of['category']}: [show] category 'Technolgy' is not one of Apple's " \
           "(did you mean 'Technology'?)" in lines
    assert f"error: {config}:{lines_of['description']}: [show] description is 4001 bytes; Apple allows 4000 " \
           "(shorten it)" in lines
    assert lines[-1] == "2 errors, 0 warnings"


def test_a_bad_language_is_reported_with_every_other_problem(make_show: Callable[..., Path]) -> None:
    root = make_show({"kennedy": episode_md(audio=None)}, toml=SHOW_TOML.replace('language = "en"',
                                                                                 'language = "english"'))
    code, lines = _run(root)
    assert code == 1 and lines[0] == "error: the show has 2 problems:"
    assert lines[1] == f"  {root / 'podkit.toml'}:6: [show] language 'english' is not an ISO 639 code (e.g. en, de " \
                       "or en-GB)"
    assert lines[2].startswith(f"  {root / 'episodes/kennedy/episode.md'}: no audio")


def test_subcategory_must_belong_to_the_category(make_show: Callable[..., Path]) -> None:
    root = make_show(toml=SHOW_TOML + 'subcategory = "Tech News"\n')
    code, lines = _run(root)
    assert code == 1
    assert "category 'Technology' has no subcategories, so 'Tech News' is not allowed" in lines[0]


def test_warnings_fail_only_with_strict(built_small: Path, tmp_path: Path) -> None:
    root = tmp_path / "show"
    shutil.copytree(built_small, root)
    config = root / "podkit.toml"
    _replace(config, "https://example.com/podcast/", "https://podkit-test.net/podcast/")
    build(root)
    config.write_text("".join(ln for ln in config.read_text().splitlines(keepends=True)
                              if not ln.startswith("guid =")))
    code, lines = _run(root)
    assert code == 0
    assert lines[0].startswith(f"warning: {config}: [show] guid is missing")
    assert lines[-1] == "0 errors, 1 warning"
    assert _run(root, "--strict")[0] == 1


def test_a_draft_in_the_built_feed_is_an_error(built_small: Path, tmp_path: Path) -> None:
    root = tmp_path / "show"
    shutil.copytree(built_small, root)
    md = root / "episodes/kennedy/episode.md"
    _replace(md, "number = 1", "number = 1\ndraft = true")
    code, lines = _run(root)
    assert code == 1
    assert lines[0] == f"error: {md}: episode 'kennedy' is a draft but the built feed lists it " \
                       "(run `podkit build` to take it out)"


def test_artwork_problems_and_fix(make_show: Callable[..., Path]) -> None:
    root = make_show()
    Image.new("RGBA", (1200, 1000), (10, 20, 30, 128)).save(root / "art.png")
    _replace(root / "podkit.toml", 'artwork = "artwork.png"', 'artwork = "art.png"')
    code, lines = _run(root)
    assert code == 1
    art = root / "art.png"
    assert lines[:-1] == [
        f"error: {art}: artwork is 1200x1000 px, not square (run `podkit check --fix-artwork` to write a "
        "conforming copy)",
        f"error: {art}: artwork is 1200x1000 px; Apple wants 1400 to 3000 px a side (run `podkit check "
        "--fix-artwork` to write a conforming copy)",
        f"error: {art}: artwork's colour mode is RGBA, not RGB (run `podkit check --fix-artwork` to write a "
        "conforming copy)",
    ]
    code, lines = _run(root, "--fix-artwork")
    fixed = root / "art-podcast.png"
    assert f"wrote {fixed}: a conforming copy of art.png; point the settings at it" in lines
    _replace(root / "podkit.toml", 'artwork = "art.png"', 'artwork = "art-podcast.png"')
    assert _run(root)[0] == 0


def test_episode_artwork_is_checked(make_show: Callable[..., Path]) -> None:
    root = make_show({"kennedy": episode_md(extra='image = "cover.jpg"\n')})
    Image.new("RGB", (1400, 1400)).save(root / "episodes/kennedy/cover.jpg", "PNG")
    code, lines = _run(root)
    assert code == 1
    assert lines[0].startswith(f"error: {root / 'episodes/kennedy/cover.jpg'}: the file is a PNG but its name "
                               "ends in '.jpg'")


def test_invalid_show_is_the_usual_one_message(make_show: Callable[..., Path]) -> None:
    root = make_show({"kennedy": episode_md(extra='season = 0\nepisode_type = "extra"\n')})
    code, lines = _run(root)
    assert code == 1
    assert lines[0] == "error: the show has 2 problems:"
    assert any("'season' must be a whole number from 1, not 0" in ln for ln in lines)
    assert any("'episode_type' must be one of full, trailer, bonus, not 'extra'" in ln for ln in lines)
