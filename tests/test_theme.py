"""The default theme's static files as published: compact, and still the same code."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from toolkit.files import default_templates
from toolkit.publish.pages import compact


def test_compact_javascript_drops_comment_lines_and_indentation_only() -> None:
    source = b'// a comment\nconst a = "http://x"; // after code: kept\n  if (a) {\n    go(a);\n  }\n'
    assert compact("x.js", source) == b'const a = "http://x"; // after code: kept\nif (a) {\ngo(a);\n}\n'
    assert compact("x.css", b"/* a\n comment */\n.a {\n  color: red; }\n") == b".a {\ncolor: red; }\n"
    assert compact("x.svg", b"  <svg/>  ") == b"  <svg/>  "


@pytest.mark.parametrize("name", ["player.js", "search.js"])
def test_the_theme_s_compact_javascript_still_parses(name: str, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    out = tmp_path / name
    out.write_bytes(compact(name, (default_templates() / "static" / name).read_bytes()))
    run = subprocess.run([node, "--check", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
