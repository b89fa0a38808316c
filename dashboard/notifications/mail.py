"""Building outbox emails into MIME messages, and the two ways of sending them:
`.eml` files in MAIL_DIR (the embedded default) or SMTP (`SMTP_URL`).

A transport raises `DeliveryError`; `permanent=True` means retrying cannot help
(a 5xx answer about this message or recipient), anything else is retried later.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, format_datetime, parseaddr
from pathlib import Path
from typing import Optional, Protocol
from urllib.parse import unquote, urlsplit

from dashboard.settings import Settings

SMTP_TIMEOUT = 15.0
# Quoted-printable keeps mostly-ASCII bodies readable in a .eml file and safe over any SMTP hop.
UTF8_QP = Charset("utf-8")
UTF8_QP.body_encoding = QP


@dataclass(frozen=True)
class Outgoing:
    """What a transport needs from an outbox row, read while it was claimed."""

    id: int
    case_id: Optional[str]
    dedupe_key: str
    template: str
    recipient: str
    subject: str
    body_text: str
    body_html: str
    created_at: dt.datetime
    attempts: int


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def sender_address(settings: Settings) -> str:
    return parseaddr(settings.mail_from)[1] or "no-reply@localhost"


def message_id(dedupe_key: str, settings: Settings) -> str:
    """Stable per outbox row, so a redelivery after a crash is recognisably the same mail."""
    domain = sender_address(settings).rpartition("@")[2] or "localhost"
    return f"<{hashlib.sha256(dedupe_key.encode()).hexdigest()[:40]}@{domain}>"


def _header(value: str):
    value = " ".join(value.splitlines())  # a header never spans lines we did not fold ourselves
    return value if value.isascii() else Header(value, "utf-8")


def build_message(mail: Outgoing, settings: Settings) -> Message:
    """multipart/alternative: the text part, then the HTML part. (The classic MIME
    classes, with explicit encoding of non-ASCII headers, build several times faster
    than `EmailMessage`'s header registry, which matters for big outbox backlogs.)"""
    msg = MIMEMultipart("alternative")
    name, address = parseaddr(settings.mail_from)
    msg["From"] = formataddr((name, address), "utf-8")
    msg["To"] = _header(mail.recipient)
    msg["Subject"] = _header(mail.subject)
    msg["Date"] = format_datetime(mail.created_at)
    msg["Message-ID"] = message_id(mail.dedupe_key, settings)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    if mail.case_id:
        msg["X-Resolution-Case"] = mail.case_id
    msg.attach(MIMEText(mail.body_text, "plain", UTF8_QP))
    msg.attach(MIMEText(mail.body_html, "html", UTF8_QP))
    return msg


class Transport(Protocol):
    def __enter__(self) -> "Transport": ...

    def __exit__(self, *exc) -> None: ...

    def send(self, msg: Message, mail: Outgoing) -> None: ...


class FileTransport:
    """One `.eml` file per outbox row, named after its id and written atomically, so a
    redelivery replaces the file instead of adding a second copy."""

    def __init__(self, mail_dir: Path):
        self.mail_dir = Path(mail_dir)
        self._dir_ready = False

    def __enter__(self) -> "FileTransport":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def path_for(self, outbox_id: int) -> Path:
        return self.mail_dir / f"outbox-{outbox_id:08d}.eml"

    def send(self, msg: Message, mail: Outgoing) -> None:
        path = self.path_for(mail.id)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            if not self._dir_ready:
                self.mail_dir.mkdir(parents=True, exist_ok=True)
                self._dir_ready = True
            tmp.write_bytes(msg.as_bytes())
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise DeliveryError(f"could not write {path}: {exc}") from exc


@dataclass(frozen=True)
class SmtpConfig:
    ssl: bool
    host: str
    port: int
    username: Optional[str]
    password: Optional[str]

    @classmethod
    def parse(cls, url: str) -> "SmtpConfig":
        """`smtp://[user:pass@]host[:port]` (STARTTLS when offered) or `smtps://...` (TLS)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, not {parts.scheme or url!r}")
        if not parts.hostname:
            raise ValueError("SMTP_URL has no host")
        secure = parts.scheme == "smtps"
        return cls(ssl=secure, host=parts.hostname, port=parts.port or (465 if secure else 25),
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None)


class SmtpTransport:
    """One connection per batch, opened on first use. After a connection-level
    failure the rest of the batch is not attempted: it would fail the same way."""

    def __init__(self, config: SmtpConfig, *, sender: str, timeout: float = SMTP_TIMEOUT):
        self.config = config
        self.sender = sender
        self.timeout = timeout
        self._conn: Optional[smtplib.SMTP] = None
        self._down: Optional[str] = None

    def __enter__(self) -> "SmtpTransport":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        context = ssl.create_default_context()
        if c.ssl:
            conn = smtplib.SMTP_SSL(c.host, c.port, timeout=self.timeout, context=context)
        else:
            conn = smtplib.SMTP(c.host, c.port, timeout=self.timeout)
        try:
            conn.ehlo()
            if not c.ssl and conn.has_extn("starttls"):
                conn.starttls(context=context)
                conn.ehlo()
            if c.username:
                conn.login(c.username, c.password or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def send(self, msg: Message, mail: Outgoing) -> None:
        if self._down:
            raise DeliveryError(self._down)
        where = f"{self.config.host}:{self.config.port}"
        if self._conn is None:
            try:
                self._conn = self._connect()
            except (OSError, smtplib.SMTPException) as exc:
                # Refused, unreachable, TLS or login trouble: all about the server or our
                # configuration, never this message, so always retried.
                self._down = f"SMTP server {where} unavailable: {exc!r}"
                raise DeliveryError(self._down) from exc
        try:
            self._conn.send_message(msg, from_addr=self.sender, to_addrs=[mail.recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (0, b""))
            raise DeliveryError(f"recipient refused: {code} {_text(text)}", permanent=_permanent(code)) from exc
        except smtplib.SMTPSenderRefused as exc:
            # Our From address is refused: a configuration problem, retried until fixed.
            raise DeliveryError(f"sender refused: {exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"{exc.smtp_code} {_text(exc.smtp_error)}", permanent=_permanent(exc.smtp_code)) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self._conn = None
            self._down = f"SMTP connection to {where} lost: {exc!r}"
            raise DeliveryError(self._down) from exc


def _permanent(code: int) -> bool:
    return 500 <= int(code or 0) < 600


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_url:
        return SmtpTransport(SmtpConfig.parse(settings.smtp_url), sender=sender_address(settings))
    return FileTransport(settings.mail_dir)
