"""The `podkit` command: click code only; each command calls one core function.

Heavy modules are imported inside the commands so `podkit --help` stays instant.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from toolkit import __version__
from toolkit.errors import InvalidShow, PodkitError

F = TypeVar("F", bound=Callable[..., Any])

show_option = click.option(
    "--show", "show_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
    show_default="the current directory", help="The show's folder (the one with podkit.toml).")

profile_option = click.option(
    "--profile", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
    help="Also write each stage's cProfile statistics (DIR/<episode>.<stage>.pstats) into DIR.")


def friendly(func: F) -> F:
    """Turn podkit's errors into one clear message and a non-zero exit, without a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        try:
            return func(*args, **kwargs)
        except InvalidShow as exc:
            if ctx.find_root().params.get("debug"):
                raise
            if len(exc.problems) == 1:
                click.secho(f"error: {exc.problems[0]}", fg="red", err=True)
            else:
                click.secho(f"error: the show has {len(exc.problems)} problems:", fg="red", err=True)
                for problem in exc.problems:
                    click.echo(f"  {problem}", err=True)
            ctx.exit(1)
        except PodkitError as exc:
            if ctx.find_root().params.get("debug"):
                raise
            click.secho(f"error: {exc}", fg="red", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted; finished work is kept in the cache, the site is unchanged", err=True)
            ctx.exit(130)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="podkit")
@click.option("--debug", is_flag=True, help="Show the full traceback when something fails.")
def cli(debug: bool) -> None:
    """podkit turns recorded interviews into a published podcast and a written archive.

    A show is a folder with podkit.toml and episodes/<slug>/episode.md. `podkit build`
    masters the audio, transcribes it with Whisper, and writes the site and feed to public/.
    """


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", help="The show's title (default: from the folder name).")
@friendly
def init(folder: Path, title: str | None) -> None:
    """Start a new show in FOLDER: podkit.toml, placeholder artwork, an empty episodes/."""
    from toolkit.scaffold import init as make

    config = make(folder, title)
    click.echo(f"created {config}; edit [show], add an episode with `podkit new`, then `podkit build`")


@cli.command()
@click.argument("title")
@click.option("--slug", help="Folder name (default: from the title).")
@show_option
@friendly
def new(title: str, slug: str | None, show_dir: Path) -> None:
    """Add an episode called TITLE: a folder with a commented episode.md to fill in."""
    from toolkit.scaffold import new_episode

    path = new_episode(show_dir, title, slug)
    click.echo(f"created {path}; put the audio beside it and fill in the front matter")


@cli.command()
@click.argument("slugs", nargs=-1)
@click.option("--engine", type=click.Choice(["faster-whisper", "openai-whisper"]),
              help="Transcribe with this engine instead of the configured one.")
@profile_option
@show_option
@friendly
def process(slugs: tuple[str, ...], engine: str | None, profile: Path | None, show_dir: Path) -> None:
    """Master, transcribe, write up and tag episodes (default: all); only what changed is redone."""
    from toolkit.build.pipeline import process as run_process
    from toolkit.build.progress import RichReporter

    show = _load(show_dir, slugs, engine)
    with RichReporter() as reporter:
        run = run_process(show, list(slugs) or None, reporter=reporter,
                          profile=profile.resolve() if profile else None)
    for item in run.processed:
        click.echo(f"{item.episode.slug}:")
        for line in item.report.summary_lines():
            click.echo(f"  {line}")
        click.echo(f"  transcript: {sum(len(s.words) for s in item.transcript.segments)} words")
    click.echo(_ran(run.ran))


@cli.command()
@click.option("--force", is_flag=True, help="Render the site even if nothing changed.")
@click.option("--engine", type=click.Choice(["faster-whisper", "openai-whisper"]),
              help="Transcribe with this engine instead of the configured one.")
@profile_option
@show_option
@friendly
def build(force: bool, engine: str | None, profile: Path | None, show_dir: Path) -> None:
    """Process what is stale, then write the site and feed to public/ in one swap."""
    from toolkit.build.pipeline import build as run_build
    from toolkit.build.progress import RichReporter

    with RichReporter() as reporter:
        run = run_build(show_dir, reporter=reporter, force=force, engine=engine,
                        profile=profile.resolve() if profile else None)
    click.echo(_ran(run.ran))


@cli.command()
@click.option("--port", default=8000, show_default=True, help="Port on 127.0.0.1.")
@click.option("--watch", is_flag=True, help="Rebuild when sources or templates change, and reload open pages.")
@show_option
@friendly
def serve(port: int, watch: bool, show_dir: Path) -> None:
    """Serve the built site (public/) on http://127.0.0.1:PORT/."""
    from toolkit.build.pipeline import build as run_build
    from toolkit.publish.serve import run

    run(show_dir, port, build=(lambda root: run_build(root).published) if watch else None, say=click.echo)


@cli.command()
@click.option("--strict", is_flag=True, help="Fail on warnings as well as errors.")
@click.option("--fix-artwork", is_flag=True,
              help="Write a conforming copy (square, 1400-3000 px, RGB) of artwork that breaks Apple's rules.")
@show_option
@friendly
def check(strict: bool, fix_artwork: bool, show_dir: Path) -> None:
    """Validate podkit.toml, every episode and its audio, and the built feed, reporting every problem."""
    from toolkit.publish.check import check as run_check

    report = run_check(show_dir, fix_artwork=fix_artwork)
    for line in report.lines():
        click.echo(line)
    click.get_current_context().exit(report.exit_code(strict))


def _load(show_dir: Path, slugs: tuple[str, ...], engine: str | None) -> Any:
    from toolkit.show import load_show

    show = load_show(show_dir)
    if engine:
        show = show.with_transcribe(engine=engine)
    known = {e.slug for e in show.episodes}
    unknown = [s for s in slugs if s not in known]
    if unknown:
        raise PodkitError(f"no such episode: {', '.join(unknown)}",
                          hint=f"episodes are: {', '.join(sorted(known)) or 'none'}")
    return show


def _ran(ran: Any) -> str:
    if not ran:
        return "nothing to do: everything is up to date"
    return "ran: " + ", ".join(f"{stage} ×{n}" for stage, n in sorted(ran.items()))


def main() -> None:
    cli(prog_name="podkit")


if __name__ == "__main__":
    main()
