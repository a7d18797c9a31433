"""`podkit newsletter send` against a real SMTP server (aiosmtpd) on 127.0.0.1: every message it
receives is checked (headers, both parts, absolute links, the recipient's own unsubscribe link, no
recipient twice), a send interrupted half-way is resumed, and a refused recipient is retried,
reported, and does not stop the others."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import shutil
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from lxml import html as lxml_html  # type: ignore[import-untyped,unused-ignore]

from tests.newsletter_show import BASE, make_letter_show
from toolkit.cli import cli
from toolkit.config import read
from toolkit.errors import PodkitError
from toolkit.newsletter import send
from toolkit.show import Show, load_show

pytestmark = pytest.mark.slow  # the sample show is built from real recordings (once, for the session)

EDITION = "2026-11-06"
UNSUBSCRIBE = "https://lists.example.com/unsubscribe?list=shipped&email={email}"
READERS = ["ana@example.net", "bo@example.org", "Chen.Wei@example.com", "dara@example.net", "eli@example.org"]


class Recorder:
    """An SMTP server's handler: keeps every message, refuses recipients as told.

    ``refuse`` maps an address to the answers its next RCPT commands get (one each; the last one
    stays), e.g. a temporary refusal once, or a permanent one for good."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse: dict[str, list[str]] = {}

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        answers = self.refuse.get(address)
        if answers:
            answer = answers.pop(0) if len(answers) > 1 else answers[0]
            if answer != "250 OK":
                return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Recorder, int]]:
    handler = Recorder()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture(scope="module")
def built(built_sample: Path, smtp: tuple[Recorder, int], tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = (f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp[1]}\nsmtp_tls = "none"\n'
                f'from_address = "letters@example.com"\nunsubscribe_url = "{UNSUBSCRIBE}"\n')
    return make_letter_show(built_sample, tmp_path_factory.mktemp("send") / "show", smtp=settings)


@pytest.fixture
def root(built: Path, tmp_path: Path, smtp: tuple[Recorder, int]) -> Path:
    """A fresh copy of the built show (no send log yet), and a server with nothing received."""
    smtp[0].received.clear()
    smtp[0].refuse.clear()
    dest = tmp_path / "show"
    shutil.copytree(built, dest, symlinks=True)
    return dest


@pytest.fixture
def readers(tmp_path: Path) -> Path:
    path = tmp_path / "readers.txt"
    # A comment, a blank line, and one address twice in another case: sent once.
    path.write_text("# the list\n" + "\n".join(READERS) + "\n\nANA@example.net\n")
    return path


def _show(root: Path) -> Show:
    return load_show(root, check_audio=False)


def _check_messages(received: list[tuple[str, list[str], bytes]], expected: list[str]) -> None:
    """Every message: one recipient each, nobody twice, headers, both parts, links absolute."""
    recipients = [rcpt for _, rcpts, _ in received for rcpt in rcpts]
    assert sorted(recipients) == sorted(expected)
    ids = set()
    for sender, rcpts, raw in received:
        assert sender == "letters@example.com" and len(rcpts) == 1
        to = rcpts[0]
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        assert msg["To"] == to
        assert msg["From"] == "Ada Lindqvist <letters@example.com>"
        assert msg["Subject"] == "Ask not: the first edition"
        assert parsedate_to_datetime(str(msg["Date"])).tzinfo is not None
        assert str(msg["Message-ID"]).startswith(f"<{EDITION}.") and str(msg["Message-ID"]).endswith("@localhost>")
        ids.add(str(msg["Message-ID"]))
        personal = UNSUBSCRIBE.replace("{email}", to)
        assert msg["List-Unsubscribe"] == f"<{personal}>"
        assert msg.get_content_type() == "multipart/alternative"
        parts = list(msg.iter_parts())
        assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
        text, html = (p.get_content() for p in parts)
        assert "Two microphones, one conversation" in text and f"Unsubscribe: {personal}" in text
        doc = lxml_html.fromstring(html)
        assert doc.xpath("//a[text()='Unsubscribe']/@href") == [personal]
        for url in doc.xpath("//a/@href | //img/@src"):
            assert url.startswith(("http://", "https://")), url
        assert any(u.startswith(BASE + "episodes/") and "#t=" in u for u in doc.xpath("//a/@href"))
    assert len(ids) == len(received)


def test_every_reader_gets_one_message(root: Path, readers: Path, smtp: tuple[Recorder, int]) -> None:
    report = send.send(_show(root), EDITION, readers)
    assert report.sent == READERS and report.failed == [] and report.already == []
    _check_messages(smtp[0].received, READERS)
    log = [json.loads(line) for line in (root / "newsletter" / f"{EDITION}.sent").read_text().splitlines()]
    assert [e["to"] for e in log[:-1]] == READERS and log[-1] == {"complete": True, "recipients": 5}
    # Sent: an edition goes out once.
    with pytest.raises(PodkitError, match="already sent"):
        send.send(_show(root), EDITION, readers)
    assert len(smtp[0].received) == 5


def test_an_interrupted_send_resumes_without_sending_twice(root: Path, readers: Path,
                                                            smtp: tuple[Recorder, int]) -> None:
    done: list[str] = []

    def stop_after_two(to: str) -> None:
        done.append(to)
        if len(done) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        send.send(_show(root), EDITION, readers, on_sent=stop_after_two)
    assert len(smtp[0].received) == 2
    # The process died while writing the third line: that line is cut off, and counts for nothing.
    with (root / "newsletter" / f"{EDITION}.sent").open("a") as f:
        f.write('{"to": "Chen.Wei@exa')
    report = send.send(_show(root), EDITION, readers)
    assert report.already == READERS[:2] and report.sent == READERS[2:]
    _check_messages(smtp[0].received, READERS)


