from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from toolkit.cli import cli


def test_init_makes_a_show_that_builds_untouched(tmp_path: Path) -> None:
    runner = CliRunner()
    root = tmp_path / "my-show"
    result = runner.invoke(cli, ["init", str(root)])
    assert result.exit_code == 0, result.output
    with Image.open(root / "artwork.png") as img:
        assert img.size[0] == img.size[1] >= 1400 and img.mode == "RGB"
    assert 'url = "http://localhost:8000/"' in (root / "podkit.toml").read_text()
    result = runner.invoke(cli, ["build", "--show", str(root)])
    assert result.exit_code == 0, result.output
    assert (root / "public/index.html").is_file() and (root / "public/feed.xml").is_file()
    again = runner.invoke(cli, ["init", str(root)])
    assert again.exit_code == 1 and "already exists" in again.output


def test_new_episode_template_is_valid_once_audio_is_added(tmp_path: Path) -> None:
    runner = CliRunner()
    root = tmp_path / "show"
    runner.invoke(cli, ["init", str(root)])
    result = runner.invoke(cli, ["new", "Feature Stores: a Retrospective!", "--show", str(root)])
    assert result.exit_code == 0, result.output
    md = root / "episodes/feature-stores-a-retrospective/episode.md"
    assert md.is_file() and "number = 1" in md.read_text()
    check = runner.invoke(cli, ["check", "--show", str(root)])
    assert check.exit_code == 1 and "no audio" in check.output


def test_every_command_has_help() -> None:
    import click

    runner = CliRunner()
    commands = [([name], c) for name, c in cli.commands.items()]
    for path, command in commands:
        assert command.help, path
        if isinstance(command, click.Group):  # `podkit cache`: its subcommands take --show
            commands += [([*path, name], sub) for name, sub in command.commands.items()]
            continue
        result = runner.invoke(cli, [*path, "--help"])
        assert (result.exit_code == 0 and "--show" in result.output) or path == ["init"]
