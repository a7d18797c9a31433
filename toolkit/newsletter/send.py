"""`podkit newsletter send`: an edition's e-mail to a list of recipients over SMTP, resumably.

Each message is multipart/alternative (the plain-text part first, then the HTML the build wrote),
with its own Message-ID, a Date, List-Id and List-Unsubscribe, and the recipient's own unsubscribe
link in both parts. The parts are the ones ``podkit build`` published in
``public/newsletter/<date>/``, so what is sent is what `podkit newsletter preview` showed.

Every message the server accepts is written at once to the edition's send log,
``newsletter/<date>.sent`` in the show (one JSON line per recipient, flushed to disk before the
next message), and a send starts by reading it: a send cut off half-way, or one where some
recipients failed, sends again only to those not in the log. When every recipient of the list is
in it, the log is closed with a ``complete`` line, and sending the edition again is refused.
(One message can still go twice: if the process dies after the server accepted it but before its
line reached the disk. Its Message-ID is the same on the second try, which lets mail systems drop
the copy.)

A recipient the server refuses is tried again ``[newsletter] retries`` times (a temporary refusal
often passes), then reported; the others are still sent, and the send ends with an error naming
those that failed. The password is read from the environment variable named by
``[newsletter] password_env``, never from a file in the show.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from urllib.parse import urlsplit

from toolkit.errors import InvalidShow, PodkitError, Problem
from toolkit.newsletter.edition import edition_name, edition_path, sent_log
from toolkit.newsletter.email import personalise, unsubscribe_url
from toolkit.show import Show

# SMTP's line ends, and headers folded only past SMTP's own limit: a long List-Unsubscribe address
# stays on its header's line, where every client finds it.
POLICY = policy.SMTP.clone(max_line_length=998)
ADDRESS_RE = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


@dataclass(frozen=True)
class Outgoing:
    """One message to go."""

    to: str
    message: EmailMessage


@dataclass
class Report:
    """What a send did."""

    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # in the send log from an earlier run
    failed: list[tuple[str, str]] = field(default_factory=list)  # (address, the server's answer)


def read_list(path: Path) -> list[str]:
    """The recipients: one address a line; blank lines and lines starting with # are skipped, and an
    address given twice (in any case) is sent once. Every bad line is reported at once."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PodkitError("no such list of recipients", path=path) from None
    except UnicodeDecodeError:
        raise PodkitError("not UTF-8 text", path=path) from None
    seen: set[str] = set()
    out: list[str] = []
    problems: list[Problem] = []
    for n, line in enumerate(text.splitlines(), 1):
        address = line.strip()
        if not address or address.startswith("#"):
            continue
        if not ADDRESS_RE.match(address):
            problems.append(Problem(f"not an e-mail address: {address!r}", path, n, "one address a line"))
            continue
        if address.casefold() not in seen:
            seen.add(address.casefold())
            out.append(address)
    if problems:
        raise InvalidShow(problems)
    if not out:
        raise PodkitError("the list has no recipients", path=path)
    return out


def read_log(path: Path) -> tuple[set[str], bool]:
    """The addresses the send log says were sent (case-folded), and whether it is complete."""
    sent: set[str] = set()
    complete = False
    if not path.is_file():
        return sent, complete
    lines = path.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            if n == len(lines):
                continue  # a line cut off by a crash while it was written: that message is not counted
            raise PodkitError(f"line {n} of the send log is not JSON", path=path, line=n,
                              hint="the log is written by podkit; restore it from a backup") from None
        if entry.get("complete"):
            complete = True
        elif "to" in entry:
            sent.add(str(entry["to"]).casefold())
    return sent, complete


def message_id(edition: str, recipient: str, domain: str) -> str:
    """The same on every try for one recipient of one edition, so a copy sent twice can be dropped."""
    token = hashlib.sha256(f"{edition}\0{recipient.casefold()}".encode()).hexdigest()[:24]
    return f"<{edition}.{token}@{domain}>"


def messages(show: Show, name: str, recipients: list[str], now: datetime) -> list[Outgoing]:
    """Every recipient's message, from the edition's e-mail as the build published it."""
    settings, info = show.newsletter, show.info
    sender = settings.from_address or info.email
    if not sender:
        raise PodkitError("no sender address", path=show.config_path,
                          hint="set [newsletter] from_address (or [show] email)")
    if not settings.unsubscribe_url or "{email}" not in settings.unsubscribe_url:
        raise PodkitError("no per-recipient unsubscribe link", path=show.config_path,
                          hint='set [newsletter] unsubscribe_url, e.g. "https://example.com/unsubscribe?email={email}"')
    folder = show.output / "newsletter" / name
    try:
        html_part = (folder / "email.html").read_text(encoding="utf-8")
        text_part = (folder / "email.txt").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PodkitError(f"the edition {name} is not built", path=folder, hint="run `podkit build` first") from None
    subject = _subject(show, name)
    domain = urlsplit(info.base_url).hostname or "localhost"
    out = []
    for to in recipients:
        html_body, text_body = personalise(html_part, text_part, settings.unsubscribe_url, to)
        msg = EmailMessage(policy=POLICY)
        msg["From"] = formataddr((settings.from_name or info.author or info.title, sender))
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = format_datetime(now.astimezone(UTC))
        msg["Message-ID"] = message_id(name, to, domain)
        msg["List-Id"] = f"{info.title} <newsletter.{domain}>"
        msg["List-Unsubscribe"] = f"<{unsubscribe_url(settings.unsubscribe_url, to)}>"
        # Quoted-printable: 7-bit clean, so no server along the way has to carry 8-bit text.
        msg.set_content(text_body, cte="quoted-printable")
        msg.add_alternative(html_body, subtype="html", cte="quoted-printable")
        out.append(Outgoing(to, msg))
    return out


