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
from toolkit.errors import InvalidShow, PodkitError, Terminated, from_os_error

F = TypeVar("F", bound=Callable[..., Any])

show_option = click.option(
    "--show", "show_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
    show_default="the current directory", help="The show's folder (the one with podkit.toml).")

wait_option = click.option("--wait", is_flag=True,
                           help="If another build of the show is running, wait for it instead of stopping.")
profile_option = click.option(
    "--profile", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
    help="Also write each stage's cProfile statistics (DIR/<episode>.<stage>.pstats) into DIR.")


def cluster_options(func: F) -> F:
    """--cluster ADDRESS and --workers N: the episodes' stages as tasks on a Dask cluster (`build.cluster`)."""
    func = click.option("--workers", type=click.IntRange(min=1), metavar="N",
                        help="Start a local Dask cluster of N worker processes for the episodes' stages.")(func)
    return click.option("--cluster", metavar="ADDRESS",
                        help="Process stale episodes on the Dask scheduler at ADDRESS (tcp://HOST:PORT; "
                             "overrides [build] cluster); workers that do not see the show at the same "
                             "path are sent its files.")(func)


def _cluster(address: str | None, workers: int | None) -> str | int | None:
    if address and workers:
        raise click.UsageError("give --cluster or --workers, not both")
    return address or workers


def friendly(func: F) -> F:
    """Turn podkit's errors into one clear message and a non-zero exit, without a traceback.

    What the system refuses (a full disk, a permission, a read-only folder) is said as one line with
    the file and a hint; anything else that escapes a command is a bug, said as such in one line.
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        try:
            try:
                return func(*args, **kwargs)
            except OSError as exc:
                if ctx.find_root().params.get("debug"):
                    raise
                raise from_os_error(exc, kwargs.get("show_dir")) from exc
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
        except KeyboardInterrupt as exc:
            how = "terminated" if isinstance(exc, Terminated) else "interrupted"
            click.echo(f"{how}; finished work is kept in the cache, the site is unchanged", err=True)
            ctx.exit(143 if isinstance(exc, Terminated) else 130)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:
            if ctx.find_root().params.get("debug"):
                raise
            said = " ".join(str(exc).split())[:300]  # one line
            click.secho(f"error: podkit failed unexpectedly ({type(exc).__name__}: {said}); this is a bug: "
                        "run `podkit --debug ...` for the traceback and report it", fg="red", err=True)
            ctx.exit(1)

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

    made = new_episode(show_dir, title, slug)
    click.echo(f"created episode {made.number}, '{made.slug}': {made.path}")
    click.echo(f"next: put the recording in {made.path.parent}, set audio = \"<file name>\" in its front matter, "
               "and write the show notes below it")


@cli.command()
@click.argument("slugs", nargs=-1)
@click.option("--engine", type=click.Choice(["faster-whisper", "openai-whisper"]),
              help="Transcribe with this engine instead of the configured one.")
@wait_option
@profile_option
@cluster_options
@show_option
@friendly
def process(slugs: tuple[str, ...], engine: str | None, wait: bool, profile: Path | None, cluster: str | None,
            workers: int | None, show_dir: Path) -> None:
    """Master, transcribe, write up and tag episodes (default: all); only what changed is redone."""
    from toolkit.build.lock import hold
    from toolkit.build.pipeline import process as run_process
    from toolkit.build.progress import RichReporter

    on = _cluster(cluster, workers)
    show = _load(show_dir, slugs, engine)
    with hold(show.cache_dir, wait=wait, say=click.echo), RichReporter() as reporter:
        run = run_process(show, list(slugs) or None, reporter=reporter,
                          profile=profile.resolve() if profile else None, cluster=on)
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
@wait_option
@profile_option
@cluster_options
@show_option
@friendly
def build(force: bool, engine: str | None, wait: bool, profile: Path | None, cluster: str | None,
          workers: int | None, show_dir: Path) -> None:
    """Process what is stale, then write the site and feed to public/ in one swap."""
    from toolkit.build.pipeline import build as run_build
    from toolkit.build.progress import RichReporter

    on = _cluster(cluster, workers)
    with RichReporter() as reporter:
        run = run_build(show_dir, reporter=reporter, force=force, engine=engine, wait=wait,
                        profile=profile.resolve() if profile else None, cluster=on)
    click.echo(_ran(run.ran))


@cli.command()
@click.option("--port", default=8000, show_default=True, help="Port on 127.0.0.1.")
@click.option("--watch", is_flag=True, help="Rebuild when sources or templates change, and reload open pages.")
@show_option
@friendly
def serve(port: int, watch: bool, show_dir: Path) -> None:
    """Preview the built site (public/) on http://127.0.0.1:PORT/: a preview server, not for production."""
    from toolkit.build.pipeline import build as run_build
    from toolkit.publish.serve import run

    run(show_dir, port, build=(lambda root: run_build(root, wait=True).published) if watch else None, say=click.echo)


@cli.command()
@click.option("--strict", is_flag=True, help="The gate before publishing: fail on warnings, on a url that is not "
              "public, on placeholders left from init or new, and on an empty feed.")
@click.option("--fix-artwork", is_flag=True,
              help="Write a conforming copy (square, 1400-3000 px, RGB) of artwork that breaks Apple's rules.")
@show_option
@friendly
def check(strict: bool, fix_artwork: bool, show_dir: Path) -> None:
    """Validate podkit.toml, every episode and its audio, and the built feed, reporting every problem."""
    from toolkit.newsletter.check import check_newsletter
    from toolkit.publish.check import check as run_check

    report = run_check(show_dir, fix_artwork=fix_artwork, strict=strict)
    check_newsletter(show_dir, report)
    for line in report.lines():
        click.echo(line)
    click.get_current_context().exit(report.exit_code(strict))


