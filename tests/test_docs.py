"""The README describes what exists: every command, and every setting (a generated block kept in sync)."""

from __future__ import annotations

from tests.conftest import REPO
from toolkit.cli import cli
from toolkit.config import END, START, settings_reference


def test_readme_settings_block_matches_the_code() -> None:
    text = (REPO / "README.md").read_text()
    block = text.split(START, 1)[1].split(END, 1)[0]
    assert block == "\n" + settings_reference(), "run `.venv/bin/python -m toolkit.config` to refresh README.md"


def test_readme_names_every_command_and_quick_start_has_two_commands() -> None:
    text = (REPO / "README.md").read_text()
    for name in cli.commands:
        assert f"`podkit {name}" in text, name
    quick = text.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in quick.splitlines() if line.strip()]
    assert commands == ["./scripts/quickstart.sh", "./scripts/test.sh"]
    ci = (REPO / ".ci" / "run").read_text()
    assert "./scripts/test.sh" in ci
