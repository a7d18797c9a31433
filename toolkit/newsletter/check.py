"""`podkit check` for the newsletter: every edition's problems, and the [newsletter] settings."""

from __future__ import annotations

import re
from pathlib import Path

from toolkit.newsletter.edition import load_editions
from toolkit.publish.check import Finding, Report
from toolkit.show import load_show


def check_newsletter(root: Path, report: Report) -> None:
    """Add to ``report`` what is wrong with the editions in newsletter/ and the settings sending needs."""
    show = load_show(root, check_audio=False)
    editions, problems = load_editions(show.root, {ep.slug for ep in show.episodes})
    report.findings += [Finding("error", p) for p in problems]
    settings, config = show.newsletter, show.config_path
    if not editions and not problems:
        return
    template = settings.unsubscribe_url
    if not template:
        report.warning("[newsletter] unsubscribe_url is not set: `podkit newsletter send` needs it", config,
                       hint='e.g. unsubscribe_url = "https://example.com/unsubscribe?email={email}"')
    elif "{email}" not in template or not re.match(r"^(https?://[^/]+|mailto:)", template):
        report.error(f"[newsletter] unsubscribe_url {template!r} is not an absolute URL with {{email}} in it",
                     config, hint="{email} stands for each recipient's address")
