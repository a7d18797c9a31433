"""Where the time goes: `podkit build` reports each stage's wall and CPU time, ``--profile`` writes more."""

from __future__ import annotations

import pstats
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import MakeShow
from toolkit.build.pipeline import build
from toolkit.build.timing import Clock, cpu_seconds
from toolkit.cli import cli

pytestmark = pytest.mark.slow

TIME = r"\d+\.\d s \(\d+\.\d s CPU\)"


class Recorder:
    def __init__(self) -> None:
        self.infos: list[str] = []

    def stage(self, slug: str, stage: str, done: float, total: float) -> None:
        pass

    def info(self, message: str) -> None:
        self.infos.append(message)

    def warn(self, message: str) -> None:
        pass


def test_build_reports_each_stage_and_profiles_it(make_show: MakeShow, tmp_path: Path) -> None:
    root = make_show()
    recorder = Recorder()
    build(root, reporter=recorder, profile=tmp_path / "profile")
    (line,) = [m for m in recorder.infos if m.startswith("kennedy:")]
    assert re.fullmatch(rf"kennedy: master {TIME}, transcribe {TIME}, content {TIME}, tag {TIME}", line), line
    assert any(re.fullmatch(rf"site: {TIME}", m) for m in recorder.infos), recorder.infos
    names = sorted(p.name for p in (tmp_path / "profile").iterdir())
    assert names == ["kennedy.content.pstats", "kennedy.master.pstats", "kennedy.tag.pstats",
                     "kennedy.transcribe.pstats", "site.pstats"]
    stats = pstats.Stats(str(tmp_path / "profile" / "kennedy.transcribe.pstats"))
    assert any(func[2] == "transcribe" for func in stats.stats)  # type: ignore[attr-defined]
    # Nothing to do: no stage runs, so nothing is timed.
    again = Recorder()
    build(root, reporter=again)
    assert not any(m.startswith(("kennedy:", "site:")) for m in again.infos)


def test_cli_build_takes_profile(make_show: MakeShow, tmp_path: Path) -> None:
    root = make_show()
    result = CliRunner().invoke(cli, ["build", "--show", str(root), "--profile", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p" / "kennedy.master.pstats").is_file()


def test_cpu_time_counts_children() -> None:
    import subprocess
    import sys

    clock = Clock()
    before = cpu_seconds()
    with clock.running():
        subprocess.run([sys.executable, "-c", "sum(i * i for i in range(3_000_000))"], check=True)
    assert clock.time.cpu > 0.05  # the child's CPU, though this process only waited
    assert cpu_seconds() >= before + clock.time.cpu - 1e-6