@cli.group()
def cache() -> None:
    """The cache of made audio, transcripts and search bundles (the show's .podkit/)."""


@cache.command()
@wait_option
@show_option
@friendly
def prune(wait: bool, show_dir: Path) -> None:
    """Delete cache entries no episode uses any more, and what killed builds left; say the space freed."""
    from toolkit.build.pipeline import prune_cache

    removed, freed = prune_cache(show_dir, wait=wait, say=click.echo)
    click.echo(f"removed {removed} unused cache entr{'y' if removed == 1 else 'ies'}, "
               f"freed {freed / 1e6:.1f} MB")


@cli.command("import")
@click.argument("feed")
@click.option("--limit", type=click.IntRange(min=1), help="Import only the newest N items.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Import only items from this date on.")
@click.option("--retranscribe", is_flag=True,
              help="Transcribe with Whisper even where the feed has a transcript (it is still downloaded).")
@show_option
@friendly
def import_(feed: str, limit: int | None, since: Any, retranscribe: bool, show_dir: Path) -> None:
    """Bring in a show from its FEED (a URL or a file): settings, episodes, audio, chapters, transcripts.

    Running it again adds only new items; an episode already in the show is never touched.
    """
    from datetime import UTC

    from toolkit.importer.progress import ImportReporter
    from toolkit.importer.run import import_feed

    try:
        with ImportReporter() as reporter:
            outcome = import_feed(show_dir, feed, limit=limit, since=since.replace(tzinfo=UTC) if since else None,
                                  retranscribe=retranscribe, reporter=reporter)
    except KeyboardInterrupt:
        click.echo("interrupted; episodes imported so far are kept, and the next import resumes the download",
                   err=True)
        click.get_current_context().exit(130)
    for line in outcome.warnings:
        click.echo(f"warning: {line}", err=True)
    for line in outcome.failed:
        click.secho(f"error: {line}", fg="red", err=True)
    click.echo(outcome.summary())
    if outcome.failed:
        click.get_current_context().exit(1)


@cli.group()
def newsletter() -> None:
    """The weekly newsletter: editions in newsletter/<YYYY-MM-DD>.md, built with the site."""


@newsletter.command("new")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="The edition's day (default: today).")
@show_option
@friendly
def newsletter_new(day: Any, show_dir: Path) -> None:
    """Start the next edition: a commented template with the episodes published since the last one."""
    from datetime import UTC, datetime

    from toolkit.newsletter.start import new_edition

    path = new_edition(show_dir, (day or datetime.now(UTC)).date())
    click.echo(f"created {path}; write the note and the links, then `podkit newsletter preview`")


@newsletter.command("preview")
@click.argument("edition", required=False)
@click.option("--port", default=8000, show_default=True, help="Port on 127.0.0.1.")
@show_option
@friendly
def newsletter_preview(edition: str | None, port: int, show_dir: Path) -> None:
    """Build, then serve EDITION's e-mail (default: the newest), rebuilt and reloaded on every edit."""
    from toolkit.build.pipeline import build as run_build
    from toolkit.build.progress import RichReporter
    from toolkit.newsletter.preview import addresses
    from toolkit.publish.serve import run

    with RichReporter() as reporter:
        run_build(show_dir, reporter=reporter)
    for line in addresses(show_dir, edition, port):
        click.echo(line)
    # Rebuilt on every edit of the edition (or anything else), open pages reloading.
    run(show_dir, port, build=lambda root: run_build(root).published, say=click.echo)


@newsletter.command("send")
@click.argument("edition")
@click.option("--to", "list_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The recipients: a file of addresses, one a line.")
@click.option("--dry-run", is_flag=True, help="Print what would be sent, to whom; send nothing.")
@show_option
@friendly
def newsletter_send(edition: str, list_file: Path, dry_run: bool, show_dir: Path) -> None:
    """Send EDITION (YYYY-MM-DD) over SMTP to every address in the list not sent to yet."""
    from toolkit.build.pipeline import build as run_build
    from toolkit.build.progress import RichReporter
    from toolkit.newsletter import send
    from toolkit.show import load_show

    with RichReporter() as reporter:
        run_build(show_dir, reporter=reporter)  # the e-mail sent is the one the build publishes
    show = load_show(show_dir, check_audio=False)
    if dry_run:
        for line in send.dry_run(show, edition, list_file):
            click.echo(line)
        return
    report = send.send(show, edition, list_file, on_sent=lambda to: click.echo(f"sent to {to}"),
                       on_failed=lambda to, why: click.secho(f"failed: {to}: {why}", fg="red", err=True))
    click.echo(f"{len(report.sent)} sent, {len(report.already)} already sent before")
    if report.failed:
        raise PodkitError(f"{len(report.failed)} recipient(s) not sent: {', '.join(a for a, _ in report.failed)}",
                          hint="run the same command again to retry them; the others are not sent twice")


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


def _terminate(signum: int, frame: Any) -> None:
    """SIGTERM (a service manager, `kill`, a CI timeout) stops a command as Ctrl-C does: this process
    stops where it is and the command's own clean-up runs (worker processes stopped, see
    `toolkit.workers`; staging discarded; the lock let go)."""
    raise Terminated


def main() -> None:
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    cli(prog_name="podkit")


if __name__ == "__main__":
    main()
