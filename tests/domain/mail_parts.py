"""Reading the emails the outbox holds as a person would: by recipient, and by part
(what happened, the money, the next step, the appeal or finality), from the HTML's
`data-part` paragraphs that dashboard.notifications.letter writes."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

from data.models import OutboxEmail, User

_PART = re.compile(r'<(?:p|blockquote) data-part="([a-z-]+)"[^>]*>(.*?)</(?:p|blockquote)>', re.S)


@dataclass(frozen=True)
class Mail:
    recipient: str
    template: str
    subject: str
    text: str
    parts: dict[str, list[str]]

    def part(self, name: str) -> str:
        """Every paragraph of that part, joined ('' when the email has none)."""
        return " ".join(self.parts.get(name, []))


def read(row: OutboxEmail) -> Mail:
    parts: dict[str, list[str]] = {}
    for name, body in _PART.findall(row.body_html):
        parts.setdefault(name, []).append(html.unescape(re.sub(r"<br>", "\n", body)))
    return Mail(row.recipient, row.template, row.subject, row.body_text, parts)


def by_recipient(rows: list[OutboxEmail]) -> dict[str, Mail]:
    mails = [read(r) for r in rows]
    out = {m.recipient: m for m in mails}
    assert len(out) == len(mails), "one email per recipient per event"
    return out


def set_zone(story, user: User, zone) -> None:
    story.run(lambda ctx: setattr(ctx.session.get(User, user.id), "time_zone", zone))