def test_a_refused_recipient_is_retried_reported_and_does_not_stop_the_others(
        root: Path, readers: Path, smtp: tuple[Recorder, int]) -> None:
    handler = smtp[0]
    handler.refuse = {"bo@example.org": ["451 4.7.1 Greylisted, try again", "250 OK"],
                      "dara@example.net": ["550 5.1.1 No such user here"]}
    result = CliRunner().invoke(cli, ["newsletter", "send", EDITION, "--to", str(readers), "--show", str(root)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "failed: dara@example.net: 550 5.1.1 No such user here" in result.output
    assert "1 recipient(s) not sent: dara@example.net" in result.output
    assert "sent to bo@example.org" in result.output  # refused once, then accepted
    others = [r for r in READERS if r != "dara@example.net"]
    _check_messages(handler.received, others)
    # The address is fixed on the server's side: the same command sends to it alone.
    handler.refuse.clear()
    again = CliRunner().invoke(cli, ["newsletter", "send", EDITION, "--to", str(readers), "--show", str(root)])
    assert again.exit_code == 0, again.output
    assert "1 sent, 4 already sent before" in again.output
    _check_messages(handler.received, READERS)


def test_dry_run_sends_nothing(root: Path, readers: Path, smtp: tuple[Recorder, int]) -> None:
    result = CliRunner().invoke(cli, ["newsletter", "send", EDITION, "--to", str(readers), "--dry-run",
                                      "--show", str(root)])
    assert result.exit_code == 0, result.output
    for reader in READERS:
        assert f"would send to {reader} (unsubscribe: <{UNSUBSCRIBE.replace('{email}', reader)}>)" in result.output
    assert "Subject: Ask not: the first edition" in result.output and "5 to send, 0 already sent" in result.output
    assert smtp[0].received == [] and not (root / "newsletter" / f"{EDITION}.sent").exists()


def test_bad_lists_and_settings_are_refused_before_anything_is_sent(root: Path, tmp_path: Path,
                                                                     smtp: tuple[Recorder, int],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("ana@example.net\nnot an address\nbo@example.org, eli@example.org\n")
    result = CliRunner().invoke(cli, ["newsletter", "send", EDITION, "--to", str(bad), "--show", str(root)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{bad}:2: not an e-mail address: 'not an address'" in result.output
    assert f"{bad}:3: not an e-mail address" in result.output
    show = _show(root)
    missing = dataclasses.replace(show, newsletter=dataclasses.replace(show.newsletter, unsubscribe_url=""))
    good = tmp_path / "good.txt"
    good.write_text("ana@example.net\n")
    with pytest.raises(PodkitError, match="no per-recipient unsubscribe link"):
        send.send(missing, EDITION, good)
    monkeypatch.delenv("PODKIT_SMTP_PASSWORD", raising=False)
    login = dataclasses.replace(show, newsletter=dataclasses.replace(show.newsletter, smtp_user="ada"))
    with pytest.raises(PodkitError, match=r"\$PODKIT_SMTP_PASSWORD is not set"):
        send.send(login, EDITION, good)
    with pytest.raises(PodkitError, match="no edition 2026-11-07"):
        send.send(show, "2026-11-07", good)
    assert smtp[0].received == []


def test_an_unreachable_server_is_one_message(root: Path, readers: Path) -> None:
    show = _show(root)
    closed = dataclasses.replace(show, newsletter=dataclasses.replace(show.newsletter, smtp_port=_free_port()))
    with pytest.raises(PodkitError, match=r"cannot send through 127\.0\.0\.1:\d+"):
        send.send(closed, EDITION, readers)


def test_the_password_is_never_read_from_the_show(tmp_path: Path) -> None:
    toml = '[show]\ntitle = "T"\n[newsletter]\nsmtp_user = "ada"\npassword = "hunter2"\n'
    (tmp_path / "podkit.toml").write_text(toml)
    problems = [str(p) for p in read(tmp_path).problems]
    assert any("[newsletter] password: the SMTP password is never read from a file in the show" in p
               and ":5:" in p for p in problems), problems


def test_message_ids_are_stable_per_recipient() -> None:
    assert send.message_id(EDITION, "Ana@example.net", "x.org") == send.message_id(EDITION, "ana@example.net", "x.org")
    assert send.message_id(EDITION, "ana@example.net", "x.org") != send.message_id(EDITION, "bo@example.net", "x.org")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_the_login_takes_the_password_from_the_environment(root: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that wants a login (over plain SMTP, as only a server on this machine should)."""
    handler = Recorder()

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"ada", b"s3cret")
        return AuthResult(success=ok, handled=False)

    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=authenticate,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        show = _show(root)
        login = dataclasses.replace(show, newsletter=dataclasses.replace(
            show.newsletter, smtp_port=port, smtp_user="ada", password_env="LETTERS_PASSWORD"))
        one = tmp_path / "one.txt"
        one.write_text("ana@example.net\n")
        monkeypatch.setenv("LETTERS_PASSWORD", "wrong")
        with pytest.raises(PodkitError, match="refused the login of ada"):
            send.send(login, EDITION, one)
        monkeypatch.setenv("LETTERS_PASSWORD", "s3cret")
        assert send.send(login, EDITION, one).sent == ["ana@example.net"]
        _check_messages(handler.received, ["ana@example.net"])
    finally:
        controller.stop()