def _subject(show: Show, name: str) -> str:
    from toolkit.newsletter.edition import load_edition

    problems: list[Problem] = []
    edition = load_edition(edition_path(show.root, name), {ep.slug for ep in show.episodes}, problems)
    if edition is None:
        raise InvalidShow(problems)
    return edition.subject


def plan(show: Show, name: str, list_file: Path, now: datetime) -> tuple[list[Outgoing], list[str]]:
    """The messages still to send, and the recipients the send log has already. Refuses an edition
    that does not exist or was sent to the whole list already."""
    path = edition_path(show.root, name)
    if not path.is_file():
        raise PodkitError(f"no edition {name}", path=path, hint="editions are newsletter/<YYYY-MM-DD>.md")
    recipients = read_list(list_file)
    done, complete = read_log(sent_log(show.root, name))
    if complete:
        raise PodkitError(f"the edition {name} was already sent", path=sent_log(show.root, name),
                          hint="an edition goes out once; start the next with `podkit newsletter new`")
    already = [r for r in recipients if r.casefold() in done]
    todo = [r for r in recipients if r.casefold() not in done]
    return messages(show, name, todo, now), already


class _Log:
    """The send log, appended one line per accepted message and flushed to disk at once."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("a", encoding="utf-8")

    def write(self, entry: dict[str, object]) -> None:
        self.file.write(json.dumps(entry) + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self) -> None:
        self.file.close()


def _connect(show: Show) -> smtplib.SMTP:
    s = show.newsletter
    context = ssl.create_default_context()
    try:
        server: smtplib.SMTP
        if s.smtp_tls == "tls":
            server = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=60, context=context)
        else:
            server = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=60)
            if s.smtp_tls == "starttls":
                server.starttls(context=context)
        if s.smtp_user:
            server.login(s.smtp_user, os.environ[s.password_env])
    except smtplib.SMTPAuthenticationError as exc:
        raise PodkitError(f"the SMTP server refused the login of {s.smtp_user}: {_answer(exc)}",
                          hint=f"check [newsletter] smtp_user and the password in ${s.password_env}") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise PodkitError(f"cannot send through {s.smtp_host}:{s.smtp_port}: {_answer(exc)}",
                          path=show.config_path, hint="check [newsletter] smtp_host, smtp_port and smtp_tls") from None
    return server


def _answer(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {msg.decode(errors='replace')}" for code, msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"
    return str(exc) or type(exc).__name__


def send(show: Show, name: str, list_file: Path, *, now: datetime | None = None,
         on_sent: Callable[[str], None] | None = None, on_failed: Callable[[str, str], None] | None = None) -> Report:
    """Send the edition ``name`` (YYYY-MM-DD) to every address of ``list_file`` not in its send log.

    ``on_sent`` is told each address as soon as its message is logged; ``on_failed`` each address
    given up on, with the server's answer."""
    now = now or datetime.now(UTC)
    settings = show.newsletter
    if settings.smtp_user and settings.password_env not in os.environ:
        raise PodkitError(f"no SMTP password: ${settings.password_env} is not set", path=show.config_path,
                          hint="the password is read from that environment variable only ([newsletter] password_env)")
    name = edition_name(name)
    todo, already = plan(show, name, list_file, now)
    report = Report(already=already)
    log_path = sent_log(show.root, name)
    log = _Log(log_path)
    server: smtplib.SMTP | None = None
    try:
        for item in todo:
            error = ""
            for _ in range(settings.retries + 1):
                try:
                    if server is None:
                        server = _connect(show)
                    server.send_message(item.message, to_addrs=[item.to])
                    error = ""
                    break
                except smtplib.SMTPServerDisconnected as exc:
                    error, server = _answer(exc), None  # connect again for the next try
                except smtplib.SMTPException as exc:
                    error = _answer(exc)
                    _reset(server)
            if error:
                report.failed.append((item.to, error))
                if on_failed is not None:
                    on_failed(item.to, error)
                continue
            log.write({"to": item.to, "message_id": str(item.message["Message-ID"]),
                       "sent": datetime.now(UTC).isoformat(timespec="seconds")})
            report.sent.append(item.to)
            if on_sent is not None:
                on_sent(item.to)
        if not report.failed:
            log.write({"complete": True, "recipients": len(report.sent) + len(report.already)})
    finally:
        log.close()
        if server is not None:
            try:
                server.quit()
            except (OSError, smtplib.SMTPException):
                server.close()
    return report


def _reset(server: smtplib.SMTP | None) -> None:
    """Clear a refused transaction so the connection can carry the next message."""
    if server is None:
        return
    try:
        server.rset()
    except (OSError, smtplib.SMTPException):
        server.close()


def dry_run(show: Show, name: str, list_file: Path, now: datetime | None = None) -> list[str]:
    """What `send` would send, to whom, and to whom not again, as lines to print; nothing is sent or logged."""
    todo, already = plan(show, edition_name(name), list_file, now or datetime.now(UTC))
    lines = []
    if todo:
        first = todo[0].message
        lines += [f"From: {first['From']}", f"Subject: {first['Subject']}"]
    lines += [f"would send to {item.to} (unsubscribe: {item.message['List-Unsubscribe']})" for item in todo]
    lines.append(f"{len(todo)} to send, {len(already)} already sent")
    return lines
