"""One email's parts, and how they are laid out as text and HTML.

Every email has the same shape, so a person (and a test) finds each thing in its place:

    Hello <name>,
    <what happened, in one sentence>            data-part="happened"
    <the money, in exact amounts>               data-part="money"
    <who wrote it>: <their message>             data-part="message"
    <what you can do next, and by when>         data-part="next"
    <the right to appeal and its deadline,      data-part="appeal"
     or that the result is final>
    View the case: <link>
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Optional

SIGNATURE = "— Resolution Center"


@dataclass(frozen=True)
class Quote:
    """A person's own words on the case, under a label saying whose they are."""

    label: str  # "Northwind Academy's message"
    text: str


@dataclass(frozen=True)
class Letter:
    """What one recipient is told about one event; `subject` is the whole subject line."""

    subject: str
    greeting_name: str
    happened: str
    money: tuple[str, ...] = ()
    quote: Optional[Quote] = None
    next_step: tuple[str, ...] = ()
    appeal: Optional[str] = None
    link: str = ""


def _text_paragraphs(letter: Letter) -> list[str]:
    paragraphs = [letter.happened, *letter.money]
    if letter.quote is not None:
        quoted = "\n".join(f"> {line}" for line in letter.quote.text.splitlines() or [""])
        paragraphs.append(f"{letter.quote.label}:\n{quoted}")
    paragraphs += [*letter.next_step]
    if letter.appeal:
        paragraphs.append(letter.appeal)
    return paragraphs


def as_text(letter: Letter) -> str:
    blocks = [f"Hello {letter.greeting_name},", *_text_paragraphs(letter),
              f"View the case: {letter.link}", SIGNATURE]
    return "\n\n".join(blocks)


def _p(part: str, text: str) -> str:
    return f'<p data-part="{part}">{html.escape(text)}</p>'


def as_html(letter: Letter) -> str:
    body = [f"<p>Hello {html.escape(letter.greeting_name)},</p>", _p("happened", letter.happened)]
    body += [_p("money", line) for line in letter.money]
    if letter.quote is not None:
        lines = "<br>".join(html.escape(line) for line in letter.quote.text.splitlines())
        body.append(f'<p data-part="message-label">{html.escape(letter.quote.label)}:</p>'
                    f'<blockquote data-part="message" style="border-left:3px solid #ccc;margin:0 0 1em;'
                    f'padding-left:0.75em;color:#333">{lines}</blockquote>')
    body += [_p("next", line) for line in letter.next_step]
    if letter.appeal:
        body.append(_p("appeal", letter.appeal))
    link = html.escape(letter.link)
    body.append(f'<p><a href="{link}">View the case</a> ({link})</p>')
    body.append(f'<p style="color:#666">{html.escape(SIGNATURE)}</p>')
    return f'<html lang="en"><body style="font-family: sans-serif">{"".join(body)}</body></html>'
